/* SPDX-License-Identifier: MIT */
/* TLS streams: gale <-> gale over socketpairs with certificates made at test
 * time, verification failures with the right status, ALPN, SNI, STARTTLS,
 * handshake timeout, truncation, and interop with openssl s_client and
 * s_server. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "iostream/stream_internal.h"

static char *dir;
static char p_ca[512], p_leaf[512], p_key[512], p_exp[512], p_expkey[512], p_other[512],
    p_otherkey[512], p_wrongsan[512], p_wrongsankey[512], p_sni[512], p_snikey[512], p_wild[512],
    p_wildkey[512];

#define CA_ARGS                                                 \
  "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -days 2 " \
  "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
#define LEAF_EXT "-addext basicConstraints=critical,CA:FALSE -addext extendedKeyUsage=serverAuth"

static void path(char *out, const char *name) { snprintf(out, 512, "%s/%s", dir, name); }

/* A leaf signed by `ca` with subject CN `cn` and subjectAltName `san`. */
static void make_leaf(const char *name, const char *ca, const char *cn, const char *san) {
  int rc = th_system("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                     "-noenc -keyout %s.key -out %s.crt -subj '/CN=%s' -days 2 -CA %s.crt "
                     "-CAkey %s.key " LEAF_EXT " -addext 'subjectAltName=%s' 2>/dev/null",
                     dir, name, name, cn, ca, ca, san);
  assert_int_equal(rc, 0);
}

static int setup_certs(void **st) {
  if (!th_which("openssl")) return 0;
  dir = th_mkdtemp();
  assert_int_equal(th_system("cd %s && openssl req -x509 " CA_ARGS
                             " -keyout ca.key -out ca.crt -subj '/CN=Test CA' 2>/dev/null &&"
                             " openssl req -x509 " CA_ARGS
                             " -keyout other.key -out otherca.crt -subj '/CN=Other CA' 2>/dev/null"
                             " && mv other.key otherca.key",
                             dir),
                   0);
  make_leaf("leaf", "ca", "localhost", "DNS:localhost,IP:127.0.0.1");
  make_leaf("untrusted", "otherca", "localhost", "DNS:localhost,IP:127.0.0.1");
  make_leaf("wrongsan", "ca", "localhost", "DNS:example.com");
  make_leaf("sni", "ca", "other.test", "DNS:other.test");
  make_leaf("wild", "ca", "wild", "DNS:*.example.test");
  /* Expired: notAfter a day before notBefore. */
  assert_int_equal(
      th_system("cd %s && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc "
                "-keyout exp.key -out exp.csr -subj '/CN=localhost' 2>/dev/null && "
                "printf 'basicConstraints=critical,CA:FALSE\\nsubjectAltName=DNS:localhost\\n' "
                "> ext.cnf && openssl x509 -req -in exp.csr -CA ca.crt -CAkey ca.key "
                "-CAcreateserial -days -1 -extfile ext.cnf -out exp.crt 2>/dev/null",
                dir),
      0);
  path(p_ca, "ca.crt");
  path(p_leaf, "leaf.crt");
  path(p_key, "leaf.key");
  path(p_exp, "exp.crt");
  path(p_expkey, "exp.key");
  path(p_other, "untrusted.crt");
  path(p_otherkey, "untrusted.key");
  path(p_wrongsan, "wrongsan.crt");
  path(p_wrongsankey, "wrongsan.key");
  path(p_sni, "sni.crt");
  path(p_snikey, "sni.key");
  path(p_wild, "wild.crt");
  path(p_wildkey, "wild.key");
  return 0;
}

static int teardown_certs(void **st) {
  if (dir) th_rmtree(dir);
  dir = NULL;
  return 0;
}

/* ---- endpoints --------------------------------------------------------------- */

typedef struct ep {
  gale_stream *s;
  int hs_calls;
  int hs_status;
  int closes;
  int close_reason;
  int reads;
  int read_status;
  char got[65536];
  size_t got_len;
  char tls_error[256];
  char alpn[32];
  bool reply; /* answer "ping\n" with "pong\n" */
} ep;

