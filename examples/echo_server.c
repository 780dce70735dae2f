/* SPDX-License-Identifier: MIT */
/* examples/echo_server.c — a line-based key-value server on gale_tcp_server.
 *
 *   $ ./echo_server 8888          then:  nc localhost 8888
 *   ECHO hello        -> hello
 *   SET color blue    -> OK
 *   GET color         -> VALUE blue      (or NOT_FOUND)
 *   DEL color         -> DELETED         (or NOT_FOUND)
 *   QUIT              -> BYE, and the server closes the connection
 *
 * One read per command: read a line, answer, read the next.  A line longer
 * than 4 KiB closes the connection (max_bytes); unknown commands get "ERR".
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

/* Writes queued in one callback leave together in one writev. */
static void reply(gale_stream *s, const char *a, const char *b) {
  gale_stream_write(s, a, strlen(a), NULL, NULL);
  if (b) gale_stream_write(s, b, strlen(b), NULL, NULL);
  gale_stream_write(s, "\n", 1, NULL, NULL);
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

static void close_when_sent(gale_stream *s, int status, void *arg) {
  (void)status, (void)arg;
  gale_stream_close(s);
}

static void on_line(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  (void)arg;
  if (status != GALE_OK) return; /* the stream has closed (EOF, line too long...) */
  char line[MAX_LINE + 1];
  memcpy(line, data, len);
  line[len] = '\0';
  line[strcspn(line, "\r\n")] = '\0';
  if (memchr(data, '\0', len) || strncmp(line, "ECHO ", 5) == 0) {
    reply(s, memchr(data, '\0', len) ? "ERR binary data" : line + 5, NULL);
    goto next;
  }
  char *key = strchr(line, ' ');
  if (key) *key++ = '\0';
  char *value = key ? strchr(key, ' ') : NULL;
  if (value) *value++ = '\0';
  if (strcmp(line, "QUIT") == 0) {
    gale_stream_write(s, "BYE\n", 4, close_when_sent, NULL);
    return;
  }
  if (!key || !*key) {
    reply(s, "ERR usage: SET key value | GET key | DEL key | ECHO text | QUIT", NULL);
  } else if (strcmp(line, "SET") == 0 && value) {
    reply(s, set(key, value), NULL);
  } else if (strcmp(line, "GET") == 0) {
    struct entry *e = *find(key);
    reply(s, e ? "VALUE " : "NOT_FOUND", e ? e->value : NULL);
  } else if (strcmp(line, "DEL") == 0) {
    reply(s, del(key), NULL);
  } else {
    reply(s, "ERR unknown command", NULL);
  }
next:
  gale_stream_read_until(s, "\n", 1, MAX_LINE, on_line, NULL);
}

static void on_connection(gale_tcp_server *server, gale_stream *s, const struct sockaddr *peer,
                          socklen_t peer_len, void *arg) {
  (void)server, (void)peer, (void)peer_len, (void)arg;
  gale_stream_set_nodelay(s, true);
  gale_stream_read_until(s, "\n", 1, MAX_LINE, on_line, NULL);
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
  gale_tcp_server *server;
  if (!loop || gale_tcp_server_new(loop, NULL, on_connection, NULL, &server) != GALE_OK) return 1;
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
  gale_tcp_server_free(server);
  gale_loop_free(loop);
  while (store) del(store->key);
  return 0;
}
