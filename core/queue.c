/* SPDX-License-Identifier: MIT */
/* Queues (tornado.queues): one array serves the three orders — a ring for
 * FIFO, a stack for LIFO, a binary heap for priority (ties broken by put
 * order, as Python's heapq on (priority, count) entries would). */
#include <stdint.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/waitq.h"
#include "gale/locks.h"
#include "gale/queue.h"

typedef enum queue_kind { QUEUE_FIFO, QUEUE_LIFO, QUEUE_PRIORITY } queue_kind;

typedef struct entry {
  void *item;
  uint64_t seq; /* priority ties */
} entry;

struct gale_queue {
  gale_loop *loop;
  queue_kind kind;
  size_t maxsize;
  gale_free_fn free_item;
  gale_queue_cmp cmp;
  entry *items;
  size_t cap, len, head; /* head: the ring's start (FIFO) */
  uint64_t next_seq;
  gale__waitq getters, putters;
  size_t unfinished;
  gale_event *finished; /* set while unfinished == 0 */
};

static gale_queue *queue_new(gale_loop *loop, size_t maxsize, queue_kind kind, gale_queue_cmp cmp,
                             gale_free_fn free_item) {
  if (loop == NULL) return NULL;
  gale_queue *q = gale__calloc(1, sizeof *q);
  if (q == NULL) return NULL;
  q->finished = gale_event_new(loop);
  if (q->finished == NULL) {
    free(q);
    return NULL;
  }
  gale_event_set(q->finished);
  q->loop = loop;
  q->kind = kind;
  q->maxsize = maxsize;
  q->cmp = cmp;
  q->free_item = free_item;
  gale__waitq_init(&q->getters, loop);
  gale__waitq_init(&q->putters, loop);
  return q;
}

gale_queue *gale_queue_new(gale_loop *loop, size_t maxsize, gale_free_fn free_item) {
  return queue_new(loop, maxsize, QUEUE_FIFO, NULL, free_item);
}

gale_queue *gale_queue_new_priority(gale_loop *loop, size_t maxsize, gale_queue_cmp cmp,
                                    gale_free_fn free_item) {
  return cmp != NULL ? queue_new(loop, maxsize, QUEUE_PRIORITY, cmp, free_item) : NULL;
}

gale_queue *gale_queue_new_lifo(gale_loop *loop, size_t maxsize, gale_free_fn free_item) {
  return queue_new(loop, maxsize, QUEUE_LIFO, NULL, free_item);
}

/* ---- storage --------------------------------------------------------------- */

static bool before(const gale_queue *q, const entry *a, const entry *b) {
  int c = q->cmp(a->item, b->item);
  return c < 0 || (c == 0 && a->seq < b->seq);
}

/* Room for one more; the ring is unrolled into the new array. */
static int reserve(gale_queue *q) {
  if (q->len < q->cap) return GALE_OK;
  size_t cap = q->cap ? q->cap * 2 : 8;
  entry *items = gale__malloc(cap * sizeof *items);
  if (items == NULL) return GALE_ENOMEM;
  for (size_t i = 0; i < q->len; i++) items[i] = q->items[(q->head + i) % q->cap];
  free(q->items);
  q->items = items;
  q->cap = cap;
  q->head = 0;
  return GALE_OK;
}

static void store(gale_queue *q, void *item) {
  entry e = {item, q->next_seq++};
  if (q->kind == QUEUE_FIFO) {
    q->items[(q->head + q->len) % q->cap] = e;
  } else if (q->kind == QUEUE_LIFO) {
    q->items[q->len] = e;
  } else {
    size_t i = q->len;
    while (i > 0 && before(q, &e, &q->items[(i - 1) / 2])) {
      q->items[i] = q->items[(i - 1) / 2];
      i = (i - 1) / 2;
    }
    q->items[i] = e;
  }
  q->len++;
}

static void *take(gale_queue *q) {
  void *item;
  q->len--;
  if (q->kind == QUEUE_FIFO) {
    item = q->items[q->head].item;
    q->head = (q->head + 1) % q->cap;
  } else if (q->kind == QUEUE_LIFO) {
    item = q->items[q->len].item;
  } else {
    item = q->items[0].item;
    entry last = q->items[q->len];
    size_t i = 0;
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= q->len) break;
      if (child + 1 < q->len && before(q, &q->items[child + 1], &q->items[child])) child++;
      if (!before(q, &q->items[child], &last)) break;
      q->items[i] = q->items[child];
      i = child;
    }
    if (q->len > 0) q->items[i] = last;
  }
  return item;
}

