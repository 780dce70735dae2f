/* SPDX-License-Identifier: MIT */
/* -w/--write-out: curl's variables, computed from a gale_http_response.
 * curl's times are cumulative from the start of the transfer; gale's
 * timings are per phase, so they are summed here. */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct times {
  double namelookup, connect, appconnect, pretransfer, starttransfer, total, redirect;
} times;

static times cumulative(const gale_http_response *r) {
  const gale_http_timings *t = &r->timings;
  times c;
  double base = t->queue + t->redirect;
  c.namelookup = base + t->dns;
  c.connect = c.namelookup + t->connect;
  c.appconnect = t->tls > 0 ? c.connect + t->tls : 0;
  c.pretransfer = c.connect + t->tls;
  c.starttransfer = r->code ? c.pretransfer + t->first_byte : 0;
  c.total = t->total;
  c.redirect = t->redirect;
  return c;
}

static const char *scheme_of(const char *url) {
  if (!url) return "";
  if (strncasecmp(url, "https:", 6) == 0) return "HTTPS";
  if (strncasecmp(url, "http:", 5) == 0) return "HTTP";
  return "";
}

/* What a variable's value is, for %{json}: a number, a string, or null. */
typedef enum { V_NUM, V_STR, V_NULL } vkind;

/* The absolute URL of a redirect's Location (curl's %{redirect_url});
 * malloc'd, or NULL when the response is no redirect. */
static char *redirect_url(const gale_http_response *r, const char *url) {
  const char *loc =
      r->code >= 300 && r->code < 400 ? gale_http_response_header(r, "Location") : NULL;
  char *abs = NULL;
  if (!loc) return NULL;
  if (gale_url_resolve(r->effective_url ? r->effective_url : url, loc, &abs) != GALE_OK)
    return strdup(loc);
  return abs;
}

/* Writes variable `name` (length n) into buf; false if unknown. */
static bool var_value(const char *name, size_t n, const gale_http_response *r,
                      const cli_xfer_info *x, char *buf, size_t size, vkind *kind) {
  times c = cumulative(r);
  double total = r->timings.total > 0 ? r->timings.total : 1e-9;
  const char *str = NULL;
  *kind = V_NUM;
#define IS(s) (n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
#define NUM(...) snprintf(buf, size, __VA_ARGS__)
  if (IS("http_code") || IS("response_code"))
    NUM("%03d", r->code);
  else if (IS("time_total"))
    NUM("%.6f", c.total);
  else if (IS("time_namelookup"))
    NUM("%.6f", c.namelookup);
  else if (IS("time_connect"))
    NUM("%.6f", c.connect);
  else if (IS("time_appconnect"))
    NUM("%.6f", c.appconnect);
  else if (IS("time_pretransfer"))
    NUM("%.6f", c.pretransfer);
  else if (IS("time_starttransfer"))
    NUM("%.6f", c.starttransfer);
  else if (IS("time_redirect"))
    NUM("%.6f", c.redirect);
  else if (IS("time_queue"))
    NUM("%.6f", r->timings.queue);
  else if (IS("size_download"))
    NUM("%llu", (unsigned long long)r->size_download);
  else if (IS("size_upload"))
    NUM("%llu", (unsigned long long)r->size_upload);
  else if (IS("size_header"))
    NUM("%llu", (unsigned long long)r->size_header);
  else if (IS("size_request"))
    NUM("%llu", (unsigned long long)r->size_request);
  else if (IS("speed_download"))
    NUM("%.0f", (double)r->size_download / total);
  else if (IS("speed_upload"))
    NUM("%.0f", (double)r->size_upload / total);
  else if (IS("num_redirects"))
    NUM("%d", r->num_redirects);
  else if (IS("num_connects")) /* connections this transfer opened, redirects included */
    NUM("%d", r->code && (!r->reused || (r->num_redirects > 0 && x->urlnum == 0)) ? 1 : 0);
  else if (IS("num_headers"))
    NUM("%zu", r->code && r->headers ? gale_headers_count(r->headers) : 0);
  else if (IS("remote_port"))
    NUM("%d", r->remote_port);
  else if (IS("local_port"))
    NUM("%d", r->local_port);
  else if (IS("exitcode"))
    NUM("%d", x->exitcode);
  else if (IS("urlnum"))
    NUM("%zu", x->urlnum);
  else {
    *kind = V_STR;
    if (IS("url_effective"))
      str = r->effective_url ? r->effective_url : x->url;
    else if (IS("url"))
      str = x->url;
    else if (IS("remote_ip"))
      str = r->remote_ip ? r->remote_ip : "";
    else if (IS("local_ip"))
      str = r->local_ip ? r->local_ip : "";
    else if (IS("method"))
      str = x->method;
    else if (IS("filename_effective"))
      str = x->filename;
    else if (IS("referer"))
      str = x->referer;
    else if (IS("content_type"))
      str = r->code ? gale_http_response_header(r, "Content-Type") : NULL;
    else if (IS("http_version"))
      str = r->http_version == 20   ? "2"
            : r->http_version == 11 ? "1.1"
            : r->http_version == 10 ? "1.0"
                                    : "0";
    else if (IS("errormsg")) /* null in %{json} when there is none */
      str = r->status ? (r->error && *r->error ? r->error : gale_strerror(r->status)) : NULL;
    else if (IS("scheme")) { /* as curl: none when nothing was transferred */
      str = r->code ? scheme_of(r->effective_url ? r->effective_url : x->url) : NULL;
      if (str && !*str) str = NULL;
    } else if (IS("redirect_url")) {
      char *abs = redirect_url(r, x->url);
      if (!abs) {
        *kind = V_NULL;
        buf[0] = '\0';
        return true;
      }
      snprintf(buf, size, "%s", abs);
      free(abs);
      return true;
    } else {
      return false;
    }
    if (!str) *kind = V_NULL;
    snprintf(buf, size, "%s", str ? str : "");
  }
#undef NUM
#undef IS
  return true;
}