static void ep_close(gale_stream *s, int reason, void *arg) {
  ep *e = arg;
  e->closes++;
  e->close_reason = reason;
  snprintf(e->tls_error, sizeof(e->tls_error), "%s", gale_stream_tls_error(s));
  e->s = NULL;
}

static void ep_read(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  ep *e = arg;
  e->reads++;
  e->read_status = status;
  if (len && e->got_len + len <= sizeof(e->got)) {
    memcpy(e->got + e->got_len, data, len);
    e->got_len += len;
  }
  if (status == GALE_OK && e->reply) {
    gale_stream_write(s, "pong\n", 5, NULL, NULL);
    gale_stream_read_until(s, "\n", 1, 0, ep_read, e);
  }
}

static void ep_hs(gale_stream *s, int status, void *arg) {
  ep *e = arg;
  e->hs_calls++;
  e->hs_status = status;
  const char *a = gale_stream_tls_alpn(s);
  snprintf(e->alpn, sizeof(e->alpn), "%s", a ? a : "");
}

typedef struct pair {
  gale_loop *loop;
  int fds_before;
  ep srv, cli;
  gale_tls_ctx *sctx, *cctx;
} pair;

static void pair_open(pair *p) {
  memset(p, 0, sizeof(*p));
  p->fds_before = th_count_fds();
  p->loop = gale_loop_new();
  int fds[2];
  th_socketpair(fds);
  assert_int_equal(gale_stream_new(p->loop, fds[0], NULL, &p->srv.s), GALE_OK);
  assert_int_equal(gale_stream_new(p->loop, fds[1], NULL, &p->cli.s), GALE_OK);
  gale_stream_set_close_cb(p->srv.s, ep_close, &p->srv);
  gale_stream_set_close_cb(p->cli.s, ep_close, &p->cli);
}

static void pair_close(pair *p) {
  if (p->srv.s) gale_stream_close(p->srv.s);
  if (p->cli.s) gale_stream_close(p->cli.s);
  TH_RUN_UNTIL(p->loop, p->srv.closes == 1 && p->cli.closes == 1, 5);
  gale_tls_ctx_unref(p->sctx);
  gale_tls_ctx_unref(p->cctx);
  gale_loop_free(p->loop);
  assert_int_equal(th_count_fds(), p->fds_before);
}

static gale_tls_ctx *server_ctx(const char *crt, const char *key,
                                const gale_tls_server_options *o) {
  gale_tls_ctx *c = NULL;
  int rc = gale_tls_ctx_new_server(crt, key, o, &c);
  if (rc) fail_msg("server ctx: %s: %s", gale_strerror(rc), gale_tls_config_error());
  return c;
}

static gale_tls_ctx *client_ctx(const gale_tls_client_options *o) {
  gale_tls_ctx *c = NULL;
  gale_tls_client_options d;
  if (!o) {
    gale_tls_client_options_init(&d);
    d.ca_file = p_ca;
    o = &d;
  }
  int rc = gale_tls_ctx_new_client(o, &c);
  if (rc) fail_msg("client ctx: %s: %s", gale_strerror(rc), gale_tls_config_error());
  return c;
}

/* Handshake both ends of a pair; the client checks `host`. */
static void pair_handshake(pair *p, const char *host) {
  assert_int_equal(gale_stream_start_tls(p->srv.s, p->sctx, true, NULL, 5, ep_hs, &p->srv),
                   GALE_OK);
  assert_int_equal(gale_stream_start_tls(p->cli.s, p->cctx, false, host, 5, ep_hs, &p->cli),
                   GALE_OK);
  TH_RUN_UNTIL(p->loop, p->srv.hs_calls == 1 && p->cli.hs_calls == 1, 10);
}

#define NEED_OPENSSL()             \
  do {                             \
    th_require_program("openssl"); \
    if (!dir) skip();              \
  } while (0)

