/* SPDX-License-Identifier: MIT */
/* gale_tcp_client: connects, Happy Eyeballs with a black-holed IPv6
 * address, refused and timed-out connects, DNS failures, cancel, source
 * address, futures, TLS against a gale TLS server stream, the phase hook. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "gale/resolver.h"
#include "gale/tcp_client.h"
#include "gale/tls.h"

struct fixture {
  gale_loop *loop;
  gale_resolver *resolver;
  gale_tcp_client *client;
  int fds_before;
  int silent_fd;         /* a DNS server that never answers */
  struct tls_peer *peer; /* stopped by teardown if a test fails early */
};

struct tls_peer {
  char *dir;
  pid_t pid;
  int port;
  char ca[512];
};

static void tls_peer_stop(struct tls_peer *p);

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  f->fds_before = th_count_fds();
  f->loop = gale_loop_new();
  /* Point DNS at a UDP socket that never answers: every name a test uses
   * comes from overrides, numeric hosts or /etc/hosts. */
  f->silent_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET};
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(f->silent_fd, (struct sockaddr *)&sin, sizeof sin), 0);
  socklen_t len = sizeof sin;
  getsockname(f->silent_fd, (struct sockaddr *)&sin, &len);
  char servers[64];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", ntohs(sin.sin_port));
  gale_resolver_options o;
  gale_resolver_options_init(&o);
  o.servers = servers;
  o.timeout = 0.3;
  o.tries = 1;
  assert_int_equal(gale_resolver_new(f->loop, &o, &f->resolver), GALE_OK);
  assert_int_equal(gale_tcp_client_new(f->loop, f->resolver, &f->client), GALE_OK);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  if (f->peer) tls_peer_stop(f->peer);
  gale_tcp_client_free(f->client);
  gale_resolver_free(f->resolver);
  th_run_for(f->loop, 0.02);
  gale_loop_free(f->loop);
  close(f->silent_fd);
  assert_int_equal(th_count_fds(), f->fds_before);
  free(f);
  return 0;
}

struct outcome {
  int calls;
  int status;
  gale_stream *stream;
  double when;
  int closed;
};

static void on_connect(int status, gale_stream *stream, void *arg) {
  struct outcome *o = arg;
  o->calls++;
  o->status = status;
  o->stream = stream;
  o->when = th_now();
}

static void on_close(gale_stream *stream, int reason, void *arg) {
  (void)stream;
  (void)reason;
  ((struct outcome *)arg)->closed++;
}

static void close_stream(gale_loop *loop, struct outcome *o) {
  gale_stream_set_close_cb(o->stream, on_close, o);
  gale_stream_close(o->stream);
  TH_RUN_UNTIL(loop, o->closed == 1, 5);
  o->stream = NULL;
}

static struct outcome connect_to(struct fixture *f, const char *host, int port,
                                 const gale_tcp_connect_options *opts) {
  struct outcome o = {0};
  assert_int_equal(gale_tcp_client_connect(f->client, host, port, opts, on_connect, &o, NULL),
                   GALE_OK);
  assert_int_equal(o.calls, 0); /* never inside the call */
  TH_RUN_UNTIL(f->loop, o.calls > 0, 10);
  th_run_for(f->loop, 0.01);
  assert_int_equal(o.calls, 1);
  return o;
}

static int peer_family(gale_stream *s) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  assert_int_equal(gale_stream_peer_addr(s, (struct sockaddr *)&ss, &len), GALE_OK);
  return ss.ss_family;
}

static int accept_one(int lfd) {
  /* The client saw the connection complete: it is in the accept queue. */
  int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  assert_true(fd >= 0);
  return fd;
}

static void test_connect_numeric(void **state) {
  struct fixture *f = *state;
  int port;
  int lfd = th_listen(&port);
  struct outcome o = connect_to(f, "127.0.0.1", port, NULL);
  assert_int_equal(o.status, GALE_OK);
  assert_non_null(o.stream);
  int peer = accept_one(lfd);
  assert_int_equal(gale_stream_write(o.stream, "ping", 4, NULL, NULL), GALE_OK);
  char buf[8] = {0};
  TH_RUN_UNTIL(f->loop, recv(peer, buf, sizeof buf, MSG_DONTWAIT) == 4 || buf[0], 5);
  assert_memory_equal(buf, "ping", 4);
  close_stream(f->loop, &o);
  close(peer);
  close(lfd);
}

