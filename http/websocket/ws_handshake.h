/* SPDX-License-Identifier: MIT */
/* http/websocket/ws_handshake.h — the opening handshake's checks and
 * computations (RFC 6455 §4), shared by the server and the client side
 * (internal).  Pure functions over header values: no I/O. */
#ifndef GALE_HTTP_WS_HANDSHAKE_H
#define GALE_HTTP_WS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "gale/common.h"
#include "gale/http_server.h"

/* The most subprotocols of an offer gale looks at. */
#define GALE_WS_MAX_PROTOCOLS 32

/* Checks a request for an upgrade (method, version, Upgrade, Connection,
 * Sec-WebSocket-Version, Sec-WebSocket-Key).  Returns 0 when acceptable,
 * else the HTTP status to answer (405, 400, 426) with *why a static
 * English reason. */
GALE_INTERNAL int gale__ws_check_request(const gale_http_server_request *req, const char **why);

/* True when `token` is an element of a comma-separated list in any of the
 * request's fields named `name` (case-insensitive, whitespace trimmed). */
GALE_INTERNAL bool gale__ws_header_has_token(const gale_http_server_request *req, const char *name,
                                             const char *token);

/* True when s is base64 of exactly 16 bytes (24 characters, "==" last). */
GALE_INTERNAL bool gale__ws_key_valid(const char *s);

/* Sec-WebSocket-Accept for `key`: base64(SHA-1(key + the RFC's GUID)),
 * 28 characters and a NUL into out.  Returns GALE_OK or GALE_ENOMEM. */
GALE_INTERNAL int gale__ws_accept_key(const char *key, char out[29]);

/* Tornado's default check_origin: the host[:port] of `origin`
 * ("https://Example.com:8080") equals `host` case-insensitively. */
GALE_INTERNAL bool gale__ws_same_origin(const char *origin, const char *host);

/* Splits every Sec-WebSocket-Protocol field of the request into its
 * elements, copied into buf (cap bytes), pointers into list (at most max).
 * Returns how many. */
GALE_INTERNAL size_t gale__ws_offered_protocols(const gale_http_server_request *req, char *buf,
                                                size_t cap, const char **list, size_t max);

#endif
