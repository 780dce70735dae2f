/* SPDX-License-Identifier: MIT */
/* gale_resolver against a real DNS server (dnsmasq on 127.0.0.1 and an
 * ephemeral port, started here), a UDP socket that never answers (timeouts)
 * and a tiny in-test responder (SERVFAIL). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "gale/resolver.h"

/* ---- dnsmasq ------------------------------------------------------------ */

struct dns_server {
  pid_t pid;
  int port;
};

/* One DNS query for `name` (type A) to 127.0.0.1:port; true if any answer
 * came back within `wait` seconds. */
static bool dns_probe(int port, double wait) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  static const unsigned char q[] = {0x12, 0x34, 0x01, 0x00, 0, 1,   0,   0,   0,   0, 0, 0, 5, 'p',
                                    'r',  'o',  'b',  'e',  4, 't', 'e', 's', 't', 0, 0, 1, 0, 1};
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (sendto(fd, q, sizeof q, 0, (struct sockaddr *)&sin, sizeof sin) == (ssize_t)sizeof q) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[512];
    ok = poll(&p, 1, (int)(wait * 1000)) == 1 && recv(fd, buf, sizeof buf, 0) > 0;
  }
  close(fd);
  return ok;
}

/* Starts dnsmasq serving the records every test uses; `ttl` is its
 * --local-ttl.  Waits until it answers a query. */
static void dns_start(struct dns_server *s, int ttl) {
  const char *prog = th_require_program("dnsmasq");
  (void)prog;
  /* big.test: 60 A records, too many for a 512-byte UDP answer: the
   * truncated answer makes c-ares retry over TCP. */
  static char big[60][64];
  for (int i = 0; i < 60; i++)
    snprintf(big[i], sizeof big[i], "--host-record=big.test,10.7.0.%d", i + 1);
  for (int attempt = 0; attempt < 5; attempt++) {
    s->port = th_free_port();
    char port_arg[32], ttl_arg[32];
    snprintf(port_arg, sizeof port_arg, "--port=%d", s->port);
    snprintf(ttl_arg, sizeof ttl_arg, "--local-ttl=%d", ttl);
    const char *argv[] = {"dnsmasq",
                          "--no-daemon",
                          "--no-resolv",
                          "--no-hosts",
                          "--conf-file=/dev/null",
                          "--listen-address=127.0.0.1",
                          "--bind-interfaces",
                          port_arg,
                          ttl_arg,
                          "--neg-ttl=1",
                          "--local=/test/",
                          "--host-record=a.test,10.0.0.1",
                          "--host-record=aaaa.test,fd00::1",
                          "--host-record=both.test,10.0.0.2,fd00::2",
                          "--cname=c1.test,c2.test",
                          "--cname=c2.test,both.test",
                          "--host-record=many.test,10.0.1.1",
                          "--host-record=many.test,10.0.1.2",
                          "--host-record=many.test,10.0.1.3",
                          "--host-record=many.test,fd00::1:1",
                          "--host-record=many.test,fd00::1:2",
                          "--address=/bulk.test/10.9.9.9",
                          NULL};
    const char *all[128];
    size_t n = 0;
    for (; argv[n]; n++) all[n] = argv[n];
    for (int i = 0; i < 60; i++) all[n++] = big[i];
    all[n] = NULL;
    s->pid = th_spawn(all, NULL);
    for (double end = th_now() + 5; th_now() < end;)
      if (dns_probe(s->port, 0.1)) return;
    th_kill(s->pid); /* port taken between th_free_port and bind: retry */
  }
  fail_msg("dnsmasq did not start");
}

static void dns_stop(struct dns_server *s) {
  if (s->pid > 0) th_kill(s->pid);
  s->pid = 0;
}

/* ---- fixtures ----------------------------------------------------------- */

struct fixture {
  gale_loop *loop;
  struct dns_server dns;
  int fds_before;
};

static struct dns_server shared_dns;

