/* SPDX-License-Identifier: MIT */
/* gale_http_client and what surrounds the exchange, against the scripted
 * server (scripted_server.h): defaults, the error and header callbacks,
 * idle timeout and FIFO order of the queue, DNS errors and timeouts from a
 * scripted DNS server, TLS timeouts, source address and address family,
 * timing phases, proxy failures, the debug callback, IPv6 literals and
 * max_idle_per_host. */
#include "scripted_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <zlib.h>

#include "gale/http_client.h"
#include "gale/httputil.h"
#include "gale/resolver.h"

static srv S; /* the running test's scripted server */

static int setup(void **state) { return srv_setup(state, &S); }
static int teardown(void **state) { return srv_teardown(state, &S); }
static const char *url(client_fx *f, const char *path) { return srv_url(f, &S, path); }
static cf_result *get(client_fx *f, const char *path) { return srv_get(f, &S, path); }

/* ---- audit additions (issue #6, HARDENING.md) ----------------------------- */

static void test_defaults(void **state) {
  gale_http_request req;
  gale_http_client_options o;
  (void)state;
  gale_http_request_init(&req, "http://x/");
  assert_true(req.connect_timeout == 20.0 && req.request_timeout == 20.0);
  assert_true(req.follow_redirects);
  assert_int_equal(req.max_redirects, 5);
  assert_true(req.decompress_response && req.validate_cert && req.allow_ipv6);
  assert_false(req.expect_100_continue || req.raise_error);
  assert_string_equal(req.method, "GET");
  gale_http_client_options_init(&o);
  assert_int_equal(o.max_clients, 10);
}

static void test_raise_error_callback(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  gale_http_request_init(&req, url(f, "/404"));
  req.raise_error = true;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_STATUS);
  assert_int_equal(r->code, 404); /* the response still comes along */
  assert_string_equal(r->body, "nope");
  assert_non_null(strstr(r->error, "404"));
  free(r);
  gale_http_request_init(&req, url(f, "/hello"));
  req.raise_error = true;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  free(r);
}

typedef struct lines {
  int n;
  char all[2048];
} lines;

static void on_header_line(const char *line, size_t len, void *arg) {
  lines *l = arg;
  size_t have = strlen(l->all);
  l->n++;
  if (have + len < sizeof l->all) {
    memcpy(l->all + have, line, len);
    l->all[have + len] = '\0';
  }
}

static void test_header_callback(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  lines l;
  cf_result *r;
  memset(&l, 0, sizeof l);
  gale_http_request_init(&req, url(f, "/hello"));
  req.header_callback = on_header_line;
  req.header_callback_arg = &l;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(l.n, 5);
  assert_string_equal(l.all,
                      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: a\r\nX-Test: b\r\n\r\n");
  free(r);
  /* Only the final response of a redirect chain and no interim 1xx. */
  memset(&l, 0, sizeof l);
  gale_http_request_init(&req, url(f, "/r302"));
  req.header_callback = on_header_line;
  req.header_callback_arg = &l;
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 200);
  assert_int_equal(strncmp(l.all, "HTTP/1.1 200 OK\r\n", 17), 0);
  assert_null(strstr(l.all, "302"));
  free(r);
  memset(&l, 0, sizeof l);
  gale_http_request_init(&req, url(f, "/interim"));
  req.header_callback = on_header_line;
  req.header_callback_arg = &l;
  r = cf_fetch(f, &req);
  assert_null(strstr(l.all, "103"));
  assert_non_null(strstr(l.all, "HTTP/1.1 200 OK\r\n"));
  free(r);
}

static void test_idle_timeout(void **state) {
  client_fx *f = *state;
  gale_http_client_options o;
  gale_http_client *c;
  gale_http_request req;
  cf_result res[2];
  memset(res, 0, sizeof res);
  gale_http_client_options_init(&o);
  o.idle_timeout = 0.2;
  assert_int_equal(gale_http_client_new(f->loop, &o, &c), GALE_OK);
  gale_http_request_init(&req, url(f, "/hello"));
  assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[0], NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res[0].done, 5);
  assert_int_equal(gale_http_client_idle_connections(c), 1);
  /* The pooled connection is closed by the client once idle too long. */
  TH_RUN_UNTIL(f->loop, gale_http_client_idle_connections(c) == 0 && S.conns == NULL, 5);
  assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[1], NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res[1].done, 5);
  assert_int_equal(res[1].status, GALE_OK);
  assert_false(res[1].reused);
  assert_int_equal(S.accepted, 2);
  gale_http_client_free(c);
}

