/* SPDX-License-Identifier: MIT */
/* gale — the command-line tool: `gale fetch` (curl-like), `gale bench`
 * (a load generator), `gale serve` (a static file server) and `gale ws`
 * (a WebSocket client).  Built only
 * on gale's public API. */
#include "cli.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

static void usage(FILE *out) {
  fputs("Usage: gale COMMAND [options] [arguments]\n"
        "\n"
        "Commands:\n"
        "  fetch [options] URL...   fetch URLs, curl style (gale fetch --help)\n"
        "  bench [options] URL      load-test a URL, wrk/ab style (gale bench --help)\n"
        "  serve [-p PORT] [-b ADDRESS] [DIR]\n"
        "                           serve a directory over HTTP (gale serve --help)\n"
        "  ws [options] URL         a WebSocket client on stdin/stdout (gale ws --help)\n"
        "  help [COMMAND]           this text, or a command's options\n"
        "  version                  print the version\n"
        "\n"
        "Exit codes (gale fetch; curl's numbers where the meaning is the same):\n"
        "   0 success                 2 bad option or argument\n"
        "   1 unsupported protocol or other failure\n"
        "   3 malformed URL           5 could not resolve the proxy\n"
        "   6 could not resolve host  7 failed to connect (refused, unreachable)\n"
        "   8 weird server reply     18 partial body (shorter than declared)\n"
        "  22 HTTP code >= 400 with -f\n"
        "  23 writing the output failed  26 reading an upload file failed\n"
        "  33 -C: the server does not do byte ranges\n"
        "  27 out of memory          28 timeout (DNS, connect, TLS, request, queue)\n"
        "  35 TLS handshake failed   42 aborted\n"
        "  45 --interface could not be bound\n"
        "  47 too many redirects     52 empty reply from server\n"
        "  55 sending failed         56 receiving failed (reset, proxy refused CONNECT)\n"
        "  58 client certificate or key unusable\n"
        "  60 server certificate verification failed (untrusted, wrong host, expired)\n"
        "  61 bad content encoding   63 --max-filesize exceeded\n"
        "  77 the CA file could not be read\n"
        "\n"
        "See gale(1).\n",
        out);
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : NULL;
  /* Stream buffers are freed whenever they empty; without this glibc gives
   * the memory back to the kernel each time and every read faults fresh
   * pages in (a 1 GiB download ran 10x slower). */
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  if (!cmd) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  if (strcmp(cmd, "fetch") == 0) return cli_fetch_main(argc - 1, argv + 1);
  if (strcmp(cmd, "bench") == 0) return cli_bench_main(argc - 1, argv + 1);
  if (strcmp(cmd, "serve") == 0) return cli_serve_main(argc - 1, argv + 1);
  if (strcmp(cmd, "ws") == 0) return cli_ws_main(argc - 1, argv + 1);
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    if (argc > 2) {
      char *sub[] = {argv[2], "--help", NULL};
      if (strcmp(argv[2], "fetch") == 0) return cli_fetch_main(2, sub);
      if (strcmp(argv[2], "bench") == 0) return cli_bench_main(2, sub);
      if (strcmp(argv[2], "serve") == 0) return cli_serve_main(2, sub);
      if (strcmp(argv[2], "ws") == 0) return cli_ws_main(2, sub);
    }
    usage(stdout);
    return 0;
  }
  if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("gale %s\n", PACKAGE_VERSION);
    return 0;
  }
  fprintf(stderr, "gale: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return CLI_EXIT_USAGE;
}