static int group_setup(void **state) {
  (void)state;
  if (!th_which("dnsmasq")) return 0; /* tests that need it skip */
  dns_start(&shared_dns, 600);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  dns_stop(&shared_dns);
  return 0;
}

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  f->fds_before = th_count_fds();
  f->loop = gale_loop_new();
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  dns_stop(&f->dns); /* a test's own server, if it failed early */
  gale_loop_free(f->loop);
  assert_int_equal(th_count_fds(), f->fds_before);
  free(f);
  return 0;
}

static char servers_buf[64];
static const char *dns_servers(int port) {
  snprintf(servers_buf, sizeof servers_buf, "127.0.0.1:%d", port);
  return servers_buf;
}

static gale_resolver *make_resolver(struct fixture *f, int port, double timeout, bool cache) {
  if (!th_which("dnsmasq") && port == shared_dns.port) skip();
  gale_resolver_options o;
  gale_resolver_options_init(&o);
  o.servers = dns_servers(port);
  o.timeout = timeout;
  o.tries = 1;
  o.cache = cache;
  gale_resolver *r = NULL;
  assert_int_equal(gale_resolver_new(f->loop, &o, &r), GALE_OK);
  return r;
}

/* ---- one lookup --------------------------------------------------------- */

struct result {
  int calls;
  int status;
  gale_addrinfo_list *list;
  bool returned; /* resolve() has returned: the callback must come after */
  bool reentrant;
};

static void on_result(int status, const gale_addrinfo_list *list, void *arg) {
  struct result *res = arg;
  res->calls++;
  res->status = status;
  if (!res->returned) res->reentrant = true;
  gale_addrinfo_list_free(res->list);
  res->list = list ? gale_addrinfo_list_copy(list) : NULL;
}

static struct result lookup(gale_loop *loop, gale_resolver *r, const char *host, int port,
                            int family) {
  struct result res = {0};
  assert_int_equal(gale_resolver_resolve(r, host, port, family, on_result, &res, NULL), GALE_OK);
  res.returned = true;
  TH_RUN_UNTIL(loop, res.calls > 0, 10);
  assert_int_equal(res.calls, 1);
  assert_false(res.reentrant);
  return res;
}

/* "10.0.0.1,fd00::1" with each address's port checked against `port`. */
static char *list_str(const gale_addrinfo_list *list, int port) {
  static char buf[512];
  buf[0] = '\0';
  for (size_t i = 0; i < gale_addrinfo_list_count(list); i++) {
    char a[INET6_ADDRSTRLEN];
    socklen_t len;
    const struct sockaddr *sa = gale_addrinfo_list_get(list, i, &len);
    int p = sa->sa_family == AF_INET ? ntohs(((const struct sockaddr_in *)sa)->sin_port)
                                     : ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    assert_int_equal(p, port);
    assert_non_null(gale_addrinfo_list_ntop(list, i, a, sizeof a));
    if (i) strcat(buf, ",");
    strcat(buf, a);
  }
  return buf;
}

static void expect(gale_loop *loop, gale_resolver *r, const char *host, int family, int status,
                   const char *addrs) {
  struct result res = lookup(loop, r, host, 8080, family);
  if (res.status != status)
    fail_msg("%s: expected %s, got %s", host, gale_err_name(status), gale_err_name(res.status));
  if (status == GALE_OK)
    assert_string_equal(list_str(res.list, 8080), addrs);
  else
    assert_null(res.list);
  gale_addrinfo_list_free(res.list);
}

/* ---- tests -------------------------------------------------------------- */

