/* SPDX-License-Identifier: MIT */
/* gale bench -p D: HTTP/1.1 pipelining.  gale_http_client never pipelines
 * (one request per connection at a time, HARDENING.md), so this driver
 * writes D requests at once on each plain gale_stream and reads the
 * responses in order.  Framing is checked as a client must: a status line,
 * well-formed fields, Content-Length or chunked (both at once, or neither on
 * a response that has a body, is an error: such a response could only end
 * at close, which rules pipelining out).  A connection the server closes
 * after answering some requests (Connection: close, a per-connection cap)
 * is reopened and its unanswered requests are sent again, as wrk does;
 * one closed before any answer counts its requests as errors and is not
 * reopened. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gale/tcp_client.h"

#define MAX_HEAD 65536
#define MAX_CONTENT_LENGTH ((uint64_t)1 << 62)

typedef struct pipe_run pipe_run;

typedef struct pconn {
  pipe_run *run;
  gale_stream *stream;
  gale_tcp_connect *connecting;
  double *sent;        /* ring of send times, `depth` entries */
  long head, inflight; /* oldest unanswered request, how many are unanswered */
  long answered;       /* responses on the current connection */
  uint64_t body_left;  /* of the current body, or chunk */
  bool chunked, close_after, dead;
} pconn;

struct pipe_run {
  bench *b;
  gale_tcp_client *tcp;
  gale_url *url;
  char *reqs; /* `depth` copies of the request, written in one piece */
  size_t reqlen;
  pconn *conns;
  long live; /* connections not given up on */
};

static void conn_start(pconn *p);
static void read_head(pconn *p);
static void read_body(pconn *p);
static void read_chunk_size(pconn *p);

static void conn_dead(pconn *p) {
  bench *b = p->run->b;
  if (p->dead) return;
  p->dead = true;
  if (--p->run->live == 0) b->stopping = true;
  bench_maybe_finish(b);
}

static void drop_stream(pconn *p) {
  if (!p->stream) return;
  gale_stream_set_close_cb(p->stream, NULL, NULL);
  gale_stream_close(p->stream);
  p->stream = NULL;
}

/* The unanswered requests will be sent again on a new connection. */
static void requeue(pconn *p) {
  p->run->b->started -= p->inflight;
  p->inflight = 0;
  p->head = 0;
}

/* The server closed (or asked to close) after answering some requests. */
static void reopen(pconn *p) {
  bench *b = p->run->b;
  requeue(p);
  drop_stream(p);
  if (bench_done_starting(b, gale_loop_time(b->loop))) {
    conn_dead(p);
    return;
  }
  b->reconnects++;
  conn_start(p);
}

/* A protocol error, or a close before any answer: the requests in flight
 * fail and the connection is given up on. */
static void conn_fail(pconn *p, int status, const char *text) {
  bench *b = p->run->b;
  bench_error(b, p->inflight ? p->inflight : 1, status, text);
  b->completed += p->inflight;
  if (!p->inflight) { /* a failed connect: count it as one failed request */
    b->started++;
    b->completed++;
  }
  p->inflight = 0;
  drop_stream(p);
  conn_dead(p);
}

static void fill(pconn *p) {
  bench *b = p->run->b;
  double now = gale_loop_time(b->loop);
  long k = b->depth - p->inflight;
  if (p->dead || !p->stream || bench_done_starting(b, now)) return;
  if (b->duration <= 0 && k > b->requests - b->started) k = b->requests - b->started;
  if (k <= 0) return;
  if (gale_stream_write(p->stream, p->run->reqs, (size_t)k * p->run->reqlen, NULL, NULL) != GALE_OK)
    return; /* closed: the close callback deals with it */
  for (long i = 0; i < k; i++) p->sent[(p->head + p->inflight + i) % b->depth] = now;
  p->inflight += k;
  b->started += k;
  read_head(p);
}

static void response_done(pconn *p) {
  bench *b = p->run->b;
  bench_record(b, gale_loop_time(b->loop) - p->sent[p->head]);
  p->head = (p->head + 1) % b->depth;
  p->inflight--;
  p->answered++;
  b->completed++;
  if (p->close_after) {
    reopen(p);
  } else {
    /* Refill at half depth: one write for several requests. */
    if (p->inflight <= b->depth / 2) fill(p);
    read_head(p);
  }
  bench_maybe_finish(b);
}

