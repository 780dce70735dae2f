/* SPDX-License-Identifier: MIT */
/* gale fetch --retry: curl's rules.  A try that failed transiently (a
 * timeout, HTTP 408, 429, 500, 502, 503 or 504; a refused connection with
 * --retry-connrefused; anything with --retry-all-errors) runs again after
 * a delay: --retry-delay, else the server's Retry-After, else 1 s doubling
 * up to 10 minutes; none once --retry-max-time has passed. */
#include "fetch.h"

#include <stdlib.h>
#include <string.h>

#define MAX_BACKOFF 600.0

static bool transient_http(int code) {
  return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504;
}

/* Why a try is worth retrying, for the warning; NULL when it is not. */
static const char *retry_reason(const fetch_cli *c, const gale_http_response *r, int code) {
  if (code == CLI_EXIT_WRITE || code == CLI_EXIT_USAGE || code == CLI_EXIT_NOMEM) return NULL;
  if (code == CLI_EXIT_TIMEOUT) return "timeout";
  if (r->status == GALE_OK && transient_http(r->code)) return "HTTP error";
  if (code == CLI_EXIT_HTTP_ERROR && transient_http(r->code)) return "HTTP error";
  if (code == CLI_EXIT_CONNECT && c->retry_connrefused) return "connection refused";
  if (c->retry_all_errors && code) return "retrying all errors";
  return NULL;
}

/* Retry-After as seconds (an HTTP date is taken relative to now); -1 if
 * absent or malformed. */
static double retry_after(const gale_http_response *r) {
  const char *v = r->code ? gale_http_response_header(r, "Retry-After") : NULL;
  char *end;
  double s;
  time_t when;
  if (!v) return -1;
  s = strtod(v, &end);
  if (end != v && *end == '\0' && s >= 0) return s;
  if (gale_http_date_parse(v, strlen(v), &when) == GALE_OK) {
    double d = difftime(when, time(NULL));
    return d > 0 ? d : 0;
  }
  return -1;
}

static void retry_now(gale_loop *loop, void *arg) {
  transfer *t = arg;
  fetch_cli *c = t->cli;
  int st;
  (void)loop;
  st = fetch_start_transfer(c, t);
  if (st != GALE_OK) {
    if (!c->silent || c->show_error) fprintf(stderr, "gale: cannot retry %s\n", t->url);
    c->exit_code = CLI_EXIT_FAILED;
    fetch_transfer_ended(c);
  }
}

bool fetch_retry_schedule(transfer *t, const gale_http_response *r, int code) {
  fetch_cli *c = t->cli;
  const char *why;
  double delay, ra;
  if (t->retries_left <= 0 || !(why = retry_reason(c, r, code))) return false;
  if (c->retry_delay > 0) {
    delay = c->retry_delay;
  } else {
    t->retry_wait = t->retry_wait > 0 ? t->retry_wait * 2 : 1.0;
    if (t->retry_wait > MAX_BACKOFF) t->retry_wait = MAX_BACKOFF;
    delay = t->retry_wait;
    if ((ra = retry_after(r)) >= 0) delay = ra;
  }
  /* curl's test: time spent so far, the coming delay not counted. */
  if (c->retry_max_time > 0 && cli_now() - t->first_start >= c->retry_max_time) return false;
  t->retries_left--;
  if (!c->silent)
    fprintf(stderr, "gale: warning: problem: %s; will retry in %g second%s, %ld retr%s left\n", why,
            delay, delay == 1 ? "" : "s", t->retries_left, t->retries_left == 1 ? "y" : "ies");
  /* A file output starts again from nothing (stdout cannot be taken back). */
  if (t->out && t->out_owned) {
    fclose(t->out);
    t->out = NULL;
    if (!t->resume_offset && t->outname) {
      FILE *f = fopen(t->outname, "wb");
      if (f) fclose(f);
    }
  }
  if (t->upload && t->upload != stdin) fclose(t->upload);
  t->upload = NULL;
  t->http_failed = t->range_failed = false;
  if (gale_loop_call_later(c->loop, delay, retry_now, t, NULL) != GALE_OK) return false;
  return true;
}