static void test_records(void **state) {
  struct fixture *f = *state;
  gale_resolver *r = make_resolver(f, shared_dns.port, 5, false);
  expect(f->loop, r, "a.test", AF_UNSPEC, GALE_OK, "10.0.0.1");
  expect(f->loop, r, "a.test", AF_INET, GALE_OK, "10.0.0.1");
  expect(f->loop, r, "A.Test.", AF_INET, GALE_OK, "10.0.0.1");
  expect(f->loop, r, "a.test", AF_INET6, GALE_EDNS_NODATA, NULL);
  expect(f->loop, r, "aaaa.test", AF_UNSPEC, GALE_OK, "fd00::1");
  expect(f->loop, r, "aaaa.test", AF_INET6, GALE_OK, "fd00::1");
  expect(f->loop, r, "aaaa.test", AF_INET, GALE_EDNS_NODATA, NULL);
  /* Both families: IPv6 first, then interleaved (RFC 8305 §4). */
  expect(f->loop, r, "both.test", AF_UNSPEC, GALE_OK, "fd00::2,10.0.0.2");
  expect(f->loop, r, "both.test", AF_INET, GALE_OK, "10.0.0.2");
  expect(f->loop, r, "c1.test", AF_UNSPEC, GALE_OK, "fd00::2,10.0.0.2");
  expect(f->loop, r, "c1.test", AF_INET6, GALE_OK, "fd00::2");
  /* dnsmasq rotates the records: check the family pattern and the set. */
  struct result res = lookup(f->loop, r, "many.test", 8080, AF_UNSPEC);
  assert_int_equal(res.status, GALE_OK);
  assert_int_equal(gale_addrinfo_list_count(res.list), 5);
  const int fam[] = {AF_INET6, AF_INET, AF_INET6, AF_INET, AF_INET};
  for (size_t i = 0; i < 5; i++) assert_int_equal(gale_addrinfo_list_family(res.list, i), fam[i]);
  const char *all = list_str(res.list, 8080);
  const char *want[] = {"10.0.1.1", "10.0.1.2", "10.0.1.3", "fd00::1:1", "fd00::1:2"};
  for (size_t i = 0; i < 5; i++) assert_non_null(strstr(all, want[i]));
  gale_addrinfo_list_free(res.list);
  expect(f->loop, r, "nx.test", AF_UNSPEC, GALE_EDNS_NXDOMAIN, NULL);
  expect(f->loop, r, "nx.test", AF_INET, GALE_EDNS_NXDOMAIN, NULL);
  /* Truncated over UDP, retried over TCP. */
  res = lookup(f->loop, r, "big.test", 8080, AF_INET);
  assert_int_equal(res.status, GALE_OK);
  assert_int_equal(gale_addrinfo_list_count(res.list), 60);
  gale_addrinfo_list_free(res.list);
  /* dnsmasq refuses names outside its local domain (no upstream). */
  expect(f->loop, r, "x.other", AF_INET, GALE_EDNS_REFUSED, NULL);
  gale_resolver_free(r);
}

