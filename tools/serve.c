/* gale serve: placeholder until the static handler lands. */
#include "cli.h"

int cli_serve_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "gale serve: not built yet\n");
  return CLI_EXIT_FAILED;
}
