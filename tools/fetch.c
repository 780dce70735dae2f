/* gale fetch: a curl-like fetcher on gale_http_client.  Options keep curl's
 * spellings; exit codes are curl's where the meaning is the same (cli.h). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct transfer transfer;

typedef struct fetch_cli {
  gale_loop *loop;
  gale_http_client *client;
  /* options */
  const char *method;
  gale_headers *headers;
  gale_buf data;
  bool have_data, get_data;
  /* -F: the multipart body is built here (httputil's encoder had not
   * landed when this was written). */
  gale_buf form;
  char boundary[40];
  char form_type[80];
  bool form_done;
  const char *upload_file;
  bool follow;
  long max_redirs;
  bool include, head, silent, show_error, verbose, insecure, compressed, fail, parallel;
  long parallel_max;
  const char *cacert, *cert, *key, *user, *user_agent, *referer, *proxy, *proxy_user;
  const char *write_out, *iface, *dump_header;
  double connect_timeout, max_time;
  uint64_t max_filesize;
  time_t time_cond;
  bool ipv4_only, ipv6_only;
  char *proxy_host;
  int proxy_port;
  char *user_name, *user_pass, *proxy_name, *proxy_pass;
  /* transfers */
  transfer *xfers;
  size_t nxfers, next, running, done;
  int exit_code;
  FILE *dump;
} fetch_cli;

struct transfer {
  fetch_cli *cli;
  const char *url;
  const char *outname; /* -o / -O, NULL: stdout */
  bool remote_name;
  FILE *out;
  bool out_owned;
  int last_code;
  int64_t content_length;
  uint64_t received;
  bool write_failed;
  bool http_failed;
  cli_progress progress;
  bool show_progress;
  FILE *upload;
};

static void fetch_usage(FILE *out) {
  fputs("Usage: gale fetch [options] URL...\n"
        "Options (curl's spellings):\n"
        "  -X, --request METHOD     request method\n"
        "  -H, --header 'N: V'      extra request header (repeatable)\n"
        "  -d, --data DATA          POST data (@file: read it, dropping CR/LF); repeatable, joined by &\n"
        "      --data-binary DATA   POST data as is (@file: read it as is)\n"
        "      --data-raw DATA      POST data, no @ processing\n"
        "  -G, --get                put -d data in the query string and GET\n"
        "  -F, --form NAME=VALUE    multipart field; NAME=@file uploads a file (;type=...)\n"
        "  -T, --upload-file FILE   PUT the file, streamed\n"
        "  -o, --output FILE        write the body to FILE (one per URL)\n"
        "  -O, --remote-name        write to the URL's file name\n"
        "  -D, --dump-header FILE   write response headers to FILE\n"
        "  -L, --location           follow redirects\n"
        "      --max-redirs N       at most N redirects (default 50)\n"
        "  -i, --include            include response headers in the output\n"
        "  -I, --head               HEAD request, print the headers\n"
        "  -s, --silent             no progress bar, no error messages\n"
        "  -S, --show-error         error messages even with -s\n"
        "  -v, --verbose            request/response headers on stderr ('> ', '< ', '* ')\n"
        "  -f, --fail               exit 22 without output on HTTP codes >= 400\n"
        "  -k, --insecure           do not verify the server's certificate\n"
        "      --cacert FILE        CA bundle to verify with\n"
        "  -E, --cert FILE          client certificate (PEM)\n"
        "      --key FILE           client key (PEM)\n"
        "  -u, --user USER:PASS     basic authentication\n"
        "  -A, --user-agent UA      User-Agent\n"
        "  -e, --referer URL        Referer\n"
        "      --compressed         ask for gzip and decompress\n"
        "      --connect-timeout S  seconds for DNS + connect + TLS (default 20)\n"
        "  -m, --max-time S         seconds for the whole transfer (default 20)\n"
        "      --max-filesize SIZE  fail (63) past SIZE bytes (k, M, G suffixes)\n"
        "  -z, --time-cond DATE     If-Modified-Since: DATE (an HTTP date)\n"
        "      --resolve H:P:ADDR   use ADDR for host H port P\n"
        "  -x, --proxy [http://]HOST[:PORT]   HTTP proxy (CONNECT for https)\n"
        "  -U, --proxy-user U:P     proxy credentials\n"
        "      --interface ADDR     source IP address\n"
        "  -4, --ipv4 / -6, --ipv6  one address family only\n"
        "  -w, --write-out FORMAT   print FORMAT after each transfer: %{http_code},\n"
        "                           %{time_total}, %{time_namelookup}, %{time_connect},\n"
        "                           %{time_appconnect}, %{time_pretransfer},\n"
        "                           %{time_starttransfer}, %{time_redirect}, %{size_download},\n"
        "                           %{size_upload}, %{size_header}, %{speed_download},\n"
        "                           %{url_effective}, %{num_redirects}, %{num_connects},\n"
        "                           %{remote_ip}, %{remote_port}, %{local_ip}, %{local_port},\n"
        "                           %{content_type}, %{redirect_url}, %{http_version},\n"
        "                           %{errormsg}, %{exitcode}, %{method}, %{scheme},\n"
        "                           %{header{NAME}}, %{stderr}, %{stdout}; @FILE reads it\n"
        "  -Z, --parallel           run the transfers at once\n"
        "      --parallel-max N     at most N at once (default 50)\n"
        "  -h, --help               this text\n"
        "Exit codes: see `gale --help` or gale(1).\n",
        out);
}

