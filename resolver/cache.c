/* SPDX-License-Identifier: MIT */
/* The resolver's answer cache: a hash of (name, family) with one LRU list
 * for eviction.  Lookups and inserts are O(1) on average. */
#include <stdlib.h>
#include <string.h>

#include "resolver/resolver_internal.h"

#define NBUCKETS 256

struct entry {
  struct entry *hnext;       /* bucket chain */
  struct entry *prev, *next; /* LRU: head is the most recent */
  char *key;
  int family;
  int status;
  double expires;
  gale_addrinfo_list *list;
};

struct gale__cache {
  struct entry *buckets[NBUCKETS];
  struct entry *head, *tail;
  size_t count, max;
};

static unsigned hash(const char *key, int family) {
  uint32_t h = 2166136261u ^ (uint32_t)family;
  for (; *key; key++) h = (h ^ (unsigned char)*key) * 16777619u;
  return h % NBUCKETS;
}

struct gale__cache *gale__cache_new(size_t max_entries) {
  struct gale__cache *c = calloc(1, sizeof *c);
  if (c) c->max = max_entries ? max_entries : 1;
  return c;
}

static void lru_unlink(struct gale__cache *c, struct entry *e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    c->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    c->tail = e->prev;
  e->prev = e->next = NULL;
}

static void lru_push_front(struct gale__cache *c, struct entry *e) {
  e->prev = NULL;
  e->next = c->head;
  if (c->head)
    c->head->prev = e;
  else
    c->tail = e;
  c->head = e;
}

static void drop(struct gale__cache *c, struct entry *e) {
  struct entry **p = &c->buckets[hash(e->key, e->family)];
  while (*p != e) p = &(*p)->hnext;
  *p = e->hnext;
  lru_unlink(c, e);
  gale_addrinfo_list_free(e->list);
  free(e->key);
  free(e);
  c->count--;
}

void gale__cache_free(struct gale__cache *c) {
  if (!c) return;
  while (c->head) drop(c, c->head);
  free(c);
}

static struct entry *find(struct gale__cache *c, const char *key, int family) {
  for (struct entry *e = c->buckets[hash(key, family)]; e; e = e->hnext)
    if (e->family == family && strcmp(e->key, key) == 0) return e;
  return NULL;
}

bool gale__cache_get(struct gale__cache *c, const char *key, int family, double now, int *status,
                     gale_addrinfo_list **out) {
  struct entry *e = find(c, key, family);
  if (!e) return false;
  if (e->expires <= now) {
    drop(c, e);
    return false;
  }
  lru_unlink(c, e);
  lru_push_front(c, e);
  *status = e->status;
  *out = NULL;
  if (e->status == GALE_OK) {
    *out = gale_addrinfo_list_copy(e->list);
    if (!*out) *status = GALE_ENOMEM;
  }
  return true;
}

void gale__cache_put(struct gale__cache *c, const char *key, int family, int status,
                     const gale_addrinfo_list *list, double expires) {
  struct entry *old = find(c, key, family);
  if (old) drop(c, old);
  struct entry *e = calloc(1, sizeof *e);
  if (!e) return;
  e->key = strdup(key);
  e->list = status == GALE_OK ? gale_addrinfo_list_copy(list) : NULL;
  if (!e->key || (status == GALE_OK && !e->list)) {
    free(e->key);
    gale_addrinfo_list_free(e->list);
    free(e);
    return; /* a cache that cannot grow just misses */
  }
  e->family = family;
  e->status = status;
  e->expires = expires;
  unsigned b = hash(key, family);
  e->hnext = c->buckets[b];
  c->buckets[b] = e;
  lru_push_front(c, e);
  c->count++;
  while (c->count > c->max) drop(c, c->tail);
}
