/* SPDX-License-Identifier: MIT */
/* libFuzzer target: URL parsing, formatting, resolution, percent-decoding
 * and the static-file path normalizer (http/util/url.c).  Invariants: a parsed
 * URL formats without error and re-parses to the same parts; a normalized
 * path never holds a ".." segment, NUL or backslash. */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "gale/error.h"
#include "gale/url.h"

const char gale_fuzz_corpus[] = "url";

static int same(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_normalize(const char *s, size_t n) {
  char *out = malloc(n + 1);
  size_t len;
  if (gale_url_path_normalize(s, n, out, n + 1, &len) == GALE_OK) {
    FUZZ_CHECK(len <= n && out[len] == '\0');
    FUZZ_CHECK(!memchr(out, '\0', len) && !memchr(out, '\\', len));
    FUZZ_CHECK(len == 0 || out[0] != '/');
    for (size_t i = 0; i < len;) {
      size_t j = i;
      while (j < len && out[j] != '/') j++;
      FUZZ_CHECK(!(j - i == 2 && out[i] == '.' && out[i + 1] == '.'));
      FUZZ_CHECK(j > i); /* no empty segments */
      i = j + 1;
    }
  }
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  gale_url *u = NULL;
  int rc = gale_url_parse(s, size, &u);
  FUZZ_CHECK((rc == GALE_OK) == (u != NULL));
  if (u) {
    size_t n = 0;
    int frc = gale_url_format(u, NULL, 0, &n);
    char *buf = frc == GALE_ERANGE ? malloc(n + 1) : NULL;
    if (buf && gale_url_format(u, buf, n + 1, &n) == GALE_OK) {
      gale_url *v = NULL;
      FUZZ_CHECK(gale_url_parse(buf, n, &v) == GALE_OK);
      FUZZ_CHECK(same(u->scheme, v->scheme) && same(u->host, v->host) && u->port == v->port &&
                 same(u->path, v->path) && same(u->query, v->query) &&
                 same(u->fragment, v->fragment) && same(u->userinfo, v->userinfo));
      gale_url_free(v);
    } else {
      /* Only an origin-form "//" path may refuse to format. */
      FUZZ_CHECK(!u->host && u->path[0] == '/' && u->path[1] == '/');
    }
    free(buf);
    gale_url_free(u);
  }
  /* Resolution: split the input at the first NUL-free '|' into base and
   * reference. */
  char *copy = malloc(size + 1);
  memcpy(copy, s, size);
  copy[size] = '\0';
  char *bar = strchr(copy, '|');
  if (bar) {
    *bar = '\0';
    char *out = NULL;
    if (gale_url_resolve(copy, bar + 1, &out) == GALE_OK) {
      FUZZ_CHECK(out && strlen(out) <= strlen(copy) + strlen(bar + 1) + 8);
      free(out);
    }
  }
  free(copy);
  char *dec = malloc(size ? size : 1);
  size_t dn;
  if (gale_percent_decode(s, size, GALE_PCT_PLUS_SPACE, dec, &dn) == GALE_OK)
    FUZZ_CHECK(dn <= size);
  free(dec);
  check_normalize(s, size);
  return 0;
}