enum {
  OPT_DATA_BINARY = 256, OPT_DATA_RAW, OPT_DATA_URLENCODE, OPT_MAX_REDIRS, OPT_CACERT, OPT_KEY,
  OPT_COMPRESSED, OPT_CONNECT_TIMEOUT, OPT_RESOLVE, OPT_PARALLEL_MAX, OPT_MAX_FILESIZE,
  OPT_INTERFACE, OPT_HTTP11, OPT_NO_KEEPALIVE
};

static const struct option long_opts[] = {
    {"request", required_argument, NULL, 'X'},
    {"header", required_argument, NULL, 'H'},
    {"data", required_argument, NULL, 'd'},
    {"data-ascii", required_argument, NULL, 'd'},
    {"data-binary", required_argument, NULL, OPT_DATA_BINARY},
    {"data-raw", required_argument, NULL, OPT_DATA_RAW},
    {"data-urlencode", required_argument, NULL, OPT_DATA_URLENCODE},
    {"get", no_argument, NULL, 'G'},
    {"form", required_argument, NULL, 'F'},
    {"upload-file", required_argument, NULL, 'T'},
    {"output", required_argument, NULL, 'o'},
    {"remote-name", no_argument, NULL, 'O'},
    {"dump-header", required_argument, NULL, 'D'},
    {"location", no_argument, NULL, 'L'},
    {"max-redirs", required_argument, NULL, OPT_MAX_REDIRS},
    {"include", no_argument, NULL, 'i'},
    {"head", no_argument, NULL, 'I'},
    {"silent", no_argument, NULL, 's'},
    {"show-error", no_argument, NULL, 'S'},
    {"verbose", no_argument, NULL, 'v'},
    {"fail", no_argument, NULL, 'f'},
    {"insecure", no_argument, NULL, 'k'},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"cert", required_argument, NULL, 'E'},
    {"key", required_argument, NULL, OPT_KEY},
    {"user", required_argument, NULL, 'u'},
    {"user-agent", required_argument, NULL, 'A'},
    {"referer", required_argument, NULL, 'e'},
    {"compressed", no_argument, NULL, OPT_COMPRESSED},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"max-time", required_argument, NULL, 'm'},
    {"max-filesize", required_argument, NULL, OPT_MAX_FILESIZE},
    {"time-cond", required_argument, NULL, 'z'},
    {"resolve", required_argument, NULL, OPT_RESOLVE},
    {"proxy", required_argument, NULL, 'x'},
    {"proxy-user", required_argument, NULL, 'U'},
    {"interface", required_argument, NULL, OPT_INTERFACE},
    {"ipv4", no_argument, NULL, '4'},
    {"ipv6", no_argument, NULL, '6'},
    {"write-out", required_argument, NULL, 'w'},
    {"parallel", no_argument, NULL, 'Z'},
    {"parallel-max", required_argument, NULL, OPT_PARALLEL_MAX},
    {"http1.1", no_argument, NULL, OPT_HTTP11},
    {"no-keepalive", no_argument, NULL, OPT_NO_KEEPALIVE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "gale: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\ngale: try 'gale fetch --help'\n");
  return CLI_EXIT_USAGE;
}

static int add_data(fetch_cli *c, const char *arg, bool at_file, bool strip) {
  char *chunk;
  size_t len;
  if (at_file && arg[0] == '@') {
    chunk = cli_read_file(arg + 1, &len);
    if (!chunk) { /* curl warns and sends nothing */
      fprintf(stderr, "gale: warning: cannot read data from %s: %s\n", arg + 1, strerror(errno));
      chunk = strdup("");
      len = 0;
      if (!chunk) return CLI_EXIT_NOMEM;
    }
    if (strip) { /* curl -d @file drops CR and LF */
      size_t j = 0;
      for (size_t i = 0; i < len; i++)
        if (chunk[i] != '\r' && chunk[i] != '\n') chunk[j++] = chunk[i];
      len = j;
    }
  } else {
    len = strlen(arg);
    chunk = strdup(arg);
    if (!chunk) return CLI_EXIT_NOMEM;
  }
  if ((c->have_data && gale_buf_append_byte(&c->data, '&') != GALE_OK) ||
      gale_buf_append(&c->data, chunk, len) != GALE_OK) {
    free(chunk);
    return CLI_EXIT_NOMEM;
  }
  c->have_data = true;
  free(chunk);
  return 0;
}