static void test_bad_input(void **state) {
  struct fixture *f = *state;
  gale_resolver *r = make_resolver(f, shared_dns.port, 5, false);
  struct result res = {0};
  char longname[300];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  char longlabel[80];
  memset(longlabel, 'b', sizeof longlabel - 1);
  longlabel[sizeof longlabel - 1] = '\0';
  const char *bad[] = {"",     ".",     "a..b",   ".a",      "a b",       "a\tb",
                       "a\nb", "a\x7f", longname, longlabel, "[1.2.3.4]", "[nothex]"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(gale_resolver_resolve(r, bad[i], 80, AF_UNSPEC, on_result, &res, NULL),
                     GALE_EDNS_BADNAME);
  assert_int_equal(gale_resolver_resolve(r, "a.test", -1, AF_UNSPEC, on_result, &res, NULL),
                   GALE_EINVAL);
  assert_int_equal(gale_resolver_resolve(r, "a.test", 65536, AF_UNSPEC, on_result, &res, NULL),
                   GALE_EINVAL);
  assert_int_equal(gale_resolver_resolve(r, "a.test", 80, AF_UNIX, on_result, &res, NULL),
                   GALE_EINVAL);
  assert_int_equal(gale_resolver_resolve(r, NULL, 80, AF_UNSPEC, on_result, &res, NULL),
                   GALE_EINVAL);
  assert_int_equal(gale_resolver_resolve(r, "a.test", 80, AF_UNSPEC, NULL, &res, NULL),
                   GALE_EINVAL);
  assert_int_equal(res.calls, 0);
  assert_int_equal(gale_resolver_add_override(r, "x.test", 0, "not-an-ip"), GALE_EINVAL);
  assert_int_equal(gale_resolver_add_override(r, "x.test", 0, ""), GALE_EINVAL);
  assert_int_equal(gale_resolver_add_override(r, "x.test", 70000, "1.2.3.4"), GALE_EINVAL);
  assert_int_equal(gale_resolver_add_override(r, "", 0, "1.2.3.4"), GALE_EINVAL);
  /* A 63-character label and a 253-character name are fine. */
  char ok63[64];
  memset(ok63, 'c', 63);
  ok63[63] = '\0';
  expect(f->loop, r, ok63, AF_INET, GALE_EDNS_REFUSED, NULL);
  gale_resolver_free(r);

  gale_resolver_options o;
  gale_resolver_options_init(&o);
  o.servers = "";
  assert_int_equal(gale_resolver_new(f->loop, &o, &r), GALE_EINVAL);
  o.servers = "not an address";
  assert_int_equal(gale_resolver_new(f->loop, &o, &r), GALE_EINVAL);
  o.servers = NULL;
  o.timeout = 0;
  assert_int_equal(gale_resolver_new(f->loop, &o, &r), GALE_EINVAL);
  o.timeout = 1;
  o.tries = 0;
  assert_int_equal(gale_resolver_new(f->loop, &o, &r), GALE_EINVAL);
  assert_int_equal(gale_resolver_new(NULL, NULL, &r), GALE_EINVAL);
}

/* A UDP socket that receives queries and never answers. */
static int silent_server(int *port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sin = {.sin_family = AF_INET};
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
  socklen_t len = sizeof sin;
  getsockname(fd, (struct sockaddr *)&sin, &len);
  *port = ntohs(sin.sin_port);
  return fd;
}

static void test_timeout(void **state) {
  struct fixture *f = *state;
  int port;
  int fd = silent_server(&port);
  gale_resolver *r = make_resolver(f, port, 0.2, false);
  double t0 = th_now();
  expect(f->loop, r, "a.test", AF_UNSPEC, GALE_ETIMEDOUT_DNS, NULL);
  assert_true(th_now() - t0 >= 0.15);
  gale_resolver_free(r);
  close(fd);
}

/* Answers every query with `rcode` and no records. */
static void answer_cb(gale_watcher *w, int fd, int events, void *arg) {
  int rcode = *(int *)arg;
  (void)w;
  (void)events;
  unsigned char buf[512];
  struct sockaddr_storage from;
  socklen_t len = sizeof from;
  ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
  if (n < 12) return;
  if (rcode < 0) { /* hostile: a short datagram, then a wrong ID, then junk */
    sendto(fd, "\x12\x34\x81", 3, 0, (struct sockaddr *)&from, len);
    buf[0] ^= 0xff;
    sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
    memset(buf + 2, 0xff, (size_t)n - 2);
    buf[0] ^= 0xff;
    sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
    return;
  }
  buf[2] |= 0x80;                                    /* QR */
  buf[3] = (unsigned char)((buf[3] & 0xf0) | rcode); /* RCODE */
  memset(buf + 6, 0, 6);                             /* no records */
  sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
}

static void test_servfail(void **state) {
  struct fixture *f = *state;
  int port;
  int fd = silent_server(&port);
  int rcode = 2;
  gale_watcher *w;
  assert_int_equal(gale_watcher_new(f->loop, fd, GALE_READ, answer_cb, &rcode, &w), GALE_OK);
  gale_resolver *r = make_resolver(f, port, 5, false);
  expect(f->loop, r, "a.test", AF_INET, GALE_EDNS_SERVFAIL, NULL);
  rcode = 5;
  expect(f->loop, r, "a.test", AF_INET, GALE_EDNS_REFUSED, NULL);
  rcode = 3;
  expect(f->loop, r, "a.test", AF_UNSPEC, GALE_EDNS_NXDOMAIN, NULL);
  rcode = 0; /* NOERROR without records: no data */
  expect(f->loop, r, "a.test", AF_UNSPEC, GALE_EDNS_NODATA, NULL);
  gale_resolver_free(r);
  /* With several servers, SERVFAIL and REFUSED move on to the next. */
  if (th_which("dnsmasq")) {
    gale_resolver_options o;
    gale_resolver_options_init(&o);
    char servers[128];
    snprintf(servers, sizeof servers, "127.0.0.1:%d,127.0.0.1:%d", port, shared_dns.port);
    o.servers = servers;
    o.timeout = 5;
    o.tries = 1;
    assert_int_equal(gale_resolver_new(f->loop, &o, &r), GALE_OK);
    rcode = 2;
    expect(f->loop, r, "a.test", AF_INET, GALE_OK, "10.0.0.1");
    rcode = 5;
    expect(f->loop, r, "both.test", AF_INET, GALE_OK, "10.0.0.2");
    /* Refused by both: reported as refused. */
    expect(f->loop, r, "x.other", AF_INET, GALE_EDNS_REFUSED, NULL);
    gale_resolver_free(r);
  }
  /* Garbage is ignored or rejected, never trusted: the lookup fails. */
  rcode = -1;
  r = make_resolver(f, port, 0.3, false);
  struct result res = lookup(f->loop, r, "a.test", 80, AF_INET);
  assert_true(res.status == GALE_ETIMEDOUT_DNS || res.status == GALE_EDNS);
  gale_resolver_free(r);
  gale_watcher_free(w);
  close(fd);
}

struct bulk {
  int done, ok;
};

static void on_bulk(int status, const gale_addrinfo_list *list, void *arg) {
  struct bulk *b = arg;
  b->done++;
  char a[64];
  if (status == GALE_OK && gale_addrinfo_list_count(list) == 1 &&
      strcmp(gale_addrinfo_list_ntop(list, 0, a, sizeof a), "10.9.9.9") == 0)
    b->ok++;
}

static void test_concurrent(void **state) {
  struct fixture *f = *state;
  if (!th_which("dnsmasq")) skip();
  /* Retries make a datagram lost on a loaded machine a delay, not a
   * failure. */
  gale_resolver_options o;
  gale_resolver_options_init(&o);
  o.servers = dns_servers(shared_dns.port);
  o.timeout = 1;
  o.tries = 4;
  gale_resolver *r;
  assert_int_equal(gale_resolver_new(f->loop, &o, &r), GALE_OK);
  struct bulk b = {0};
  for (int i = 0; i < 1000; i++) {
    char name[64];
    snprintf(name, sizeof name, "n%d.bulk.test", i);
    assert_int_equal(gale_resolver_resolve(r, name, 80, AF_INET, on_bulk, &b, NULL), GALE_OK);
  }
  assert_int_equal(b.done, 0);
  TH_RUN_UNTIL(f->loop, b.done == 1000, 20);
  assert_int_equal(b.ok, 1000);
  gale_resolver_free(r);
}

static void never_called(int status, const gale_addrinfo_list *list, void *arg) {
  (void)status;
  (void)list;
  (void)arg;
  fail_msg("callback of a cancelled query ran");
}

static void test_cancel(void **state) {
  struct fixture *f = *state;
  gale_resolver *r = make_resolver(f, shared_dns.port, 5, false);
  /* In flight at the DNS server, then cancelled: the answer is dropped. */
  gale_resolve_query *q;
  assert_int_equal(gale_resolver_resolve(r, "a.test", 80, AF_UNSPEC, never_called, NULL, &q),
                   GALE_OK);
  assert_int_equal(gale_resolver_cancel(q), GALE_OK);
  /* Answered at once (numeric), cancelled before delivery. */
  assert_int_equal(gale_resolver_resolve(r, "1.2.3.4", 80, AF_UNSPEC, never_called, NULL, &q),
                   GALE_OK);
  assert_int_equal(gale_resolver_cancel(q), GALE_OK);
  /* A later query still works, and completes after the cancelled ones. */
  expect(f->loop, r, "both.test", AF_UNSPEC, GALE_OK, "fd00::2,10.0.0.2");
  gale_resolver_free(r);

  /* Cancelled at a server that never answers, then the resolver freed. */
  int port;
  int fd = silent_server(&port);
  r = make_resolver(f, port, 5, false);
  assert_int_equal(gale_resolver_resolve(r, "a.test", 80, AF_UNSPEC, never_called, NULL, &q),
                   GALE_OK);
  th_run_for(f->loop, 0.05);
  assert_int_equal(gale_resolver_cancel(q), GALE_OK);
  gale_resolver_free(r);
  close(fd);
}

static void test_free_in_flight(void **state) {
  struct fixture *f = *state;
  int port;
  int fd = silent_server(&port);
  gale_resolver *r = make_resolver(f, port, 5, false);
  struct result res[10] = {{0}};
  for (int i = 0; i < 10; i++)
    assert_int_equal(gale_resolver_resolve(r, i % 2 ? "a.test" : "127.0.0.1", 80, AF_UNSPEC,
                                           on_result, &res[i], NULL),
                     GALE_OK);
  th_run_for(f->loop, 0.05); /* numeric ones may be delivered: either way */
  int before = 0;
  for (int i = 0; i < 10; i++) before += res[i].calls;
  gale_resolver_free(r);
  for (int i = 0; i < 10; i++) {
    assert_int_equal(res[i].calls, 1);
    if (i % 2) assert_int_equal(res[i].status, GALE_ECANCELLED);
    gale_addrinfo_list_free(res[i].list);
  }
  assert_true(before <= 5);
  th_run_for(f->loop, 0.05); /* nothing left scheduled that touches r */
  close(fd);
}

/* Re-entrancy: free the resolver from inside a callback while other
 * queries are ready; cancel a sibling from inside a callback. */
struct reentry {
  gale_resolver *r;
  gale_resolve_query *sibling;
  int calls, cancelled;
};

static void free_from_cb(int status, const gale_addrinfo_list *list, void *arg) {
  struct reentry *e = arg;
  (void)list;
  e->calls++;
  if (status == GALE_ECANCELLED) {
    e->cancelled++;
    return;
  }
  if (e->sibling) {
    assert_int_equal(gale_resolver_cancel(e->sibling), GALE_OK);
    e->sibling = NULL;
    return;
  }
  gale_resolver_free(e->r);
  /* Starting a query on a resolver being freed is refused. */
}

static void test_reentrant(void **state) {
  struct fixture *f = *state;
  gale_resolver *r = make_resolver(f, shared_dns.port, 5, false);
  struct reentry e = {.r = r};
  gale_resolve_query *q1;
  assert_int_equal(gale_resolver_resolve(r, "10.0.0.1", 80, AF_UNSPEC, free_from_cb, &e, &q1),
                   GALE_OK);
  assert_int_equal(
      gale_resolver_resolve(r, "10.0.0.2", 80, AF_UNSPEC, free_from_cb, &e, &e.sibling), GALE_OK);
  gale_resolve_query *q3;
  assert_int_equal(gale_resolver_resolve(r, "10.0.0.3", 80, AF_UNSPEC, free_from_cb, &e, &q3),
                   GALE_OK);
  assert_int_equal(gale_resolver_resolve(r, "a.test", 80, AF_UNSPEC, free_from_cb, &e, NULL),
                   GALE_OK);
  /* q1 cancels the sibling, q3 frees the resolver, a.test is cancelled. */
  TH_RUN_UNTIL(f->loop, e.calls == 3, 5);
  assert_int_equal(e.cancelled, 1);
  th_run_for(f->loop, 0.05);
  assert_int_equal(e.calls, 3);
}

/* The first IPv4 entry of /etc/hosts that is not localhost and is a
 * single-label or dotted name. */
static bool hosts_entry(char *name, char *addr) {
  char *text = th_read_file("/etc/hosts", NULL);
  if (!text) return false;
  bool found = false;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line && !found;
       line = strtok_r(NULL, "\n", &save)) {
    char a[64], n[256];
    struct in_addr in;
    if (line[0] == '#' || sscanf(line, "%63s %255s", a, n) != 2) continue;
    if (inet_pton(AF_INET, a, &in) != 1 || strcmp(n, "localhost") == 0) continue;
    strcpy(name, n);
    strcpy(addr, a);
    found = true;
  }
  free(text);
  return found;
}

