/* gale_http_client against a scripted server inside the test's own loop:
 * framing (length, chunked, until close, HEAD, 204/304, 1xx), keep-alive
 * reuse and the retry of a reused connection, the max_clients queue and its
 * timeout, redirects (method rewriting, loops, credentials across origins),
 * gzip, limits, timeouts naming the phase, truncated bodies, malformed
 * responses, uploads (buffer, producer with and without a length,
 * 100-continue), cancellation, futures; hostile servers (HARDENING.md:
 * oversize heads, bad chunk framing and trailers, bad Content-Length,
 * response smuggling, resets and stalls mid-body, decompression bombs),
 * DNS errors and timeouts from a scripted DNS server, TLS timeouts, source
 * address and address family, proxy failures, header/debug callbacks,
 * idle timeout, FIFO order and timing phases. */
#include "client_fixture.h"

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

#include "gale/http_client.h"
#include "gale/httputil.h"
#include "gale/resolver.h"

/* ---- the scripted server -------------------------------------------------- */

typedef struct sconn sconn;
typedef struct srv {
  gale_loop *loop;
  int lfd, port;
  gale_watcher *w;
  int accepted, requests;
  sconn *conns;
  char last_head[4096];
  size_t last_body_len;
  char last_body[4096];
  sconn *held;        /* the connection of /hold-body, for the test to reset */
  const char *fuzz;   /* what /fuzz answers (then closes) */
  bool not_tls;       /* answers any first bytes in plain text, then closes */
  size_t fuzz_len;
  char last_peer[64]; /* address the last connection came from */
} srv;

struct sconn {
  srv *s;
  int fd;
  gale_watcher *w;
  char *buf;
  size_t len, cap;
  bool drop_next; /* close without answering the next request */
  bool hang;
  sconn *next;
};

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

