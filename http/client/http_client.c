/* SPDX-License-Identifier: MIT */
/* The HTTP client: requests, the max_clients queue, completion and delivery
 * (the connection pool, the exchange and redirects live in the other
 * http_client_*.c files). */
#include "http/client/http_client_internal.h"

#include "core/assert.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define DEFAULT_TIMEOUT 20.0
#define DEFAULT_MAX_BODY ((size_t)100 * 1024 * 1024)

void gale_http_request_init(gale_http_request *req, const char *url) {
  if (!req) return;
  memset(req, 0, sizeof *req);
  req->url = url;
  req->method = "GET";
  req->body_size = -1;
  req->connect_timeout = DEFAULT_TIMEOUT;
  req->request_timeout = DEFAULT_TIMEOUT;
  req->follow_redirects = true;
  req->max_redirects = 5;
  req->decompress_response = true;
  req->validate_cert = true;
  req->allow_ipv6 = true;
  req->allow_ipv4 = true;
  req->max_header_size = GALE_H1_DEFAULT_MAX_HEADER_SIZE;
}

void gale_http_client_options_init(gale_http_client_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof *opts);
  opts->max_clients = 10;
  opts->max_idle_per_host = 10;
  opts->idle_timeout = 60.0;
  opts->max_buffer_size = GALE_STREAM_DEFAULT_MAX_BUFFER_SIZE;
  opts->h2_max_streams = 100;
  opts->h2_connections_per_host = 1;
}

const char *gale_http_response_header(const gale_http_response *resp, const char *name) {
  if (!resp || !resp->headers || !name) return NULL;
  return gale_headers_get(resp->headers, name);
}

/* The empty set of every response without trailers (most of them): made
 * once and shared, read only, so a response does not allocate one. */
static gale_headers *no_trailers;
static pthread_once_t no_trailers_once = PTHREAD_ONCE_INIT;
static void make_no_trailers(void) { no_trailers = gale_headers_new(); }

const gale_headers *gale_http_response_trailers(const gale_http_response *resp) {
  const hc_fetch *f;
  if (!resp) return NULL;
  /* Every response handed out is the first member of its fetch. */
  f = (const hc_fetch *)(const void *)resp;
  if (f->trailers) return f->trailers;
  pthread_once(&no_trailers_once, make_no_trailers);
  return no_trailers;
}

/* ---- client -------------------------------------------------------------- */

int gale_http_client_new(gale_loop *loop, const gale_http_client_options *opts,
                         gale_http_client **out) {
  gale_http_client *c;
  int st;
  if (!loop || !out) return GALE_EINVAL;
  *out = NULL;
  c = gale__calloc(1, sizeof *c);
  if (!c) return GALE_ENOMEM;
  c->loop = loop;
  if (opts)
    c->opts = *opts;
  else
    gale_http_client_options_init(&c->opts);
  if (c->opts.max_clients < 1 || c->opts.max_idle_per_host < 0 || c->opts.idle_timeout < 0) {
    free(c);
    return GALE_EINVAL;
  }
  if (c->opts.max_buffer_size == 0) c->opts.max_buffer_size = GALE_STREAM_DEFAULT_MAX_BUFFER_SIZE;
  if (c->opts.h2_max_streams <= 0) c->opts.h2_max_streams = 100;
  if (c->opts.h2_connections_per_host <= 0) c->opts.h2_connections_per_host = 1;
  c->next_id = 1;
  if (c->opts.resolver) {
    c->resolver = c->opts.resolver;
  } else {
    gale_resolver_options ro;
    gale_resolver_options_init(&ro);
    ro.cache = true;
    st = gale_resolver_new(loop, &ro, &c->resolver);
    if (st != GALE_OK) {
      /* c-ares could not read the system's configuration: fall back to
       * getaddrinfo in the executor rather than failing the client. */
      ro.use_getaddrinfo = true;
      st = gale_resolver_new(loop, &ro, &c->resolver);
    }
    if (st != GALE_OK) {
      free(c);
      return st;
    }
    c->own_resolver = true;
  }
  st = gale_tcp_client_new(loop, c->resolver, &c->tcp);
  if (st != GALE_OK) {
    if (c->own_resolver) gale_resolver_free(c->resolver);
    free(c);
    return st;
  }
  *out = c;
  return GALE_OK;
}