/* ---- gale <-> gale ------------------------------------------------------------ */

static void test_roundtrip_alpn(void **st) {
  NEED_OPENSSL();
  pair p;
  pair_open(&p);
  const char *salpn[] = {"h2", "http/1.1"};
  const char *calpn[] = {"http/1.1"};
  gale_tls_server_options so;
  gale_tls_server_options_init(&so);
  so.alpn = salpn;
  so.alpn_count = 2;
  p.sctx = server_ctx(p_leaf, p_key, &so);
  gale_tls_client_options co;
  gale_tls_client_options_init(&co);
  co.ca_file = p_ca;
  co.alpn = calpn;
  co.alpn_count = 1;
  p.cctx = client_ctx(&co);
  /* Writes and reads issued before the handshake wait for it. */
  p.srv.reply = true;
  assert_int_equal(gale_stream_read_until(p.srv.s, "\n", 1, 0, ep_read, &p.srv), GALE_OK);
  pair_handshake(&p, "localhost");
  assert_int_equal(p.srv.hs_status, GALE_OK);
  assert_int_equal(p.cli.hs_status, GALE_OK);
  assert_string_equal(p.cli.alpn, "http/1.1");
  assert_string_equal(p.srv.alpn, "http/1.1");
  assert_true(gale_stream_tls_established(p.cli.s));
  assert_non_null(gale_stream_tls_version(p.cli.s));
  assert_int_equal(gale_stream_write(p.cli.s, "ping\n", 5, NULL, NULL), GALE_OK);
  assert_int_equal(gale_stream_read_until(p.cli.s, "\n", 1, 0, ep_read, &p.cli), GALE_OK);
  TH_RUN_UNTIL(p.loop, p.cli.reads == 1, 5);
  assert_int_equal(p.cli.read_status, GALE_OK);
  assert_memory_equal(p.cli.got, "pong\n", 5);

  /* A large transfer through TLS (many records, partial writes). */
  size_t big = 3 * 1024 * 1024 + 7;
  char *data = malloc(big);
  for (size_t i = 0; i < big; i++) data[i] = (char)(i * 31 + 7);
  p.srv.reply = false;
  TH_RUN_UNTIL(p.loop, p.srv.reads == 1, 5);
  gale_stream_read_stop(p.srv.s);
  gale_future *f = gale_stream_read_bytes_future(p.srv.s, big, false, NULL);
  assert_non_null(f);
  assert_int_equal(gale_stream_write(p.cli.s, data, big, NULL, NULL), GALE_OK);
  assert_int_equal(gale_loop_run_until_complete(p.loop, f, 20), GALE_OK);
  assert_int_equal(gale_future_status(f), GALE_OK);
  gale_stream_data *d = gale_future_result(f);
  assert_int_equal(d->len, big);
  assert_memory_equal(d->data, data, big);
  gale_future_unref(f);
  free(data);

  /* A clean close sends close_notify: the server's read_until_close sees a
   * clean end of stream. */
  assert_int_equal(gale_stream_read_until_close(p.srv.s, ep_read, &p.srv), GALE_OK);
  gale_stream_write(p.cli.s, "last words", 10, NULL, NULL);
  gale_stream_flush(p.cli.s, NULL, NULL);
  TH_RUN_UNTIL(p.loop, !gale_stream_writing(p.cli.s), 5);
  gale_stream_close(p.cli.s);
  TH_RUN_UNTIL(p.loop, p.srv.closes == 1, 5);
  assert_int_equal(p.srv.close_reason, GALE_EOF);
  assert_int_equal(p.srv.read_status, GALE_OK);
  assert_memory_equal(p.srv.got + p.srv.got_len - 10, "last words", 10);
  pair_close(&p);
}

/* The handshake fails on the client with `want`, and the stream closes with
 * it. */
