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
  if (!f->send_body && (gale_ascii_eq_cstr(name, len, "Content-Length") ||
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

/* The request head is gathered in a stack buffer and handed to the output
 * buffer in one evbuffer_add (a larger head in a few): no printf, no
 * evbuffer call per piece.  It runs once per request. */
typedef struct head_buf {
  struct evbuffer *out;
  size_t n;
  bool fail;
  char buf[1024];
} head_buf;

static void hb_flush(head_buf *h) {
  if (h->n && evbuffer_add(h->out, h->buf, h->n) != 0) h->fail = true;
  h->n = 0;
}

static void hb_add(head_buf *h, const char *s, size_t len) {
  if (!len) return;
  if (h->n + len > sizeof h->buf) {
    hb_flush(h);
    if (len > sizeof h->buf) {
      if (evbuffer_add(h->out, s, len) != 0) h->fail = true;
      return;
    }
  }
  memcpy(h->buf + h->n, s, len);
  h->n += len;
}

static void hb_str(head_buf *h, const char *s) { hb_add(h, s, strlen(s)); }

static void hb_num(head_buf *h, uint64_t v) {
  char tmp[20];
  size_t k = sizeof tmp;
  do {
    tmp[--k] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  hb_add(h, tmp + k, sizeof tmp - k);
}

/* "Name: value\r\n" */
static void hb_field(head_buf *h, const char *name, const char *value) {
  hb_str(h, name);
  hb_add(h, ": ", 2);
  hb_str(h, value);
  hb_add(h, "\r\n", 2);
}

static int add_target(hc_fetch *f, head_buf *h) {
  const gale_url *u = f->purl;
  if (f->absolute_form) {
    gale_url v = *u;
    char buf[8192];
    size_t n;
    v.userinfo = NULL;
    v.fragment = NULL;
    if (gale_url_format(&v, buf, sizeof buf, &n) != GALE_OK) return GALE_EURL;
    hb_add(h, buf, n);
    return GALE_OK;
  }
  hb_str(h, u->path && *u->path ? u->path : "/");
  if (u->query) {
    hb_add(h, "?", 1);
    hb_str(h, u->query);
  }
  return GALE_OK;
}

static void add_host(const hc_fetch *f, head_buf *h) {
  const gale_url *u = f->purl;
  bool def = (strcmp(u->scheme, "https") == 0 && u->port == 443) ||
             (strcmp(u->scheme, "http") == 0 && u->port == 80);
  if (u->host_is_ipv6) hb_add(h, "[", 1);
  hb_str(h, u->host);
  if (u->host_is_ipv6) hb_add(h, "]", 1);
  if (!def) {
    hb_add(h, ":", 1);
    hb_num(h, u->port);
  }
}

static int write_head(hc_fetch *f, struct evbuffer *out) {
  const gale_http_request *r = &f->req;
  size_t start = evbuffer_get_length(out);
  head_buf hb, *h = &hb;
  int st;
  h->out = out;
  h->n = 0;
  h->fail = false;
  hb_str(h, f->method);
  hb_add(h, " ", 1);
  st = add_target(f, h);
  if (st != GALE_OK) return st;
  hb_add(h, " HTTP/1.1\r\n", 11);
  if (!user_has(f, "Host")) {
    hb_add(h, "Host: ", 6);
    add_host(f, h);
    hb_add(h, "\r\n", 2);
  }
  if (!user_has(f, "User-Agent")) {
    if (!r->user_agent) hb_field(h, "User-Agent", "gale/" PACKAGE_VERSION);
    else if (*r->user_agent) hb_field(h, "User-Agent", r->user_agent);
  }
  if (f->auth && !user_has(f, "Authorization")) hb_field(h, "Authorization", f->auth);
  if (f->absolute_form && r->proxy_username && !user_has(f, "Proxy-Authorization")) {
    char *pa = NULL;
    pa = gale__hc_basic_auth(r->proxy_username, r->proxy_password);
    if (!pa) return GALE_ENOMEM;
    hb_field(h, "Proxy-Authorization", pa);
    free(pa);
  }
  if (r->referer && !user_has(f, "Referer")) hb_field(h, "Referer", r->referer);
  if (r->decompress_response && !user_has(f, "Accept-Encoding"))
    hb_add(h, "Accept-Encoding: gzip\r\n", 23);
  if (r->if_modified_since && !user_has(f, "If-Modified-Since")) {
    char date[GALE_HTTP_DATE_LEN + 1];
    if (gale_http_date_format(r->if_modified_since, date, sizeof date) == GALE_OK)
      hb_field(h, "If-Modified-Since", date);
  }
  if (f->send_body) {
    if (chunked_upload(f)) {
      if (!user_has(f, "Transfer-Encoding")) hb_add(h, "Transfer-Encoding: chunked\r\n", 28);
    } else if (!user_has(f, "Content-Length")) {
      uint64_t n = r->body_producer ? (uint64_t)r->body_size : (uint64_t)r->body_len;
      hb_add(h, "Content-Length: ", 16);
      hb_num(h, n);
      hb_add(h, "\r\n", 2);
    }
    if (f->await_continue) hb_add(h, "Expect: 100-continue\r\n", 22);
  } else if (strcasecmp(f->method, "POST") == 0 || strcasecmp(f->method, "PUT") == 0 ||
             strcasecmp(f->method, "PATCH") == 0) {
    if (!user_has(f, "Content-Length")) hb_add(h, "Content-Length: 0\r\n", 19);
  }
  if (f->req_headers) {
    size_t n = gale_headers_count(f->req_headers);
    for (size_t i = 0; i < n; i++) {
      const char *name, *value;
      size_t nl, vl;
      gale_headers_at(f->req_headers, i, &name, &nl, &value, &vl);
      if (skip_user_header(f, name, nl)) continue;
      hb_add(h, name, nl);
      hb_add(h, ": ", 2);
      hb_add(h, value, vl);
      hb_add(h, "\r\n", 2);
    }
  }
  hb_add(h, "\r\n", 2);
  hb_flush(h);
  if (h->fail) return GALE_ENOMEM;
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

static void note_addresses(hc_fetch *f) {
  hc_conn *conn = f->conn;
  if (!conn->addrs_known) {
    gale__hc_addr_of(conn->stream, true, conn->remote_ip, sizeof conn->remote_ip,
                     &conn->remote_port);
    gale__hc_addr_of(conn->stream, false, conn->local_ip, sizeof conn->local_ip,
                     &conn->local_port);
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
  f->await_continue = f->send_body && f->req.expect_100_continue;
  f->resp.size_upload = 0;
  note_addresses(f);
  if (f->resp.reused)
    gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "Re-using existing connection to %s port %d",
                   f->remote_ip, f->resp.remote_port);
  gale_h1_limits_init(&lim);
  lim.max_header_size = (uint32_t)(f->req.max_header_size ? f->req.max_header_size
                                                          : GALE_H1_DEFAULT_MAX_HEADER_SIZE);
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