/* ---- response head ---------------------------------------------------- */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* True when the comma-separated value v[0..n) holds `token`. */
static bool has_token(const char *v, size_t n, const char *token) {
  size_t tl = strlen(token);
  while (n) {
    const char *comma = memchr(v, ',', n);
    size_t l = comma ? (size_t)(comma - v) : n;
    const char *s = v, *e = v + l;
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if ((size_t)(e - s) == tl && strncasecmp(s, token, tl) == 0) return true;
    if (!comma) break;
    n -= l + 1;
    v = comma + 1;
  }
  return false;
}

/* Parses the head d[0..len) (ending with CRLFCRLF).  Returns the status code
 * and sets the framing in `p`, or -1 with *why set. */
static int parse_head(pconn *p, const char *d, size_t len, const char **why) {
  const char *end = d + len - 2, *line;
  bool have_cl = false, have_te = false, http10, keep_alive = false;
  uint64_t cl = 0;
  int code;
  if (len < 16 || memcmp(d, "HTTP/1.", 7) != 0 || !is_digit(d[7]) || d[8] != ' ' ||
      !is_digit(d[9]) || !is_digit(d[10]) || !is_digit(d[11]) || (d[12] != ' ' && d[12] != '\r')) {
    *why = "malformed status line";
    return -1;
  }
  http10 = d[7] == '0';
  code = (d[9] - '0') * 100 + (d[10] - '0') * 10 + (d[11] - '0');
  p->chunked = p->close_after = false;
  line = memchr(d, '\n', len) + 1;
  while (line < end) {
    const char *eol = memchr(line, '\n', (size_t)(end + 2 - line));
    const char *colon = memchr(line, ':', (size_t)(eol - line));
    const char *v, *ve;
    size_t nl;
    if (!colon || colon == line || line[0] == ' ' || line[0] == '\t' || eol[-1] != '\r') {
      *why = "malformed header field";
      return -1;
    }
    nl = (size_t)(colon - line);
    for (v = colon + 1; *v == ' ' || *v == '\t'; v++) {}
    for (ve = eol - 1; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--) {}
    if (nl == 14 && strncasecmp(line, "Content-Length", nl) == 0) {
      uint64_t n = 0;
      if (v == ve) {
        *why = "empty Content-Length";
        return -1;
      }
      for (const char *c = v; c < ve; c++) {
        if (!is_digit(*c) || n > MAX_CONTENT_LENGTH) {
          *why = "bad Content-Length";
          return -1;
        }
        n = n * 10 + (uint64_t)(*c - '0');
      }
      if (have_cl && n != cl) {
        *why = "conflicting Content-Length fields";
        return -1;
      }
      have_cl = true;
      cl = n;
    } else if (nl == 17 && strncasecmp(line, "Transfer-Encoding", nl) == 0) {
      const char *last = ve;
      while (last > v && last[-1] != ',') last--;
      have_te = true;
      p->chunked = has_token(last, (size_t)(ve - last), "chunked");
    } else if (nl == 10 && strncasecmp(line, "Connection", nl) == 0) {
      if (has_token(v, (size_t)(ve - v), "close")) p->close_after = true;
      if (has_token(v, (size_t)(ve - v), "keep-alive")) keep_alive = true;
    }
    line = eol + 1;
  }
  if (http10 && !keep_alive) p->close_after = true;
  if (code < 200 || code == 204 || code == 304) {
    p->body_left = 0;
    p->chunked = false;
    return code;
  }
  if (have_te && have_cl) {
    *why = "both Content-Length and Transfer-Encoding";
    return -1;
  }
  if (have_te && !p->chunked) {
    *why = "body delimited by close (Transfer-Encoding without chunked): cannot pipeline";
    return -1;
  }
  if (!have_te && !have_cl) {
    *why = "body delimited by close (no Content-Length): cannot pipeline";
    return -1;
  }
  p->body_left = cl;
  return code;
}

static void on_head(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  pconn *p = arg;
  bench *b = p->run->b;
  const char *why = NULL;
  int code;
  (void)s;
  if (status != GALE_OK) return; /* the close callback follows */
  b->bytes += len;
  code = parse_head(p, data, len, &why);
  if (code < 0) {
    conn_fail(p, GALE_EHTTP_PARSE, why);
    return;
  }
  if (code == 101) {
    conn_fail(p, GALE_EHTTP_PARSE, "unexpected 101 Switching Protocols");
    return;
  }
  if (code < 200) { /* interim (100 Continue, 103 Early Hints): the answer follows */
    read_head(p);
    return;
  }
  if (code >= 300) b->non2xx++;
  if (p->chunked)
    read_chunk_size(p);
  else if (p->body_left)
    read_body(p);
  else
    response_done(p);
}

