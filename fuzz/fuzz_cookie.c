/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the small header-value parsers — Cookie
 * (http/util/cookie.c), query strings (http/util/form.c), header parameters
 * (http/util/content_type.c) and HTTP dates (http/util/httpdate.c).  Invariants:
 * stored pairs are NUL-terminated, cookies carry no control bytes, a parsed
 * date formats back to a date that parses to the same instant, and a form
 * encodes and re-parses to the same pairs. */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "gale/content_type.h"
#include "gale/cookie.h"
#include "gale/error.h"
#include "gale/form.h"
#include "gale/httpdate.h"

const char gale_fuzz_corpus[] = "cookie";

static void check_pairs(const gale_params *p) {
  for (size_t i = 0; i < gale_params_count(p); i++) {
    const char *n, *v;
    size_t nl, vl;
    FUZZ_CHECK(gale_params_at(p, i, &n, &nl, &v, &vl) == GALE_OK);
    FUZZ_CHECK(n[nl] == '\0' && v[vl] == '\0');
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  gale_params *p = gale_params_new();
  gale_form_limits lim;
  gale_form_limits_init(&lim);
  lim.max_fields = 128;
  if (gale_cookie_parse(p, s, size, &lim) == GALE_OK) {
    check_pairs(p);
    for (size_t i = 0; i < gale_params_count(p); i++) {
      const char *v;
      size_t vl;
      gale_params_at(p, i, NULL, NULL, &v, &vl);
      for (size_t j = 0; j < vl; j++) FUZZ_CHECK((unsigned char)v[j] >= 0x20 || v[j] == '\t');
    }
  } else {
    FUZZ_CHECK(gale_params_count(p) == 0);
  }
  gale_params_clear(p);
  lim.lenient = size & 1;
  if (gale_form_parse(p, s, size, &lim) == GALE_OK) {
    check_pairs(p);
    size_t n;
    gale_form_encode(p, NULL, 0, &n);
    char *enc = malloc(n + 1);
    FUZZ_CHECK(gale_form_encode(p, enc, n + 1, &n) == GALE_OK);
    gale_params *q = gale_params_new();
    FUZZ_CHECK(gale_form_parse(q, enc, n, NULL) == GALE_OK);
    FUZZ_CHECK(gale_params_count(q) == gale_params_count(p));
    for (size_t i = 0; i < gale_params_count(p); i++) {
      const char *a, *b;
      size_t al, bl;
      gale_params_at(p, i, NULL, NULL, &a, &al);
      gale_params_at(q, i, NULL, NULL, &b, &bl);
      FUZZ_CHECK(al == bl && memcmp(a, b, al) == 0);
    }
    gale_params_free(q);
    free(enc);
  }
  gale_params_clear(p);
  char type[128];
  if (gale_content_type_parse(s, size, type, sizeof type, p) == GALE_OK) {
    check_pairs(p);
    FUZZ_CHECK(strchr(type, '/') != NULL);
  }
  time_t t;
  if (gale_http_date_parse(s, size, &t) == GALE_OK) {
    char buf[GALE_HTTP_DATE_LEN + 1];
    time_t back;
    FUZZ_CHECK(gale_http_date_format(t, buf, sizeof buf) == GALE_OK);
    FUZZ_CHECK(gale_http_date_parse(buf, GALE_HTTP_DATE_LEN, &back) == GALE_OK);
    FUZZ_CHECK(back == t);
  }
  gale_params_free(p);
  return 0;
}
