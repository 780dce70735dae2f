/* SPDX-License-Identifier: MIT */
/* bench/echo_libevent.c — the peer of bench/echo.sh: a plain libevent
 * bufferevent echo server (evconnlistener + bufferevent_socket), what a
 * libevent user would write.  Usage: echo_libevent PORT (0 = any); prints
 * the port it listens on. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

static void on_read(struct bufferevent *bev, void *arg) {
  bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) bufferevent_free(bev);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct bufferevent *bev = bufferevent_socket_new(arg, fd, BEV_OPT_CLOSE_ON_FREE);
  if (!bev) {
    evutil_closesocket(fd);
    return;
  }
  bufferevent_setcb(bev, on_read, NULL, on_event, NULL);
  bufferevent_enable(bev, EV_READ);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  signal(SIGPIPE, SIG_IGN);
  struct event_base *base = event_base_new();
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct evconnlistener *l =
      evconnlistener_new_bind(base, on_accept, base, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
                              (struct sockaddr *)&a, sizeof a);
  if (!l) {
    perror("listen");
    return 1;
  }
  struct sockaddr_in b;
  socklen_t len = sizeof b;
  getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&b, &len);
  printf("%d\n", ntohs(b.sin_port));
  fflush(stdout);
  event_base_dispatch(base);
  return 0;
}