static void test_connect_localhost_name(void **state) {
  struct fixture *f = *state;
  int port;
  int lfd = th_listen(&port);
  gale_tcp_connect_options opts;
  gale_tcp_connect_options_init(&opts);
  opts.family = AF_INET;
  struct outcome o = connect_to(f, "localhost", port, &opts); /* /etc/hosts */
  assert_int_equal(o.status, GALE_OK);
  close_stream(f->loop, &o);
  close(lfd);
}

/* A [::1] listener whose accept queue is full: SYNs to it are dropped, so
 * a connect there hangs (black hole), and 127.0.0.1 on the same port
 * listening normally.  Returns the port; fds in out[0..2]. */
static int blackhole_pair(int out[3]) {
  for (int tries = 0; tries < 20; tries++) {
    int v6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    if (v6 < 0 || bind(v6, (struct sockaddr *)&s6, sizeof s6) != 0 || listen(v6, 0) != 0) {
      print_message("no IPv6 loopback (%s): skipped\n", strerror(errno));
      if (v6 >= 0) close(v6);
      skip();
    }
    socklen_t len = sizeof s6;
    getsockname(v6, (struct sockaddr *)&s6, &len);
    int port = ntohs(s6.sin6_port);
    int v4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(v4, (struct sockaddr *)&s4, sizeof s4) != 0 || listen(v4, 16) != 0) {
      close(v4);
      close(v6);
      continue;
    }
    /* Fill the IPv6 accept queue (backlog 0 holds one connection). */
    int filler = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(filler, (struct sockaddr *)&s6, sizeof s6), 0);
    out[0] = v6;
    out[1] = v4;
    out[2] = filler;
    return port;
  }
  fail_msg("no port free on both families");
  return -1;
}

static void test_happy_eyeballs(void **state) {
  struct fixture *f = *state;
  int fds[3];
  int port = blackhole_pair(fds);
  assert_int_equal(gale_resolver_add_override(f->resolver, "dual.test", 0, "::1,127.0.0.1"),
                   GALE_OK);
  gale_tcp_connect_options opts;
  gale_tcp_connect_options_init(&opts);
  opts.connect_timeout = 10;
  double t0 = th_now();
  struct outcome o = connect_to(f, "dual.test", port, &opts);
  assert_int_equal(o.status, GALE_OK);
  /* IPv6 was tried first and hung; IPv4 started after the 0.3 s delay. */
  assert_int_equal(peer_family(o.stream), AF_INET);
  assert_true(o.when - t0 >= 0.25);
  close_stream(f->loop, &o);
  for (int i = 0; i < 3; i++) close(fds[i]);
}

static void test_happy_eyeballs_refused_first(void **state) {
  struct fixture *f = *state;
  /* IPv6 refused at once: IPv4 starts without waiting for the delay. */
  int port;
  int lfd = th_listen(&port);
  assert_int_equal(gale_resolver_add_override(f->resolver, "dual.test", 0, "::1,127.0.0.1"),
                   GALE_OK);
  gale_tcp_connect_options opts;
  gale_tcp_connect_options_init(&opts);
  opts.happy_eyeballs_delay = 30; /* would time the test out if waited for */
  struct outcome o = connect_to(f, "dual.test", port, &opts);
  assert_int_equal(o.status, GALE_OK);
  assert_int_equal(peer_family(o.stream), AF_INET);
  close_stream(f->loop, &o);
  close(lfd);
}

static void test_refused(void **state) {
  struct fixture *f = *state;
  int port = th_free_port();
  assert_int_equal(gale_resolver_add_override(f->resolver, "dual.test", 0, "::1,127.0.0.1"),
                   GALE_OK);
  struct outcome o = connect_to(f, "dual.test", port, NULL);
  assert_int_equal(o.status, GALE_ECONNREFUSED);
  assert_null(o.stream);
  o = connect_to(f, "127.0.0.1", port, NULL);
  assert_int_equal(o.status, GALE_ECONNREFUSED);
}

static void test_connect_timeout(void **state) {
  struct fixture *f = *state;
  int fds[3];
  int port = blackhole_pair(fds);
  gale_tcp_connect_options opts;
  gale_tcp_connect_options_init(&opts);
  opts.connect_timeout = 0.3;
  struct outcome o = connect_to(f, "::1", port, &opts);
  assert_int_equal(o.status, GALE_ETIMEDOUT_CONNECT);
  for (int i = 0; i < 3; i++) close(fds[i]);
}

