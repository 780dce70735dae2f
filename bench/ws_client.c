/* SPDX-License-Identifier: MIT */
/* bench/ws_client.c — WebSocket load generator for bench/websocket.sh.
 *
 *   ws_client PORT rtt CONNS SECONDS SIZE
 *       CONNS WebSockets to ws://127.0.0.1:PORT/echo, each sending a
 *       SIZE-byte text message and waiting for its echo, over and over for
 *       SECONDS; prints "roundtrips N seconds S".
 *   ws_client PORT idle CONNS
 *       opens CONNS WebSockets on /echo, one round trip each, prints
 *       "ready", then holds them until its stdin closes.
 *   ws_client PORT broadcast CONNS ROUNDS
 *       CONNS WebSockets on /broadcast, plus one more that sends a message
 *       there ROUNDS times; the server sends each to every /broadcast
 *       socket.  Prints "fanout CONNS median_ms M max_ms X": the time from
 *       the send until the last of the CONNS sockets had the message.
 *
 * The handshake is a fixed request (the RFC 6455 §1.3 sample key); frames
 * are masked with a fixed key, which a server cannot tell from a random
 * one.  One thread, epoll, non-blocking sockets, so that the client is not
 * the bottleneck of a one-CPU server.  Not a conformance client: it reads
 * unmasked replies of the sizes it expects.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 65535

struct conn {
  int fd;
  size_t got;
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/* Connects and completes the opening handshake (blocking), then makes the
 * socket non-blocking.  Returns the fd or -1. */
static int ws_open(int port, const char *path) {
  int fd = -1;
  for (int attempt = 0; attempt < 50 && fd < 0; attempt++) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
      close(fd);
      fd = -1;
      usleep(2000); /* a full backlog: let the server catch up */
    }
  }
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char req[512];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:%d\r\n\r\n",
                   path, port, port);
  if (write(fd, req, (size_t)n) != n) goto fail;
  char head[2048];
  size_t got = 0;
  /* Byte by byte: nothing after the head may be swallowed. */
  while (got < sizeof head - 1) {
    ssize_t r = read(fd, head + got, 1);
    if (r <= 0) goto fail;
    got++;
    if (got >= 4 && memcmp(head + got - 4, "\r\n\r\n", 4) == 0) break;
  }
  head[got] = '\0';
  if (strncmp(head, "HTTP/1.1 101", 12) != 0) {
    fprintf(stderr, "handshake refused: %.*s\n", (int)strcspn(head, "\r"), head);
    goto fail;
  }
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
fail:
  close(fd);
  return -1;
}

/* A masked text frame of `size` bytes of 'e' (size <= MAX_SIZE). */
static size_t make_frame(unsigned char *out, size_t size) {
  static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  size_t h = 0;
  out[h++] = 0x81;
  if (size < 126) {
    out[h++] = (unsigned char)(0x80 | size);
  } else {
    out[h++] = 0x80 | 126;
    out[h++] = (unsigned char)(size >> 8);
    out[h++] = (unsigned char)size;
  }
  memcpy(out + h, key, 4);
  h += 4;
  for (size_t i = 0; i < size; i++) out[h + i] = (unsigned char)('e' ^ key[i & 3]);
  return h + size;
}

/* The bytes of the server's (unmasked) frame carrying `size` bytes. */
static size_t reply_size(size_t size) { return (size < 126 ? 2 : 4) + size; }