/* An item enters: one more unfinished task (Tornado's __put_internal). */
static void put_internal(gale_queue *q, void *item) {
  q->unfinished++;
  gale_event_clear(q->finished);
  store(q, item);
}

/* ---- put / get -------------------------------------------------------------- */

static bool full(const gale_queue *q) { return q->maxsize > 0 && q->len >= q->maxsize; }

int gale_queue_put_nowait(gale_queue *q, void *item) {
  if (q == NULL) return GALE_EINVAL;
  gale_future *getter;
  if (q->getters.len > 0) {
    /* The queue is empty: the item goes straight to the longest getter. */
    if (reserve(q) != GALE_OK) return GALE_ENOMEM;
    gale__waitq_pop(&q->getters, &getter, NULL);
    put_internal(q, item);
    gale_future_set_result(getter, take(q), q->free_item);
    gale_future_unref(getter);
    return GALE_OK;
  }
  if (full(q)) return GALE_EQUEUEFULL;
  if (reserve(q) != GALE_OK) return GALE_ENOMEM;
  put_internal(q, item);
  return GALE_OK;
}

gale_future *gale_queue_put(gale_queue *q, void *item, double timeout) {
  if (q == NULL) return NULL;
  int rc = gale_queue_put_nowait(q, item);
  if (rc == GALE_EQUEUEFULL) return gale__waitq_add(&q->putters, timeout, item);
  gale_future *f = gale_future_new(q->loop);
  if (f == NULL) return NULL; /* (an item that went in stays in) */
  if (rc == GALE_OK)
    gale_future_set_result(f, NULL, NULL);
  else
    gale_future_set_error(f, rc);
  return f;
}

int gale_queue_get_nowait(gale_queue *q, void **item) {
  if (q == NULL || item == NULL) return GALE_EINVAL;
  if (q->len == 0) return GALE_EQUEUEEMPTY;
  *item = take(q);
  gale_future *putter;
  void *waiting;
  if (q->putters.len > 0 && gale__waitq_pop(&q->putters, &putter, &waiting)) {
    /* Room now: the longest waiting put goes in (the slot just freed). */
    put_internal(q, waiting);
    gale_future_set_result(putter, NULL, NULL);
    gale_future_unref(putter);
  }
  return GALE_OK;
}

gale_future *gale_queue_get(gale_queue *q, double timeout) {
  if (q == NULL) return NULL;
  if (q->len == 0) return gale__waitq_add(&q->getters, timeout, NULL);
  gale_future *f = gale_future_new(q->loop);
  if (f == NULL) return NULL;
  void *item = NULL;
  gale_queue_get_nowait(q, &item);
  gale_future_set_result(f, item, q->free_item);
  return f;
}

/* ---- tasks -------------------------------------------------------------------- */

int gale_queue_task_done(gale_queue *q) {
  if (q == NULL || q->unfinished == 0) return GALE_EINVAL;
  if (--q->unfinished == 0) gale_event_set(q->finished);
  return GALE_OK;
}

gale_future *gale_queue_join(gale_queue *q, double timeout) {
  return q != NULL ? gale_event_wait(q->finished, timeout) : NULL;
}

size_t gale_queue_qsize(const gale_queue *q) { return q ? q->len : 0; }
bool gale_queue_empty(const gale_queue *q) { return q == NULL || q->len == 0; }
bool gale_queue_full(const gale_queue *q) { return q != NULL && full(q); }
size_t gale_queue_maxsize(const gale_queue *q) { return q ? q->maxsize : 0; }

void gale_queue_free(gale_queue *q) {
  if (q == NULL) return;
  gale__waitq_clear(&q->getters, GALE_ECANCELLED);
  gale__waitq_clear(&q->putters, GALE_ECANCELLED);
  while (q->len > 0) {
    void *item = take(q);
    if (q->free_item != NULL) q->free_item(item);
  }
  gale_event_free(q->finished); /* cancels pending joins */
  free(q->items);
  free(q);
}
