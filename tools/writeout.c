/* SPDX-License-Identifier: MIT */
/* -w/--write-out: curl's variables, computed from a gale_http_response.
 * curl's times are cumulative from the start of the transfer; gale's
 * timings are per phase, so they are summed here. */
#include "cli.h"

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

/* Prints variable `name` (length n); false if unknown. */
static bool print_var(FILE *out, const char *name, size_t n, const gale_http_response *r,
                      int exitcode, const char *url, const char *method) {
  times c = cumulative(r);
  double total = r->timings.total > 0 ? r->timings.total : 1e-9;
#define IS(s) (n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
  if (IS("http_code") || IS("response_code")) fprintf(out, "%03d", r->code);
  else if (IS("time_total")) fprintf(out, "%.6f", c.total);
  else if (IS("time_namelookup")) fprintf(out, "%.6f", c.namelookup);
  else if (IS("time_connect")) fprintf(out, "%.6f", c.connect);
  else if (IS("time_appconnect")) fprintf(out, "%.6f", c.appconnect);
  else if (IS("time_pretransfer")) fprintf(out, "%.6f", c.pretransfer);
  else if (IS("time_starttransfer")) fprintf(out, "%.6f", c.starttransfer);
  else if (IS("time_redirect")) fprintf(out, "%.6f", c.redirect);
  else if (IS("time_queue")) fprintf(out, "%.6f", r->timings.queue);
  else if (IS("size_download")) fprintf(out, "%llu", (unsigned long long)r->size_download);
  else if (IS("size_upload")) fprintf(out, "%llu", (unsigned long long)r->size_upload);
  else if (IS("size_header")) fprintf(out, "%llu", (unsigned long long)r->size_header);
  else if (IS("size_request")) fprintf(out, "%llu", (unsigned long long)r->size_request);
  else if (IS("speed_download")) fprintf(out, "%.0f", (double)r->size_download / total);
  else if (IS("speed_upload")) fprintf(out, "%.0f", (double)r->size_upload / total);
  else if (IS("url_effective")) fputs(r->effective_url ? r->effective_url : url, out);
  else if (IS("url")) fputs(url, out);
  else if (IS("num_redirects")) fprintf(out, "%d", r->num_redirects);
  else if (IS("num_connects")) fprintf(out, "%d", r->code && !r->reused ? 1 : 0);
  else if (IS("remote_ip")) fputs(r->remote_ip ? r->remote_ip : "", out);
  else if (IS("remote_port")) fprintf(out, "%d", r->remote_port);
  else if (IS("local_ip")) fputs(r->local_ip ? r->local_ip : "", out);
  else if (IS("local_port")) fprintf(out, "%d", r->local_port);
  else if (IS("content_type")) {
    const char *ct = r->code ? gale_http_response_header(r, "Content-Type") : NULL;
    fputs(ct ? ct : "", out);
  } else if (IS("redirect_url")) {
    const char *loc = r->code >= 300 && r->code < 400 ? gale_http_response_header(r, "Location")
                                                      : NULL;
    fputs(loc ? loc : "", out);
  } else if (IS("http_version")) {
    fputs(r->http_version == 20   ? "2"
          : r->http_version == 11 ? "1.1"
          : r->http_version == 10 ? "1.0"
                                  : "0",
          out);
  } else if (IS("errormsg")) fputs(r->status ? (r->error && *r->error ? r->error
                                                                      : gale_strerror(r->status))
                                             : "", out);
  else if (IS("exitcode")) fprintf(out, "%d", exitcode);
  else if (IS("method")) fputs(method, out);
  else if (IS("scheme")) fputs(scheme_of(r->effective_url ? r->effective_url : url), out);
  else return false;
#undef IS
  return true;
}

void cli_write_out(FILE *out, const char *fmt, const gale_http_response *r, int exitcode,
                   const char *url, const char *method) {
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
      if (n == 6 && memcmp(name, "stderr", 6) == 0) out = stderr;
      else if (n == 6 && memcmp(name, "stdout", 6) == 0) out = stdout;
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
      } else if (!print_var(out, name, n, r, exitcode, url, method)) {
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
      default: fputc('\\', out); fputc(*p, out); break;
      }
    } else {
      fputc(*p, out);
    }
  }
  fflush(out);
}