static int add_urlencoded(fetch_cli *c, const char *arg) {
  /* curl: "name=content" encodes content; "content" encodes it all. */
  const char *eq = strchr(arg, '=');
  const char *val = eq ? eq + 1 : arg;
  size_t nl = eq ? (size_t)(eq - arg) : 0, outl;
  char *buf = malloc(nl + 1 + strlen(val) * 3 + 1);
  int rc;
  if (!buf) return CLI_EXIT_NOMEM;
  memcpy(buf, arg, nl);
  if (eq) buf[nl++] = '=';
  gale_percent_encode(val, strlen(val), GALE_PCT_PLUS_SPACE, buf + nl, strlen(val) * 3 + 1, &outl);
  rc = add_data(c, buf, false, false);
  free(buf);
  return rc;
}

static bool form_append(fetch_cli *c, const void *data, size_t len) {
  return gale_buf_append(&c->form, data, len) == GALE_OK;
}

/* curl's guesses for a file part's type by extension. */
static const char *guess_type(const char *filename) {
  static const struct { const char *ext, *type; } types[] = {
      {".txt", "text/plain"},      {".html", "text/html"},       {".htm", "text/html"},
      {".css", "text/css"},        {".js", "application/javascript"},
      {".json", "application/json"}, {".xml", "application/xml"}, {".pdf", "application/pdf"},
      {".gif", "image/gif"},       {".png", "image/png"},        {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},     {".svg", "image/svg+xml"},
  };
  const char *dot = strrchr(filename, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
    if (strcasecmp(dot, types[i].ext) == 0) return types[i].type;
  return "application/octet-stream";
}

static bool form_quoted_ok(const char *s) {
  return !strpbrk(s, "\r\n\"");
}

/* One part: headers then data (copied). */
static int form_part(fetch_cli *c, const char *name, const char *filename, const char *type,
                     const char *data, size_t len) {
  if (!form_quoted_ok(name) || (filename && !form_quoted_ok(filename)) ||
      (type && strpbrk(type, "\r\n")))
    return GALE_EINVAL;
  if (memmem(data, len, c->boundary, strlen(c->boundary))) return GALE_EEXIST;
  if (gale_buf_printf(&c->form,
                      "--%s\r\nContent-Disposition: form-data; name=\"%s\"%s%s%s\r\n%s%s%s\r\n",
                      c->boundary, name, filename ? "; filename=\"" : "", filename ? filename : "",
                      filename ? "\"" : "", type || filename ? "Content-Type: " : "",
                      type ? type : filename ? "application/octet-stream" : "",
                      type || filename ? "\r\n" : "") != GALE_OK ||
      !form_append(c, data, len) || !form_append(c, "\r\n", 2))
    return GALE_ENOMEM;
  return GALE_OK;
}

static int add_form(fetch_cli *c, const char *arg) {
  const char *eq = strchr(arg, '=');
  char name[256];
  int st;
  if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof name)
    return usage_error("bad -F argument '%s' (NAME=VALUE or NAME=@FILE)", arg);
  memcpy(name, arg, (size_t)(eq - arg));
  name[eq - arg] = '\0';
  if (!c->boundary[0]) {
    FILE *r = fopen("/dev/urandom", "rb");
    unsigned char rnd[12] = {0};
    if (r) {
      if (fread(rnd, 1, sizeof rnd, r) != sizeof rnd) memset(rnd, 0x5a, sizeof rnd);
      fclose(r);
    }
    snprintf(c->boundary, sizeof c->boundary, "------------------------");
    for (int i = 0; i < 12; i++)
      snprintf(c->boundary + 24 + i, 2, "%x", rnd[i] & 0xf);
    snprintf(c->form_type, sizeof c->form_type, "multipart/form-data; boundary=%s", c->boundary);
  }
  if (eq[1] == '@' || eq[1] == '<') {
    char path[4096], *type = NULL, *semi, *data;
    const char *base;
    size_t len;
    snprintf(path, sizeof path, "%s", eq + 2);
    semi = strchr(path, ';');
    if (semi) {
      *semi = '\0';
      if (strncmp(semi + 1, "type=", 5) == 0) type = semi + 6;
    }
    data = cli_read_file(path, &len);
    if (!data) {
      fprintf(stderr, "gale: cannot read %s: %s\n", path, strerror(errno));
      return CLI_EXIT_READ;
    }
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (eq[1] == '<') st = form_part(c, name, NULL, type, data, len);
    else st = form_part(c, name, base, type ? type : guess_type(base), data, len);
    free(data);
  } else {
    st = form_part(c, name, NULL, NULL, eq + 1, strlen(eq + 1));
  }
  if (st != GALE_OK) return usage_error("cannot add -F field '%s'", arg);
  return 0;
}

