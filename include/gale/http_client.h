/* SPDX-License-Identifier: MIT */
/* gale/http_client.h — the asynchronous HTTP client (Tornado's
 * AsyncHTTPClient), with keep-alive connection reuse.
 *
 *   gale_http_client *client;
 *   gale_http_client_new(loop, NULL, &client);
 *   gale_http_request req;
 *   gale_http_request_init(&req, "https://example.org/");
 *   gale_http_client_fetch(client, &req, on_response, NULL, NULL);
 *   ...
 *   static void on_response(const gale_http_response *resp, void *arg) {
 *     if (resp->status == GALE_OK) printf("%d %zu bytes\n", resp->code, resp->body_len);
 *     else fprintf(stderr, "%s: %s\n", gale_err_name(resp->status), resp->error);
 *   }
 *
 * Requests speak HTTP/1.1 or HTTP/2 (see GALE_HTTP_VERSION_*: https
 * negotiates h2 by ALPN by default) over plain TCP or TLS.  Connections are kept alive
 * and reused per (scheme, host, port, TLS settings, proxy); at most
 * `max_clients` requests are in flight at once and the rest wait in a FIFO
 * queue, each for at most min(connect_timeout, request_timeout) (as
 * Tornado; then GALE_ETIMEDOUT_QUEUE).  Connections are opened with
 * gale_tcp_client (resolver, Happy Eyeballs, source address, TLS).  A
 * connection whose response was followed by extra bytes is never reused.
 * An idempotent request (GET, HEAD, PUT, DELETE, OPTIONS, TRACE) that
 * finds a reused connection closed before any response byte arrived is
 * retried once on a fresh connection; others never are.  The client never
 * pipelines.
 *
 * Defaults follow Tornado's: connect_timeout and request_timeout 20 s,
 * follow_redirects on with max_redirects 5, decompress_response on,
 * validate_cert on, allow_ipv6 on, max_clients 10, max_body_size and
 * max_buffer_size 100 MiB, max_header_size 64 KiB.  Unlike Tornado's fetch(),
 * a 4xx/5xx answer is a response, not an error, unless raise_error is set.
 *
 * Errors (resp->status, or the future's status) name the cause, and
 * resp->error says it in a sentence with the detail (how many body bytes
 * came, which timeout, OpenSSL's reason...):
 *   - the resolver's GALE_EDNS_* codes; GALE_ECONNREFUSED,
 *     GALE_EHOSTUNREACH, GALE_ENETUNREACH;
 *   - timeouts naming the phase: GALE_ETIMEDOUT_QUEUE (max_clients wait),
 *     _DNS, _CONNECT, _TLS (connect_timeout), _HEADER (header_timeout),
 *     _READ (body_idle_timeout), _REQUEST (request_timeout);
 *   - TLS failures (GALE_ETLS_VERIFY, _HOSTNAME, _EXPIRED, _PROTOCOL,
 *     _CONFIG, GALE_ETLS) with OpenSSL's reason in resp->error;
 *   - the connection ending early: GALE_ECONNRESET (reset by the server,
 *     at any point of the exchange), GALE_EOF (closed before any byte of
 *     the response head), GALE_EHTTP_HEAD_TRUNCATED (closed in the middle
 *     of the head), GALE_EHTTP_TRUNCATED (closed before the end of a
 *     Content-Length or chunked body, or a TLS close-delimited body without
 *     close_notify);
 *   - protocol violations by the server: GALE_EHTTP_PARSE,
 *     GALE_EHTTP_BAD_CHUNK, GALE_EHTTP_VERSION (a major version other
 *     than 1);
 *   - limits: GALE_EHTTP_HEADER_TOO_LARGE (head, or trailers, over
 *     max_header_size), GALE_EHTTP_BODY_TOO_LARGE (over max_body_size);
 *   - GALE_EHTTP_TOO_MANY_REDIRECTS; GALE_EHTTP_DECOMPRESS (bad gzip
 *     data); GALE_EHTTP_PROXY (the proxy refused CONNECT);
 *     GALE_EHTTP_STATUS (only with raise_error); GALE_EURL;
 *     GALE_ECANCELLED.
 *
 * All of the client runs on its loop's thread.
 */
