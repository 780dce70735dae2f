/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the -w/--write-out renderer (tools/writeout.c) with a
 * fake response.  Bytes 0..11 set the response (code, status, HTTP
 * version, timings, sizes, ports, reuse); the rest up to the first '\n' is
 * the value every looked-up header has (Content-Type, Location and any
 * %{header{X...}}), and what follows is the format string (an exact-size
 * copy).  stdout and stderr are swapped for one memory stream while it
 * runs, so %{stderr}, %{stdout} and the unknown-variable warning are
 * captured too.  Invariant: the output is bounded by the format's length
 * times the longest thing one variable can print.
 * FUZZ-SOURCES: tools/writeout.c core/buf.c core/alloc.c core/error.c core/version.c http/util/headers.c http/util/url.c http/util/chars.c http/util/utf8.c http/util/arena.c
 * FUZZ-LIBS:
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz/fuzz.h"
#include "tools/cli.h"

const char gale_fuzz_corpus[] = "writeout";

static const char *header_value;

/* The fake response's fields: weak so a replay linked with the client
 * keeps this one only when nothing else is needed from it. */
__attribute__((weak)) const char *gale_http_response_header(const gale_http_response *resp,
                                                            const char *name) {
  (void)resp;
  size_t n = strlen(name); /* the renderer must hand over a C string */
  if (strcasecmp(name, "Content-Type") == 0 || strcasecmp(name, "Location") == 0 ||
      (n && (name[0] == 'X' || name[0] == 'x')))
    return header_value;
  return NULL;
}

static char *cstr(const uint8_t *d, size_t n) {
  char *s = malloc(n + 1);
  if (!s) return NULL;
  memcpy(s, d, n);
  s[n] = '\0';
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 12) return 0;
  const uint8_t *rest = data + 12, *nl = memchr(rest, '\n', size - 12);
  size_t hl = nl ? (size_t)(nl - rest) : 0;
  char *hv = cstr(rest, hl);
  char *fmt = nl ? cstr(nl + 1, size - 12 - hl - 1) : cstr(rest, size - 12);
  char *outbuf = NULL;
  size_t outlen = 0;
  FILE *mem = NULL;
  if (!hv || !fmt) goto out;
  header_value = hv;
  gale_http_response r;
  memset(&r, 0, sizeof r);
  r.code = (data[0] | data[1] << 8) % 1000;
  r.status = data[2] & 1 ? -(int)(data[2] >> 1) : 0;
  r.error = data[2] & 2 ? hv : "";
  r.http_version = data[3] % 3 == 0 ? 10 : data[3] % 3 == 1 ? 11 : 0;
  r.timings.dns = data[4] / 7.0;
  r.timings.connect = data[5] / 3.0;
  r.timings.tls = data[6] & 1 ? data[6] / 5.0 : 0;
  r.timings.total = data[7] & 1 ? 1e300 * data[7] : data[7] / 11.0;
  r.size_download = (uint64_t)data[8] << (data[9] % 57);
  r.size_upload = UINT64_MAX - data[9];
  r.num_redirects = data[10];
  r.remote_port = data[11] * 257;
  r.local_port = -data[11];
  r.reused = data[10] & 1;
  r.effective_url = data[11] & 1 ? hv : NULL;
  r.remote_ip = data[11] & 2 ? hv : NULL;
  r.local_ip = data[11] & 4 ? "127.0.0.1" : NULL;
  mem = open_memstream(&outbuf, &outlen);
  if (!mem) goto out;
  FILE *so = stdout, *se = stderr;
  stdout = stderr = mem;
  cli_xfer_info x = {
      data[0], "http://fuzz.example/path", "GET", data[1] & 1 ? hv : NULL, data[1] & 2 ? hv : NULL,
      data[1]};
  cli_write_out(mem, fmt, &r, &x);
  stdout = so, stderr = se;
  fclose(mem);
  /* One variable, at least 3 bytes of format ("%{}"), prints at most a
   * string of the input, a %f of 1e300 (~310 digits) or the warning;
   * %{json} (8 bytes) prints ~35 of them, strings escaped (6 bytes per
   * byte at most). */
  size_t flen = strlen(fmt);
  FUZZ_CHECK(outlen <= flen * (6 * strlen(hv) + 400) * 5 + 1);
out:
  free(outbuf);
  free(hv);
  free(fmt);
  return 0;
}
