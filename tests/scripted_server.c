/* SPDX-License-Identifier: MIT */
/* The HTTP client tests' scripted peer (scripted_server.h). */
#include "scripted_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <zlib.h>

static void sconn_free(sconn *c) {
  srv *s = c->s;
  for (sconn **pp = &s->conns; *pp; pp = &(*pp)->next)
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  if (s->held == c) s->held = NULL;
  gale_watcher_free(c->w);
  close(c->fd);
  free(c->buf);
  free(c);
}

static void send_str(sconn *c, const char *s) { th_write_all(c->fd, s, strlen(s)); }

void sconn_reset(sconn *c) {
  struct linger l = {1, 0};
  setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  if (c->s->held == c) c->s->held = NULL;
  sconn_free(c);
}

static size_t gzip_bytes(const char *in, size_t len, unsigned char *out, size_t cap) {
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (unsigned char *)in;
  z.avail_in = (uInt)len;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  deflate(&z, Z_FINISH);
  deflateEnd(&z);
  return cap - z.avail_out;
}

/* ---- canned answers: fixed bytes, then what the connection does ---------- */

typedef enum then {
  KEEP,      /* read the next request */
  CLOSE,     /* close (FIN) */
  RESET,     /* close with a reset */
  HANG,      /* stay open, read nothing more */
  HOLD,      /* HANG, and s->held is the connection for the test to end */
  DROP_NEXT, /* close when the next request comes, without answering it */
} then;

#define S(lit) lit, sizeof(lit) - 1

