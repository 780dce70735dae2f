/* SPDX-License-Identifier: MIT */
/* gale_websocket_connect: against gale's own server (echo, subprotocols,
 * headers, masking enforced by the server's parser, read_message, the
 * closing handshake both ways, wss:// with a self-signed certificate), its
 * failures (refused handshake, bad URLs, connection refused, a silent
 * server, cancelling), and Python's websockets as the server. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "test_websocket_util.h"
#include "test_ws_bad_proxy.h"

static int srv_closes, srv_code, cli_closes, cli_code, cli_messages;
static char cli_last[256], srv_header[64];
static gale_websocket *srv_ws;

static void reset(void) {
  srv_closes = srv_code = cli_closes = cli_code = cli_messages = 0;
  cli_last[0] = srv_header[0] = '\0';
  srv_ws = NULL;
}

/* ---- the server side ---------------------------------------------------------- */

static void srv_open(gale_websocket *ws, gale_web_handler *h) {
  srv_ws = ws;
  const char *v = gale_web_header(h, "X-Token");
  snprintf(srv_header, sizeof(srv_header), "%s", v ? v : "");
}
static void srv_echo(gale_websocket *ws, const char *data, size_t len, bool binary) {
  gale_websocket_write_message(ws, data, len, binary, NULL);
}
static void srv_close(gale_websocket *ws, int code, const char *reason) {
  (void)ws;
  (void)reason;
  srv_closes++;
  srv_code = code;
  srv_ws = NULL;
}
static const char *srv_pick(gale_web_handler *h, const char *const *offered, size_t n) {
  (void)h;
  return n > 1 ? offered[1] : NULL;
}
static void srv_deny(gale_web_handler *h) {
  if (strcmp(gale_web_path(h), "/deny") == 0) gale_web_send_error(h, 403);
}
static const gale_websocket_class srv_class = {.open = srv_open,
                                               .on_message = srv_echo,
                                               .on_close = srv_close,
                                               .select_subprotocol = srv_pick,
                                               .prepare = srv_deny};

/* ---- the client side ------------------------------------------------------------ */

static void cli_message(gale_websocket *ws, const char *data, size_t len, bool binary) {
  (void)ws;
  cli_messages++;
  snprintf(cli_last, sizeof(cli_last), "%s%.*s", binary ? "b:" : "t:", (int)len, data);
}
static void cli_close(gale_websocket *ws, int code, const char *reason) {
  (void)ws;
  (void)reason;
  cli_closes++;
  cli_code = code;
}

static void start(wfix *f, gale_tls_ctx *tls) {
  reset();
  wfix_open(f, NULL);
  assert_int_equal(gale_web_app_add_websocket(f->app, "/(ws|deny)", &srv_class, NULL, NULL),
                   GALE_OK);
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.access_log = false;
  o.tls = tls;
  wfix_listen(f, &o);
}

/* Connects and waits; returns the future (done). */
static gale_future *dial(wfix *f, const char *url, const gale_websocket_connect_options *o) {
  int st;
  gale_future *fut = gale_websocket_connect(f->loop, url, o, &st);
  assert_non_null(fut);
  assert_int_equal(st, GALE_OK);
  TH_RUN_UNTIL(f->loop, gale_future_done(fut), 10);
  return fut;
}

static void client_options(gale_websocket_connect_options *o) {
  gale_websocket_connect_options_init(o);
  o->on_message = cli_message;
  o->on_close = cli_close;
}