#ifndef GALE_HTTP_CLIENT_H
#define GALE_HTTP_CLIENT_H

#include <stdint.h>
#include <time.h>

#include "gale/common.h"
#include "gale/error.h"
#include "gale/future.h"
#include "gale/headers.h"
#include "gale/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Declared in their own headers (C11 allows repeating a typedef). */
typedef struct gale_resolver gale_resolver; /* gale/resolver.h */
typedef struct gale_tls_ctx gale_tls_ctx;   /* gale/tls.h */

typedef struct gale_http_client gale_http_client;
typedef struct gale_http_response gale_http_response;
typedef struct gale_http_upload gale_http_upload;

/* ---- request ------------------------------------------------------------ */

/* Called with each raw header line of the final response, as Tornado does:
 * the status line, every field line, then the empty line, each with its
 * CRLF ("HTTP/1.1 200 OK\r\n", ..., "\r\n").  Interim 1xx responses and
 * responses that are followed as redirects are not reported here (see
 * debug_callback).  `line` is borrowed for the call. */
typedef void (*gale_http_header_cb)(const char *line, size_t len, void *arg);

/* Called with each piece of the (decompressed) body as it arrives, instead
 * of accumulating it in resp->body: downloads then use constant memory.
 * Return GALE_OK to go on, or a negative status to abort the fetch with it
 * (e.g. GALE_ESYS when a write to disk failed).  `data` is borrowed. */
typedef int (*gale_http_streaming_cb)(const void *data, size_t len, void *arg);

/* What a debug callback is told (curl's CURLOPT_DEBUGFUNCTION). */
typedef enum gale_http_debug_kind {
  GALE_HTTP_DEBUG_INFO = 0,   /* a sentence: "Connected to host (addr) port 80" */
  GALE_HTTP_DEBUG_HEADER_OUT, /* the request head as sent, every hop */
  GALE_HTTP_DEBUG_HEADER_IN   /* one response header line, every hop, 1xx too */
} gale_http_debug_kind;

typedef void (*gale_http_debug_cb)(gale_http_debug_kind kind, const char *data, size_t len,
                                   void *arg);

/* A streaming upload (Tornado's body_producer).  The client calls the
 * producer when the request head is sent and again each time what was
 * written so far has been flushed to the socket.  The producer writes with
 * gale_http_upload_write() and ends with gale_http_upload_finish(), either
 * inside the call or later from any callback on the loop.  The handle is
 * valid until finish, or until the fetch completes (then writes return
 * GALE_ECLOSED). */
typedef void (*gale_http_body_producer_cb)(gale_http_upload *upload, void *arg);

/* Queues `len` bytes of the body (copied).  Returns GALE_OK, GALE_EINVAL,
 * GALE_ECLOSED (the fetch ended), GALE_ESTATE (already finished),
 * GALE_ERANGE (more than the declared body_size). */
GALE_EXPORT int gale_http_upload_write(gale_http_upload *upload, const void *data, size_t len);

/* Ends the body.  `status` < 0 aborts the fetch with that status instead
 * (the producer could not read its source).  Returns GALE_OK,
 * GALE_ECLOSED, GALE_ESTATE, GALE_ERANGE (fewer bytes than body_size:
 * the fetch fails with GALE_ERANGE too). */
GALE_EXPORT int gale_http_upload_finish(gale_http_upload *upload, int status);

/* The options of one request (Tornado's HTTPRequest).  Fill it with
 * gale_http_request_init() and change what you need.  gale_http_client_fetch
 * copies every string and the headers, so they may be freed once it
 * returns; the exceptions are `body`, borrowed until the fetch completes,
 * and the callback arguments. */