/* Closes with a TCP reset (SO_LINGER 0) instead of a FIN. */
static void sconn_reset(sconn *c) {
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

/* Answers one request; returns false when the connection was closed. */
static bool answer(sconn *c, const char *method, const char *path, const char *head) {
  srv *s = c->s;
  char buf[8192];
  s->requests++;
  if (c->drop_next) {
    sconn_free(c);
    return false;
  }
  if (strcmp(path, "/hello") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: a\r\nX-Test: b\r\n\r\nhello");
  } else if (strcmp(path, "/once") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nonce");
    c->drop_next = true;
  } else if (strcmp(path, "/close") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye");
    sconn_free(c);
    return false;
  } else if (strcmp(path, "/fuzz") == 0) {
    th_write_all(c->fd, s->fuzz, s->fuzz_len);
    sconn_free(c);
    return false;
  } else if (strcmp(path, "/close-open") == 0) {
    /* Says close but leaves the socket open: the client must not reuse it. */
    send_str(c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye");
  } else if (strcmp(path, "/http10-ka") == 0) {
    send_str(c, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nka");
  } else if (strcmp(path, "/chunked") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;ext=1\r\nlo\r\n0\r\nTrailer: x\r\n\r\n");
  } else if (strcmp(path, "/until-close") == 0) {
    send_str(c, "HTTP/1.0 200 OK\r\n\r\nall of it");
    sconn_free(c);
    return false;
  } else if (strcmp(path, "/head") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
  } else if (strcmp(path, "/204") == 0) {
    send_str(c, "HTTP/1.1 204 No Content\r\n\r\n");
  } else if (strcmp(path, "/304") == 0) {
    send_str(c, "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n");
  } else if (strcmp(path, "/interim") == 0) {
    send_str(c, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  } else if (strcmp(path, "/hang") == 0) {
    c->hang = true;
  } else if (strcmp(path, "/truncated") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
    sconn_free(c);
    return false;
  } else if (strcmp(path, "/truncated-chunked") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    sconn_free(c);
    return false;
  } else if (strcmp(path, "/empty-reply") == 0) {
    sconn_free(c);
    return false;
  } else if (strcmp(path, "/bad") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n");
  } else if (strcmp(path, "/two-cl") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
  } else if (strcmp(path, "/bad-chunk") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
  } else if (strcmp(path, "/loop") == 0) {
    send_str(c, "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
  } else if (strncmp(path, "/r", 2) == 0 && strlen(path) == 5) { /* /r301 ... /r308 */
    snprintf(buf, sizeof buf, "HTTP/1.1 %s Moved\r\nLocation: /echo\r\nContent-Length: 7\r\n\r\n%s",
             path + 2, strcmp(method, "HEAD") ? "moved!!" : "");
    send_str(c, buf);
  } else if (strcmp(path, "/chain") == 0) {
    send_str(c, "HTTP/1.1 301 Moved\r\nLocation: /r302\r\nContent-Length: 0\r\n\r\n");
  } else if (strcmp(path, "/cross") == 0) {
    snprintf(buf, sizeof buf, "HTTP/1.1 302 Found\r\nLocation: http://localhost:%d/echo\r\nContent-Length: 0\r\n\r\n", s->port);
    send_str(c, buf);
  } else if (strcmp(path, "/to-ftp") == 0) {
    send_str(c, "HTTP/1.1 302 Found\r\nLocation: ftp://example.org/\r\nContent-Length: 0\r\n\r\n");
  } else if (strcmp(path, "/echo") == 0) {
    /* The method, the body length and the request head. */
    char body[6000];
    int n = snprintf(body, sizeof body, "%s %zu\n%s", method, s->last_body_len, head);
    snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", n);
    send_str(c, buf);
    if (strcmp(method, "HEAD") != 0) th_write_all(c->fd, body, (size_t)n);
  } else if (strcmp(path, "/continue") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  } else if (strcmp(path, "/gzip") == 0 || strcmp(path, "/gzip-chunked") == 0) {
    static const char text[] = "compressible compressible compressible compressible text\n";
    unsigned char z[512];
    size_t zl = gzip_bytes(text, sizeof text - 1, z, sizeof z);
    if (strcmp(path, "/gzip") == 0) {
      snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zl);
      send_str(c, buf);
      th_write_all(c->fd, z, zl);
    } else {
      snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n", zl);
      send_str(c, buf);
      th_write_all(c->fd, z, zl);
      send_str(c, "\r\n0\r\n\r\n");
    }
  } else if (strcmp(path, "/bad-gzip") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\nnot gzip!!");
  } else if (strcmp(path, "/big") == 0) {
    static char big[200000];
    memset(big, 'x', sizeof big);
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n");
    th_write_all(c->fd, big, sizeof big);
  } else if (strcmp(path, "/big-chunked") == 0) {
    static char big[100000];
    memset(big, 'y', sizeof big);
    send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 2; i++) {
      snprintf(buf, sizeof buf, "%zx\r\n", sizeof big);
      send_str(c, buf);
      th_write_all(c->fd, big, sizeof big);
      send_str(c, "\r\n");
    }
    send_str(c, "0\r\n\r\n");
  } else if (strcmp(path, "/smuggle") == 0) {
    /* Two bytes promised, a second response appended. */
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil");
  } else if (strcmp(path, "/many-headers") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
    for (int i = 0; i < 500; i++) {
      snprintf(buf, sizeof buf, "X-H-%d: %d\r\n", i, i);
      send_str(c, buf);
    }
    send_str(c, "\r\n");
  } else if (strcmp(path, "/long-line") == 0) {
    static char line[70000];
    memset(line, 'v', sizeof line - 1);
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Long: ");
    th_write_all(c->fd, line, sizeof line - 1);
    send_str(c, "\r\n\r\n");
  } else if (strcmp(path, "/chunk-overflow") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nhello\r\n0\r\n\r\n");
  } else if (strcmp(path, "/chunk-sign") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n");
  } else if (strcmp(path, "/chunk-0x") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n");
  } else if (strcmp(path, "/chunk-nocrlf") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n");
  } else if (strcmp(path, "/chunk-ext-crlf") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"x\ry\"\r\nhello\r\n0\r\n\r\n");
  } else if (strcmp(path, "/big-trailer") == 0) {
    static char line[70000];
    memset(line, 't', sizeof line - 1);
    send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: ");
    th_write_all(c->fd, line, sizeof line - 1);
    send_str(c, "\r\n\r\n");
  } else if (strcmp(path, "/cl-te") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  } else if (strcmp(path, "/cl-neg") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n");
  } else if (strcmp(path, "/cl-plus") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello");
  } else if (strcmp(path, "/cl-hex") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\nhello");
  } else if (strcmp(path, "/cl-huge") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nhello");
  } else if (strcmp(path, "/te-unknown") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhello");
    sconn_free(c);
    return false;
  } else if (strcmp(path, "/garbage") == 0) {
    send_str(c, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
  } else if (strcmp(path, "/bare-lf") == 0) {
    send_str(c, "HTTP/1.1 200 OK\nContent-Length: 2\n\nok");
  } else if (strcmp(path, "/obs-fold") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\nok");
  } else if (strcmp(path, "/obs-fold-split") == 0) {
    /* Folds in a row, one onto a line of blanks, and a tab. */
    const char *parts[] = {"HTTP/1.1 200 OK\r\nX-Test: a\r", "\n", "\t", "b\r\n  \r\n c\r\n",
                           "Content-Length: 2\r\n\r\nok"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
      send_str(c, parts[i]);
    }
  } else if (strcmp(path, "/obs-fold-first") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\n X-A: 1\r\nContent-Length: 2\r\n\r\nok");
  } else if (strcmp(path, "/trailers") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T1, X-T2\r\n\r\n"
                "5\r\nhello\r\n0;last=1\r\nX-T1:  one \r\n");
    send_str(c, "X-T2:two\r\nX-T1: again\r\n\r\n");
  } else if (strcmp(path, "/nul") == 0) {
    th_write_all(c->fd, "HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 2\r\n\r\nok", 50);
  } else if (strcmp(path, "/http2") == 0) {
    send_str(c, "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
  } else if (strcmp(path, "/101") == 0) {
    send_str(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n");
  } else if (strcmp(path, "/reset") == 0) {
    sconn_reset(c);
    return false;
  } else if (strcmp(path, "/hold-body") == 0) {
    /* A head and 10 of 100 body bytes; the test decides what comes next. */
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
    c->hang = true;
    s->held = c;
  } else if (strcmp(path, "/reset-mid-head") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-");
    sconn_reset(c);
    return false;
  } else if (strcmp(path, "/close-mid-head") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-");
    sconn_free(c);
    return false;
  } else if (strcmp(path, "/reset-mid-body") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
    sconn_reset(c);
    return false;
  } else if (strcmp(path, "/slow-head") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-");
    c->hang = true;
  } else if (strcmp(path, "/bomb") == 0 || strcmp(path, "/gzip-gzip") == 0) {
    /* 8 MiB of zeros, about 8 KiB compressed. */
    size_t n = 8u << 20, zl;
    char *zeros = calloc(1, n);
    unsigned char *z = malloc(65536);
    zl = gzip_bytes(zeros, n, z, 65536);
    snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
             path[1] == 'b' ? "gzip" : "gzip, gzip", zl);
    send_str(c, buf);
    th_write_all(c->fd, z, zl);
    free(zeros);
    free(z);
  } else if (strcmp(path, "/peer") == 0) {
    send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  } else if (strcmp(path, "/404") == 0) {
    send_str(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope");
  } else {
    send_str(c, "HTTP/1.1 500 Unknown\r\nContent-Length: 0\r\n\r\n");
  }
  return true;
}

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

static void on_accept(gale_watcher *w, int fd, int events, void *arg) {
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

static void srv_start(srv *s, gale_loop *loop) {
  memset(s, 0, sizeof *s);
  s->loop = loop;
  s->lfd = th_listen(&s->port);
  assert_int_equal(gale_watcher_new(loop, s->lfd, GALE_READ, on_accept, s, &s->w), GALE_OK);
}

static void srv_close_conns(srv *s) {
  while (s->conns) sconn_free(s->conns);
}

static void srv_stop(srv *s) {
  srv_close_conns(s);
  gale_watcher_free(s->w);
  close(s->lfd);
}

/* ---- fixture ------------------------------------------------------------- */

static srv S; /* the running test's scripted server */

static int setup(void **state) {
  client_fx *f = cf_open(NULL);
  srv_start(&S, f->loop);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  client_fx *f = *state;
  cf_close_client(f);
  srv_stop(&S);
  cf_close(f);
  return 0;
}

static const char *url(client_fx *f, const char *path) {
  return cf_url(f, "http://127.0.0.1:%d%s", S.port, path);
}

static cf_result *get(client_fx *f, const char *path) {
  gale_http_request req;
  gale_http_request_init(&req, url(f, path));
  return cf_fetch(f, &req);
}

/* ---- tests --------------------------------------------------------------- */

static void test_get_and_reuse(void **state) {
  client_fx *f = *state;
  for (int i = 0; i < 5; i++) {
    cf_result *r = get(f, "/hello");
    assert_int_equal(r->status, GALE_OK);
    assert_int_equal(r->code, 200);
    assert_string_equal(r->body, "hello");
    assert_string_equal(r->xtest, "a");
    assert_int_equal(r->http_version, 11);
    assert_int_equal(r->reused, i > 0);
    free(r);
  }
  assert_int_equal(S.accepted, 1);
  assert_int_equal(gale_http_client_connections_opened(f->client), 1);
  assert_int_equal(gale_http_client_idle_connections(f->client), 1);
}

/* The usual end of a program: free the client, then the loop, with no loop
 * turn in between.  The kept-alive connection is released by the client's
 * free itself (fds equal; under ASan nothing leaks). */
static void test_free_client_then_loop(void **state) {
  void *st;
  (void)state;
  setup(&st);
  client_fx *f = st;
  cf_result *r = get(f, "/hello");
  assert_int_equal(r->code, 200);
  free(r);
  assert_int_equal(gale_http_client_idle_connections(f->client), 1);
  gale_http_client_free(f->client);
  f->client = NULL;
  srv_stop(&S);
  cf_close(f);
}

static void test_framing(void **state) {
  client_fx *f = *state;
  cf_result *r = get(f, "/chunked");
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "hello");
  free(r);
  r = get(f, "/until-close");
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->http_version, 10);
  assert_string_equal(r->body, "all of it");
  free(r);
  r = get(f, "/204");
  assert_int_equal(r->code, 204);
  assert_int_equal(r->body_len, 0);
  free(r);
  r = get(f, "/304");
  assert_int_equal(r->code, 304);
  assert_int_equal(r->body_len, 0);
  free(r);
  r = get(f, "/interim");
  assert_int_equal(r->code, 200);
  assert_string_equal(r->body, "ok");
  free(r);
  {
    gale_http_request req;
    gale_http_request_init(&req, url(f, "/head"));
    req.method = "HEAD";
    r = cf_fetch(f, &req);
    assert_int_equal(r->status, GALE_OK);
    assert_int_equal(r->body_len, 0);
    free(r);
  }
  /* The HEAD's connection (Content-Length: 1000, no body) is reusable. */
  r = get(f, "/hello");
  assert_true(r->reused);
  free(r);
  /* Connection: close is obeyed, whether or not the server closes. */
  for (int i = 0; i < 2; i++) {
    int before;
    r = get(f, i ? "/close-open" : "/close");
    assert_int_equal(r->status, GALE_OK);
    assert_string_equal(r->body, "bye");
    free(r);
    before = S.accepted;
    r = get(f, "/hello");
    assert_false(r->reused);
    assert_int_equal(S.accepted, before + 1);
    free(r);
  }
  /* An HTTP/1.0 answer with keep-alive may be reused. */
  r = get(f, "/http10-ka");
  assert_string_equal(r->body, "ka");
  free(r);
  r = get(f, "/hello");
  assert_true(r->reused);
  free(r);
}

static void test_retry_reused_closed(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r = get(f, "/once");
  assert_string_equal(r->body, "once");
  free(r);
  /* The server drops the next request on that connection unanswered: a
   * GET is retried once on a fresh connection. */
  r = get(f, "/hello");
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "hello");
  assert_false(r->reused);
  assert_int_equal(S.accepted, 2);
  free(r);
  /* A POST is never retried. */
  r = get(f, "/once");
  free(r);
  gale_http_request_init(&req, url(f, "/echo"));
  req.method = "POST";
  req.body = "x";
  req.body_len = 1;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EOF);
  free(r);
}

static void test_errors(void **state) {
  client_fx *f = *state;
  struct {
    const char *path;
    int status;
  } cases[] = {
      {"/truncated", GALE_EHTTP_TRUNCATED},  {"/truncated-chunked", GALE_EHTTP_TRUNCATED},
      {"/empty-reply", GALE_EOF},            {"/bad", GALE_EHTTP_PARSE},
      {"/two-cl", GALE_EHTTP_PARSE},         {"/bad-chunk", GALE_EHTTP_BAD_CHUNK},
      {"/bad-gzip", GALE_EHTTP_DECOMPRESS},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cf_result *r = get(f, cases[i].path);
    if (r->status != cases[i].status)
      fail_msg("%s: got %s (%s)", cases[i].path, gale_err_name(r->status), r->error);
    assert_true(strlen(r->error) > 0);
    free(r);
  }
}

static void test_status_is_response(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_future *fu;
  cf_result *r = get(f, "/404");
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->code, 404);
  assert_string_equal(r->body, "nope");
  free(r);
  /* With raise_error the future fails with GALE_EHTTP_STATUS. */
  gale_http_request_init(&req, url(f, "/404"));
  req.raise_error = true;
  fu = gale_http_client_fetch_future(f->client, &req);
  assert_non_null(fu);
  assert_int_equal(gale_loop_run_until_complete(f->loop, fu, 10), GALE_OK);
  assert_int_equal(gale_future_status(fu), GALE_EHTTP_STATUS);
  gale_future_unref(fu);
  /* A success as a future: the result is the response. */
  gale_http_request_init(&req, url(f, "/hello"));
  fu = gale_http_client_fetch_future(f->client, &req);
  assert_int_equal(gale_loop_run_until_complete(f->loop, fu, 10), GALE_OK);
  assert_int_equal(gale_future_status(fu), GALE_OK);
  {
    const gale_http_response *resp = gale_future_result(fu);
    assert_int_equal(resp->code, 200);
    assert_string_equal(resp->body, "hello");
  }
  gale_future_unref(fu);
}