static void test_numeric(void **state) {
  struct fixture *f = *state;
  int port;
  int fd = silent_server(&port); /* no DNS answers: numeric needs none */
  gale_resolver *r = make_resolver(f, port, 5, false);
  expect(f->loop, r, "127.0.0.1", AF_UNSPEC, GALE_OK, "127.0.0.1");
  expect(f->loop, r, "127.0.0.1", AF_INET, GALE_OK, "127.0.0.1");
  expect(f->loop, r, "::1", AF_UNSPEC, GALE_OK, "::1");
  expect(f->loop, r, "[::1]", AF_INET6, GALE_OK, "::1");
  expect(f->loop, r, "::1", AF_INET, GALE_EDNS_NODATA, NULL);
  expect(f->loop, r, "10.1.2.3", AF_INET6, GALE_EDNS_NODATA, NULL);
  /* localhost: loopback, no DNS. */
  expect(f->loop, r, "localhost", AF_INET, GALE_OK, "127.0.0.1");
  expect(f->loop, r, "localhost", AF_INET6, GALE_OK, "::1");
  expect(f->loop, r, "LocalHost.", AF_UNSPEC, GALE_OK, "127.0.0.1,::1");
  /* A name from /etc/hosts (whatever this machine lists), no DNS. */
  char name[256], addr[64];
  if (hosts_entry(name, addr)) expect(f->loop, r, name, AF_INET, GALE_OK, addr);
  gale_resolver_free(r);
  close(fd);
}