static void test_dns_errors(void **state) {
  struct fixture *f = *state;
  struct outcome o = {0};
  assert_int_equal(gale_tcp_client_connect(f->client, "bad..name", 80, NULL, on_connect, &o, NULL),
                   GALE_EDNS_BADNAME);
  assert_int_equal(gale_tcp_client_connect(f->client, "a.test", 0, NULL, on_connect, &o, NULL),
                   GALE_EINVAL);
  gale_tcp_connect_options opts;
  gale_tcp_connect_options_init(&opts);
  opts.source_address = "not-an-address";
  assert_int_equal(gale_tcp_client_connect(f->client, "a.test", 80, &opts, on_connect, &o, NULL),
                   GALE_EINVAL);
  assert_int_equal(o.calls, 0);
  /* The silent DNS server: the resolver's own timeout (0.3 s). */
  o = connect_to(f, "nowhere.test", 80, NULL);
  assert_int_equal(o.status, GALE_ETIMEDOUT_DNS);
  /* The connect deadline expiring during resolution names DNS too. */
  gale_resolver_options ro;
  gale_resolver_options_init(&ro);
  ro.servers = "127.0.0.1:9"; /* replaced below by a silent one */
  gale_tcp_connect_options_init(&opts);
  opts.connect_timeout = 0.1;
  gale_resolver *slow;
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;
  getsockname(f->silent_fd, (struct sockaddr *)&sin, &len);
  char servers[64];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", ntohs(sin.sin_port));
  ro.servers = servers;
  ro.timeout = 5;
  assert_int_equal(gale_resolver_new(f->loop, &ro, &slow), GALE_OK);
  gale_tcp_client *client;
  assert_int_equal(gale_tcp_client_new(f->loop, slow, &client), GALE_OK);
  o = (struct outcome){0};
  assert_int_equal(gale_tcp_client_connect(client, "nowhere.test", 80, &opts, on_connect, &o, NULL),
                   GALE_OK);
  TH_RUN_UNTIL(f->loop, o.calls == 1, 5);
  assert_int_equal(o.status, GALE_ETIMEDOUT_DNS);
  gale_tcp_client_free(client);
  gale_resolver_free(slow);
}

static void never_called(int status, gale_stream *stream, void *arg) {
  (void)status;
  (void)stream;
  (void)arg;
  fail_msg("callback of a cancelled connect ran: %s", gale_err_name(status));
}

static void test_cancel_and_free(void **state) {
  struct fixture *f = *state;
  int fds[3];
  int port = blackhole_pair(fds);
  assert_int_equal(gale_resolver_add_override(f->resolver, "bh.test", 0, "::1"), GALE_OK);
  /* Cancelled while resolving, and while connecting. */
  gale_tcp_connect *c;
  assert_int_equal(
      gale_tcp_client_connect(f->client, "bh.test", port, NULL, never_called, NULL, &c), GALE_OK);
  assert_int_equal(gale_tcp_connect_cancel(c), GALE_OK);
  assert_int_equal(
      gale_tcp_client_connect(f->client, "bh.test", port, NULL, never_called, NULL, &c), GALE_OK);
  th_run_for(f->loop, 0.1);
  assert_int_equal(gale_tcp_connect_cancel(c), GALE_OK);
  th_run_for(f->loop, 0.05);
  /* A client freed with connects pending fails them inside the free. */
  gale_tcp_client *client;
  assert_int_equal(gale_tcp_client_new(f->loop, f->resolver, &client), GALE_OK);
  struct outcome o1 = {0}, o2 = {0};
  assert_int_equal(gale_tcp_client_connect(client, "bh.test", port, NULL, on_connect, &o1, NULL),
                   GALE_OK);
  assert_int_equal(gale_tcp_client_connect(client, "bh.test", port, NULL, on_connect, &o2, NULL),
                   GALE_OK);
  th_run_for(f->loop, 0.05);
  gale_tcp_client_free(client);
  assert_int_equal(o1.calls, 1);
  assert_int_equal(o1.status, GALE_ECANCELLED);
  assert_int_equal(o2.calls, 1);
  th_run_for(f->loop, 0.05);
  assert_int_equal(o1.calls, 1);
  for (int i = 0; i < 3; i++) close(fds[i]);
}

