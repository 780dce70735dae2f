/* SPDX-License-Identifier: MIT */
/* http/wire/h1_client.h — what every HTTP/1 client of gale shares above the
 * parser (internal; not installed): the HTTP client (http/client/) and the
 * WebSocket client (http/websocket/) both read response heads the way a
 * user agent may (obs-fold unfolded), and both reach origins through an
 * HTTP proxy with a CONNECT tunnel.  Neither may include the other, so the
 * one copy of each lives here, below both.
 *
 * The tunnel (RFC 9110 §9.3.6) is a small object driving a fresh stream to
 * a proxy: it writes "CONNECT host:port", reads the proxy's answer with the
 * shared parser (1xx skipped, a 2xx opens the tunnel, anything else is the
 * proxy's refusal: its status and reason are reported), and reports once,
 * through its callback.  The stream stays the caller's: the tunnel sets the
 * stream's data hook (iostream/stream_internal.h) while it waits and
 * removes it before reporting; the close callback stays the caller's, who
 * forwards a close with gale_h1_tunnel_closed().  On success nothing of the
 * proxy's answer is left buffered: the stream carries the origin's bytes
 * (start TLS on it for https:// or wss://). */
#ifndef GALE_HTTP_H1_CLIENT_H
#define GALE_HTTP_H1_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "gale/common.h"
#include "gale/error.h"
#include "gale/stream.h"

/* ---- obs-fold (RFC 9112 §5.2) ------------------------------------------- */

/* Where a gale_h1_unfold() scan stands; zero it for each new head. */
typedef struct gale_h1_unfold_state {
  size_t line_start; /* start of the line being searched; SIZE_MAX once the
                        blank line ending the head was seen */
  size_t pos;        /* how far the search went */
} gale_h1_unfold_state;

/* A user agent may replace each obs-fold (CRLF then SP or HTAB inside a
 * field value) with SP before interpreting the value; the shared parser
 * refuses folds (a server must), so a client rewrites them in place in the
 * bytes p[0..len) it is about to parse (the head received so far, from its
 * first byte; call again as more arrives: it resumes where it stopped).
 * The line right after the status line has no field to continue and is
 * left for the parser to refuse.  Never fails. */
GALE_INTERNAL void gale_h1_unfold(char *p, size_t len, gale_h1_unfold_state *st);

/* ---- the CONNECT tunnel -------------------------------------------------- */

typedef struct gale_h1_tunnel gale_h1_tunnel;

typedef struct gale_h1_tunnel_options {
  /* The origin to tunnel to (host without brackets: an IPv6 literal gets
   * them in the request) and its port.  Required. */
  const char *host;
  uint16_t port;
  /* Proxy-Authorization: Basic for username:password (password NULL:
   * empty).  NULL username: none. */
  const char *username;
  const char *password;
  /* The proxy's name, for the error sentences ("the proxy NAME answered
   * 407 ..."); NULL: "the proxy". */
  const char *proxy_name;
  /* Seconds to wait for the proxy's answer; 0: no limit.  Past it the
   * tunnel fails with GALE_ETIMEDOUT_CONNECT (connecting includes the
   * tunnel, as for curl). */
  double timeout;
} gale_h1_tunnel_options;

/* How the tunnel ended, handed to the callback (borrowed for the call). */
typedef struct gale_h1_tunnel_result {
  /* GALE_OK (the tunnel is open), or: GALE_EHTTP_PROXY (the proxy refused
   * CONNECT: proxy_status says how, 407 when it wants credentials; or its
   * answer was not HTTP, or it sent bytes after its 2xx), GALE_EOF (it
   * closed before answering), GALE_EHTTP_HEAD_TRUNCATED (it closed in the
   * middle of its answer), GALE_ETIMEDOUT_CONNECT, a stream error
   * (GALE_ECONNRESET...), GALE_ENOMEM. */
  int status;
  /* The status of the proxy's final answer (200 on success), 0 when none
   * came; its reason phrase ("" when none). */
  int proxy_status;
  char reason[64];
  /* One English sentence for a failure (empty on success). */
  char error[256];
} gale_h1_tunnel_result;

typedef void (*gale_h1_tunnel_cb)(const gale_h1_tunnel_result *result, void *arg);

/* Sends CONNECT for `opts` on `stream` (a fresh connection to the proxy,
 * borrowed; the caller keeps its close callback and must forward a close
 * with gale_h1_tunnel_closed) and waits for the answer.  `cb` runs exactly
 * once, never inside this call, unless the tunnel is cancelled first; the
 * tunnel is freed right after it returns (the callback may close or free
 * the stream, and must not touch *out again).  `opts` is copied.
 * Returns GALE_OK with *out set, GALE_EINVAL (NULL argument or host, a
 * host or credentials holding CR, LF or NUL), GALE_ECLOSED (the stream is
 * closed), GALE_EBUSY (a read is pending on it), GALE_ENOMEM. */
GALE_INTERNAL int gale_h1_tunnel_start(gale_stream *stream, const gale_h1_tunnel_options *opts,
                                       gale_h1_tunnel_cb cb, void *arg, gale_h1_tunnel **out);

/* The caller's close callback saw the stream close with `reason` while the
 * tunnel waited: the callback runs now with the failure (GALE_EOF, or
 * GALE_EHTTP_HEAD_TRUNCATED when part of an answer had come, or the
 * stream's error) and the tunnel is freed. */
GALE_INTERNAL void gale_h1_tunnel_closed(gale_h1_tunnel *t, int reason);

/* Abandons a tunnel still waiting: no callback, its data hook removed and
 * the tunnel freed (the stream is left as it is).  NULL is ignored. */
GALE_INTERNAL void gale_h1_tunnel_cancel(gale_h1_tunnel *t);

#endif