void gale_http_client_free(gale_http_client *c) {
  if (!c) return;
  while (c->fetches) {
    hc_fetch *f = c->fetches;
    gale__hc_set_error(f, "client freed");
    gale__hc_complete(f, GALE_ECANCELLED, NULL);
    if (c->fetches == f) break; /* cannot happen; avoids a spin */
  }
  gale__hc_pool_close_all(c);
  gale__hc_h2_close_all(c);
  gale__hc_tls_free_all(c);
  gale_tcp_client_free(c->tcp);
  if (c->own_resolver) gale_resolver_free(c->resolver);
  free(c);
}

size_t gale_http_client_active(const gale_http_client *c) { return c ? c->active : 0; }
size_t gale_http_client_queued(const gale_http_client *c) { return c ? c->queued : 0; }
size_t gale_http_client_idle_connections(const gale_http_client *c) {
  return c ? c->idle_count + c->h2_idle : 0;
}
uint64_t gale_http_client_connections_opened(const gale_http_client *c) {
  return c ? c->opened : 0;
}
gale_resolver *gale_http_client_resolver(gale_http_client *c) { return c ? c->resolver : NULL; }
gale_tcp_client *gale_http_client_tcp(gale_http_client *c) { return c ? c->tcp : NULL; }

/* ---- fetch objects ------------------------------------------------------- */

/* The request's strings, deep-copied into one block that starts with the
 * URL (one allocation instead of one per string: this runs per request). */
#define REQ_STRINGS(r)                                                                     \
  {                                                                                        \
    &(r)->url, &(r)->method, &(r)->user_agent, &(r)->referer, &(r)->auth_username,         \
        &(r)->auth_password, &(r)->proxy_host, &(r)->proxy_username, &(r)->proxy_password, \
        &(r)->ca_certs, &(r)->client_cert, &(r)->client_key, &(r)->network_interface,      \
        &(r)->connect_to_host                                                              \
  }

static void free_request_copy(gale_http_request *r) {
  const char **s[] = REQ_STRINGS(r);
  free((char *)r->url); /* the block */
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) *s[i] = NULL;
  if (r->tls_ctx) gale_tls_ctx_unref(r->tls_ctx);
}

static void fetch_free(void *p) {
  hc_fetch *f = p;
  if (!f) return;
  gale__hc_hop_str_free(f->url, f->req.url); /* before the copy they borrow from goes */
  gale__hc_hop_str_free(f->method, f->req.method);
  free_request_copy(&f->req);
  gale_headers_free(f->req_headers);
  free(f->next_url);
  gale_url_free(f->purl);
  free(f->auth);
  gale__hc_pool_key_free(f);
  free(f->reason);
  free(f->error);
  gale_buf_release(&f->body);
  gale_headers_free(f->headers);
  gale_headers_free(f->trailers);
  gale_buf_release(&f->tail);
  free(f->hbig);
  gale__gzip_free(f->gz);
  free(f->upload);
  if (f->h2_up) evbuffer_free(f->h2_up);
  gale_buf_release(&f->h2_lines);
  free(f);
}

static bool valid_method(const char *m) { return m && gale_http_is_token(m, strlen(m)); }