/* Freeing the client from inside a connect callback. */
struct freer {
  gale_tcp_client *client;
  int calls;
  int status;
};

static void free_in_cb(int status, gale_stream *stream, void *arg) {
  struct freer *fr = arg;
  fr->calls++;
  fr->status = status;
  if (stream) gale_stream_close(stream);
  if (fr->client) {
    gale_tcp_client *c = fr->client;
    fr->client = NULL;
    gale_tcp_client_free(c);
  }
}

static void test_free_in_callback(void **state) {
  struct fixture *f = *state;
  int port;
  int lfd = th_listen(&port);
  gale_tcp_client *client;
  assert_int_equal(gale_tcp_client_new(f->loop, NULL, &client), GALE_OK); /* own resolver */
  struct freer fr = {.client = client};
  struct freer other = {0};
  assert_int_equal(gale_tcp_client_connect(client, "127.0.0.1", port, NULL, free_in_cb, &fr, NULL),
                   GALE_OK);
  assert_int_equal(
      gale_tcp_client_connect(client, "::1", th_free_port(), NULL, free_in_cb, &other, NULL),
      GALE_OK);
  TH_RUN_UNTIL(f->loop, fr.calls == 1 && other.calls == 1, 5);
  th_run_for(f->loop, 0.05);
  assert_int_equal(fr.calls, 1);
  assert_int_equal(other.calls, 1);
  close(lfd);
}

static void test_source_address(void **state) {
  struct fixture *f = *state;
  int port;
  int lfd = th_listen(&port);
  int src_port = th_free_port();
  gale_tcp_connect_options opts;
  gale_tcp_connect_options_init(&opts);
  opts.source_address = "127.0.0.1";
  opts.source_port = src_port;
  struct outcome o = connect_to(f, "127.0.0.1", port, &opts);
  assert_int_equal(o.status, GALE_OK);
  struct sockaddr_in local;
  socklen_t len = sizeof local;
  assert_int_equal(gale_stream_local_addr(o.stream, (struct sockaddr *)&local, &len), GALE_OK);
  assert_int_equal(ntohs(local.sin_port), src_port);
  close_stream(f->loop, &o);
  /* An IPv4 source cannot reach an IPv6-only host. */
  o = connect_to(f, "::1", port, &opts);
  assert_true(o.status == GALE_EDNS_NODATA);
  close(lfd);
}

static void test_future(void **state) {
  struct fixture *f = *state;
  int port;
  int lfd = th_listen(&port);
  gale_future *fut = gale_tcp_client_connect_future(f->client, "127.0.0.1", port, NULL);
  assert_non_null(fut);
  assert_int_equal(gale_loop_run_until_complete(f->loop, fut, 10), GALE_OK);
  assert_int_equal(gale_future_status(fut), GALE_OK);
  struct outcome o = {.stream = gale_future_steal_result(fut)};
  assert_non_null(o.stream);
  gale_future_unref(fut);
  close_stream(f->loop, &o);

  /* A result nobody takes is closed with the future. */
  fut = gale_tcp_client_connect_future(f->client, "127.0.0.1", port, NULL);
  assert_int_equal(gale_loop_run_until_complete(f->loop, fut, 10), GALE_OK);
  gale_future_unref(fut);
  th_run_for(f->loop, 0.05);

  fut = gale_tcp_client_connect_future(f->client, "127.0.0.1", th_free_port(), NULL);
  assert_int_equal(gale_loop_run_until_complete(f->loop, fut, 10), GALE_OK);
  assert_int_equal(gale_future_status(fut), GALE_ECONNREFUSED);
  gale_future_unref(fut);

  fut = gale_tcp_client_connect_future(f->client, "127.0.0.1", port, NULL);
  assert_true(gale_future_cancel(fut));
  gale_future_unref(fut);
  th_run_for(f->loop, 0.05);
  assert_null(gale_tcp_client_connect_future(f->client, "", port, NULL));
  close(lfd);
}

/* ---- TLS against openssl s_server ----------------------------------------- */

/* A CA, a leaf for localhost/127.0.0.1 (the default certificate) and a
 * leaf for sni.test (served only when the client sends that SNI). */