static int add_header(fetch_cli *c, const char *arg) {
  const char *colon = strchr(arg, ':');
  const char *semi = strchr(arg, ';');
  if (!c->headers && !(c->headers = gale_headers_new())) return CLI_EXIT_NOMEM;
  if (colon) {
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t') v++;
    if (!*v) return 0; /* curl: "Name:" removes an internal header; nothing to add */
    if (gale_headers_add_n(c->headers, arg, (size_t)(colon - arg), v, strlen(v)) != GALE_OK)
      return usage_error("bad header '%s'", arg);
    return 0;
  }
  if (semi && semi[1] == '\0') { /* "Name;" sends an empty header */
    if (gale_headers_add_n(c->headers, arg, (size_t)(semi - arg), "", 0) != GALE_OK)
      return usage_error("bad header '%s'", arg);
    return 0;
  }
  return usage_error("bad header '%s' (expected 'Name: value')", arg);
}

static void split_userpass(const char *s, char **user, char **pass) {
  const char *colon = strchr(s, ':');
  free(*user);
  free(*pass);
  *user = colon ? strndup(s, (size_t)(colon - s)) : strdup(s);
  *pass = strdup(colon ? colon + 1 : "");
}

static int parse_proxy(fetch_cli *c, const char *p) {
  const char *host = p, *at, *end;
  char *colon;
  if (strncasecmp(p, "http://", 7) == 0) host = p + 7;
  else if (strstr(p, "://"))
    return usage_error("unsupported proxy scheme in '%s' (only http:// proxies)", p);
  at = strchr(host, '@');
  if (at) {
    char *cred = strndup(host, (size_t)(at - host));
    if (!cred) return CLI_EXIT_NOMEM;
    split_userpass(cred, &c->proxy_name, &c->proxy_pass);
    free(cred);
    host = at + 1;
  }
  end = host + strcspn(host, "/");
  free(c->proxy_host);
  if (*host == '[') {
    const char *rb = memchr(host, ']', (size_t)(end - host));
    if (!rb) return usage_error("bad proxy '%s'", p);
    c->proxy_host = strndup(host + 1, (size_t)(rb - host - 1));
    c->proxy_port = 8080;
    if (rb[1] == ':') {
      char port[8];
      long n;
      snprintf(port, sizeof port, "%.*s", (int)(end - rb - 2), rb + 2);
      if (!cli_parse_int(port, 1, 65535, &n)) return usage_error("bad proxy port in '%s'", p);
      c->proxy_port = (int)n;
    }
  } else {
    c->proxy_host = strndup(host, (size_t)(end - host));
    if (!c->proxy_host) return CLI_EXIT_NOMEM;
    colon = strchr(c->proxy_host, ':');
    c->proxy_port = 8080; /* curl's default proxy port is 1080; HTTP proxies listen on 8080 */
    if (colon) {
      long port;
      *colon = '\0';
      if (!cli_parse_int(colon + 1, 1, 65535, &port)) return usage_error("bad proxy port in '%s'", p);
      c->proxy_port = (int)port;
    }
  }
  if (!c->proxy_host || !*c->proxy_host) return usage_error("bad proxy '%s'", p);
  return 0;
}

static int add_resolve(fetch_cli *c, const char *arg) {
  /* host:port:addr[,addr]... ; addresses may be bracketed IPv6. */
  char *copy = strdup(arg), *p1, *p2, *addrs, *w;
  long port;
  int st;
  if (!copy) return CLI_EXIT_NOMEM;
  p1 = strchr(copy, ':');
  p2 = p1 ? strchr(p1 + 1, ':') : NULL;
  if (!p1 || !p2) {
    free(copy);
    return usage_error("bad --resolve '%s' (HOST:PORT:ADDRESS)", arg);
  }
  *p1 = *p2 = '\0';
  if (!cli_parse_int(p1 + 1, 0, 65535, &port)) {
    free(copy);
    return usage_error("bad port in --resolve '%s'", arg);
  }
  addrs = p2 + 1;
  for (w = addrs; *addrs; addrs++) /* drop brackets */
    if (*addrs != '[' && *addrs != ']') *w++ = *addrs;
  *w = '\0';
  st = gale_resolver_add_override(gale_http_client_resolver(c->client), copy, (int)port, p2 + 1);
  free(copy);
  if (st != GALE_OK) return usage_error("bad --resolve '%s'", arg);
  return 0;
}

