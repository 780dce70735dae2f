/* SPDX-License-Identifier: MIT */
/* A scripted bad HTTP proxy in the test's own loop, for the CONNECT
 * tunnel (http/wire/h1_tunnel.c) as the HTTP client and the WebSocket
 * client use it: it reads the CONNECT head, records it, and answers with
 * the canned bytes of its mode (then closes, or stays silent). */
#ifndef GALE_TEST_WS_BAD_PROXY_H
#define GALE_TEST_WS_BAD_PROXY_H

#include <string.h>
#include <unistd.h>

#include "harness.h"

typedef enum bp_mode {
  BP_407,       /* 407 with Proxy-Authenticate, then close */
  BP_502,       /* 502 Bad Gateway */
  BP_CLOSE_MID, /* half a status line, then close */
  BP_CLOSE,     /* close without answering */
  BP_SILENT,    /* never answers */
  BP_GARBAGE,   /* not HTTP */
  BP_EXTRA,     /* 200 with bytes after it */
} bp_mode;

typedef struct bproxy {
  gale_loop *loop;
  int lfd, port, fd;
  gale_watcher *lw, *cw;
  bp_mode mode;
  char head[4096];
  size_t len;
  bool answered;
} bproxy;

static inline void bp_drop(bproxy *p) {
  if (p->cw) gale_watcher_free(p->cw);
  p->cw = NULL;
  if (p->fd >= 0) close(p->fd);
  p->fd = -1;
}

static inline void bp_answer(bproxy *p) {
  static const char *const answers[] = {
      /* One literal: clang's -Wstring-concatenation flags a split one. */
      [BP_407] =
          "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\nContent-Length: 0\r\n\r\n",
      [BP_502] = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n",
      [BP_CLOSE_MID] = "HTTP/1.1 20",
      [BP_CLOSE] = "",
      [BP_SILENT] = "",
      [BP_GARBAGE] = "SSH-2.0-OpenSSH\r\n\r\n",
      [BP_EXTRA] = "HTTP/1.1 200 Connection established\r\n\r\nsurprise",
  };
  const char *a = answers[p->mode];
  if (*a) th_write_all(p->fd, a, strlen(a));
  if (p->mode != BP_SILENT && p->mode != BP_EXTRA) bp_drop(p);
}

static inline void bp_on_conn(gale_watcher *w, int fd, int events, void *arg) {
  (void)w;
  (void)events;
  bproxy *p = arg;
  ssize_t n = read(fd, p->head + p->len, sizeof(p->head) - 1 - p->len);
  if (n <= 0) {
    bp_drop(p);
    return;
  }
  p->len += (size_t)n;
  p->head[p->len] = '\0';
  if (p->answered || !strstr(p->head, "\r\n\r\n")) return;
  p->answered = true;
  bp_answer(p);
}

static inline void bp_on_accept(gale_watcher *w, int fd, int events, void *arg) {
  (void)w;
  (void)events;
  bproxy *p = arg;
  int c = accept(fd, NULL, NULL);
  if (c < 0) return;
  bp_drop(p);
  p->fd = c;
  p->len = 0;
  p->answered = false;
  assert_int_equal(gale_watcher_new(p->loop, c, GALE_READ, bp_on_conn, p, &p->cw), GALE_OK);
}

static inline void bp_start(bproxy *p, gale_loop *loop, bp_mode m) {
  memset(p, 0, sizeof(*p));
  p->loop = loop;
  p->mode = m;
  p->fd = -1;
  p->lfd = th_listen(&p->port);
  assert_int_equal(gale_watcher_new(loop, p->lfd, GALE_READ, bp_on_accept, p, &p->lw), GALE_OK);
}

static inline void bp_stop(bproxy *p) {
  bp_drop(p);
  gale_watcher_free(p->lw);
  close(p->lfd);
}

#endif
