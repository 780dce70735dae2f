/* SPDX-License-Identifier: MIT */
/* Runs the coroutine examples as a user would: examples/coro_echo speaks
 * echo_server's protocol (two clients at once, a line too long, a clean
 * exit on SIGTERM with handlers suspended), and examples/crawler crawls a
 * small site served by python3 -m http.server over a temp dir (a loop of
 * links, a dead link, an external link, a fragment, a depth limit) and
 * prints each URL it fetched once.  In the sanitizer build a leak in
 * either example fails its exit status. */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Starts `prog` with `arg`, logging to dir/out, and reads the port it
 * prints ("listening on port N"). */
static pid_t start_server(const char *prog, const char *dir, int *port) {
  char log[512];
  snprintf(log, sizeof log, "%s/out", dir);
  const char *argv[] = {prog, "0", NULL};
  pid_t pid = th_spawn(argv, log);
  *port = 0;
  double deadline = th_now() + 10;
  while (!*port && th_now() < deadline) {
    char *out = th_read_file(log, NULL);
    if (out) sscanf(out, "listening on port %d", port);
    free(out);
    if (!*port) usleep(20000);
  }
  assert_true(*port > 0);
  return pid;
}

static void expect_reply(int fd, const char *send, const char *expect) {
  th_write_all(fd, send, strlen(send));
  char buf[256] = {0};
  assert_int_equal(th_read_full(fd, buf, strlen(expect), 10), strlen(expect));
  assert_string_equal(buf, expect);
}

static void test_coro_echo_session(void **state) {
  (void)state;
  gale_loop_free(gale_loop_new()); /* links the loop in, for the harness */
  const char *prog = th_buildpath("examples/coro_echo");
  if (access(prog, X_OK) != 0) skip();
  char *dir = th_mkdtemp();
  int port;
  pid_t pid = start_server(prog, dir, &port);

  /* Two connections interleaved: each coroutine waits without blocking
   * the other. */
  int a = th_connect(port), b = th_connect(port);
  expect_reply(a, "SET color blue\n", "OK\n");
  expect_reply(b, "GET color\n", "VALUE blue\n");
  expect_reply(a, "ECHO hi there\r\n", "hi there\n");
  close(b);

  const char *script = "DEL color\nGET color\nBOGUS x\nQUIT\nGET never\n";
  const char *expect = "DELETED\nNOT_FOUND\nERR unknown command\nBYE\n";
  th_write_all(a, script, strlen(script));
  char buf[256] = {0};
  assert_int_equal(th_read_full(a, buf, sizeof buf - 1, 10), strlen(expect)); /* then EOF */
  assert_string_equal(buf, expect);
  close(a);

  /* A line over 4 KiB closes that connection; the server keeps serving. */
  int fd = th_connect(port);
  char big[5000];
  memset(big, 'k', sizeof big);
  th_write_all(fd, big, sizeof big);
  assert_int_equal(th_read_full(fd, buf, sizeof buf, 10), 0);
  close(fd);

  /* SIGTERM with a handler suspended in a read: the server and loop are
   * freed, the coroutine unwinds, and the process exits 0 (no leak under
   * ASan). */
  fd = th_connect(port);
  expect_reply(fd, "ECHO still here\n", "still here\n");
  kill(pid, SIGTERM);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  close(fd);
  th_rmtree(dir);
}

/* ---- crawler ----------------------------------------------------------------- */

static void write_page(const char *dir, const char *name, const char *html) {
  char path[1024];
  int n = snprintf(path, sizeof path, "%s/%s", dir, name);
  assert_true(n > 0 && (size_t)n < sizeof path);
  th_write_file(path, html, strlen(html));
}

/* The site: index -> a, sub/b, gone (404), an external link, a fragment,
 * sub (the server's 301 to sub/, whose listing links the sub/ pages,
 * c.html without a query among them);
 * a -> index (a loop), sub/b; sub/b -> ../a, c?x=1&amp;y=2; c -> deep. */
static void make_site(const char *dir) {
  char sub[1024];
  snprintf(sub, sizeof sub, "%s/sub", dir);
  assert_int_equal(mkdir(sub, 0700), 0);
  write_page(dir, "index.html",
             "<html><body><a href=\"a.html\">a</a> <A HREF=sub/b.html>b</A>\n"
             "<a href='gone.html'>dead</a> <a href=\"http://127.0.0.1:1/x\">elsewhere</a>\n"
             "<a href=\"#top\">top</a> <a href=\"sub\">a folder: 301 to sub/</a></body></html>");
  write_page(dir, "a.html", "<a href=\"/index.html#x\">home</a><a href = \"sub/b.html\">b</a>");
  write_page(dir, "sub/b.html", "<a href='../a.html'>a</a> <a href=\"c.html?x=1&amp;y=2\">c</a>");
  write_page(dir, "sub/c.html", "<p>leaf <a href=\"deep.html\">deeper</a></p>");
  write_page(dir, "sub/deep.html", "<p>the end</p>");
}

