/* SPDX-License-Identifier: MIT */
/* gale_http_client against real servers started here: nginx (keep-alive
 * reuse, gzip + chunked, redirects, HTTPS with certificates made at test
 * time, a large streamed download in bounded memory), Python's Tornado
 * (streamed chunks, uploads, gzip), `openssl s_server` for TLS failures
 * (untrusted CA, wrong host, expired, client certificates) and tinyproxy
 * (plain and CONNECT).  A test skips when its peer is not installed. */
#include "client_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gale/http_client.h"
#include "gale/httputil.h"

#define PY "/usr/bin/python3"

#if defined(__SANITIZE_ADDRESS__)
#define BIG_MIB 64
#else
#define BIG_MIB 1024
#endif

/* Under ASan, freed memory sits in a quarantine (256 MiB by default) that
 * counts in the RSS: keep it small so the bounded-memory download test
 * measures the client, not the sanitizer.  Unused without ASan. */
__attribute__((visibility("default"), used)) const char *__asan_default_options(void);
__attribute__((visibility("default"), used)) const char *__asan_default_options(void) {
  return "quarantine_size_mb=8";
}

typedef struct peers {
  char *dir;
  bool certs;
  pid_t nginx, tornado, tinyproxy;
  int nginx_port, nginx_tls_port, tornado_port, proxy_port;
} peers;

static peers P;

static char *path(const char *name) {
  static char buf[8][512];
  static int i;
  i = (i + 1) % 8;
  snprintf(buf[i], sizeof buf[i], "%s/%s", P.dir, name);
  return buf[i];
}

static void write_str(const char *file, const char *text) {
  th_write_file(file, text, strlen(text));
}

/* A test CA, a good leaf for localhost/127.0.0.1, a leaf for another name,
 * an expired leaf, a self-signed certificate and a client certificate. */
