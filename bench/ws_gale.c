/* SPDX-License-Identifier: MIT */
/* bench/ws_gale.c — gale's WebSocket server for bench/websocket.sh, the
 * same two routes as bench/ws_node.js and bench/ws_tornado.py: /echo sends
 * every message back as it came, /broadcast sends each message to every
 * /broadcast socket.  Listens on 127.0.0.1:PORT (0: a free port) and
 * prints the port. */
#include <stdio.h>
#include <stdlib.h>

#include <gale.h>

static void echo(gale_websocket *ws, const char *data, size_t len, bool binary) {
  gale_websocket_write_message(ws, data, len, binary, NULL);
}

/* The /broadcast sockets: each one's context is its link. */
typedef struct member {
  gale_websocket *ws;
  struct member *prev, *next;
} member;

static member *members;

static void joined(gale_websocket *ws, gale_web_handler *h) {
  (void)h;
  member *m = gale_websocket_ctx(ws);
  m->ws = ws;
  m->next = members;
  if (members) members->prev = m;
  members = m;
}

static void left(gale_websocket *ws, int code, const char *reason) {
  (void)code;
  (void)reason;
  member *m = gale_websocket_ctx(ws);
  if (!m->ws) return;
  if (m->prev)
    m->prev->next = m->next;
  else
    members = m->next;
  if (m->next) m->next->prev = m->prev;
  m->ws = NULL;
}

static void fan_out(gale_websocket *ws, const char *data, size_t len, bool binary) {
  (void)ws;
  for (member *m = members; m; m = m->next)
    gale_websocket_write_message(m->ws, data, len, binary, NULL);
}

static const gale_websocket_class echo_class = {.name = "Echo", .on_message = echo};
static const gale_websocket_class broadcast_class = {.name = "Broadcast",
                                                     .ctx_size = sizeof(member),
                                                     .open = joined,
                                                     .on_message = fan_out,
                                                     .on_close = left};

int main(int argc, char **argv) {
  int port = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 0;
  gale_loop *loop = gale_loop_new();
  gale_web_app *app = gale_web_app_new(NULL);
  gale_http_server *server = NULL;
  gale_log_set_level(GALE_LOG_WARNING);
  /* The fan-out run holds 10,000 sockets plus its sender: above the
   * default connection limit. */
  gale_http_server_options http;
  gale_http_server_options_init(&http);
  http.access_log = false;
  http.max_connections = 100000;
  if (!loop || !app || gale_web_app_add_websocket(app, "/echo", &echo_class, NULL, NULL) ||
      gale_web_app_add_websocket(app, "/broadcast", &broadcast_class, NULL, NULL) ||
      gale_web_app_listen(app, loop, port, "127.0.0.1", &http, &server) != GALE_OK)
    return 1;
  printf("%d\n", gale_http_server_port(server));
  fflush(stdout);
  gale_loop_stop_on_signals(loop);
  int rc = gale_loop_run(loop);
  gale_http_server_free(server);
  gale_loop_run_once(loop, 0);
  gale_web_app_free(app);
  gale_loop_free(loop);
  return rc == GALE_OK ? 0 : 1;
}