/* The idle timer is armed once and re-armed lazily when it fires: a
 * connection used again while it ran stays its whole idle_timeout after
 * its last use, and is still closed then. */
static void test_idle_timeout_after_reuse(void **state) {
  client_fx *f = *state;
  gale_http_client_options o;
  gale_http_client *c;
  gale_http_request req;
  cf_result res[2];
  double put_again;
  memset(res, 0, sizeof res);
  gale_http_client_options_init(&o);
  o.idle_timeout = 0.3;
  assert_int_equal(gale_http_client_new(f->loop, &o, &c), GALE_OK);
  gale_http_request_init(&req, url(f, "/hello"));
  assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[0], NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res[0].done, 5);
  th_run_for(f->loop, 0.2);
  assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[1], NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res[1].done, 5);
  assert_true(res[1].reused);
  put_again = gale_loop_time(f->loop);
  /* Past the first arming's deadline: still pooled. */
  th_run_for(f->loop, 0.15);
  assert_int_equal(gale_http_client_idle_connections(c), 1);
  TH_RUN_UNTIL(f->loop, gale_http_client_idle_connections(c) == 0, 5);
  assert_true(gale_loop_time(f->loop) - put_again >= 0.29);
  assert_int_equal(S.accepted, 1);
  gale_http_client_free(c);
}

static int order_log[8], order_n;
static void on_resp_order(const gale_http_response *r, void *arg) {
  (void)r;
  order_log[order_n++] = (int)(intptr_t)arg;
}

static void test_queue_fifo(void **state) {
  client_fx *f = *state;
  gale_http_client_options o;
  gale_http_client *c;
  gale_http_request req;
  gale_http_client_options_init(&o);
  o.max_clients = 1;
  assert_int_equal(gale_http_client_new(f->loop, &o, &c), GALE_OK);
  order_n = 0;
  gale_http_request_init(&req, url(f, "/hello"));
  for (int i = 0; i < 6; i++)
    assert_int_equal(gale_http_client_fetch(c, &req, on_resp_order, (void *)(intptr_t)i, NULL),
                     GALE_OK);
  assert_int_equal(gale_http_client_queued(c), 6);
  TH_RUN_UNTIL(f->loop, order_n == 6, 10);
  for (int i = 0; i < 6; i++) assert_int_equal(order_log[i], i);
  /* One slot, one connection, reused by each in turn. */
  assert_int_equal(S.accepted, 1);
  gale_http_client_free(c);
}

/* Responses a hostile or broken server may send, each with its exact
 * outcome (HARDENING.md, "HTTP/1.1 responses (client)"). */
/* A DNS server on a UDP socket: answers NXDOMAIN, or nothing at all. */
typedef struct dns_srv {
  int fd, port;
  gale_watcher *w;
  bool silent;
  int queries;
} dns_srv;

static void on_dns(gale_watcher *w, int fd, int events, void *arg) {
  dns_srv *d = arg;
  unsigned char buf[512];
  struct sockaddr_storage from;
  socklen_t fl = sizeof from;
  ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  (void)w;
  (void)events;
  if (n < 12) return;
  d->queries++;
  if (d->silent) return;
  buf[2] = (unsigned char)(buf[2] | 0x80);              /* QR */
  buf[3] = (unsigned char)((buf[3] & 0x70) | 0x80 | 3); /* RA, NXDOMAIN */
  sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
}

static void dns_start(dns_srv *d, gale_loop *loop, bool silent) {
  struct sockaddr_in sin;
  socklen_t sl = sizeof sin;
  memset(d, 0, sizeof *d);
  d->silent = silent;
  d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(d->fd, (struct sockaddr *)&sin, sizeof sin), 0);
  getsockname(d->fd, (struct sockaddr *)&sin, &sl);
  d->port = ntohs(sin.sin_port);
  assert_int_equal(gale_watcher_new(loop, d->fd, GALE_READ, on_dns, d, &d->w), GALE_OK);
}