static void expect_client_failure(const char *crt, const char *key, const char *host, int want,
                                  const char *detail) {
  pair p;
  pair_open(&p);
  p.sctx = server_ctx(crt, key, NULL);
  p.cctx = client_ctx(NULL);
  pair_handshake(&p, host);
  if (p.cli.hs_status != want)
    fail_msg("host %s: got %s want %s (%s)", host, gale_err_name(p.cli.hs_status),
             gale_err_name(want), gale_stream_tls_error(p.cli.s));
  TH_RUN_UNTIL(p.loop, p.cli.closes == 1, 5);
  assert_int_equal(p.cli.close_reason, want);
  if (detail && !strstr(p.cli.tls_error, detail))
    fail_msg("detail '%s' lacks '%s'", p.cli.tls_error, detail);
  /* The server sees the client's alert. */
  assert_true(p.srv.hs_status < 0);
  pair_close(&p);
}

static void test_wrong_hostname(void **st) {
  NEED_OPENSSL();
  expect_client_failure(p_leaf, p_key, "wrong.example", GALE_ETLS_HOSTNAME, "mismatch");
}

static void test_cn_only_match_refused(void **st) {
  NEED_OPENSSL();
  /* CN=localhost but SAN example.com: the CN must not count. */
  expect_client_failure(p_wrongsan, p_wrongsankey, "localhost", GALE_ETLS_HOSTNAME, NULL);
}

static void test_untrusted_ca(void **st) {
  NEED_OPENSSL();
  expect_client_failure(p_other, p_otherkey, "localhost", GALE_ETLS_VERIFY, "local issuer");
}

static void test_expired(void **st) {
  NEED_OPENSSL();
  expect_client_failure(p_exp, p_expkey, "localhost", GALE_ETLS_EXPIRED, "expired");
}

static void test_wildcards_and_ip(void **st) {
  NEED_OPENSSL();
  expect_client_failure(p_wild, p_wildkey, "a.b.example.test", GALE_ETLS_HOSTNAME, NULL);
  const char *ok_hosts[][3] = {{p_wild, p_wildkey, "one.example.test"},
                               {p_leaf, p_key, "127.0.0.1"}};
  for (int i = 0; i < 2; i++) {
    pair p;
    pair_open(&p);
    p.sctx = server_ctx(ok_hosts[i][0], ok_hosts[i][1], NULL);
    p.cctx = client_ctx(NULL);
    pair_handshake(&p, ok_hosts[i][2]);
    assert_int_equal(p.cli.hs_status, GALE_OK);
    pair_close(&p);
  }
}

static void test_insecure_and_errors(void **st) {
  NEED_OPENSSL();
  pair p;
  pair_open(&p);
  p.sctx = server_ctx(p_other, p_otherkey, NULL);
  gale_tls_client_options co;
  gale_tls_client_options_init(&co);
  co.insecure = true;
  p.cctx = client_ctx(&co);
  /* Wrong side, missing host name (only insecure may omit it). */
  assert_int_equal(gale_stream_start_tls(p.cli.s, p.sctx, false, "x", 0, NULL, NULL), GALE_EINVAL);
  pair_handshake(&p, NULL);
  assert_int_equal(p.cli.hs_status, GALE_OK);
  assert_int_equal(gale_stream_start_tls(p.cli.s, p.cctx, false, "x", 0, NULL, NULL), GALE_ESTATE);
  pair_close(&p);

  gale_tls_ctx *c = NULL;
  assert_int_equal(gale_tls_ctx_new_server("/nonexistent.crt", p_key, NULL, &c), GALE_ETLS_CONFIG);
  assert_non_null(strstr(gale_tls_config_error(), "nonexistent"));
  assert_int_equal(gale_tls_ctx_new_server(p_leaf, p_otherkey, NULL, &c), GALE_ETLS_CONFIG);
  gale_tls_client_options_init(&co);
  co.ca_file = p_ca;
  co.ciphers = "NOT-A-CIPHER";
  assert_int_equal(gale_tls_ctx_new_client(&co, &c), GALE_ETLS_CONFIG);
  const char *bad[] = {""};
  gale_tls_client_options_init(&co);
  co.alpn = bad;
  co.alpn_count = 1;
  assert_int_equal(gale_tls_ctx_new_client(&co, &c), GALE_EINVAL);
  /* The system store loads (verification on by default). */
  assert_int_equal(gale_tls_ctx_new_client(NULL, &c), GALE_OK);
  gale_tls_ctx_unref(c);
}

