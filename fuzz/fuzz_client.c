/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the HTTP client's response path end to end, as
 * curl-fuzzer does it.  The input is what a scripted server on a loopback
 * listener sends once it has read the request: byte 0 chooses the request
 * (bits 0-1: the answer goes out in 1-4 writes on separate loop turns;
 * bit 2 HEAD; bit 3 no decompression; bit 4 a streaming callback; bit 5
 * max_header_size 256; bit 6 a POST with a body), the rest is the bytes of
 * the answer, after which the server shuts its side down.  Redirects are
 * not followed (a fuzzed Location must not reach the network).
 * Invariants: the callback runs exactly once and never inside the fetch
 * call; a failure carries a sentence; a success has a final code, a version,
 * headers, trailers and a NUL-terminated body; nothing leaks (LeakSanitizer)
 * and nothing reads past a buffer (ASan).  The sources are globs (line
 * comments below, as a block comment cannot hold them).
 */
// FUZZ-SOURCES: core/*.c iostream/*.c resolver/*.c http/util/*.c http/wire/*.c http/h2/*.c http/client/*.c
// FUZZ-LIBS: -levent -lssl -lcrypto -lcares -lpcre2-8 -lz -lnghttp2 -lpthread
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz/fuzz.h"
#include "gale/headers.h"
#include "gale/http_client.h"
#include "gale/loop.h"

const char gale_fuzz_corpus[] = "client";

typedef struct script {
  gale_loop *loop;
  gale_watcher *accept_w, *conn_w;
  int fd;
  const uint8_t *data;
  size_t len, sent, piece;
  int pieces_left;
  char head[4]; /* last bytes of the request, to see its end */
  bool head_seen, shut;
  int done, in_call;
  uint64_t streamed;
} script;

static int listen_fd = -1;
static int listen_port;

static int listener(void) {
  struct sockaddr_in a;
  socklen_t al = sizeof a;
  int one = 1;
  if (listen_fd >= 0) return 0;
  signal(SIGPIPE, SIG_IGN);
  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd < 0) return -1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) || listen(listen_fd, 16) ||
      getsockname(listen_fd, (struct sockaddr *)&a, &al)) {
    close(listen_fd);
    listen_fd = -1;
    return -1;
  }
  fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
  listen_port = ntohs(a.sin_port);
  return 0;
}

static void send_piece(gale_loop *loop, void *arg);

/* Writes the next piece of the answer; the last one is followed by FIN. */
static void send_piece(gale_loop *loop, void *arg) {
  script *s = arg;
  size_t n;
  (void)loop;
  if (s->fd < 0 || s->shut) return;
  n = s->pieces_left > 1 ? s->piece : s->len - s->sent;
  if (n > s->len - s->sent) n = s->len - s->sent;
  while (n) {
    ssize_t w = send(s->fd, s->data + s->sent, n, MSG_NOSIGNAL);
    if (w <= 0) break; /* the client went away: fine */
    s->sent += (size_t)w;
    n -= (size_t)w;
  }
  if (--s->pieces_left > 0 && s->sent < s->len) {
    gale_loop_call_later(s->loop, 0, send_piece, s, NULL);
    return;
  }
  shutdown(s->fd, SHUT_WR);
  s->shut = true;
}

/* Reads (and drops) what the client sends; the answer starts once the
 * request head is in, so the order of events does not depend on timing. */
static void on_conn(gale_watcher *w, int fd, int events, void *arg) {
  script *s = arg;
  char buf[4096];
  ssize_t r;
  (void)events;
  r = recv(fd, buf, sizeof buf, 0);
  if (r <= 0) {
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    gale_watcher_free(w);
    s->conn_w = NULL;
    return;
  }
  for (ssize_t i = 0; i < r && !s->head_seen; i++) {
    memmove(s->head, s->head + 1, 3);
    s->head[3] = buf[i];
    if (memcmp(s->head, "\r\n\r\n", 4) == 0) {
      s->head_seen = true;
      send_piece(s->loop, s);
    }
  }
}