static void test_echo_and_close(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  char url[128];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws?x=1", f.port);
  gale_websocket_connect_options o;
  client_options(&o);
  static const char *const protos[] = {"one", "two", NULL};
  static const char *const headers[] = {"X-Token: secret", NULL};
  o.subprotocols = protos;
  o.headers = headers;
  gale_future *fut = dial(&f, url, &o);
  assert_int_equal(gale_future_status(fut), GALE_OK);
  gale_websocket *ws = gale_future_result(fut);
  assert_false(gale_websocket_is_server(ws));
  assert_string_equal(gale_websocket_subprotocol(ws), "two");
  assert_string_equal(srv_header, "secret");
  /* Masked frames both kinds: the server's parser would fail 1002 else. */
  assert_int_equal(gale_websocket_write_message(ws, "hello", 5, false, NULL), GALE_OK);
  TH_RUN_UNTIL(f.loop, cli_messages == 1, 5);
  assert_string_equal(cli_last, "t:hello");
  char big[70000];
  memset(big, 'q', sizeof(big));
  gale_future *flushed = NULL;
  assert_int_equal(gale_websocket_write_message(ws, big, sizeof(big), true, &flushed), GALE_OK);
  TH_RUN_UNTIL(f.loop, cli_messages == 2, 5);
  assert_true(gale_future_done(flushed));
  gale_future_unref(flushed);
  assert_int_equal(strlen(cli_last), sizeof(cli_last) - 1);
  /* The client closes: the server answers and closes the TCP connection. */
  assert_int_equal(gale_websocket_close(ws, 1000, "bye"), GALE_OK);
  TH_RUN_UNTIL(f.loop, cli_closes == 1 && srv_closes == 1, 5);
  assert_int_equal(cli_code, 1000);
  assert_int_equal(srv_code, 1000);
  assert_true(gale_websocket_closed(ws));
  gale_future_unref(fut); /* drops the future's reference: freed */
  wfix_stop(&f);
}

static void test_server_closes_and_read_message(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  char url[128];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", f.port);
  gale_websocket_connect_options o;
  gale_websocket_connect_options_init(&o);
  o.on_close = cli_close; /* no on_message: read_message */
  gale_future *fut = dial(&f, url, &o);
  gale_websocket *ws = gale_future_result(fut);
  assert_non_null(ws);
  assert_int_equal(gale_websocket_write_message(ws, "ping?", 5, false, NULL), GALE_OK);
  gale_future *m = gale_websocket_read_message(ws, NULL);
  TH_RUN_UNTIL(f.loop, gale_future_done(m), 5);
  gale_websocket_message *msg = gale_future_result(m);
  assert_string_equal(msg->data, "ping?");
  assert_false(msg->binary);
  gale_future_unref(m);
  m = gale_websocket_read_message(ws, NULL);
  TH_RUN_UNTIL(f.loop, srv_ws != NULL, 5);
  assert_int_equal(gale_websocket_close(srv_ws, 4001, "go"), GALE_OK);
  TH_RUN_UNTIL(f.loop, cli_closes == 1 && srv_closes == 1, 5);
  assert_int_equal(cli_code, 4001);
  assert_int_equal(srv_code, 4001); /* the client echoed it */
  assert_int_equal(gale_future_status(m), GALE_ECLOSED);
  gale_future_unref(m);
  gale_future_unref(fut);
  wfix_stop(&f);
}

static void test_failures(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  char url[128];
  int st;
  assert_null(gale_websocket_connect(f.loop, "http://127.0.0.1/", NULL, &st));
  assert_int_equal(st, GALE_ENOTSUP);
  assert_null(gale_websocket_connect(f.loop, "ws://", NULL, &st));
  assert_int_equal(st, GALE_EURL);
  gale_websocket_connect_options o;
  client_options(&o);
  static const char *const bad[] = {"X-A: b\r\nX-Evil: 1", NULL};
  o.headers = bad;
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", f.port);
  assert_null(gale_websocket_connect(f.loop, url, &o, &st));
  assert_int_equal(st, GALE_EINVAL);
  /* A refused handshake. */
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/deny", f.port);
  gale_future *fut = dial(&f, url, NULL);
  assert_int_equal(gale_future_status(fut), GALE_EWS_REFUSED);
  gale_future_unref(fut);
  /* Not a WebSocket at all: 404. */
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/nothing", f.port);
  gale_websocket_connect_info info;
  client_options(&o);
  o.info = &info;
  fut = dial(&f, url, &o);
  assert_int_equal(gale_future_status(fut), GALE_EWS_REFUSED);
  assert_int_equal(info.http_status, 404);
  assert_string_equal(info.reason, "Not Found");
  assert_non_null(strstr(info.error, "404 Not Found instead of 101"));
  gale_future_unref(fut);
  /* Nobody listening. */
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", th_free_port());
  fut = dial(&f, url, NULL);
  assert_int_equal(gale_future_status(fut), GALE_ECONNREFUSED);
  gale_future_unref(fut);
  /* A server that accepts and never answers; then one cancelled. */
  int port;
  int lfd = th_listen(&port);
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", port);
  client_options(&o);
  o.request_timeout = 0.1;
  fut = dial(&f, url, &o);
  assert_int_equal(gale_future_status(fut), GALE_ETIMEDOUT_REQUEST);
  gale_future_unref(fut);
  fut = gale_websocket_connect(f.loop, url, NULL, &st);
  assert_non_null(fut);
  th_run_for(f.loop, 0.02);
  assert_true(gale_future_cancel(fut));
  gale_future_unref(fut);
  th_run_for(f.loop, 0.02);
  close(lfd);
  assert_int_equal(cli_closes, 0);
  wfix_stop(&f);
}