static void tls_peer_start(struct tls_peer *p) {
  th_require_program("openssl");
  p->dir = th_mkdtemp();
  const char *d = p->dir;
  int rc = th_system(
      "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc "
      "-keyout ca.key -out ca.crt -subj '/CN=Test CA' -days 2 "
      "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign "
      ">/dev/null 2>&1 && "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout a.key "
      "-out a.crt -subj '/CN=localhost' -days 2 -CA ca.crt -CAkey ca.key "
      "-addext basicConstraints=critical,CA:FALSE "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -addext extendedKeyUsage=serverAuth "
      ">/dev/null 2>&1 && "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout b.key "
      "-out b.crt -subj '/CN=sni.test' -days 2 -CA ca.crt -CAkey ca.key "
      "-addext basicConstraints=critical,CA:FALSE "
      "-addext subjectAltName=DNS:sni.test -addext extendedKeyUsage=serverAuth "
      ">/dev/null 2>&1",
      d);
  assert_int_equal(rc, 0);
  snprintf(p->ca, sizeof p->ca, "%s/ca.crt", d);
  char cert[512], key[512], cert2[512], key2[512], accept[64];
  snprintf(cert, sizeof cert, "%s/a.crt", d);
  snprintf(key, sizeof key, "%s/a.key", d);
  snprintf(cert2, sizeof cert2, "%s/b.crt", d);
  snprintf(key2, sizeof key2, "%s/b.key", d);
  for (int attempt = 0; attempt < 5; attempt++) {
    p->port = th_free_port();
    snprintf(accept, sizeof accept, "127.0.0.1:%d", p->port);
    const char *argv[] = {"openssl", "s_server", "-quiet", "-accept",     accept,     "-cert",
                          cert,      "-key",     key,      "-servername", "sni.test", "-cert2",
                          cert2,     "-key2",    key2,     NULL};
    p->pid = th_spawn(argv, NULL);
    if (th_wait_port(p->port, 5)) return;
    th_kill(p->pid);
  }
  fail_msg("openssl s_server did not start");
}

static void tls_peer_stop(struct tls_peer *p) {
  if (p->pid > 0) th_kill(p->pid);
  p->pid = 0;
  if (p->dir) th_rmtree(p->dir);
  p->dir = NULL;
}

static struct outcome tls_connect(struct fixture *f, const char *host, int port,
                                  gale_tls_ctx *ctx) {
  gale_tcp_connect_options opts;
  gale_tcp_connect_options_init(&opts);
  opts.tls = ctx;
  opts.connect_timeout = 10;
  return connect_to(f, host, port, &opts);
}

/* What the phase hook saw, in order. */
struct phases {
  int seen[4];
  int n;
  bool stream_at_connected;
  char tls_error[256];
};

static void on_phase(gale_tcp_phase phase, gale_stream *stream, void *arg) {
  struct phases *p = arg;
  if (p->n < 4) p->seen[p->n++] = (int)phase;
  if (phase == GALE_TCP_PHASE_CONNECTED) p->stream_at_connected = stream != NULL;
  if (phase == GALE_TCP_PHASE_TLS_FAILED)
    snprintf(p->tls_error, sizeof p->tls_error, "%s", gale_stream_tls_error(stream));
}

static void test_phases(void **state) {
  struct fixture *f = *state;
  int port, lfd = th_listen(&port);
  struct phases p;
  memset(&p, 0, sizeof p);
  gale_tcp_connect_options opts;
  gale_tcp_connect_options_init(&opts);
  opts.on_phase = on_phase;
  opts.phase_arg = &p;
  struct outcome o = connect_to(f, "localhost", port, &opts);
  assert_int_equal(o.status, GALE_OK);
  assert_int_equal(p.n, 2);
  assert_int_equal(p.seen[0], GALE_TCP_PHASE_RESOLVED);
  assert_int_equal(p.seen[1], GALE_TCP_PHASE_CONNECTED);
  assert_true(p.stream_at_connected);
  close_stream(f->loop, &o);
  /* A refused connect resolves but never connects. */
  close(lfd);
  memset(&p, 0, sizeof p);
  o = connect_to(f, "127.0.0.1", port, &opts);
  assert_int_equal(o.status, GALE_ECONNREFUSED);
  assert_int_equal(p.n, 1);
  assert_int_equal(p.seen[0], GALE_TCP_PHASE_RESOLVED);
}

/* Accepts once (TH_RUN_UNTIL evaluates its condition more than once). */
static bool try_accept(int lfd, int *fd) {
  if (*fd < 0) *fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  return *fd >= 0;
}