static void test_redirects(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  struct {
    const char *path, *method, *expect;
  } cases[] = {
      {"/r301", "POST", "GET 0\n"},  {"/r302", "POST", "GET 0\n"}, {"/r303", "POST", "GET 0\n"},
      {"/r303", "HEAD", ""},         {"/r307", "POST", "POST 4\n"}, {"/r308", "PUT", "PUT 4\n"},
      {"/r301", "PUT", "PUT 4\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gale_http_request_init(&req, url(f, cases[i].path));
    req.method = cases[i].method;
    if (strcmp(cases[i].method, "HEAD") != 0) {
      req.body = "data";
      req.body_len = 4;
    }
    r = cf_fetch(f, &req);
    if (r->status != GALE_OK)
      fail_msg("%s %s: %s (%s)", cases[i].method, cases[i].path, gale_err_name(r->status), r->error);
    assert_int_equal(r->code, 200);
    assert_int_equal(r->redirects, 1);
    if (strncmp(r->body, cases[i].expect, strlen(cases[i].expect)) != 0)
      fail_msg("%s %s: got '%.40s'", cases[i].method, cases[i].path, r->body);
    assert_non_null(strstr(r->url, "/echo"));
    if (strcmp(cases[i].expect, "GET 0\n") == 0)
      assert_null(strcasestr(S.last_head, "Content-Length"));
    free(r);
  }
  /* A chain of two. */
  r = get(f, "/chain");
  assert_int_equal(r->redirects, 2);
  assert_int_equal(r->code, 200);
  free(r);
  /* Not followed when asked not to. */
  gale_http_request_init(&req, url(f, "/r302"));
  req.follow_redirects = false;
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 302);
  assert_string_equal(r->body, "moved!!");
  free(r);
  /* All of it over one connection, redirect bodies read and dropped. */
  assert_int_equal(S.accepted, 1);
  /* A loop stops at max_redirects. */
  gale_http_request_init(&req, url(f, "/loop"));
  req.max_redirects = 3;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_TOO_MANY_REDIRECTS);
  assert_int_equal(r->redirects, 3);
  free(r);
  /* Only http and https. */
  r = get(f, "/to-ftp");
  assert_int_equal(r->status, GALE_ENOTSUP);
  free(r);
}

static void test_redirect_drops_credentials(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_headers *h = gale_headers_new();
  cf_result *r;
  gale_headers_add(h, "Cookie", "a=b");
  gale_http_request_init(&req, url(f, "/r302"));
  req.auth_username = "user";
  req.auth_password = "pass";
  req.headers = h;
  r = cf_fetch(f, &req);
  assert_non_null(strstr(r->body, "Authorization: Basic dXNlcjpwYXNz"));
  assert_non_null(strstr(r->body, "Cookie: a=b"));
  free(r);
  /* 127.0.0.1 → localhost is another origin. */
  gale_http_request_init(&req, url(f, "/cross"));
  req.auth_username = "user";
  req.auth_password = "pass";
  req.headers = h;
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 200);
  assert_null(strstr(r->body, "Authorization"));
  assert_null(strstr(r->body, "Cookie"));
  free(r);
  gale_headers_free(h);
}

static void test_request_head(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_headers *h = gale_headers_new();
  cf_result *r;
  gale_headers_add(h, "X-One", "1");
  gale_http_request_init(&req, url(f, "/echo?q=1#frag"));
  req.headers = h;
  req.user_agent = "tester/1";
  req.referer = "http://ref/";
  req.if_modified_since = 784111777;
  r = cf_fetch(f, &req);
  assert_non_null(strstr(r->body, "GET /echo?q=1 HTTP/1.1\r\n"));
  assert_non_null(strstr(r->body, "Host: 127.0.0.1:"));
  assert_non_null(strstr(r->body, "User-Agent: tester/1"));
  assert_non_null(strstr(r->body, "Referer: http://ref/"));
  assert_non_null(strstr(r->body, "Accept-Encoding: gzip"));
  assert_non_null(strstr(r->body, "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT"));
  assert_non_null(strstr(r->body, "X-One: 1"));
  free(r);
  /* Credentials in the URL. */
  snprintf(f->url, sizeof f->url, "http://us%%65r:pa%%3Ass@127.0.0.1:%d/echo", S.port);
  gale_http_request_init(&req, f->url);
  r = cf_fetch(f, &req);
  assert_non_null(strstr(r->body, "Authorization: Basic dXNlcjpwYTpzcw==")); /* user:pa:ss */
  free(r);
  gale_headers_free(h);
}

static void test_bad_requests_refused(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result res;
  gale_http_request_init(&req, url(f, "/hello"));
  req.method = "GE T";
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL), GALE_EINVAL);
  req.method = "GET\r\nX: y";
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL), GALE_EINVAL);
  gale_http_request_init(&req, "http://127.0.0.1/a b");
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL), GALE_EURL);
  gale_http_request_init(&req, "http://127.0.0.1/a\r\nX: y");
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL), GALE_EURL);
  gale_http_request_init(&req, "not a url");
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL), GALE_EURL);
  gale_http_request_init(&req, "ftp://example.org/");
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL), GALE_ENOTSUP);
  gale_http_request_init(&req, url(f, "/hello"));
  req.user_agent = "a\r\nb";
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL), GALE_EINVAL);
  /* Request fields cannot carry CR/LF/NUL or a non-token name: the headers
   * object refuses them before the client sees them. */
  {
    gale_headers *h = gale_headers_new();
    assert_int_equal(gale_headers_add(h, "X-A", "a\r\nX-B: b"), GALE_EINVAL);
    assert_int_equal(gale_headers_add(h, "X A", "a"), GALE_EINVAL);
    assert_int_equal(gale_headers_add(h, "X-A:", "a"), GALE_EINVAL);
    assert_int_equal(gale_headers_count(h), 0);
    gale_headers_free(h);
  }
  gale_http_request_init(&req, url(f, "/hello"));
  req.proxy_host = "127.0.0.1\r\nX: y";
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL), GALE_EINVAL);
  gale_http_request_init(&req, url(f, "/hello"));
  req.body = "x";
  req.body_len = 1; /* a GET with a body */
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL), GALE_EINVAL);
  assert_int_equal(gale_http_client_fetch(NULL, &req, cf_on_response, &res, NULL), GALE_EINVAL);
}

static void test_gzip(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r = get(f, "/gzip");
  assert_int_equal(r->status, GALE_OK);
  assert_non_null(strstr(r->body, "compressible compressible"));
  free(r);
  r = get(f, "/gzip-chunked");
  assert_int_equal(r->status, GALE_OK);
  assert_non_null(strstr(r->body, "compressible compressible"));
  free(r);
  /* Without decompress_response the bytes come as sent. */
  gale_http_request_init(&req, url(f, "/gzip"));
  req.decompress_response = false;
  r = cf_fetch(f, &req);
  assert_int_equal((unsigned char)r->body[0], 0x1f);
  free(r);
}

static void test_limits(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  gale_http_request_init(&req, url(f, "/big"));
  req.max_body_size = 100000;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_BODY_TOO_LARGE);
  free(r);
  gale_http_request_init(&req, url(f, "/big-chunked"));
  req.max_body_size = 150000;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_BODY_TOO_LARGE);
  free(r);
  gale_http_request_init(&req, url(f, "/big"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->body_len, 200000);
  free(r);
  gale_http_request_init(&req, url(f, "/hello"));
  req.max_header_size = 40;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_HEADER_TOO_LARGE);
  free(r);
}

static int black_hole(int *port) {
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

static int nb_connect(int port) {
  struct sockaddr_in sin;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons((uint16_t)port);
  connect(fd, (struct sockaddr *)&sin, sizeof sin);
  return fd;
}

static void test_timeouts(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  int closed_port;
  gale_http_request_init(&req, url(f, "/hang"));
  req.request_timeout = 0.3;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_ETIMEDOUT_REQUEST);
  free(r);
  /* Refused. */
  {
    int fd = th_listen(&closed_port);
    close(fd);
  }
  snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/", closed_port);
  gale_http_request_init(&req, f->url);
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_ECONNREFUSED);
  assert_non_null(strstr(r->error, "Failed to connect"));
  free(r);
  /* A connect that never completes: a listener whose backlog is full
   * drops further SYNs. */
  {
    int port, lfd = black_hole(&port), fill[4];
    for (int i = 0; i < 4; i++) fill[i] = nb_connect(port);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/", port);
    gale_http_request_init(&req, f->url);
    req.connect_timeout = 0.3;
    r = cf_fetch(f, &req);
    if (r->status != GALE_ETIMEDOUT_CONNECT)
      fail_msg("black hole: %s (%s)", gale_err_name(r->status), r->error);
    free(r);
    for (int i = 0; i < 4; i++) close(fill[i]);
    close(lfd);
  }
}