/* ---- per-transfer callbacks ---------------------------------------------- */

static FILE *header_sink(transfer *t) { return t->out ? t->out : stdout; }

static void parse_header_line(transfer *t, const char *line, size_t len) {
  if (len >= 12 && strncmp(line, "HTTP/", 5) == 0) {
    const char *sp = memchr(line, ' ', len);
    t->last_code = 0;
    if (sp && (size_t)(sp - line) + 4 <= len)
      for (int i = 1; i <= 3 && sp[i] >= '0' && sp[i] <= '9'; i++) t->last_code = t->last_code * 10 + (sp[i] - '0');
    t->content_length = -1;
  } else if (len > 15 && strncasecmp(line, "Content-Length:", 15) == 0) {
    t->content_length = strtoll(line + 15, NULL, 10);
  }
}

static void on_debug(gale_http_debug_kind kind, const char *data, size_t len, void *arg) {
  transfer *t = arg;
  fetch_cli *c = t->cli;
  if (kind == GALE_HTTP_DEBUG_HEADER_IN) {
    parse_header_line(t, data, len);
    if (c->verbose) {
      fputs("< ", stderr);
      fwrite(data, 1, len, stderr);
    }
    if ((c->include || c->head) && !(c->fail && t->last_code >= 400)) {
      if (fwrite(data, 1, len, header_sink(t)) != len) t->write_failed = true;
    }
    if (c->dump) fwrite(data, 1, len, c->dump);
  } else if (kind == GALE_HTTP_DEBUG_HEADER_OUT && c->verbose) {
    size_t i = 0;
    while (i < len) {
      const char *nl = memchr(data + i, '\n', len - i);
      size_t e = nl ? (size_t)(nl - data) + 1 : len;
      fputs("> ", stderr);
      fwrite(data + i, 1, e - i, stderr);
      i = e;
    }
  } else if (kind == GALE_HTTP_DEBUG_INFO && c->verbose) {
    fprintf(stderr, "* %.*s\n", (int)len, data);
  }
}

static int open_output(transfer *t) {
  if (t->out || !t->outname) return GALE_OK;
  t->out = fopen(t->outname, "wb");
  if (!t->out) {
    fprintf(stderr, "gale: cannot open %s: %s\n", t->outname, strerror(errno));
    t->write_failed = true;
    return GALE_ESYS;
  }
  t->out_owned = true;
  return GALE_OK;
}

static int on_body(const void *data, size_t len, void *arg) {
  transfer *t = arg;
  fetch_cli *c = t->cli;
  if (c->fail && t->last_code >= 400) {
    t->http_failed = true;
    return GALE_EHTTP_STATUS;
  }
  if (open_output(t) != GALE_OK) return GALE_ESYS;
  if (fwrite(data, 1, len, t->out ? t->out : stdout) != len) {
    t->write_failed = true;
    return GALE_ESYS;
  }
  t->received += len;
  if (t->show_progress) cli_progress_update(&t->progress, t->received, t->content_length, cli_now());
  return GALE_OK;
}

static void upload_producer(gale_http_upload *up, void *arg) {
  transfer *t = arg;
  char buf[65536];
  size_t n = fread(buf, 1, sizeof buf, t->upload);
  if (n > 0) {
    gale_http_upload_write(up, buf, n);
    return;
  }
  gale_http_upload_finish(up, ferror(t->upload) ? GALE_ESYS : GALE_OK);
}

static void start_next(fetch_cli *c);

static void on_done(const gale_http_response *r, void *arg) {
  transfer *t = arg;
  fetch_cli *c = t->cli;
  int code;
  if (t->show_progress) cli_progress_finish(&t->progress, cli_now());
  if (t->write_failed) code = CLI_EXIT_WRITE;
  else if (t->http_failed || (r->status == GALE_OK && c->fail && r->code >= 400)) code = CLI_EXIT_HTTP_ERROR;
  else if (r->status == GALE_ESYS && t->upload) code = CLI_EXIT_READ;
  else code = cli_exit_code(r->status);
  if (code == CLI_EXIT_CONNECT && c->proxy_host &&
      (r->status == GALE_ECONNREFUSED || r->status == GALE_EHOSTUNREACH))
    code = CLI_EXIT_CONNECT;
  if (code == CLI_EXIT_RESOLVE && c->proxy_host) code = CLI_EXIT_PROXY_RESOLVE;
  if (code && (!c->silent || c->show_error)) {
    if (code == CLI_EXIT_HTTP_ERROR)
      fprintf(stderr, "gale: (22) The requested URL returned error: %d\n", r->code);
    else
      fprintf(stderr, "gale: (%d) %s\n", code, r->error && *r->error ? r->error : cli_exit_text(code));
  }
  if (t->out && t->out_owned) {
    if (fclose(t->out) != 0 && !code) code = CLI_EXIT_WRITE;
    t->out = NULL;
  } else {
    if (fflush(stdout) != 0 && !code) code = CLI_EXIT_WRITE;
  }
  if (t->upload) fclose(t->upload), t->upload = NULL;
  if (c->write_out)
    cli_write_out(stdout, c->write_out, r, code, t->url,
                  c->method ? c->method : (c->head ? "HEAD" : (c->have_data || c->form.data ? "POST" : "GET")));
  if (code) c->exit_code = code;
  c->running--;
  c->done++;
  if (c->done == c->nxfers) gale_loop_stop(c->loop);
  else start_next(c);
}

