/* SPDX-License-Identifier: MIT */
/* Tornado's hello world:  examples/hello [PORT [CERT KEY]]  (default 8888).
 * HTTP/1.1 and, with prior knowledge, HTTP/2 (h2c) on the same port; with a
 * certificate and key, HTTPS with h2 or http/1.1 by ALPN. */
#include <stdlib.h>

#include <gale.h>

static void hello(gale_web_handler *h) { gale_web_write_str(h, "Hello, world"); }

static const gale_web_handler_class main_handler = {.get = hello};

int main(int argc, char **argv) {
  gale_loop *loop = gale_loop_new();
  gale_web_app *app = gale_web_app_new(NULL);
  gale_web_app_add(app, "/", &main_handler, NULL, NULL);
  gale_log_set_level(GALE_LOG_WARNING); /* no access log, as Tornado's hello world */
  int port = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 8888;
  gale_http_server_options opts;
  gale_http_server_options_init(&opts);
  opts.http2 = true;
  if (argc > 3) {
    static const char *const alpn[] = {"h2", "http/1.1"};
    gale_tls_server_options to;
    gale_tls_server_options_init(&to);
    to.alpn = alpn;
    to.alpn_count = 2;
    if (gale_tls_ctx_new_server(argv[2], argv[3], &to, &opts.tls) != GALE_OK) return 1;
  }
  if (!loop || !app || gale_web_app_listen(app, loop, port, NULL, &opts, NULL) != GALE_OK) return 1;
  gale_loop_stop_on_signals(loop);
  return gale_loop_run(loop) == GALE_OK ? 0 : 1;
}