static void test_queue(void **state) {
  client_fx *f = *state;
  gale_http_client_options o;
  gale_http_client *c;
  gale_http_request req;
  cf_result *res = calloc(3, sizeof *res);
  gale_http_client_options_init(&o);
  o.max_clients = 1;
  assert_int_equal(gale_http_client_new(f->loop, &o, &c), GALE_OK);
  /* One slot: a hanging request holds it; the next waits and times out in
   * the queue; the third is cancelled while queued. */
  gale_http_request_init(&req, url(f, "/hang"));
  req.request_timeout = 2;
  assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[0], NULL), GALE_OK);
  gale_http_request_init(&req, url(f, "/hello"));
  req.connect_timeout = 0.3;
  assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[1], NULL), GALE_OK);
  {
    uint64_t id;
    gale_http_request_init(&req, url(f, "/hello"));
    assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[2], &id), GALE_OK);
    TH_RUN_UNTIL(f->loop, gale_http_client_active(c) == 1, 5);
    assert_int_equal(gale_http_client_queued(c), 2);
    assert_int_equal(gale_http_client_cancel(c, id), GALE_OK);
    assert_int_equal(gale_http_client_cancel(c, id), GALE_ENOENT);
  }
  TH_RUN_UNTIL(f->loop, res[1].done && res[2].done, 5);
  assert_int_equal(res[1].status, GALE_ETIMEDOUT_QUEUE);
  assert_int_equal(res[2].status, GALE_ECANCELLED);
  TH_RUN_UNTIL(f->loop, res[0].done, 5);
  assert_int_equal(res[0].status, GALE_ETIMEDOUT_REQUEST);
  gale_http_client_free(c);
  free(res);
}

static void test_parallel(void **state) {
  client_fx *f = *state;
  enum { N = 30 };
  cf_result *res = calloc(N, sizeof *res);
  gale_http_request req;
  int done = 0;
  gale_http_request_init(&req, url(f, "/hello"));
  for (int i = 0; i < N; i++)
    assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res[i], NULL), GALE_OK);
  while (done < N) {
    done = 0;
    TH_RUN_UNTIL(f->loop, res[N - 1].done, 10);
    for (int i = 0; i < N; i++) done += res[i].done;
    if (done < N) gale_loop_run_once(f->loop, 0.05);
  }
  for (int i = 0; i < N; i++) {
    assert_int_equal(res[i].status, GALE_OK);
    assert_string_equal(res[i].body, "hello");
  }
  /* max_clients 10: never more than 10 connections. */
  assert_true(S.accepted <= 10);
  free(res);
}

typedef struct producer {
  int calls;
  int chunks;
  bool fail;
} producer;

static void produce(gale_http_upload *up, void *arg) {
  producer *p = arg;
  p->calls++;
  if (p->chunks-- > 0) {
    assert_int_equal(gale_http_upload_write(up, "abcd", 4), GALE_OK);
    return;
  }
  assert_int_equal(gale_http_upload_finish(up, p->fail ? GALE_ESYS : GALE_OK), GALE_OK);
}

static void test_uploads(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  producer p = {0, 3, false};
  cf_result *r;
  /* Unknown length: chunked. */
  gale_http_request_init(&req, url(f, "/echo"));
  req.method = "POST";
  req.body_producer = produce;
  req.body_producer_arg = &p;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_non_null(strstr(S.last_head, "Transfer-Encoding: chunked"));
  assert_string_equal(S.last_body, "4\r\nabcd\r\n4\r\nabcd\r\n4\r\nabcd\r\n0\r\n\r\n");
  free(r);
  /* Known length. */
  p.chunks = 2;
  req.body_size = 8;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_non_null(strstr(S.last_head, "Content-Length: 8"));
  assert_string_equal(S.last_body, "abcdabcd");
  free(r);
  /* The producer failing fails the fetch. */
  p.chunks = 1;
  p.fail = true;
  req.body_size = -1;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_ESYS);
  free(r);
  /* 100-continue: the body follows the interim answer. */
  gale_http_request_init(&req, url(f, "/continue"));
  req.method = "PUT";
  req.body = "0123456789";
  req.body_len = 10;
  req.expect_100_continue = true;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "ok");
  assert_non_null(strstr(S.last_head, "Expect: 100-continue"));
  assert_string_equal(S.last_body, "0123456789");
  free(r);
  /* POST without a body says Content-Length: 0. */
  gale_http_request_init(&req, url(f, "/echo"));
  req.method = "POST";
  r = cf_fetch(f, &req);
  assert_non_null(strstr(r->body, "Content-Length: 0"));
  free(r);
}

typedef struct stream_ctx {
  size_t got;
  int calls;
  bool cancel;
  gale_http_client *client;
  uint64_t id;
} stream_ctx;

static int on_chunk(const void *data, size_t len, void *arg) {
  stream_ctx *s = arg;
  (void)data;
  s->got += len;
  s->calls++;
  if (s->cancel) gale_http_client_cancel(s->client, s->id);
  return GALE_OK;
}

static int on_chunk_fail(const void *data, size_t len, void *arg) {
  (void)data;
  (void)len;
  (void)arg;
  return GALE_ESYS;
}

static void test_streaming(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  stream_ctx s = {0};
  cf_result *r, *res;
  gale_http_request_init(&req, url(f, "/big"));
  req.streaming_callback = on_chunk;
  req.streaming_callback_arg = &s;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(s.got, 200000);
  assert_int_equal(r->body_len, 0);
  free(r);
  /* The callback aborting. */
  req.streaming_callback = on_chunk_fail;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_ESYS);
  free(r);
  /* Cancelling from inside the streaming callback. */
  memset(&s, 0, sizeof s);
  s.cancel = true;
  s.client = f->client;
  req.streaming_callback = on_chunk;
  res = calloc(1, sizeof *res);
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, res, &s.id), GALE_OK);
  TH_RUN_UNTIL(f->loop, res->done, 10);
  assert_int_equal(res->status, GALE_ECANCELLED);
  assert_int_equal(s.calls, 1);
  free(res);
}

static void on_resp_free_client(const gale_http_response *r, void *arg) {
  client_fx *f = arg;
  (void)r;
  gale_http_client_free(f->client);
  f->client = NULL;
}

static void test_free_inside_callback(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *res = calloc(1, sizeof *res);
  gale_http_request_init(&req, url(f, "/hang"));
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, res, NULL), GALE_OK);
  gale_http_request_init(&req, url(f, "/hello"));
  assert_int_equal(gale_http_client_fetch(f->client, &req, on_resp_free_client, f, NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, f->client == NULL && res->done, 10);
  assert_int_equal(res->status, GALE_ECANCELLED);
  free(res);
}

static void test_future_cancel(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_future *fu;
  gale_http_request_init(&req, url(f, "/hang"));
  fu = gale_http_client_fetch_future(f->client, &req);
  assert_non_null(fu);
  TH_RUN_UNTIL(f->loop, S.requests == 1, 5);
  assert_true(gale_future_cancel(fu));
  th_run_for(f->loop, 0.05);
  assert_int_equal(gale_future_status(fu), GALE_ECANCELLED);
  assert_int_equal(gale_http_client_active(f->client), 0);
  gale_future_unref(fu);
}

static void test_timings(void **state) {
  client_fx *f = *state;
  cf_result *r = get(f, "/hello");
  assert_true(r->t.total > 0);
  assert_true(r->t.total >= r->t.connect);
  assert_true(r->t.first_byte > 0);
  free(r);
}

/* ---- audit additions (issue #6, HARDENING.md) ----------------------------- */

static void test_defaults(void **state) {
  gale_http_request req;
  gale_http_client_options o;
  (void)state;
  gale_http_request_init(&req, "http://x/");
  assert_true(req.connect_timeout == 20.0 && req.request_timeout == 20.0);
  assert_true(req.follow_redirects);
  assert_int_equal(req.max_redirects, 5);
  assert_true(req.decompress_response && req.validate_cert && req.allow_ipv6);
  assert_false(req.expect_100_continue || req.raise_error);
  assert_string_equal(req.method, "GET");
  gale_http_client_options_init(&o);
  assert_int_equal(o.max_clients, 10);
}

static void test_raise_error_callback(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  gale_http_request_init(&req, url(f, "/404"));
  req.raise_error = true;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_STATUS);
  assert_int_equal(r->code, 404); /* the response still comes along */
  assert_string_equal(r->body, "nope");
  assert_non_null(strstr(r->error, "404"));
  free(r);
  gale_http_request_init(&req, url(f, "/hello"));
  req.raise_error = true;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  free(r);
}

typedef struct lines {
  int n;
  char all[2048];
} lines;

