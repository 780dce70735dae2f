/* SPDX-License-Identifier: MIT */
/* Every future-returning call awaited as it is from a coroutine — stream
 * read_until / read_bytes / read_into / read_until_close and flush, TCP
 * connect, the resolver, an HTTP fetch, an executor job — and cancellation
 * at each of those await points: the coroutine's future is cancelled while
 * it waits, the await returns GALE_ECANCELLED, the coroutine cancels the
 * operation's future in turn, and the operation is cleaned up (no read
 * pending, no socket or query left, no fetch active, the job's result
 * freed), with fds counted and ASan watching the memory.  Then 10,000
 * coroutines at once handing items through one queue. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scripted_server.h"

/* One awaited operation: start() makes its future inside the coroutine,
 * check() reads a successful outcome. */
typedef struct probe probe;
struct probe {
  gale_loop *loop;
  gale_future *(*start)(probe *p);
  void (*check)(probe *p, gale_future *f);
  gale_future *op; /* while awaited */
  int status;      /* what the await returned */
  bool awaiting, done;
  /* The operations' material. */
  gale_stream *stream;
  int peer_fd;
  char buf[64];
  char got[128];
  gale_tcp_client *tcp;
  gale_tls_ctx *tls;
  int port;
  gale_resolver *resolver;
  const char *host;
  gale_http_client *http;
  char url[128];
  int pipe_fd[2];
};

static int await_op(void *arg) {
  probe *p = arg;
  gale_future *f = p->start(p);
  if (!f) {
    p->status = GALE_ENOMEM;
    p->done = true;
    return GALE_ENOMEM;
  }
  p->op = f;
  p->awaiting = true;
  p->status = gale_await(f);
  p->awaiting = false;
  if (p->status == GALE_OK && p->check) p->check(p, f);
  if (p->status == GALE_ECANCELLED) gale_future_cancel(f); /* stop it too */
  p->op = NULL;
  gale_future_unref(f);
  p->done = true;
  return p->status;
}

/* Awaits p's operation to its end; returns the await's status. */
static int run_to_end(probe *p) {
  gale_future *c = gale_coro_spawn(p->loop, await_op, p, NULL);
  assert_non_null(c);
  TH_RUN_UNTIL(p->loop, p->done, 10);
  gale_future_unref(c);
  return p->status;
}

/* Cancels the coroutine while it is suspended in p's await: the await
 * returns GALE_ECANCELLED. */
static void cancel_mid_await(probe *p) {
  gale_future *c = gale_coro_spawn(p->loop, await_op, p, NULL);
  assert_non_null(c);
  TH_RUN_UNTIL(p->loop, p->awaiting, 10);
  for (int i = 0; i < 3; i++) gale_loop_run_once(p->loop, 0.01); /* still waiting */
  assert_true(p->awaiting);
  assert_false(gale_future_done(p->op));
  assert_true(gale_future_cancel(c));
  TH_RUN_UNTIL(p->loop, p->done, 5);
  assert_int_equal(p->status, GALE_ECANCELLED);
  gale_future_unref(c);
}

static void reset(probe *p) {
  p->done = p->awaiting = false;
  p->status = 1;
  p->got[0] = '\0';
}

static void keep_data(probe *p, gale_future *f) {
  gale_stream_data *d = gale_future_result(f);
  snprintf(p->got, sizeof p->got, "%.*s", (int)d->len, d->data);
}

/* ---- streams ------------------------------------------------------------------ */

static gale_future *start_read_until(probe *p) {
  return gale_stream_read_until_future(p->stream, "\n", 1, 0, NULL);
}
static gale_future *start_read_bytes(probe *p) {
  return gale_stream_read_bytes_future(p->stream, 4, false, NULL);
}
static gale_future *start_read_into(probe *p) {
  return gale_stream_read_into_future(p->stream, p->buf, 3, false, NULL);
}
static gale_future *start_read_until_close(probe *p) {
  return gale_stream_read_until_close_future(p->stream, NULL);
}

static void open_pair(probe *p) {
  int fds[2];
  th_socketpair(fds);
  assert_int_equal(gale_stream_new(p->loop, fds[0], NULL, &p->stream), GALE_OK);
  gale_stream_ref(p->stream); /* valid after it closes itself (EOF) */
  p->peer_fd = fds[1];
}

static void close_pair(probe *p) {
  gale_stream_close(p->stream);
  TH_RUN_UNTIL(p->loop, gale_stream_closed(p->stream), 5);
  for (int i = 0; i < 3; i++) gale_loop_run_once(p->loop, 0); /* close callbacks */
  gale_stream_unref(p->stream);
  p->stream = NULL;
  close(p->peer_fd);
}

