/* SPDX-License-Identifier: MIT */
/* The HTTP server tests' fixture (server_fixture.h). */
#include "server_fixture.h"

#include <stdio.h>
#include <string.h>

/* The application: answers by path. */
void sf_on_request(gale_http_server_request *req, void *arg) {
  server_fx *f = arg;
  f->requests++;
  const char *path = gale_http_server_request_path(req);
  snprintf(f->last_ip, sizeof(f->last_ip), "%s", gale_http_server_request_remote_ip(req));
  snprintf(f->last_proto, sizeof(f->last_proto), "%s", gale_http_server_request_protocol(req));
  size_t blen = 0;
  const char *body = gale_http_server_request_body(req, &blen);
  if (blen < sizeof(f->last_body)) {
    memcpy(f->last_body, body, blen);
    f->last_body_len = blen;
  }
  if (strcmp(path, "/echo") == 0) {
    gale_http_server_request_printf(req, "%zu:", blen);
    gale_http_server_request_write(req, body, blen);
  } else if (strcmp(path, "/chunked") == 0) {
    gale_http_server_request_write(req, "part1,", 6);
    gale_http_server_request_flush(req);
    gale_http_server_request_write(req, "part2", 5);
  } else if (strcmp(path, "/big") == 0) {
    gale_http_server_request_set_header(req, "Content-Type", "text/plain");
    for (int i = 0; i < 400; i++) gale_http_server_request_printf(req, "line %04d of text\n", i);
  } else if (strcmp(path, "/huge") == 0) {
    static char block[65536];
    memset(block, 'h', sizeof(block));
    gale_http_server_request_write(req, block, sizeof(block));
  } else if (strcmp(path, "/async") == 0) {
    f->held = req;
    gale_http_server_request_set_close_cb(req, NULL, NULL);
    return; /* finished later */
  } else if (strcmp(path, "/streamtext") == 0) {
    /* A streamed text answer: gzipped chunk by chunk when accepted. */
    gale_http_server_request_set_header(req, "Content-Type", "text/plain");
    gale_http_server_request_write(req, "part1,", 6);
    gale_http_server_request_flush(req);
    f->held = req;
    return; /* finished later by sf_finish_held */
  } else if (strcmp(path, "/nocontent") == 0) {
    gale_http_server_request_set_status(req, 204, NULL);
  } else if (strcmp(path, "/free") == 0) {
    /* Freeing the server from inside its own callback. */
    gale_http_server_free(f->server);
    f->server = NULL;
    return;
  } else if (strcmp(path, "/query") == 0) {
    gale_http_server_request_printf(req, "%s|%s|%s", gale_http_server_request_path(req),
                                    gale_http_server_request_query(req),
                                    gale_http_server_request_host(req));
  } else {
    gale_http_server_request_write(req, "Hello, world", 12);
  }
  gale_http_server_request_finish(req);
}

static int body_counter(gale_http_server_request *req, const char *data, size_t len, void *arg) {
  server_fx *f = arg;
  (void)req;
  (void)data;
  f->streamed += len;
  f->stream_calls++;
  return GALE_OK;
}

void sf_on_headers(gale_http_server_request *req, void *arg) {
  server_fx *f = arg;
  const char *path = gale_http_server_request_path(req);
  if (strcmp(path, "/stream") == 0) gale_http_server_request_stream_body(req, body_counter, f);
  if (strcmp(path, "/deny") == 0) {
    gale_http_server_request_set_status(req, 401, NULL);
    gale_http_server_request_finish(req);
  }
}

void sf_start(server_fx *f, const gale_http_server_options *opts) {
  memset(f, 0, sizeof(*f));
  f->fds_before = th_count_fds();
  f->loop = gale_loop_new();
  assert_non_null(f->loop);
  gale_http_server_options o;
  if (opts)
    o = *opts;
  else
    gale_http_server_options_init(&o);
  if (!o.headers_cb) o.headers_cb = sf_on_headers;
  o.access_log = false;
  assert_int_equal(gale_http_server_new(f->loop, &o, sf_on_request, f, &f->server), GALE_OK);
  assert_int_equal(gale_http_server_listen(f->server, 0, "127.0.0.1"), GALE_OK);
  f->port = gale_http_server_port(f->server);
  assert_true(f->port > 0);
}

void sf_stop(server_fx *f) {
  if (f->server) gale_http_server_free(f->server);
  th_run_for(f->loop, 0.05); /* connections finish closing */
  gale_loop_free(f->loop);
  assert_int_equal(th_count_fds(), f->fds_before);
}

void sf_opts_small(gale_http_server_options *o) {
  gale_http_server_options_init(o);
  o->max_uri_size = 1024;
  o->max_header_size = 4096;
  o->max_header_count = 20;
  o->max_body_size = 1000;
}

void sf_finish_held(gale_loop *loop, void *arg) {
  (void)loop;
  server_fx *f = arg;
  gale_http_server_request_write(f->held, "late", 4);
  gale_http_server_request_finish(f->held);
  f->held = NULL;
}