static void test_override(void **state) {
  struct fixture *f = *state;
  gale_resolver *r = make_resolver(f, shared_dns.port, 5, false);
  assert_int_equal(gale_resolver_add_override(r, "a.test", 0, "127.0.0.9"), GALE_OK);
  assert_int_equal(gale_resolver_add_override(r, "dual.example", 0, "127.0.0.1, ::1"), GALE_OK);
  assert_int_equal(gale_resolver_add_override(r, "port.example", 443, "10.4.4.3"), GALE_OK);
  assert_int_equal(gale_resolver_add_override(r, "port.example", 0, "10.4.4.0"), GALE_OK);
  expect(f->loop, r, "A.TEST", AF_UNSPEC, GALE_OK, "127.0.0.9");
  expect(f->loop, r, "dual.example", AF_UNSPEC, GALE_OK, "127.0.0.1,::1");
  expect(f->loop, r, "dual.example", AF_INET6, GALE_OK, "::1");
  expect(f->loop, r, "port.example", AF_UNSPEC, GALE_OK, "10.4.4.0"); /* port 8080 */
  struct result res = lookup(f->loop, r, "port.example", 443, AF_UNSPEC);
  assert_int_equal(res.status, GALE_OK);
  assert_string_equal(list_str(res.list, 443), "10.4.4.3");
  gale_addrinfo_list_free(res.list);
  /* Replacing an entry. */
  assert_int_equal(gale_resolver_add_override(r, "a.test", 0, "127.0.0.10"), GALE_OK);
  expect(f->loop, r, "a.test", AF_UNSPEC, GALE_OK, "127.0.0.10");
  expect(f->loop, r, "a.test", AF_INET6, GALE_EDNS_NODATA, NULL);
  gale_resolver_free(r);
}