static void on_accept(gale_watcher *w, int fd, int events, void *arg) {
  script *s = arg;
  int c = accept(fd, NULL, NULL);
  (void)events;
  if (c < 0) return;
  if (s->fd >= 0) { /* one connection per input (no retries expected) */
    close(c);
    return;
  }
  fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
  s->fd = c;
  gale_watcher_free(w);
  s->accept_w = NULL;
  if (gale_watcher_new(s->loop, c, GALE_READ, on_conn, s, &s->conn_w) != GALE_OK) s->conn_w = NULL;
}

static int on_stream(const void *data, size_t len, void *arg) {
  script *s = arg;
  FUZZ_CHECK(len > 0 && data);
  s->streamed += len;
  return GALE_OK;
}

static void on_done(const gale_http_response *r, void *arg) {
  script *s = arg;
  FUZZ_CHECK(!s->in_call);
  s->done++;
  FUZZ_CHECK(r->error && r->reason && r->body);
  FUZZ_CHECK(r->body[r->body_len] == '\0');
  FUZZ_CHECK(gale_http_response_trailers(r) != NULL);
  if (r->status != GALE_OK) {
    FUZZ_CHECK(r->error[0] != '\0');
    return;
  }
  FUZZ_CHECK(r->code >= 200 && r->code <= 999);
  FUZZ_CHECK(r->http_version == 10 || r->http_version == 11);
  FUZZ_CHECK(r->headers != NULL);
  FUZZ_CHECK(r->error[0] == '\0');
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  script s;
  gale_http_client *client = NULL;
  gale_http_request req;
  char url[64];
  unsigned flags;
  double until;
  if (size < 1 || listener()) return 0;
  flags = data[0];
  memset(&s, 0, sizeof s);
  s.fd = -1;
  s.data = data + 1;
  s.len = size - 1;
  s.pieces_left = 1 + (int)(flags & 3);
  s.piece = s.len / (size_t)s.pieces_left + 1;
  s.loop = gale_loop_new();
  FUZZ_CHECK(s.loop);
  FUZZ_CHECK(gale_watcher_new(s.loop, listen_fd, GALE_READ, on_accept, &s, &s.accept_w) == GALE_OK);
  FUZZ_CHECK(gale_http_client_new(s.loop, NULL, &client) == GALE_OK);
  snprintf(url, sizeof url, "http://127.0.0.1:%d/f", listen_port);
  gale_http_request_init(&req, url);
  req.follow_redirects = false;
  req.request_timeout = 5;
  if (flags & 4) req.method = "HEAD";
  if (flags & 8) req.decompress_response = false;
  if (flags & 16) {
    req.streaming_callback = on_stream;
    req.streaming_callback_arg = &s;
  }
  if (flags & 32) req.max_header_size = 256;
  if ((flags & 64) && !(flags & 4)) {
    req.method = "POST";
    req.body = "x=1";
    req.body_len = 3;
  }
  s.in_call = 1;
  FUZZ_CHECK(gale_http_client_fetch(client, &req, on_done, &s, NULL) == GALE_OK);
  s.in_call = 0;
  FUZZ_CHECK(s.done == 0);
  until = now() + 10;
  while (!s.done && now() < until) gale_loop_run_once(s.loop, 0.5);
  FUZZ_CHECK(s.done == 1); /* a server that closed always ends the fetch */
  gale_http_client_free(client);
  for (int i = 0; i < 3; i++) gale_loop_run_once(s.loop, 0);
  FUZZ_CHECK(s.done == 1);
  if (s.conn_w) gale_watcher_free(s.conn_w);
  if (s.accept_w) gale_watcher_free(s.accept_w);
  if (s.fd >= 0) close(s.fd);
  /* A connection the client opened but the server never took (the
   * fetch failed first): drop it from the backlog. */
  for (int c; (c = accept(listen_fd, NULL, NULL)) >= 0;) close(c);
  gale_loop_free(s.loop);
  return 0;
}
