/* SPDX-License-Identifier: MIT */
/* Templates from files (gale_template_loader): include and extends with
 * blocks (three levels), names relative to the including file, the cache
 * and its mtime check, and the hostile cases: names leaving the root, a
 * template including or extending itself, a missing or oversize file, and
 * syntax errors that name the file and line. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "gale/error.h"
#include "gale/template.h"

static char *dir;

static void put(const char *name, const char *text) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  char *slash = strrchr(path, '/');
  *slash = '\0';
  mkdir(path, 0755);
  *slash = '/';
  th_write_file(path, text, strlen(text));
}

static int setup(void **state) {
  (void)state;
  dir = th_mkdtemp();
  put("base.html",
      "<title>{% block title %}Site{% end %}</title><main>{% block body %}{% end %}</main>");
  put("page.html", "{% extends \"base.html\" %}ignored{% block title %}Page {{ n }}{% end %}"
                   "{% block body %}{% include \"parts/item.html\" %}{% end %}");
  put("parts/item.html", "<i>{{ n }}</i>{% include \"leaf.html\" %}");
  put("parts/leaf.html", "[leaf {{ n + 1 }}]");
  put("deep.html", "{% extends \"page.html\" %}{% block title %}Deep{% end %}");
  put("self.html", "x{% include \"self.html\" %}");
  put("loop_a.html", "{% extends \"loop_b.html\" %}");
  put("loop_b.html", "{% extends \"loop_a.html\" %}");
  put("bad.html", "line one\nline two\n{% if %}\n");
  put("uses_bad.html", "{% include \"bad.html\" %}");
  put("escape.html", "{% include \"../secret.txt\" %}");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  th_rmtree(dir);
  return 0;
}

static char *render(gale_template_loader *l, const char *name, const char *ctx_json, int *rc,
                    gale_template_error *err) {
  json_t *ctx = ctx_json ? json_loads(ctx_json, 0, NULL) : NULL;
  gale_buf out;
  gale_buf_init(&out, 0);
  *rc = gale_template_loader_render(l, name, ctx, NULL, &out, err);
  json_decref(ctx);
  if (*rc != GALE_OK) {
    gale_buf_release(&out);
    return NULL;
  }
  return out.data ? gale_buf_take(&out, NULL) : strdup("");
}

static void test_extends_include(void **state) {
  (void)state;
  gale_template_loader *l;
  gale_template_error err;
  int rc;
  assert_int_equal(gale_template_loader_new(dir, NULL, &l), GALE_OK);
  char *s = render(l, "page.html", "{\"n\": 4}", &rc, &err);
  assert_int_equal(rc, GALE_OK);
  assert_string_equal(s, "<title>Page 4</title><main><i>4</i>[leaf 5]</main>");
  free(s);
  s = render(l, "deep.html", "{\"n\": 1}", &rc, &err);
  assert_int_equal(rc, GALE_OK);
  assert_string_equal(s, "<title>Deep</title><main><i>1</i>[leaf 2]</main>");
  free(s);
  /* Cached: the same object on the second load. */
  const gale_template *a, *b;
  assert_int_equal(gale_template_loader_load(l, "page.html", &a, &err), GALE_OK);
  assert_int_equal(gale_template_loader_load(l, "./page.html", &b, &err), GALE_OK);
  assert_ptr_equal(a, b);
  gale_template_loader_free(l);
}

static void test_hostile(void **state) {
  (void)state;
  gale_template_loader *l;
  gale_template_error err;
  int rc;
  assert_int_equal(gale_template_loader_new(dir, NULL, &l), GALE_OK);
  assert_null(render(l, "self.html", NULL, &rc, &err));
  assert_int_equal(rc, GALE_ETEMPLATE);
  assert_non_null(strstr(err.message, "nested too deep"));
  assert_null(render(l, "loop_a.html", NULL, &rc, &err));
  assert_int_equal(rc, GALE_ETEMPLATE);
  assert_non_null(strstr(err.message, "chain too deep"));
  /* A syntax error names the file and the line. */
  assert_null(render(l, "bad.html", NULL, &rc, &err));
  assert_int_equal(rc, GALE_ETEMPLATE);
  assert_string_equal(err.name, "bad.html");
  assert_int_equal(err.line, 3);
  assert_null(render(l, "uses_bad.html", NULL, &rc, &err));
  assert_non_null(strstr(err.message, "bad.html:3"));
  /* Names that leave the root. */
  const char *refused[] = {"../x.html", "a/../../x.html", "a\\b.html", "", "/", "..", NULL};
  for (int i = 0; refused[i]; i++) {
    assert_null(render(l, refused[i], NULL, &rc, &err));
    assert_int_equal(rc, GALE_EINVAL);
  }
  assert_null(render(l, "escape.html", NULL, &rc, &err));
  assert_int_equal(rc, GALE_ETEMPLATE);
  assert_non_null(strstr(err.message, "refused"));
  assert_null(render(l, "nothere.html", NULL, &rc, &err));
  assert_int_equal(rc, GALE_ENOENT);
  assert_null(render(l, "parts", NULL, &rc, &err)); /* a folder */
  assert_int_equal(rc, GALE_ESYS);
  gale_template_loader_free(l);

  gale_template_options o;
  gale_template_options_init(&o);
  o.max_template_size = 10;
  assert_int_equal(gale_template_loader_new(dir, &o, &l), GALE_OK);
  assert_null(render(l, "page.html", NULL, &rc, &err));
  assert_int_equal(rc, GALE_ELIMIT);
  gale_template_loader_free(l);
}

static void test_reload(void **state) {
  (void)state;
  gale_template_options o;
  gale_template_options_init(&o);
  o.check_mtime = true;
  gale_template_loader *l;
  gale_template_error err;
  int rc;
  put("live.html", "one");
  assert_int_equal(gale_template_loader_new(dir, &o, &l), GALE_OK);
  char *s = render(l, "live.html", NULL, &rc, &err);
  assert_string_equal(s, "one");
  free(s);
  put("live.html", "second"); /* another size: seen even within the same mtime tick */
  s = render(l, "live.html", NULL, &rc, &err);
  assert_string_equal(s, "second");
  free(s);
  gale_template_loader_reset(l);
  s = render(l, "live.html", NULL, &rc, &err);
  assert_string_equal(s, "second");
  free(s);
  gale_template_loader_free(l);
  /* Without check_mtime the cached copy stays. */
  assert_int_equal(gale_template_loader_new(dir, NULL, &l), GALE_OK);
  s = render(l, "live.html", NULL, &rc, &err);
  free(s);
  put("live.html", "third!");
  s = render(l, "live.html", NULL, &rc, &err);
  assert_string_equal(s, "second");
  free(s);
  gale_template_loader_free(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_extends_include),
      cmocka_unit_test(test_hostile),
      cmocka_unit_test(test_reload),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
