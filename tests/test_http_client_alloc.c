/* SPDX-License-Identifier: MIT */
/* gale_http_client under allocation failure (HARDENING.md, every layer):
 * for k = 1, 2, ... the k-th allocation made through core/alloc.h fails
 * during a client's life (create, a redirected gzip fetch, a fetch as a
 * future, free).  Each call must return GALE_ENOMEM or work; each fetch
 * must call back exactly once; ASan's leak check at exit shows nothing
 * leaks on those paths.  The server is a plain thread with blocking
 * sockets, so it never allocates through gale. */
#include "harness.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "core/alloc.h"
#include "gale/http_client.h"

static int lfd, port;
static unsigned char gz[256];
static size_t gz_len;
static const char text[] = "hello hello hello hello hello hello\n";

/* Writes all of it, or gives up quietly: a client whose allocation just
 * failed closes its end at any moment. */
static bool put(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n <= 0) return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

/* One connection: answers requests until the client closes. */
static void *conn_main(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[8192];
  size_t len = 0;
  for (;;) {
    char *end;
    ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
    if (n <= 0) break;
    len += (size_t)n;
    buf[len] = '\0';
    while ((end = strstr(buf, "\r\n\r\n")) != NULL) {
      size_t head = (size_t)(end - buf) + 4;
      char out[512];
      int m;
      if (strncmp(buf, "GET /r ", 7) == 0) {
        m = snprintf(out, sizeof out,
                     "HTTP/1.1 302 Found\r\nLocation: /gz\r\nContent-Length: 0\r\n\r\n");
        if (!put(fd, out, (size_t)m)) goto out;
      } else {
        m = snprintf(out, sizeof out,
                     "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n%zx\r\n",
                     gz_len);
        if (!put(fd, out, (size_t)m) || !put(fd, gz, gz_len) || !put(fd, "\r\n0\r\n\r\n", 7))
          goto out;
      }
      memmove(buf, buf + head, len - head + 1);
      len -= head;
    }
  }
out:
  close(fd);
  return NULL;
}

static void *accept_main(void *arg) {
  (void)arg;
  for (;;) {
    pthread_t t;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) break;
    if (pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd) != 0) {
      close(fd);
      continue;
    }
    pthread_detach(t);
  }
  return NULL;
}

typedef struct outcome {
  int calls, status;
  bool body_ok;
} outcome;

static void on_resp(const gale_http_response *r, void *arg) {
  outcome *o = arg;
  o->calls++;
  o->status = r->status;
  o->body_ok = r->body_len == sizeof text - 1 && memcmp(r->body, text, r->body_len) == 0;
}

static void test_every_allocation_fails_once(void **state) {
  char url[128];
  long k;
  int failures_seen = 0;
  (void)state;
  snprintf(url, sizeof url, "http://127.0.0.1:%d/r", port);
  for (k = 1; k < 5000; k++) {
    gale_loop *loop = gale_loop_new();
    gale_http_client *c = NULL;
    outcome o = {0, 0, false};
    gale_future *fu = NULL;
    bool hit;
    int st;
    assert_non_null(loop);
    gale__alloc_fail_at(k);
    st = gale_http_client_new(loop, NULL, &c);
    if (st != GALE_OK) {
      assert_int_equal(st, GALE_ENOMEM);
    } else {
      gale_http_request req;
      gale_http_request_init(&req, url);
      req.request_timeout = 3;
      st = gale_http_client_fetch(c, &req, on_resp, &o, NULL);
      if (st != GALE_OK) {
        assert_int_equal(st, GALE_ENOMEM);
      } else {
        TH_RUN_UNTIL(loop, o.calls > 0, 10);
        th_run_for(loop, 0.01);
        assert_int_equal(o.calls, 1);
        if (o.status == GALE_OK) assert_true(o.body_ok);
      }
      fu = gale_http_client_fetch_future(c, &req);
      if (fu) {
        gale_loop_run_until_complete(loop, fu, 10);
        assert_true(gale_future_done(fu));
        if (gale_future_status(fu) == GALE_OK) {
          const gale_http_response *r = gale_future_result(fu);
          assert_int_equal(r->body_len, sizeof text - 1);
        }
        gale_future_unref(fu);
      }
      gale_http_client_free(c);
    }
    th_run_for(loop, 0.01);
    hit = gale__alloc_failed();
    gale__alloc_fail_at(0);
    gale_loop_free(loop);
    if (!hit) break; /* the whole scenario ran with fewer than k allocations */
    failures_seen++;
  }
  print_message("%d allocation points failed one at a time\n", failures_seen);
  /* The scenario allocates through gale: the test exercised something. */
  assert_true(failures_seen > 20);
  assert_true(k < 5000);
}

static int group_setup(void **state) {
  pthread_t t;
  z_stream z;
  (void)state;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (unsigned char *)text;
  z.avail_in = sizeof text - 1;
  z.next_out = gz;
  z.avail_out = sizeof gz;
  deflate(&z, Z_FINISH);
  gz_len = sizeof gz - z.avail_out;
  deflateEnd(&z);
  lfd = th_listen(&port);
  /* th_listen's socket may be non-blocking: the accept thread blocks. */
  {
    int fl = fcntl(lfd, F_GETFL);
    fcntl(lfd, F_SETFL, fl & ~O_NONBLOCK);
  }
  assert_int_equal(pthread_create(&t, NULL, accept_main, NULL), 0);
  pthread_detach(t);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_allocation_fails_once),
  };
  return cmocka_run_group_tests(tests, group_setup, NULL);
}
