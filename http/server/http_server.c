/* SPDX-License-Identifier: MIT */
/* gale_http_server: options, the TCP server underneath, the connection
 * list, graceful shutdown, the cached Date header, xheaders and the access
 * log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gale/httpdate.h"
#include "gale/log.h"
#include "gale/netutil.h"
#include "core/alloc.h"
#include "http/server/h2_server.h"
#include "http/server/server_internal.h"
#include "http/server/xheaders.h"

void gale_http_server_options_init(gale_http_server_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof(*opts));
  opts->max_header_size = GALE_H1_DEFAULT_MAX_HEADER_SIZE;
  opts->max_uri_size = GALE_H1_DEFAULT_MAX_START_LINE;
  opts->max_header_count = GALE_H1_DEFAULT_MAX_HEADERS;
  opts->max_body_size = GALE_H1_DEFAULT_MAX_BODY_SIZE;
  opts->header_timeout = 60;
  opts->body_timeout = 60;
  opts->write_timeout = 60;
  opts->idle_connection_timeout = 3600;
  opts->max_requests_per_connection = 100000;
  opts->access_log = true;
  opts->max_connections = 10000;
  opts->max_body_buffer = (size_t)256 << 20;
  opts->tls_handshake_timeout = GALE_TLS_DEFAULT_HANDSHAKE_TIMEOUT;
}

static void free_trusted(gale_http_server *server) {
  for (size_t i = 0; i < server->ntrusted; i++) free(server->trusted[i]);
  free(server->trusted);
  server->trusted = NULL;
  server->ntrusted = 0;
}

int gale_http_server_new(gale_loop *loop, const gale_http_server_options *opts,
                         gale_http_request_cb request_cb, void *arg, gale_http_server **out) {
  if (!request_cb || !out) return GALE_EINVAL;
  *out = NULL;
  gale_http_server *server = gale__calloc(1, sizeof(*server));
  if (!server) return GALE_ENOMEM;
  if (opts)
    server->opts = *opts;
  else
    gale_http_server_options_init(&server->opts);
  gale_http_server_options *o = &server->opts;
  if (o->max_header_size < 256 || o->max_header_size > UINT32_MAX || o->max_uri_size < 16 ||
      o->max_uri_size > o->max_header_size || o->max_header_count < 1 ||
      o->max_header_count > 100000 || o->header_timeout < 0 || o->body_timeout < 0 ||
      o->write_timeout < 0 || o->idle_connection_timeout < 0 || o->tls_handshake_timeout < 0) {
    free(server);
    return GALE_EINVAL;
  }
  if (o->trusted_downstream) {
    size_t n = 0;
    while (o->trusted_downstream[n]) n++;
    server->trusted = gale__calloc(n ? n : 1, sizeof(char *));
    if (!server->trusted) {
      free(server);
      return GALE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
      server->trusted[i] = strdup(o->trusted_downstream[i]);
      if (!server->trusted[i]) {
        server->ntrusted = i;
        free_trusted(server);
        free(server);
        return GALE_ENOMEM;
      }
    }
    server->ntrusted = n;
    o->trusted_downstream = NULL;
  }
  gale_h1_limits_init(&server->limits);
  server->limits.max_header_size = (uint32_t)o->max_header_size;
  /* The request line holds the target plus method and version. */
  server->limits.max_start_line = (uint32_t)o->max_uri_size + 32;
  if (server->limits.max_start_line > server->limits.max_header_size)
    server->limits.max_start_line = server->limits.max_header_size;
  server->limits.max_headers = (uint32_t)o->max_header_count;
  server->limits.max_body_size = o->max_body_size ? o->max_body_size : UINT64_MAX;
  server->loop = loop;
  server->request_cb = request_cb;
  server->arg = arg;

  gale_tcp_server_options topts;
  gale_tcp_server_options_init(&topts);
  topts.tls = o->tls;
  topts.max_connections = o->max_connections;
  topts.tls_handshake_timeout = o->tls_handshake_timeout; /* 0: none, as there */
  topts.proxy_protocol = o->proxy_protocol;
  int rc = gale_tcp_server_new(loop, &topts, gale__server_tcp_stream, server, &server->tcp);
  if (rc != GALE_OK) {
    free_trusted(server);
    free(server);
    return rc;
  }
  *out = server;
  return GALE_OK;
}