static int copy_request(hc_fetch *f, const gale_http_request *in) {
  gale_http_request *r = &f->req;
  const char **s[] = REQ_STRINGS(r);
  const size_t n = sizeof s / sizeof s[0];
  size_t total = 0;
  char *block;
  *r = *in;
  if (!r->method) r->method = "GET";
  if (in->tls_ctx) gale_tls_ctx_ref(in->tls_ctx);
  r->headers = NULL;
  for (size_t i = 0; i < n; i++)
    if (*s[i]) total += strlen(*s[i]) + 1;
  block = gale__malloc(total); /* > 0: the URL is required */
  if (block) {
    char *p = block;
    for (size_t i = 0; i < n; i++) {
      size_t len;
      if (!*s[i]) continue;
      len = strlen(*s[i]) + 1;
      memcpy(p, *s[i], len);
      *s[i] = p;
      p += len;
    }
  } else {
    for (size_t i = 0; i < n; i++) *s[i] = NULL;
    return GALE_ENOMEM;
  }
  if (in->headers) {
    f->req_headers = gale_headers_copy(in->headers);
    if (!f->req_headers) return GALE_ENOMEM;
    r->headers = f->req_headers;
  }
  return GALE_OK;
}

static bool has_bad_bytes(const char *s) {
  for (; s && *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) return true;
  return false;
}

/* A source address must be an IP literal (an interface name would need
 * SO_BINDTODEVICE, which is privileged). */
static bool numeric_address(const char *s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int check_request(const gale_http_request *req) {
  if (!req->url) return GALE_EINVAL;
  if (req->method && !valid_method(req->method)) return GALE_EINVAL;
  if (req->body && req->body_producer) return GALE_EINVAL;
  if (req->body_len && !req->body) return GALE_EINVAL;
  if (req->connect_timeout < 0 || req->request_timeout < 0 || req->header_timeout < 0 ||
      req->body_idle_timeout < 0 || req->max_redirects < 0)
    return GALE_EINVAL;
  if (has_bad_bytes(req->user_agent) || has_bad_bytes(req->referer) ||
      has_bad_bytes(req->auth_username) || has_bad_bytes(req->auth_password) ||
      has_bad_bytes(req->proxy_username) || has_bad_bytes(req->proxy_password) ||
      has_bad_bytes(req->proxy_host) || has_bad_bytes(req->connect_to_host))
    return GALE_EINVAL;
  if (req->connect_to_port < 0 || req->connect_to_port > 65535) return GALE_EINVAL;
  if (req->referer && !gale_http_is_field_value(req->referer, strlen(req->referer)))
    return GALE_EINVAL;
  if (!req->allow_ipv4 && !req->allow_ipv6) return GALE_EINVAL;
  if (req->network_interface && !numeric_address(req->network_interface)) return GALE_EINVAL;
  if (req->http_version < GALE_HTTP_VERSION_DEFAULT || req->http_version > GALE_HTTP_VERSION_1_0)
    return GALE_EINVAL;
  if (req->http_version == GALE_HTTP_VERSION_1_0 && req->body_producer && req->body_size < 0)
    return GALE_EINVAL; /* HTTP/1.0 has no chunked bodies */
  return GALE_OK;
}

char *gale__hc_basic_auth(const char *user, const char *pass) {
  size_t ul = strlen(user), pl = pass ? strlen(pass) : 0, n = ul + 1 + pl;
  char *plain = gale__malloc(n + 1), *out;
  if (!plain) return NULL;
  memcpy(plain, user, ul);
  plain[ul] = ':';
  if (pl) memcpy(plain + ul + 1, pass, pl);
  out = gale__malloc(6 + 4 * ((n + 2) / 3) + 1);
  if (out) {
    memcpy(out, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)out + 6, (unsigned char *)plain, (int)n);
  }
  OPENSSL_cleanse(plain, n);
  free(plain);
  return out;
}

/* Credentials in the URL ("http://user:pass@host/"), percent-decoded, when
 * auth_username is not given (curl does the same). */
static char *userinfo_auth(const char *userinfo) {
  size_t n = strlen(userinfo), dl;
  char *dec = gale__malloc(n + 1), *colon, *out;
  if (!dec) return NULL;
  if (gale_percent_decode(userinfo, n, GALE_PCT_NO_NUL, dec, &dl) != GALE_OK) {
    free(dec);
    return NULL;
  }
  dec[dl] = '\0';
  colon = strchr(dec, ':');
  if (colon) *colon = '\0';
  out = gale__hc_basic_auth(dec, colon ? colon + 1 : "");
  OPENSSL_cleanse(dec, dl);
  free(dec);
  return out;
}

