/* SPDX-License-Identifier: MIT */
/* One HTTP/1.1 exchange on a connection, the request's side: the head and
 * the body out, the wait for 100 Continue.  The response comes in through
 * http_client_response.c; a producer's body goes through
 * http_client_upload.c. */
#include "http/client/http_client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "http/wire/h1_head.h"
#include "iostream/stream_internal.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

/* curl's default wait for "100 Continue" before sending the body anyway. */
#define CONTINUE_WAIT 1.0

static bool user_has(const hc_fetch *f, const char *name) {
  return f->req_headers && gale_headers_get(f->req_headers, name) != NULL;
}

/* write_head's name for it (the upload shares the predicate). */
static bool chunked_upload(const hc_fetch *f) { return gale__hc_chunked_upload(f); }

/* Request headers the caller gave that this hop must not send. */
static bool skip_user_header(const hc_fetch *f, const char *name, size_t len) {
  if (!f->send_body &&
      (gale_ascii_eq_cstr(name, len, "Content-Length") ||
       gale_ascii_eq_cstr(name, len, "Content-Type") ||
       gale_ascii_eq_cstr(name, len, "Transfer-Encoding")) &&
      f->redirects > 0)
    return true;
  /* Authorization and Cookie never follow a redirect to another origin. */
  if (f->drop_auth &&
      (gale_ascii_eq_cstr(name, len, "Authorization") || gale_ascii_eq_cstr(name, len, "Cookie")))
    return true;
  return false;
}

static size_t len_or_0(const char *s) { return s ? strlen(s) : 0; }

/* A first reservation big enough for most heads (the writer grows past
 * it): the variable parts plus room for the fixed fields. */
static size_t head_size_hint(const hc_fetch *f, const char *proxy_auth) {
  const gale_url *u = f->purl;
  const gale_http_request *r = &f->req;
  return 256 + strlen(f->method) + len_or_0(u->scheme) + len_or_0(u->host) + len_or_0(u->path) +
         len_or_0(u->query) + len_or_0(r->user_agent) + len_or_0(f->auth) + len_or_0(proxy_auth) +
         len_or_0(r->referer) + (f->req_headers ? gale_headers_wire_size(f->req_headers) : 0);
}

static void head_str(gale_h1_head *h, const char *s) { gale_h1_head_append(h, s, strlen(s)); }

/* "Name: value\r\n" */
static void head_field(gale_h1_head *h, const char *name, const char *value) {
  gale_h1_head_field(h, name, strlen(name), value, strlen(value));
}

static int add_target(hc_fetch *f, gale_h1_head *h) {
  const gale_url *u = f->purl;
  if (f->absolute_form) {
    gale_url v = *u;
    char buf[8192];
    size_t n;
    v.userinfo = NULL;
    v.fragment = NULL;
    if (gale_url_format(&v, buf, sizeof buf, &n) != GALE_OK) return GALE_EURL;
    gale_h1_head_append(h, buf, n);
    return GALE_OK;
  }
  head_str(h, u->path && *u->path ? u->path : "/");
  if (u->query) {
    gale_h1_head_literal(h, "?");
    head_str(h, u->query);
  }
  return GALE_OK;
}

static void add_host(const hc_fetch *f, gale_h1_head *h) {
  const gale_url *u = f->purl;
  bool def = (strcmp(u->scheme, "https") == 0 && u->port == 443) ||
             (strcmp(u->scheme, "http") == 0 && u->port == 80);
  if (u->host_is_ipv6) gale_h1_head_literal(h, "[");
  head_str(h, u->host);
  if (u->host_is_ipv6) gale_h1_head_literal(h, "]");
  if (!def) {
    gale_h1_head_literal(h, ":");
    gale_h1_head_u64(h, u->port);
  }
}