static void test_tls(void **state) {
  struct fixture *f = *state;
  static struct tls_peer peer;
  memset(&peer, 0, sizeof peer);
  f->peer = &peer;
  tls_peer_start(&peer);
  gale_tls_client_options to;
  gale_tls_client_options_init(&to);
  to.ca_file = peer.ca;
  gale_tls_ctx *ctx;
  assert_int_equal(gale_tls_ctx_new_client(&to, &ctx), GALE_OK);
  assert_int_equal(gale_resolver_add_override(f->resolver, "sni.test", 0, "127.0.0.1"), GALE_OK);
  assert_int_equal(gale_resolver_add_override(f->resolver, "wrong.test", 0, "127.0.0.1"), GALE_OK);

  /* Verified against the name asked for. */
  struct outcome o = tls_connect(f, "localhost", peer.port, ctx);
  assert_int_equal(o.status, GALE_OK);
  assert_true(gale_stream_tls_established(o.stream));
  close_stream(f->loop, &o);
  o = tls_connect(f, "127.0.0.1", peer.port, ctx); /* IP SAN */
  assert_int_equal(o.status, GALE_OK);
  close_stream(f->loop, &o);
  /* SNI = host: the server picks the sni.test certificate, which verifies
   * only for that name. */
  o = tls_connect(f, "sni.test", peer.port, ctx);
  assert_int_equal(o.status, GALE_OK);
  close_stream(f->loop, &o);
  /* A name the certificate does not cover; the phase hook reads why
   * before the stream goes. */
  struct phases p;
  memset(&p, 0, sizeof p);
  gale_tcp_connect_options popts;
  gale_tcp_connect_options_init(&popts);
  popts.tls = ctx;
  popts.connect_timeout = 10;
  popts.on_phase = on_phase;
  popts.phase_arg = &p;
  o = connect_to(f, "wrong.test", peer.port, &popts);
  assert_int_equal(o.status, GALE_ETLS_HOSTNAME);
  assert_null(o.stream);
  assert_int_equal(p.n, 3);
  assert_int_equal(p.seen[2], GALE_TCP_PHASE_TLS_FAILED);
  assert_true(strlen(p.tls_error) > 0);
  gale_tls_ctx_unref(ctx);

  /* An unknown CA (the system store does not know the test CA). */
  assert_int_equal(gale_tls_ctx_new_client(NULL, &ctx), GALE_OK);
  o = tls_connect(f, "localhost", peer.port, ctx);
  assert_int_equal(o.status, GALE_ETLS_VERIFY);
  /* A TCP listener that never speaks TLS: the handshake hangs. */
  int lport;
  int lfd = th_listen(&lport);
  gale_tcp_connect_options opts;
  gale_tcp_connect_options_init(&opts);
  opts.tls = ctx;
  gale_tcp_connect *c;
  assert_int_equal(
      gale_tcp_client_connect(f->client, "127.0.0.1", lport, &opts, never_called, NULL, &c),
      GALE_OK);
  int peer_fd = -1;
  TH_RUN_UNTIL(f->loop, try_accept(lfd, &peer_fd), 5);
  th_run_for(f->loop, 0.05); /* let the client see its connect complete */
  assert_int_equal(gale_tcp_connect_cancel(c), GALE_OK);
  th_run_for(f->loop, 0.1);
  close(peer_fd);
  /* The connect deadline covers the handshake and names it. */
  opts.connect_timeout = 0.3;
  o = connect_to(f, "127.0.0.1", lport, &opts);
  assert_int_equal(o.status, GALE_ETIMEDOUT_TLS);
  close(lfd);
  gale_tls_ctx_unref(ctx);
  tls_peer_stop(&peer);
}

int main(void) {
  if (getenv("GALE_TEST_FILTER")) cmocka_set_test_filter(getenv("GALE_TEST_FILTER"));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_connect_numeric, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_localhost_name, setup, teardown),
      cmocka_unit_test_setup_teardown(test_happy_eyeballs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_happy_eyeballs_refused_first, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dns_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cancel_and_free, setup, teardown),
      cmocka_unit_test_setup_teardown(test_free_in_callback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_source_address, setup, teardown),
      cmocka_unit_test_setup_teardown(test_future, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tls, setup, teardown),
      cmocka_unit_test_setup_teardown(test_phases, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