static void test_alpn_mismatch(void **st) {
  NEED_OPENSSL();
  pair p;
  pair_open(&p);
  const char *salpn[] = {"h2"};
  const char *calpn[] = {"http/1.1"};
  gale_tls_server_options so;
  gale_tls_server_options_init(&so);
  so.alpn = salpn;
  so.alpn_count = 1;
  p.sctx = server_ctx(p_leaf, p_key, &so);
  gale_tls_client_options co;
  gale_tls_client_options_init(&co);
  co.ca_file = p_ca;
  co.alpn = calpn;
  co.alpn_count = 1;
  p.cctx = client_ctx(&co);
  pair_handshake(&p, "localhost");
  assert_int_equal(p.cli.hs_status, GALE_ETLS_ALPN);
  assert_int_equal(p.srv.hs_status, GALE_ETLS_ALPN);
  pair_close(&p);
}

static gale_tls_ctx *sni_other;
static int sni_calls;
static gale_tls_ctx *pick(const char *name, void *arg) {
  sni_calls++;
  return strcmp(name, "other.test") == 0 ? sni_other : NULL;
}

static void test_sni_callback(void **st) {
  NEED_OPENSSL();
  sni_other = server_ctx(p_sni, p_snikey, NULL);
  gale_tls_server_options so;
  gale_tls_server_options_init(&so);
  so.sni_cb = pick;
  const char *hosts[] = {"other.test", "localhost"};
  for (int i = 0; i < 2; i++) {
    sni_calls = 0;
    pair p;
    pair_open(&p);
    p.sctx = server_ctx(p_leaf, p_key, &so);
    p.cctx = client_ctx(NULL);
    pair_handshake(&p, hosts[i]);
    assert_int_equal(sni_calls, 1);
    assert_int_equal(p.cli.hs_status, GALE_OK);
    assert_string_equal(gale_stream_tls_server_name(p.srv.s), hosts[i]);
    pair_close(&p);
  }
  gale_tls_ctx_unref(sni_other);
}

static void test_handshake_timeout(void **st) {
  NEED_OPENSSL();
  pair p;
  pair_open(&p);
  p.sctx = server_ctx(p_leaf, p_key, NULL);
  p.cctx = client_ctx(NULL);
  /* The server side never starts TLS: the client's hello goes unanswered. */
  assert_int_equal(gale_stream_start_tls(p.cli.s, p.cctx, false, "localhost", 0.2, ep_hs, &p.cli),
                   GALE_OK);
  TH_RUN_UNTIL(p.loop, p.cli.closes == 1, 5);
  assert_int_equal(p.cli.hs_status, GALE_ETIMEDOUT_TLS);
  assert_int_equal(p.cli.close_reason, GALE_ETIMEDOUT_TLS);
  /* And a server whose client stays silent. */
  assert_int_equal(gale_stream_read_until_close(p.srv.s, ep_read, &p.srv), GALE_OK);
  TH_RUN_UNTIL(p.loop, p.srv.closes == 1, 5); /* drains the hello, sees EOF */
  pair_close(&p);

  pair_open(&p);
  p.sctx = server_ctx(p_leaf, p_key, NULL);
  assert_int_equal(gale_stream_start_tls(p.srv.s, p.sctx, true, NULL, 0.2, ep_hs, &p.srv), GALE_OK);
  TH_RUN_UNTIL(p.loop, p.srv.closes == 1, 5);
  assert_int_equal(p.srv.hs_status, GALE_ETIMEDOUT_TLS);
  pair_close(&p);
}