/* ---- permessage-deflate, both ends gale ---------------------------------------------- */

static void test_compression(void **state) {
  (void)state;
  wfix f;
  reset();
  wfix_open(&f, NULL);
  gale_websocket_options so;
  gale_websocket_options_init(&so);
  so.compression.enabled = true;
  so.compression.server_no_context_takeover = true;
  assert_int_equal(gale_web_app_add_websocket(f.app, "/z", &srv_class, NULL, &so), GALE_OK);
  assert_int_equal(gale_web_app_add_websocket(f.app, "/plain", &srv_class, NULL, NULL), GALE_OK);
  wfix_listen(&f, NULL);
  char url[128];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/z", f.port);
  gale_websocket_connect_options o;
  client_options(&o);
  o.ws.compression.enabled = true;
  gale_future *fut = dial(&f, url, &o);
  assert_int_equal(gale_future_status(fut), GALE_OK);
  gale_websocket *ws = gale_future_result(fut);
  assert_true(gale_websocket_compressed(ws));
  assert_true(gale_websocket_compressed(srv_ws));
  static char text[200000];
  for (size_t i = 0; i + 1 < sizeof(text); i++) text[i] = "abcdefgh"[i % 7];
  for (int k = 0; k < 3; k++) { /* context kept (client) and reset (server) */
    gale_websocket_write_message(ws, text, sizeof(text) - 1, false, NULL);
    TH_RUN_UNTIL(f.loop, cli_messages == k + 1, 5);
    assert_int_equal(strlen(cli_last), sizeof(cli_last) - 1);
  }
  gale_websocket_write_message(ws, "", 0, true, NULL);
  TH_RUN_UNTIL(f.loop, cli_messages == 4, 5);
  assert_string_equal(cli_last, "b:");
  gale_websocket_close(ws, 1000, NULL);
  TH_RUN_UNTIL(f.loop, cli_closes == 1, 5);
  gale_future_unref(fut);
  /* Offered to a route without compression: declined, plain frames. */
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/plain", f.port);
  fut = dial(&f, url, &o);
  ws = gale_future_result(fut);
  assert_false(gale_websocket_compressed(ws));
  gale_websocket_write_message(ws, "x", 1, false, NULL);
  TH_RUN_UNTIL(f.loop, cli_messages == 5, 5);
  gale_websocket_close(ws, 1000, NULL);
  TH_RUN_UNTIL(f.loop, cli_closes == 2, 5);
  gale_future_unref(fut);
  wfix_stop(&f);
}

/* ---- through an HTTP proxy -------------------------------------------------------------- */

/* tinyproxy on a free port, allowing CONNECT to `port` only; false when
 * it is not installed. */
static bool start_tinyproxy(const char *dir, int port, pid_t *pid, int *pport) {
  if (!th_which("tinyproxy")) return false;
  *pport = th_free_port();
  char conf[512], path[512], log[512];
  int n = snprintf(conf, sizeof(conf),
                   "Port %d\nListen 127.0.0.1\nTimeout 10\nAllow 127.0.0.1\nConnectPort %d\n"
                   "LogLevel Error\n",
                   *pport, port);
  snprintf(path, sizeof(path), "%s/tinyproxy.conf", dir);
  snprintf(log, sizeof(log), "%s/tinyproxy.log", dir);
  th_write_file(path, conf, (size_t)n);
  const char *argv[] = {"tinyproxy", "-d", "-c", path, NULL};
  *pid = th_spawn(argv, log);
  assert_true(th_wait_port(*pport, 10));
  return true;
}

