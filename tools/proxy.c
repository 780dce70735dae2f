/* SPDX-License-Identifier: MIT */
/* The CLI's proxy settings, shared by gale fetch and gale ws: -x/-U
 * parsed, and curl's environment rules (http_proxy, HTTPS_PROXY,
 * ALL_PROXY, NO_PROXY and --noproxy). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Copies s[0..n) into out (size cap) as a C string; false if it does not fit. */
static bool copy_n(char *out, size_t cap, const char *s, size_t n) {
  if (n >= cap) return false;
  memcpy(out, s, n);
  out[n] = '\0';
  return true;
}

bool cli_proxy_userpass(cli_proxy *px, const char *s) {
  const char *colon = strchr(s, ':');
  size_t ul = colon ? (size_t)(colon - s) : strlen(s);
  return copy_n(px->user, sizeof px->user, s, ul) &&
         copy_n(px->pass, sizeof px->pass, colon ? colon + 1 : "", colon ? strlen(colon + 1) : 0);
}

int cli_parse_proxy(const char *p, cli_proxy *px, const char **why) {
  const char *host = p, *at, *end, *port = NULL;
  size_t hl;
  *why = "bad proxy";
  if (strncasecmp(p, "http://", 7) == 0)
    host = p + 7;
  else if (strstr(p, "://")) {
    *why = "unsupported proxy scheme (only http:// proxies)";
    return CLI_EXIT_CONNECT; /* curl's code for it */
  }
  at = strchr(host, '@');
  if (at) {
    char cred[512];
    if (!copy_n(cred, sizeof cred, host, (size_t)(at - host)) || !cli_proxy_userpass(px, cred))
      return CLI_EXIT_PROXY_RESOLVE;
    host = at + 1;
  }
  hl = strcspn(host, "/");
  end = host + hl;
  if (*host == '[') {
    const char *rb = memchr(host, ']', hl);
    if (!rb || !copy_n(px->host, sizeof px->host, host + 1, (size_t)(rb - host - 1)))
      return CLI_EXIT_PROXY_RESOLVE;
    if (rb + 1 < end && rb[1] == ':') port = rb + 2;
  } else {
    const char *colon = memchr(host, ':', hl);
    if (!copy_n(px->host, sizeof px->host, host, (size_t)((colon ? colon : end) - host)))
      return CLI_EXIT_PROXY_RESOLVE;
    if (colon) port = colon + 1;
  }
  /* curl's default proxy port is 1080; HTTP proxies listen on 8080. */
  px->port = 8080;
  if (port) {
    char num[8];
    long n;
    if (!copy_n(num, sizeof num, port, (size_t)(end - port)) || !cli_parse_int(num, 1, 65535, &n)) {
      *why = "bad proxy port";
      return CLI_EXIT_PROXY_RESOLVE;
    }
    px->port = (int)n;
  }
  px->set = px->host[0] != '\0';
  return px->set ? 0 : CLI_EXIT_PROXY_RESOLVE;
}

/* NO_PROXY's rules as curl's: "*" alone matches every host; an entry matches
 * the host itself or, as a domain, any name under it (a leading dot
 * optional); an IP address only itself; case does not matter, a port in
 * the entry is ignored. */
bool cli_noproxy_match(const char *list, const char *host) {
  size_t hlen = strlen(host);
  const char *p = list;
  if (!list || !*host) return false;
  if (hlen && host[hlen - 1] == '.') hlen--; /* "example.com." */
  if (strcmp(list, "*") == 0) return true;   /* only alone, as curl */
  while (*p) {
    size_t n;
    const char *e;
    while (*p == ',' || *p == ' ' || *p == '\t') p++;
    n = strcspn(p, ", \t");
    e = p;
    if (n && *e == '.') e++, n--;
    if (n && e[0] != '[') { /* drop ":port" (not from an IPv6 literal) */
      const char *colon = memchr(e, ':', n);
      if (colon && !memchr(colon + 1, ':', n - (size_t)(colon + 1 - e))) n = (size_t)(colon - e);
    } else if (n && e[0] == '[') {
      const char *rb = memchr(e, ']', n);
      if (rb) {
        e++;
        n = (size_t)(rb - e);
      }
    }
    if (n && n <= hlen && strncasecmp(host + hlen - n, e, n) == 0 &&
        (n == hlen || host[hlen - n - 1] == '.'))
      return true;
    p += strcspn(p, ",");
  }
  return false;
}

/* The first set variable of the two spellings (lowercase first). */
static const char *env2(const char *lower, const char *upper) {
  const char *v = getenv(lower);
  if ((!v || !*v) && upper) v = getenv(upper);
  return v && *v ? v : NULL;
}

int cli_proxy_from_env(const char *scheme, const char *host, const char *noproxy, cli_proxy *px) {
  const char *spec, *why;
  int rc;
  bool https = strcasecmp(scheme, "https") == 0 || strcasecmp(scheme, "wss") == 0;
  memset(px, 0, sizeof *px);
  if (!noproxy) noproxy = env2("no_proxy", "NO_PROXY");
  if (cli_noproxy_match(noproxy, host)) return 0;
  /* curl reads http_proxy in lowercase only: HTTP_PROXY can be set by a
   * CGI client through the Proxy: header (httpoxy). */
  spec = https ? env2("https_proxy", "HTTPS_PROXY") : env2("http_proxy", NULL);
  if (!spec) spec = env2("all_proxy", "ALL_PROXY");
  if (!spec) return 0;
  if ((rc = cli_parse_proxy(spec, px, &why)) != 0) {
    fprintf(stderr, "gale: (%d) %s in the environment's proxy '%s'\n", rc, why, spec);
    memset(px, 0, sizeof *px);
  }
  return rc;
}
