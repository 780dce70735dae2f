/* SPDX-License-Identifier: MIT */
/* The HTTP client tests' fixture (client_fixture.h). */
#include "client_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "gale/httputil.h"

client_fx *cf_open(const gale_http_client_options *o) {
  client_fx *f = calloc(1, sizeof *f);
  assert_non_null(f);
  f->fds = th_count_fds();
  f->wait = 10;
  f->loop = gale_loop_new();
  assert_non_null(f->loop);
  assert_int_equal(gale_http_client_new(f->loop, o, &f->client), GALE_OK);
  return f;
}

void cf_close_client(client_fx *f) {
  gale_http_client_free(f->client);
  f->client = NULL;
  th_run_for(f->loop, 0.05);
}

void cf_close(client_fx *f) {
  if (f->client) cf_close_client(f);
  gale_loop_free(f->loop);
  assert_int_equal(th_count_fds(), f->fds);
  free(f);
}

const char *cf_url(client_fx *f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->url, sizeof f->url, fmt, ap);
  va_end(ap);
  return f->url;
}

static void copy_str(char *dst, size_t cap, const char *s) { snprintf(dst, cap, "%s", s ? s : ""); }

void cf_on_response(const gale_http_response *r, void *arg) {
  cf_result *res = arg;
  size_t keep = r->body_len < sizeof res->body - 1 ? r->body_len : sizeof res->body - 1;
  assert_non_null(r->request);
  res->done++;
  res->status = r->status;
  res->code = r->code;
  res->redirects = r->num_redirects;
  res->http_version = r->http_version;
  res->reused = r->reused;
  res->t = r->timings;
  res->nheaders = r->headers ? gale_headers_count(r->headers) : 0;
  res->body_len = r->body_len;
  if (keep) memcpy(res->body, r->body, keep);
  res->body[keep] = '\0';
  copy_str(res->reason, sizeof res->reason, r->reason);
  copy_str(res->error, sizeof res->error, r->error);
  copy_str(res->url, sizeof res->url, r->effective_url);
  copy_str(res->request_url, sizeof res->request_url, r->request->url);
  copy_str(res->local_ip, sizeof res->local_ip, r->local_ip);
  copy_str(res->remote_ip, sizeof res->remote_ip, r->remote_ip);
  copy_str(res->xtest, sizeof res->xtest, gale_http_response_header(r, "X-Test"));
  copy_str(res->encoding, sizeof res->encoding,
           gale_http_response_header(r, "X-Consumed-Content-Encoding"));
}

cf_result *cf_fetch(client_fx *f, gale_http_request *req) {
  cf_result *res = calloc(1, sizeof *res);
  assert_non_null(res);
  assert_int_equal(gale_http_client_fetch(f->client, req, cf_on_response, res, NULL), GALE_OK);
  assert_int_equal(res->done, 0); /* never inside the call */
  TH_RUN_UNTIL(f->loop, res->done, f->wait);
  assert_int_equal(res->done, 1);
  return res;
}

int cf_black_hole(int *port) {
  struct sockaddr_in sin;
  socklen_t sl = sizeof sin;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
  assert_int_equal(listen(fd, 0), 0);
  getsockname(fd, (struct sockaddr *)&sin, &sl);
  *port = ntohs(sin.sin_port);
  return fd;
}

int cf_nb_connect(int port) {
  struct sockaddr_in sin;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons((uint16_t)port);
  connect(fd, (struct sockaddr *)&sin, sizeof sin);
  return fd;
}
