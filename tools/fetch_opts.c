/* SPDX-License-Identifier: MIT */
/* gale fetch's command line: curl's option spellings parsed into a
 * fetch_cli (fetch.h). */
#include "fetch.h"

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

int fetch_usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "gale: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\ngale: try 'gale fetch --help'\n");
  return CLI_EXIT_USAGE;
}

static void fetch_usage(FILE *out) {
  fputs("Usage: gale fetch [options] URL...\n"
        "Options (curl's spellings):\n"
        "  -X, --request METHOD     request method\n"
        "  -H, --header 'N: V'      extra request header (repeatable)\n"
        "  -d, --data DATA          POST data (@file: read it, dropping CR/LF); repeatable, joined "
        "by &\n"
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
        "      --post301/302/303    keep POST after that redirect (default: GET)\n"
        "  -i, --include            include response headers in the output\n"
        "  -I, --head               HEAD request, print the headers\n"
        "  -s, --silent             no progress bar, no error messages\n"
        "  -#, --progress-bar       curl's plain '#' progress bar\n"
        "  -S, --show-error         error messages even with -s\n"
        "  -v, --verbose            request/response headers on stderr ('> ', '< ', '* ')\n"
        "  -f, --fail               exit 22 without output on HTTP codes >= 400\n"
        "      --fail-with-body     exit 22 on HTTP codes >= 400, the body still written\n"
        "      --json DATA          POST JSON (@file reads it); Content-Type and Accept JSON\n"
        "  -r, --range N-M[,...]    ask for byte ranges\n"
        "  -C, --continue-at N|-    resume at byte N (-: the output file's size)\n"
        "      --etag-save FILE     save the response's ETag to FILE\n"
        "      --etag-compare FILE  send If-None-Match with the ETag in FILE\n"
        "      --retry N            retry transient failures (timeouts, 408, 429, 5xx) N times\n"
        "      --retry-delay S      seconds between retries (default: 1 s, doubling)\n"
        "      --retry-max-time S   no retry after S seconds in total\n"
        "      --retry-all-errors   retry on any error; --retry-connrefused: on refused too\n"
        "      --url URL            a URL to fetch (repeatable, besides the arguments)\n"
        "  -K, --config FILE        read options from FILE (curl's syntax; - for stdin)\n"
        "  -g, --globoff            no URL globbing ({a,b}, [1-9], [a-z]; #N in -o names)\n"
        "  -b, --cookie N=V|FILE    send cookies; or read a cookie jar (Netscape format)\n"
        "  -c, --cookie-jar FILE    write the cookies after the transfers\n"
        "  -j, --junk-session-cookies  drop session cookies read with -b FILE\n"
        "  -n, --netrc              credentials from ~/.netrc; --netrc-file FILE from FILE\n"
        "      --output-dir DIR     write -o/-O files in DIR; --create-dirs makes directories\n"
        "  -k, --insecure           do not verify the server's certificate\n"
        "      --cacert FILE        CA bundle to verify with\n"
        "  -E, --cert FILE          client certificate (PEM)\n"
        "      --key FILE           client key (PEM)\n"
        "  -u, --user USER:PASS     basic authentication\n"
        "  -A, --user-agent UA      User-Agent\n"
        "  -e, --referer URL        Referer\n"
        "      --compressed         ask for gzip and decompress\n"
        "      --connect-timeout S  seconds for DNS + connect + TLS (default 20)\n"
        "  -m, --max-time S         seconds for the whole transfer (default: no limit, as curl)\n"
        "      --max-filesize SIZE  fail (63) past SIZE bytes (k, M, G suffixes)\n"
        "      --limit-rate SPEED   download at most SPEED bytes/s (k, M, G suffixes)\n"
        "  -z, --time-cond DATE     If-Modified-Since: DATE (an HTTP date)\n"
        "      --resolve H:P:ADDR   use ADDR for host H port P\n"
        "      --connect-to H1:P1:H2:P2  connect to H2:P2 for H1:P1 (empty: any / the same)\n"
        "  -x, --proxy [http://]HOST[:PORT]   HTTP proxy (CONNECT for https)\n"
        "  -U, --proxy-user U:P     proxy credentials\n"
        "      --noproxy LIST       hosts reached without the proxy (as NO_PROXY; * for all)\n"
        "                           Without -x: http_proxy, https_proxy, ALL_PROXY, NO_PROXY\n"
        "      --interface ADDR     source IP address\n"
        "      --unix-socket PATH   connect to this unix domain socket instead of the\n"
        "                           URL's host and port (the URL still names the Host)\n"
        "  -4, --ipv4 / -6, --ipv6  one address family only\n"
        "  -0, --http1.0            HTTP/1.0 requests (the connection closes after each)\n"
        "      --http1.1            HTTP/1.1 only (ALPN offers http/1.1 alone)\n"
        "      --http2              HTTP/2 by ALPN for https (the default), else HTTP/1.1\n"
        "      --http2-prior-knowledge  HTTP/2 without negotiation (h2c for http://)\n"
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
  OPT_DATA_BINARY = 256,
  OPT_DATA_RAW,
  OPT_DATA_URLENCODE,
  OPT_MAX_REDIRS,
  OPT_CACERT,
  OPT_KEY,
  OPT_COMPRESSED,
  OPT_CONNECT_TIMEOUT,
  OPT_RESOLVE,
  OPT_PARALLEL_MAX,
  OPT_MAX_FILESIZE,
  OPT_INTERFACE,
  OPT_HTTP11,
  OPT_NO_KEEPALIVE,
  OPT_HTTP2,
  OPT_HTTP2_PK,
  OPT_UNIX_SOCKET,
  OPT_URL,
  OPT_OUTPUT_DIR,
  OPT_CREATE_DIRS,
  OPT_FAIL_WITH_BODY,
  OPT_JSON,
  OPT_ETAG_SAVE,
  OPT_ETAG_COMPARE,
  OPT_RETRY,
  OPT_RETRY_DELAY,
  OPT_RETRY_MAX_TIME,
  OPT_RETRY_ALL_ERRORS,
  OPT_RETRY_CONNREFUSED,
  OPT_NOPROXY,
  OPT_NETRC_FILE,
  OPT_NETRC_OPTIONAL,
  OPT_POST301,
  OPT_POST302,
  OPT_POST303,
  OPT_CONNECT_TO,
  OPT_LIMIT_RATE
};

static const char short_opts[] = "X:H:d:GF:T:o:OD:LiIsSvfkE:u:A:e:m:z:x:U:46w:Zhr:C:K:ngb:c:j#0";

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
    {"post301", no_argument, NULL, OPT_POST301},
    {"post302", no_argument, NULL, OPT_POST302},
    {"post303", no_argument, NULL, OPT_POST303},
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
    {"connect-to", required_argument, NULL, OPT_CONNECT_TO},
    {"limit-rate", required_argument, NULL, OPT_LIMIT_RATE},
    {"proxy", required_argument, NULL, 'x'},
    {"proxy-user", required_argument, NULL, 'U'},
    {"interface", required_argument, NULL, OPT_INTERFACE},
    {"unix-socket", required_argument, NULL, OPT_UNIX_SOCKET},
    {"ipv4", no_argument, NULL, '4'},
    {"ipv6", no_argument, NULL, '6'},
    {"write-out", required_argument, NULL, 'w'},
    {"parallel", no_argument, NULL, 'Z'},
    {"parallel-max", required_argument, NULL, OPT_PARALLEL_MAX},
    {"http1.1", no_argument, NULL, OPT_HTTP11},
    {"http1.0", no_argument, NULL, '0'},
    {"http2", no_argument, NULL, OPT_HTTP2},
    {"http2-prior-knowledge", no_argument, NULL, OPT_HTTP2_PK},
    {"no-keepalive", no_argument, NULL, OPT_NO_KEEPALIVE},
    {"url", required_argument, NULL, OPT_URL},
    {"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
    {"create-dirs", no_argument, NULL, OPT_CREATE_DIRS},
    {"fail-with-body", no_argument, NULL, OPT_FAIL_WITH_BODY},
    {"json", required_argument, NULL, OPT_JSON},
    {"range", required_argument, NULL, 'r'},
    {"continue-at", required_argument, NULL, 'C'},
    {"etag-save", required_argument, NULL, OPT_ETAG_SAVE},
    {"etag-compare", required_argument, NULL, OPT_ETAG_COMPARE},
    {"retry", required_argument, NULL, OPT_RETRY},
    {"retry-delay", required_argument, NULL, OPT_RETRY_DELAY},
    {"retry-max-time", required_argument, NULL, OPT_RETRY_MAX_TIME},
    {"retry-all-errors", no_argument, NULL, OPT_RETRY_ALL_ERRORS},
    {"retry-connrefused", no_argument, NULL, OPT_RETRY_CONNREFUSED},
    {"noproxy", required_argument, NULL, OPT_NOPROXY},
    {"config", required_argument, NULL, 'K'},
    {"globoff", no_argument, NULL, 'g'},
    {"progress-bar", no_argument, NULL, '#'},
    {"cookie", required_argument, NULL, 'b'},
    {"cookie-jar", required_argument, NULL, 'c'},
    {"junk-session-cookies", no_argument, NULL, 'j'},
    {"netrc", no_argument, NULL, 'n'},
    {"netrc-file", required_argument, NULL, OPT_NETRC_FILE},
    {"netrc-optional", no_argument, NULL, OPT_NETRC_OPTIONAL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int add_data(fetch_cli *c, const char *arg, bool at_file, bool strip) {
  const char *sep = c->json ? "" : "&"; /* --json pieces are joined as they are */
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
  if ((c->have_data && gale_buf_append(&c->data, sep, strlen(sep)) != GALE_OK) ||
      gale_buf_append(&c->data, chunk, len) != GALE_OK) {
    free(chunk);
    return CLI_EXIT_NOMEM;
  }
  c->have_data = true;
  free(chunk);
  return 0;
}

/* --data-urlencode, curl's five forms: "content", "=content",
 * "name=content", "@file", "name@file" (the first '=' or '@' decides). */
static int add_urlencoded(fetch_cli *c, const char *arg) {
  const char *sep = strpbrk(arg, "=@");
  size_t nl = sep ? (size_t)(sep - arg) : 0, vl, outl;
  char *val, *buf;
  int rc;
  if (sep && *sep == '@') {
    val = cli_read_file(sep + 1, &vl);
    if (!val) { /* curl warns and sends the name alone */
      fprintf(stderr, "gale: warning: cannot read data from %s: %s\n", sep + 1, strerror(errno));
      if (!(val = strdup(""))) return CLI_EXIT_NOMEM;
      vl = 0;
    }
  } else {
    const char *v = sep ? sep + 1 : arg;
    vl = strlen(v);
    if (!(val = strdup(v))) return CLI_EXIT_NOMEM;
  }
  buf = malloc(nl + 1 + vl * 3 + 1);
  if (!buf) {
    free(val);
    return CLI_EXIT_NOMEM;
  }
  memcpy(buf, arg, nl);
  if (nl) buf[nl++] = '=';
  gale_percent_encode(val, vl, GALE_PCT_PLUS_SPACE, buf + nl, vl * 3 + 1, &outl);
  free(val);
  rc = add_data(c, buf, false, false);
  free(buf);
  return rc;
}

/* "Name:" (nothing after the colon) removes a header gale fetch or the
 * client would add; the ones that cannot be removed are said so. */
static int remove_header(fetch_cli *c, const char *name, size_t len) {
  static const char *const removable[] = {"Accept", "User-Agent", "Content-Type", "Referer",
                                          "Accept-Encoding"};
  for (size_t i = 0; i < sizeof removable / sizeof removable[0]; i++) {
    if (strlen(removable[i]) == len && strncasecmp(name, removable[i], len) == 0) {
      if (!c->removed && !(c->removed = gale_headers_new())) return CLI_EXIT_NOMEM;
      if (gale_headers_add_n(c->removed, removable[i], len, "", 0) != GALE_OK)
        return CLI_EXIT_NOMEM;
      return 0;
    }
  }
  if (!c->silent)
    fprintf(stderr,
            "gale: warning: -H '%.*s:' cannot remove that header (gale fetch removes "
            "only Accept, User-Agent, Content-Type, Referer and Accept-Encoding)\n",
            (int)len, name);
  return 0;
}

static int add_header_line(fetch_cli *c, const char *arg) {
  const char *colon = strchr(arg, ':');
  const char *semi = strchr(arg, ';');
  if (!c->headers && !(c->headers = gale_headers_new())) return CLI_EXIT_NOMEM;
  if (colon) {
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t') v++;
    if (!*v) return remove_header(c, arg, (size_t)(colon - arg));
    if (gale_headers_add_n(c->headers, arg, (size_t)(colon - arg), v, strlen(v)) != GALE_OK)
      return fetch_usage_error("bad header '%s'", arg);
    return 0;
  }
  if (semi && semi[1] == '\0') { /* "Name;" sends an empty header */
    if (gale_headers_add_n(c->headers, arg, (size_t)(semi - arg), "", 0) != GALE_OK)
      return fetch_usage_error("bad header '%s'", arg);
    return 0;
  }
  return fetch_usage_error("bad header '%s' (expected 'Name: value')", arg);
}

/* -H, and -H @FILE: one header per line of FILE (CR LF or LF; blank lines
 * skipped), as curl 7.55. */
static int add_header(fetch_cli *c, const char *arg) {
  char *data, *line, *next;
  size_t len;
  int rc = 0;
  if (arg[0] != '@') return add_header_line(c, arg);
  data = cli_read_file(arg + 1, &len);
  if (!data) { /* curl warns and goes on */
    fprintf(stderr, "gale: warning: cannot read headers from %s: %s\n", arg + 1, strerror(errno));
    return 0;
  }
  for (line = data; !rc && line && *line; line = next) {
    size_t n = strcspn(line, "\r\n");
    next = line[n] ? line + n + 1 : NULL;
    line[n] = '\0';
    if (n) rc = add_header_line(c, line);
  }
  free(data);
  return rc;
}

/* -z DATE or -z FILE (the file's modification time); a leading '-' asks for
 * If-Unmodified-Since.  Neither a date nor a file: curl warns and sends no
 * condition. */
static int set_time_cond(fetch_cli *c, const char *arg) {
  struct stat st;
  const char *s = arg;
  c->time_cond_unmodified = false;
  if (*s == '-' || *s == '+') c->time_cond_unmodified = *s++ == '-';
  if (gale_http_date_parse(s, strlen(s), &c->time_cond) == GALE_OK) return 0;
  if (stat(s, &st) == 0) {
    c->time_cond = st.st_mtime;
    return 0;
  }
  c->time_cond = 0;
  fprintf(stderr, "gale: warning: illegal date format for -z, --time-cond (and not a file "
                  "name); no time condition sent\n");
  return 0;
}

static void split_userpass(const char *s, char **user, char **pass) {
  const char *colon = strchr(s, ':');
  free(*user);
  free(*pass);
  *user = colon ? strndup(s, (size_t)(colon - s)) : strdup(s);
  *pass = strdup(colon ? colon + 1 : "");
}

/* -x: "" turns the environment's proxy off, as curl. */
static int set_proxy(fetch_cli *c, const char *p) {
  const char *why;
  int rc;
  c->proxy_given = true;
  memset(&c->proxy, 0, sizeof c->proxy);
  if (!*p) return 0;
  if ((rc = cli_parse_proxy(p, &c->proxy, &why)) != 0 && (!c->silent || c->show_error))
    fprintf(stderr, "gale: (%d) %s in '%s'\n", rc, why, p);
  return rc;
}

/* One field of a --connect-to spec at *p (a [bracketed] IPv6 address
 * allowed) into out; *p moves past it and its ':'.  false if malformed. */
static bool connect_field(const char **p, char *out, size_t cap, bool last) {
  const char *s = *p, *e;
  size_t n;
  if (*s == '[') {
    e = strchr(s, ']');
    if (!e) return false;
    s++;
    n = (size_t)(e - s);
    e++;
  } else {
    e = last ? s + strlen(s) : strchr(s, ':');
    if (!e) return false;
    n = (size_t)(e - s);
  }
  if (n >= cap) return false;
  memcpy(out, s, n);
  out[n] = '\0';
  if (!last && *e != ':') return false;
  if (last && *e) return false;
  *p = last ? e : e + 1;
  return true;
}

int fetch_connect_to_match(const char *spec, const char *host, int port, char *to_host, size_t cap,
                           int *to_port) {
  char h1[256], p1[8], p2[8];
  const char *p = spec;
  long n1 = 0, n2 = 0;
  if (!connect_field(&p, h1, sizeof h1, false) || !connect_field(&p, p1, sizeof p1, false) ||
      !connect_field(&p, to_host, cap, false) || !connect_field(&p, p2, sizeof p2, true))
    return -1;
  if ((*p1 && !cli_parse_int(p1, 1, 65535, &n1)) || (*p2 && !cli_parse_int(p2, 1, 65535, &n2)))
    return -1;
  *to_port = (int)n2;
  if (!host) return 0;
  return (!*h1 || strcasecmp(h1, host) == 0) && (!n1 || n1 == port);
}

int fetch_add_resolve(fetch_cli *c, const char *arg) {
  /* host:port:addr[,addr]... ; addresses may be bracketed IPv6. */
  char *copy = strdup(arg), *p1, *p2, *addrs, *w;
  long port;
  int st;
  if (!copy) return CLI_EXIT_NOMEM;
  p1 = strchr(copy, ':');
  p2 = p1 ? strchr(p1 + 1, ':') : NULL;
  if (!p1 || !p2) {
    free(copy);
    return fetch_usage_error("bad --resolve '%s' (HOST:PORT:ADDRESS)", arg);
  }
  *p1 = *p2 = '\0';
  if (!cli_parse_int(p1 + 1, 0, 65535, &port)) {
    free(copy);
    return fetch_usage_error("bad port in --resolve '%s'", arg);
  }
  addrs = p2 + 1;
  for (w = addrs; *addrs; addrs++) /* drop brackets */
    if (*addrs != '[' && *addrs != ']') *w++ = *addrs;
  *w = '\0';
  st = gale_resolver_add_override(gale_http_client_resolver(c->client), copy, (int)port, p2 + 1);
  free(copy);
  if (st != GALE_OK) return fetch_usage_error("bad --resolve '%s'", arg);
  return 0;
}

static int set_write_out(fetch_cli *c, const char *arg) {
  int rc = 0;
  char *fmt;
  if (arg[0] == '@') {
    size_t len;
    fmt = cli_read_file(arg + 1, &len);
    if (!fmt) rc = fetch_usage_error("cannot read the --write-out file '%s'", arg + 1);
  } else {
    fmt = strdup(arg);
  }
  free((char *)c->write_out);
  c->write_out = fmt;
  return rc;
}

static char *home_netrc(void) {
  const char *home = getenv("HOME");
  char *path = NULL;
  if (home && asprintf(&path, "%s/.netrc", home) < 0) path = NULL;
  return path;
}

/* Options that shape the request body and method. */
static int body_option(fetch_cli *c, int opt, const char *arg) {
  switch (opt) {
  case 'X': c->method = arg; return 0;
  case 'H': return add_header(c, arg);
  case 'd': return add_data(c, arg, true, true);
  case OPT_DATA_BINARY: return add_data(c, arg, true, false);
  case OPT_DATA_RAW: return add_data(c, arg, false, false);
  case OPT_DATA_URLENCODE: return add_urlencoded(c, arg);
  case OPT_JSON: c->json = true; return add_data(c, arg, true, false);
  case 'r':
    if (!*arg || strspn(arg, "0123456789-,") != strlen(arg))
      return fetch_usage_error("bad --range '%s' (N-M[,N-M...])", arg);
    c->range = arg;
    return 0;
  case 'G': c->get_data = true; return 0;
  case 'F': return fetch_add_form(c, arg);
  case 'T': c->upload_file = arg; return 0;
  case 'u': split_userpass(arg, &c->user_name, &c->user_pass); return 0;
  case 'A': c->user_agent = arg; return 0;
  case 'e': c->referer = arg; return 0;
  case 'z': return set_time_cond(c, arg);
  default: return -2; /* not one of these */
  }
}

/* Options with a numeric argument. */
static int number_option(fetch_cli *c, int opt, const char *arg) {
  long n;
  double s;
  switch (opt) {
  case OPT_MAX_REDIRS:
    if (!cli_parse_int(arg, -1, 1000000, &n))
      return fetch_usage_error("bad --max-redirs '%s'", arg);
    c->max_redirs = n < 0 ? 1000000 : n;
    return 0;
  case OPT_CONNECT_TIMEOUT:
    if (!cli_parse_seconds(arg, &s)) return fetch_usage_error("bad --connect-timeout '%s'", arg);
    c->connect_timeout = s;
    return 0;
  case 'm':
    if (!cli_parse_seconds(arg, &s)) return fetch_usage_error("bad --max-time '%s'", arg);
    c->max_time = s;
    return 0;
  case OPT_LIMIT_RATE:
    if (!cli_parse_size(arg, &c->limit_rate))
      return fetch_usage_error("bad --limit-rate '%s'", arg);
    return 0;
  case OPT_MAX_FILESIZE:
    if (!cli_parse_size(arg, &c->max_filesize))
      return fetch_usage_error("bad --max-filesize '%s'", arg);
    return 0;
  case 'C':
    c->resume_auto = strcmp(arg, "-") == 0;
    c->resume_from = 0;
    if (!c->resume_auto) {
      if (!cli_parse_int(arg, 0, LONG_MAX, &n))
        return fetch_usage_error("bad --continue-at '%s'", arg);
      c->resume_from = n;
    }
    return 0;
  case OPT_RETRY:
    if (!cli_parse_int(arg, 0, 1000000, &n)) return fetch_usage_error("bad --retry '%s'", arg);
    c->retry = n;
    return 0;
  case OPT_RETRY_DELAY:
    if (!cli_parse_seconds(arg, &s)) return fetch_usage_error("bad --retry-delay '%s'", arg);
    c->retry_delay = s;
    return 0;
  case OPT_RETRY_MAX_TIME:
    if (!cli_parse_seconds(arg, &s)) return fetch_usage_error("bad --retry-max-time '%s'", arg);
    c->retry_max_time = s;
    return 0;
  case OPT_PARALLEL_MAX:
    if (!cli_parse_int(arg, 1, 300, &n)) return fetch_usage_error("bad --parallel-max '%s'", arg);
    c->parallel_max = n;
    return 0;
  default: return -2;
  }
}

/* Output, connection and TLS options. */
static int other_option(fetch_cli *c, int opt, const char *arg) {
  switch (opt) {
  case 'o': c->outs[c->nouts++] = arg; break;
  case 'O':
    c->remote[c->nouts] = true;
    c->outs[c->nouts++] = NULL;
    break;
  case 'D': c->dump_header = arg; break;
  case 'L': c->follow = true; break;
  case OPT_POST301: c->post_redirects |= GALE_HTTP_POST_301; break;
  case OPT_POST302: c->post_redirects |= GALE_HTTP_POST_302; break;
  case OPT_POST303: c->post_redirects |= GALE_HTTP_POST_303; break;
  case 'i': c->include = true; break;
  case 'I': c->head = true; break;
  case 's': c->silent = true; break;
  case 'S': c->show_error = true; break;
  case 'v': c->verbose = true; break;
  case 'f': c->fail = true; break;
  case OPT_FAIL_WITH_BODY: c->fail_with_body = true; break;
  case OPT_URL: c->urls[c->nurls++] = arg; break;
  case OPT_OUTPUT_DIR: c->output_dir = arg; break;
  case OPT_CREATE_DIRS: c->create_dirs = true; break;
  case OPT_ETAG_SAVE: c->etag_save = arg; break;
  case OPT_ETAG_COMPARE: c->etag_compare = arg; break;
  case OPT_RETRY_ALL_ERRORS: c->retry_all_errors = true; break;
  case OPT_RETRY_CONNREFUSED: c->retry_connrefused = true; break;
  case 'k': c->insecure = true; break;
  case OPT_CACERT: c->cacert = arg; break;
  case 'E': c->cert = arg; break;
  case OPT_KEY: c->key = arg; break;
  case OPT_COMPRESSED: c->compressed = true; break;
  case OPT_RESOLVE: c->resolves[c->nresolves++] = (char *)arg; break;
  case OPT_CONNECT_TO: {
    char h[256];
    int p;
    if (fetch_connect_to_match(arg, NULL, 0, h, sizeof h, &p) < 0) /* curl ignores it too */
      fprintf(stderr, "gale: warning: bad --connect-to '%s' (HOST1:PORT1:HOST2:PORT2) ignored\n",
              arg);
    else
      c->connect_tos[c->nconnect_tos++] = arg;
    break;
  }
  case 'x': return set_proxy(c, arg);
  case 'U':
    if (!cli_proxy_userpass(&c->proxy_creds, arg))
      return fetch_usage_error("bad --proxy-user '%s'", arg);
    break;
  case OPT_NOPROXY: c->noproxy = arg; break;
  case 'K': break; /* expanded before parsing */
  case 'g': c->globoff = true; break;
  case '#': c->hash_bar = true; break;
  case 'b': /* "n=v; ..." is sent as it is; anything else names a jar file */
    if (strchr(arg, '=')) {
      if ((c->cookie_pairs.len && gale_buf_append(&c->cookie_pairs, ";", 1) != GALE_OK) ||
          gale_buf_append(&c->cookie_pairs, arg, strlen(arg)) != GALE_OK)
        return CLI_EXIT_NOMEM;
    } else {
      c->cookie_engine = true;
      if (*arg) c->cookie_files[c->ncookie_files++] = arg;
    }
    break;
  case 'c':
    c->cookie_jar = arg;
    c->cookie_engine = true;
    break;
  case 'j': c->junk_session = true; break;
  case 'n':
  case OPT_NETRC_OPTIONAL:
    if (!c->netrc_file && !(c->netrc_file = c->netrc_home = home_netrc())) return CLI_EXIT_NOMEM;
    break;
  case OPT_NETRC_FILE: c->netrc_file = arg; break;
  case OPT_INTERFACE: c->iface = arg; break;
  case OPT_UNIX_SOCKET: c->unix_socket = arg; break;
  case '4':
    c->ipv4_only = true;
    c->ipv6_only = false;
    break;
  case '6':
    c->ipv6_only = true;
    c->ipv4_only = false;
    break;
  case 'w': return set_write_out(c, arg);
  case 'Z': c->parallel = true; break;
  case OPT_NO_KEEPALIVE: break;
  case OPT_HTTP11: c->http_version = GALE_HTTP_VERSION_1_1; break;
  case '0': c->http_version = GALE_HTTP_VERSION_1_0; break;
  case OPT_HTTP2: c->http_version = GALE_HTTP_VERSION_2; break;
  case OPT_HTTP2_PK: c->http_version = GALE_HTTP_VERSION_2_PRIOR_KNOWLEDGE; break;
  default: return CLI_EXIT_USAGE;
  }
  return 0;
}

static int takes_arg(const char *opt) {
  if (opt[0] == '-' && opt[1] == '-') {
    const char *name = opt + 2;
    size_t n = strcspn(name, "=");
    for (const struct option *o = long_opts; o->name; o++)
      if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
        return o->has_arg == required_argument;
    return -1;
  }
  if (opt[0] == '-' && opt[1] && opt[1] != ':') {
    const char *p = strchr(short_opts, opt[1]);
    return p ? p[1] == ':' : -1;
  }
  return -1;
}

int fetch_parse_options(fetch_cli *c, int *argcp, char ***argvp) {
  static const fetch_opt_info info = {takes_arg};
  int opt, rc, argc;
  char **argv, **expanded;
  rc = fetch_expand_config(*argcp, *argvp, &info, &argc, &expanded);
  if (rc) return rc;
  if (expanded) {
    c->cfg_argv = expanded;
    *argcp = argc;
    *argvp = expanded;
  }
  argc = *argcp;
  argv = *argvp;
  c->outs = calloc((size_t)argc + 1, sizeof *c->outs);
  c->remote = calloc((size_t)argc + 1, sizeof *c->remote);
  c->resolves = calloc((size_t)argc + 1, sizeof *c->resolves);
  c->urls = calloc((size_t)argc + 1, sizeof *c->urls);
  c->cookie_files = calloc((size_t)argc + 1, sizeof *c->cookie_files);
  c->connect_tos = calloc((size_t)argc + 1, sizeof *c->connect_tos);
  if (!c->outs || !c->remote || !c->resolves || !c->urls || !c->cookie_files || !c->connect_tos)
    return CLI_EXIT_NOMEM;
  optind = 1;
  while ((opt = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
    if (opt == 'h') {
      fetch_usage(stdout);
      return -1;
    }
    rc = body_option(c, opt, optarg);
    if (rc == -2) rc = number_option(c, opt, optarg);
    if (rc == -2) rc = other_option(c, opt, optarg);
    if (rc) return rc;
  }
  if (optind >= argc && !c->nurls) {
    fprintf(stderr, "gale: no URL specified\ngale: try 'gale fetch --help'\n");
    return CLI_EXIT_USAGE; /* as curl */
  }
  return 0;
}
