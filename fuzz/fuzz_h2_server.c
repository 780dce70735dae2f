/* SPDX-License-Identifier: MIT */
/* libFuzzer target: gale_http_server's HTTP/2 side end to end.  The input
 * is what a client sends after the connection preface (which the target
 * writes first), over a socket pair to a server with http2 on whose
 * handler answers every request with its body length; then the client
 * shuts its side and reads whatever comes back until the server closes.
 * Invariants: no crash, no leak (LeakSanitizer), no overread (ASan), the
 * connection always ends (no stream or request outlives it). */
// FUZZ-SOURCES: core/*.c iostream/*.c resolver/*.c http/util/*.c http/wire/*.c http/h2/*.c http/server/*.c
// FUZZ-LIBS: -levent -lssl -lcrypto -lcares -lpcre2-8 -lz -lnghttp2 -lpthread
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz/fuzz.h"
#include "gale/http_server.h"
#include "gale/loop.h"
#include "gale/stream.h"
#include "http/h2/h2_wire.h"
#include "http/server/server_internal.h"

const char gale_fuzz_corpus[] = "h2_server";

static void on_request(gale_http_server_request *req, void *arg) {
  (void)arg;
  size_t len = 0;
  gale_http_server_request_body(req, &len);
  gale_http_server_request_printf(req, "%zu %s", len, gale_http_server_request_path(req));
  gale_http_server_request_finish(req);
}

static void drain(int fd) {
  char buf[16384];
  while (read(fd, buf, sizeof(buf)) > 0) {}
}

/* Writes it all, turning the loop while the socket is full. */
static void send_all(gale_loop *loop, int fd, const uint8_t *p, size_t n) {
  for (int spins = 0; n > 0 && spins < 10000; spins++) {
    ssize_t w = write(fd, p, n);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    }
    drain(fd);
    gale_loop_run_once(loop, 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static gale_loop *loop;
  if (!loop) {
    signal(SIGPIPE, SIG_IGN);
    loop = gale_loop_new();
  }
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.http2 = true;
  o.access_log = false;
  o.max_body_size = 1 << 16;
  gale_http_server *server = NULL;
  FUZZ_CHECK(gale_http_server_new(loop, &o, on_request, NULL, &server) == GALE_OK);
  int fds[2];
  FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  fcntl(fds[1], F_SETFL, O_NONBLOCK);
  gale_stream *stream = NULL;
  FUZZ_CHECK(gale_stream_new(loop, fds[0], NULL, &stream) == GALE_OK);
  gale__server_tcp_stream(NULL, stream, NULL, 0, server);
  send_all(loop, fds[1], (const uint8_t *)GALE__H2_PREFACE, GALE__H2_PREFACE_LEN);
  send_all(loop, fds[1], data, size);
  shutdown(fds[1], SHUT_WR);
  for (int i = 0; i < 2000 && gale_http_server_connection_count(server) > 0; i++) {
    drain(fds[1]);
    gale_loop_run_once(loop, 0.001);
  }
  close(fds[1]);
  gale_http_server_free(server);
  for (int i = 0; i < 10; i++) gale_loop_run_once(loop, 0);
  return 0;
}