static void dns_stop(dns_srv *d) {
  gale_watcher_free(d->w);
  close(d->fd);
}

static void test_dns_errors(void **state) {
  client_fx *f = *state;
  gale_resolver_options ro;
  gale_resolver *res;
  gale_http_client_options o;
  gale_http_client *c;
  gale_http_request req;
  cf_result *r = calloc(1, sizeof *r);
  char servers[64];
  dns_srv d;
  for (int silent = 0; silent < 2; silent++) {
    dns_start(&d, f->loop, silent);
    snprintf(servers, sizeof servers, "127.0.0.1:%d", d.port);
    gale_resolver_options_init(&ro);
    ro.servers = servers;
    ro.tries = 1;
    assert_int_equal(gale_resolver_new(f->loop, &ro, &res), GALE_OK);
    gale_http_client_options_init(&o);
    o.resolver = res;
    assert_int_equal(gale_http_client_new(f->loop, &o, &c), GALE_OK);
    memset(r, 0, sizeof *r);
    gale_http_request_init(&req, "http://nowhere.example/");
    req.connect_timeout = 0.3;
    assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, r, NULL), GALE_OK);
    TH_RUN_UNTIL(f->loop, r->done, 5);
    if (r->status != (silent ? GALE_ETIMEDOUT_DNS : GALE_EDNS_NXDOMAIN))
      fail_msg("dns %s: got %s (%s)", silent ? "silent" : "nxdomain", gale_err_name(r->status),
               r->error);
    assert_non_null(strstr(r->error, "nowhere.example"));
    assert_true(d.queries > 0);
    if (silent) {
      /* Cancelled while resolving. */
      uint64_t id;
      int q = d.queries;
      memset(r, 0, sizeof *r);
      assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, r, &id), GALE_OK);
      TH_RUN_UNTIL(f->loop, d.queries > q, 5);
      assert_int_equal(gale_http_client_cancel(c, id), GALE_OK);
      TH_RUN_UNTIL(f->loop, r->done, 5);
      assert_int_equal(r->status, GALE_ECANCELLED);
    }
    gale_http_client_free(c);
    th_run_for(f->loop, 0.02);
    gale_resolver_free(res);
    dns_stop(&d);
  }
  free(r);
}

static void test_tls_timeout(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  /* The scripted server accepts and never answers a ClientHello. */
  snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d/", S.port);
  gale_http_request_init(&req, f->url);
  req.connect_timeout = 0.3;
  r = cf_fetch(f, &req);
  if (r->status != GALE_ETIMEDOUT_TLS)
    fail_msg("tls timeout: %s (%s)", gale_err_name(r->status), r->error);
  assert_non_null(strstr(r->error, "TLS handshake"));
  /* Cancelled, then the client freed, in the middle of the handshake. */
  for (int free_client = 0; free_client < 2; free_client++) {
    uint64_t id;
    int accepted = S.accepted;
    memset(r, 0, sizeof *r);
    gale_http_request_init(&req, f->url);
    assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, r, &id), GALE_OK);
    TH_RUN_UNTIL(f->loop, S.accepted > accepted && S.conns && S.conns->len > 0, 5);
    if (free_client) {
      gale_http_client_free(f->client);
      f->client = NULL;
    } else {
      assert_int_equal(gale_http_client_cancel(f->client, id), GALE_OK);
    }
    TH_RUN_UNTIL(f->loop, r->done, 5);
    assert_int_equal(r->status, GALE_ECANCELLED);
  }
  free(r);
}