typedef struct gale_http_request {
  const char *url;    /* http:// or https:// absolute URL (required) */
  const char *method; /* "GET"; any token */
  /* Extra request fields (copied).  The client adds Host, User-Agent,
   * Accept-Encoding (decompress_response), Content-Length or
   * Transfer-Encoding, Authorization (auth_*), If-Modified-Since, Expect
   * and Connection unless present here. */
  const gale_headers *headers;

  /* The body: either a buffer (borrowed until completion) or a producer. */
  const void *body;
  size_t body_len;
  gale_http_body_producer_cb body_producer;
  void *body_producer_arg;
  int64_t body_size; /* producer's total size; -1 = unknown: chunked (default) */
  /* Starts the producer's body over, for a redirect that sends it again
   * (any that keeps the method: 307, 308, a PUT after 301/302, a POST kept
   * by post_redirects); called with
   * body_producer_arg.  Return GALE_OK once the producer will produce the
   * body from its first byte.  NULL, or another status: such a redirect is
   * not followed but handed back as the response (curl's seek callback). */
  int (*body_rewind)(void *arg);

  const char *auth_username; /* HTTP basic auth when not NULL */
  const char *auth_password; /* "" when NULL */

  double connect_timeout; /* 20 s: DNS + TCP + TLS (+ proxy CONNECT) */
  double request_timeout; /* 20 s: the whole fetch, queue wait excluded */
  /* 0 (off): from the request head sent until the response head is
   * complete, each hop (Go's ResponseHeaderTimeout); GALE_ETIMEDOUT_HEADER. */
  double header_timeout;
  /* 0 (off): the longest wait for the next body byte once the head is in;
   * GALE_ETIMEDOUT_READ. */
  double body_idle_timeout;

  bool follow_redirects; /* true */
  int max_redirects;     /* 5 */
  /* Redirects after which a POST stays a POST, body and all, instead of
   * becoming a GET: GALE_HTTP_POST_301 | _302 | _303 (curl's --post301,
   * --post302, --post303); 0: none, as browsers. */
  int post_redirects;
  const char *user_agent;   /* NULL: "gale/VERSION"; "" sends none */
  const char *referer;      /* NULL: none */
  bool decompress_response; /* true: send Accept-Encoding: gzip (as Tornado) */
  bool expect_100_continue; /* false: send Expect: 100-continue with a body */
  time_t if_modified_since; /* 0: none; else If-Modified-Since */
  /* false: a 4xx/5xx is a response with status GALE_OK; true: its status
   * is GALE_EHTTP_STATUS (code, headers and body still filled in). */
  bool raise_error;

  gale_http_header_cb header_callback;
  void *header_callback_arg;
  gale_http_streaming_cb streaming_callback;
  void *streaming_callback_arg;
  gale_http_debug_cb debug_callback;
  void *debug_callback_arg;

  /* Proxy (plain HTTP proxy: http:// URLs go in absolute form, https:// ones
   * through a CONNECT tunnel).  NULL host: no proxy. */
  const char *proxy_host;
  int proxy_port; /* 0: 8080, as curl */
  const char *proxy_username;
  const char *proxy_password;

  /* TLS.  A `tls_ctx` (borrowed until completion) replaces the four other
   * options; otherwise the client builds one context per distinct set of
   * them and shares it across connections. */
  bool validate_cert;      /* true: verify chain and host name */
  const char *ca_certs;    /* PEM bundle; NULL: the system store */
  const char *client_cert; /* PEM certificate (chain) for client auth */
  const char *client_key;  /* its key; NULL: in client_cert */
  gale_tls_ctx *tls_ctx;

  bool allow_ipv6;               /* true; false: IPv4 only */
  bool allow_ipv4;               /* true; false: IPv6 only (curl -6) */
  const char *network_interface; /* source IP address (numeric) to bind; NULL: any */
  /* Connect to this host and port instead of the URL's (curl's
   * --connect-to): the Host field, TLS name check and SNI still use the
   * URL's host.  NULL: the URL's; port 0: the URL's port.  Not with a
   * proxy (the proxy is what gets connected to). */
  const char *connect_to_host;
  int connect_to_port;

  size_t max_body_size; /* 100 MiB: larger bodies fail (not with streaming_callback) */
  /* Body bytes per second at most (curl's --limit-rate): reading pauses
   * while the body is ahead of it.  0: no limit.  Over HTTP/2 the pause
   * holds the whole connection. */
  uint64_t max_recv_speed;
  size_t max_header_size;         /* 64 KiB */
  bool allow_nonstandard_methods; /* false: a body with GET/HEAD is refused */
  /* Which HTTP version to speak (curl's --http1.1, --http2,
   * --http2-prior-knowledge), a GALE_HTTP_VERSION_* value. */
  int http_version;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_http_request;

/* Values of gale_http_request.http_version.
 *
 * HTTP/2 (RFC 9113, on libnghttp2) is spoken on one connection per origin
 * that carries many requests at once (see gale_http_client_options).  For
 * https:// URLs the default offers ALPN "h2" then "http/1.1" and speaks
 * whichever the server picks (HTTP/1.1 when it picks http/1.1 or nothing):
 * curl's default, chosen over Tornado's HTTP/1.1 because ALPN makes the
 * fallback exact (no guessing, no extra round trip) and one multiplexed
 * connection does the work of max_clients HTTP/1.1 ones.  For http:// URLs
 * the default is HTTP/1.1: h2c needs prior knowledge (curl's --http2 would
 * try an Upgrade, which gale does not send, so GALE_HTTP_VERSION_2 is
 * HTTP/1.1 there too).  Through an HTTP proxy, http:// URLs speak HTTP/1.1;
 * https:// ones negotiate inside the CONNECT tunnel.
 *
 * An HTTP/2 response has http_version 20, reason "", the same headers,
 * body, trailers, gzip decoding, redirects, timeouts and limits as an
 * HTTP/1 one.  The header callback sees "HTTP/2 200 \r\n" (as curl), then each
 * field as "name: value\r\n" (lower-case, as received), then "\r\n".
 * Connection-specific request fields (Connection, Keep-Alive,
 * Proxy-Connection, Transfer-Encoding, Upgrade, Host, TE other than
 * "trailers") are not sent: Host becomes :authority.  expect_100_continue
 * is ignored (the body is sent at once, flow-controlled).  Errors of the
 * HTTP/2 layer: a stream reset by the server fails that request only with
 * GALE_ECONNRESET ("the server reset HTTP/2 stream 3: PROTOCOL_ERROR"); a
 * stream the server refused (REFUSED_STREAM, or above a GOAWAY's
 * last_stream_id) is retried on a new connection (at most 3 times, not a
 * streamed upload); malformed frames or a response that breaks RFC 9113
 * §8 fail with GALE_EHTTP_PARSE; a response field section over
 * max_header_size with GALE_EHTTP_HEADER_TOO_LARGE. */
enum {
  GALE_HTTP_VERSION_DEFAULT = 0,           /* https: h2 by ALPN, else 1.1; http: HTTP/1.1 */
  GALE_HTTP_VERSION_1_1 = 1,               /* HTTP/1.1 only (ALPN offers http/1.1 alone) */
  GALE_HTTP_VERSION_2 = 2,                 /* h2 by ALPN for https, else HTTP/1.1 */
  GALE_HTTP_VERSION_2_PRIOR_KNOWLEDGE = 3, /* http: h2c without negotiation; https: as _2 */
  /* HTTP/1.0 requests (curl's --http1.0): the connection closes after the
   * response; a producer's body needs a known body_size (no chunks). */
  GALE_HTTP_VERSION_1_0 = 4
};

/* Bits of gale_http_request.post_redirects. */
enum { GALE_HTTP_POST_301 = 1, GALE_HTTP_POST_302 = 2, GALE_HTTP_POST_303 = 4 };

/* Fills `req` with the defaults above and `url` (borrowed: the struct only
 * points at it). */
GALE_EXPORT void gale_http_request_init(gale_http_request *req, const char *url);

/* ---- response ----------------------------------------------------------- */

/* Seconds spent in each phase of the final hop (0 when the phase did not
 * happen, e.g. dns and connect on a reused connection).  total covers the
 * whole fetch from the call, queue and redirects included; redirect is the
 * time spent in the hops before the final one. */
typedef struct gale_http_timings {
  double queue;      /* waiting for a free slot (max_clients) */
  double dns;        /* name resolution */
  double connect;    /* TCP connect (after dns) */
  double tls;        /* TLS handshake (after connect) */
  double first_byte; /* request sent → first response byte */
  double total;
  double redirect;
} gale_http_timings;

/* The outcome of a fetch (Tornado's HTTPResponse), read-only and owned by
 * the client: valid for the duration of the callback, or as long as the
 * future holding it. */
struct gale_http_response {
  int status;                  /* GALE_OK, or the error (see the top of this file) */
  const char *error;           /* why, in a sentence (OpenSSL's reason, errno...); "" when OK */
  int code;                    /* HTTP status code; 0 when no response arrived */
  const char *reason;          /* reason phrase; "" when none */
  int http_version;            /* 10, 11 or 20; 0 when no response arrived */
  const gale_headers *headers; /* response fields; empty when none */
  /* The decompressed body, NUL-terminated for convenience (the NUL is not
   * counted); "" when streamed or absent. */
  const char *body;
  size_t body_len;
  const char *effective_url;        /* the URL of the final hop */
  const gale_http_request *request; /* the original request (client's copy) */
  gale_http_timings timings;
  int num_redirects;
  uint64_t size_download; /* body bytes received on the wire, last hop */
  uint64_t size_upload;   /* body bytes sent, last hop */
  uint64_t size_header;   /* response header bytes, all hops */
  uint64_t size_request;  /* request header bytes, all hops */
  const char *remote_ip;  /* the peer of the final connection; "" if none */
  int remote_port;
  const char *local_ip;
  int local_port;
  bool reused; /* the final hop ran on a kept-alive connection */
};

/* Looks a response field up (case-insensitive); the first value or NULL. */
GALE_EXPORT const char *gale_http_response_header(const gale_http_response *resp, const char *name);

/* The trailer fields of the response (RFC 9112 §7.1.2: the fields after the
 * last chunk of a chunked body), borrowed: owned by the response and valid
 * as long as it is.  Empty when the body was not chunked, carried no
 * trailers, or the fetch failed before the body ended; for a followed
 * redirect, only the final hop's.  NULL when `resp` is NULL (or when memory
 * ran out making the empty set).  Look fields up with gale_headers_get(). */
GALE_EXPORT const gale_headers *gale_http_response_trailers(const gale_http_response *resp);

/* ---- client ------------------------------------------------------------- */

typedef struct gale_http_client_options {
  int max_clients;         /* 10: requests in flight at once */
  int max_idle_per_host;   /* 10: idle keep-alive connections kept per key */
  double idle_timeout;     /* 60 s: an idle kept-alive connection is closed */
  size_t max_buffer_size;  /* 100 MiB: read buffer limit per connection */
  gale_resolver *resolver; /* borrowed; NULL: the client makes its own */
  /* HTTP/2: requests in flight on one connection, at most (the peer's
   * SETTINGS_MAX_CONCURRENT_STREAMS lowers it); 100. */
  int h2_max_streams;
  /* HTTP/2 connections opened to one origin (pool key); 1.  Requests past
   * h2_max_streams on each of them wait in the connection's queue (still
   * within max_clients and the queue timeout); h2load -c/-m in gale bench. */
  int h2_connections_per_host;
  GALE_RESERVED(7); /* room for fields added later (README: ABI); the two
                     * ints above took 8 bytes of it */
} gale_http_client_options;

GALE_EXPORT void gale_http_client_options_init(gale_http_client_options *opts);

/* Creates a client on `loop` (`opts` NULL: the defaults; copied).  Returns
 * GALE_OK, GALE_EINVAL, GALE_ENOMEM, or the resolver's error when making
 * one failed. */
GALE_EXPORT int gale_http_client_new(gale_loop *loop, const gale_http_client_options *opts,
                                     gale_http_client **out);

/* Fails every fetch still queued or in flight with GALE_ECANCELLED (their
 * callbacks run on later loop turns, after the client memory is gone: they
 * get a response that stays valid for the call), closes every connection and
 * frees the client.  Safe from inside a fetch callback.  NULL is ignored. */
GALE_EXPORT void gale_http_client_free(gale_http_client *client);

/* Called once per fetch with the response (borrowed for the call). */
typedef void (*gale_http_fetch_cb)(const gale_http_response *resp, void *arg);

/* Starts fetching `req` (copied, see gale_http_request).  `cb` runs exactly
 * once on a later loop turn, with a response whose status tells success or
 * failure.  `id` (may be NULL) receives a non-zero number for
 * gale_http_client_cancel().  Returns GALE_OK, or without calling `cb`:
 * GALE_EINVAL (NULL arguments, a CR/LF/NUL/space in the method, header
 * names or values, a body with a producer too, a network_interface that is
 * not an IP address, a connect_to_port outside 0..65535, an unknown
 * http_version, HTTP/1.0 with a producer of unknown size), GALE_EURL (not an absolute http/https URL, or bad
 * characters in it), GALE_ENOMEM. */
GALE_EXPORT int gale_http_client_fetch(gale_http_client *client, const gale_http_request *req,
                                       gale_http_fetch_cb cb, void *arg, uint64_t *id);

/* The same as a future.  It completes with the gale_http_response as its
 * result (owned by the future), or fails with the status of a transport
 * error, or with GALE_EHTTP_STATUS when raise_error is set and the code is
 * not 2xx/3xx.  Cancelling the future cancels the fetch.  Returns NULL for
 * the errors gale_http_client_fetch() returns (check arguments first with
 * it if the reason matters). */
GALE_EXPORT gale_future *gale_http_client_fetch_future(gale_http_client *client,
                                                       const gale_http_request *req);

/* Cancels a queued or running fetch: its callback runs on a later turn with
 * GALE_ECANCELLED and its connection is closed.  Returns GALE_OK, or
 * GALE_ENOENT when the id is unknown or the fetch already completed. */
GALE_EXPORT int gale_http_client_cancel(gale_http_client *client, uint64_t id);

/* Requests in flight and queued, and idle pooled connections. */
GALE_EXPORT size_t gale_http_client_active(const gale_http_client *client);
GALE_EXPORT size_t gale_http_client_queued(const gale_http_client *client);
GALE_EXPORT size_t gale_http_client_idle_connections(const gale_http_client *client);

/* Connections opened so far (a test and bench aid: compare with requests to
 * see reuse). */
GALE_EXPORT uint64_t gale_http_client_connections_opened(const gale_http_client *client);

/* The resolver the client uses (its own or the one passed in; borrowed):
 * e.g. to add --resolve style overrides. */
GALE_EXPORT gale_resolver *gale_http_client_resolver(gale_http_client *client);

/* The TCP client the HTTP client connects with (borrowed): e.g.
 * gale_tcp_client_set_unix_socket() on it sends every connection to a unix
 * domain socket (curl --unix-socket). */
typedef struct gale_tcp_client gale_tcp_client;
GALE_EXPORT gale_tcp_client *gale_http_client_tcp(gale_http_client *client);

#ifdef __cplusplus
}
#endif

#endif
