/* SPDX-License-Identifier: MIT */
/* libevent's evhttp answering "Hello, world": a peer for bench/http.sh.
 * usage: http_evhttp PORT */
#include <signal.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

static void hello(struct evhttp_request *req, void *arg) {
  (void)arg;
  struct evbuffer *out = evbuffer_new();
  evbuffer_add(out, "Hello, world", 12);
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
  evhttp_send_reply(req, 200, "OK", out);
  evbuffer_free(out);
}

int main(int argc, char **argv) {
  int port = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 8889;
  /* wrk closes connections with answers still queued: without this the
   * first write to one of them kills the server (libevent leaves SIGPIPE
   * alone), and the idle-memory run found nothing listening. */
  signal(SIGPIPE, SIG_IGN);
  struct event_base *base = event_base_new();
  struct evhttp *http = base ? evhttp_new(base) : NULL;
  if (!http || evhttp_bind_socket(http, "127.0.0.1", (unsigned short)port) != 0) return 1;
  evhttp_set_gencb(http, hello, NULL);
  event_base_dispatch(base);
  evhttp_free(http);
  event_base_free(base);
  return 0;
}
