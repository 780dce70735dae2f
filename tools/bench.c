/* gale bench: placeholder until the load generator lands. */
#include "cli.h"

int cli_bench_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "gale bench: not built yet\n");
  return CLI_EXIT_FAILED;
}