/* STARTTLS: a plaintext exchange, then the upgrade in place. */
static void starttls_srv_read(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  pair *p = arg;
  assert_int_equal(status, GALE_OK);
  assert_memory_equal(data, "STARTTLS\n", 9);
  gale_stream_write(s, "GO\n", 3, NULL, NULL);
  /* The reply leaves in clear before the handshake starts. */
  assert_int_equal(gale_stream_start_tls(s, p->sctx, true, NULL, 5, ep_hs, &p->srv), GALE_OK);
  p->srv.reply = true;
  gale_stream_read_until(s, "\n", 1, 0, ep_read, &p->srv);
}

static void starttls_cli_read(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  pair *p = arg;
  assert_int_equal(status, GALE_OK);
  assert_memory_equal(data, "GO\n", 3);
  assert_int_equal(gale_stream_start_tls(s, p->cctx, false, "localhost", 5, ep_hs, &p->cli),
                   GALE_OK);
  gale_stream_write(s, "ping\n", 5, NULL, NULL);
  gale_stream_read_until(s, "\n", 1, 0, ep_read, &p->cli);
}

static void test_starttls(void **st) {
  NEED_OPENSSL();
  pair p;
  pair_open(&p);
  p.sctx = server_ctx(p_leaf, p_key, NULL);
  p.cctx = client_ctx(NULL);
  gale_stream_read_until(p.srv.s, "\n", 1, 0, starttls_srv_read, &p);
  gale_stream_write(p.cli.s, "STARTTLS\n", 9, NULL, NULL);
  gale_stream_read_until(p.cli.s, "\n", 1, 0, starttls_cli_read, &p);
  TH_RUN_UNTIL(p.loop, p.cli.reads == 1, 10);
  assert_int_equal(p.cli.hs_status, GALE_OK);
  assert_int_equal(p.srv.hs_status, GALE_OK);
  assert_memory_equal(p.cli.got, "pong\n", 5);
  pair_close(&p);

  /* Plaintext already buffered refuses the upgrade (injection). */
  pair_open(&p);
  p.sctx = server_ctx(p_leaf, p_key, NULL);
  gale_stream_write(p.cli.s, "STARTTLS\ninjected", 17, NULL, NULL);
  gale_stream_read_until(p.srv.s, "\n", 1, 0, ep_read, &p.srv);
  TH_RUN_UNTIL(p.loop, p.srv.reads == 1 && gale_stream_read_buffer_size(p.srv.s) > 0, 5);
  assert_int_equal(gale_stream_start_tls(p.srv.s, p.sctx, true, NULL, 5, NULL, NULL), GALE_ESTATE);
  pair_close(&p);
}

/* The peer's TCP side closes without close_notify after the handshake. */
static void test_truncation(void **st) {
  NEED_OPENSSL();
  pair p;
  pair_open(&p);
  p.sctx = server_ctx(p_leaf, p_key, NULL);
  p.cctx = client_ctx(NULL);
  pair_handshake(&p, "localhost");
  assert_int_equal(p.cli.hs_status, GALE_OK);
  gale_stream_write(p.srv.s, "partial body", 12, NULL, NULL);
  TH_RUN_UNTIL(p.loop, !gale_stream_writing(p.srv.s), 5);
  assert_int_equal(gale_stream_read_until_close(p.cli.s, ep_read, &p.cli), GALE_OK);
  TH_RUN_UNTIL(p.loop, gale_stream_read_buffer_size(p.cli.s) == 12, 5);
  shutdown(gale_stream_fd(p.srv.s), SHUT_WR);
  TH_RUN_UNTIL(p.loop, p.cli.closes == 1, 5);
  assert_int_equal(p.cli.read_status, GALE_ETLS_TRUNCATED);
  assert_int_equal(p.cli.got_len, 12);
  assert_int_equal(p.cli.close_reason, GALE_ETLS_TRUNCATED);
  pair_close(&p);
}

/* Closing from inside the handshake callback; the data hook on TLS. */
static void hs_close(gale_stream *s, int status, void *arg) {
  ep *e = arg;
  e->hs_calls++;
  e->hs_status = status;
  gale_stream_close(s);
}

