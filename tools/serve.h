/* gale serve's pieces shared between its files (tools/serve*.c). */
#ifndef GALE_TOOLS_SERVE_H
#define GALE_TOOLS_SERVE_H

#include <stdbool.h>

#include "gale.h"

typedef struct cli_serve_conf {
  long port;            /* -p (default 8000) */
  const char *address;  /* -b (NULL: every interface) */
  const char *unix_path; /* --unix PATH instead of TCP */
  int unix_mode;        /* --unix-mode (-1 = the umask's) */
} cli_serve_conf;

/* Opens the listening sockets the configuration names and starts accepting
 * on them.  Prints why on failure.  Returns CLI_OK or CLI_EXIT_FAILED. */
int cli_serve_listen(gale_tcp_server *tcp, const cli_serve_conf *conf);

/* The server's listening sockets as URLs ("http://127.0.0.1:8000/",
 * "unix:/run/gale.sock"), comma-separated, into `out`. */
void cli_serve_describe(gale_tcp_server *tcp, bool tls, char *out, size_t len);

#endif
