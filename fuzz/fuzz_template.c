/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the template engine (http/template/) — the input is
 * compiled as a template and, when it compiles, rendered with a fixed
 * context under small limits.  Invariants: compile and render return
 * GALE_OK or GALE_ETEMPLATE, an error always carries a message, the output
 * stays under max_output, and nothing leaks (ASan's leak check).
 * FUZZ-SOURCES: core/alloc.c core/buf.c http/template/tpl_expr.c http/template/tpl_eval.c http/template/tpl_builtins.c http/template/tpl_parse.c http/template/tpl_render.c http/template/tpl_loader.c http/util/escape.c http/util/url.c http/util/chars.c http/util/headers.c http/util/arena.c
 * FUZZ-LIBS: -ljansson
 */
#include <jansson.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "gale/error.h"
#include "gale/template.h"

const char gale_fuzz_corpus[] = "template";

static json_t *context(void) {
  return json_pack("{s:s, s:i, s:f, s:b, s:n, s:[i,i,i,s], s:{s:s, s:[{s:i}]}, s:s}", "name",
                   "<b>x</b>", "n", 3, "f", 2.5, "ok", 1, "none", "xs", 1, 2, 3, "four", "user",
                   "email", "a@b", "posts", "id", 7, "url", "see http://example.com/a?b=1&c=(2).");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gale_template_options opts;
  gale_template_options_init(&opts);
  opts.max_iterations = 20000;
  opts.max_output = 1 << 20;
  if (size && data[0] == 'W') opts.whitespace = GALE_TEMPLATE_WS_ONELINE;
  gale_template *t = NULL;
  gale_template_error err;
  int rc = gale_template_compile((const char *)data, size, "fuzz.html", &opts, &t, &err);
  FUZZ_CHECK(rc == GALE_OK || rc == GALE_ETEMPLATE || rc == GALE_ENOMEM);
  if (rc == GALE_ETEMPLATE) FUZZ_CHECK(err.message[0] != '\0');
  if (rc != GALE_OK) return 0;
  json_t *ctx = context();
  gale_buf out;
  gale_buf_init(&out, 0);
  rc = gale_template_render(t, ctx, NULL, &out, &err);
  FUZZ_CHECK(rc == GALE_OK || rc == GALE_ETEMPLATE || rc == GALE_ENOMEM);
  if (rc == GALE_ETEMPLATE) FUZZ_CHECK(err.message[0] != '\0');
  FUZZ_CHECK(out.len <= opts.max_output + 64 * 1024 * 16);
  gale_buf_release(&out);
  json_decref(ctx);
  gale_template_free(t);
  return 0;
}