int gale__hc_prepare_hop(hc_fetch *f) {
  gale_url *u = NULL;
  int st;
  gale_url_free(f->purl);
  f->purl = NULL;
  st = gale_url_parse(f->url, strlen(f->url), &u);
  if (st == GALE_ENOTSUP) {
    gale__hc_set_error(f, "unsupported URL scheme: %.64s", f->url);
    return GALE_ENOTSUP;
  }
  if (st != GALE_OK) {
    gale__hc_set_error(f, "malformed URL: %.200s", f->url);
    return st == GALE_ENOMEM ? st : GALE_EURL;
  }
  if (!u->scheme || !u->host || !*u->host) {
    gale_url_free(u);
    gale__hc_set_error(f, "not an absolute URL: %.200s", f->url);
    return GALE_EURL;
  }
  f->purl = u;
  free(f->auth);
  f->auth = NULL;
  if (f->drop_auth) {
    /* no credentials past an origin change (unless the URL carries some) */
    if (u->userinfo) {
      f->auth = userinfo_auth(u->userinfo);
      if (!f->auth) return GALE_EURL;
    }
  } else if (f->req.auth_username) {
    f->auth = gale__hc_basic_auth(f->req.auth_username, f->req.auth_password);
    if (!f->auth) return GALE_ENOMEM;
  } else if (u->userinfo) {
    f->auth = userinfo_auth(u->userinfo);
    if (!f->auth) {
      gale__hc_set_error(f, "malformed credentials in the URL");
      return GALE_EURL;
    }
  }
  f->head = strcasecmp(f->method, "HEAD") == 0;
  f->tunnel = f->req.proxy_host && strcmp(u->scheme, "https") == 0;
  f->absolute_form = f->req.proxy_host && strcmp(u->scheme, "http") == 0;
  return gale__hc_pool_key(f);
}

/* ---- delivery ------------------------------------------------------------ */

static void fill_response(hc_fetch *f) {
  gale_http_response *r = &f->resp;
  double now = gale_loop_time(f->loop);
  /* raise_error: a final answer outside 2xx/3xx fails the fetch (as
   * Tornado's HTTPClientError), the response still carried along. */
  if (f->status == GALE_OK && f->req.raise_error && (r->code < 200 || r->code >= 400)) {
    f->status = GALE_EHTTP_STATUS;
    gale__hc_set_error(f, "HTTP %d: %s", r->code, f->reason ? f->reason : "");
  }
  r->status = f->status;
  r->error = f->error ? f->error : (f->status ? gale_strerror(f->status) : "");
  r->reason = f->reason ? f->reason : "";
  if (!f->headers) f->headers = gale_headers_new();
  r->headers = f->headers;
  r->body = f->body.data ? f->body.data : "";
  r->body_len = f->body.len;
  r->effective_url = f->url ? f->url : f->req.url;
  r->request = &f->req;
  r->num_redirects = f->redirects;
  r->remote_ip = f->remote_ip;
  r->local_ip = f->local_ip;
  r->size_download = f->wire_body;
  /* Phases of the final hop; each 0 when it did not happen. */
  r->timings.queue = f->t_dequeue ? f->t_dequeue - f->t_start : now - f->t_start;
  r->timings.redirect = f->redirect_time;
  r->timings.dns = f->t_dns ? f->t_dns - f->t_hop : 0;
  r->timings.connect = f->t_connect ? f->t_connect - (f->t_dns ? f->t_dns : f->t_hop) : 0;
  r->timings.tls = f->t_tls && f->t_connect ? f->t_tls - f->t_connect : 0;
  r->timings.first_byte = f->t_first && f->t_sent ? f->t_first - f->t_sent : 0;
  r->timings.total = now - f->t_start;
  if (r->code && r->timings.first_byte == 0 && f->t_first) r->timings.first_byte = 1e-6;
}