/* A JSON string literal of s (length n). */
static void json_string(FILE *out, const char *s, size_t n) {
  fputc('"', out);
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\')
      fprintf(out, "\\%c", ch);
    else if (ch == '\n')
      fputs("\\n", out);
    else if (ch == '\r')
      fputs("\\r", out);
    else if (ch == '\t')
      fputs("\\t", out);
    else if (ch < 0x20 || ch == 0x7f)
      fprintf(out, "\\u%04x", ch);
    else
      fputc(ch, out);
  }
  fputc('"', out);
}

/* %{json}: every variable above as one JSON object, curl's key names. */
static void print_json(FILE *out, const gale_http_response *r, const cli_xfer_info *x) {
  static const char *const names[] = {"content_type",    "errormsg",
                                      "exitcode",        "filename_effective",
                                      "http_code",       "http_version",
                                      "local_ip",        "local_port",
                                      "method",          "num_connects",
                                      "num_headers",     "num_redirects",
                                      "redirect_url",    "referer",
                                      "remote_ip",       "remote_port",
                                      "response_code",   "scheme",
                                      "size_download",   "size_header",
                                      "size_request",    "size_upload",
                                      "speed_download",  "speed_upload",
                                      "time_appconnect", "time_connect",
                                      "time_namelookup", "time_pretransfer",
                                      "time_redirect",   "time_starttransfer",
                                      "time_total",      "url",
                                      "url_effective",   "urlnum"};
  char buf[8192];
  fputc('{', out);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    vkind k;
    var_value(names[i], strlen(names[i]), r, x, buf, sizeof buf, &k);
    fprintf(out, "%s\"%s\":", i ? "," : "", names[i]);
    if (k == V_NULL)
      fputs("null", out);
    else if (k == V_STR)
      json_string(out, buf, strlen(buf));
    else if (strcmp(names[i], "http_code") == 0 || strcmp(names[i], "response_code") == 0)
      fprintf(out, "%d", r->code); /* a number, not curl's zero-padded text */
    else
      fputs(buf, out);
  }
  fprintf(out, ",\"curl_version\":\"gale/%s\"}", gale_version(NULL, NULL, NULL));
}