static void tls_hook(gale_stream *s, struct evbuffer *in, void *arg) {
  ep *e = arg;
  size_t n = evbuffer_get_length(in);
  if (e->got_len + n <= sizeof(e->got)) {
    evbuffer_remove(in, e->got + e->got_len, n);
    e->got_len += n;
  }
  evbuffer_add(gale__stream_output(s), "ack", 3);
}

static void test_close_in_handshake_cb_and_hook(void **st) {
  NEED_OPENSSL();
  pair p;
  pair_open(&p);
  p.sctx = server_ctx(p_leaf, p_key, NULL);
  p.cctx = client_ctx(NULL);
  assert_int_equal(gale_stream_start_tls(p.srv.s, p.sctx, true, NULL, 5, ep_hs, &p.srv), GALE_OK);
  assert_int_equal(gale_stream_start_tls(p.cli.s, p.cctx, false, "localhost", 5, hs_close, &p.cli),
                   GALE_OK);
  TH_RUN_UNTIL(p.loop, p.cli.closes == 1 && p.srv.closes == 1, 10);
  assert_int_equal(p.cli.hs_status, GALE_OK);
  assert_int_equal(p.cli.close_reason, GALE_OK);
  pair_close(&p);

  pair_open(&p);
  p.sctx = server_ctx(p_leaf, p_key, NULL);
  p.cctx = client_ctx(NULL);
  assert_int_equal(gale__stream_set_data_cb(p.srv.s, tls_hook, &p.srv), GALE_OK);
  pair_handshake(&p, "localhost");
  gale_stream_write(p.cli.s, "hello", 5, NULL, NULL);
  gale_stream_read_bytes(p.cli.s, 3, false, ep_read, &p.cli);
  TH_RUN_UNTIL(p.loop, p.cli.reads == 1, 5);
  assert_memory_equal(p.cli.got, "ack", 3);
  assert_memory_equal(p.srv.got, "hello", 5);
  pair_close(&p);
}

/* ---- interop with openssl s_server / s_client ------------------------------------ */

static int tcp_connect_nb(int port) {
  int fd = th_connect(port);
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  return fd;
}

static void test_openssl_s_server(void **st) {
  NEED_OPENSSL();
  int fds_before = th_count_fds();
  int port = th_free_port();
  char accept_arg[64];
  snprintf(accept_arg, sizeof(accept_arg), "127.0.0.1:%d", port);
  const char *argv[] = {"openssl", "s_server", "-accept", accept_arg, "-cert", p_leaf,
                        "-key",    p_key,      "-www",    "-quiet",   NULL};
  pid_t pid = th_spawn(argv, NULL);
  assert_true(th_wait_port(port, 10));
  gale_loop *loop = gale_loop_new();
  ep cli;
  memset(&cli, 0, sizeof(cli));
  assert_int_equal(gale_stream_new(loop, tcp_connect_nb(port), NULL, &cli.s), GALE_OK);
  gale_stream_set_close_cb(cli.s, ep_close, &cli);
  gale_tls_ctx *cctx = client_ctx(NULL);
  assert_int_equal(gale_stream_start_tls(cli.s, cctx, false, "localhost", 5, ep_hs, &cli), GALE_OK);
  gale_stream_write(cli.s, "GET / HTTP/1.0\r\n\r\n", 18, NULL, NULL);
  gale_stream_read_until_close(cli.s, ep_read, &cli);
  TH_RUN_UNTIL(loop, cli.closes == 1, 10);
  th_kill(pid);
  assert_int_equal(cli.hs_status, GALE_OK);
  cli.got[cli.got_len < sizeof(cli.got) ? cli.got_len : sizeof(cli.got) - 1] = '\0';
  if (!strstr(cli.got, "200 ok")) fail_msg("s_server said: %.200s", cli.got);
  assert_int_equal(cli.read_status, GALE_OK); /* s_server sent close_notify */
  gale_tls_ctx_unref(cctx);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), fds_before);
}