static void deliver(gale_loop *loop, void *arg) {
  hc_fetch *f = arg;
  (void)loop;
  fill_response(f);
  if (f->future) {
    gale_future *fu = f->future;
    f->future = NULL;
    if (gale_future_done(fu)) { /* cancelled by its owner */
      fetch_free(f);
    } else if (f->status != GALE_OK) {
      gale_future_set_error(fu, f->status);
      fetch_free(f);
    } else if (gale_future_set_result(fu, f, fetch_free) != GALE_OK) {
      fetch_free(f);
    }
    gale_future_unref(fu);
    return;
  }
  if (f->cb) f->cb(&f->resp, f->cb_arg);
  fetch_free(f);
}

static void unlink_fetch(hc_fetch *f) {
  gale_http_client *c = f->client;
  if (!c) return;
  if (f->prev)
    f->prev->next = f->next;
  else if (c->fetches == f)
    c->fetches = f->next;
  if (f->next) f->next->prev = f->prev;
  f->prev = f->next = NULL;
}

static void queue_remove(hc_fetch *f) {
  gale_http_client *c = f->client;
  hc_fetch **pp = &c->qhead, *prev = NULL;
  while (*pp && *pp != f) {
    prev = *pp;
    pp = &(*pp)->qnext;
  }
  if (!*pp) return;
  *pp = f->qnext;
  if (c->qtail == f) c->qtail = prev;
  f->qnext = NULL;
  c->queued--;
}

static void start_fetch(hc_fetch *f);

static void pump_queue(gale_http_client *c) {
  while (c->qhead && c->active < (size_t)c->opts.max_clients) {
    hc_fetch *f = c->qhead;
    queue_remove(f);
    start_fetch(f);
  }
}

#define B(s) GALE__STATE_BIT(s)
static const uint32_t fetch_moves[] = {
    [HC_QUEUED] = B(HC_QUEUED) | B(HC_CONNECTING) | B(HC_DONE),
    [HC_CONNECTING] = B(HC_CONNECTING) | B(HC_PROXY) | B(HC_EXCHANGE) | B(HC_DONE),
    [HC_PROXY] = B(HC_CONNECTING) | B(HC_EXCHANGE) | B(HC_DONE),
    [HC_EXCHANGE] = B(HC_CONNECTING) | B(HC_BODY) | B(HC_DONE),
    [HC_BODY] = B(HC_CONNECTING) | B(HC_DONE),
    [HC_DONE] = 0,
};
#undef B

void gale__hc_set_state(hc_fetch *f, hc_state to) { gale__transition(f->state, to, fetch_moves); }

void gale__hc_complete(hc_fetch *f, int status, const char *detail) {
  gale_http_client *c = f->client;
  hc_state was;
  if (f->state == HC_DONE) return;
  was = f->state;
  gale__hc_set_state(f, HC_DONE);
  f->status = status;
  f->t_end = gale_loop_time(f->loop);
  if (detail) gale__hc_set_error(f, "%s", detail);
  if (f->upload) f->upload->fetch = NULL; /* later writes: GALE_ECLOSED */
  if (f->queue_timer) gale_timer_cancel(f->queue_timer), f->queue_timer = NULL;
  if (f->request_timer) gale_timer_cancel(f->request_timer), f->request_timer = NULL;
  if (f->continue_timer) gale_timer_cancel(f->continue_timer), f->continue_timer = NULL;
  gale__hc_proxy_cancel(f);
  if (f->phase_timer) gale_timer_cancel(f->phase_timer), f->phase_timer = NULL;
  gale__hc_rate_stop(f);
  gale__hc_open_cancel(f);
  gale__hc_h2_forget(f);
  if (f->conn) {
    hc_conn *conn = f->conn;
    f->conn = NULL;
    conn->fetch = NULL;
    /* A connection released cleanly went back to the pool before this;
     * one still attached was interrupted mid-exchange. */
    gale__hc_conn_close(conn);
  }
  if (f->gz) gale__gzip_free(f->gz), f->gz = NULL;
  if (c) {
    if (was == HC_QUEUED)
      queue_remove(f);
    else if (c->active)
      c->active--;
    unlink_fetch(f);
  }
  f->client = NULL;
  if (gale_loop_add_callback(f->loop, deliver, f) != GALE_OK) {
    /* Out of memory for a queue node: deliver now rather than lose it. */
    deliver(f->loop, f);
  }
  if (c) pump_queue(c);
}

