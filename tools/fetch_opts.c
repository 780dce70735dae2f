/* SPDX-License-Identifier: MIT */
/* gale fetch's command line: curl's option spellings parsed into a
 * fetch_cli (fetch.h). */
#include "fetch.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
        "      --unix-socket PATH   connect to this unix domain socket instead of the\n"
        "                           URL's host and port (the URL still names the Host)\n"
        "  -4, --ipv4 / -6, --ipv6  one address family only\n"
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
  OPT_DATA_BINARY = 256, OPT_DATA_RAW, OPT_DATA_URLENCODE, OPT_MAX_REDIRS, OPT_CACERT, OPT_KEY,
  OPT_COMPRESSED, OPT_CONNECT_TIMEOUT, OPT_RESOLVE, OPT_PARALLEL_MAX, OPT_MAX_FILESIZE,
  OPT_INTERFACE, OPT_HTTP11, OPT_NO_KEEPALIVE, OPT_HTTP2, OPT_HTTP2_PK, OPT_UNIX_SOCKET
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
    {"unix-socket", required_argument, NULL, OPT_UNIX_SOCKET},
    {"ipv4", no_argument, NULL, '4'},
    {"ipv6", no_argument, NULL, '6'},
    {"write-out", required_argument, NULL, 'w'},
    {"parallel", no_argument, NULL, 'Z'},
    {"parallel-max", required_argument, NULL, OPT_PARALLEL_MAX},
    {"http1.1", no_argument, NULL, OPT_HTTP11},
    {"http2", no_argument, NULL, OPT_HTTP2},
    {"http2-prior-knowledge", no_argument, NULL, OPT_HTTP2_PK},
    {"no-keepalive", no_argument, NULL, OPT_NO_KEEPALIVE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

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

static int add_header(fetch_cli *c, const char *arg) {
  const char *colon = strchr(arg, ':');
  const char *semi = strchr(arg, ';');
  if (!c->headers && !(c->headers = gale_headers_new())) return CLI_EXIT_NOMEM;
  if (colon) {
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t') v++;
    if (!*v) return 0; /* curl: "Name:" removes an internal header; nothing to add */
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
    return fetch_usage_error("unsupported proxy scheme in '%s' (only http:// proxies)", p);
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
    if (!rb) return fetch_usage_error("bad proxy '%s'", p);
    c->proxy_host = strndup(host + 1, (size_t)(rb - host - 1));
    c->proxy_port = 8080;
    if (rb[1] == ':') {
      char port[8];
      long n;
      snprintf(port, sizeof port, "%.*s", (int)(end - rb - 2), rb + 2);
      if (!cli_parse_int(port, 1, 65535, &n)) return fetch_usage_error("bad proxy port in '%s'", p);
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
      if (!cli_parse_int(colon + 1, 1, 65535, &port)) return fetch_usage_error("bad proxy port in '%s'", p);
      c->proxy_port = (int)port;
    }
  }
  if (!c->proxy_host || !*c->proxy_host) return fetch_usage_error("bad proxy '%s'", p);
  return 0;
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

/* Options that shape the request body and method. */
static int body_option(fetch_cli *c, int opt, const char *arg) {
  switch (opt) {
  case 'X': c->method = arg; return 0;
  case 'H': return add_header(c, arg);
  case 'd': return add_data(c, arg, true, true);
  case OPT_DATA_BINARY: return add_data(c, arg, true, false);
  case OPT_DATA_RAW: return add_data(c, arg, false, false);
  case OPT_DATA_URLENCODE: return add_urlencoded(c, arg);
  case 'G': c->get_data = true; return 0;
  case 'F': return fetch_add_form(c, arg);
  case 'T': c->upload_file = arg; return 0;
  case 'u': split_userpass(arg, &c->user_name, &c->user_pass); return 0;
  case 'A': c->user_agent = arg; return 0;
  case 'e': c->referer = arg; return 0;
  case 'z':
    if (gale_http_date_parse(arg, strlen(arg), &c->time_cond) != GALE_OK)
      return fetch_usage_error("bad --time-cond date '%s' (use an HTTP date)", arg);
    return 0;
  default: return -2; /* not one of these */
  }
}

/* Options with a numeric argument. */
static int number_option(fetch_cli *c, int opt, const char *arg) {
  long n;
  double s;
  switch (opt) {
  case OPT_MAX_REDIRS:
    if (!cli_parse_int(arg, -1, 1000000, &n)) return fetch_usage_error("bad --max-redirs '%s'", arg);
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
  case OPT_MAX_FILESIZE:
    if (!cli_parse_size(arg, &c->max_filesize)) return fetch_usage_error("bad --max-filesize '%s'", arg);
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
  case 'O': c->remote[c->nouts] = true; c->outs[c->nouts++] = NULL; break;
  case 'D': c->dump_header = arg; break;
  case 'L': c->follow = true; break;
  case 'i': c->include = true; break;
  case 'I': c->head = true; break;
  case 's': c->silent = true; break;
  case 'S': c->show_error = true; break;
  case 'v': c->verbose = true; break;
  case 'f': c->fail = true; break;
  case 'k': c->insecure = true; break;
  case OPT_CACERT: c->cacert = arg; break;
  case 'E': c->cert = arg; break;
  case OPT_KEY: c->key = arg; break;
  case OPT_COMPRESSED: c->compressed = true; break;
  case OPT_RESOLVE: c->resolves[c->nresolves++] = (char *)arg; break;
  case 'x': return parse_proxy(c, arg);
  case 'U': split_userpass(arg, &c->proxy_name, &c->proxy_pass); break;
  case OPT_INTERFACE: c->iface = arg; break;
  case OPT_UNIX_SOCKET: c->unix_socket = arg; break;
  case '4': c->ipv4_only = true; c->ipv6_only = false; break;
  case '6': c->ipv6_only = true; c->ipv4_only = false; break;
  case 'w': return set_write_out(c, arg);
  case 'Z': c->parallel = true; break;
  case OPT_NO_KEEPALIVE: break;
  case OPT_HTTP11: c->http_version = GALE_HTTP_VERSION_1_1; break;
  case OPT_HTTP2: c->http_version = GALE_HTTP_VERSION_2; break;
  case OPT_HTTP2_PK: c->http_version = GALE_HTTP_VERSION_2_PRIOR_KNOWLEDGE; break;
  default: return CLI_EXIT_USAGE;
  }
  return 0;
}

int fetch_parse_options(fetch_cli *c, int argc, char **argv) {
  int opt, rc = 0;
  c->outs = calloc((size_t)argc + 1, sizeof *c->outs);
  c->remote = calloc((size_t)argc + 1, sizeof *c->remote);
  c->resolves = calloc((size_t)argc + 1, sizeof *c->resolves);
  if (!c->outs || !c->remote || !c->resolves) return CLI_EXIT_NOMEM;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "X:H:d:GF:T:o:OD:LiIsSvfkE:u:A:e:m:z:x:U:46w:Zh", long_opts,
                            NULL)) != -1) {
    if (opt == 'h') {
      fetch_usage(stdout);
      return -1;
    }
    rc = body_option(c, opt, optarg);
    if (rc == -2) rc = number_option(c, opt, optarg);
    if (rc == -2) rc = other_option(c, opt, optarg);
    if (rc) return rc;
  }
  if (optind >= argc) {
    fprintf(stderr, "gale: no URL specified\ngale: try 'gale fetch --help'\n");
    return CLI_EXIT_USAGE; /* as curl */
  }
  return 0;
}
