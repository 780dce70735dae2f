/* SPDX-License-Identifier: MIT */
/* The HTTP client's CONNECT tunnel (the shared http/wire/h1_tunnel.c)
 * against a scripted bad proxy: a 407 (credentials sent as Basic), a 502,
 * a close in the middle of the answer, a close before it, an answer that
 * is not HTTP, bytes after the 200, a silent proxy (connect_timeout); and
 * gale_h1_unfold, which the tunnel and the WebSocket client share. */
#include <stdlib.h>

#include "client_fixture.h"
#include "http/wire/h1_client.h"
#include "test_ws_bad_proxy.h"

static cf_result *through(client_fx *f, bproxy *p, bp_mode m, const char *user) {
  bp_start(p, f->loop, m);
  gale_http_request req;
  gale_http_request_init(&req, "https://origin.invalid:8443/x");
  req.proxy_host = "127.0.0.1";
  req.proxy_port = p->port;
  req.proxy_username = user;
  req.proxy_password = user ? "secret" : NULL;
  req.connect_timeout = 0.5;
  cf_result *r = cf_fetch(f, &req);
  assert_non_null(strstr(p->head, "CONNECT origin.invalid:8443 HTTP/1.1\r\n"));
  assert_non_null(strstr(p->head, "Host: origin.invalid:8443\r\n"));
  return r;
}

static void expect(bp_mode m, const char *user, int status, const char *in_error) {
  client_fx *f = cf_open(NULL);
  bproxy p;
  cf_result *r = through(f, &p, m, user);
  if (r->status != status || !strstr(r->error, in_error))
    fail_msg("mode %d: %s (%s), wanted %s with \"%s\"", (int)m, gale_err_name(r->status), r->error,
             gale_err_name(status), in_error);
  if (user)
    assert_non_null(strstr(p.head, "Proxy-Authorization: Basic dTpzZWNyZXQ=\r\n"));
  else
    assert_null(strstr(p.head, "Proxy-Authorization"));
  assert_int_equal(r->done, 1);
  free(r);
  bp_stop(&p);
  cf_close(f);
}

static void test_bad_proxies(void **state) {
  (void)state;
  expect(BP_407, NULL, GALE_EHTTP_PROXY, "407 Proxy Authentication Required");
  expect(BP_407, "u", GALE_EHTTP_PROXY, "requires authentication");
  expect(BP_502, NULL, GALE_EHTTP_PROXY, "answered 502 Bad Gateway to CONNECT");
  expect(BP_CLOSE_MID, NULL, GALE_EHTTP_HEAD_TRUNCATED, "in the middle of its answer");
  expect(BP_CLOSE, NULL, GALE_EOF, "before answering CONNECT");
  expect(BP_GARBAGE, NULL, GALE_EHTTP_PROXY, "bad answer from the proxy 127.0.0.1");
  expect(BP_EXTRA, NULL, GALE_EHTTP_PROXY, "sent data after its 200");
  expect(BP_SILENT, NULL, GALE_ETIMEDOUT_CONNECT, "did not answer CONNECT");
}

static void test_unfold(void **state) {
  (void)state;
  char head[] = "HTTP/1.1 200 OK\r\nA: b\r\n  c\r\nD: e\r\n\r\n";
  gale_h1_unfold_state st = {0, 0};
  /* In two pieces: the fold straddles the first. */
  gale_h1_unfold(head, 25, &st);
  gale_h1_unfold(head, sizeof head - 1, &st);
  assert_string_equal(head, "HTTP/1.1 200 OK\r\nA: b    c\r\nD: e\r\n\r\n");
  assert_int_equal(st.line_start, SIZE_MAX);
  /* A fold right after the status line continues nothing: left alone. */
  char bad[] = "HTTP/1.1 200 OK\r\n x\r\n\r\n";
  gale_h1_unfold_state st2 = {0, 0};
  gale_h1_unfold(bad, sizeof bad - 1, &st2);
  assert_string_equal(bad, "HTTP/1.1 200 OK\r\n x\r\n\r\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_proxies),
      cmocka_unit_test(test_unfold),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