typedef struct acc {
  gale_tls_ctx *ctx;
  gale_loop *loop;
  ep srv;
} acc;

static void srv_read_hello(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  ep *e = arg;
  e->reads++;
  e->read_status = status;
  if (status != GALE_OK) return;
  memcpy(e->got, data, len < sizeof(e->got) ? len : sizeof(e->got));
  e->got_len = len;
  gale_stream_write(s, "hello from gale\n", 16, NULL, NULL);
  gale__stream_close_after_flush(s, 1.0);
}

static void on_accept(gale_watcher *w, int fd, int events, void *arg) {
  acc *a = arg;
  int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (c < 0) return;
  assert_null(a->srv.s);
  assert_int_equal(gale_stream_new(a->loop, c, NULL, &a->srv.s), GALE_OK);
  gale_stream_set_close_cb(a->srv.s, ep_close, &a->srv);
  assert_int_equal(gale_stream_start_tls(a->srv.s, a->ctx, true, NULL, 5, ep_hs, &a->srv), GALE_OK);
  gale_stream_read_until(a->srv.s, "\n", 1, 0, srv_read_hello, &a->srv);
}

static void test_openssl_s_client(void **st) {
  NEED_OPENSSL();
  int fds_before = th_count_fds();
  acc a;
  memset(&a, 0, sizeof(a));
  a.loop = gale_loop_new();
  a.ctx = server_ctx(p_leaf, p_key, NULL);
  int port;
  int lfd = th_listen(&port);
  gale_watcher *w;
  assert_int_equal(gale_watcher_new(a.loop, lfd, GALE_READ, on_accept, &a, &w), GALE_OK);
  char cmd[2048], log[600];
  snprintf(log, sizeof(log), "%s/s_client.log", dir);
  snprintf(cmd, sizeof(cmd),
           "printf 'hello from s_client\\n' | openssl s_client -connect 127.0.0.1:%d "
           "-servername localhost -CAfile %s -verify_return_error -verify_hostname localhost "
           "-ign_eof",
           port, p_ca);
  const char *argv[] = {"sh", "-c", cmd, NULL};
  pid_t pid = th_spawn(argv, log);
  TH_RUN_UNTIL(a.loop, a.srv.closes == 1, 15);
  char *out = NULL;
  double deadline = th_now() + 5;
  while (th_now() < deadline) {
    free(out);
    out = th_read_file(log, NULL);
    if (out && strstr(out, "hello from gale")) break;
    th_run_for(a.loop, 0.05);
  }
  th_kill(pid);
  assert_int_equal(a.srv.hs_status, GALE_OK);
  assert_int_equal(a.srv.read_status, GALE_OK);
  assert_memory_equal(a.srv.got, "hello from s_client\n", 20);
  assert_non_null(out);
  if (!strstr(out, "hello from gale") || !strstr(out, "Verify return code: 0"))
    fail_msg("s_client output: %.600s", out);
  free(out);
  gale_watcher_free(w);
  close(lfd);
  gale_tls_ctx_unref(a.ctx);
  gale_loop_free(a.loop);
  assert_int_equal(th_count_fds(), fds_before);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_alpn),
      cmocka_unit_test(test_wrong_hostname),
      cmocka_unit_test(test_cn_only_match_refused),
      cmocka_unit_test(test_untrusted_ca),
      cmocka_unit_test(test_expired),
      cmocka_unit_test(test_wildcards_and_ip),
      cmocka_unit_test(test_insecure_and_errors),
      cmocka_unit_test(test_alpn_mismatch),
      cmocka_unit_test(test_sni_callback),
      cmocka_unit_test(test_handshake_timeout),
      cmocka_unit_test(test_starttls),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_close_in_handshake_cb_and_hook),
      cmocka_unit_test(test_openssl_s_server),
      cmocka_unit_test(test_openssl_s_client),
  };
  return cmocka_run_group_tests(tests, setup_certs, teardown_certs);
}