static const char *remote_name(const char *url) {
  const char *q = url + strcspn(url, "?#");
  const char *s = q;
  while (s > url && s[-1] != '/') s--;
  if (s == q) return NULL;
  return strndup(s, (size_t)(q - s));
}

static int start_transfer(fetch_cli *c, transfer *t) {
  gale_http_request req;
  char *url = NULL;
  const char *body = NULL;
  size_t body_len = 0;
  int st;
  gale_http_request_init(&req, t->url);
  t->content_length = -1;
  if (c->get_data && c->have_data) {
    if (asprintf(&url, "%s%c%s", t->url, strchr(t->url, '?') ? '&' : '?', c->data.data) < 0)
      return GALE_ENOMEM;
    req.url = url;
  }
  req.method = c->method ? c->method : c->head ? "HEAD" : "GET";
  if (!c->get_data && c->have_data) {
    body = c->data.data;
    body_len = c->data.len;
    if (!c->method) req.method = "POST";
  } else if (c->form.data) {
    if (!c->form_done) {
      char end[64];
      int n = snprintf(end, sizeof end, "--%s--\r\n", c->boundary);
      if (!form_append(c, end, (size_t)n)) return GALE_ENOMEM;
      c->form_done = true;
    }
    body = c->form.data;
    body_len = c->form.len;
    if (!c->method) req.method = "POST";
  }
  if (c->upload_file) {
    t->upload = strcmp(c->upload_file, "-") == 0 ? stdin : fopen(c->upload_file, "rb");
    if (!t->upload) {
      fprintf(stderr, "gale: cannot read %s: %s\n", c->upload_file, strerror(errno));
      free(url);
      return GALE_ESYS;
    }
    req.body_producer = upload_producer;
    req.body_producer_arg = t;
    if (t->upload != stdin) {
      if (fseeko(t->upload, 0, SEEK_END) == 0) {
        req.body_size = ftello(t->upload);
        fseeko(t->upload, 0, SEEK_SET);
      }
    }
    if (!c->method) req.method = "PUT";
  }
  req.body = body;
  req.body_len = body_len;
  req.headers = c->headers;
  req.allow_nonstandard_methods = true;
  req.follow_redirects = c->follow;
  req.max_redirects = (int)c->max_redirs;
  req.decompress_response = c->compressed;
  req.user_agent = c->user_agent;
  req.referer = c->referer;
  req.auth_username = c->user_name;
  req.auth_password = c->user_pass;
  req.connect_timeout = c->connect_timeout;
  req.request_timeout = c->max_time;
  req.validate_cert = !c->insecure;
  req.ca_certs = c->cacert;
  req.client_cert = c->cert;
  req.client_key = c->key;
  req.proxy_host = c->proxy_host;
  req.proxy_port = c->proxy_port;
  req.proxy_username = c->proxy_name;
  req.proxy_password = c->proxy_pass;
  req.allow_ipv6 = !c->ipv4_only;
  req.allow_ipv4 = !c->ipv6_only;
  req.network_interface = c->iface;
  req.max_body_size = c->max_filesize;
  req.if_modified_since = c->time_cond;
  req.debug_callback = on_debug;
  req.debug_callback_arg = t;
  req.streaming_callback = on_body;
  req.streaming_callback_arg = t;
  t->show_progress = !c->silent && !c->verbose && !c->parallel && isatty(2) &&
                     (t->outname || !isatty(1)) && !c->head;
  if (t->show_progress) cli_progress_start(&t->progress, cli_now());
  st = gale_http_client_fetch(c->client, &req, on_done, t, NULL);
  free(url);
  return st;
}

