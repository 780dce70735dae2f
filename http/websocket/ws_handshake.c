/* SPDX-License-Identifier: MIT */
/* The opening handshake's checks: what a request must carry to be
 * upgraded (RFC 6455 §4.2.1), the accept key, the same-origin test and the
 * subprotocol offer. */
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "gale/error.h"
#include "http/websocket/ws_handshake.h"

static const char GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static bool is_space(char c) { return c == ' ' || c == '\t'; }

/* Calls fn on each trimmed, non-empty element of a comma list; stops and
 * returns true when fn does. */
static bool each_element(const char *v, bool (*fn)(const char *s, size_t n, void *arg), void *arg) {
  while (*v) {
    const char *end = strchr(v, ',');
    size_t n = end ? (size_t)(end - v) : strlen(v);
    const char *s = v;
    size_t k = n;
    while (k && is_space(*s)) s++, k--;
    while (k && is_space(s[k - 1])) k--;
    if (k && fn(s, k, arg)) return true;
    v += n + (end ? 1 : 0);
  }
  return false;
}

static bool element_is(const char *s, size_t n, void *arg) {
  const char *token = arg;
  return strlen(token) == n && strncasecmp(s, token, n) == 0;
}

bool gale__ws_header_has_token(const gale_http_server_request *req, const char *name,
                               const char *token) {
  size_t count = gale_http_server_request_header_count(req);
  for (size_t i = 0; i < count; i++) {
    const char *n, *v;
    if (!gale_http_server_request_header_at(req, i, &n, &v)) break;
    if (strcasecmp(n, name) == 0 && each_element(v, element_is, (void *)token)) return true;
  }
  return false;
}

static bool b64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

bool gale__ws_key_valid(const char *s) {
  if (!s || strlen(s) != 24 || s[22] != '=' || s[23] != '=') return false;
  for (int i = 0; i < 22; i++)
    if (!b64_char(s[i])) return false;
  return true;
}

int gale__ws_accept_key(const char *key, char out[29]) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (!md) return GALE_ENOMEM;
  bool ok = EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1 &&
            EVP_DigestUpdate(md, key, strlen(key)) == 1 &&
            EVP_DigestUpdate(md, GUID, sizeof(GUID) - 1) == 1 &&
            EVP_DigestFinal_ex(md, digest, NULL) == 1;
  EVP_MD_CTX_free(md);
  if (!ok) return GALE_ENOMEM;
  EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH); /* 28 + NUL */
  return GALE_OK;
}

int gale__ws_check_request(const gale_http_server_request *req, const char **why) {
  if (strcmp(gale_http_server_request_method(req), "GET") != 0) {
    *why = "a WebSocket handshake is a GET";
    return 405;
  }
  if (strcmp(gale_http_server_request_version(req), "HTTP/1.1") != 0) {
    *why = "a WebSocket handshake needs HTTP/1.1";
    return 400;
  }
  if (!gale__ws_header_has_token(req, "Upgrade", "websocket")) {
    *why = "can \"Upgrade\" only to \"websocket\"";
    return 400;
  }
  if (!gale__ws_header_has_token(req, "Connection", "upgrade")) {
    *why = "\"Connection\" must be \"Upgrade\"";
    return 400;
  }
  const char *version = gale_http_server_request_header(req, "Sec-WebSocket-Version");
  if (!version || strcmp(version, "13") != 0) {
    *why = "unsupported Sec-WebSocket-Version (13 only)";
    return 426;
  }
  if (!gale__ws_key_valid(gale_http_server_request_header(req, "Sec-WebSocket-Key"))) {
    *why = "missing or invalid Sec-WebSocket-Key";
    return 400;
  }
  return 0;
}

bool gale__ws_same_origin(const char *origin, const char *host) {
  if (!origin || !host) return false;
  const char *p = strstr(origin, "://");
  if (!p) return false;
  p += 3;
  size_t n = strcspn(p, "/?#");
  /* userinfo@ is no part of the origin's host (browsers never send it). */
  const char *at = memchr(p, '@', n);
  if (at) {
    n -= (size_t)(at + 1 - p);
    p = at + 1;
  }
  return n > 0 && strlen(host) == n && strncasecmp(p, host, n) == 0;
}

typedef struct offer {
  char *buf;
  size_t cap, used;
  const char **list;
  size_t max, n;
} offer;

static bool add_protocol(const char *s, size_t n, void *arg) {
  offer *o = arg;
  if (o->n == o->max || o->used + n + 1 > o->cap) return true; /* full: stop */
  char *dst = o->buf + o->used;
  memcpy(dst, s, n);
  dst[n] = '\0';
  o->used += n + 1;
  o->list[o->n++] = dst;
  return false;
}

size_t gale__ws_offered_protocols(const gale_http_server_request *req, char *buf, size_t cap,
                                  const char **list, size_t max) {
  offer o = {buf, cap, 0, list, max, 0};
  size_t count = gale_http_server_request_header_count(req);
  for (size_t i = 0; i < count; i++) {
    const char *n, *v;
    if (!gale_http_server_request_header_at(req, i, &n, &v)) break;
    if (strcasecmp(n, "Sec-WebSocket-Protocol") == 0 && each_element(v, add_protocol, &o)) break;
  }
  return o.n;
}
