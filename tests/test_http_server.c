/* The HTTP/1.1 server over real sockets: keep-alive, pipelining, chunked
 * bodies both ways, 100-continue, HEAD, gzip, HTTP/1.0, timeouts, limits,
 * malformed and smuggling requests (table-driven), asynchronous handlers,
 * xheaders, graceful shutdown, access log. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/wait.h>
#include <zlib.h>

#include "test_http_server_util.h"

typedef struct fixture {
  gale_loop *loop;
  gale_http_server *server;
  int port;
  int fds_before;
  int requests;
  /* async handler */
  gale_http_server_request *held;
  int closes;
  int close_status;
  char last_body[4096];
  size_t last_body_len;
  char last_ip[64];
  char last_proto[16];
  size_t streamed;
  int stream_calls;
  bool early_401;
} fixture;

static fixture *F;
static int freed_in_cb;

/* The application: answers by path. */
static void on_request(gale_http_server_request *req, void *arg) {
  fixture *f = arg;
  f->requests++;
  const char *path = gale_http_server_request_path(req);
  snprintf(f->last_ip, sizeof(f->last_ip), "%s", gale_http_server_request_remote_ip(req));
  snprintf(f->last_proto, sizeof(f->last_proto), "%s", gale_http_server_request_protocol(req));
  size_t blen = 0;
  const char *body = gale_http_server_request_body(req, &blen);
  if (blen < sizeof(f->last_body)) {
    memcpy(f->last_body, body, blen);
    f->last_body_len = blen;
  }
  if (strcmp(path, "/echo") == 0) {
    gale_http_server_request_printf(req, "%zu:", blen);
    gale_http_server_request_write(req, body, blen);
  } else if (strcmp(path, "/chunked") == 0) {
    gale_http_server_request_write(req, "part1,", 6);
    gale_http_server_request_flush(req);
    gale_http_server_request_write(req, "part2", 5);
  } else if (strcmp(path, "/big") == 0) {
    gale_http_server_request_set_header(req, "Content-Type", "text/plain");
    for (int i = 0; i < 400; i++) gale_http_server_request_printf(req, "line %04d of text\n", i);
  } else if (strcmp(path, "/huge") == 0) {
    static char block[65536];
    memset(block, 'h', sizeof(block));
    gale_http_server_request_write(req, block, sizeof(block));
  } else if (strcmp(path, "/async") == 0) {
    f->held = req;
    gale_http_server_request_set_close_cb(req, NULL, NULL);
    return; /* finished later */
  } else if (strcmp(path, "/streamtext") == 0) {
    /* A streamed text answer: gzipped chunk by chunk when accepted. */
    gale_http_server_request_set_header(req, "Content-Type", "text/plain");
    gale_http_server_request_write(req, "part1,", 6);
    gale_http_server_request_flush(req);
    f->held = req;
    return; /* finished later by finish_held */
  } else if (strcmp(path, "/nocontent") == 0) {
    gale_http_server_request_set_status(req, 204, NULL);
  } else if (strcmp(path, "/free") == 0) {
    /* Freeing the server from inside its own callback. */
    freed_in_cb = 1;
    gale_http_server_free(f->server);
    f->server = NULL;
    return;
  } else if (strcmp(path, "/query") == 0) {
    gale_http_server_request_printf(req, "%s|%s|%s", gale_http_server_request_path(req),
                                    gale_http_server_request_query(req),
                                    gale_http_server_request_host(req));
  } else {
    gale_http_server_request_write(req, "Hello, world", 12);
  }
  gale_http_server_request_finish(req);
}

static int on_body_chunk(gale_http_server_request *req, const char *data, size_t len, void *arg) {
  fixture *f = arg;
  (void)req;
  (void)data;
  f->streamed += len;
  f->stream_calls++;
  return GALE_OK;
}

static void on_headers(gale_http_server_request *req, void *arg) {
  fixture *f = arg;
  const char *path = gale_http_server_request_path(req);
  if (strcmp(path, "/stream") == 0) gale_http_server_request_stream_body(req, on_body_chunk, f);
  if (strcmp(path, "/deny") == 0) {
    gale_http_server_request_set_status(req, 401, NULL);
    gale_http_server_request_finish(req);
  }
}

static void start(fixture *f, const gale_http_server_options *opts) {
  memset(f, 0, sizeof(*f));
  F = f;
  f->fds_before = th_count_fds();
  f->loop = gale_loop_new();
  assert_non_null(f->loop);
  gale_http_server_options o;
  if (opts)
    o = *opts;
  else
    gale_http_server_options_init(&o);
  if (!o.headers_cb) o.headers_cb = on_headers;
  o.access_log = false;
  assert_int_equal(gale_http_server_new(f->loop, &o, on_request, f, &f->server), GALE_OK);
  assert_int_equal(gale_http_server_listen(f->server, 0, "127.0.0.1"), GALE_OK);
  f->port = gale_http_server_port(f->server);
  assert_true(f->port > 0);
}

static void stop(fixture *f) {
  if (f->server) gale_http_server_free(f->server);
  th_run_for(f->loop, 0.05); /* connections finish closing */
  gale_loop_free(f->loop);
  assert_int_equal(th_count_fds(), f->fds_before);
}

static void opts_small(gale_http_server_options *o) {
  gale_http_server_options_init(o);
  o->max_uri_size = 1024;
  o->max_header_size = 4096;
  o->max_header_count = 20;
  o->max_body_size = 1000;
}

/* ---- basics ------------------------------------------------------------------ */

static void test_get_keepalive(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "Hello, world");
  assert_true(tresp_header(&r, "Date", NULL, 0));
  assert_false(tresp_header(&r, "Connection", NULL, 0));
  tresp_free(&r);
  tc_send(&c, "GET /query?a=1&b=2 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 2, 5);
  tc_get(&c, 1, false, &r);
  assert_string_equal(r.body, "/query|a=1&b=2|example.com:8080");
  tresp_free(&r);
  assert_false(c.eof);
  assert_int_equal(gale_http_server_connection_count(f.server), 1);
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, gale_http_server_connection_count(f.server) == 0, 5);
  stop(&f);
}