/* %{header_json}: the response fields, lowercase names to arrays of values. */
static void print_header_json(FILE *out, const gale_http_response *r) {
  size_t count = r->code && r->headers ? gale_headers_count(r->headers) : 0;
  bool first = true;
  fputc('{', out);
  for (size_t i = 0; i < count; i++) {
    const char *name, *value, *pn, *pv;
    size_t nl, vl, pnl, pvl;
    bool seen = false;
    gale_headers_at(r->headers, i, &name, &nl, &value, &vl);
    for (size_t j = 0; j < i && !seen; j++) { /* each name once, values in order */
      gale_headers_at(r->headers, j, &pn, &pnl, &pv, &pvl);
      seen = pnl == nl && strncasecmp(pn, name, nl) == 0;
    }
    if (seen) continue;
    if (!first) fputc(',', out);
    first = false;
    fputc('"', out);
    for (size_t k = 0; k < nl; k++) fputc(tolower((unsigned char)name[k]), out);
    fputs("\":[", out);
    for (size_t j = i, nv = 0; j < count; j++) {
      gale_headers_at(r->headers, j, &pn, &pnl, &pv, &pvl);
      if (pnl != nl || strncasecmp(pn, name, nl) != 0) continue;
      if (nv++) fputc(',', out);
      json_string(out, pv, pvl);
    }
    fputc(']', out);
  }
  fputc('}', out);
}

/* Prints variable `name` (length n); false if unknown. */
static bool print_var(FILE *out, const char *name, size_t n, const gale_http_response *r,
                      const cli_xfer_info *x) {
  char buf[8192];
  vkind k;
  if (n == 4 && memcmp(name, "json", 4) == 0) {
    print_json(out, r, x);
    return true;
  }
  if (n == 11 && memcmp(name, "header_json", 11) == 0) {
    print_header_json(out, r);
    return true;
  }
  if (!var_value(name, n, r, x, buf, sizeof buf, &k)) return false;
  fputs(buf, out);
  return true;
}

void cli_write_out(FILE *out, const char *fmt, const gale_http_response *r,
                   const cli_xfer_info *x) {
  for (const char *p = fmt; *p; p++) {
    if (*p == '%' && p[1] == '%') {
      fputc('%', out);
      p++;
    } else if (*p == '%' && p[1] == '{') {
      const char *name = p + 2, *end = strchr(name, '}');
      size_t n;
      if (!end) {
        fputs(p, out);
        break;
      }
      n = (size_t)(end - name);
      if (n == 6 && memcmp(name, "stderr", 6) == 0)
        out = stderr;
      else if (n == 6 && memcmp(name, "stdout", 6) == 0)
        out = stdout;
      else if (n > 7 && memcmp(name, "header{", 7) == 0) {
        /* %{header{name}}: curl 7.84's response header lookup. */
        const char *close = strchr(name + 7, '}');
        if (close) {
          gale_buf hname; /* the name as a C string, whatever its length */
          const char *v = NULL;
          gale_buf_init(&hname, 0);
          if (r->code && gale_buf_append(&hname, name + 7, (size_t)(close - (name + 7))) == GALE_OK)
            v = gale_http_response_header(r, hname.data);
          if (v) fputs(v, out);
          gale_buf_release(&hname);
          end = close[1] == '}' ? close + 1 : close;
        }
      } else if (!print_var(out, name, n, r, x)) {
        fprintf(stderr, "gale: unknown --write-out variable: '%.*s'\n", (int)n, name);
      }
      p = end;
    } else if (*p == '\\' && p[1]) {
      p++;
      switch (*p) {
      case 'n': fputc('\n', out); break;
      case 'r': fputc('\r', out); break;
      case 't': fputc('\t', out); break;
      case '\\': fputc('\\', out); break;
      default:
        fputc('\\', out);
        fputc(*p, out);
        break;
      }
    } else {
      fputc(*p, out);
    }
  }
  fflush(out);
}