static void test_proxy_tinyproxy(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  char *dir = th_mkdtemp();
  pid_t tp;
  int pport;
  if (!start_tinyproxy(dir, f.port, &tp, &pport)) {
    wfix_stop(&f);
    th_rmtree(dir);
    skip();
  }
  char url[128];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", f.port);
  gale_websocket_connect_options o;
  client_options(&o);
  o.proxy_host = "127.0.0.1";
  o.proxy_port = pport;
  gale_websocket_connect_info info;
  o.info = &info;
  gale_future *fut = dial(&f, url, &o);
  if (gale_future_status(fut) != GALE_OK) fail_msg("via tinyproxy: %s", info.error);
  assert_int_equal(info.proxy_status, 200);
  assert_int_equal(info.http_status, 101);
  gale_websocket *ws = gale_future_result(fut);
  gale_websocket_write_message(ws, "proxied", 7, false, NULL);
  TH_RUN_UNTIL(f.loop, cli_messages == 1, 5);
  assert_string_equal(cli_last, "t:proxied");
  gale_websocket_close(ws, 1000, NULL);
  TH_RUN_UNTIL(f.loop, cli_closes == 1, 5);
  gale_future_unref(fut);
  /* A port tinyproxy does not allow: its refusal, with its status. */
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", th_free_port());
  fut = dial(&f, url, &o);
  assert_int_equal(gale_future_status(fut), GALE_EHTTP_PROXY);
  assert_true(info.proxy_status >= 400);
  assert_int_equal(info.http_status, 0);
  gale_future_unref(fut);
  th_kill(tp);
  wfix_stop(&f);
  th_rmtree(dir);
}

/* The tunnel's failures as the WebSocket client reports them. */
static void ws_bad_proxy(bp_mode m, int status, int proxy_status, const char *in_error) {
  gale_loop *loop = gale_loop_new();
  bproxy p;
  bp_start(&p, loop, m);
  gale_websocket_connect_options o;
  gale_websocket_connect_options_init(&o);
  o.proxy_host = "127.0.0.1";
  o.proxy_port = p.port;
  o.proxy_username = "u";
  o.proxy_password = "secret";
  o.connect_timeout = 0.4;
  gale_websocket_connect_info info;
  o.info = &info;
  int st;
  gale_future *fut = gale_websocket_connect(loop, "wss://origin.invalid:9443/x", &o, &st);
  assert_non_null(fut);
  TH_RUN_UNTIL(loop, gale_future_done(fut), 5);
  if (gale_future_status(fut) != status || !strstr(info.error, in_error))
    fail_msg("mode %d: %s (%s)", (int)m, gale_err_name(gale_future_status(fut)), info.error);
  assert_int_equal(info.proxy_status, proxy_status);
  assert_non_null(strstr(p.head, "CONNECT origin.invalid:9443 HTTP/1.1\r\n"));
  assert_non_null(strstr(p.head, "Proxy-Authorization: Basic dTpzZWNyZXQ=\r\n"));
  gale_future_unref(fut);
  bp_stop(&p);
  th_run_for(loop, 0.02);
  gale_loop_free(loop);
}

static void test_proxy_failures(void **state) {
  (void)state;
  int fds = th_count_fds();
  ws_bad_proxy(BP_407, GALE_EHTTP_PROXY, 407, "requires authentication");
  ws_bad_proxy(BP_502, GALE_EHTTP_PROXY, 502, "502 Bad Gateway");
  ws_bad_proxy(BP_CLOSE_MID, GALE_EHTTP_HEAD_TRUNCATED, 0, "in the middle of its answer");
  ws_bad_proxy(BP_CLOSE, GALE_EOF, 0, "before answering CONNECT");
  ws_bad_proxy(BP_SILENT, GALE_ETIMEDOUT_CONNECT, 0, "did not answer CONNECT");
  ws_bad_proxy(BP_EXTRA, GALE_EHTTP_PROXY, 200, "sent data after its 200");
  assert_int_equal(th_count_fds(), fds);
  /* A proxy string with CR/LF is refused before anything starts. */
  gale_loop *loop = gale_loop_new();
  gale_websocket_connect_options o;
  gale_websocket_connect_options_init(&o);
  o.proxy_host = "127.0.0.1\r\nX: y";
  int st;
  assert_null(gale_websocket_connect(loop, "ws://127.0.0.1:1/", &o, &st));
  assert_int_equal(st, GALE_EINVAL);
  gale_loop_free(loop);
}

/* ---- wss:// ---------------------------------------------------------------------------- */