static void test_getaddrinfo_fallback(void **state) {
  struct fixture *f = *state;
  gale_resolver_options o;
  gale_resolver_options_init(&o);
  o.use_getaddrinfo = true;
  gale_resolver *r;
  assert_int_equal(gale_resolver_new(f->loop, &o, &r), GALE_OK);
  expect(f->loop, r, "localhost", AF_INET, GALE_OK, "127.0.0.1");
  expect(f->loop, r, "127.0.0.2", AF_UNSPEC, GALE_OK, "127.0.0.2");
  /* Freed while a getaddrinfo is running in the executor. */
  struct result res = {0};
  assert_int_equal(gale_resolver_resolve(r, "localhost", 80, AF_INET, on_result, &res, NULL),
                   GALE_OK);
  gale_resolver_free(r);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, GALE_ECANCELLED);
  /* Let the executor job finish: it releases the query. */
  th_run_for(f->loop, 0.3);
  assert_int_equal(res.calls, 1);
}

static void test_cache(void **state) {
  struct fixture *f = *state;
  struct dns_server *dns = &f->dns;
  dns_start(dns, 1); /* answers live 1 s */
  gale_resolver_options o;
  gale_resolver_options_init(&o);
  o.servers = dns_servers(dns->port);
  o.timeout = 0.3;
  o.tries = 1;
  o.cache = true;
  o.negative_ttl = 1;
  gale_resolver *r;
  assert_int_equal(gale_resolver_new(f->loop, &o, &r), GALE_OK);
  expect(f->loop, r, "a.test", AF_INET, GALE_OK, "10.0.0.1");
  expect(f->loop, r, "nx.test", AF_INET, GALE_EDNS_NXDOMAIN, NULL);
  double t0 = gale_loop_time(f->loop);
  dns_stop(dns);
  /* Served from the cache with the server gone. */
  expect(f->loop, r, "A.TEST.", AF_INET, GALE_OK, "10.0.0.1");
  expect(f->loop, r, "nx.test", AF_INET, GALE_EDNS_NXDOMAIN, NULL);
  /* A different family is a different entry. */
  struct result res = lookup(f->loop, r, "a.test", 80, AF_INET6);
  assert_true(res.status != GALE_OK && res.status != GALE_EDNS_NODATA);
  /* Past the TTL the entries expire and the dead server is asked. */
  TH_RUN_UNTIL(f->loop, gale_loop_time(f->loop) > t0 + 1.1, 5);
  res = lookup(f->loop, r, "a.test", 80, AF_INET);
  assert_true(res.status == GALE_EDNS_REFUSED || res.status == GALE_ETIMEDOUT_DNS);
  res = lookup(f->loop, r, "nx.test", 80, AF_INET);
  assert_true(res.status == GALE_EDNS_REFUSED || res.status == GALE_ETIMEDOUT_DNS);
  gale_resolver_free(r);
}

