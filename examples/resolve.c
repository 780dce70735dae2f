/* SPDX-License-Identifier: MIT */
/* examples/resolve: look up host names without blocking, the way a gale
 * program does it, and print the addresses in the order a client would
 * try them.
 *
 *   resolve [-4|-6] [-s SERVER[:PORT]] NAME...
 *
 * All names are looked up at once; the loop stops when the last answer
 * is in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gale.h"

struct lookup {
  const char *name;
  int *pending;
  gale_loop *loop;
};

static void on_resolved(int status, const gale_addrinfo_list *list, void *arg) {
  struct lookup *l = arg;
  if (status != GALE_OK) {
    printf("%s: %s (%s)\n", l->name, gale_strerror(status), gale_err_name(status));
  } else {
    for (size_t i = 0; i < gale_addrinfo_list_count(list); i++) {
      char addr[64];
      printf("%s: %s\n", l->name, gale_addrinfo_list_ntop(list, i, addr, sizeof addr));
    }
  }
  if (--*l->pending == 0) gale_loop_stop(l->loop);
}

int main(int argc, char **argv) {
  gale_resolver_options opts;
  gale_resolver_options_init(&opts);
  int family = AF_UNSPEC, c;
  while ((c = getopt(argc, argv, "46s:")) != -1) {
    if (c == '4')
      family = AF_INET;
    else if (c == '6')
      family = AF_INET6;
    else if (c == 's')
      opts.servers = optarg;
    else
      return 2;
  }
  if (optind >= argc) {
    fprintf(stderr, "usage: %s [-4|-6] [-s SERVER[:PORT]] NAME...\n", argv[0]);
    return 2;
  }
  gale_loop *loop = gale_loop_new();
  gale_resolver *resolver;
  int rc = gale_resolver_new(loop, &opts, &resolver);
  if (rc != GALE_OK) {
    fprintf(stderr, "resolver: %s\n", gale_strerror(rc));
    return 1;
  }
  int pending = argc - optind;
  struct lookup *lookups = calloc((size_t)pending, sizeof *lookups);
  for (int i = optind; i < argc; i++) {
    struct lookup *l = &lookups[i - optind];
    *l = (struct lookup){.name = argv[i], .pending = &pending, .loop = loop};
    rc = gale_resolver_resolve(resolver, argv[i], 0, family, on_resolved, l, NULL);
    if (rc != GALE_OK) { /* refused at once: the callback will not run */
      printf("%s: %s\n", argv[i], gale_strerror(rc));
      pending--;
    }
  }
  if (pending > 0) gale_loop_run(loop);
  gale_resolver_free(resolver);
  gale_loop_free(loop);
  free(lookups);
  return 0;
}