void gale__hc_set_error(hc_fetch *f, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  free(f->error);
  f->error = gale__hc_strdup(buf);
}

void gale__hc_debug(hc_fetch *f, gale_http_debug_kind kind, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  int n;
  if (!f->req.debug_callback) return;
  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
  f->req.debug_callback(kind, buf, (size_t)n, f->req.debug_callback_arg);
}

static void on_queue_timeout(gale_loop *loop, void *arg) {
  hc_fetch *f = arg;
  (void)loop;
  f->queue_timer = NULL;
  gale__hc_set_error(f, "timed out after %.3g s waiting for one of %d connections",
                     gale_loop_time(f->loop) - f->t_start, f->client->opts.max_clients);
  gale__hc_complete(f, GALE_ETIMEDOUT_QUEUE, NULL);
}

static void on_request_timeout(gale_loop *loop, void *arg) {
  hc_fetch *f = arg;
  (void)loop;
  f->request_timer = NULL;
  gale__hc_set_error(f, "request timed out after %.3g s", f->req.request_timeout);
  gale__hc_complete(f, GALE_ETIMEDOUT_REQUEST, NULL);
}

static void start_fetch(hc_fetch *f) {
  gale_http_client *c = f->client;
  if (f->queue_timer) gale_timer_cancel(f->queue_timer), f->queue_timer = NULL;
  c->active++;
  f->t_dequeue = gale_loop_time(f->loop);
  gale__hc_set_state(f, HC_CONNECTING);
  if (f->req.request_timeout > 0 &&
      gale_loop_call_later(f->loop, f->req.request_timeout, on_request_timeout, f,
                           &f->request_timer) != GALE_OK) {
    gale__hc_complete(f, GALE_ENOMEM, NULL);
    return;
  }
  gale__hc_start_hop(f);
}

void gale__hc_start_hop(hc_fetch *f) {
  hc_conn *conn;
  gale__hc_set_state(f, HC_CONNECTING);
  if (f->phase_timer) gale_timer_cancel(f->phase_timer), f->phase_timer = NULL;
  f->t_hop = gale_loop_time(f->loop);
  f->t_dns = f->t_connect = f->t_tls = f->t_sent = f->t_first = 0;
  f->resp.reused = false;
  conn = f->no_reuse ? NULL : gale__hc_pool_take(f->client, f->key);
  f->no_reuse = false;
  if (conn) {
    conn->fetch = f;
    f->conn = conn;
    f->resp.reused = true;
    gale__hc_exchange(f);
    return;
  }
  if (gale__hc_h2_start_hop(f)) return;
  gale__hc_open(f);
}

static void on_start(gale_loop *loop, void *arg) {
  hc_fetch *f = arg;
  gale_http_client *c = f->client;
  (void)loop;
  if (f->state != HC_QUEUED || !c) return;
  if (c->active < (size_t)c->opts.max_clients && c->qhead == f) {
    queue_remove(f);
    start_fetch(f);
  }
}