static void test_source_address_and_family(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  /* Any 127/8 address is local on Linux: bind to another one. */
  gale_http_request_init(&req, url(f, "/peer"));
  req.network_interface = "127.0.0.2";
  r = cf_fetch(f, &req);
  if (r->status != GALE_OK) fail_msg("source: %s (%s)", gale_err_name(r->status), r->error);
  assert_string_equal(S.last_peer, "127.0.0.2");
  assert_string_equal(r->local_ip, "127.0.0.2");
  assert_string_equal(r->remote_ip, "127.0.0.1");
  free(r);
  /* The source address is part of the pool key. */
  r = get(f, "/peer");
  assert_false(r->reused);
  assert_string_equal(S.last_peer, "127.0.0.1");
  free(r);
  /* An address this host does not have. */
  gale_http_request_init(&req, url(f, "/peer"));
  req.network_interface = "192.0.2.1";
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EADDRNOTAVAIL);
  free(r);
  /* Not numeric: refused at once. */
  gale_http_request_init(&req, url(f, "/peer"));
  req.network_interface = "eth0";
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, NULL, NULL),
                   GALE_EINVAL);
  /* allow_ipv6 false: "localhost" goes to 127.0.0.1. */
  snprintf(f->url, sizeof f->url, "http://localhost:%d/peer", S.port);
  gale_http_request_init(&req, f->url);
  req.allow_ipv6 = false;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->remote_ip, "127.0.0.1");
  free(r);
  /* IPv6 only towards an IPv4 literal: no address of that family. */
  gale_http_request_init(&req, url(f, "/peer"));
  req.allow_ipv4 = false;
  r = cf_fetch(f, &req);
  assert_int_not_equal(r->status, GALE_OK);
  assert_true(strlen(r->error) > 0);
  free(r);
}

static void test_timing_phases(void **state) {
  client_fx *f = *state;
  cf_result *r;
  gale_http_request req;
  snprintf(f->url, sizeof f->url, "http://localhost:%d/hello", S.port);
  gale_http_request_init(&req, f->url);
  req.allow_ipv6 = false;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_true(r->t.dns >= 0 && r->t.connect > 0 && r->t.tls == 0);
  assert_true(r->t.first_byte > 0);
  assert_true(r->t.total >= r->t.queue + r->t.dns + r->t.connect + r->t.first_byte);
  free(r);
  /* A reused connection has no dns/connect phase. */
  r = cf_fetch(f, &req);
  assert_true(r->reused);
  assert_true(r->t.dns == 0 && r->t.connect == 0 && r->t.tls == 0);
  assert_true(r->t.first_byte > 0);
  free(r);
  /* Redirect hops are counted apart. */
  r = get(f, "/chain");
  assert_int_equal(r->redirects, 2);
  assert_true(r->t.redirect > 0 && r->t.total >= r->t.redirect);
  free(r);
}

static void test_proxy_failures(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  /* A "proxy" that answers CONNECT with an error (the scripted server
   * does not know the path): the status is in the error. */
  gale_http_request_init(&req, "https://origin.invalid/");
  req.proxy_host = "127.0.0.1";
  req.proxy_port = S.port;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_PROXY);
  assert_non_null(strstr(r->error, "500"));
  assert_non_null(strstr(S.last_head, "CONNECT origin.invalid:443 HTTP/1.1\r\n"));
  free(r);
  /* Plain http through it: absolute form, with proxy credentials. */
  gale_http_request_init(&req, "http://origin.invalid:8000/echo?x=1");
  req.proxy_host = "127.0.0.1";
  req.proxy_port = S.port;
  req.proxy_username = "pu";
  req.proxy_password = "pp";
  r = cf_fetch(f, &req);
  assert_non_null(strstr(S.last_head, "GET http://origin.invalid:8000/echo?x=1 HTTP/1.1\r\n"));
  assert_non_null(strstr(S.last_head, "Proxy-Authorization: Basic cHU6cHA=\r\n"));
  free(r);
  /* A direct connection is not reused for proxied requests (nor the
   * other way round), even to the same address: the pool key has the
   * proxy. */
  r = get(f, "/hello");
  free(r);
  gale_http_request_init(&req, url(f, "/hello"));
  req.proxy_host = "127.0.0.1";
  req.proxy_port = S.port;
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 200);
  assert_false(r->reused);
  assert_non_null(strstr(S.last_head, "GET http://127.0.0.1:"));
  free(r);
  r = get(f, "/hello");
  assert_true(r->reused);
  assert_non_null(strstr(S.last_head, "GET /hello HTTP/1.1"));
  free(r);
  /* A proxy that accepts and never answers CONNECT: connect_timeout,
   * which covers the tunnel. */
  {
    int port, lfd = cf_black_hole(&port);
    gale_http_request_init(&req, "https://origin.invalid/");
    req.proxy_host = "127.0.0.1";
    req.proxy_port = port;
    req.connect_timeout = 0.3;
    r = cf_fetch(f, &req);
    if (r->status != GALE_ETIMEDOUT_CONNECT)
      fail_msg("silent proxy: %s (%s)", gale_err_name(r->status), r->error);
    assert_non_null(strstr(r->error, "CONNECT"));
    free(r);
    close(lfd);
  }
}