static void test_wss(void **state) {
  (void)state;
  if (!th_which("openssl")) skip();
  char *dir = th_mkdtemp();
  assert_int_equal(th_system("cd %s && openssl req -x509 -newkey ec -pkeyopt "
                             "ec_paramgen_curve:P-256 -noenc -keyout k.pem -out c.pem "
                             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 2 "
                             "2>/dev/null",
                             dir),
                   0);
  char crt[512], key[512];
  snprintf(crt, sizeof(crt), "%s/c.pem", dir);
  snprintf(key, sizeof(key), "%s/k.pem", dir);
  gale_tls_ctx *sctx = NULL, *cctx = NULL;
  assert_int_equal(gale_tls_ctx_new_server(crt, key, NULL, &sctx), GALE_OK);
  gale_tls_client_options co;
  gale_tls_client_options_init(&co);
  co.ca_file = crt; /* verified: the certificate is its own anchor */
  assert_int_equal(gale_tls_ctx_new_client(&co, &cctx), GALE_OK);
  wfix f;
  start(&f, sctx);
  char url[128];
  snprintf(url, sizeof(url), "wss://127.0.0.1:%d/ws", f.port);
  gale_websocket_connect_options o;
  client_options(&o);
  o.tls = cctx;
  gale_future *fut = dial(&f, url, &o);
  assert_int_equal(gale_future_status(fut), GALE_OK);
  gale_websocket *ws = gale_future_result(fut);
  gale_websocket_write_message(ws, "secure", 6, false, NULL);
  TH_RUN_UNTIL(f.loop, cli_messages == 1, 5);
  assert_string_equal(cli_last, "t:secure");
  gale_websocket_close(ws, 1000, NULL);
  TH_RUN_UNTIL(f.loop, cli_closes == 1, 5);
  gale_future_unref(fut);
  /* The same through tinyproxy: TLS with the origin inside the tunnel. */
  pid_t tp = 0;
  int pport = 0;
  if (start_tinyproxy(dir, f.port, &tp, &pport)) {
    o.proxy_host = "127.0.0.1";
    o.proxy_port = pport;
    gale_websocket_connect_info info;
    o.info = &info;
    fut = dial(&f, url, &o);
    if (gale_future_status(fut) != GALE_OK) fail_msg("wss via tinyproxy: %s", info.error);
    assert_int_equal(info.proxy_status, 200);
    ws = gale_future_result(fut);
    gale_websocket_write_message(ws, "tunnelled", 9, false, NULL);
    TH_RUN_UNTIL(f.loop, cli_messages == 2, 5);
    assert_string_equal(cli_last, "t:tunnelled");
    gale_websocket_close(ws, 1000, NULL);
    TH_RUN_UNTIL(f.loop, cli_closes == 2, 5);
    gale_future_unref(fut);
    /* ws:// to a TLS port through the tunnel: the answer is not HTTP. */
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", f.port);
    fut = dial(&f, url, &o);
    assert_int_not_equal(gale_future_status(fut), GALE_OK);
    gale_future_unref(fut);
    snprintf(url, sizeof(url), "wss://127.0.0.1:%d/ws", f.port);
    th_kill(tp);
  }
  o.proxy_host = NULL;
  /* The system store does not trust it. */
  fut = dial(&f, url, NULL);
  assert_int_not_equal(gale_future_status(fut), GALE_OK);
  gale_future_unref(fut);
  wfix_stop(&f);
  gale_tls_ctx_unref(sctx);
  gale_tls_ctx_unref(cctx);
  th_rmtree(dir);
}

/* ---- Python's websockets as the server ------------------------------------------------- */

static const char PY_SERVER[] =
    "import asyncio, sys, websockets\n"
    "async def echo(ws, path=None):\n"
    "    async for m in ws:\n"
    "        await ws.send(m)\n"
    "async def main():\n"
    "    async with websockets.serve(echo, '127.0.0.1', int(sys.argv[1]),\n"
    "                                subprotocols=['chat']):\n"
    "        await asyncio.Future()\n"
    "asyncio.run(main())\n";