static void on_header_line(const char *line, size_t len, void *arg) {
  lines *l = arg;
  size_t have = strlen(l->all);
  l->n++;
  if (have + len < sizeof l->all) {
    memcpy(l->all + have, line, len);
    l->all[have + len] = '\0';
  }
}

static void test_header_callback(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  lines l;
  cf_result *r;
  memset(&l, 0, sizeof l);
  gale_http_request_init(&req, url(f, "/hello"));
  req.header_callback = on_header_line;
  req.header_callback_arg = &l;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(l.n, 5);
  assert_string_equal(l.all, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: a\r\nX-Test: b\r\n\r\n");
  free(r);
  /* Only the final response of a redirect chain and no interim 1xx. */
  memset(&l, 0, sizeof l);
  gale_http_request_init(&req, url(f, "/r302"));
  req.header_callback = on_header_line;
  req.header_callback_arg = &l;
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 200);
  assert_int_equal(strncmp(l.all, "HTTP/1.1 200 OK\r\n", 17), 0);
  assert_null(strstr(l.all, "302"));
  free(r);
  memset(&l, 0, sizeof l);
  gale_http_request_init(&req, url(f, "/interim"));
  req.header_callback = on_header_line;
  req.header_callback_arg = &l;
  r = cf_fetch(f, &req);
  assert_null(strstr(l.all, "103"));
  assert_non_null(strstr(l.all, "HTTP/1.1 200 OK\r\n"));
  free(r);
}

static void test_idle_timeout(void **state) {
  client_fx *f = *state;
  gale_http_client_options o;
  gale_http_client *c;
  gale_http_request req;
  cf_result res[2];
  memset(res, 0, sizeof res);
  gale_http_client_options_init(&o);
  o.idle_timeout = 0.2;
  assert_int_equal(gale_http_client_new(f->loop, &o, &c), GALE_OK);
  gale_http_request_init(&req, url(f, "/hello"));
  assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[0], NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res[0].done, 5);
  assert_int_equal(gale_http_client_idle_connections(c), 1);
  /* The pooled connection is closed by the client once idle too long. */
  TH_RUN_UNTIL(f->loop, gale_http_client_idle_connections(c) == 0 && S.conns == NULL, 5);
  assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[1], NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res[1].done, 5);
  assert_int_equal(res[1].status, GALE_OK);
  assert_false(res[1].reused);
  assert_int_equal(S.accepted, 2);
  gale_http_client_free(c);
}

static int order_log[8], order_n;
static void on_resp_order(const gale_http_response *r, void *arg) {
  (void)r;
  order_log[order_n++] = (int)(intptr_t)arg;
}

static void test_queue_fifo(void **state) {
  client_fx *f = *state;
  gale_http_client_options o;
  gale_http_client *c;
  gale_http_request req;
  gale_http_client_options_init(&o);
  o.max_clients = 1;
  assert_int_equal(gale_http_client_new(f->loop, &o, &c), GALE_OK);
  order_n = 0;
  gale_http_request_init(&req, url(f, "/hello"));
  for (int i = 0; i < 6; i++)
    assert_int_equal(gale_http_client_fetch(c, &req, on_resp_order, (void *)(intptr_t)i, NULL),
                     GALE_OK);
  assert_int_equal(gale_http_client_queued(c), 6);
  TH_RUN_UNTIL(f->loop, order_n == 6, 10);
  for (int i = 0; i < 6; i++) assert_int_equal(order_log[i], i);
  /* One slot, one connection, reused by each in turn. */
  assert_int_equal(S.accepted, 1);
  gale_http_client_free(c);
}

/* Responses a hostile or broken server may send, each with its exact
 * outcome (HARDENING.md, "HTTP/1.1 responses (client)"). */
static void test_hostile_responses(void **state) {
  client_fx *f = *state;
  struct {
    const char *path;
    int status;
  } cases[] = {
      {"/long-line", GALE_EHTTP_HEADER_TOO_LARGE},
      {"/chunk-overflow", GALE_EHTTP_BAD_CHUNK},
      {"/chunk-sign", GALE_EHTTP_BAD_CHUNK},
      {"/chunk-0x", GALE_EHTTP_BAD_CHUNK},
      {"/chunk-nocrlf", GALE_EHTTP_BAD_CHUNK},
      {"/chunk-ext-crlf", GALE_EHTTP_BAD_CHUNK},
      {"/big-trailer", GALE_EHTTP_BAD_CHUNK},
      {"/cl-neg", GALE_EHTTP_PARSE},
      {"/cl-plus", GALE_EHTTP_PARSE},
      {"/cl-hex", GALE_EHTTP_PARSE},
      {"/cl-huge", GALE_EHTTP_PARSE},
      {"/garbage", GALE_EHTTP_PARSE},
      {"/bare-lf", GALE_EHTTP_PARSE},
      {"/obs-fold-first", GALE_EHTTP_PARSE},
      {"/nul", GALE_EHTTP_PARSE},
      {"/http2", GALE_EHTTP_VERSION},
      {"/101", GALE_EHTTP_PARSE},
      {"/reset", GALE_ECONNRESET},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cf_result *r = get(f, cases[i].path);
    if (r->status != cases[i].status)
      fail_msg("%s: got %s (%s), expected %s", cases[i].path, gale_err_name(r->status), r->error,
               gale_err_name(cases[i].status));
    assert_true(strlen(r->error) > 0);
    free(r);
    /* The bad connection was not pooled. */
    assert_int_equal(gale_http_client_idle_connections(f->client), 0);
  }
}

typedef struct interop_result {
  int done, status, code;
  size_t nheaders, ntrailers;
  char a[64], h499[16], t1[32], t1b[32], t2[32], body[16];
} interop_result;

static void copy_field(char *dst, size_t cap, const char *v) { snprintf(dst, cap, "%s", v ? v : ""); }

static void on_interop(const gale_http_response *r, void *arg) {
  interop_result *res = arg;
  const gale_headers *t = gale_http_response_trailers(r);
  size_t cur = 0;
  res->done++;
  res->status = r->status;
  res->code = r->code;
  res->nheaders = r->headers ? gale_headers_count(r->headers) : 0;
  assert_non_null(t);
  res->ntrailers = gale_headers_count(t);
  copy_field(res->a, sizeof res->a, gale_http_response_header(r, "X-A"));
  if (!res->a[0]) copy_field(res->a, sizeof res->a, gale_http_response_header(r, "X-Test"));
  copy_field(res->h499, sizeof res->h499, gale_http_response_header(r, "X-H-499"));
  copy_field(res->t1, sizeof res->t1, gale_headers_next(t, "X-T1", &cur, NULL));
  copy_field(res->t1b, sizeof res->t1b, gale_headers_next(t, "X-T1", &cur, NULL));
  copy_field(res->t2, sizeof res->t2, gale_headers_get(t, "x-t2"));
  snprintf(res->body, sizeof res->body, "%.*s", (int)(r->body_len < 15 ? r->body_len : 15), r->body);
}

static interop_result interop_get(client_fx *f, const char *path, size_t max_header_size) {
  interop_result res;
  gale_http_request req;
  memset(&res, 0, sizeof res);
  gale_http_request_init(&req, url(f, path));
  req.max_header_size = max_header_size;
  assert_int_equal(gale_http_client_fetch(f->client, &req, on_interop, &res, NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res.done, 10);
  assert_int_equal(res.done, 1);
  return res;
}

/* Interop: obs-fold in a response is unfolded (RFC 9112 §5.2), not fatal. */
static void test_response_obs_fold(void **state) {
  client_fx *f = *state;
  interop_result r = interop_get(f, "/obs-fold", 0);
  assert_int_equal(r.status, GALE_OK);
  assert_string_equal(r.a, "1   folded");
  assert_string_equal(r.body, "ok");
  r = interop_get(f, "/obs-fold-split", 0);
  assert_int_equal(r.status, GALE_OK);
  assert_string_equal(r.a, "a  \tb       c");
  assert_string_equal(r.body, "ok");
  /* The connection stays usable. */
  r = interop_get(f, "/obs-fold", 0);
  assert_int_equal(r.status, GALE_OK);
}

/* Interop: no fixed cap of 100 fields; max_header_size is the only limit. */
static void test_response_many_headers(void **state) {
  client_fx *f = *state;
  interop_result r = interop_get(f, "/many-headers", 0);
  assert_int_equal(r.status, GALE_OK);
  assert_int_equal(r.nheaders, 501);
  assert_string_equal(r.h499, "499");
  r = interop_get(f, "/many-headers", 2000);
  assert_int_equal(r.status, GALE_EHTTP_HEADER_TOO_LARGE);
  r = interop_get(f, "/many-headers", 0); /* the big array is reused */
  assert_int_equal(r.status, GALE_OK);
  assert_int_equal(r.nheaders, 501);
}

/* Interop: trailers of a chunked response are kept. */
static void test_response_trailers(void **state) {
  client_fx *f = *state;
  interop_result r = interop_get(f, "/trailers", 0);
  assert_int_equal(r.status, GALE_OK);
  assert_string_equal(r.body, "hello");
  assert_int_equal(r.ntrailers, 3);
  assert_string_equal(r.t1, "one");
  assert_string_equal(r.t1b, "again");
  assert_string_equal(r.t2, "two");
  r = interop_get(f, "/hello", 0); /* none: empty, also on a reused connection */
  assert_int_equal(r.status, GALE_OK);
  assert_int_equal(r.ntrailers, 0);
  r = interop_get(f, "/chunked", 0);
  assert_int_equal(r.ntrailers, 1);
  r = interop_get(f, "/reset", 0); /* failed: empty */
  assert_int_not_equal(r.status, GALE_OK);
  assert_int_equal(r.ntrailers, 0);
}

static void test_smuggling(void **state) {
  client_fx *f = *state;
  cf_result *r = get(f, "/smuggle");
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "ok");
  free(r);
  /* The appended "response" is never taken as the answer to the next
   * request: that connection was closed, not pooled. */
  r = get(f, "/hello");
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "hello");
  assert_false(r->reused);
  assert_int_equal(S.accepted, 2);
  free(r);
  /* Content-Length with chunked: chunked wins, the connection is not
   * reused. */
  r = get(f, "/cl-te");
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "hello");
  free(r);
  r = get(f, "/hello");
  assert_false(r->reused);
  free(r);
  /* An unknown transfer coding: the body runs until close, undecoded. */
  r = get(f, "/te-unknown");
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "hello");
  free(r);
}