static const struct canned {
  const char *path;
  const char *bytes;
  size_t len;
  then then;
} canned[] = {
    {"/hello", S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: a\r\nX-Test: b\r\n\r\nhello"),
     KEEP},
    {"/once", S("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nonce"), DROP_NEXT},
    {"/close", S("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye"), CLOSE},
    {"/close-open", S("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye"),
     KEEP},
    {"/http10-ka", S("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nka"),
     KEEP},
    {"/chunked",
     S("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
       "chunked\r\n\r\n3\r\nhel\r\n2;ext=1\r\nlo\r\n0\r\nTrailer: x\r\n\r\n"),
     KEEP},
    {"/until-close", S("HTTP/1.0 200 OK\r\n\r\nall of it"), CLOSE},
    {"/head", S("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), KEEP},
    {"/204", S("HTTP/1.1 204 No Content\r\n\r\n"), KEEP},
    {"/304", S("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"), KEEP},
    {"/interim",
     S("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
       "2\r\n\r\nok"),
     KEEP},
    {"/hang", S(""), HANG},
    {"/truncated", S("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"), CLOSE},
    {"/truncated-chunked", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
     CLOSE},
    {"/empty-reply", S(""), CLOSE},
    {"/bad", S("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n"), KEEP},
    {"/two-cl", S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"), KEEP},
    {"/bad-chunk",
     S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"), KEEP},
    {"/loop", S("HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n"), KEEP},
    {"/chain", S("HTTP/1.1 301 Moved\r\nLocation: /r302\r\nContent-Length: 0\r\n\r\n"), KEEP},
    {"/to-ftp",
     S("HTTP/1.1 302 Found\r\nLocation: ftp://example.org/\r\nContent-Length: 0\r\n\r\n"), KEEP},
    {"/continue", S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), KEEP},
    {"/bad-gzip",
     S("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\nnot gzip!!"), KEEP},
    {"/smuggle",
     S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
       "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"),
     KEEP},
    {"/chunk-overflow",
     S("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
       "chunked\r\n\r\n10000000000000000\r\nhello\r\n0\r\n\r\n"),
     KEEP},
    {"/chunk-sign",
     S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"), KEEP},
    {"/chunk-0x",
     S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"), KEEP},
    {"/chunk-nocrlf",
     S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"), KEEP},
    {"/chunk-ext-crlf",
     S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"x\ry\"\r\nhello\r\n0\r\n\r\n"),
     KEEP},
    {"/cl-te",
     S("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: "
       "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
     KEEP},
    {"/cl-neg", S("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), KEEP},
    {"/cl-plus", S("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello"), KEEP},
    {"/cl-hex", S("HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\nhello"), KEEP},
    {"/cl-huge", S("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nhello"),
     KEEP},
    {"/te-unknown", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhello"), CLOSE},
    {"/garbage", S("SSH-2.0-OpenSSH_9.2\r\n\r\n"), KEEP},
    {"/bare-lf", S("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"), KEEP},
    {"/obs-fold", S("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\nok"), KEEP},
    {"/obs-fold-first", S("HTTP/1.1 200 OK\r\n X-A: 1\r\nContent-Length: 2\r\n\r\nok"), KEEP},
    {"/nul", S("HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 2\r\n\r\nok"), KEEP},
    {"/http2", S("HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok"), KEEP},
    {"/101", S("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n"),
     KEEP},
    {"/reset", S(""), RESET},
    {"/hold-body", S("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"), HOLD},
    {"/reset-mid-head", S("HTTP/1.1 200 OK\r\nContent-"), RESET},
    {"/close-mid-head", S("HTTP/1.1 200 OK\r\nContent-"), CLOSE},
    {"/reset-mid-body", S("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"), RESET},
    {"/slow-head", S("HTTP/1.1 200 OK\r\nContent-"), HANG},
    {"/peer", S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), KEEP},
    {"/404", S("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"), KEEP},
};

/* Sends a canned answer; returns false when the connection was closed. */
static bool send_canned(sconn *c, const struct canned *a) {
  th_write_all(c->fd, a->bytes, a->len);
  switch (a->then) {
  case CLOSE: sconn_free(c); return false;
  case RESET: sconn_reset(c); return false;
  case HOLD:
    c->s->held = c;
    /* fall through */
  case HANG: c->hang = true; break;
  case DROP_NEXT: c->drop_next = true; break;
  case KEEP: break;
  }
  return true;
}

/* ---- answers made per request -------------------------------------------- */

typedef bool (*answer_fn)(sconn *c, const char *method, const char *path, const char *head);

/* What the test put in s->fuzz, then close. */
static bool ans_fuzz(sconn *c, const char *method, const char *path, const char *head) {
  (void)method, (void)path, (void)head;
  th_write_all(c->fd, c->s->fuzz, c->s->fuzz_len);
  sconn_free(c);
  return false;
}

/* /r301 ... /r308: that status to /echo, with a body unless HEAD. */
static bool ans_redirect(sconn *c, const char *method, const char *path, const char *head) {
  char buf[1200];
  (void)head;
  snprintf(buf, sizeof buf, "HTTP/1.1 %s Moved\r\nLocation: /echo\r\nContent-Length: 7\r\n\r\n%s",
           path + 2, strcmp(method, "HEAD") ? "moved!!" : "");
  send_str(c, buf);
  return true;
}

/* A redirect to another origin (localhost instead of 127.0.0.1). */
static bool ans_cross(sconn *c, const char *method, const char *path, const char *head) {
  char buf[256];
  (void)method, (void)path, (void)head;
  snprintf(buf, sizeof buf,
           "HTTP/1.1 302 Found\r\nLocation: http://localhost:%d/echo\r\nContent-Length: 0\r\n\r\n",
           c->s->port);
  send_str(c, buf);
  return true;
}

/* The method, the body length and the request head. */
static bool ans_echo(sconn *c, const char *method, const char *path, const char *head) {
  char body[6000], buf[128];
  int n = snprintf(body, sizeof body, "%s %zu\n%s", method, c->s->last_body_len, head);
  (void)path;
  snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", n);
  send_str(c, buf);
  if (strcmp(method, "HEAD") != 0) th_write_all(c->fd, body, (size_t)n);
  return true;
}

/* A gzip body, with a length (/gzip) or in one chunk (/gzip-chunked). */
static bool ans_gzip(sconn *c, const char *method, const char *path, const char *head) {
  static const char text[] = "compressible compressible compressible compressible text\n";
  unsigned char z[512];
  char buf[256];
  size_t zl = gzip_bytes(text, sizeof text - 1, z, sizeof z);
  (void)method, (void)head;
  if (strcmp(path, "/gzip") == 0) {
    snprintf(buf, sizeof buf,
             "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zl);
    send_str(c, buf);
    th_write_all(c->fd, z, zl);
  } else {
    snprintf(
        buf, sizeof buf,
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n",
        zl);
    send_str(c, buf);
    th_write_all(c->fd, z, zl);
    send_str(c, "\r\n0\r\n\r\n");
  }
  return true;
}

/* 200,000 bytes of 'x' with a length. */
static bool ans_big(sconn *c, const char *method, const char *path, const char *head) {
  static char big[200000];
  (void)method, (void)path, (void)head;
  memset(big, 'x', sizeof big);
  send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n");
  th_write_all(c->fd, big, sizeof big);
  return true;
}

/* Two chunks of 100,000 bytes of 'y'. */
static bool ans_big_chunked(sconn *c, const char *method, const char *path, const char *head) {
  static char big[100000];
  char buf[32];
  (void)method, (void)path, (void)head;
  memset(big, 'y', sizeof big);
  send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 2; i++) {
    snprintf(buf, sizeof buf, "%zx\r\n", sizeof big);
    send_str(c, buf);
    th_write_all(c->fd, big, sizeof big);
    send_str(c, "\r\n");
  }
  send_str(c, "0\r\n\r\n");
  return true;
}

/* 500 header fields X-H-0 ... X-H-499. */
static bool ans_many_headers(sconn *c, const char *method, const char *path, const char *head) {
  char buf[64];
  (void)method, (void)path, (void)head;
  send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
  for (int i = 0; i < 500; i++) {
    snprintf(buf, sizeof buf, "X-H-%d: %d\r\n", i, i);
    send_str(c, buf);
  }
  send_str(c, "\r\n");
  return true;
}

/* A field line (/long-line) or a trailer (/big-trailer) of 70,000 bytes. */
static bool ans_long_line(sconn *c, const char *method, const char *path, const char *head) {
  static char line[70000];
  bool trailer = strcmp(path, "/big-trailer") == 0;
  (void)method, (void)head;
  memset(line, trailer ? 't' : 'v', sizeof line - 1);
  send_str(
      c, trailer
             ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: "
             : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Long: ");
  th_write_all(c->fd, line, sizeof line - 1);
  send_str(c, "\r\n\r\n");
  return true;
}

/* Folds in a row, one onto a line of blanks, and a tab, in pieces. */
static bool ans_obs_fold_split(sconn *c, const char *method, const char *path, const char *head) {
  const char *parts[] = {"HTTP/1.1 200 OK\r\nX-Test: a\r", "\n", "\t", "b\r\n  \r\n c\r\n",
                         "Content-Length: 2\r\n\r\nok"};
  (void)method, (void)path, (void)head;
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) send_str(c, parts[i]);
  return true;
}

/* Chunked with trailers (one repeated), in two pieces. */
static bool ans_trailers(sconn *c, const char *method, const char *path, const char *head) {
  (void)method, (void)path, (void)head;
  send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T1, X-T2\r\n\r\n"
              "5\r\nhello\r\n0;last=1\r\nX-T1:  one \r\n");
  send_str(c, "X-T2:two\r\nX-T1: again\r\n\r\n");
  return true;
}

/* 8 MiB of zeros, about 8 KiB compressed, as gzip (/bomb) or as
 * "gzip, gzip" (/gzip-gzip). */
static bool ans_bomb(sconn *c, const char *method, const char *path, const char *head) {
  size_t n = 8u << 20, zl;
  char *zeros = calloc(1, n), buf[256];
  unsigned char *z = malloc(65536);
  (void)method, (void)head;
  zl = gzip_bytes(zeros, n, z, 65536);
  snprintf(buf, sizeof buf,
           "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
           path[1] == 'b' ? "gzip" : "gzip, gzip", zl);
  send_str(c, buf);
  th_write_all(c->fd, z, zl);
  free(zeros);
  free(z);
  return true;
}

static const struct made {
  const char *path;
  answer_fn fn;
} made[] = {
    {"/fuzz", ans_fuzz},
    {"/cross", ans_cross},
    {"/echo", ans_echo},
    {"/gzip", ans_gzip},
    {"/gzip-chunked", ans_gzip},
    {"/big", ans_big},
    {"/big-chunked", ans_big_chunked},
    {"/many-headers", ans_many_headers},
    {"/long-line", ans_long_line},
    {"/big-trailer", ans_long_line},
    {"/obs-fold-split", ans_obs_fold_split},
    {"/trailers", ans_trailers},
    {"/bomb", ans_bomb},
    {"/gzip-gzip", ans_bomb},
};

/* Answers one request; returns false when the connection was closed. */
static bool answer(sconn *c, const char *method, const char *path, const char *head) {
  c->s->requests++;
  if (c->drop_next) {
    sconn_free(c);
    return false;
  }
  for (size_t i = 0; i < sizeof canned / sizeof canned[0]; i++)
    if (strcmp(path, canned[i].path) == 0) return send_canned(c, &canned[i]);
  for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
    if (strcmp(path, made[i].path) == 0) return made[i].fn(c, method, path, head);
  if (strncmp(path, "/r", 2) == 0 && strlen(path) == 5) return ans_redirect(c, method, path, head);
  send_str(c, "HTTP/1.1 500 Unknown\r\nContent-Length: 0\r\n\r\n");
  return true;
}

/* ---- serving ------------------------------------------------------------- */

/* Parses complete requests out of the buffer and answers them. */
static void serve_buffer(sconn *c) {
  for (;;) {
    char *end, method[16], path[1024], *cl, *p;
    size_t head_len, body_len = 0, total;
    bool chunked;
    if (c->hang || !c->len) return;
    c->buf[c->len] = '\0';
    end = strstr(c->buf, "\r\n\r\n");
    if (!end) return;
    head_len = (size_t)(end - c->buf) + 4;
    if (sscanf(c->buf, "%15s %1023s", method, path) != 2) {
      sconn_free(c);
      return;
    }
    path[strcspn(path, "?")] = '\0';
    if (strncmp(path, "http://", 7) == 0) { /* absolute form, as to a proxy */
      char *slash = strchr(path + 7, '/');
      memmove(path, slash ? slash : "/", strlen(slash ? slash : "/") + 1);
    }
    cl = strcasestr(c->buf, "\r\nContent-Length:");
    chunked = strcasestr(c->buf, "\r\nTransfer-Encoding: chunked") != NULL;
    if (cl && cl < end) body_len = strtoul(cl + 17, NULL, 10);
    if (chunked) {
      p = strstr(end + 4, "0\r\n\r\n");
      if (!p) return;
      body_len = (size_t)(p + 5 - (end + 4));
    }
    if (strcasestr(c->buf, "Expect: 100-continue") && !chunked && c->len < head_len + body_len &&
        c->len == head_len && strcmp(path, "/continue") == 0) {
      send_str(c, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    total = head_len + body_len;
    if (c->len < total) return;
    {
      srv *s = c->s;
      size_t n = head_len < sizeof s->last_head - 1 ? head_len : sizeof s->last_head - 1;
      memcpy(s->last_head, c->buf, n);
      s->last_head[n] = '\0';
      s->last_body_len = body_len;
      n = body_len < sizeof s->last_body - 1 ? body_len : sizeof s->last_body - 1;
      memcpy(s->last_body, c->buf + head_len, n);
      s->last_body[n] = '\0';
      c->buf[head_len - 2] = '\0';
      if (!answer(c, method, path, s->last_head)) return;
    }
    memmove(c->buf, c->buf + total, c->len - total);
    c->len -= total;
  }
}

static void on_sconn(gale_watcher *w, int fd, int events, void *arg) {
  sconn *c = arg;
  ssize_t n;
  (void)w;
  (void)events;
  if (c->cap - c->len < 65536) {
    c->cap = c->cap * 2 + 65536;
    c->buf = realloc(c->buf, c->cap + 1);
  }
  n = read(fd, c->buf + c->len, c->cap - c->len);
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return;
    sconn_free(c);
    return;
  }
  c->len += (size_t)n;
  if (c->s->not_tls) { /* a ClientHello gets a plain HTTP answer */
    send_str(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    sconn_free(c);
    return;
  }
  serve_buffer(c);
}

void srv_on_accept(gale_watcher *w, int fd, int events, void *arg) {
  srv *s = arg;
  struct sockaddr_in peer;
  socklen_t pl = sizeof peer;
  int cfd = accept4(fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
  sconn *c;
  (void)w;
  (void)events;
  if (cfd < 0) return;
  inet_ntop(AF_INET, &peer.sin_addr, s->last_peer, sizeof s->last_peer);
  s->accepted++;
  c = calloc(1, sizeof *c);
  c->s = s;
  c->fd = cfd;
  c->next = s->conns;
  s->conns = c;
  assert_int_equal(gale_watcher_new(s->loop, cfd, GALE_READ, on_sconn, c, &c->w), GALE_OK);
}

void srv_start(srv *s, gale_loop *loop) {
  memset(s, 0, sizeof *s);
  s->loop = loop;
  s->lfd = th_listen(&s->port);
  assert_int_equal(gale_watcher_new(loop, s->lfd, GALE_READ, srv_on_accept, s, &s->w), GALE_OK);
}

void srv_close_conns(srv *s) {
  while (s->conns) sconn_free(s->conns);
}

void srv_stop(srv *s) {
  srv_close_conns(s);
  gale_watcher_free(s->w);
  close(s->lfd);
}

/* ---- with the client fixture --------------------------------------------- */

int srv_setup(void **state, srv *s) {
  client_fx *f = cf_open(NULL);
  srv_start(s, f->loop);
  *state = f;
  return 0;
}

int srv_teardown(void **state, srv *s) {
  client_fx *f = *state;
  cf_close_client(f);
  srv_stop(s);
  cf_close(f);
  return 0;
}

const char *srv_url(client_fx *f, const srv *s, const char *path) {
  return cf_url(f, "http://127.0.0.1:%d%s", s->port, path);
}

cf_result *srv_get(client_fx *f, const srv *s, const char *path) {
  gale_http_request req;
  gale_http_request_init(&req, srv_url(f, s, path));
  return cf_fetch(f, &req);
}