static const char PY_TORNADO[] =
    "import sys\n"
    "from tornado import ioloop, web, websocket\n"
    "class Echo(websocket.WebSocketHandler):\n"
    "    def select_subprotocol(self, subprotocols):\n"
    "        return 'chat' if 'chat' in subprotocols else None\n"
    "    def get_compression_options(self):\n"
    "        return {}\n"
    "    def on_message(self, m):\n"
    "        self.write_message(m, binary=isinstance(m, bytes))\n"
    "web.Application([('/', Echo)]).listen(int(sys.argv[1]), '127.0.0.1')\n"
    "ioloop.IOLoop.current().start()\n";

/* node's ws (Debian's node-ws) as the server: echo, subprotocol, deflate. */
static const char NODE_WS[] =
    "const WebSocket = require('ws');\n"
    "const s = new WebSocket.Server({host: '127.0.0.1', port: +process.argv[1],\n"
    "  perMessageDeflate: true, handleProtocols: (ps) => ps.has('chat') ? 'chat' : false});\n"
    "s.on('connection', (ws) => ws.on('message', (m, bin) => ws.send(m, {binary: bin})));\n";

/* Echo, compression and the closing handshake against a Python (or,
 * with `node`, a node) server. */
static void peer_server(const char *script, const char *module, bool node) {
  char cmd[160];
  if (node)
    snprintf(cmd, sizeof(cmd), "NODE_PATH=/usr/share/nodejs node -e 'require(\"%s\")' 2>/dev/null",
             module);
  else
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c 'import %s' 2>/dev/null", module);
  if (th_system("%s", cmd) != 0) skip();
  if (node) setenv("NODE_PATH", "/usr/share/nodejs", 1);
  reset();
  int fds = th_count_fds();
  gale_loop *loop = gale_loop_new();
  int port = th_free_port();
  char ports[16];
  snprintf(ports, sizeof(ports), "%d", port);
  const char *py[] = {"/usr/bin/python3", "-c", script, ports, NULL};
  const char *js[] = {"node", "-e", script, ports, NULL};
  const char **argv = node ? js : py;
  pid_t pid = th_spawn(argv, NULL);
  assert_true(th_wait_port(port, 10));
  char url[128];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", port);
  gale_websocket_connect_options o;
  client_options(&o);
  static const char *const protos[] = {"chat", NULL};
  o.subprotocols = protos;
  o.ws.compression.enabled = true;
  gale_future *fut = gale_websocket_connect(loop, url, &o, NULL);
  TH_RUN_UNTIL(loop, gale_future_done(fut), 10);
  assert_int_equal(gale_future_status(fut), GALE_OK);
  gale_websocket *ws = gale_future_result(fut);
  assert_string_equal(gale_websocket_subprotocol(ws), "chat");
  assert_true(gale_websocket_compressed(ws)); /* websockets accepts deflate */
  gale_websocket_write_message(ws, "h\xc3\xa9", 3, false, NULL);
  TH_RUN_UNTIL(loop, cli_messages == 1, 5);
  assert_string_equal(cli_last, "t:h\xc3\xa9");
  static char big[300000];
  memset(big, 7, sizeof(big));
  gale_websocket_write_message(ws, big, sizeof(big), true, NULL);
  TH_RUN_UNTIL(loop, cli_messages == 2, 5);
  assert_int_equal(cli_last[0], 'b');
  assert_int_equal(gale_websocket_ping(ws, "x", 1), GALE_OK);
  gale_websocket_close(ws, 1000, "done");
  TH_RUN_UNTIL(loop, cli_closes == 1, 5);
  assert_int_equal(cli_code, 1000);
  gale_future_unref(fut);
  th_kill(pid);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), fds);
}

static void test_python_server(void **state) {
  (void)state;
  peer_server(PY_SERVER, "websockets", false);
}

static void test_tornado_server(void **state) {
  (void)state;
  peer_server(PY_TORNADO, "tornado.websocket", false);
}

static void test_node_server(void **state) {
  (void)state;
  peer_server(NODE_WS, "ws", true);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_echo_and_close),
      cmocka_unit_test(test_server_closes_and_read_message),
      cmocka_unit_test(test_failures),
      cmocka_unit_test(test_compression),
      cmocka_unit_test(test_wss),
      cmocka_unit_test(test_proxy_tinyproxy),
      cmocka_unit_test(test_proxy_failures),
      cmocka_unit_test(test_python_server),
      cmocka_unit_test(test_tornado_server),
      cmocka_unit_test(test_node_server),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
