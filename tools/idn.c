/* SPDX-License-Identifier: MIT */
/* International domain names in URLs given to the CLI: a host with
 * non-ASCII bytes (UTF-8) goes on the wire in its ASCII form (IDNA 2008,
 * UTS #46 non-transitional, as curl with libidn2). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#ifdef HAVE_LIBIDN2
#include <idn2.h>
#endif

/* The host's place in url: [*start, *end). */
static bool find_host(const char *url, size_t *start, size_t *end) {
  const char *s = strstr(url, "://"), *h, *e, *at;
  if (!s) return false;
  h = s + 3;
  e = h + strcspn(h, "/?#");
  at = memchr(h, '@', (size_t)(e - h));
  if (at) h = at + 1;
  if (*h == '[') return false; /* an IPv6 literal */
  {
    const char *colon = memchr(h, ':', (size_t)(e - h));
    if (colon) e = colon;
  }
  *start = (size_t)(h - url);
  *end = (size_t)(e - url);
  return true;
}

int cli_idn_url(const char *url, char **out) {
  size_t hs, he;
  bool ascii = true;
  *out = NULL;
  if (!find_host(url, &hs, &he)) return 0;
  for (size_t i = hs; i < he; i++)
    if ((unsigned char)url[i] >= 0x80) ascii = false;
  if (ascii) return 0;
#ifdef HAVE_LIBIDN2
  {
    char *host = strndup(url + hs, he - hs), *ace = NULL;
    int rc;
    if (!host) return CLI_EXIT_NOMEM;
    rc = idn2_to_ascii_8z(host, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc == IDN2_DISALLOWED) /* curl's fallback for names 2008 refuses */
      rc = idn2_to_ascii_8z(host, &ace, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
    free(host);
    if (rc != IDN2_OK) {
      fprintf(stderr, "gale: (3) Failed to convert %.*s to ACE; %s\n", (int)(he - hs), url + hs,
              idn2_strerror(rc));
      return CLI_EXIT_URL;
    }
    if (asprintf(out, "%.*s%s%s", (int)hs, url, ace, url + he) < 0) *out = NULL;
    idn2_free(ace);
    return *out ? 0 : CLI_EXIT_NOMEM;
  }
#else
  fprintf(stderr,
          "gale: (3) %.*s: international domain names are not supported "
          "(gale was built without libidn2)\n",
          (int)(he - hs), url + hs);
  return CLI_EXIT_URL;
#endif
}