/* Accepted connections have TCP_NODELAY: a head and a sendfile body are
 * two writes, and Nagle would hold the second for the peer's delayed ACK. */
static void test_nodelay(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  int found = 0;
  for (int fd = 3; fd < 1024; fd++) {
    struct sockaddr_in local, peer;
    socklen_t ll = sizeof(local), pl = sizeof(peer);
    int on = 0;
    socklen_t ol = sizeof(on);
    if (fd == c.fd || getsockname(fd, (struct sockaddr *)&local, &ll) != 0 ||
        local.sin_family != AF_INET || ntohs(local.sin_port) != f.port ||
        getpeername(fd, (struct sockaddr *)&peer, &pl) != 0)
      continue;
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &ol), 0);
    assert_true(on);
    found++;
  }
  assert_int_equal(found, 1);
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, gale_http_server_connection_count(f.server) == 0, 5);
  stop(&f);
}

static void test_absolute_form(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET http://other.example/query?z=9 HTTP/1.1\r\nHost: x\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "/query|z=9|other.example");
  tresp_free(&r);
  tc_close(&c);
  stop(&f);
}

/* ---- malformed and smuggling requests ----------------------------------------- */

struct bad_case {
  const char *name;
  const char *request;
  int status;
};

static const struct bad_case bad_cases[] = {
    {"CL+TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
    {"two CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400},
    {"CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", 400},
    {"CL sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400},
    {"CL hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello", 400},
    {"CL empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400},
    {"CL overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
    {"CL too big", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", 413},
    {"TE unknown", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
    {"TE not last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
    {"TE twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
    {"TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
    {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n  b\r\n\r\n", 400},
    {"bare LF", "GET / HTTP/1.1\nHost: a\n\n", 400},
    {"bare CR", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400},
    {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
    {"NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400},
    {"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
    {"two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"bad Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
    {"version 2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
    {"version 0.9", "GET /\r\n\r\n", 400},
    {"double space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"bad method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"star not OPTIONS", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"Expect other", "POST / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx", 417},
    {"bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
    {"chunk 0x", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400},
    {"chunk overflow", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 400},
    {"chunk no CRLF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400},
    {"chunked too big", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n", 413},
    {"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 501},
    {"bad name char", "GET / HTTP/1.1\r\nHost: a\r\nX(Y): z\r\n\r\n", 400},
    {"non-ASCII name", "GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: z\r\n\r\n", 400},
    {"DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400},
    {"ESC in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n", 400},
    {"bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400},
    {"bare LF in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\nb\r\n\r\n", 400},
    {"fold first line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},
    {"target high byte", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"target fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
    {"Host bad port", "GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n", 400},
    {"Host userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400},
    {"absolute userinfo", "GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"TE identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 400},
    {"TE vertical tab", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \x0b" "chunked\r\n\r\n", 400},
    {"TE space before colon", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n", 400},
    {"chunk size sign", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", 400},
    {"chunk size space", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", 400},
    {"chunk size empty", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", 400},
    {"chunk ext bare CR", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\rc\r\nhello\r\n0\r\n\r\n", 400},
    {"chunk ext bad char", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a(b\r\nhello\r\n0\r\n\r\n", 400},
    {"chunk bare LF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400},
    {"chunk data LF only", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", 400},
    {"chunk 17 digits", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n", 400},
    {"chunked sum too big", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
     "1f4\r\n" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"
     "1f5\r\n", 413},
    {"HTTP/1.1 bare request", "GET / HTTP/1.1\r\n\r\n", 400},
    {"TLS handshake", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400},
};

static void test_malformed_table(void **state) {
  (void)state;
  gale_http_server_options o;
  opts_small(&o);
  fixture f;
  start(&f, &o);
  for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
    const struct bad_case *bc = &bad_cases[i];
    tclient c;
    tc_open(&c, f.port);
    size_t n = strlen(bc->request);
    if (strcmp(bc->name, "NUL in value") == 0) n = 35; /* past the NUL */
    tc_sendn(&c, bc->request, n);
    double end = th_now() + 5;
    while (!(tc_poll(&c), c.eof) && th_now() < end) gale_loop_run_once(f.loop, 0.05);
    if (!c.eof) fail_msg("%s: connection not closed: %s", bc->name, c.buf);
    tresp r;
    size_t used = parse_resp(c.buf, c.len, true, false, &r);
    if (!used) fail_msg("%s: no response: %s", bc->name, c.buf);
    if (r.status != bc->status)
      fail_msg("%s: expected %d, got %d (%s)", bc->name, bc->status, r.status, r.body);
    char v[32];
    assert_true(tresp_header(&r, "Connection", v, sizeof(v)));
    assert_string_equal(v, "close");
    tresp_free(&r);
    tc_close(&c);
  }
  assert_int_equal(f.requests, 0);
  TH_RUN_UNTIL(f.loop, gale_http_server_connection_count(f.server) == 0, 5);
  stop(&f);
}

static void test_limits(void **state) {
  (void)state;
  gale_http_server_options o;
  opts_small(&o);
  fixture f;
  start(&f, &o);
  char *big = malloc(8192);
  struct {
    const char *what;
    int status;
  } cases[] = {{"uri", 414}, {"header", 431}, {"count", 431}};
  for (size_t k = 0; k < 3; k++) {
    size_t n = 0;
    if (k == 0) {
      n += (size_t)sprintf(big, "GET /");
      memset(big + n, 'a', 2000);
      n += 2000;
      n += (size_t)sprintf(big + n, " HTTP/1.1\r\nHost: a\r\n\r\n");
    } else if (k == 1) {
      n += (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
      memset(big + n, 'b', 5000);
      n += 5000;
      n += (size_t)sprintf(big + n, "\r\n\r\n");
    } else {
      n += (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\n");
      for (int i = 0; i < 30; i++) n += (size_t)sprintf(big + n, "X-%d: y\r\n", i);
      n += (size_t)sprintf(big + n, "\r\n");
    }
    tclient c;
    tc_open(&c, f.port);
    tc_sendn(&c, big, n);
    TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
    tresp r;
    assert_true(parse_resp(c.buf, c.len, true, false, &r) > 0);
    if (r.status != cases[k].status)
      fail_msg("%s: expected %d got %d", cases[k].what, cases[k].status, r.status);
    tresp_free(&r);
    tc_close(&c);
  }
  /* Checked before buffering: an unterminated target or header line gets
   * its answer as soon as it passes the limit, not at the header deadline. */
  for (size_t k = 0; k < 2; k++) {
    size_t n = (size_t)sprintf(big, k == 0 ? "GET /" : "GET / HTTP/1.1\r\nHost: a\r\nX: ");
    memset(big + n, 'c', 6000);
    n += 6000;
    tclient c;
    tc_open(&c, f.port);
    tc_sendn(&c, big, n);
    TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
    tresp r;
    assert_true(parse_resp(c.buf, c.len, true, false, &r) > 0);
    assert_int_equal(r.status, k == 0 ? 414 : 431);
    tresp_free(&r);
    tc_close(&c);
  }
  free(big);
  stop(&f);
}

/* ---- pipelining ----------------------------------------------------------------- */

static void test_pipelining(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  char req[4096];
  size_t n = 0;
  for (int i = 0; i < 10; i++)
    n += (size_t)sprintf(req + n, "GET /query?i=%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
  tc_sendn(&c, req, n);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 10, 5);
  for (int i = 0; i < 10; i++) {
    tresp r;
    tc_get(&c, i, false, &r);
    char want[64];
    sprintf(want, "/query|i=%d|h", i);
    assert_string_equal(r.body, want);
    tresp_free(&r);
  }
  /* All ten answers left in one write: the client saw one read. */
  assert_int_equal(c.reads, 1);
  tc_close(&c);
  stop(&f);
}

static void test_pipelining_then_bad(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c,
          "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
          "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
          "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
          "GET /c HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
          "GET /d HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_int_equal(tc_count(&c), 4);
  tresp r;
  tc_get(&c, 1, false, &r);
  assert_string_equal(r.body, "3:abc");
  tresp_free(&r);
  tc_get(&c, 3, false, &r);
  assert_int_equal(r.status, 400);
  tresp_free(&r);
  assert_int_equal(f.requests, 3);
  tc_close(&c);
  stop(&f);
}

/* ---- bodies ----------------------------------------------------------------------- */

static void test_chunked_request(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  th_run_for(f.loop, 0.05);
  tc_send(&c, "6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "11:hello world");
  tresp_free(&r);
  tc_close(&c);
  stop(&f);
}

static void test_body_split_everywhere(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  const char *msg = "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789";
  tclient c;
  tc_open(&c, f.port);
  for (size_t i = 0; msg[i]; i++) {
    tc_sendn(&c, msg + i, 1);
    gale_loop_run_once(f.loop, 0);
  }
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "10:0123456789");
  tresp_free(&r);
  tc_close(&c);
  stop(&f);
}

static void test_chunked_response(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /chunked HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 2, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  char v[32];
  assert_true(tresp_header(&r, "Transfer-Encoding", v, sizeof(v)));
  assert_string_equal(v, "chunked");
  assert_string_equal(r.body, "part1,part2");
  tresp_free(&r);
  tc_close(&c);
  stop(&f);
}

static void test_streamed_body(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  char *body = malloc(300000);
  memset(body, 'z', 300000);
  tc_send(&c, "PUT /stream HTTP/1.1\r\nHost: h\r\nContent-Length: 300000\r\n\r\n");
  tc_sendn(&c, body, 300000);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 10);
  assert_int_equal(f.streamed, 300000);
  assert_int_equal(f.last_body_len, 0); /* not buffered */
  free(body);
  tc_close(&c);
  stop(&f);
}

static void test_100_continue(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), strstr(c.buf, "\r\n\r\n") != NULL), 5);
  assert_memory_equal(c.buf, "HTTP/1.1 100 Continue\r\n\r\n", 25);
  c.len = 0;
  tc_send(&c, "data");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "4:data");
  tresp_free(&r);
  tc_close(&c);

  /* Answered from the headers: no 100 Continue, and the connection closes
   * since the body was not read. */
  tc_open(&c, f.port);
  tc_send(&c, "POST /deny HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tc_get(&c, 0, false, &r);
  assert_int_equal(r.status, 401);
  assert_null(strstr(c.buf, "100 Continue"));
  tresp_free(&r);
  tc_close(&c);
  stop(&f);
}

static void test_head_and_204(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET /nocontent HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), strstr(c.buf, "Hello, world") != NULL), 5);
  tresp r;
  tc_get(&c, 0, true, &r);
  char v[32];
  assert_int_equal(r.status, 200);
  assert_true(tresp_header(&r, "Content-Length", v, sizeof(v)));
  assert_string_equal(v, "12");
  tresp_free(&r);
  size_t hl = strstr(c.buf, "\r\n\r\n") - c.buf + 4;
  assert_memory_equal(c.buf + hl, "HTTP/1.1 204", 12);
  tc_close(&c);
  stop(&f);
}

/* HEAD of a streamed response (flushed before finish, so GET is chunked)
 * carries GET's framing and no body; the connection goes on. */
static void test_head_streamed(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) >= 1, 5);
  tresp r;
  char v[64];
  tc_get(&c, 0, false, &r);
  assert_true(tresp_header(&r, "Transfer-Encoding", v, sizeof(v)));
  assert_string_equal(v, "chunked");
  assert_string_equal(r.body, "part1,part2");
  tresp_free(&r);
  tc_close(&c);

  tc_open(&c, f.port);
  tc_send(&c, "HEAD /chunked HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), strstr(c.buf, "Hello, world") != NULL), 5);
  tc_get(&c, 0, true, &r);
  assert_int_equal(r.status, 200);
  assert_true(tresp_header(&r, "Transfer-Encoding", v, sizeof(v)));
  assert_string_equal(v, "chunked");
  assert_false(tresp_header(&r, "Content-Length", NULL, 0));
  assert_false(tresp_header(&r, "Connection", NULL, 0));
  tresp_free(&r);
  size_t hl = (size_t)(strstr(c.buf, "\r\n\r\n") - c.buf) + 4;
  assert_memory_equal(c.buf + hl, "HTTP/1.1 200 OK\r\n", 17); /* no chunk bytes between */
  tc_close(&c);

  /* HTTP/1.0: GET would be close-delimited; HEAD has no body, and closes
   * as GET would. */
  tc_open(&c, f.port);
  tc_send(&c, "HEAD /chunked HTTP/1.0\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_false(strstr(c.buf, "part1") != NULL);
  hl = (size_t)(strstr(c.buf, "\r\n\r\n") - c.buf) + 4;
  assert_int_equal(c.len, hl);
  tc_close(&c);
  stop(&f);
}

/* Error answers of the server itself to HEAD: the status and
 * Content-Length GET gets, no body (RFC 9112 §6.3). */
static const struct head_error_case {
  const char *name;
  const char *rest; /* after the method */
  int status;
} head_error_cases[] = {
    {"no Host", " / HTTP/1.1\r\n\r\n", 400},
    {"bad Host", " / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
    {"CL too big", " / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", 413},
    {"TE unknown", " / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
    {"version 2", " / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
    {"Expect other", " / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx", 417},
    {"many headers", " / HTTP/1.1\r\nHost: a\r\n"
     "A: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\n"
     "A: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\n\r\n", 431},
};

/* Sends `method` + `rest`, waits for the close, parses the answer. */
static void error_answer(fixture *f, const char *method, const char *rest, tclient *c, tresp *r) {
  char raw[2048];
  snprintf(raw, sizeof(raw), "%s%s", method, rest);
  tc_open(c, f->port);
  tc_send(c, raw);
  TH_RUN_UNTIL(f->loop, (tc_poll(c), c->eof), 5);
  size_t used = parse_resp(c->buf, c->len, true, strcmp(method, "HEAD") == 0, r);
  if (!used) fail_msg("%s: no response: %s", rest, c->buf);
}

static void test_head_errors(void **state) {
  (void)state;
  gale_http_server_options o;
  opts_small(&o);
  fixture f;
  start(&f, &o);
  for (size_t i = 0; i < sizeof(head_error_cases) / sizeof(head_error_cases[0]); i++) {
    const struct head_error_case *hc = &head_error_cases[i];
    tclient cg, ch;
    tresp rg, rh;
    char lg[32], lh[32];
    error_answer(&f, "GET", hc->rest, &cg, &rg);
    error_answer(&f, "HEAD", hc->rest, &ch, &rh);
    if (rg.status != hc->status || rh.status != hc->status)
      fail_msg("%s: GET %d, HEAD %d, want %d", hc->name, rg.status, rh.status, hc->status);
    assert_true(rg.body_len > 0);
    assert_true(tresp_header(&rg, "Content-Length", lg, sizeof(lg)));
    assert_true(tresp_header(&rh, "Content-Length", lh, sizeof(lh)));
    assert_string_equal(lg, lh);
    size_t hl = strlen(rh.head);
    if (ch.len != hl) fail_msg("%s: HEAD answer has a body: %s", hc->name, ch.buf + hl);
    tresp_free(&rg);
    tresp_free(&rh);
    tc_close(&cg);
    tc_close(&ch);
  }
  assert_int_equal(f.requests, 0);
  stop(&f);
}

/* The bytes of an error answer: status line, Date, type, length, close,
 * then the text page (none for HEAD). */
static void test_error_answer_bytes(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  static const char *const methods[] = {"GET", "HEAD"};
  for (int m = 0; m < 2; m++) {
    tclient c;
    tresp r;
    error_answer(&f, methods[m], " / HTTP/1.1\r\n\r\n", &c, &r);
    const char *date = strstr(c.buf, "\r\nDate: ");
    assert_non_null(date);
    const char *date_end = strstr(date + 2, "\r\n");
    char got[1024];
    snprintf(got, sizeof(got), "%.*s%s", (int)(date - c.buf), c.buf, date_end);
    const char *detail = "missing Host";
    char page[256], want[1024];
    int plen = snprintf(page, sizeof(page), "400 Bad Request: %s\n", detail);
    snprintf(want, sizeof(want),
             "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
             "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
             plen, m == 0 ? page : "");
    assert_string_equal(got, want);
    tresp_free(&r);
    tc_close(&c);
  }
  stop(&f);
}

static int inflate_all(const char *in, size_t len, char *out, size_t cap) {
  z_stream z;
  memset(&z, 0, sizeof(z));
  inflateInit2(&z, 16 + 15);
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)len;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)cap;
  int rc = inflate(&z, Z_FINISH);
  int n = (int)z.total_out;
  inflateEnd(&z);
  return rc == Z_STREAM_END ? n : -1;
}

static void test_gzip(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.compress_response = true;
  o.decompress_request = true;
  fixture f;
  start(&f, &o);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /big HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip, deflate\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  char v[64];
  assert_true(tresp_header(&r, "Content-Encoding", v, sizeof(v)));
  assert_string_equal(v, "gzip");
  assert_true(tresp_header(&r, "Vary", v, sizeof(v)));
  char *plain = malloc(20000);
  int n = inflate_all(r.body, r.body_len, plain, 20000);
  assert_int_equal(n, 400 * 18);
  assert_memory_equal(plain, "line 0000 of text\n", 18);
  assert_true(r.body_len < 2000);
  tresp_free(&r);

  /* Not accepted: plain. */
  c.len = 0;
  tc_send(&c, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_get(&c, 0, false, &r);
  assert_false(tresp_header(&r, "Content-Encoding", NULL, 0));
  assert_int_equal(r.body_len, 7200);
  tresp_free(&r);

  /* A gzip request body is inflated for the handler. */
  char gz[256];
  z_stream z;
  memset(&z, 0, sizeof(z));
  deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (Bytef *)"compressed body!";
  z.avail_in = 16;
  z.next_out = (Bytef *)gz;
  z.avail_out = sizeof(gz);
  deflate(&z, Z_FINISH);
  size_t gzlen = z.total_out;
  deflateEnd(&z);
  c.len = 0;
  char head[256];
  sprintf(head, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", gzlen);
  tc_send(&c, head);
  tc_sendn(&c, gz, gzlen);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "16:compressed body!");
  tresp_free(&r);
  free(plain);
  tc_close(&c);
  stop(&f);
}

/* ---- connection management ------------------------------------------------------ */

static void test_http10(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.0\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "Hello, world");
  tresp_free(&r);
  tc_close(&c);

  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_get(&c, 0, false, &r);
  char v[32];
  assert_true(tresp_header(&r, "Connection", v, sizeof(v)));
  assert_string_equal(v, "keep-alive");
  tresp_free(&r);
  tc_send(&c, "GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  /* No length and no chunked in 1.0: the body ends at close. */
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tc_get(&c, 1, false, &r);
  assert_string_equal(r.body, "part1,part2");
  tresp_free(&r);
  tc_close(&c);

  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tc_get(&c, 0, false, &r);
  assert_true(tresp_header(&r, "Connection", v, sizeof(v)));
  assert_string_equal(v, "close");
  tresp_free(&r);
  tc_close(&c);
  stop(&f);
}

static void test_timeouts(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.header_timeout = 0.3;
  o.body_timeout = 0.3;
  o.idle_connection_timeout = 0.5;
  fixture f;
  start(&f, &o);
  /* Slowloris: a head that never ends. */
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_int_equal(r.status, 408);
  tresp_free(&r);
  tc_close(&c);
  /* A body that stops coming. */
  tc_open(&c, f.port);
  tc_send(&c, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tc_get(&c, 0, false, &r);
  assert_int_equal(r.status, 408);
  tresp_free(&r);
  tc_close(&c);
  /* An idle keep-alive connection. */
  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_int_equal(tc_count(&c), 1);
  tc_close(&c);
  assert_int_equal(f.requests, 1);
  stop(&f);
}

static void finish_held(gale_loop *loop, void *arg) {
  (void)loop;
  fixture *f = arg;
  gale_http_server_request_write(f->held, "late", 4);
  gale_http_server_request_finish(f->held);
  f->held = NULL;
}

static void held_closed(gale_http_server_request *req, int status, void *arg) {
  (void)req;
  fixture *f = arg;
  f->closes++;
  f->close_status = status;
  f->held = NULL;
}

static void test_async_and_close(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /async HTTP/1.1\r\nHost: h\r\n\r\nGET /query?after HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  assert_int_equal(gale_loop_call_later(f.loop, 0.05, finish_held, &f, NULL), GALE_OK);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 2, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "late");
  tresp_free(&r);
  tc_get(&c, 1, false, &r);
  assert_string_equal(r.body, "/query|after|h");
  tresp_free(&r);
  /* The client goes away while a request is held. */
  tc_send(&c, "GET /async HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  gale_http_server_request_set_close_cb(f.held, held_closed, &f);
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_true(f.close_status < 0);
  stop(&f);
}

static void test_xheaders(void **state) {
  (void)state;
  static const char *const trusted[] = {"10.0.0.1", NULL};
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.xheaders = true;
  o.trusted_downstream = trusted;
  fixture f;
  start(&f, &o);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4, 5.6.7.8, 10.0.0.1\r\nX-Forwarded-Proto: https\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  assert_string_equal(f.last_ip, "5.6.7.8");
  assert_string_equal(f.last_proto, "https");
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\nX-Real-IP: 2001:db8::1\r\nX-Scheme: gopher\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 2, 5);
  assert_string_equal(f.last_ip, "2001:db8::1");
  assert_string_equal(f.last_proto, "http");
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\nX-Real-IP: not-an-ip\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 3, 5);
  assert_string_equal(f.last_ip, "127.0.0.1");
  tc_close(&c);
  stop(&f);
}

static int shutdown_done;
static void on_shutdown(gale_http_server *s, void *arg) {
  (void)s;
  (void)arg;
  shutdown_done++;
}

static void test_graceful_shutdown(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient idle, busy;
  tc_open(&idle, f.port);
  tc_open(&busy, f.port);
  tc_send(&idle, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&idle) == 1, 5);
  tc_send(&busy, "GET /async HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  shutdown_done = 0;
  assert_int_equal(gale_http_server_shutdown(f.server, 5, on_shutdown, NULL), GALE_OK);
  TH_RUN_UNTIL(f.loop, (tc_poll(&idle), idle.eof), 5);
  assert_false((tc_poll(&busy), busy.eof));
  finish_held(f.loop, &f);
  TH_RUN_UNTIL(f.loop, (tc_poll(&busy), busy.eof), 5);
  tresp r;
  tc_get(&busy, 0, false, &r);
  assert_string_equal(r.body, "late");
  char v[16];
  assert_true(tresp_header(&r, "Connection", v, sizeof(v)));
  tresp_free(&r);
  TH_RUN_UNTIL(f.loop, shutdown_done == 1, 5);
  tc_close(&idle);
  tc_close(&busy);
  stop(&f);
}

static char logged[512];
static void log_sink(gale_log_level level, const char *domain, const char *msg, void *arg) {
  (void)level;
  (void)arg;
  if (domain && strcmp(domain, "access") == 0) snprintf(logged, sizeof(logged), "%s", msg);
}

static void test_access_log(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  fixture f;
  start(&f, &o);
  /* start() turned the log off; a server of our own with it on. */
  gale_http_server *s2;
  o.access_log = true;
  assert_int_equal(gale_http_server_new(f.loop, &o, on_request, &f, &s2), GALE_OK);
  assert_int_equal(gale_http_server_listen(s2, 0, "127.0.0.1"), GALE_OK);
  gale_log_set_sink(log_sink, NULL);
  tclient c;
  tc_open(&c, gale_http_server_port(s2));
  tc_send(&c, "GET /query?x HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  gale_log_set_sink(NULL, NULL);
  assert_non_null(strstr(logged, "200 GET /query?x (127.0.0.1) "));
  assert_non_null(strstr(logged, "ms"));
  tc_close(&c);
  gale_http_server_free(s2);
  stop(&f);
}


static void test_free_in_callback(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /free HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_int_equal(f.requests, 1);
  assert_null(f.server);
  tc_close(&c);
  stop(&f);
}

static void test_slow_reader(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c;
  memset(&c, 0, sizeof(c));
  c.cap = 1 << 20;
  c.buf = malloc(c.cap + 1);
  /* A small receive window, so the kernel cannot absorb the answers. */
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 4096;
  setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f.port)};
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(c.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
  /* 300 pipelined requests for 64 KiB each (19 MiB of answers) while the
   * client does not read: the server stops parsing at its high-water mark
   * instead of buffering everything, and resumes as the client reads. */
  const char *one_req = "GET /huge HTTP/1.1\r\nHost: h\r\n\r\n";
  size_t one = strlen(one_req);
  char *reqs = malloc(300 * one + 1);
  for (int i = 0; i < 300; i++) memcpy(reqs + i * one, one_req, one);
  tc_sendn(&c, reqs, 300 * one);
  free(reqs);
  th_run_for(f.loop, 0.3);
  assert_true(f.requests < 300);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 300, 30);
  assert_int_equal(f.requests, 300);
  tc_close(&c);
  stop(&f);
}

static void test_https(void **state) {
  (void)state;
  th_require_program("openssl");
  th_require_program("curl");
  char *dir = th_mkdtemp();
  assert_int_equal(th_system("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                             "-noenc -keyout key.pem -out cert.pem -subj /CN=localhost -days 2 "
                             "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1",
                             dir),
                   0);
  char cert[600], key[600];
  snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
  snprintf(key, sizeof(key), "%s/key.pem", dir);
  gale_tls_ctx *tls = NULL;
  int fds_before = th_count_fds();
  assert_int_equal(gale_tls_ctx_new_server(cert, key, NULL, &tls), GALE_OK);
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.tls = tls;
  fixture f;
  start(&f, &o);
  f.fds_before = fds_before;
  char cmd[1400], out[700];
  snprintf(out, sizeof(out), "%s/out", dir);
  snprintf(cmd, sizeof(cmd), "curl -s --max-time 10 --cacert %s https://127.0.0.1:%d/query?tls https://127.0.0.1:%d/ > %s 2>&1",
           cert, f.port, f.port, out);
  const char *argv[] = {"sh", "-c", cmd, NULL};
  pid_t pid = th_spawn(argv, NULL);
  int status = 0;
  bool done = false;
  for (double end = th_now() + 15; !done && th_now() < end;) {
    gale_loop_run_once(f.loop, 0.05);
    if (waitpid(pid, &status, WNOHANG) == pid) done = true;
  }
  assert_true(done);
  char *got = th_read_file(out, NULL);
  assert_non_null(got);
  assert_non_null(strstr(got, "/query|tls|127.0.0.1:"));
  assert_non_null(strstr(got, "Hello, world"));
  assert_string_equal(f.last_proto, "https");
  free(got);
  stop(&f);
  gale_tls_ctx_unref(tls);
  th_rmtree(dir);
}

static void test_defaults(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  assert_int_equal(o.max_header_size, 65536);
  assert_true(o.max_body_size == 100ull * 1024 * 1024);
  assert_true(o.idle_connection_timeout > 0);
  assert_true(o.header_timeout > 0);
  assert_true(o.body_timeout > 0);
  assert_true(o.write_timeout > 0);
  assert_true(o.max_requests_per_connection > 0);
  assert_true(o.access_log);
}

static void test_gzip_bomb(void **state) {
  (void)state;
  gale_http_server_options o;
  opts_small(&o); /* max_body_size 1000 */
  o.decompress_request = true;
  fixture f;
  start(&f, &o);
  /* 100 KB of zeros deflate to ~100 bytes: the limit is on the inflated size. */
  size_t plain_len = 100000;
  char *plain = calloc(1, plain_len);
  char gz[4096];
  z_stream z;
  memset(&z, 0, sizeof(z));
  deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (Bytef *)plain;
  z.avail_in = (uInt)plain_len;
  z.next_out = (Bytef *)gz;
  z.avail_out = sizeof(gz);
  assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
  size_t gzlen = z.total_out;
  deflateEnd(&z);
  free(plain);
  assert_true(gzlen < 1000);
  tclient c;
  tc_open(&c, f.port);
  char head[256];
  snprintf(head, sizeof(head), "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", gzlen);
  tc_send(&c, head);
  tc_sendn(&c, gz, gzlen);
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tresp r;
  assert_true(parse_resp(c.buf, c.len, true, false, &r) > 0);
  assert_int_equal(r.status, 413);
  tresp_free(&r);
  tc_close(&c);
  /* Garbage that claims to be gzip: 400. */
  tc_open(&c, f.port);
  tc_send(&c, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\nnot gzip!!");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_true(parse_resp(c.buf, c.len, true, false, &r) > 0);
  assert_int_equal(r.status, 400);
  tresp_free(&r);
  tc_close(&c);
  assert_int_equal(f.requests, 0);
  stop(&f);
}

static void test_max_requests_per_connection(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.max_requests_per_connection = 3;
  fixture f;
  start(&f, &o);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /query?1 HTTP/1.1\r\nHost: h\r\n\r\nGET /query?2 HTTP/1.1\r\nHost: h\r\n\r\n"
              "GET /query?3 HTTP/1.1\r\nHost: h\r\n\r\nGET /query?4 HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_int_equal(tc_count(&c), 3);
  tresp r;
  char v[16];
  tc_get(&c, 1, false, &r);
  assert_false(tresp_header(&r, "Connection", NULL, 0));
  tresp_free(&r);
  tc_get(&c, 2, false, &r);
  assert_string_equal(r.body, "/query|3|h");
  assert_true(tresp_header(&r, "Connection", v, sizeof(v)));
  assert_string_equal(v, "close");
  tresp_free(&r);
  assert_int_equal(f.requests, 3);
  tc_close(&c);
  stop(&f);
}

/* After an error the server drains what the client still sends (lingering
 * close), so the client reads the answer instead of a reset. */
static void test_lingering_close(void **state) {
  (void)state;
  gale_http_server_options o;
  opts_small(&o);
  fixture f;
  start(&f, &o);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000000\r\n\r\n");
  /* The body keeps coming after the 413 went out. */
  size_t junk_len = 256 * 1024;
  char *junk = malloc(junk_len);
  memset(junk, 'j', junk_len);
  gale_loop_run_once(f.loop, 0.05);
  tc_sendn(&c, junk, junk_len);
  free(junk);
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tresp r;
  assert_true(parse_resp(c.buf, c.len, true, false, &r) > 0);
  assert_int_equal(r.status, 413);
  assert_non_null(strstr(r.body, "413"));
  tresp_free(&r);
  tc_close(&c);
  stop(&f);
}

/* Slowloris: clients trickling an endless header section one byte at a
 * time are cut off by the header deadline, while a normal client is served
 * meanwhile. */
static void test_slowloris_trickle(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.header_timeout = 0.5;
  fixture f;
  start(&f, &o);
  enum { NSLOW = 8 };
  tclient slow[NSLOW];
  for (int i = 0; i < NSLOW; i++) {
    tc_open(&slow[i], f.port);
    tc_send(&slow[i], "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ");
  }
  double start_t = th_now();
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  bool served = false;
  int closed = 0;
  while (closed < NSLOW && th_now() < start_t + 5) {
    for (int i = 0; i < NSLOW; i++) {
      if (slow[i].eof) continue;
      tc_sendn(&slow[i], "a", 1); /* progress, but never the end */
      tc_poll(&slow[i]);
      if (slow[i].eof) closed++;
    }
    gale_loop_run_once(f.loop, 0.02);
    if (!served && (tc_poll(&c), tc_count(&c) == 1)) served = true;
  }
  assert_true(served);
  assert_int_equal(closed, NSLOW);
  assert_true(th_now() - start_t < 3);
  for (int i = 0; i < NSLOW; i++) {
    tresp r;
    assert_true(parse_resp(slow[i].buf, slow[i].len, true, false, &r) > 0);
    assert_int_equal(r.status, 408);
    tresp_free(&r);
    tc_close(&slow[i]);
  }
  tc_close(&c);
  stop(&f);
}

static void close_frees_server(gale_http_server_request *req, int status, void *arg) {
  (void)req;
  (void)status;
  fixture *f = arg;
  f->closes++;
  f->held = NULL;
  gale_http_server_free(f->server);
  f->server = NULL;
}

static void test_free_in_close_cb(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  tclient c, other;
  tc_open(&c, f.port);
  tc_open(&other, f.port);
  tc_send(&other, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&other) == 1, 5);
  tc_send(&c, "GET /async HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  gale_http_server_request_set_close_cb(f.held, close_frees_server, &f);
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_null(f.server);
  TH_RUN_UNTIL(f.loop, (tc_poll(&other), other.eof), 5);
  tc_close(&other);
  stop(&f);
}

/* A client that stops reading: the write deadline closes the connection
 * (and the server stops producing for it meanwhile). */
static void test_write_timeout(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.write_timeout = 0.3;
  fixture f;
  start(&f, &o);
  tclient c;
  memset(&c, 0, sizeof(c));
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 4096;
  setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f.port)};
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(c.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
  const char *one_req = "GET /huge HTTP/1.1\r\nHost: h\r\n\r\n";
  size_t one = strlen(one_req);
  char *reqs = malloc(100 * one);
  for (int i = 0; i < 100; i++) memcpy(reqs + i * one, one_req, one);
  tc_sendn(&c, reqs, 100 * one);
  free(reqs);
  TH_RUN_UNTIL(f.loop, f.requests > 0, 5);
  double t0 = th_now();
  TH_RUN_UNTIL(f.loop, gale_http_server_connection_count(f.server) == 0, 5);
  assert_true(th_now() - t0 >= 0.25);
  assert_true(f.requests < 100);
  close(c.fd);

  /* A client that reads slowly but steadily is not cut off. */
  tc_open(&c, f.port);
  tc_send(&c, "GET /huge HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_close(&c);
  stop(&f);
}

/* One server, one connection, three pipelined requests (a body, a chunked
 * answer, a query); returns the number of answers the client got. */
static int alloc_scenario(void) {
  fixture f;
  memset(&f, 0, sizeof(f));
  F = &f;
  int answers = -1;
  gale_loop *loop = gale_loop_new();
  if (!loop) return answers;
  f.loop = loop;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.access_log = false;
  o.headers_cb = on_headers;
  o.compress_response = true;
  gale_http_server *s = NULL;
  if (gale_http_server_new(loop, &o, on_request, &f, &s) == GALE_OK) {
    f.server = s;
    if (gale_http_server_listen(s, 0, "127.0.0.1") == GALE_OK) {
      tclient c;
      tc_open(&c, gale_http_server_port(s));
      tc_send(&c, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
                  "GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n"
                  "GET /big HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
      double end = th_now() + 2;
      while (th_now() < end && !(tc_poll(&c), c.eof) && tc_count(&c) < 3)
        gale_loop_run_once(loop, 0.02);
      answers = tc_count(&c);
      tc_close(&c);
    }
    gale_http_server_free(f.server);
  }
  th_run_for(loop, 0.02);
  gale_loop_free(loop);
  return answers;
}

/* HARDENING: the k-th allocation of the server fails, for each k; the
 * server answers what it can or closes, never crashes, leaks (ASan) or
 * leaves an fd behind.  Known limit of the stream layer: when its deferred
 * callback cannot be queued (out of memory) a closing stream never finishes
 * closing and stays allocated; each k runs first with the leak checker off
 * to spot that case, and again with it on otherwise. */
static void test_allocation_failures(void **state) {
  (void)state;
  int checked;
  long points = http_alloc_sweep(alloc_scenario, &checked);
  assert_true(points >= 5 && points < 9999);
  assert_true(checked > 5);
}

/* Trailers and chunk extensions are bounded (16 KiB of trailer section,
 * a bounded extension per chunk line); OPTIONS * is served. */
static void test_trailer_and_ext_limits(void **state) {
  (void)state;
  fixture f;
  start(&f, NULL);
  size_t big = 20000;
  char *buf = malloc(big + 512);
  for (int k = 0; k < 2; k++) {
    size_t n = (size_t)sprintf(buf, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    if (k == 0) {
      n += (size_t)sprintf(buf + n, "3\r\nabc\r\n0\r\nX-Trailer: ");
      memset(buf + n, 't', big);
      n += big;
      n += (size_t)sprintf(buf + n, "\r\n\r\n");
    } else {
      n += (size_t)sprintf(buf + n, "3;ext=");
      memset(buf + n, 'e', big);
      n += big;
      n += (size_t)sprintf(buf + n, "\r\nabc\r\n0\r\n\r\n");
    }
    tclient c;
    tc_open(&c, f.port);
    tc_sendn(&c, buf, n);
    TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
    tresp r;
    assert_true(parse_resp(c.buf, c.len, true, false, &r) > 0);
    if (r.status != 400)
      fail_msg("%s: got %d", k == 0 ? "trailer" : "chunk ext", r.status);
    tresp_free(&r);
    tc_close(&c);
  }
  free(buf);
  assert_int_equal(f.requests, 0);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  assert_int_equal(f.requests, 1);
  tc_close(&c);
  stop(&f);
}

/* Decodes the first chunk of a chunked body starting at `p` with a fresh
 * inflater (sync-flushed data must decode on its own). */
static int inflate_first_chunk(const char *p, char *out, size_t cap) {
  unsigned size = 0;
  if (sscanf(p, "%x", &size) != 1) return -1;
  const char *data = strstr(p, "\r\n");
  if (!data) return -1;
  data += 2;
  z_stream z;
  memset(&z, 0, sizeof(z));
  inflateInit2(&z, 16 + 15);
  z.next_in = (Bytef *)data;
  z.avail_in = size;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)cap;
  int rc = inflate(&z, Z_SYNC_FLUSH);
  int n = (int)z.total_out;
  inflateEnd(&z);
  return rc == Z_OK || rc == Z_STREAM_END ? n : -1;
}

static void test_gzip_streamed(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.compress_response = true;
  fixture f;
  start(&f, &o);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /streamtext HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  /* The first flush reaches the client decodable before the end. */
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), strstr(c.buf, "\r\n\r\n") && strstr(strstr(c.buf, "\r\n\r\n") + 4, "\r\n")), 5);
  assert_non_null(strstr(c.buf, "Content-Encoding: gzip\r\n"));
  assert_non_null(strstr(c.buf, "Transfer-Encoding: chunked\r\n"));
  char plain[64];
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), inflate_first_chunk(strstr(c.buf, "\r\n\r\n") + 4, plain, sizeof(plain)) == 6), 5);
  assert_memory_equal(plain, "part1,", 6);
  finish_held(f.loop, &f);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  int n = inflate_all(r.body, r.body_len, plain, sizeof(plain));
  assert_int_equal(n, 10);
  assert_memory_equal(plain, "part1,late", 10);
  tresp_free(&r);
  /* Not accepted: plain chunks. */
  c.len = 0;
  tc_send(&c, "GET /streamtext HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  finish_held(f.loop, &f);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_get(&c, 0, false, &r);
  assert_false(tresp_header(&r, "Content-Encoding", NULL, 0));
  assert_string_equal(r.body, "part1,late");
  tresp_free(&r);
  tc_close(&c);
  stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_get_keepalive),
      cmocka_unit_test(test_nodelay),
      cmocka_unit_test(test_absolute_form),
      cmocka_unit_test(test_malformed_table),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_pipelining),
      cmocka_unit_test(test_pipelining_then_bad),
      cmocka_unit_test(test_chunked_request),
      cmocka_unit_test(test_body_split_everywhere),
      cmocka_unit_test(test_chunked_response),
      cmocka_unit_test(test_streamed_body),
      cmocka_unit_test(test_100_continue),
      cmocka_unit_test(test_head_and_204), cmocka_unit_test(test_head_streamed),
      cmocka_unit_test(test_head_errors), cmocka_unit_test(test_error_answer_bytes),
      cmocka_unit_test(test_gzip),
      cmocka_unit_test(test_http10),
      cmocka_unit_test(test_timeouts),
      cmocka_unit_test(test_async_and_close),
      cmocka_unit_test(test_xheaders),
      cmocka_unit_test(test_graceful_shutdown),
      cmocka_unit_test(test_access_log),
      cmocka_unit_test(test_free_in_callback),
      cmocka_unit_test(test_slow_reader),
      cmocka_unit_test(test_https),
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_gzip_bomb),
      cmocka_unit_test(test_max_requests_per_connection),
      cmocka_unit_test(test_lingering_close),
      cmocka_unit_test(test_slowloris_trickle),
      cmocka_unit_test(test_free_in_close_cb),
      cmocka_unit_test(test_write_timeout),
      cmocka_unit_test(test_allocation_failures),
      cmocka_unit_test(test_trailer_and_ext_limits),
      cmocka_unit_test(test_gzip_streamed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