static int count_stream(const void *data, size_t len, void *arg) {
  (void)data;
  *(size_t *)arg += len;
  return GALE_OK;
}

static void test_mid_body(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *res = calloc(1, sizeof *res);
  size_t got = 0;
  /* A reset after part of the body. */
  gale_http_request_init(&req, url(f, "/hold-body"));
  req.streaming_callback = count_stream;
  req.streaming_callback_arg = &got;
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, res, NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, got == 10, 5);
  assert_non_null(S.held);
  sconn_reset(S.held);
  TH_RUN_UNTIL(f->loop, res->done, 5);
  assert_int_equal(res->status, GALE_ECONNRESET);
  assert_non_null(strstr(res->error, "10 of 100"));
  /* A server that stops sending mid-body: the request timeout. */
  memset(res, 0, sizeof *res);
  got = 0;
  req.request_timeout = 0.3;
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, res, NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res->done, 5);
  assert_int_equal(res->status, GALE_ETIMEDOUT_REQUEST);
  assert_int_equal(got, 10);
  /* ...and one that stops in the middle of the head. */
  memset(res, 0, sizeof *res);
  gale_http_request_init(&req, url(f, "/slow-head"));
  req.request_timeout = 0.3;
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, res, NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res->done, 5);
  assert_int_equal(res->status, GALE_ETIMEDOUT_REQUEST);
  free(res);
}

static void test_decompression_bomb(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  size_t got = 0;
  /* 8 KiB on the wire inflating to 8 MiB: the limit applies after
   * inflation. */
  gale_http_request_init(&req, url(f, "/bomb"));
  req.max_body_size = 1 << 20;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_BODY_TOO_LARGE);
  free(r);
  /* Streamed, it flows through in pieces with no limit. */
  gale_http_request_init(&req, url(f, "/bomb"));
  req.streaming_callback = count_stream;
  req.streaming_callback_arg = &got;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(got, 8u << 20);
  free(r);
  /* Chained codings are not undone: the bytes come as sent, with their
   * Content-Encoding. */
  gale_http_request_init(&req, url(f, "/gzip-gzip"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_true(r->body_len < 65536);
  assert_int_equal((unsigned char)r->body[0], 0x1f);
  free(r);
}

/* A DNS server on a UDP socket: answers NXDOMAIN, or nothing at all. */
typedef struct dns_srv {
  int fd, port;
  gale_watcher *w;
  bool silent;
  int queries;
} dns_srv;

static void on_dns(gale_watcher *w, int fd, int events, void *arg) {
  dns_srv *d = arg;
  unsigned char buf[512];
  struct sockaddr_storage from;
  socklen_t fl = sizeof from;
  ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  (void)w;
  (void)events;
  if (n < 12) return;
  d->queries++;
  if (d->silent) return;
  buf[2] = (unsigned char)(buf[2] | 0x80);           /* QR */
  buf[3] = (unsigned char)((buf[3] & 0x70) | 0x80 | 3); /* RA, NXDOMAIN */
  sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
}

static void dns_start(dns_srv *d, gale_loop *loop, bool silent) {
  struct sockaddr_in sin;
  socklen_t sl = sizeof sin;
  memset(d, 0, sizeof *d);
  d->silent = silent;
  d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(d->fd, (struct sockaddr *)&sin, sizeof sin), 0);
  getsockname(d->fd, (struct sockaddr *)&sin, &sl);
  d->port = ntohs(sin.sin_port);
  assert_int_equal(gale_watcher_new(loop, d->fd, GALE_READ, on_dns, d, &d->w), GALE_OK);
}

static void dns_stop(dns_srv *d) {
  gale_watcher_free(d->w);
  close(d->fd);
}

static void test_dns_errors(void **state) {
  client_fx *f = *state;
  gale_resolver_options ro;
  gale_resolver *res;
  gale_http_client_options o;
  gale_http_client *c;
  gale_http_request req;
  cf_result *r = calloc(1, sizeof *r);
  char servers[64];
  dns_srv d;
  for (int silent = 0; silent < 2; silent++) {
    dns_start(&d, f->loop, silent);
    snprintf(servers, sizeof servers, "127.0.0.1:%d", d.port);
    gale_resolver_options_init(&ro);
    ro.servers = servers;
    ro.tries = 1;
    assert_int_equal(gale_resolver_new(f->loop, &ro, &res), GALE_OK);
    gale_http_client_options_init(&o);
    o.resolver = res;
    assert_int_equal(gale_http_client_new(f->loop, &o, &c), GALE_OK);
    memset(r, 0, sizeof *r);
    gale_http_request_init(&req, "http://nowhere.example/");
    req.connect_timeout = 0.3;
    assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, r, NULL), GALE_OK);
    TH_RUN_UNTIL(f->loop, r->done, 5);
    if (r->status != (silent ? GALE_ETIMEDOUT_DNS : GALE_EDNS_NXDOMAIN))
      fail_msg("dns %s: got %s (%s)", silent ? "silent" : "nxdomain", gale_err_name(r->status),
               r->error);
    assert_non_null(strstr(r->error, "nowhere.example"));
    assert_true(d.queries > 0);
    if (silent) {
      /* Cancelled while resolving. */
      uint64_t id;
      int q = d.queries;
      memset(r, 0, sizeof *r);
      assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, r, &id), GALE_OK);
      TH_RUN_UNTIL(f->loop, d.queries > q, 5);
      assert_int_equal(gale_http_client_cancel(c, id), GALE_OK);
      TH_RUN_UNTIL(f->loop, r->done, 5);
      assert_int_equal(r->status, GALE_ECANCELLED);
    }
    gale_http_client_free(c);
    th_run_for(f->loop, 0.02);
    gale_resolver_free(res);
    dns_stop(&d);
  }
  free(r);
}

static void test_tls_timeout(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  /* The scripted server accepts and never answers a ClientHello. */
  snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d/", S.port);
  gale_http_request_init(&req, f->url);
  req.connect_timeout = 0.3;
  r = cf_fetch(f, &req);
  if (r->status != GALE_ETIMEDOUT_TLS)
    fail_msg("tls timeout: %s (%s)", gale_err_name(r->status), r->error);
  assert_non_null(strstr(r->error, "TLS handshake"));
  /* Cancelled, then the client freed, in the middle of the handshake. */
  for (int free_client = 0; free_client < 2; free_client++) {
    uint64_t id;
    int accepted = S.accepted;
    memset(r, 0, sizeof *r);
    gale_http_request_init(&req, f->url);
    assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, r, &id), GALE_OK);
    TH_RUN_UNTIL(f->loop, S.accepted > accepted && S.conns && S.conns->len > 0, 5);
    if (free_client) {
      gale_http_client_free(f->client);
      f->client = NULL;
    } else {
      assert_int_equal(gale_http_client_cancel(f->client, id), GALE_OK);
    }
    TH_RUN_UNTIL(f->loop, r->done, 5);
    assert_int_equal(r->status, GALE_ECANCELLED);
  }
  free(r);
}