static void test_stream_reads(void **state) {
  (void)state;
  int fds0 = th_count_fds();
  probe p = {.loop = gale_loop_new(), .check = keep_data};
  open_pair(&p);
  th_write_all(p.peer_fd, "one\ntwothree", 12);

  reset(&p), p.start = start_read_until;
  assert_int_equal(run_to_end(&p), GALE_OK);
  assert_string_equal(p.got, "one\n");
  reset(&p), p.start = start_read_bytes;
  assert_int_equal(run_to_end(&p), GALE_OK);
  assert_string_equal(p.got, "twot");
  reset(&p), p.start = start_read_into;
  assert_int_equal(run_to_end(&p), GALE_OK);
  assert_string_equal(p.got, "hre");

  /* Cancelled mid-read: the read is stopped, the byte still buffered (and
   * what comes later) goes to the next read. */
  reset(&p), p.start = start_read_until;
  cancel_mid_await(&p);
  assert_false(gale_stream_reading(p.stream));
  th_write_all(p.peer_fd, "four\n", 5);
  reset(&p);
  assert_int_equal(run_to_end(&p), GALE_OK);
  assert_string_equal(p.got, "efour\n");

  reset(&p), p.start = start_read_bytes;
  cancel_mid_await(&p);
  assert_false(gale_stream_reading(p.stream));
  reset(&p), p.start = start_read_into;
  cancel_mid_await(&p);
  assert_false(gale_stream_reading(p.stream));
  reset(&p), p.start = start_read_until_close;
  cancel_mid_await(&p);
  assert_false(gale_stream_reading(p.stream));

  /* read_until_close to its end. */
  th_write_all(p.peer_fd, "tail", 4);
  shutdown(p.peer_fd, SHUT_WR);
  reset(&p), p.start = start_read_until_close;
  assert_int_equal(run_to_end(&p), GALE_OK);
  assert_string_equal(p.got, "tail");

  close_pair(&p);
  gale_loop_free(p.loop);
  assert_int_equal(th_count_fds(), fds0);
}

static gale_future *start_flush(probe *p) { return gale_stream_flush_future(p->stream, NULL); }

/* Reads and drops whatever the peer side has; true once nothing is queued
 * on the stream. */