static void make_certs(void) {
  const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc";
  int rc;
  if (P.certs) return;
  write_str(path("leaf.cnf"), "basicConstraints=critical,CA:FALSE\n"
                              "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                              "extendedKeyUsage=serverAuth\n");
  write_str(path("other.cnf"), "basicConstraints=critical,CA:FALSE\n"
                               "subjectAltName=DNS:other.example\n"
                               "extendedKeyUsage=serverAuth\n");
  write_str(path("client.cnf"), "basicConstraints=critical,CA:FALSE\n"
                                "extendedKeyUsage=clientAuth\n");
  rc = th_system(
      "cd %s && openssl req -x509 %s -keyout ca.key -out ca.crt -subj '/CN=Test CA' -days 2"
      " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
      " >/dev/null 2>&1"
      " && for n in leaf other expired client; do openssl req %s -keyout $n.key -out $n.csr"
      " -subj /CN=$n >/dev/null 2>&1 || exit 1; done"
      " && openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -out leaf.crt -days 2 -extfile "
      "leaf.cnf >/dev/null 2>&1"
      " && openssl x509 -req -in other.csr -CA ca.crt -CAkey ca.key -out other.crt -days 2 "
      "-extfile other.cnf >/dev/null 2>&1"
      " && openssl x509 -req -in expired.csr -CA ca.crt -CAkey ca.key -out expired.crt -days -1 "
      "-extfile leaf.cnf >/dev/null 2>&1"
      " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -out client.crt -days 2 "
      "-extfile client.cnf >/dev/null 2>&1"
      " && openssl req -x509 %s -keyout self.key -out self.crt -subj /CN=localhost -days 2"
      " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1",
      P.dir, ec, ec, ec);
  assert_int_equal(rc, 0);
  P.certs = true;
}

static void start_nginx(void) {
  char conf[4096];
  int n;
  if (P.nginx) return;
  if (!th_which("nginx")) return;
  make_certs();
  P.nginx_port = th_free_port();
  P.nginx_tls_port = th_free_port();
  th_system("mkdir -p %s/www %s/tmp && printf 'hello from nginx\\n' > %s/www/index.html"
            " && truncate -s %dM %s/www/big.bin && for i in $(seq 200); do echo 'some text to "
            "compress'; done > %s/www/text.txt",
            P.dir, P.dir, P.dir, BIG_MIB, P.dir, P.dir);
  n = snprintf(conf, sizeof conf,
               "daemon off; master_process off; worker_processes 1;\n"
               "pid %s/nginx.pid; error_log %s/nginx.err;\n"
               "events { worker_connections 512; }\n"
               "http {\n access_log off; keepalive_requests 10000;\n"
               " client_body_temp_path %s/tmp; proxy_temp_path %s/tmp; fastcgi_temp_path %s/tmp;\n"
               " uwsgi_temp_path %s/tmp; scgi_temp_path %s/tmp;\n"
               " default_type text/plain;\n"
               " server { listen 127.0.0.1:%d; root %s/www;\n"
               "  location /redirect { return 301 /index.html; }\n"
               "  location /text.txt { gzip on; gzip_types text/plain; gzip_min_length 1; }\n"
               " }\n"
               " server { listen 127.0.0.1:%d ssl; root %s/www;\n"
               "  ssl_certificate %s/leaf.crt; ssl_certificate_key %s/leaf.key; }\n"
               "}\n",
               P.dir, P.dir, P.dir, P.dir, P.dir, P.dir, P.dir, P.nginx_port, P.dir,
               P.nginx_tls_port, P.dir, P.dir, P.dir);
  th_write_file(path("nginx.conf"), conf, (size_t)n);
  {
    const char *argv[] = {"nginx",           "-p", P.dir, "-c", path("nginx.conf"), "-e",
                          path("nginx.err"), NULL};
    P.nginx = th_spawn(argv, path("nginx.log"));
  }
  assert_true(th_wait_port(P.nginx_port, 10));
  assert_true(th_wait_port(P.nginx_tls_port, 10));
}

static const char tornado_app[] =
    "import asyncio, sys\n"
    "import tornado.ioloop, tornado.web\n"
    "class Stream(tornado.web.RequestHandler):\n"
    "    async def get(self):\n"
    "        for i in range(5):\n"
    "            self.write('chunk %d\\n' % i)\n"
    "            await self.flush()\n"
    "class Upload(tornado.web.RequestHandler):\n"
    "    def post(self):\n"
    "        b = self.request.body\n"
    "        self.write('%d %s %s' % (len(b), b[:8].decode(), "
    "self.request.headers.get('Transfer-Encoding', '-')))\n"
    "    put = post\n"
    "class Text(tornado.web.RequestHandler):\n"
    "    def get(self):\n"
    "        self.set_header('Content-Type', 'text/plain')\n"
    "        self.write('tornado text ' * 300)\n"
    "class Many(tornado.web.RequestHandler):\n"
    "    def get(self):\n"
    "        for i in range(500):\n"
    "            self.set_header('X-H-%d' % i, str(i))\n"
    "        self.write('many')\n"
    "class Go(tornado.web.RequestHandler):\n"
    "    def get(self):\n"
    "        self.redirect('/text')\n"
    "app = tornado.web.Application([(r'/stream', Stream), (r'/upload', Upload), (r'/text', Text), "
    "(r'/go', Go), (r'/many', Many)],\n"
    "                              compress_response=True)\n"
    "app.listen(int(sys.argv[1]), '127.0.0.1')\n"
    "tornado.ioloop.IOLoop.current().start()\n";

static bool start_tornado(void) {
  if (P.tornado) return true;
  if (th_system(PY " -c 'import tornado' 2>/dev/null") != 0) return false;
  th_write_file(path("app.py"), tornado_app, sizeof tornado_app - 1);
  P.tornado_port = th_free_port();
  {
    char port[16];
    const char *argv[] = {PY, path("app.py"), port, NULL};
    snprintf(port, sizeof port, "%d", P.tornado_port);
    P.tornado = th_spawn(argv, path("tornado.log"));
  }
  assert_true(th_wait_port(P.tornado_port, 15));
  return true;
}

static bool start_tinyproxy(void) {
  char conf[512];
  int n;
  if (P.tinyproxy) return true;
  if (!th_which("tinyproxy")) return false;
  start_nginx();
  P.proxy_port = th_free_port();
  n = snprintf(conf, sizeof conf,
               "Port %d\nListen 127.0.0.1\nTimeout 10\nAllow 127.0.0.1\nConnectPort %d\n"
               "MaxClients 20\nLogLevel Error\nUser nobody\nGroup nogroup\n",
               P.proxy_port, P.nginx_tls_port);
  th_write_file(path("tinyproxy.conf"), conf, (size_t)n);
  {
    const char *argv[] = {"tinyproxy", "-d", "-c", path("tinyproxy.conf"), NULL};
    P.tinyproxy = th_spawn(argv, path("tinyproxy.log"));
  }
  assert_true(th_wait_port(P.proxy_port, 10));
  return true;
}

static int group_setup(void **state) {
  (void)state;
  memset(&P, 0, sizeof P);
  P.dir = th_mkdtemp();
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  if (P.nginx) th_kill(P.nginx);
  if (P.tornado) th_kill(P.tornado);
  if (P.tinyproxy) th_kill(P.tinyproxy);
  th_rmtree(P.dir);
  return 0;
}

/* ---- per-test fixture ----------------------------------------------------- */

static int setup(void **state) {
  client_fx *f = cf_open(NULL);
  f->wait = 30;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  cf_close(*state);
  return 0;
}

static const char *nurl(client_fx *f, bool tls, const char *p) {
  snprintf(f->url, sizeof f->url, "%s://127.0.0.1:%d%s", tls ? "https" : "http",
           tls ? P.nginx_tls_port : P.nginx_port, p);
  return f->url;
}

/* ---- nginx ---------------------------------------------------------------- */

static void test_nginx_keepalive(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  th_require_program("nginx");
  start_nginx();
  for (int i = 0; i < 20; i++) {
    cf_result *r;
    gale_http_request_init(&req, nurl(f, false, "/index.html"));
    r = cf_fetch(f, &req);
    assert_int_equal(r->status, GALE_OK);
    assert_int_equal(r->code, 200);
    assert_string_equal(r->body, "hello from nginx\n");
    assert_int_equal(r->reused, i > 0);
    free(r);
  }
  assert_int_equal(gale_http_client_connections_opened(f->client), 1);
}

static void test_nginx_gzip_redirect(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  th_require_program("nginx");
  start_nginx();
  gale_http_request_init(&req, nurl(f, false, "/text.txt"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->encoding, "gzip"); /* nginx compressed it (chunked) */
  assert_int_equal(r->body_len, 200 * 22);
  assert_memory_equal(r->body, "some text to compress\n", 22);
  free(r);
  gale_http_request_init(&req, nurl(f, false, "/redirect"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 200);
  assert_int_equal(r->redirects, 1);
  assert_string_equal(r->body, "hello from nginx\n");
  free(r);
  gale_http_request_init(&req, nurl(f, false, "/missing"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->code, 404);
  free(r);
}

static void test_nginx_https(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  th_require_program("nginx");
  start_nginx();
  for (int i = 0; i < 3; i++) {
    gale_http_request_init(&req, nurl(f, true, "/index.html"));
    req.ca_certs = path("ca.crt");
    r = cf_fetch(f, &req);
    if (r->status != GALE_OK) fail_msg("https: %s (%s)", gale_err_name(r->status), r->error);
    assert_string_equal(r->body, "hello from nginx\n");
    assert_int_equal(r->reused, i > 0);
    /* The handshake is timed on a new connection only. */
    if (i == 0)
      assert_true(r->t.connect > 0 && r->t.tls > 0 && r->t.first_byte > 0);
    else
      assert_true(r->t.connect == 0 && r->t.tls == 0);
    assert_true(r->t.total >= r->t.connect + r->t.tls);
    free(r);
  }
  /* Other TLS settings: another pool entry, not the verified connection. */
  gale_http_request_init(&req, nurl(f, true, "/index.html"));
  req.validate_cert = false;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_false(r->reused);
  free(r);
  /* By name too: the certificate has DNS:localhost. */
  snprintf(f->url, sizeof f->url, "https://localhost:%d/index.html", P.nginx_tls_port);
  gale_http_request_init(&req, f->url);
  req.ca_certs = path("ca.crt");
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  free(r);
  /* Without the CA: not trusted. */
  gale_http_request_init(&req, nurl(f, true, "/index.html"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_ETLS_VERIFY);
  assert_true(strlen(r->error) > 0);
  free(r);
}

static size_t max_rss_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (size_t)ru.ru_maxrss;
}

static int count_bytes(const void *data, size_t len, void *arg) {
  (void)data;
  *(uint64_t *)arg += len;
  return GALE_OK;
}

static void test_nginx_large_streamed_download(void **state) {
  /* BIG_MIB (a sparse file) through a streaming callback: memory must stay
   * far below the body size.  1 GiB takes ~3 s in a normal build; under
   * ASan (its allocator is much slower on this path) 64 MiB shows the same
   * bound in a few seconds. */
  client_fx *f = *state;
  gale_http_request req;
  uint64_t got = 0;
  size_t before, after;
  cf_result *r;
  th_require_program("nginx");
  start_nginx();
  before = max_rss_kib();
  gale_http_request_init(&req, nurl(f, false, "/big.bin"));
  req.streaming_callback = count_bytes;
  req.streaming_callback_arg = &got;
  req.request_timeout = 60;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(got, (uint64_t)BIG_MIB << 20);
  after = max_rss_kib();
  /* Peak RSS grew by less than 32 MiB while the whole body went through. */
  if (after - before > 32 * 1024) fail_msg("peak RSS grew by %zu KiB", after - before);
  free(r);
}

/* ---- Tornado ------------------------------------------------------------- */

static const char *turl(client_fx *f, const char *p) {
  snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d%s", P.tornado_port, p);
  return f->url;
}

typedef struct chunks {
  int calls;
  char text[256];
  size_t len;
} chunks;

static int collect(const void *data, size_t len, void *arg) {
  chunks *c = arg;
  c->calls++;
  if (c->len + len < sizeof c->text) {
    memcpy(c->text + c->len, data, len);
    c->len += len;
  }
  return GALE_OK;
}

typedef struct prod {
  int left;
} prod;

static void produce(gale_http_upload *up, void *arg) {
  prod *p = arg;
  if (p->left-- > 0)
    gale_http_upload_write(up, "tornado!", 8);
  else
    gale_http_upload_finish(up, GALE_OK);
}

static void test_tornado(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  chunks c = {0};
  prod p = {100};
  cf_result *r;
  if (!start_tornado()) skip();
  gale_http_request_init(&req, turl(f, "/stream"));
  req.streaming_callback = collect;
  req.streaming_callback_arg = &c;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  c.text[c.len] = '\0';
  assert_string_equal(c.text, "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
  free(r);
  /* A chunked upload of unknown length. */
  gale_http_request_init(&req, turl(f, "/upload"));
  req.method = "POST";
  req.body_producer = produce;
  req.body_producer_arg = &p;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "800 tornado! chunked");
  free(r);
  /* gzip, after a redirect. */
  gale_http_request_init(&req, turl(f, "/go"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->encoding, "gzip");
  assert_int_equal(r->body_len, 13 * 300);
  free(r);
  /* 500 fields (there was a fixed cap of 100). */
  gale_http_request_init(&req, turl(f, "/many"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "many");
  assert_true(r->nheaders > 500);
  free(r);
  assert_int_equal(gale_http_client_connections_opened(f->client), 1);
}

/* ---- TLS failures with openssl s_server ----------------------------------- */

static void tls_case(client_fx *f, const char *cert, const char *key, const char *extra,
                     const char *host, const char *ca, const char *ccert, int expect) {
  int port = th_free_port();
  char portstr[16];
  pid_t pid;
  gale_http_request req;
  cf_result *r;
  snprintf(portstr, sizeof portstr, "%d", port);
  {
    const char *argv[] = {"openssl",
                          "s_server",
                          "-accept",
                          portstr,
                          "-cert",
                          path(cert),
                          "-key",
                          path(key),
                          "-www",
                          "-quiet",
                          extra ? "-Verify" : NULL,
                          extra ? "1" : NULL,
                          extra ? "-CAfile" : NULL,
                          extra ? path("ca.crt") : NULL,
                          NULL};
    pid = th_spawn(argv, NULL);
  }
  assert_true(th_wait_port(port, 10));
  snprintf(f->url, sizeof f->url, "https://%s:%d/", host, port);
  gale_http_request_init(&req, f->url);
  req.ca_certs = ca ? path(ca) : NULL;
  if (ccert) {
    req.client_cert = path(ccert);
    req.client_key = path("client.key");
  }
  r = cf_fetch(f, &req);
  th_kill(pid);
  if (r->status != expect)
    fail_msg("%s for %s: got %s (%s), expected %s", cert, host, gale_err_name(r->status), r->error,
             gale_err_name(expect));
  if (expect == GALE_OK) {
    assert_int_equal(r->code, 200);
  } else if (!strstr(r->error, "TLS handshake with") ||
             strlen(r->error) <= strlen("TLS handshake with 127.0.0.1 failed: ")) {
    fail_msg("no reason in the error: '%s'", r->error);
  }
  if (getenv("GALE_TEST_VERBOSE")) fprintf(stderr, "%s: %s\n", cert, r->error);
  free(r);
}

static void test_tls_failures(void **state) {
  client_fx *f = *state;
  th_require_program("openssl");
  make_certs();
  tls_case(f, "leaf.crt", "leaf.key", NULL, "127.0.0.1", "ca.crt", NULL, GALE_OK);
  tls_case(f, "self.crt", "self.key", NULL, "127.0.0.1", "ca.crt", NULL, GALE_ETLS_VERIFY);
  tls_case(f, "leaf.crt", "leaf.key", NULL, "127.0.0.1", NULL, NULL, GALE_ETLS_VERIFY);
  tls_case(f, "other.crt", "other.key", NULL, "127.0.0.1", "ca.crt", NULL, GALE_ETLS_HOSTNAME);
  tls_case(f, "expired.crt", "expired.key", NULL, "127.0.0.1", "ca.crt", NULL, GALE_ETLS_EXPIRED);
  /* A server that requires a client certificate. */
  tls_case(f, "leaf.crt", "leaf.key", "verify", "127.0.0.1", "ca.crt", "client.crt", GALE_OK);
}

static void test_tls_insecure(void **state) {
  client_fx *f = *state;
  int port = th_free_port();
  char portstr[16];
  pid_t pid;
  gale_http_request req;
  cf_result *r;
  th_require_program("openssl");
  make_certs();
  snprintf(portstr, sizeof portstr, "%d", port);
  {
    const char *argv[] = {"openssl", "s_server",       "-accept", portstr,
                          "-cert",   path("self.crt"), "-key",    path("self.key"),
                          "-www",    "-quiet",         NULL};
    pid = th_spawn(argv, NULL);
  }
  assert_true(th_wait_port(port, 10));
  snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d/", port);
  gale_http_request_init(&req, f->url);
  req.validate_cert = false;
  r = cf_fetch(f, &req);
  th_kill(pid);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->code, 200);
  free(r);
  /* An unreadable CA file is a configuration error. */
  gale_http_request_init(&req, "https://127.0.0.1:1/");
  req.ca_certs = "/nonexistent/ca.pem";
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_ETLS_CONFIG);
  free(r);
}

/* ---- tinyproxy ------------------------------------------------------------ */

static void test_proxy(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  if (!th_which("nginx") || !start_tinyproxy()) skip();
  /* Plain http: absolute form through the proxy. */
  gale_http_request_init(&req, nurl(f, false, "/index.html"));
  req.proxy_host = "127.0.0.1";
  req.proxy_port = P.proxy_port;
  r = cf_fetch(f, &req);
  if (r->status != GALE_OK) fail_msg("proxy: %s (%s)", gale_err_name(r->status), r->error);
  assert_int_equal(r->code, 200);
  assert_string_equal(r->body, "hello from nginx\n");
  free(r);
  /* https: a CONNECT tunnel, then TLS with the origin. */
  gale_http_request_init(&req, nurl(f, true, "/index.html"));
  req.proxy_host = "127.0.0.1";
  req.proxy_port = P.proxy_port;
  req.ca_certs = path("ca.crt");
  r = cf_fetch(f, &req);
  if (r->status != GALE_OK) fail_msg("CONNECT: %s (%s)", gale_err_name(r->status), r->error);
  assert_string_equal(r->body, "hello from nginx\n");
  free(r);
  /* CONNECT to a port the proxy refuses. */
  gale_http_request_init(&req, nurl(f, false, "/index.html"));
  snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d/", P.nginx_port);
  gale_http_request_init(&req, f->url);
  req.proxy_host = "127.0.0.1";
  req.proxy_port = P.proxy_port;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_PROXY);
  assert_non_null(strstr(r->error, "403"));
  free(r);
}

int main(void) {
  /* As the gale tool does (tools/gale.c): keep freed read buffers in the
   * heap instead of trimming them back to the kernel after every read. */
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  /* Built twice (http/client/local.mk): the plain-HTTP peers, and with
   * PEERS_TLS the TLS and proxy cases, so each binary stays short. */
#ifndef PEERS_TLS
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_nginx_keepalive, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nginx_gzip_redirect, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nginx_large_streamed_download, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tornado, setup, teardown),
  };
  (void)test_nginx_https, (void)test_tls_failures, (void)test_tls_insecure, (void)test_proxy;
#else
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_nginx_https, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tls_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tls_insecure, setup, teardown),
      cmocka_unit_test_setup_teardown(test_proxy, setup, teardown),
  };
  (void)test_nginx_keepalive, (void)test_nginx_gzip_redirect;
  (void)test_nginx_large_streamed_download, (void)test_tornado;
#endif
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