static int cmp_lines(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs the crawler and returns its stdout's lines sorted and joined by
 * '|' (malloc'd). */
static char *crawl(const char *dir, const char *args, int *exit_status) {
  char out[512];
  snprintf(out, sizeof out, "%s/crawl.out", dir);
  *exit_status =
      th_system("'%s' %s >'%s' 2>'%s/crawl.err'", th_buildpath("examples/crawler"), args, out, dir);
  char *text = th_read_file(out, NULL);
  assert_non_null(text);
  char *lines[64];
  size_t n = 0;
  for (char *save, *l = strtok_r(text, "\n", &save); l && n < 64; l = strtok_r(NULL, "\n", &save))
    lines[n++] = l;
  qsort(lines, n, sizeof *lines, cmp_lines);
  size_t total = 1;
  for (size_t i = 0; i < n; i++) total += strlen(lines[i]) + 1;
  char *joined = calloc(1, total);
  for (size_t i = 0; i < n; i++) {
    if (i) strcat(joined, "|");
    strcat(joined, lines[i]);
  }
  free(text);
  return joined;
}

static void test_crawler_crawls_site(void **state) {
  (void)state;
  gale_loop_free(gale_loop_new());
  if (access(th_buildpath("examples/crawler"), X_OK) != 0) skip();
  const char *python = th_require_program("python3");
  char *dir = th_mkdtemp();
  char site[512];
  snprintf(site, sizeof site, "%s/site", dir);
  assert_int_equal(mkdir(site, 0700), 0);
  make_site(site);
  int port = th_free_port();
  char port_s[16];
  snprintf(port_s, sizeof port_s, "%d", port);
  const char *argv[] = {python,      "-m",          "http.server", port_s, "--bind",
                        "127.0.0.1", "--directory", site,          NULL};
  pid_t pid = th_spawn(argv, NULL);
  assert_true(th_wait_port(port, 10));

  char args[128], expect[1024];
  const char *u = "http://127.0.0.1";
  int rc;
  /* Every page once (the loop back to index.html is not refetched, the
   * external link and the fragment are not followed), the dead link a 404,
   * the redirect followed within the origin. */
  snprintf(expect, sizeof expect,
           "200 %s:%d/|200 %s:%d/a.html|200 %s:%d/index.html|200 %s:%d/sub/|"
           "200 %s:%d/sub/b.html|200 %s:%d/sub/c.html|200 %s:%d/sub/c.html?x=1&y=2|"
           "200 %s:%d/sub/deep.html|301 %s:%d/sub|404 %s:%d/gone.html",
           u, port, u, port, u, port, u, port, u, port, u, port, u, port, u, port, u, port, u,
           port);
  for (int workers = 1; workers <= 8; workers += 7) {
    snprintf(args, sizeof args, "http://127.0.0.1:%d/ %d", port, workers);
    char *got = crawl(dir, args, &rc);
    assert_string_equal(got, expect);
    assert_int_equal(rc, 0);
    free(got);
  }

  /* -d 1: only the start page's own links. */
  snprintf(args, sizeof args, "-d 1 http://127.0.0.1:%d/", port);
  snprintf(expect, sizeof expect,
           "200 %s:%d/|200 %s:%d/a.html|200 %s:%d/sub/|200 %s:%d/sub/b.html|301 %s:%d/sub|"
           "404 %s:%d/gone.html",
           u, port, u, port, u, port, u, port, u, port, u, port);
  char *got = crawl(dir, args, &rc);
  assert_string_equal(got, expect);
  assert_int_equal(rc, 0);
  free(got);

  /* A dead start URL: one line, exit status 1. */
  snprintf(args, sizeof args, "http://127.0.0.1:%d/nothing.html 3", port);
  got = crawl(dir, args, &rc);
  snprintf(expect, sizeof expect, "404 %s:%d/nothing.html", u, port);
  assert_string_equal(got, expect);
  assert_int_equal(rc, 1);
  free(got);

  th_kill(pid);
  th_rmtree(dir);
}

static void test_crawler_usage(void **state) {
  (void)state;
  gale_loop_free(gale_loop_new());
  const char *prog = th_buildpath("examples/crawler");
  if (access(prog, X_OK) != 0) skip();
  assert_int_equal(th_system("'%s' >/dev/null 2>&1", prog), 2);
  assert_int_equal(th_system("'%s' http://127.0.0.1:1/ zero >/dev/null 2>&1", prog), 2);
  assert_int_equal(th_system("'%s' -d x http://127.0.0.1:1/ >/dev/null 2>&1", prog), 2);
  assert_int_equal(th_system("'%s' not-a-url >/dev/null 2>&1", prog), 2);
  /* Nothing listens on port 1: one ERR line, exit 1. */
  assert_int_equal(th_system("'%s' http://127.0.0.1:1/ 2 2>/dev/null | grep -q '^ERR '", prog), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_coro_echo_session),
      cmocka_unit_test(test_crawler_crawls_site),
      cmocka_unit_test(test_crawler_usage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
