/* SPDX-License-Identifier: MIT */
/* examples/fetch: fetch one URL with gale_http_client and print the status
 * line and the body.
 *
 *   fetch URL          e.g.  fetch http://127.0.0.1:8888/
 *
 * The fetch runs on the event loop; its callback stops the loop.  The exit
 * status is 0 for any HTTP answer, 1 when the fetch failed (DNS, connect,
 * TLS, timeout...). */
#include <stdio.h>

#include <gale.h>

struct result {
  gale_loop *loop;
  int exit_code;
};

static void on_response(const gale_http_response *resp, void *arg) {
  struct result *r = arg;
  if (resp->status == GALE_OK) {
    /* The response (and its body) belongs to the client: use it here. */
    printf("HTTP %d %s\n\n", resp->code, resp->reason);
    fwrite(resp->body, 1, resp->body_len, stdout);
    r->exit_code = 0;
  } else {
    fprintf(stderr, "fetch failed: %s (%s)\n", resp->error, gale_err_name(resp->status));
  }
  gale_loop_stop(r->loop);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s URL\n", argv[0]);
    return 2;
  }
  struct result r = {.loop = gale_loop_new(), .exit_code = 1};
  gale_http_client *client = NULL;
  if (!r.loop || gale_http_client_new(r.loop, NULL, &client) != GALE_OK) return 1;

  gale_http_request req;
  gale_http_request_init(&req, argv[1]); /* defaults: 20 s timeouts, redirects followed */
  int rc = gale_http_client_fetch(client, &req, on_response, &r, NULL);
  if (rc != GALE_OK) {
    fprintf(stderr, "cannot fetch %s: %s\n", argv[1], gale_strerror(rc));
  } else {
    gale_loop_run(r.loop); /* until on_response stops it */
  }
  gale_http_client_free(client);
  gale_loop_free(r.loop);
  return rc == GALE_OK ? r.exit_code : 1;
}
