/* SPDX-License-Identifier: MIT */
/* Helpers for the HTTP server tests: a raw client socket polled from the
 * test's loop, and a small response parser (status, headers, body by
 * Content-Length / chunked / close). */
#ifndef GALE_TEST_HTTP_SERVER_UTIL_H
#define GALE_TEST_HTTP_SERVER_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/alloc.h"
#include "harness.h"
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LSAN_OFF() __lsan_disable()
#define LSAN_ON() __lsan_enable()
#else
#define LSAN_OFF() ((void)0)
#define LSAN_ON() ((void)0)
#endif

typedef struct tclient {
  int fd;
  char *buf;
  size_t len, cap;
  bool eof;
  int reads; /* recv calls that returned data */
} tclient;

static inline void tc_open(tclient *c, int port) {
  memset(c, 0, sizeof(*c));
  c->fd = th_connect(port);
  c->cap = 1 << 20;
  c->buf = malloc(c->cap + 1);
  assert_non_null(c->buf);
}

static inline void tc_close(tclient *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  free(c->buf);
  c->buf = NULL;
}

static inline void tc_send(tclient *c, const char *s) { th_write_all(c->fd, s, strlen(s)); }

static inline void tc_sendn(tclient *c, const void *s, size_t n) { th_write_all(c->fd, s, n); }

/* Reads whatever is available without blocking. Returns true always (for
 * use inside conditions). */
static inline bool tc_poll(tclient *c) {
  for (;;) {
    if (c->len == c->cap) {
      c->cap *= 2;
      c->buf = realloc(c->buf, c->cap + 1);
    }
    ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
    if (n > 0) {
      c->len += (size_t)n;
      c->reads++;
      continue;
    }
    if (n == 0) c->eof = true;
    if (n < 0 && errno == ECONNRESET) c->eof = true;
    break;
  }
  c->buf[c->len] = '\0';
  return true;
}

typedef struct tresp {
  int status;
  char head[8192];
  char *body; /* malloc'd, NUL-terminated */
  size_t body_len;
} tresp;

static inline void tresp_free(tresp *r) {
  free(r->body);
  r->body = NULL;
}

/* Case-insensitive header lookup in r->head; copies the value. */
static inline bool tresp_header(const tresp *r, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  const char *p = strstr(r->head, "\r\n");
  while (p && p[2] != '\r') {
    p += 2;
    if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
      const char *v = p + nl + 1;
      while (*v == ' ') v++;
      const char *e = strstr(v, "\r\n");
      size_t n = (size_t)(e - v);
      if (n >= cap) n = cap - 1;
      if (out) {
        memcpy(out, v, n);
        out[n] = '\0';
      }
      return true;
    }
    p = strstr(p, "\r\n");
  }
  return false;
}

/* Parses one response at buf[0..len).  Returns the bytes it took, 0 when
 * incomplete (a close-delimited body is complete only at eof). */