/* The fields gale adds unless the caller gave them, then the caller's. */
static void add_fields(hc_fetch *f, gale_h1_head *h, const char *proxy_auth) {
  const gale_http_request *r = &f->req;
  if (!user_has(f, "Host")) {
    gale_h1_head_literal(h, "Host: ");
    add_host(f, h);
    gale_h1_head_literal(h, "\r\n");
  }
  if (!user_has(f, "User-Agent")) {
    if (!r->user_agent)
      head_field(h, "User-Agent", "gale/" PACKAGE_VERSION);
    else if (*r->user_agent)
      head_field(h, "User-Agent", r->user_agent);
  }
  if (f->auth && !user_has(f, "Authorization")) head_field(h, "Authorization", f->auth);
  if (proxy_auth) head_field(h, "Proxy-Authorization", proxy_auth);
  if (r->referer && !user_has(f, "Referer")) head_field(h, "Referer", r->referer);
  if (r->decompress_response && !user_has(f, "Accept-Encoding"))
    gale_h1_head_literal(h, "Accept-Encoding: gzip\r\n");
  if (r->if_modified_since && !user_has(f, "If-Modified-Since")) {
    char date[GALE_HTTP_DATE_LEN + 1];
    if (gale_http_date_format(r->if_modified_since, date, sizeof date) == GALE_OK)
      head_field(h, "If-Modified-Since", date);
  }
  if (f->send_body) {
    if (chunked_upload(f)) {
      if (!user_has(f, "Transfer-Encoding"))
        gale_h1_head_literal(h, "Transfer-Encoding: chunked\r\n");
    } else if (!user_has(f, "Content-Length")) {
      uint64_t n = r->body_producer ? (uint64_t)r->body_size : (uint64_t)r->body_len;
      gale_h1_head_field_u64(h, "Content-Length", 14, n);
    }
    if (f->await_continue) gale_h1_head_literal(h, "Expect: 100-continue\r\n");
  } else if (strcasecmp(f->method, "POST") == 0 || strcasecmp(f->method, "PUT") == 0 ||
             strcasecmp(f->method, "PATCH") == 0) {
    if (!user_has(f, "Content-Length")) gale_h1_head_literal(h, "Content-Length: 0\r\n");
  }
  if (f->req_headers) {
    size_t n = gale_headers_count(f->req_headers);
    for (size_t i = 0; i < n; i++) {
      const char *name, *value;
      size_t nl, vl;
      gale_headers_at(f->req_headers, i, &name, &nl, &value, &vl);
      if (skip_user_header(f, name, nl)) continue;
      gale_h1_head_field(h, name, nl, value, vl);
    }
  }
}

/* The request head, written into `out` by the wire's head writer. */
static int write_head(hc_fetch *f, struct evbuffer *out) {
  const gale_http_request *r = &f->req;
  size_t start = evbuffer_get_length(out);
  char *pa = NULL;
  gale_h1_head h;
  ssize_t wrote;
  int st;
  /* What can fail for another reason than memory runs before the head is
   * open, so a failure leaves nothing in the output. */
  if (f->absolute_form && r->proxy_username && !user_has(f, "Proxy-Authorization")) {
    pa = gale__hc_basic_auth(r->proxy_username, r->proxy_password);
    if (!pa) return GALE_ENOMEM;
  }
  gale_h1_head_init(&h, out, head_size_hint(f, pa));
  head_str(&h, f->method);
  gale_h1_head_literal(&h, " ");
  st = add_target(f, &h);
  if (st != GALE_OK) {
    gale_h1_head_fail(&h, st);
  } else {
    if (r->http_version == GALE_HTTP_VERSION_1_0)
      gale_h1_head_literal(&h, " HTTP/1.0\r\n");
    else
      gale_h1_head_literal(&h, " HTTP/1.1\r\n");
    add_fields(f, &h, pa);
  }
  wrote = gale_h1_head_finish(&h);
  free(pa);
  if (wrote < 0) return (int)wrote;
  f->resp.size_request += evbuffer_get_length(out) - start;
  if (f->req.debug_callback) {
    size_t n = evbuffer_get_length(out) - start;
    struct evbuffer_ptr pos;
    char *copy = gale__malloc(n);
    if (copy) {
      evbuffer_ptr_set(out, &pos, start, EVBUFFER_PTR_SET);
      evbuffer_copyout_from(out, &pos, copy, n);
      f->req.debug_callback(GALE_HTTP_DEBUG_HEADER_OUT, copy, n, f->req.debug_callback_arg);
      free(copy);
    }
  }
  return GALE_OK;
}

/* ---- sending ------------------------------------------------------------- */

void gale__hc_send_body(hc_fetch *f) {
  struct evbuffer *out = gale__stream_output(f->conn->stream);
  f->await_continue = false;
  if (!out) return;
  if (f->req.body_producer) {
    gale__hc_upload_start(f);
    return;
  }
  if (f->req.body_len) {
    /* Borrowed until completion (the header says so): no copy. */
    evbuffer_add_reference(out, f->req.body, f->req.body_len, NULL, NULL);
    f->resp.size_upload += f->req.body_len;
  }
  f->body_sent = true;
  gale__stream_flush(f->conn->stream, NULL, NULL);
}

static void on_continue_wait(gale_loop *loop, void *arg) {
  hc_fetch *f = arg;
  (void)loop;
  f->continue_timer = NULL;
  if (f->await_continue && f->state == HC_EXCHANGE && f->conn) gale__hc_send_body(f);
}