static void test_source_address_and_family(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  /* Any 127/8 address is local on Linux: bind to another one. */
  gale_http_request_init(&req, url(f, "/peer"));
  req.network_interface = "127.0.0.2";
  r = cf_fetch(f, &req);
  if (r->status != GALE_OK) fail_msg("source: %s (%s)", gale_err_name(r->status), r->error);
  assert_string_equal(S.last_peer, "127.0.0.2");
  assert_string_equal(r->local_ip, "127.0.0.2");
  assert_string_equal(r->remote_ip, "127.0.0.1");
  free(r);
  /* The source address is part of the pool key. */
  r = get(f, "/peer");
  assert_false(r->reused);
  assert_string_equal(S.last_peer, "127.0.0.1");
  free(r);
  /* An address this host does not have. */
  gale_http_request_init(&req, url(f, "/peer"));
  req.network_interface = "192.0.2.1";
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EADDRNOTAVAIL);
  free(r);
  /* Not numeric: refused at once. */
  gale_http_request_init(&req, url(f, "/peer"));
  req.network_interface = "eth0";
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, NULL, NULL), GALE_EINVAL);
  /* allow_ipv6 false: "localhost" goes to 127.0.0.1. */
  snprintf(f->url, sizeof f->url, "http://localhost:%d/peer", S.port);
  gale_http_request_init(&req, f->url);
  req.allow_ipv6 = false;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->remote_ip, "127.0.0.1");
  free(r);
  /* IPv6 only towards an IPv4 literal: no address of that family. */
  gale_http_request_init(&req, url(f, "/peer"));
  req.allow_ipv4 = false;
  r = cf_fetch(f, &req);
  assert_int_not_equal(r->status, GALE_OK);
  assert_true(strlen(r->error) > 0);
  free(r);
}

static void test_timing_phases(void **state) {
  client_fx *f = *state;
  cf_result *r;
  gale_http_request req;
  snprintf(f->url, sizeof f->url, "http://localhost:%d/hello", S.port);
  gale_http_request_init(&req, f->url);
  req.allow_ipv6 = false;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_true(r->t.dns >= 0 && r->t.connect > 0 && r->t.tls == 0);
  assert_true(r->t.first_byte > 0);
  assert_true(r->t.total >= r->t.queue + r->t.dns + r->t.connect + r->t.first_byte);
  free(r);
  /* A reused connection has no dns/connect phase. */
  r = cf_fetch(f, &req);
  assert_true(r->reused);
  assert_true(r->t.dns == 0 && r->t.connect == 0 && r->t.tls == 0);
  assert_true(r->t.first_byte > 0);
  free(r);
  /* Redirect hops are counted apart. */
  r = get(f, "/chain");
  assert_int_equal(r->redirects, 2);
  assert_true(r->t.redirect > 0 && r->t.total >= r->t.redirect);
  free(r);
}

static void test_proxy_failures(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  /* A "proxy" that answers CONNECT with an error (the scripted server
   * does not know the path): the status is in the error. */
  gale_http_request_init(&req, "https://origin.invalid/");
  req.proxy_host = "127.0.0.1";
  req.proxy_port = S.port;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_PROXY);
  assert_non_null(strstr(r->error, "500"));
  assert_non_null(strstr(S.last_head, "CONNECT origin.invalid:443 HTTP/1.1\r\n"));
  free(r);
  /* Plain http through it: absolute form, with proxy credentials. */
  gale_http_request_init(&req, "http://origin.invalid:8000/echo?x=1");
  req.proxy_host = "127.0.0.1";
  req.proxy_port = S.port;
  req.proxy_username = "pu";
  req.proxy_password = "pp";
  r = cf_fetch(f, &req);
  assert_non_null(strstr(S.last_head, "GET http://origin.invalid:8000/echo?x=1 HTTP/1.1\r\n"));
  assert_non_null(strstr(S.last_head, "Proxy-Authorization: Basic cHU6cHA=\r\n"));
  free(r);
  /* A direct connection is not reused for proxied requests (nor the
   * other way round), even to the same address: the pool key has the
   * proxy. */
  r = get(f, "/hello");
  free(r);
  gale_http_request_init(&req, url(f, "/hello"));
  req.proxy_host = "127.0.0.1";
  req.proxy_port = S.port;
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 200);
  assert_false(r->reused);
  assert_non_null(strstr(S.last_head, "GET http://127.0.0.1:"));
  free(r);
  r = get(f, "/hello");
  assert_true(r->reused);
  assert_non_null(strstr(S.last_head, "GET /hello HTTP/1.1"));
  free(r);
  /* A proxy that accepts and never answers CONNECT: connect_timeout,
   * which covers the tunnel. */
  {
    int port, lfd = black_hole(&port);
    gale_http_request_init(&req, "https://origin.invalid/");
    req.proxy_host = "127.0.0.1";
    req.proxy_port = port;
    req.connect_timeout = 0.3;
    r = cf_fetch(f, &req);
    if (r->status != GALE_ETIMEDOUT_CONNECT)
      fail_msg("silent proxy: %s (%s)", gale_err_name(r->status), r->error);
    assert_non_null(strstr(r->error, "CONNECT"));
    free(r);
    close(lfd);
  }
}

typedef struct dbg {
  int info, out, in;
  bool connected;
} dbg;

static void on_debug(gale_http_debug_kind kind, const char *data, size_t len, void *arg) {
  dbg *d = arg;
  if (kind == GALE_HTTP_DEBUG_INFO) {
    d->info++;
    if (len >= 12 && memcmp(data, "Connected to", 12) == 0) d->connected = true;
  } else if (kind == GALE_HTTP_DEBUG_HEADER_OUT) {
    d->out++;
  } else {
    d->in++;
  }
}

static void test_debug_callback(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  dbg d;
  cf_result *r;
  memset(&d, 0, sizeof d);
  gale_http_request_init(&req, url(f, "/r302"));
  req.debug_callback = on_debug;
  req.debug_callback_arg = &d;
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 200);
  assert_true(d.connected);
  assert_int_equal(d.out, 2); /* both hops */
  assert_true(d.in >= 6);
  free(r);
}

static void test_ipv6_literal(void **state) {
  client_fx *f = *state;
  struct sockaddr_in6 sin6;
  socklen_t sl = sizeof sin6;
  gale_watcher *w;
  gale_http_request req;
  cf_result *r;
  int lfd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  memset(&sin6, 0, sizeof sin6);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_addr = in6addr_loopback;
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin6, sizeof sin6) != 0) {
    if (lfd >= 0) close(lfd);
    skip(); /* no IPv6 loopback here */
  }
  assert_int_equal(listen(lfd, 16), 0);
  getsockname(lfd, (struct sockaddr *)&sin6, &sl);
  /* The scripted server answers on this listener too. */
  assert_int_equal(gale_watcher_new(f->loop, lfd, GALE_READ, on_accept, &S, &w), GALE_OK);
  snprintf(f->url, sizeof f->url, "http://[::1]:%d/echo", ntohs(sin6.sin6_port));
  gale_http_request_init(&req, f->url);
  r = cf_fetch(f, &req);
  if (r->status != GALE_OK) fail_msg("[::1]: %s (%s)", gale_err_name(r->status), r->error);
  assert_string_equal(r->remote_ip, "::1");
  {
    char host[64];
    snprintf(host, sizeof host, "Host: [::1]:%d\r\n", ntohs(sin6.sin6_port));
    assert_non_null(strstr(r->body, host));
  }
  free(r);
  /* IPv4 only cannot reach it. */
  gale_http_request_init(&req, f->url);
  req.allow_ipv6 = false;
  r = cf_fetch(f, &req);
  assert_int_not_equal(r->status, GALE_OK);
  free(r);
  srv_close_conns(&S);
  gale_watcher_free(w);
  close(lfd);
}

static void test_max_idle_per_host(void **state) {
  client_fx *f = *state;
  gale_http_client_options o;
  gale_http_client *c;
  gale_http_request req;
  cf_result res[3];
  memset(res, 0, sizeof res);
  gale_http_client_options_init(&o);
  o.max_idle_per_host = 1;
  assert_int_equal(gale_http_client_new(f->loop, &o, &c), GALE_OK);
  /* Three at once need three connections; only one is kept afterwards. */
  gale_http_request_init(&req, url(f, "/hello"));
  for (int i = 0; i < 3; i++)
    assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[i], NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res[0].done && res[1].done && res[2].done, 5);
  assert_int_equal(gale_http_client_connections_opened(c), 3);
  assert_int_equal(gale_http_client_idle_connections(c), 1);
  TH_RUN_UNTIL(f->loop, S.conns && !S.conns->next, 5); /* the others closed */
  gale_http_client_free(c);
}

/* Mutated responses (a deterministic fuzz smoke run inside make check):
 * whatever the bytes, the fetch calls back exactly once, nothing leaks or
 * crashes (ASan), and no connection that carried garbage is pooled. */
/* ---- every failure names its cause ----------------------------------------- */

/* Fetches `req` and checks the status and that the sentence says why. */
static void expect_cause(client_fx *f, gale_http_request *req, int status, const char *words) {
  cf_result *r = cf_fetch(f, req);
  if (r->status != status)
    fail_msg("%s: got %s (%s), expected %s", req->url, gale_err_name(r->status), r->error,
             gale_err_name(status));
  if (!strstr(r->error, words)) fail_msg("%s: \"%s\" does not say \"%s\"", req->url, r->error, words);
  free(r);
  assert_int_equal(gale_http_client_idle_connections(f->client), 0);
}