static void read_head(pconn *p) {
  if (!p->stream || !p->inflight || gale_stream_reading(p->stream)) return;
  if (gale_stream_read_until(p->stream, "\r\n\r\n", 4, MAX_HEAD, on_head, p) != GALE_OK)
    conn_fail(p, GALE_ENOMEM, "read_until failed");
}

/* ---- body --------------------------------------------------------------- */

static void on_chunk_end(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  pconn *p = arg;
  (void)s;
  if (status != GALE_OK) return;
  p->run->b->bytes += len;
  if (memcmp(data, "\r\n", 2) != 0) {
    conn_fail(p, GALE_EHTTP_BAD_CHUNK, "chunk data not followed by CRLF");
    return;
  }
  read_chunk_size(p);
}

static void on_body(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  pconn *p = arg;
  (void)s;
  (void)data;
  if (status != GALE_OK) return;
  p->run->b->bytes += len;
  p->body_left -= len;
  if (p->body_left)
    read_body(p);
  else if (!p->chunked)
    response_done(p);
  else if (gale_stream_read_bytes(p->stream, 2, false, on_chunk_end, p) != GALE_OK)
    conn_fail(p, GALE_ENOMEM, "read_bytes failed");
}

static void read_body(pconn *p) {
  size_t n = p->body_left > SIZE_MAX ? SIZE_MAX : (size_t)p->body_left;
  if (gale_stream_read_bytes(p->stream, n, true, on_body, p) != GALE_OK)
    conn_fail(p, GALE_ENOMEM, "read_bytes failed");
}

static void on_trailer(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  pconn *p = arg;
  (void)s;
  (void)data;
  if (status != GALE_OK) return;
  p->run->b->bytes += len;
  if (len == 2) {
    p->chunked = false;
    response_done(p);
  } else if (gale_stream_read_until(p->stream, "\r\n", 2, MAX_HEAD, on_trailer, p) != GALE_OK) {
    conn_fail(p, GALE_ENOMEM, "read_until failed");
  }
}

static void on_chunk_size(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  pconn *p = arg;
  uint64_t n = 0;
  size_t i = 0;
  (void)s;
  if (status != GALE_OK) return;
  p->run->b->bytes += len;
  for (; i < len; i++) {
    char c = data[i];
    int v = is_digit(c)                              ? c - '0'
            : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                     : -1;
    if (v < 0) break;
    if (n > MAX_CONTENT_LENGTH) break;
    n = n * 16 + (uint64_t)v;
  }
  if (i == 0 || n > MAX_CONTENT_LENGTH ||
      (data[i] != '\r' && data[i] != ';' && data[i] != ' ' && data[i] != '\t')) {
    conn_fail(p, GALE_EHTTP_BAD_CHUNK, "bad chunk size line");
    return;
  }
  if (n == 0) {
    if (gale_stream_read_until(p->stream, "\r\n", 2, MAX_HEAD, on_trailer, p) != GALE_OK)
      conn_fail(p, GALE_ENOMEM, "read_until failed");
    return;
  }
  p->body_left = n;
  read_body(p);
}

static void read_chunk_size(pconn *p) {
  if (gale_stream_read_until(p->stream, "\r\n", 2, 1024, on_chunk_size, p) != GALE_OK)
    conn_fail(p, GALE_ENOMEM, "read_until failed");
}

/* ---- connections ---------------------------------------------------------- */

static void on_close(gale_stream *s, int reason, void *arg) {
  pconn *p = arg;
  (void)s;
  p->stream = NULL;
  if (reason == GALE_ETIMEDOUT_READ) {
    conn_fail(p, reason, "no response within the timeout");
  } else if (p->answered > 0 || !p->inflight) {
    reopen(p); /* an idle keep-alive timeout, or a per-connection limit */
  } else {
    conn_fail(p, reason ? reason : GALE_EOF, "connection closed before any response");
  }
}

static void on_connect(int status, gale_stream *stream, void *arg) {
  pconn *p = arg;
  bench *b = p->run->b;
  p->connecting = NULL;
  if (status != GALE_OK) {
    conn_fail(p, status, "connect failed");
    return;
  }
  b->connections_opened++;
  p->stream = stream;
  p->answered = 0;
  gale_stream_set_nodelay(stream, true);
  gale_stream_set_read_timeout(stream, b->timeout);
  gale_stream_set_close_cb(stream, on_close, p);
  fill(p);
  if (!p->inflight) conn_dead(p); /* nothing left to send */
}