static void watch(int ep, struct conn *c) {
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

/* Reads what arrived on x; returns how many whole replies of `want`
 * bytes it completed, or -1 when the server closed. */
static int take(struct conn *x, size_t want) {
  static unsigned char buf[1 << 16];
  int whole = 0;
  for (;;) {
    ssize_t r = read(x->fd, buf, sizeof buf);
    if (r < 0 && errno == EAGAIN) return whole;
    if (r <= 0) return -1;
    x->got += (size_t)r;
    while (x->got >= want) {
      x->got -= want;
      whole++;
    }
  }
}

/* Echo round trips on every connection until `until` (one each when
 * `once`); returns the number completed. */
static long run_echo(int ep, struct conn *c, int n, size_t size, double until, bool once) {
  static unsigned char frame[MAX_SIZE + 16];
  size_t flen = make_frame(frame, size), want = reply_size(size);
  long done = 0;
  int active = n;
  for (int i = 0; i < n; i++)
    if (write(c[i].fd, frame, flen) != (ssize_t)flen) return -1;
  struct epoll_event evs[256];
  while (active > 0) {
    int k = epoll_wait(ep, evs, 256, 1000);
    for (int j = 0; j < k; j++) {
      struct conn *x = evs[j].data.ptr;
      int w = take(x, want);
      if (w < 0) {
        fprintf(stderr, "connection closed by the server\n");
        return -1;
      }
      if (w == 0) continue;
      done += w;
      if (once || now() >= until) {
        active--;
        epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
        continue;
      }
      if (write(x->fd, frame, flen) != (ssize_t)flen) return -1;
    }
    if (k == 0 && !once && now() >= until + 5) break;
  }
  return done;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int run_broadcast(int port, int ep, int n, int rounds) {
  static unsigned char frame[64];
  const size_t size = 32;
  size_t flen = make_frame(frame, size), want = reply_size(size);
  int sender = ws_open(port, "/broadcast");
  if (sender < 0) return 1;
  double *ms = calloc((size_t)rounds, sizeof *ms);
  struct epoll_event evs[256];
  /* A first message proves every socket is registered before timing. */
  for (int r = -1; r < rounds; r++) {
    int pending = n;
    double start = now();
    if (write(sender, frame, flen) != (ssize_t)flen) return 1;
    while (pending > 0) {
      int k = epoll_wait(ep, evs, 256, 10000);
      if (k <= 0) {
        fprintf(stderr, "broadcast: %d of %d sockets never got the message\n", pending, n);
        return 1;
      }
      for (int j = 0; j < k; j++) {
        int w = take(evs[j].data.ptr, want);
        if (w < 0) return 1;
        pending -= w;
      }
    }
    if (r >= 0) ms[r] = (now() - start) * 1000;
    /* The sender is on /broadcast too: drain its copy. */
    unsigned char drain[128];
    size_t have = 0;
    while (have < want) {
      ssize_t got = read(sender, drain, want - have);
      if (got > 0)
        have += (size_t)got;
      else if (got < 0 && errno == EAGAIN)
        usleep(100);
      else
        return 1;
    }
  }
  qsort(ms, (size_t)rounds, sizeof *ms, cmp_double);
  printf("fanout %d median_ms %.2f max_ms %.2f\n", n, ms[rounds / 2], ms[rounds - 1]);
  free(ms);
  close(sender);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(
        stderr,
        "usage: %s PORT rtt CONNS SECONDS SIZE | PORT idle CONNS | PORT broadcast CONNS ROUNDS\n",
        argv[0]);
    return 2;
  }
  int port = (int)parse(argv[1]);
  const char *mode = argv[2];
  int n = (int)parse(argv[3]);
  bool broadcast = strcmp(mode, "broadcast") == 0, idle = strcmp(mode, "idle") == 0;
  if (!broadcast && !idle && argc < 6) return 2;
  if (broadcast && argc < 5) return 2;
  struct conn *c = calloc((size_t)n, sizeof *c);
  int ep = epoll_create1(0);
  for (int i = 0; i < n; i++) {
    c[i].fd = ws_open(port, broadcast ? "/broadcast" : "/echo");
    if (c[i].fd < 0) {
      fprintf(stderr, "connection %d: could not open\n", i);
      return 1;
    }
    watch(ep, &c[i]);
  }
  if (broadcast) return run_broadcast(port, ep, n, (int)parse(argv[4]));
  if (idle) {
    if (run_echo(ep, c, n, 16, 0, true) != n) return 1;
    printf("ready\n");
    fflush(stdout);
    char b;
    while (read(0, &b, 1) > 0) {}
    return 0;
  }
  size_t size = (size_t)parse(argv[5]);
  if (size > MAX_SIZE) size = MAX_SIZE;
  double start = now();
  long done = run_echo(ep, c, n, size, start + (double)parse(argv[4]), false);
  if (done < 0) return 1;
  printf("roundtrips %ld seconds %.3f\n", done, now() - start);
  return 0;
}
