/* SPDX-License-Identifier: MIT */
/* bench/idle_streams: user-space memory per idle connection.
 *
 *   idle_streams gale|bufferevent N
 *
 * A child process opens N loopback TCP connections to us, sends "ping\n" on
 * each and waits for "pong\n".  We accept them all first (so the baseline
 * includes the accepted sockets), then wrap each in a gale_stream (close
 * callback set, one read_until answered) or, for comparison, in a libevent
 * bufferevent doing the same.  Once every connection has answered and gone
 * idle we print heap bytes in use (mallinfo2) and resident memory per
 * connection above the baseline.  Kernel socket memory is not counted by
 * either number: it is the same for both. */
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "core/loop_internal.h"
#include "gale.h"

static int answered, closed_early;

static size_t heap_in_use(void) { return mallinfo2().uordblks; }

static size_t rss_bytes(void) {
  long pages = 0, res = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
  fclose(f);
  return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

/* ---- gale ---- */

static void g_close(gale_stream *s, int reason, void *arg) { closed_early++; }

static void g_line(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  if (status != GALE_OK) return;
  gale_stream_write(s, "pong\n", 5, NULL, NULL);
  answered++;
}

/* ---- bufferevent ---- */

static void b_read(struct bufferevent *bev, void *arg) {
  struct evbuffer *in = bufferevent_get_input(bev);
  size_t n;
  char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
  if (!line) return;
  free(line);
  bufferevent_write(bev, "pong\n", 5);
  answered++;
}

static void b_event(struct bufferevent *bev, short what, void *arg) { closed_early++; }

/* ---- the client child ---- */

static void child(int port, int n, int ready_fd, int done_fd) {
  int *fds = calloc((size_t)n, sizeof(int));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(0x7f000001);
  for (int i = 0; i < n; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof(a)) != 0) {
      perror("child connect");
      _exit(1);
    }
  }
  char c = 'r';
  if (write(ready_fd, &c, 1) != 1) _exit(1);
  /* Wait for the parent to wrap everything, then talk. */
  if (read(done_fd, &c, 1) != 1) _exit(1);
  for (int i = 0; i < n; i++)
    if (write(fds[i], "ping\n", 5) != 5) _exit(1);
  for (int i = 0; i < n; i++) {
    char buf[8];
    size_t got = 0;
    while (got < 5) {
      ssize_t r = read(fds[i], buf + got, 5 - got);
      if (r <= 0) _exit(1);
      got += (size_t)r;
    }
  }
  if (write(ready_fd, &c, 1) != 1) _exit(1);
  if (read(done_fd, &c, 1) < 0) _exit(1); /* parent closes: exit */
  _exit(0);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s gale|bufferevent N\n", argv[0]);
    return 2;
  }
  bool gale = strcmp(argv[1], "gale") == 0;
  int n = atoi(argv[2]);
  if (n <= 0) return 2;
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  if ((rlim_t)n + 64 > rl.rlim_cur) {
    fprintf(stderr, "need %d fds, limit %llu\n", n + 64, (unsigned long long)rl.rlim_cur);
    return 2;
  }

  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(0x7f000001);
  socklen_t al = sizeof(a);
  if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 4096) ||
      getsockname(lfd, (struct sockaddr *)&a, &al)) {
    perror("listen");
    return 1;
  }
  int up[2], down[2];
  if (pipe(up) || pipe(down)) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    close(lfd);
    close(up[0]);
    close(down[1]);
    child(ntohs(a.sin_port), n, up[1], down[0]);
  }
  close(up[1]);
  close(down[0]);

  gale_loop *loop = gale_loop_new();
  int *fds = calloc((size_t)n, sizeof(int));
  for (int i = 0; i < n; i++) {
    fds[i] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fds[i] < 0) {
      perror("accept");
      return 1;
    }
  }
  char c;
  if (read(up[0], &c, 1) != 1) return 1;
  /* Warm up allocator arenas, then take the baseline. */
  gale_loop_run_once(loop, 0);
  size_t heap0 = heap_in_use(), rss0 = rss_bytes();

  gale_stream **streams = calloc((size_t)n, sizeof(*streams));
  struct bufferevent **bevs = calloc((size_t)n, sizeof(*bevs));
  size_t heap_tab = heap_in_use(); /* the handle tables are ours, not theirs */
  struct event_base *base = gale__loop_base(loop);
  for (int i = 0; i < n; i++) {
    if (gale) {
      if (gale_stream_new(loop, fds[i], NULL, &streams[i]) != GALE_OK) return 1;
      gale_stream_set_close_cb(streams[i], g_close, NULL);
      gale_stream_read_until(streams[i], "\n", 1, 0, g_line, NULL);
    } else {
      bevs[i] = bufferevent_socket_new(base, fds[i], BEV_OPT_CLOSE_ON_FREE);
      if (!bevs[i]) return 1;
      bufferevent_setcb(bevs[i], b_read, NULL, b_event, NULL);
      bufferevent_enable(bevs[i], EV_READ);
    }
  }
  c = 'g';
  if (write(down[1], &c, 1) != 1) return 1;
  while (answered < n && !closed_early) gale_loop_run_once(loop, 0.1);
  /* Child confirms every pong arrived: all output has been flushed. */
  for (;;) {
    gale_loop_run_once(loop, 0.01);
    struct timeval tv = {0, 0};
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(up[0], &rs);
    if (select(up[0] + 1, &rs, NULL, NULL, &tv) > 0) break;
  }
  if (read(up[0], &c, 1) != 1) return 1;
  gale_loop_run_once(loop, 0.05);
  size_t heap1 = heap_in_use(), rss1 = rss_bytes();
  size_t tab = heap_tab - heap0;
  double per_heap = ((double)heap1 - (double)heap0 - (double)tab) / n;
  double per_rss = ((double)rss1 - (double)rss0) / n;
  printf("%s connections=%d heap_bytes_per_conn=%.0f rss_bytes_per_conn=%.0f closed_early=%d\n",
         gale ? "gale" : "bufferevent", n, per_heap, per_rss, closed_early);

  for (int i = 0; i < n; i++) {
    if (gale)
      gale_stream_close(streams[i]);
    else
      bufferevent_free(bevs[i]);
  }
  close(down[1]);
  waitpid(pid, NULL, 0);
  for (int i = 0; i < 10; i++) gale_loop_run_once(loop, 0.01);
  gale_loop_free(loop);
  free(streams);
  free(bevs);
  free(fds);
  close(lfd);
  return 0;
}
