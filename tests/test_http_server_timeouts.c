/* SPDX-License-Identifier: MIT */
/* The HTTP/1.1 server against slow and greedy peers: header and body
 * timeouts, a slow reader, max requests per connection, the lingering
 * close, a slowloris trickle, the write timeout.  The server_fx:
 * server_fixture.h. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "server_fixture.h"
#include "test_http_server_util.h"

static void test_timeouts(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.header_timeout = 0.3;
  o.body_timeout = 0.3;
  o.idle_connection_timeout = 0.5;
  server_fx f;
  sf_start(&f, &o);
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
  sf_stop(&f);
}

/* The header deadline of a connection's first request counts from the
 * accept (nginx's client_header_timeout): a client that never sends a
 * byte is dropped after header_timeout, not idle_connection_timeout, and
 * one that starts late has only what is left of it.  Idleness between
 * keep-alive requests still waits the idle timeout. */
static void test_header_timeout_from_accept(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.header_timeout = 0.6;
  o.idle_connection_timeout = 3600;
  server_fx f;
  sf_start(&f, &o);
  tclient mute, late, keep;
  double t0 = th_now();
  tc_open(&mute, f.port);
  tc_open(&late, f.port);
  tc_open(&keep, f.port);
  tc_send(&keep, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&keep), tc_count(&keep) == 1), 5);
  th_run_for(f.loop, 0.4 - (th_now() - t0)); /* the late client waits */
  tc_send(&late, "GET / HTTP/1.1\r\nHost: h\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&late), late.eof), 5);
  /* From the first byte it would have had until t0 + 1.0. */
  assert_true(th_now() - t0 < 0.95);
  tresp r;
  assert_true(parse_resp(late.buf, late.len, true, false, &r) > 0);
  assert_int_equal(r.status, 408);
  tresp_free(&r);
  TH_RUN_UNTIL(f.loop, (tc_poll(&mute), mute.eof), 5);
  assert_int_equal(mute.len, 0); /* no request, no answer */
  /* The keep-alive connection has been idle past header_timeout. */
  th_run_for(f.loop, 1.3 - (th_now() - t0));
  tc_poll(&keep);
  assert_false(keep.eof);
  tc_send(&keep, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&keep), tc_count(&keep) == 2), 5);
  assert_int_equal(f.requests, 2);
  tc_close(&mute);
  tc_close(&late);
  tc_close(&keep);
  sf_stop(&f);
}

static void test_slow_reader(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
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
  sf_stop(&f);
}

static void test_max_requests_per_connection(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.max_requests_per_connection = 3;
  server_fx f;
  sf_start(&f, &o);
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
  sf_stop(&f);
}

/* After an error the server drains what the client still sends (lingering
 * close), so the client reads the answer instead of a reset. */
static void test_lingering_close(void **state) {
  (void)state;
  gale_http_server_options o;
  sf_opts_small(&o);
  server_fx f;
  sf_start(&f, &o);
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
  sf_stop(&f);
}

/* Slowloris: clients trickling an endless header section one byte at a
 * time are cut off by the header deadline, while a normal client is served
 * meanwhile. */
static void test_slowloris_trickle(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.header_timeout = 0.5;
  server_fx f;
  sf_start(&f, &o);
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
  sf_stop(&f);
}

/* A client that stops reading: the write deadline closes the connection
 * (and the server stops producing for it meanwhile). */
static void test_write_timeout(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.write_timeout = 0.3;
  server_fx f;
  sf_start(&f, &o);
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
  sf_stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_timeouts),        cmocka_unit_test(test_header_timeout_from_accept),
      cmocka_unit_test(test_slow_reader),     cmocka_unit_test(test_max_requests_per_connection),
      cmocka_unit_test(test_lingering_close), cmocka_unit_test(test_slowloris_trickle),
      cmocka_unit_test(test_write_timeout),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