typedef struct dbg {
  int info, out, in;
  bool connected;
} dbg;

static void on_debug(gale_http_debug_kind kind, const char *data, size_t len, void *arg) {
  dbg *d = arg;
  if (kind == GALE_HTTP_DEBUG_INFO) {
    d->info++;
    if (len >= 12 && memcmp(data, "Connected to", 12) == 0) d->connected = true;
  } else if (kind == GALE_HTTP_DEBUG_HEADER_OUT) {
    d->out++;
  } else {
    d->in++;
  }
}

static void test_debug_callback(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  dbg d;
  cf_result *r;
  memset(&d, 0, sizeof d);
  gale_http_request_init(&req, url(f, "/r302"));
  req.debug_callback = on_debug;
  req.debug_callback_arg = &d;
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 200);
  assert_true(d.connected);
  assert_int_equal(d.out, 2); /* both hops */
  assert_true(d.in >= 6);
  free(r);
}

static void test_ipv6_literal(void **state) {
  client_fx *f = *state;
  struct sockaddr_in6 sin6;
  socklen_t sl = sizeof sin6;
  gale_watcher *w;
  gale_http_request req;
  cf_result *r;
  int lfd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  memset(&sin6, 0, sizeof sin6);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_addr = in6addr_loopback;
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin6, sizeof sin6) != 0) {
    if (lfd >= 0) close(lfd);
    skip(); /* no IPv6 loopback here */
  }
  assert_int_equal(listen(lfd, 16), 0);
  getsockname(lfd, (struct sockaddr *)&sin6, &sl);
  /* The scripted server answers on this listener too. */
  assert_int_equal(gale_watcher_new(f->loop, lfd, GALE_READ, srv_on_accept, &S, &w), GALE_OK);
  snprintf(f->url, sizeof f->url, "http://[::1]:%d/echo", ntohs(sin6.sin6_port));
  gale_http_request_init(&req, f->url);
  r = cf_fetch(f, &req);
  if (r->status != GALE_OK) fail_msg("[::1]: %s (%s)", gale_err_name(r->status), r->error);
  assert_string_equal(r->remote_ip, "::1");
  {
    char host[64];
    snprintf(host, sizeof host, "Host: [::1]:%d\r\n", ntohs(sin6.sin6_port));
    assert_non_null(strstr(r->body, host));
  }
  free(r);
  /* IPv4 only cannot reach it. */
  gale_http_request_init(&req, f->url);
  req.allow_ipv6 = false;
  r = cf_fetch(f, &req);
  assert_int_not_equal(r->status, GALE_OK);
  free(r);
  srv_close_conns(&S);
  gale_watcher_free(w);
  close(lfd);
}

static void test_max_idle_per_host(void **state) {
  client_fx *f = *state;
  gale_http_client_options o;
  gale_http_client *c;
  gale_http_request req;
  cf_result res[3];
  memset(res, 0, sizeof res);
  gale_http_client_options_init(&o);
  o.max_idle_per_host = 1;
  assert_int_equal(gale_http_client_new(f->loop, &o, &c), GALE_OK);
  /* Three at once need three connections; only one is kept afterwards. */
  gale_http_request_init(&req, url(f, "/hello"));
  for (int i = 0; i < 3; i++)
    assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[i], NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res[0].done && res[1].done && res[2].done, 5);
  assert_int_equal(gale_http_client_connections_opened(c), 3);
  assert_int_equal(gale_http_client_idle_connections(c), 1);
  TH_RUN_UNTIL(f->loop, S.conns && !S.conns->next, 5); /* the others closed */
  gale_http_client_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_raise_error_callback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_header_callback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_idle_timeout_after_reuse, setup, teardown),
      cmocka_unit_test_setup_teardown(test_queue_fifo, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dns_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tls_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_source_address_and_family, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timing_phases, setup, teardown),
      cmocka_unit_test_setup_teardown(test_proxy_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_debug_callback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ipv6_literal, setup, teardown),
      cmocka_unit_test_setup_teardown(test_max_idle_per_host, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