int gale_http_server_listen(gale_http_server *server, int port, const char *address) {
  if (!server) return GALE_EINVAL;
  int rc = gale_tcp_server_listen(server->tcp, port, address);
  if (rc == GALE_OK && !server->loop) server->loop = gale_tcp_server_loop(server->tcp);
  return rc;
}

int gale_http_server_port(const gale_http_server *server) {
  if (!server) return -1;
  int fd;
  if (gale_tcp_server_sockets(server->tcp, &fd, 1) < 1) return -1;
  int port = gale_socket_port(fd);
  return port < 0 ? -1 : port;
}

gale_tcp_server *gale_http_server_tcp(gale_http_server *server) {
  return server ? server->tcp : NULL;
}

size_t gale_http_server_connection_count(const gale_http_server *server) {
  return server ? server->nconns : 0;
}

/* Closes keep-alive connections idle past idle_connection_timeout and new
 * ones that sent nothing within header_timeout of the accept (silently, as
 * nginx does: there is no request to answer), and starts the write deadline
 * of connections whose output is stuck: one sweep over the list a few times
 * per timeout instead of a timer in every connection, so an idle
 * connection costs no timer memory. */
static void sweep_idle(gale_loop *loop, void *arg) {
  gale_http_server *server = arg;
  double now = gale_loop_time(loop), idle = server->opts.idle_connection_timeout;
  double header = server->opts.header_timeout;
  for (gale__h1_conn *c = server->conns, *next; c; c = next) {
    next = c->next;
    double limit = c->requests ? idle : header;
    if (limit > 0 && gale__conn_is_idle(c) && now - c->last_active >= limit)
      gale__conn_close(c);
    else if (server->opts.write_timeout > 0)
      gale__conn_watch_writes(c);
  }
  for (gale__h2_conn *c = server->h2conns, *next; c; c = next) {
    next = c->next;
    gale__h2_conn_sweep(c, now);
  }
}

static void start_sweeper(gale_http_server *server) {
  double idle = server->opts.idle_connection_timeout, wt = server->opts.write_timeout;
  double header = server->opts.header_timeout;
  if (server->sweeper || (idle <= 0 && wt <= 0 && header <= 0) || !server->loop) return;
  double every = 1;
  if (idle > 0 && idle / 8 < every) every = idle / 8;
  if (wt > 0 && wt / 8 < every) every = wt / 8;
  if (header > 0 && header / 8 < every) every = header / 8;
  if (every < 0.02) every = 0.02;
  if (gale_periodic_new(server->loop, every, 0, sweep_idle, server, &server->sweeper) == GALE_OK)
    gale_periodic_start(server->sweeper);
}

void gale__server_tcp_stream(gale_tcp_server *tcp, gale_stream *stream, const struct sockaddr *peer,
                             socklen_t peer_len, void *arg) {
  (void)tcp;
  (void)peer_len;
  gale_http_server *server = arg;
  if (!server->loop) server->loop = gale_stream_loop(stream);
  if (!server->sweeper) start_sweeper(server);
  if (server->dead || server->shutting_down || gale__conn_new(server, stream, peer) != GALE_OK)
    gale_stream_close(stream);
}

void gale__server_conn_gone(gale_http_server *server, gale__h1_conn *c) {
  if (c->prev)
    c->prev->next = c->next;
  else if (server->conns == c)
    server->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  server->nconns--;
}

static void really_free(gale_http_server *server) {
  gale_periodic_free(server->sweeper);
  gale__request_pool_free(server);
  free_trusted(server);
  free(server);
}

void gale__server_maybe_free(gale_http_server *server) {
  if (server->dead && server->nconns == 0 && server->busy == 0 && !server->tcp) really_free(server);
}

static void tcp_shutdown_done(gale_tcp_server *tcp, void *arg) {
  (void)tcp;
  gale_http_server *server = arg;
  gale_future *f = server->shutdown_future; /* the callback may free the server */
  server->shutdown_future = NULL;
  if (server->closed_cb) server->closed_cb(server, server->closed_arg);
  if (f) gale_future_set_result(f, NULL, NULL);
  gale_future_unref(f);
}

/* The TCP server's shutdown closes at once for a timeout <= 0; here that
 * means no deadline. */
#define NO_DEADLINE 1e9

