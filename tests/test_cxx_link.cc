// SPDX-License-Identifier: MIT
// tests/test_cxx_link.cc — a C++ program includes every public header and
// links the shared libgale (so the headers' extern "C" guards and the
// library's exported symbols are both checked).  It runs a timer on a loop,
// parses a URL and reads the version; exit 0 when all of it worked.
#include <cstdio>
#include <cstring>

#include <gale.h>

static void on_timer(gale_loop *loop, void *arg) {
  *static_cast<bool *>(arg) = true;
  gale_loop_stop(loop);
}

int main() {
  int major = -1, minor = -1, patch = -1;
  const char *v = gale_version(&major, &minor, &patch);
  if (std::strcmp(v, GALE_VERSION_STRING) != 0 || major != GALE_VERSION_MAJOR ||
      minor != GALE_VERSION_MINOR || patch != GALE_VERSION_PATCH) {
    std::fprintf(stderr, "version %s, headers say %s\n", v, GALE_VERSION_STRING);
    return 1;
  }

  gale_loop *loop = gale_loop_new();
  if (!loop) return 1;
  bool fired = false;
  if (gale_loop_call_later(loop, 0.0, on_timer, &fired, nullptr) != GALE_OK ||
      gale_loop_run(loop) != GALE_OK || !fired) {
    std::fprintf(stderr, "the timer did not run\n");
    gale_loop_free(loop);
    return 1;
  }
  gale_loop_free(loop);

  gale_url *url = nullptr;
  const char *s = "http://127.0.0.1:8080/a?b=c";
  if (gale_url_parse(s, std::strlen(s), &url) != GALE_OK) return 1;
  gale_url_free(url);

  gale_http_server_options opts;
  gale_http_server_options_init(&opts);
  return 0;
}
