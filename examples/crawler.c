/* SPDX-License-Identifier: MIT */
/* examples/crawler.c — Tornado's webspider demo in C: worker coroutines
 * take URLs from a gale_queue, fetch them with the HTTP client, and put
 * back the links they find, until the queue's join says every URL is done.
 *
 *   crawler [-d DEPTH] URL [WORKERS]     e.g.  crawler http://127.0.0.1:8000/ 10
 *
 * Only links (href="...") of HTML pages are followed, only within the
 * start URL's origin (scheme, host and port), and at most DEPTH links away
 * from it (default 5).  Each URL is fetched once (a set of seen URLs, the
 * fragment dropped); a redirect is followed like a link, at the same depth.
 * Every fetch prints one line on stdout: the status
 * code and the URL ("200 http://.../a.html", "404 http://.../gone"), or
 * "ERR URL (reason)" when no answer came.  A summary goes to stderr.  Exit
 * status 0 when the start URL answered 2xx, else 1.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gale.h>

/* ---- the set of URLs seen (a small chained hash set) ---------------------- */

struct seen {
  char **slots;
  size_t n, cap; /* cap: a power of two */
};

static size_t hash(const char *s) {
  size_t h = 1469598103934665603u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

/* Adds `url` (copied); false when it was already there or out of memory. */
static bool seen_add(struct seen *set, const char *url) {
  if (2 * (set->n + 1) > set->cap) {
    size_t cap = set->cap ? 2 * set->cap : 64;
    char **slots = calloc(cap, sizeof *slots);
    if (!slots) return false;
    for (size_t i = 0; i < set->cap; i++) {
      if (!set->slots[i]) continue;
      size_t j = hash(set->slots[i]) & (cap - 1);
      while (slots[j]) j = (j + 1) & (cap - 1);
      slots[j] = set->slots[i];
    }
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
  }
  size_t j = hash(url) & (set->cap - 1);
  for (; set->slots[j]; j = (j + 1) & (set->cap - 1))
    if (strcmp(set->slots[j], url) == 0) return false;
  if (!(set->slots[j] = strdup(url))) return false;
  set->n++;
  return true;
}

static void seen_free(struct seen *set) {
  for (size_t i = 0; i < set->cap; i++) free(set->slots[i]);
  free(set->slots);
}

/* ---- the crawl ------------------------------------------------------------- */

struct job {
  char *url;
  int depth; /* links away from the start URL */
};

static void job_free(void *p) {
  struct job *j = p;
  if (j) free(j->url);
  free(j);
}

struct crawl {
  gale_loop *loop;
  gale_http_client *client;
  gale_queue *queue;
  gale_url *origin; /* the start URL, parsed */
  struct seen seen;
  int max_depth;
  int running; /* workers not yet returned */
  int fetched;
  int first_code; /* the start URL's answer */
};

static bool same_origin(const gale_url *a, const gale_url *b) {
  return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 && a->port == b->port;
}

/* Queues `url` (taken) at `depth` unless seen, too deep, or elsewhere. */
static void enqueue(struct crawl *c, char *url, int depth) {
  char *hash_mark = strchr(url, '#');
  if (hash_mark) *hash_mark = '\0';
  gale_url *u = NULL;
  bool ok = depth <= c->max_depth && gale_url_parse(url, strlen(url), &u) == GALE_OK &&
            same_origin(u, c->origin) && seen_add(&c->seen, url);
  gale_url_free(u);
  struct job *j = ok ? malloc(sizeof *j) : NULL;
  if (!j) {
    free(url);
    return;
  }
  j->url = url;
  j->depth = depth;
  if (gale_queue_put_nowait(c->queue, j) != GALE_OK) job_free(j); /* unbounded: never full */
}

/* Finds href="..." (or '...', or unquoted) values in an HTML body and
 * queues each, resolved against the page's URL. */
static void follow_links(struct crawl *c, const char *base, const char *html, size_t len,
                         int depth) {
  for (size_t i = 0; i + 4 < len; i++) {
    if (strncasecmp(html + i, "href", 4) != 0) continue;
    size_t k = i + 4;
    while (k < len && isspace((unsigned char)html[k])) k++;
    if (k >= len || html[k] != '=') continue;
    k++;
    while (k < len && isspace((unsigned char)html[k])) k++;
    char quote = k < len && (html[k] == '"' || html[k] == '\'') ? html[k++] : 0;
    size_t start = k;
    while (k < len &&
           (quote ? html[k] != quote : !isspace((unsigned char)html[k]) && html[k] != '>'))
      k++;
    char ref[2048];
    if (k - start >= sizeof ref) continue;
    /* The one entity common in links: &amp; */
    size_t n = 0;
    for (size_t p = start; p < k; p++) {
      ref[n++] = html[p];
      if (html[p] == '&' && k - p >= 5 && memcmp(html + p, "&amp;", 5) == 0) p += 4;
    }
    ref[n] = '\0';
    char *url;
    if (gale_url_resolve(base, ref, &url) == GALE_OK) enqueue(c, url, depth + 1);
    i = k;
  }
}

static bool is_html(const gale_http_response *r) {
  const char *type = gale_http_response_header(r, "Content-Type");
  return type && strncasecmp(type, "text/html", 9) == 0;
}

static void fetch_one(struct crawl *c, const struct job *j) {
  gale_http_request req;
  gale_http_request_init(&req, j->url);
  req.request_timeout = 10;
  req.follow_redirects = false; /* a redirect is a link: it must stay in the origin too */
  gale_future *f = gale_http_client_fetch_future(c->client, &req);
  int st = f ? gale_await(f) : GALE_ENOMEM;
  const gale_http_response *r = st == GALE_OK ? gale_future_result(f) : NULL;
  if (r) {
    printf("%d %s\n", r->code, j->url);
    const char *location = gale_http_response_header(r, "Location");
    char *target;
    if (r->code / 100 == 2 && is_html(r))
      follow_links(c, r->effective_url, r->body, r->body_len, j->depth);
    else if (r->code / 100 == 3 && location &&
             gale_url_resolve(j->url, location, &target) == GALE_OK)
      enqueue(c, target, j->depth); /* the same page, elsewhere: no deeper */
  } else if (st != GALE_ECANCELLED) {
    printf("ERR %s (%s)\n", j->url, gale_strerror(st));
  } else {
    gale_future_cancel(f); /* we are being stopped: stop the fetch too */
  }
  if (j->depth == 0) c->first_code = r ? r->code : 0;
  c->fetched++;
  gale_future_unref(f);
}

/* One worker: take a URL, fetch it, queue its links, mark it done; until
 * cancelled. */
static int worker(void *arg) {
  struct crawl *c = arg;
  for (;;) {
    gale_future *f = gale_queue_get(c->queue, GALE_FOREVER);
    int st = f ? gale_await(f) : GALE_ENOMEM;
    if (st != GALE_OK) {
      gale_future_cancel(f); /* leaves no get waiting */
      gale_future_unref(f);
      c->running--;
      return st == GALE_ECANCELLED ? GALE_OK : st;
    }
    struct job *j = gale_future_steal_result(f);
    gale_future_unref(f);
    fetch_one(c, j);
    job_free(j);
    gale_queue_task_done(c->queue); /* after its links were queued */
  }
}

static int usage(const char *prog) {
  fprintf(stderr, "usage: %s [-d DEPTH] URL [WORKERS]\n", prog);
  return 2;
}

int main(int argc, char **argv) {
  int max_depth = 5, opt;
  while ((opt = getopt(argc, argv, "d:")) != -1) {
    char *end;
    if (opt != 'd') return usage(argv[0]);
    max_depth = (int)strtol(optarg, &end, 10);
    if (*end || max_depth < 0 || max_depth > 1000) return usage(argv[0]);
  }
  if (optind >= argc || argc - optind > 2) return usage(argv[0]);
  char *end;
  long workers = argc - optind == 2 ? strtol(argv[optind + 1], &end, 10) : 10;
  if ((argc - optind == 2 && *end) || workers < 1 || workers > 1000) return usage(argv[0]);

  struct crawl c = {.max_depth = max_depth};
  if (gale_url_parse(argv[optind], strlen(argv[optind]), &c.origin) != GALE_OK || !c.origin->host) {
    fprintf(stderr, "%s: not an absolute http(s) URL\n", argv[optind]);
    gale_url_free(c.origin);
    return 2;
  }
  c.loop = gale_loop_new();
  if (!c.loop || gale_http_client_new(c.loop, NULL, &c.client) != GALE_OK ||
      !(c.queue = gale_queue_new(c.loop, 0, job_free))) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  double start = gale_loop_time(c.loop);
  char *first = strdup(argv[optind]);
  if (first) enqueue(&c, first, 0);

  gale_future **w = calloc((size_t)workers, sizeof *w);
  for (long i = 0; w && i < workers; i++)
    if ((w[i] = gale_coro_spawn(c.loop, worker, &c, NULL))) c.running++;
  gale_future *all_done = gale_queue_join(c.queue, GALE_FOREVER);
  gale_loop_run_until_complete(c.loop, all_done, 0); /* every URL fetched */
  gale_future_unref(all_done);

  /* The workers wait on an empty queue: cancel them (their futures are
   * done at once) and run the loop until each has returned. */
  for (long i = 0; w && i < workers; i++) {
    gale_future_cancel(w[i]);
    gale_future_unref(w[i]);
  }
  while (c.running > 0) gale_loop_run_once(c.loop, 0.1);
  fprintf(stderr, "Done in %.2f seconds, fetched %d URLs.\n", gale_loop_time(c.loop) - start,
          c.fetched);
  free(w);
  gale_queue_free(c.queue);
  gale_http_client_free(c.client);
  gale_url_free(c.origin);
  seen_free(&c.seen);
  gale_loop_free(c.loop);
  return c.first_code / 100 == 2 ? 0 : 1;
}
