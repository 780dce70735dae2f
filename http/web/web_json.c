/* SPDX-License-Identifier: MIT */
/* JSON in and out of handlers, through jansson (DESIGN.md: one JSON library,
 * which validates UTF-8 both ways, where the hand-written writer this
 * replaces passed invalid bytes through). */
#include <jansson.h>
#include <string.h>

#include "http/web/web_internal.h"

static int dump_into_body(const char *buffer, size_t size, void *arg) {
  return gale_web_write(arg, buffer, size) == GALE_OK ? 0 : -1;
}

int gale_web_write_json(gale_web_handler *h, const struct json_t *value) {
  if (!h || !value) return GALE_EINVAL;
  if (!json_is_object(value)) return GALE_EINVAL; /* as Tornado: see web.h */
  if (h->finished) return GALE_ESTATE;
  if (!h->req || h->gone) return GALE_ECLOSED;
  /* As Tornado's write(dict), every time. */
  int rc = gale_web_set_header(h, "Content-Type", "application/json; charset=UTF-8");
  if (rc != GALE_OK) return rc;
  /* ESCAPE_SLASH writes "</" as "<\/", so the text can sit in a <script>
   * block, as Tornado's json_encode does. */
  if (json_dump_callback(value, dump_into_body, h, JSON_COMPACT | JSON_ESCAPE_SLASH) != 0)
    return GALE_ENOMEM;
  return GALE_OK;
}

struct json_t *gale_web_json_body(gale_web_handler *h) {
  if (!h || !h->req || h->gone || h->finished) return NULL;
  size_t len = 0;
  const char *body = gale_web_body(h, &len);
  json_error_t err;
  json_t *doc = json_loadb(body ? body : "", len, 0, &err);
  if (doc) return doc;
  gale_http_server_request *req = h->req;
  gale_http_server_request_discard(req);
  gale_web_set_status(h, 400, NULL);
  gale_http_server_request_set_header(req, "Content-Type", "text/plain; charset=UTF-8");
  gale_web_printf(h, "400: Bad Request: malformed JSON body: %s (line %d, column %d)\n", err.text,
                  err.line, err.column);
  gale_web_finish(h);
  return NULL;
}