static void conn_start(pconn *p) {
  gale_tcp_connect_options o;
  int st;
  gale_tcp_connect_options_init(&o);
  o.connect_timeout = p->run->b->timeout;
  st = gale_tcp_client_connect(p->run->tcp, p->run->url->host, p->run->url->port, &o, on_connect, p,
                               &p->connecting);
  if (st != GALE_OK) conn_fail(p, st, "connect failed");
}

/* Builds `depth` copies of the request. */
static int build_requests(pipe_run *r) {
  bench *b = r->b;
  const gale_url *u = r->url;
  size_t hl = b->headers ? gale_headers_wire_size(b->headers) : 0, got = 0;
  char *one = NULL, *fields = malloc(hl + 1), host[300], port[16] = "";
  int n;
  if (!fields) return CLI_EXIT_NOMEM;
  if (b->headers && gale_headers_serialize(b->headers, fields, hl + 1, &got) != GALE_OK) got = 0;
  fields[got] = '\0';
  if (u->port_explicit) snprintf(port, sizeof port, ":%u", (unsigned)u->port);
  snprintf(host, sizeof host, "%s%s%s%s", u->host_is_ipv6 ? "[" : "", u->host,
           u->host_is_ipv6 ? "]" : "", port);
  n = asprintf(
      &one, "GET %s%s%s HTTP/1.1\r\nHost: %s\r\n%s%s\r\n", u->path, u->query ? "?" : "",
      u->query ? u->query : "", host,
      b->headers && gale_headers_get(b->headers, "User-Agent") ? "" : "User-Agent: gale-bench\r\n",
      fields);
  free(fields);
  if (n < 0) return CLI_EXIT_NOMEM;
  r->reqlen = (size_t)n;
  r->reqs = malloc(r->reqlen * (size_t)b->depth);
  if (!r->reqs) {
    free(one);
    return CLI_EXIT_NOMEM;
  }
  for (long i = 0; i < b->depth; i++) memcpy(r->reqs + (size_t)i * r->reqlen, one, r->reqlen);
  free(one);
  return CLI_OK;
}

int bench_run_pipelined(bench *b) {
  pipe_run r;
  int rc;
  memset(&r, 0, sizeof r);
  r.b = b;
  if (gale_url_parse(b->url, strlen(b->url), &r.url) != GALE_OK || !r.url->host) {
    fprintf(stderr, "gale bench: bad URL %s\n", b->url);
    gale_url_free(r.url);
    return CLI_EXIT_URL;
  }
  if (strcmp(r.url->scheme, "http") != 0) {
    fprintf(stderr, "gale bench: --pipeline supports http:// URLs only\n");
    gale_url_free(r.url);
    return CLI_EXIT_USAGE;
  }
  rc = build_requests(&r);
  if (rc == CLI_OK && gale_tcp_client_new(b->loop, NULL, &r.tcp) != GALE_OK) rc = CLI_EXIT_NOMEM;
  if (rc == CLI_OK && !(r.conns = calloc((size_t)b->connections, sizeof *r.conns)))
    rc = CLI_EXIT_NOMEM;
  b->t0 = gale_loop_time(b->loop);
  for (long i = 0; rc == CLI_OK && i < b->connections; i++) {
    pconn *p = &r.conns[i];
    p->run = &r;
    if (!(p->sent = calloc((size_t)b->depth, sizeof *p->sent))) {
      rc = CLI_EXIT_NOMEM;
      break;
    }
    r.live++;
    conn_start(p);
  }
  if (rc == CLI_OK) {
    if (r.live) gale_loop_run(b->loop);
    if (!b->t_end) b->t_end = gale_loop_time(b->loop);
    bench_report(b);
    rc = b->errors || b->completed < b->started ? CLI_EXIT_FAILED : CLI_OK;
  }
  for (long i = 0; r.conns && i < b->connections; i++) {
    if (r.conns[i].connecting) gale_tcp_connect_cancel(r.conns[i].connecting);
    drop_stream(&r.conns[i]);
    free(r.conns[i].sent);
  }
  gale_loop_run_once(b->loop, 0); /* the closes complete */
  free(r.conns);
  gale_tcp_client_free(r.tcp);
  gale_url_free(r.url);
  free(r.reqs);
  return rc;
}
