/* SPDX-License-Identifier: MIT */
/* Runs one fuzz target over every file of its seed corpus
 * ($top_srcdir/fuzz/corpus/<name>/, or the folders given as arguments), so
 * `make check` replays the corpus without libFuzzer.  A broken invariant
 * traps and fails the test. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  static uint8_t buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  /* An exact-size copy so an overread is caught by ASan builds. */
  uint8_t *copy = malloc(n ? n : 1);
  if (!copy) return -1;
  memcpy(copy, buf, n);
  LLVMFuzzerTestOneInput(copy, n);
  free(copy);
  return 0;
}

static int run_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "replay: cannot open %s\n", dir);
    return -1;
  }
  int count = 0;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (run_file(path) == 0) count++;
  }
  closedir(d);
  printf("replay: %d inputs from %s\n", count, dir);
  return count > 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc > 1) {
    for (int i = 1; i < argc; i++)
      if (run_dir(argv[i])) return 1;
    return 0;
  }
  const char *top = getenv("top_srcdir");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", top ? top : ".", gale_fuzz_corpus);
  return run_dir(dir) ? 1 : 0;
}