int gale_http_server_shutdown(gale_http_server *server, double timeout,
                              gale_http_server_closed_cb closed_cb, void *arg) {
  if (!server) return GALE_EINVAL;
  if (server->shutting_down || server->dead) return GALE_ESTATE;
  int rc = gale_tcp_server_shutdown(server->tcp, timeout > 0 ? timeout : NO_DEADLINE,
                                    tcp_shutdown_done, server);
  if (rc != GALE_OK) return rc == GALE_EBUSY ? GALE_ESTATE : rc;
  server->shutting_down = true;
  server->closed_cb = closed_cb;
  server->closed_arg = arg;
  for (gale__h1_conn *c = server->conns, *next; c; c = next) {
    next = c->next;
    gale__conn_stop_if_between(c);
  }
  for (gale__h2_conn *c = server->h2conns, *next; c; c = next) {
    next = c->next;
    gale__h2_conn_shutdown(c);
  }
  return GALE_OK;
}

gale_future *gale_http_server_shutdown_future(gale_http_server *server, double timeout,
                                              int *status_out) {
  int rc = server && server->loop ? GALE_OK : server ? GALE_ESTATE : GALE_EINVAL;
  gale_future *f = rc == GALE_OK ? gale_future_new(server->loop) : NULL;
  if (rc == GALE_OK && !f) rc = GALE_ENOMEM;
  if (rc == GALE_OK) {
    server->shutdown_future = gale_future_ref(f);
    rc = gale_http_server_shutdown(server, timeout, NULL, NULL);
    if (rc != GALE_OK) {
      server->shutdown_future = NULL;
      gale_future_unref(f);
      gale_future_unref(f);
      f = NULL;
    }
  }
  if (status_out) *status_out = rc;
  return f;
}

void gale_http_server_free(gale_http_server *server) {
  if (!server || server->dead) return;
  server->dead = true;
  if (server->shutdown_future) {
    gale_future_cancel(server->shutdown_future);
    gale_future_unref(server->shutdown_future);
    server->shutdown_future = NULL;
  }
  gale_periodic_free(server->sweeper);
  server->sweeper = NULL;
  for (gale__h1_conn *c = server->conns; c; c = c->next) gale__conn_close(c);
  for (gale__h2_conn *c = server->h2conns; c; c = c->next) gale__h2_conn_close(c);
  gale_tcp_server *tcp = server->tcp;
  server->tcp = NULL;
  gale_tcp_server_free(tcp);
  gale__server_maybe_free(server);
}

/* ---- Date, formatted once a second -------------------------------------------- */

const char *gale__server_date_line(gale_http_server *server, size_t *len) {
  time_t now = time(NULL);
  if (now != server->date_sec || !server->date_len) {
    char date[40];
    if (gale_http_date_format(now, date, sizeof(date)) < 0) snprintf(date, sizeof(date), "-");
    int n = snprintf(server->date_line, sizeof(server->date_line), "Date: %s\r\n", date);
    server->date_len = n > 0 && (size_t)n < sizeof(server->date_line) ? (size_t)n : 0;
    server->date_sec = now;
  }
  *len = server->date_len;
  return server->date_line;
}

/* ---- xheaders (Tornado's _apply_xheaders) -------------------------------------- */

void gale__server_apply_xheaders(gale_http_server *server, gale_http_server_request *req) {
  const char *xff = gale_http_server_request_header(req, "X-Forwarded-For");
  const char *real = gale_http_server_request_header(req, "X-Real-IP");
  char ip[sizeof(req->remote_ip)];
  if (gale__xheaders_remote_ip(xff, xff ? strlen(xff) : 0, real, real ? strlen(real) : 0,
                               server->trusted, server->ntrusted, ip, sizeof(ip)))
    memcpy(req->remote_ip, ip, strlen(ip) + 1);
  const char *proto = gale_http_server_request_header(req, "X-Scheme");
  if (!proto) proto = gale_http_server_request_header(req, "X-Forwarded-Proto");
  const char *scheme = proto ? gale__xheaders_protocol(proto, strlen(proto)) : NULL;
  if (scheme) req->protocol = scheme;
}

/* ---- access log ---------------------------------------------------------------------- */

void gale__server_access_log(gale_http_server_request *req) {
  gale_http_server *server = req->server;
  if (!server->opts.access_log) return;
  gale_log_level level = req->status < 400   ? GALE_LOG_INFO
                         : req->status < 500 ? GALE_LOG_WARNING
                                             : GALE_LOG_ERROR;
  if (!gale_log_enabled(level)) return;
  gale_log(level, "access", "%d %s %s (%s) %.2fms", req->status, req->method, req->target,
           gale_http_server_request_remote_ip(req), 1000.0 * gale_http_server_request_elapsed(req));
}
