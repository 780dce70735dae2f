/* SPDX-License-Identifier: MIT */
/* A WebSocket echo server:  examples/websocket_echo [PORT]  (default 8888).
 *
 * ws://127.0.0.1:PORT/echo sends every message back as it came: text as
 * text, binary as binary, with the default limits (10 MiB messages), and
 * accepts permessage-deflate when the client offers it.  Try
 * it with Python's websockets:
 *   python3 -m websockets ws://127.0.0.1:8888/echo
 * PORT 0 picks a free port; the first line printed names the URL. */
#include <stdio.h>
#include <stdlib.h>

#include <gale.h>

static void echo(gale_websocket *ws, const char *data, size_t len, bool binary) {
  /* A peer too slow to take its echoes is closed with 1008 by the
   * outgoing buffer limit rather than growing our memory. */
  gale_websocket_write_message(ws, data, len, binary, NULL);
}

static const gale_websocket_class echo_socket = {.name = "Echo", .on_message = echo};

int main(int argc, char **argv) {
  int port = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 8888;
  gale_loop *loop = gale_loop_new();
  gale_web_app *app = gale_web_app_new(NULL);
  gale_http_server *server = NULL;
  gale_log_set_level(GALE_LOG_WARNING);
  gale_websocket_options opts;
  gale_websocket_options_init(&opts);
  opts.compression.enabled = true;
  if (!loop || !app || gale_web_app_add_websocket(app, "/echo", &echo_socket, NULL, &opts) ||
      gale_web_app_listen(app, loop, port, "127.0.0.1", NULL, &server) != GALE_OK) {
    fprintf(stderr, "websocket_echo: cannot listen on port %d\n", port);
    return 1;
  }
  printf("Listening on ws://127.0.0.1:%d/echo\n", gale_http_server_port(server));
  fflush(stdout);
  gale_loop_stop_on_signals(loop);
  int rc = gale_loop_run(loop);
  gale_http_server_free(server);
  gale_loop_run_once(loop, 0); /* the connections' closes */
  gale_web_app_free(app);
  gale_loop_free(loop);
  return rc == GALE_OK ? 0 : 1;
}