static void expect_get_cause(client_fx *f, const char *path, int status, const char *words) {
  gale_http_request req;
  gale_http_request_init(&req, url(f, path));
  expect_cause(f, &req, status, words);
}

static void test_cause_reset_before_head(void **state) {
  expect_get_cause(*state, "/reset", GALE_ECONNRESET, "reset the connection before the response head");
}

static void test_cause_reset_mid_head(void **state) {
  expect_get_cause(*state, "/reset-mid-head", GALE_ECONNRESET, "in the middle of the response head");
}

static void test_cause_reset_mid_body(void **state) {
  expect_get_cause(*state, "/reset-mid-body", GALE_ECONNRESET, "reset the connection after 10 of 100 body bytes");
}

static void test_cause_eof_before_head(void **state) {
  expect_get_cause(*state, "/empty-reply", GALE_EOF, "closed the connection before the response head");
}

static void test_cause_eof_mid_head(void **state) {
  expect_get_cause(*state, "/close-mid-head", GALE_EHTTP_HEAD_TRUNCATED,
                   "closed the connection in the middle of the response head");
}

static void test_cause_eof_mid_body(void **state) {
  expect_get_cause(*state, "/truncated", GALE_EHTTP_TRUNCATED, "closed after 10 of 100 body bytes");
  expect_get_cause(*state, "/truncated-chunked", GALE_EHTTP_TRUNCATED,
                   "closed in the middle of the chunked body (5 bytes)");
}

static void test_cause_timeout_connect(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  /* A listener whose backlog is full drops further SYNs. */
  int port, lfd = black_hole(&port), fill[4];
  for (int i = 0; i < 4; i++) fill[i] = nb_connect(port);
  snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/", port);
  gale_http_request_init(&req, f->url);
  req.connect_timeout = 0.2;
  expect_cause(f, &req, GALE_ETIMEDOUT_CONNECT, "timed out after 0.2 s");
  for (int i = 0; i < 4; i++) close(fill[i]);
  close(lfd);
}

static void test_cause_timeout_tls(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  /* The scripted server accepts and never answers a ClientHello. */
  snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d/", S.port);
  gale_http_request_init(&req, f->url);
  req.connect_timeout = 0.2;
  expect_cause(f, &req, GALE_ETIMEDOUT_TLS, "handshake timed out");
}

static void test_cause_timeout_head(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_http_request_init(&req, url(f, "/slow-head"));
  req.header_timeout = 0.2;
  expect_cause(f, &req, GALE_ETIMEDOUT_HEADER, "within header_timeout (0.2 s); part of one came");
  gale_http_request_init(&req, url(f, "/hang"));
  req.header_timeout = 0.2;
  expect_cause(f, &req, GALE_ETIMEDOUT_HEADER, "no complete response head within header_timeout");
}

static void test_cause_timeout_body_idle(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_http_request_init(&req, url(f, "/hold-body"));
  req.body_idle_timeout = 0.2;
  expect_cause(f, &req, GALE_ETIMEDOUT_READ, "no body byte for 0.2 s (body_idle_timeout) after 10 body bytes");
  /* Set and not reached: the fetch is unaffected, and the connection that
   * goes back to the pool carries no timer. */
  gale_http_request_init(&req, url(f, "/big-chunked"));
  req.body_idle_timeout = 5;
  req.header_timeout = 5;
  {
    cf_result *r = cf_fetch(f, &req);
    assert_int_equal(r->status, GALE_OK);
    assert_int_equal(r->body_len, 200000);
    free(r);
  }
}

static void test_cause_timeout_request(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_http_request_init(&req, url(f, "/hold-body"));
  req.request_timeout = 0.2;
  expect_cause(f, &req, GALE_ETIMEDOUT_REQUEST, "request timed out after 0.2 s");
}

static void test_cause_tls_failure(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  S.not_tls = true;
  snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d/", S.port);
  gale_http_request_init(&req, f->url);
  r = cf_fetch(f, &req);
  if (r->status > GALE_ETLS || r->status < GALE_ETLS_EXPIRED)
    fail_msg("not a TLS failure: %s (%s)", gale_err_name(r->status), r->error);
  assert_non_null(strstr(r->error, "TLS handshake with 127.0.0.1 failed: "));
  free(r);
}

static void test_cause_parse(void **state) {
  expect_get_cause(*state, "/garbage", GALE_EHTTP_PARSE, "bad response from the server: ");
}

static void test_cause_head_too_large(void **state) {
  expect_get_cause(*state, "/long-line", GALE_EHTTP_HEADER_TOO_LARGE,
                   "response head over max_header_size (65536 bytes)");
}

static void test_cause_body_too_large(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_http_request_init(&req, url(f, "/big"));
  req.max_body_size = 100000;
  expect_cause(f, &req, GALE_EHTTP_BODY_TOO_LARGE, "larger than max_body_size (100000 bytes)");
  gale_http_request_init(&req, url(f, "/big-chunked"));
  req.max_body_size = 150000;
  expect_cause(f, &req, GALE_EHTTP_BODY_TOO_LARGE, "larger than max_body_size (150000 bytes)");
}

static void test_mutated_responses(void **state) {
  client_fx *f = *state;
  static const char *const base[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;e=1\r\nlo\r\n0\r\nT: x\r\n\r\n",
      "HTTP/1.1 302 Found\r\nLocation: /hello\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
  };
  static const char special[] = "\r\n :;0f-+\t\"\x7f\x80";
  /* GALE_FUZZ_N / GALE_FUZZ_SEED run more or other cases by hand. */
  const char *en = getenv("GALE_FUZZ_N"), *es = getenv("GALE_FUZZ_SEED");
  int n = en ? atoi(en) : 400;
  uint32_t seed = es ? (uint32_t)strtoul(es, NULL, 10) : 12345;
  char buf[512];
  int ok = 0, failed = 0, timeouts = 0;
#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff)
  for (int i = 0; i < n; i++) {
    const char *b = base[i % (sizeof base / sizeof base[0])];
    size_t len = strlen(b);
    int edits = 1 + (int)(RND() % 4);
    gale_http_request req;
    cf_result *r;
    memcpy(buf, b, len);
    for (int e = 0; e < edits; e++) {
      size_t at = RND() % len;
      switch (RND() % 4) {
      case 0: buf[at] = special[RND() % (sizeof special - 1)]; break;
      case 1: buf[at] = (char)(RND() & 0xff); break;
      case 2: len = at + 1; break; /* truncate */
      default: /* duplicate a slice */
        if (len + 16 < sizeof buf) {
          memmove(buf + at + 8, buf + at, len - at);
          len += 8;
        }
      }
    }
    S.fuzz = buf;
    S.fuzz_len = len;
    gale_http_request_init(&req, url(f, "/fuzz"));
    req.request_timeout = 2;
    req.max_redirects = 1;
    r = cf_fetch(f, &req);
    if (r->status == GALE_OK) ok++;
    else failed++;
    if (r->status == GALE_ETIMEDOUT_REQUEST) timeouts++;
    free(r);
  }
#undef RND
  print_message("mutated responses: %d fetched, %d failed cleanly (%d timed out)\n", ok, failed,
                timeouts);
  assert_int_equal(ok + failed, n);
  assert_true(failed > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_get_and_reuse, setup, teardown),
      cmocka_unit_test(test_free_client_then_loop),
      cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_retry_reused_closed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_status_is_response, setup, teardown),
      cmocka_unit_test_setup_teardown(test_redirects, setup, teardown),
      cmocka_unit_test_setup_teardown(test_redirect_drops_credentials, setup, teardown),
      cmocka_unit_test_setup_teardown(test_request_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_requests_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
      cmocka_unit_test_setup_teardown(test_parallel, setup, teardown),
      cmocka_unit_test_setup_teardown(test_uploads, setup, teardown),
      cmocka_unit_test_setup_teardown(test_streaming, setup, teardown),
      cmocka_unit_test_setup_teardown(test_free_inside_callback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_future_cancel, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timings, setup, teardown),
      cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_raise_error_callback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_header_callback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_queue_fifo, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hostile_responses, setup, teardown),
      cmocka_unit_test_setup_teardown(test_response_obs_fold, setup, teardown),
      cmocka_unit_test_setup_teardown(test_response_many_headers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_response_trailers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_smuggling, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mid_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_decompression_bomb, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dns_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tls_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_source_address_and_family, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timing_phases, setup, teardown),
      cmocka_unit_test_setup_teardown(test_proxy_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_debug_callback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ipv6_literal, setup, teardown),
      cmocka_unit_test_setup_teardown(test_max_idle_per_host, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mutated_responses, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_reset_before_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_reset_mid_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_reset_mid_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_eof_before_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_eof_mid_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_eof_mid_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_timeout_connect, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_timeout_tls, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_timeout_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_timeout_body_idle, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_timeout_request, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_tls_failure, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_parse, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_head_too_large, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_body_too_large, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