static int fetch_start(gale_http_client *c, const gale_http_request *req, gale_http_fetch_cb cb,
                       void *arg, gale_future *future, uint64_t *id) {
  hc_fetch *f;
  int st;
  double qt;
  if (!c || !req) return GALE_EINVAL;
  st = check_request(req);
  if (st != GALE_OK) return st;
  f = gale__malloc(sizeof *f);
  if (!f) return GALE_ENOMEM;
  memset(f, 0, offsetof(hc_fetch, hbuf));
  gale_buf_init(&f->body, 0);
  gale_buf_init(&f->tail, 0);
  gale_buf_init(&f->h2_lines, 0);
  f->loop = c->loop;
  f->client = c;
  f->cb = cb;
  f->cb_arg = arg;
  st = copy_request(f, req);
  if (st == GALE_OK) {
    f->url = (char *)f->req.url;
    f->method = (char *)f->req.method;
  }
  f->send_body = req->body || req->body_producer;
  if (st == GALE_OK) st = gale__hc_prepare_hop(f);
  if (st == GALE_OK && f->send_body && !f->req.allow_nonstandard_methods &&
      (strcasecmp(f->method, "GET") == 0 || f->head))
    st = GALE_EINVAL;
  if (st == GALE_OK && !f->req.max_body_size && !f->req.streaming_callback)
    f->req.max_body_size = DEFAULT_MAX_BODY;
  if (st != GALE_OK) {
    fetch_free(f);
    return st;
  }
  if (future) f->future = gale_future_ref(future);
  f->id = c->next_id++;
  f->t_start = gale_loop_time(c->loop);
  gale__hc_set_state(f, HC_QUEUED);
  /* Queued first in every case: the fetch starts on a later loop turn, so
   * nothing (not even an immediate failure) calls back inside this call. */
  qt = req->connect_timeout;
  if (req->request_timeout > 0 && (qt <= 0 || req->request_timeout < qt)) qt = req->request_timeout;
  /* With a slot free for it behind those queued already, it starts on the
   * next turn whatever happens: no queue timer (one heap insert and
   * removal per request saved). */
  if ((qt > 0 && c->active + c->queued >= (size_t)c->opts.max_clients &&
       gale_loop_call_later(c->loop, qt, on_queue_timeout, f, &f->queue_timer) != GALE_OK) ||
      gale_loop_add_callback(c->loop, on_start, f) != GALE_OK) {
    if (f->queue_timer) gale_timer_cancel(f->queue_timer);
    if (f->future) gale_future_unref(f->future);
    fetch_free(f);
    return GALE_ENOMEM;
  }
  if (c->qtail)
    c->qtail->qnext = f;
  else
    c->qhead = f;
  c->qtail = f;
  c->queued++;
  f->next = c->fetches;
  if (c->fetches) c->fetches->prev = f;
  c->fetches = f;
  if (id) *id = f->id;
  return GALE_OK;
}

int gale_http_client_fetch(gale_http_client *c, const gale_http_request *req, gale_http_fetch_cb cb,
                           void *arg, uint64_t *id) {
  if (!cb) return GALE_EINVAL;
  return fetch_start(c, req, cb, arg, NULL, id);
}

static hc_fetch *find_fetch(gale_http_client *c, uint64_t id) {
  for (hc_fetch *f = c->fetches; f; f = f->next)
    if (f->id == id) return f;
  return NULL;
}

int gale_http_client_cancel(gale_http_client *c, uint64_t id) {
  hc_fetch *f;
  if (!c) return GALE_EINVAL;
  f = find_fetch(c, id);
  if (!f) return GALE_ENOENT;
  gale__hc_set_error(f, "cancelled");
  gale__hc_complete(f, GALE_ECANCELLED, NULL);
  return GALE_OK;
}

static void on_future_cancel(gale_future *fu, void *arg) {
  hc_fetch *f = arg;
  (void)fu;
  /* Only a fetch still running can be cancelled; a delivered one left its
   * client list (and the future is done by then). */
  if (f->state != HC_DONE) {
    gale__hc_set_error(f, "cancelled");
    gale__hc_complete(f, GALE_ECANCELLED, NULL);
  }
}

gale_future *gale_http_client_fetch_future(gale_http_client *c, const gale_http_request *req) {
  gale_future *fu;
  uint64_t id;
  if (!c) return NULL;
  fu = gale_future_new(c->loop);
  if (!fu) return NULL;
  if (fetch_start(c, req, NULL, NULL, fu, &id) != GALE_OK) {
    gale_future_unref(fu);
    return NULL;
  }
  gale_future_set_cancel_cb(fu, on_future_cancel, find_fetch(c, id));
  return fu;
}