static void ntop(const struct sockaddr *sa, char *buf, size_t len, int *port) {
  buf[0] = '\0';
  *port = 0;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &in->sin_addr, buf, (socklen_t)len);
    *port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, (socklen_t)len);
    *port = ntohs(in6->sin6_port);
  }
}

void gale__hc_addr_of(gale_stream *stream, bool peer, char *ip, size_t len, int *port) {
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  int st = peer ? gale_stream_peer_addr(stream, (struct sockaddr *)&ss, &sl)
                : gale_stream_local_addr(stream, (struct sockaddr *)&ss, &sl);
  ip[0] = '\0';
  *port = 0;
  if (st == GALE_OK) ntop((struct sockaddr *)&ss, ip, len, port);
}

static void note_addresses(hc_fetch *f) { gale__hc_note_addresses(f, f->conn); }

void gale__hc_note_addresses(hc_fetch *f, hc_conn *conn) {
  if (!conn->addrs_known) {
    gale__hc_addr_of(conn->stream, true, conn->remote_ip, sizeof conn->remote_ip,
                     &conn->remote_port);
    gale__hc_addr_of(conn->stream, false, conn->local_ip, sizeof conn->local_ip, &conn->local_port);
    conn->addrs_known = conn->remote_ip[0] != '\0'; /* a failed lookup is retried */
  }
  memcpy(f->remote_ip, conn->remote_ip, sizeof f->remote_ip);
  memcpy(f->local_ip, conn->local_ip, sizeof f->local_ip);
  f->resp.remote_port = conn->remote_port;
  f->resp.local_port = conn->local_port;
}

void gale__hc_exchange(hc_fetch *f) {
  hc_conn *conn = f->conn;
  struct evbuffer *out = gale__stream_output(conn->stream);
  gale_h1_limits lim;
  int st;
  gale__hc_set_state(f, HC_EXCHANGE);
  f->t_sent = gale_loop_time(f->loop);
  f->got_byte = false;
  f->follow = false;
  f->body_sent = false;
  f->wire_body = 0;
  /* 100 Continue is HTTP/1.1's. */
  f->await_continue =
      f->send_body && f->req.expect_100_continue && f->req.http_version != GALE_HTTP_VERSION_1_0;
  f->resp.size_upload = 0;
  note_addresses(f);
  if (f->resp.reused)
    gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "Re-using existing connection to %s port %d",
                   f->remote_ip, f->resp.remote_port);
  gale_h1_limits_init(&lim);
  lim.max_header_size =
      (uint32_t)(f->req.max_header_size ? f->req.max_header_size : GALE_H1_DEFAULT_MAX_HEADER_SIZE);
  if (lim.max_start_line > lim.max_header_size) lim.max_start_line = lim.max_header_size;
  /* No count of its own: as many field lines as fit (each is at least
   * "x:" CRLF; the parser counts any line of 3), the array growing to hold them. */
  lim.max_headers = lim.max_header_size / 3 + 1;
  lim.max_body_size = f->req.max_body_size ? f->req.max_body_size : UINT64_MAX;
  gale_h1_parser_init(&f->parser, GALE_H1_RESPONSE, &lim);
  gale_h1_parser_reset(&f->parser, f->head ? GALE_H1_F_HEAD_REQUEST : 0);
  memset(&f->msg, 0, sizeof f->msg);
  f->msg.headers = f->hbig ? f->hbig : f->hbuf;
  f->msg.headers_cap = f->hbig ? f->hbig_cap : HC_MAX_HEADERS;
  f->unfold_ls = f->unfold_pos = 0;
  gale_buf_reset(&f->tail);
  if (f->trailers) gale_headers_clear(f->trailers);
  if (!out) {
    gale__hc_complete(f, gale__hc_stream_error(f, gale_stream_close_reason(conn->stream)), NULL);
    return;
  }
  st = write_head(f, out);
  if (st != GALE_OK) {
    gale__hc_complete(f, st, NULL);
    return;
  }
  st = gale__stream_set_data_cb(conn->stream, gale__hc_data, conn);
  if (st != GALE_OK) {
    gale__hc_complete(f, st, NULL);
    return;
  }
  gale__hc_wait_head(f);
  if (f->state == HC_DONE) return;
  if (f->send_body && !f->await_continue) {
    gale__hc_send_body(f);
  } else {
    if (f->await_continue)
      gale_loop_call_later(f->loop, CONTINUE_WAIT, on_continue_wait, f, &f->continue_timer);
    f->body_sent = !f->send_body;
    gale__stream_flush(conn->stream, NULL, NULL);
  }
}
