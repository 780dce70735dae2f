/* SPDX-License-Identifier: MIT */
/* http/util/httpdate.c — HTTP dates without strftime/strptime (locale- and
 * TZ-free, no allocation), using the days-from-civil arithmetic for the
 * proleptic Gregorian calendar. */
#include <string.h>

#include "gale/error.h"
#include "gale/httpdate.h"

static const char wkday[7][4] = {"Thu", "Fri", "Sat", "Sun",
                                 "Mon", "Tue", "Wed"}; /* 1970-01-01: Thu */
static const char *const weekday_long[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                            "Friday", "Saturday", "Sunday"};
static const char month[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static void put2(char *p, int v) {
  p[0] = (char)('0' + v / 10);
  p[1] = (char)('0' + v % 10);
}

int gale_http_date_format(time_t t, char *buf, size_t cap) {
  if (!buf || cap < GALE_HTTP_DATE_LEN + 1) return GALE_ERANGE;
  int64_t secs = (int64_t)t;
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  int64_t y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  if (y < 1 || y > 9999) return GALE_ERANGE;
  int wd = (int)(((days % 7) + 7) % 7);
  char *p = buf;
  memcpy(p, wkday[wd], 3);
  memcpy(p + 3, ", ", 2);
  put2(p + 5, d);
  p[7] = ' ';
  memcpy(p + 8, month[m - 1], 3);
  p[11] = ' ';
  put2(p + 12, (int)(y / 100));
  put2(p + 14, (int)(y % 100));
  p[16] = ' ';
  put2(p + 17, (int)(rem / 3600));
  p[19] = ':';
  put2(p + 20, (int)(rem / 60 % 60));
  p[22] = ':';
  put2(p + 23, (int)(rem % 60));
  memcpy(p + 25, " GMT", 5); /* with the NUL */
  return GALE_OK;
}

/* A small cursor over the input: each reader consumes exactly what it
 * expects or fails. */
typedef struct cur {
  const char *p;
  const char *end;
} cur;

static bool lit(cur *c, const char *s) {
  size_t n = strlen(s);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0) return false;
  c->p += n;
  return true;
}

static bool digits(cur *c, int n, int *out) {
  if (c->end - c->p < n) return false;
  int v = 0;
  for (int i = 0; i < n; i++) {
    char ch = c->p[i];
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + (ch - '0');
  }
  c->p += n;
  *out = v;
  return true;
}

static bool month_name(cur *c, int *m) {
  for (int i = 0; i < 12; i++)
    if (lit(c, month[i])) {
      *m = i + 1;
      return true;
    }
  return false;
}

static bool short_wkday(cur *c) {
  for (int i = 0; i < 7; i++)
    if (lit(c, wkday[i])) return true;
  return false;
}

static bool long_wkday(cur *c) {
  for (int i = 0; i < 7; i++)
    if (lit(c, weekday_long[i])) return true;
  return false;
}

/* "HH:MM:SS" */
static bool hms(cur *c, int *h, int *mi, int *s) {
  return digits(c, 2, h) && lit(c, ":") && digits(c, 2, mi) && lit(c, ":") && digits(c, 2, s);
}

static int days_in_month(int64_t y, int m) {
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return dm[m - 1];
}

static int finish(int y, int m, int d, int h, int mi, int s, time_t *out) {
  if (d < 1 || d > days_in_month(y, m) || h > 23 || mi > 59 || s > 60) return GALE_EINVAL;
  if (s == 60) s = 59; /* a leap second reads as the second before */
  int64_t t = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
  if ((int64_t)(time_t)t != t) return GALE_EINVAL;
  *out = (time_t)t;
  return GALE_OK;
}

int gale_http_date_parse(const char *s, size_t len, time_t *out) {
  if (!s || !out) return GALE_EINVAL;
  int y, m, d, h, mi, sec;
  cur c = {s, s + len};
  /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
  if (short_wkday(&c) && lit(&c, ", ")) {
    if (digits(&c, 2, &d) && lit(&c, " ") && month_name(&c, &m) && lit(&c, " ") &&
        digits(&c, 4, &y) && lit(&c, " ") && hms(&c, &h, &mi, &sec) && lit(&c, " GMT") &&
        c.p == c.end && y > 0)
      return finish(y, m, d, h, mi, sec, out);
    return GALE_EINVAL;
  }
  /* asctime: "Sun Nov  6 08:49:37 1994" (day padded with a space) */
  c.p = s;
  if (short_wkday(&c) && lit(&c, " ")) {
    if (!month_name(&c, &m) || !lit(&c, " ")) return GALE_EINVAL;
    if (lit(&c, " ")) {
      if (!digits(&c, 1, &d)) return GALE_EINVAL;
    } else if (!digits(&c, 2, &d)) {
      return GALE_EINVAL;
    }
    if (lit(&c, " ") && hms(&c, &h, &mi, &sec) && lit(&c, " ") && digits(&c, 4, &y) &&
        c.p == c.end && y > 0)
      return finish(y, m, d, h, mi, sec, out);
    return GALE_EINVAL;
  }
  /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
  c.p = s;
  if (long_wkday(&c) && lit(&c, ", ") && digits(&c, 2, &d) && lit(&c, "-") && month_name(&c, &m) &&
      lit(&c, "-") && digits(&c, 2, &y) && lit(&c, " ") && hms(&c, &h, &mi, &sec) &&
      lit(&c, " GMT") && c.p == c.end)
    return finish(y < 70 ? 2000 + y : 1900 + y, m, d, h, mi, sec, out);
  return GALE_EINVAL;
}
