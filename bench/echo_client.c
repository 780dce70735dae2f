/* SPDX-License-Identifier: MIT */
/* bench/echo_client.c — load generator for bench/echo.sh.
 *
 *   echo_client PORT rtt CONNS SECONDS SIZE
 *       CONNS connections on 127.0.0.1:PORT, each sending SIZE bytes and
 *       waiting for them to come back, over and over for SECONDS; prints
 *       "roundtrips N seconds S".
 *   echo_client PORT idle CONNS
 *       opens CONNS connections, does one round trip on each (so the server
 *       has accepted and served every one), prints "ready", then holds them
 *       until its stdin closes.
 *
 * One thread, epoll, non-blocking sockets: the client must not be the
 * bottleneck of a one-CPU server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
  int fd;
  size_t got;
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_one(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

static long parse(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*end || v <= 0) {
    fprintf(stderr, "bad number: %s\n", s);
    exit(2);
  }
  return v;
}

/* Runs round trips on every connection until `until` (or one each when
 * `once`); returns the number completed. */
static long run(int ep, struct conn *c, int n, size_t size, double until, bool once) {
  static char msg[65536], buf[65536];
  memset(msg, 'e', sizeof msg);
  long done = 0;
  int active = n;
  for (int i = 0; i < n; i++)
    if (write(c[i].fd, msg, size) != (ssize_t)size) return -1;
  struct epoll_event evs[256];
  while (active > 0) {
    int k = epoll_wait(ep, evs, 256, 1000);
    for (int j = 0; j < k; j++) {
      struct conn *x = evs[j].data.ptr;
      ssize_t r = read(x->fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        fprintf(stderr, "connection closed by the server\n");
        return -1;
      }
      x->got += (size_t)r;
      if (x->got < size) continue;
      x->got = 0;
      done++;
      if (once || now() >= until) {
        active--;
        continue;
      }
      if (write(x->fd, msg, size) != (ssize_t)size) return -1;
    }
    if (k == 0 && !once && now() >= until + 5) break;
  }
  return done;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s PORT rtt CONNS SECONDS SIZE | PORT idle CONNS\n", argv[0]);
    return 2;
  }
  int port = (int)parse(argv[1]);
  bool idle = strcmp(argv[2], "idle") == 0;
  int n = (int)parse(argv[3]);
  double seconds = idle ? 0 : (double)parse(argv[4]);
  size_t size = idle ? 16 : (size_t)parse(argv[5]);
  if (size > 65536) size = 65536;
  struct conn *c = calloc((size_t)n, sizeof *c);
  int ep = epoll_create1(0);
  for (int i = 0; i < n; i++) {
    c[i].fd = connect_one(port);
    if (c[i].fd < 0) {
      /* the backlog is full: let the server catch up */
      usleep(1000);
      c[i].fd = connect_one(port);
    }
    if (c[i].fd < 0) {
      perror("connect");
      return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
  }
  if (idle) {
    if (run(ep, c, n, size, 0, true) != n) return 1;
    printf("ready\n");
    fflush(stdout);
    char b;
    while (read(0, &b, 1) > 0) {}
    return 0;
  }
  double start = now();
  long done = run(ep, c, n, size, start + seconds, false);
  if (done < 0) return 1;
  printf("roundtrips %ld seconds %.3f\n", done, now() - start);
  return 0;
}
