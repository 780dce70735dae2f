/* SPDX-License-Identifier: MIT */
/* Address lists: what a lookup returns and the TCP client walks. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/resolver_internal.h"

gale_addrinfo_list *gale__addrlist_new(void) { return calloc(1, sizeof(gale_addrinfo_list)); }

static bool same_addr(const struct gale__addr *a, const struct sockaddr *sa, socklen_t len) {
  const struct sockaddr *b = (const struct sockaddr *)&a->ss;
  if (b->sa_family != sa->sa_family) return false;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)b, *y = (const void *)sa;
    return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
  }
  const struct sockaddr_in6 *x = (const void *)b, *y = (const void *)sa;
  (void)len;
  return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0 &&
         x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id;
}

int gale__addrlist_add(gale_addrinfo_list *list, const struct sockaddr *sa, socklen_t len) {
  if (sa->sa_family == AF_INET) {
    if (len < sizeof(struct sockaddr_in)) return GALE_OK;
    len = sizeof(struct sockaddr_in);
  } else if (sa->sa_family == AF_INET6) {
    if (len < sizeof(struct sockaddr_in6)) return GALE_OK;
    len = sizeof(struct sockaddr_in6);
  } else {
    return GALE_OK;
  }
  for (size_t i = 0; i < list->count; i++)
    if (same_addr(&list->items[i], sa, len)) return GALE_OK;
  if (list->count == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 4;
    struct gale__addr *items = realloc(list->items, cap * sizeof *items);
    if (!items) return GALE_ENOMEM;
    list->items = items;
    list->cap = cap;
  }
  struct gale__addr *a = &list->items[list->count++];
  memset(a, 0, sizeof *a);
  memcpy(&a->ss, sa, len);
  a->len = len;
  return GALE_OK;
}

void gale__addrlist_set_port(gale_addrinfo_list *list, int port) {
  for (size_t i = 0; i < list->count; i++) {
    struct sockaddr *sa = (struct sockaddr *)&list->items[i].ss;
    if (sa->sa_family == AF_INET)
      ((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
    else
      ((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
  }
}

void gale__addrlist_filter(gale_addrinfo_list *list, int family) {
  if (family == AF_UNSPEC) return;
  size_t n = 0;
  for (size_t i = 0; i < list->count; i++)
    if (list->items[i].ss.ss_family == family) list->items[n++] = list->items[i];
  list->count = n;
}

int gale__addrlist_interleave(gale_addrinfo_list *list, int first) {
  if (list->count < 3 && first == AF_UNSPEC) return GALE_OK;
  if (list->count == 0) return GALE_OK;
  if (first == AF_UNSPEC) first = list->items[0].ss.ss_family;
  struct gale__addr *out = malloc(list->count * sizeof *out);
  if (!out) return GALE_ENOMEM;
  size_t a = 0, b = 0, n = 0; /* next candidate of each family */
  bool want_first = true;
  while (n < list->count) {
    size_t *cursor = want_first ? &a : &b;
    bool match_first = want_first;
    while (*cursor < list->count && (list->items[*cursor].ss.ss_family == first) != match_first)
      (*cursor)++;
    if (*cursor < list->count) out[n++] = list->items[(*cursor)++];
    want_first = !want_first;
  }
  memcpy(list->items, out, list->count * sizeof *out);
  free(out);
  return GALE_OK;
}

bool gale__parse_numeric(const char *host, struct sockaddr_storage *ss, socklen_t *len) {
  char buf[INET6_ADDRSTRLEN + 32];
  size_t n = strlen(host);
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
    if (n - 2 >= sizeof buf) return false;
    memcpy(buf, host + 1, n - 2);
    buf[n - 2] = '\0';
    if (!strchr(buf, ':')) return false; /* brackets are for IPv6 only */
    host = buf;
  }
  /* getaddrinfo with AI_NUMERICHOST never touches the network or files. */
  struct addrinfo hints = {.ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_STREAM};
  struct addrinfo *res = NULL;
  if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res) return false;
  bool ok =
      res->ai_addrlen <= sizeof *ss && (res->ai_family == AF_INET || res->ai_family == AF_INET6);
  if (ok) {
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
  }
  freeaddrinfo(res);
  return ok;
}

int gale__check_hostname(const char *host) {
  size_t n = strlen(host);
  if (n == 0) return GALE_EDNS_BADNAME;
  if (host[n - 1] == '.') n--;
  if (n == 0 || n > 253) return GALE_EDNS_BADNAME;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)host[i];
    if (c == '.') {
      if (label == 0) return GALE_EDNS_BADNAME;
      label = 0;
      continue;
    }
    if (c <= 0x20 || c == 0x7f || c == '[' || c == ']') return GALE_EDNS_BADNAME;
    if (++label > 63) return GALE_EDNS_BADNAME;
  }
  return label ? GALE_OK : GALE_EDNS_BADNAME;
}

char *gale__host_key(const char *host) {
  size_t n = strlen(host);
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
    host++;
    n -= 2;
  }
  if (n > 0 && host[n - 1] == '.') n--;
  char *key = malloc(n + 1);
  if (!key) return NULL;
  for (size_t i = 0; i < n; i++) {
    char c = host[i];
    key[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  key[n] = '\0';
  return key;
}

/* ---- public accessors --------------------------------------------------- */

size_t gale_addrinfo_list_count(const gale_addrinfo_list *list) { return list ? list->count : 0; }

const struct sockaddr *gale_addrinfo_list_get(const gale_addrinfo_list *list, size_t i,
                                              socklen_t *len) {
  if (!list || i >= list->count) return NULL;
  if (len) *len = list->items[i].len;
  return (const struct sockaddr *)&list->items[i].ss;
}

int gale_addrinfo_list_family(const gale_addrinfo_list *list, size_t i) {
  if (!list || i >= list->count) return AF_UNSPEC;
  return list->items[i].ss.ss_family;
}

const char *gale_addrinfo_list_ntop(const gale_addrinfo_list *list, size_t i, char *buf,
                                    size_t buflen) {
  if (!list || i >= list->count || !buf) return NULL;
  const struct sockaddr *sa = (const struct sockaddr *)&list->items[i].ss;
  const void *src = sa->sa_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
  return inet_ntop(sa->sa_family, src, buf, (socklen_t)buflen);
}

gale_addrinfo_list *gale_addrinfo_list_copy(const gale_addrinfo_list *list) {
  if (!list) return NULL;
  gale_addrinfo_list *copy = gale__addrlist_new();
  if (!copy) return NULL;
  if (list->count) {
    copy->items = malloc(list->count * sizeof *copy->items);
    if (!copy->items) {
      free(copy);
      return NULL;
    }
    memcpy(copy->items, list->items, list->count * sizeof *copy->items);
    copy->count = copy->cap = list->count;
  }
  return copy;
}

void gale_addrinfo_list_free(gale_addrinfo_list *list) {
  if (!list) return;
  free(list->items);
  free(list);
}