static void start_next(fetch_cli *c) {
  size_t limit = c->parallel ? (size_t)c->parallel_max : 1;
  while (c->next < c->nxfers && c->running < limit) {
    transfer *t = &c->xfers[c->next++];
    int st;
    c->running++;
    st = start_transfer(c, t);
    if (st != GALE_OK) {
      int code = st == GALE_EURL ? CLI_EXIT_URL
                 : st == GALE_ENOTSUP ? CLI_EXIT_FAILED
                 : st == GALE_ESYS ? CLI_EXIT_READ
                 : st == GALE_ENOMEM ? CLI_EXIT_NOMEM : CLI_EXIT_URL;
      if (!c->silent || c->show_error)
        fprintf(stderr, "gale: (%d) %s: %s\n", code, cli_exit_text(code), t->url);
      c->exit_code = code;
      c->running--;
      c->done++;
      if (c->done == c->nxfers) {
        gale_loop_stop(c->loop);
        return;
      }
    }
  }
}

static void cli_free(fetch_cli *c) {
  gale_http_client_free(c->client);
  /* Let closing connections finish their close callbacks. */
  for (int i = 0; i < 3 && c->loop; i++) gale_loop_run_once(c->loop, 0);
  gale_loop_free(c->loop);
  gale_headers_free(c->headers);
  gale_buf_release(&c->form);
  gale_buf_release(&c->data);
  free(c->proxy_host);
  free(c->user_name);
  free(c->user_pass);
  free(c->proxy_name);
  free(c->proxy_pass);
  for (size_t i = 0; i < c->nxfers; i++)
    if (c->xfers[i].remote_name) free((char *)c->xfers[i].outname);
  free(c->xfers);
  if (c->dump && c->dump != stdout) fclose(c->dump);
  free((char *)c->write_out);
}