static void test_future(void **state) {
  struct fixture *f = *state;
  gale_resolver *r = make_resolver(f, shared_dns.port, 5, false);
  gale_future *fut = gale_resolver_resolve_future(r, "both.test", 443, AF_INET);
  assert_non_null(fut);
  assert_int_equal(gale_loop_run_until_complete(f->loop, fut, 10), GALE_OK);
  assert_int_equal(gale_future_status(fut), GALE_OK);
  const gale_addrinfo_list *list = gale_future_result(fut);
  assert_string_equal(list_str(list, 443), "10.0.0.2");
  gale_future_unref(fut);

  fut = gale_resolver_resolve_future(r, "nx.test", 443, AF_INET);
  assert_int_equal(gale_loop_run_until_complete(f->loop, fut, 10), GALE_OK);
  assert_int_equal(gale_future_status(fut), GALE_EDNS_NXDOMAIN);
  gale_future_unref(fut);

  assert_null(gale_resolver_resolve_future(r, "", 443, AF_INET));

  fut = gale_resolver_resolve_future(r, "a.test", 443, AF_INET);
  assert_true(gale_future_cancel(fut));
  assert_int_equal(gale_future_status(fut), GALE_ECANCELLED);
  th_run_for(f->loop, 0.1);
  gale_future_unref(fut);

  /* Dropping the caller's reference early is fine. */
  fut = gale_resolver_resolve_future(r, "a.test", 443, AF_INET);
  gale_future_unref(fut);
  th_run_for(f->loop, 0.1);
  gale_resolver_free(r);
}

int main(void) {
  if (getenv("GALE_TEST_FILTER")) cmocka_set_test_filter(getenv("GALE_TEST_FILTER"));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_records, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_servfail, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
      cmocka_unit_test_setup_teardown(test_free_in_flight, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reentrant, setup, teardown),
      cmocka_unit_test_setup_teardown(test_numeric, setup, teardown),
      cmocka_unit_test_setup_teardown(test_override, setup, teardown),
      cmocka_unit_test_setup_teardown(test_getaddrinfo_fallback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
      cmocka_unit_test_setup_teardown(test_future, setup, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