static inline size_t parse_resp(const char *buf, size_t len, bool eof, bool head_req, tresp *r) {
  const char *end = NULL;
  for (size_t i = 0; i + 3 < len; i++)
    if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
      end = buf + i + 4;
      break;
    }
  if (!end) return 0;
  size_t hlen = (size_t)(end - buf);
  memset(r, 0, sizeof(*r));
  if (hlen >= sizeof(r->head)) return 0;
  memcpy(r->head, buf, hlen);
  r->head[hlen] = '\0';
  if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1) return 0;
  char v[64];
  const char *p = end;
  size_t left = len - hlen;
  if (head_req || r->status == 204 || r->status == 304 || r->status / 100 == 1) {
    r->body = calloc(1, 1);
    return hlen;
  }
  if (tresp_header(r, "Transfer-Encoding", v, sizeof(v))) {
    char *body = malloc(left + 1);
    size_t bl = 0, off = 0;
    for (;;) {
      const char *crlf = memmem(p + off, left - off, "\r\n", 2);
      if (!crlf) break;
      unsigned long sz = strtoul(p + off, NULL, 16);
      size_t data = (size_t)(crlf - p) + 2;
      if (sz == 0) {
        if (left - data >= 2 && memcmp(p + data, "\r\n", 2) == 0) {
          r->body = body;
          body[bl] = '\0';
          r->body_len = bl;
          return hlen + data + 2;
        }
        break;
      }
      if (left < data + sz + 2) break;
      memcpy(body + bl, p + data, sz);
      bl += sz;
      off = data + sz + 2;
    }
    free(body);
    return 0;
  }
  size_t cl = 0;
  if (tresp_header(r, "Content-Length", v, sizeof(v))) {
    cl = strtoul(v, NULL, 10);
  } else {
    if (!eof) return 0;
    cl = left;
  }
  if (left < cl) return 0;
  r->body = malloc(cl + 1);
  memcpy(r->body, p, cl);
  r->body[cl] = '\0';
  r->body_len = cl;
  return hlen + cl;
}

/* Number of complete responses in the client's buffer. */
static inline int tc_count(tclient *c) {
  tc_poll(c);
  size_t off = 0;
  int n = 0;
  tresp r;
  size_t used;
  while (off < c->len && (used = parse_resp(c->buf + off, c->len - off, c->eof, false, &r)) > 0) {
    tresp_free(&r);
    off += used;
    n++;
  }
  return n;
}

/* The i-th response (0-based); asserts it exists. */
static inline void tc_get(tclient *c, int index, bool head_req, tresp *out) {
  size_t off = 0;
  for (int i = 0;; i++) {
    tresp r;
    size_t used = parse_resp(c->buf + off, c->len - off, c->eof, head_req && i == index, &r);
    if (!used) fail_msg("response %d missing; have: %.300s", index, c->buf);
    if (i == index) {
      *out = r;
      return;
    }
    tresp_free(&r);
    off += used;
  }
}

/* ---- allocation-failure sweep -------------------------------------------- */

static bool http_sweep_unscheduled;
static inline void http_sweep_log_sink(gale_log_level level, const char *domain, const char *msg,
                                       void *arg) {
  (void)level;
  (void)domain;
  (void)arg;
  if (strstr(msg, "cannot schedule")) http_sweep_unscheduled = true;
}

/* HARDENING: the k-th allocation made through core/alloc.h fails, for
 * k = 1, 2, ... until a run makes fewer than k allocations.  `scenario`
 * sends 3 requests and returns how many were answered; every run must leave
 * the fd count as it was, and the run with no failure must answer all 3.
 * Each failing run is repeated with the leak checker on, except when the
 * stream layer logged that it could not queue its deferred callback: a
 * closing stream then never finishes closing (a known limit of the stream
 * layer under memory exhaustion).  Returns the allocation points failed;
 * *checked gets how many of them were leak-checked. */
static inline long http_alloc_sweep(int (*scenario)(void), int *checked) {
  int fds = th_count_fds();
  long k;
  *checked = 0;
  assert_int_equal(scenario(), 3);
  gale_log_set_sink(http_sweep_log_sink, NULL);
  for (k = 1; k < 10000; k++) {
    http_sweep_unscheduled = false;
    LSAN_OFF();
    gale__alloc_fail_at(k);
    int answers = scenario();
    bool hit = gale__alloc_failed();
    gale__alloc_fail_at(0);
    LSAN_ON();
    assert_int_equal(th_count_fds(), fds);
    if (!hit) {
      assert_int_equal(answers, 3);
      break;
    }
    if (http_sweep_unscheduled) continue;
    gale__alloc_fail_at(k);
    scenario(); /* the same run, leak-checked */
    gale__alloc_fail_at(0);
    (*checked)++;
    assert_int_equal(th_count_fds(), fds);
  }
  gale_log_set_sink(NULL, NULL);
  return k - 1;
}

#endif
