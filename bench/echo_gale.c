/* SPDX-License-Identifier: MIT */
/* bench/echo_gale.c — gale's side of bench/echo.sh: an echo server on
 * gale_tcp_server, handing every chunk read straight back.
 * Usage: echo_gale PORT (0 = any); prints the port it listens on. */
#include <stdio.h>
#include <stdlib.h>

#include <gale.h>

static void on_chunk(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  if (status == GALE_OK) gale_stream_write(s, data, len, NULL, NULL);
}

static void on_connection(gale_tcp_server *server, gale_stream *s, const struct sockaddr *peer,
                          socklen_t peer_len, void *arg) {
  gale_stream_set_nodelay(s, true);
  gale_stream_read_chunks(s, on_chunk, NULL);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  gale_log_set_level(GALE_LOG_ERROR);
  gale_loop *loop = gale_loop_new();
  gale_tcp_server *server;
  if (!loop || gale_tcp_server_new(loop, NULL, on_connection, NULL, &server) != GALE_OK) return 1;
  if (gale_tcp_server_listen(server, atoi(argv[1]), "127.0.0.1") != GALE_OK) return 1;
  int fd;
  gale_tcp_server_sockets(server, &fd, 1);
  printf("%d\n", gale_socket_port(fd));
  fflush(stdout);
  gale_loop_stop_on_signals(loop);
  gale_loop_run(loop);
  gale_tcp_server_free(server);
  gale_loop_free(loop);
  return 0;
}