static bool drain(probe *p) {
  char sink[65536];
  while (recv(p->peer_fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {}
  return p->done;
}

static void test_stream_flush(void **state) {
  (void)state;
  int fds0 = th_count_fds();
  probe p = {.loop = gale_loop_new(), .start = start_flush};
  open_pair(&p);
  enum { BIG = 4 << 20 };
  char *big = calloc(1, BIG);

  /* A flush of more than the socket holds, awaited while the peer reads. */
  reset(&p);
  assert_int_equal(gale_stream_write(p.stream, big, BIG, NULL, NULL), GALE_OK);
  gale_future *c = gale_coro_spawn(p.loop, await_op, &p, NULL);
  TH_RUN_UNTIL(p.loop, drain(&p), 10);
  assert_int_equal(p.status, GALE_OK);
  assert_false(gale_stream_writing(p.stream));
  gale_future_unref(c);

  /* Cancelled while the peer reads nothing: the await returns at once; the
   * bytes stay queued (a flush cannot unsend) and leave once the peer
   * reads; closing the stream then frees everything. */
  reset(&p);
  assert_int_equal(gale_stream_write(p.stream, big, BIG, NULL, NULL), GALE_OK);
  cancel_mid_await(&p);
  assert_true(gale_stream_writing(p.stream));
  TH_RUN_UNTIL(p.loop, drain(&p) && !gale_stream_writing(p.stream), 10);

  /* And cancelled with the bytes still queued when the stream closes. */
  reset(&p);
  assert_int_equal(gale_stream_write(p.stream, big, BIG, NULL, NULL), GALE_OK);
  cancel_mid_await(&p);
  free(big);
  close_pair(&p);
  gale_loop_free(p.loop);
  assert_int_equal(th_count_fds(), fds0);
}

/* ---- TCP connect ------------------------------------------------------------------ */

static gale_future *start_connect(probe *p) {
  gale_tcp_connect_options o;
  gale_tcp_connect_options_init(&o);
  o.tls = p->tls;
  return gale_tcp_client_connect_future(p->tcp, "127.0.0.1", p->port, &o);
}

static void take_stream(probe *p, gale_future *f) {
  gale_stream *s = gale_future_steal_result(f);
  snprintf(p->got, sizeof p->got, "%s", s ? "stream" : "none");
  gale_stream_close(s);
}

static void test_tcp_connect(void **state) {
  (void)state;
  int fds0 = th_count_fds();
  probe p = {.loop = gale_loop_new(), .start = start_connect, .check = take_stream};
  int lfd = th_listen(&p.port);
  assert_int_equal(gale_tcp_client_new(p.loop, NULL, &p.tcp), GALE_OK);

  reset(&p);
  assert_int_equal(run_to_end(&p), GALE_OK);
  assert_string_equal(p.got, "stream");

  /* A TLS connect to a listener that never answers the ClientHello waits
   * in its handshake; cancelled there, its socket is closed. */
  gale_tls_client_options to;
  gale_tls_client_options_init(&to);
  to.insecure = true;
  assert_int_equal(gale_tls_ctx_new_client(&to, &p.tls), GALE_OK);
  int fds_before = th_count_fds();
  reset(&p);
  cancel_mid_await(&p);
  for (int i = 0; i < 3; i++) gale_loop_run_once(p.loop, 0);
  assert_int_equal(th_count_fds(), fds_before);

  gale_tls_ctx_unref(p.tls);
  gale_tcp_client_free(p.tcp);
  for (int i = 0; i < 3; i++) gale_loop_run_once(p.loop, 0);
  close(lfd);
  gale_loop_free(p.loop);
  assert_int_equal(th_count_fds(), fds0);
}

/* ---- resolver ------------------------------------------------------------------ */

static gale_future *start_resolve(probe *p) {
  return gale_resolver_resolve_future(p->resolver, p->host, 80, AF_INET);
}

static void keep_address(probe *p, gale_future *f) {
  gale_addrinfo_list_ntop(gale_future_result(f), 0, p->got, sizeof p->got);
}

static void test_resolver(void **state) {
  (void)state;
  int fds0 = th_count_fds();
  probe p = {.loop = gale_loop_new(), .start = start_resolve, .check = keep_address};
  /* A name server on loopback that never answers: a lookup of a name
   * stays pending (no traffic leaves the machine). */
  int dns = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(dns, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t alen = sizeof a;
  getsockname(dns, (struct sockaddr *)&a, &alen);
  char servers[64];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", ntohs(a.sin_port));
  gale_resolver_options o;
  gale_resolver_options_init(&o);
  o.servers = servers;
  o.timeout = 10;
  o.tries = 1;
  assert_int_equal(gale_resolver_new(p.loop, &o, &p.resolver), GALE_OK);

  reset(&p), p.host = "127.0.0.1";
  assert_int_equal(run_to_end(&p), GALE_OK);
  assert_string_equal(p.got, "127.0.0.1");
  reset(&p), p.host = "localhost";
  assert_int_equal(run_to_end(&p), GALE_OK);
  assert_string_equal(p.got, "127.0.0.1");

  reset(&p), p.host = "nowhere.gale-test.invalid";
  cancel_mid_await(&p);
  gale_resolver_free(p.resolver); /* nothing pending left to fail */
  for (int i = 0; i < 3; i++) gale_loop_run_once(p.loop, 0);
  close(dns);
  gale_loop_free(p.loop);
  assert_int_equal(th_count_fds(), fds0);
}

/* ---- HTTP fetch ------------------------------------------------------------------ */

static gale_future *start_fetch(probe *p) {
  gale_http_request req;
  gale_http_request_init(&req, p->url);
  return gale_http_client_fetch_future(p->http, &req);
}

static void keep_body(probe *p, gale_future *f) {
  const gale_http_response *r = gale_future_result(f);
  snprintf(p->got, sizeof p->got, "%d %.*s", r->code, (int)r->body_len, r->body);
}

static void test_http_fetch(void **state) {
  (void)state;
  int fds0 = th_count_fds();
  probe p = {.loop = gale_loop_new(), .start = start_fetch, .check = keep_body};
  srv s;
  srv_start(&s, p.loop);
  assert_int_equal(gale_http_client_new(p.loop, NULL, &p.http), GALE_OK);

  reset(&p);
  snprintf(p.url, sizeof p.url, "http://127.0.0.1:%d/hello", s.port);
  assert_int_equal(run_to_end(&p), GALE_OK);
  assert_string_equal(p.got, "200 hello");

  /* /hang never answers: cancelled mid-fetch, the fetch is cancelled and
   * its connection closed. */
  reset(&p);
  snprintf(p.url, sizeof p.url, "http://127.0.0.1:%d/hang", s.port);
  cancel_mid_await(&p);
  TH_RUN_UNTIL(p.loop, gale_http_client_active(p.http) == 0, 5);

  gale_http_client_free(p.http);
  for (int i = 0; i < 3; i++) gale_loop_run_once(p.loop, 0);
  srv_stop(&s);
  gale_loop_free(p.loop);
  assert_int_equal(th_count_fds(), fds0);
}

/* ---- executor ------------------------------------------------------------------ */

static int results_freed;

static void free_result(void *r) {
  results_freed++;
  free(r);
}

/* Blocks on the pipe until the test writes a byte, then returns a copy of
 * what it read. */
static void *blocking_job(void *arg) {
  probe *p = arg;
  char c = 0;
  ssize_t n = read(p->pipe_fd[0], &c, 1);
  char *out = malloc(16);
  if (out) snprintf(out, 16, "job %c", n == 1 ? c : '?');
  return out;
}

static gale_future *start_job(probe *p) {
  return gale_loop_run_in_executor_future(p->loop, blocking_job, p, free_result);
}

static void keep_string(probe *p, gale_future *f) {
  snprintf(p->got, sizeof p->got, "%s", (char *)gale_future_result(f));
}

static void test_executor(void **state) {
  (void)state;
  probe p = {.loop = gale_loop_new(), .start = start_job, .check = keep_string};
  assert_int_equal(pipe(p.pipe_fd), 0);
  results_freed = 0;

  reset(&p);
  th_write_all(p.pipe_fd[1], "a", 1);
  assert_int_equal(run_to_end(&p), GALE_OK);
  assert_string_equal(p.got, "job a");
  assert_int_equal(results_freed, 1); /* with its future */

  /* Cancelled while the job blocks: the await returns at once; the job
   * finishes when released and its result is freed, never delivered. */
  reset(&p);
  cancel_mid_await(&p);
  assert_int_equal(results_freed, 1);
  th_write_all(p.pipe_fd[1], "b", 1);
  TH_RUN_UNTIL(p.loop, results_freed == 2, 5);

  close(p.pipe_fd[0]);
  close(p.pipe_fd[1]);
  gale_loop_free(p.loop);
}

/* ---- many at once ------------------------------------------------------------------ */

typedef struct relay {
  gale_queue *q;
  int taken;
} relay;

static int consume_one(void *arg) {
  relay *r = arg;
  gale_future *f = gale_queue_get(r->q, GALE_FOREVER);
  int st = gale_await(f);
  if (st == GALE_OK) {
    gale_future_steal_result(f);
    r->taken++;
    gale_queue_task_done(r->q);
  }
  gale_future_unref(f);
  return st;
}

/* 10,000 coroutines suspended at once in a queue get, fed one item each by
 * the test; join resolves when every one was taken. */
static void test_ten_thousand_consumers(void **state) {
  (void)state;
  enum { N = 10000 };
  gale_loop *loop = gale_loop_new();
  relay r = {.q = gale_queue_new(loop, 0, NULL)};
  gale_future **fs = calloc(N, sizeof *fs);
  gale_coro_options small = {.stack_size = 32 * 1024};
  for (int i = 0; i < N; i++)
    assert_non_null(fs[i] = gale_coro_spawn(loop, consume_one, &r, &small));
  gale_loop_run_once(loop, 0); /* all started, all waiting */
  assert_int_equal(r.taken, 0);
  for (int i = 0; i < N; i++) assert_int_equal(gale_queue_put_nowait(r.q, &r), GALE_OK);
  gale_future *join = gale_queue_join(r.q, GALE_FOREVER);
  assert_int_equal(gale_loop_run_until_complete(loop, join, 30), GALE_OK);
  assert_int_equal(gale_future_status(join), GALE_OK);
  assert_int_equal(r.taken, N);
  gale_future *all = gale_future_all(loop, fs, N);
  assert_int_equal(gale_loop_run_until_complete(loop, all, 30), GALE_OK);
  gale_future_unref(all);
  gale_future_unref(join);
  for (int i = 0; i < N; i++) gale_future_unref(fs[i]);
  free(fs);
  gale_queue_free(r.q);
  gale_loop_free(loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stream_reads),
      cmocka_unit_test(test_stream_flush),
      cmocka_unit_test(test_tcp_connect),
      cmocka_unit_test(test_resolver),
      cmocka_unit_test(test_http_fetch),
      cmocka_unit_test(test_executor),
      cmocka_unit_test(test_ten_thousand_consumers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