int cli_fetch_main(int argc, char **argv) {
  fetch_cli c;
  const char **outs = NULL;
  bool *remote = NULL;
  size_t nouts = 0;
  int opt, rc = 0;
  char **resolves = NULL;
  size_t nresolves = 0;
  memset(&c, 0, sizeof c);
  c.max_redirs = 50;
  c.connect_timeout = 20;
  c.max_time = 0;
  c.parallel_max = 50;
  outs = calloc((size_t)argc + 1, sizeof *outs);
  remote = calloc((size_t)argc + 1, sizeof *remote);
  resolves = calloc((size_t)argc + 1, sizeof *resolves);
  if (!outs || !remote || !resolves) return CLI_EXIT_NOMEM;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "X:H:d:GF:T:o:OD:LiIsSvfkE:u:A:e:m:z:x:U:46w:Zh", long_opts,
                            NULL)) != -1) {
    long n;
    double s;
    switch (opt) {
    case 'X': c.method = optarg; break;
    case 'H': rc = add_header(&c, optarg); break;
    case 'd': rc = add_data(&c, optarg, true, true); break;
    case OPT_DATA_BINARY: rc = add_data(&c, optarg, true, false); break;
    case OPT_DATA_RAW: rc = add_data(&c, optarg, false, false); break;
    case OPT_DATA_URLENCODE: rc = add_urlencoded(&c, optarg); break;
    case 'G': c.get_data = true; break;
    case 'F': rc = add_form(&c, optarg); break;
    case 'T': c.upload_file = optarg; break;
    case 'o': outs[nouts++] = optarg; break;
    case 'O': remote[nouts] = true; outs[nouts++] = NULL; break;
    case 'D': c.dump_header = optarg; break;
    case 'L': c.follow = true; break;
    case OPT_MAX_REDIRS:
      if (!cli_parse_int(optarg, -1, 1000000, &n)) rc = usage_error("bad --max-redirs '%s'", optarg);
      c.max_redirs = n < 0 ? 1000000 : n;
      break;
    case 'i': c.include = true; break;
    case 'I': c.head = true; break;
    case 's': c.silent = true; break;
    case 'S': c.show_error = true; break;
    case 'v': c.verbose = true; break;
    case 'f': c.fail = true; break;
    case 'k': c.insecure = true; break;
    case OPT_CACERT: c.cacert = optarg; break;
    case 'E': c.cert = optarg; break;
    case OPT_KEY: c.key = optarg; break;
    case 'u': split_userpass(optarg, &c.user_name, &c.user_pass); break;
    case 'A': c.user_agent = optarg; break;
    case 'e': c.referer = optarg; break;
    case OPT_COMPRESSED: c.compressed = true; break;
    case OPT_CONNECT_TIMEOUT:
      if (!cli_parse_seconds(optarg, &s)) rc = usage_error("bad --connect-timeout '%s'", optarg);
      c.connect_timeout = s;
      break;
    case 'm':
      if (!cli_parse_seconds(optarg, &s)) rc = usage_error("bad --max-time '%s'", optarg);
      c.max_time = s;
      break;
    case OPT_MAX_FILESIZE:
      if (!cli_parse_size(optarg, &c.max_filesize)) rc = usage_error("bad --max-filesize '%s'", optarg);
      break;
    case 'z':
      if (gale_http_date_parse(optarg, strlen(optarg), &c.time_cond) != GALE_OK)
        rc = usage_error("bad --time-cond date '%s' (use an HTTP date)", optarg);
      break;
    case OPT_RESOLVE: resolves[nresolves++] = optarg; break;
    case 'x': rc = parse_proxy(&c, optarg); break;
    case 'U': split_userpass(optarg, &c.proxy_name, &c.proxy_pass); break;
    case OPT_INTERFACE: c.iface = optarg; break;
    case '4': c.ipv4_only = true; c.ipv6_only = false; break;
    case '6': c.ipv6_only = true; c.ipv4_only = false; break;
    case 'w':
      if (optarg[0] == '@') {
        size_t len;
        char *fmt = cli_read_file(optarg + 1, &len);
        if (!fmt) rc = usage_error("cannot read the --write-out file '%s'", optarg + 1);
        free((char *)c.write_out);
        c.write_out = fmt;
      } else {
        free((char *)c.write_out);
        c.write_out = strdup(optarg);
      }
      break;
    case 'Z': c.parallel = true; break;
    case OPT_PARALLEL_MAX:
      if (!cli_parse_int(optarg, 1, 300, &n)) rc = usage_error("bad --parallel-max '%s'", optarg);
      c.parallel_max = n;
      break;
    case OPT_HTTP11: case OPT_NO_KEEPALIVE: break;
    case 'h':
      fetch_usage(stdout);
      free(outs), free(remote), free(resolves);
      c.loop = NULL;
      cli_free(&c);
      return 0;
    default: rc = CLI_EXIT_USAGE; break;
    }
    if (rc) break;
  }
  if (!rc && optind >= argc) {
    fprintf(stderr, "gale: no URL specified\ngale: try 'gale fetch --help'\n");
    rc = CLI_EXIT_USAGE; /* as curl */
  }
  if (!rc) {
    gale_http_client_options o;
    c.loop = gale_loop_new();
    gale_http_client_options_init(&o);
    o.max_clients = c.parallel ? (int)c.parallel_max : 1;
    o.max_idle_per_host = o.max_clients;
    if (!c.loop || gale_http_client_new(c.loop, &o, &c.client) != GALE_OK) rc = CLI_EXIT_NOMEM;
  }
  for (size_t i = 0; !rc && i < nresolves; i++) rc = add_resolve(&c, resolves[i]);
  if (!rc && c.dump_header) {
    c.dump = strcmp(c.dump_header, "-") == 0 ? stdout : fopen(c.dump_header, "wb");
    if (!c.dump) {
      fprintf(stderr, "gale: cannot open %s: %s\n", c.dump_header, strerror(errno));
      rc = CLI_EXIT_WRITE;
    }
  }
  if (!rc && c.have_data && !c.get_data && !(c.headers && gale_headers_get(c.headers, "Content-Type"))) {
    if (!c.headers && !(c.headers = gale_headers_new())) rc = CLI_EXIT_NOMEM;
    else gale_headers_add(c.headers, "Content-Type", "application/x-www-form-urlencoded");
  }
  if (!rc && c.form.data && !(c.headers && gale_headers_get(c.headers, "Content-Type"))) {
    if (!c.headers && !(c.headers = gale_headers_new())) rc = CLI_EXIT_NOMEM;
    else gale_headers_add(c.headers, "Content-Type", c.form_type);
  }
  if (!rc && !(c.headers && gale_headers_get(c.headers, "Accept"))) {
    if (!c.headers && !(c.headers = gale_headers_new())) rc = CLI_EXIT_NOMEM;
    else gale_headers_add(c.headers, "Accept", "*/*");
  }
  if (!rc) {
    c.nxfers = (size_t)(argc - optind);
    c.xfers = calloc(c.nxfers, sizeof *c.xfers);
    if (!c.xfers) rc = CLI_EXIT_NOMEM;
    for (size_t i = 0; !rc && i < c.nxfers; i++) {
      transfer *t = &c.xfers[i];
      t->cli = &c;
      t->url = argv[optind + (int)i];
      if (i < nouts) {
        if (remote[i]) {
          t->outname = remote_name(t->url);
          t->remote_name = true;
          if (!t->outname) {
            fprintf(stderr, "gale: no file name in the URL %s for -O\n", t->url);
            rc = CLI_EXIT_WRITE;
          }
        } else if (outs[i] && strcmp(outs[i], "-") != 0) {
          t->outname = outs[i];
        }
      }
    }
  }
  free(outs);
  free(remote);
  free(resolves);
  if (!rc) {
    c.exit_code = 0;
    start_next(&c);
    if (c.done < c.nxfers) gale_loop_run(c.loop);
    rc = c.exit_code;
  }
  cli_free(&c);
  return rc;
}
