/* SPDX-License-Identifier: MIT */
/* examples/coro_echo.c — examples/echo_server.c's line protocol, written as
 * one straight loop per connection in a coroutine (gale_tcp_server's
 * handle_stream_coro option) instead of a chain of read callbacks.
 *
 *   $ ./coro_echo 8888            then:  nc localhost 8888
 *   ECHO hello        -> hello
 *   SET color blue    -> OK
 *   GET color         -> VALUE blue      (or NOT_FOUND)
 *   DEL color         -> DELETED         (or NOT_FOUND)
 *   QUIT              -> BYE, and the server closes the connection
 *
 * Each turn of the loop awaits a line (read_until), writes the answer and
 * awaits its flush; returning ends the connection (the server closes the
 * stream).  A line longer than 4 KiB fails the read and closes it.
 * Ctrl-C stops the server.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gale.h>

#define MAX_LINE 4096
#define MAX_KEYS 10000

struct entry {
  char *key, *value;
  struct entry *next;
};
static struct entry *store;
static size_t n_keys;

static struct entry **find(const char *key) {
  struct entry **e = &store;
  while (*e && strcmp((*e)->key, key) != 0) e = &(*e)->next;
  return e;
}

static const char *set(const char *key, const char *value) {
  struct entry **e = find(key);
  char *v = strdup(value);
  if (!v) return "ERR out of memory";
  if (*e) {
    free((*e)->value);
    (*e)->value = v;
    return "OK";
  }
  struct entry *n = malloc(sizeof *n);
  if (n_keys >= MAX_KEYS || !n || !(n->key = strdup(key))) {
    free(v);
    free(n);
    return "ERR store full";
  }
  n->value = v;
  n->next = NULL;
  *e = n;
  n_keys++;
  return "OK";
}

static const char *del(const char *key) {
  struct entry **e = find(key), *gone = *e;
  if (!gone) return "NOT_FOUND";
  *e = gone->next;
  free(gone->key);
  free(gone->value);
  free(gone);
  n_keys--;
  return "DELETED";
}

/* Answers one line (without its "\r\n") into `out`; false for QUIT. */
static bool answer(char *line, gale_buf *out) {
  if (strncmp(line, "ECHO ", 5) == 0) {
    gale_buf_append_str(out, line + 5);
    return true;
  }
  char *key = strchr(line, ' ');
  if (key) *key++ = '\0';
  char *value = key ? strchr(key, ' ') : NULL;
  if (value) *value++ = '\0';
  if (strcmp(line, "QUIT") == 0) {
    gale_buf_append_str(out, "BYE");
    return false;
  }
  if (!key || !*key) {
    gale_buf_append_str(out, "ERR usage: SET key value | GET key | DEL key | ECHO text | QUIT");
  } else if (strcmp(line, "SET") == 0 && value) {
    gale_buf_append_str(out, set(key, value));
  } else if (strcmp(line, "GET") == 0) {
    struct entry *e = *find(key);
    gale_buf_printf(out, "%s%s", e ? "VALUE " : "NOT_FOUND", e ? e->value : "");
  } else if (strcmp(line, "DEL") == 0) {
    gale_buf_append_str(out, del(key));
  } else {
    gale_buf_append_str(out, "ERR unknown command");
  }
  return true;
}

/* One connection, top to bottom. */
static int serve(gale_stream *s, void *arg) {
  (void)arg;
  gale_stream_set_nodelay(s, true);
  gale_buf out;
  gale_buf_init(&out, 0);
  bool more = true;
  int st = GALE_OK;
  while (more && st == GALE_OK) {
    gale_future *f = gale_stream_read_until_future(s, "\n", 1, MAX_LINE, &st);
    if (!f) break;
    st = gale_await(f); /* the loop serves everyone else meanwhile */
    if (st == GALE_OK) {
      gale_stream_data *d = gale_future_result(f);
      gale_buf_reset(&out);
      if (memchr(d->data, '\0', d->len)) {
        gale_buf_append_str(&out, "ERR binary data");
      } else {
        d->data[strcspn(d->data, "\r\n")] = '\0';
        more = answer(d->data, &out);
      }
      gale_buf_append_byte(&out, '\n');
      st = gale_stream_write(s, out.data, out.len, NULL, NULL);
    } else if (st == GALE_ECANCELLED) {
      gale_future_cancel(f); /* server going away: stop the read too */
    }
    gale_future_unref(f);
    if (st != GALE_OK) break;
    f = gale_stream_flush_future(s, &st); /* back-pressure: wait for the socket */
    if (!f) break;
    st = gale_await(f);
    gale_future_unref(f);
  }
  gale_buf_release(&out);
  return st == GALE_EMAXBYTES ? GALE_OK : st; /* a long line is the client's fault */
}

int main(int argc, char **argv) {
  char *end;
  errno = 0;
  long port = argc > 1 ? strtol(argv[1], &end, 10) : 8888;
  if (argc > 1 && (errno || *end || port < 0 || port > 65535)) {
    fprintf(stderr, "usage: %s [port]\n", argv[0]);
    return 2;
  }
  gale_loop *loop = gale_loop_new();
  gale_tcp_server_options opts;
  gale_tcp_server_options_init(&opts);
  opts.handle_stream_coro = serve; /* one coroutine per connection */
  gale_tcp_server *server;
  if (!loop || gale_tcp_server_new(loop, &opts, NULL, NULL, &server) != GALE_OK) return 1;
  int rc = gale_tcp_server_listen(server, (int)port, NULL);
  if (rc != GALE_OK) {
    fprintf(stderr, "listen on port %ld: %s\n", port, gale_strerror(rc));
    return 1;
  }
  int fd;
  gale_tcp_server_sockets(server, &fd, 1);
  printf("listening on port %d\n", gale_socket_port(fd)); /* port 0 picks one */
  fflush(stdout);
  gale_loop_stop_on_signals(loop); /* Ctrl-C returns from gale_loop_run */
  gale_loop_run(loop);
  gale_tcp_server_free(server); /* cancels the coroutines still running */
  gale_loop_free(loop);         /* ... which unwind here */
  while (store) del(store->key);
  return 0;
}
