/* SPDX-License-Identifier: MIT */
/* The CLI's small helpers: exit codes, number parsing, files, clocks. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cli_exit_code(int status) {
  switch (status) {
  case GALE_OK: return CLI_OK;
  case GALE_EURL: return CLI_EXIT_URL;
  case GALE_EDNS_NXDOMAIN:
  case GALE_EDNS_NODATA:
  case GALE_EDNS_SERVFAIL:
  case GALE_EDNS_REFUSED:
  case GALE_EDNS_BADNAME:
  case GALE_EDNS_CONFIG:
  case GALE_EDNS: return CLI_EXIT_RESOLVE;
  case GALE_ECONNREFUSED:
  case GALE_EHOSTUNREACH:
  case GALE_ENETUNREACH: return CLI_EXIT_CONNECT;
  case GALE_EADDRNOTAVAIL:
  case GALE_EADDRINUSE: return CLI_EXIT_INTERFACE;
  case GALE_ETIMEDOUT:
  case GALE_ETIMEDOUT_DNS:
  case GALE_ETIMEDOUT_CONNECT:
  case GALE_ETIMEDOUT_TLS:
  case GALE_ETIMEDOUT_READ:
  case GALE_ETIMEDOUT_WRITE:
  case GALE_ETIMEDOUT_IDLE:
  case GALE_ETIMEDOUT_REQUEST:
  case GALE_ETIMEDOUT_QUEUE:
  case GALE_ETIMEDOUT_HEADER: return CLI_EXIT_TIMEOUT;
  case GALE_ETLS_VERIFY:
  case GALE_ETLS_HOSTNAME:
  case GALE_ETLS_EXPIRED: return CLI_EXIT_TLS_VERIFY;
  case GALE_ETLS_CONFIG: return CLI_EXIT_TLS_CERT;
  case GALE_ETLS:
  case GALE_ETLS_PROTOCOL:
  case GALE_ETLS_ALPN: return CLI_EXIT_TLS_CONNECT;
  case GALE_EHTTP_TOO_MANY_REDIRECTS: return CLI_EXIT_REDIRECTS;
  case GALE_EHTTP_STATUS: return CLI_EXIT_HTTP_ERROR;
  case GALE_EHTTP_BODY_TOO_LARGE: return CLI_EXIT_FILESIZE;
  case GALE_EHTTP_TRUNCATED:
  case GALE_ETLS_TRUNCATED: return CLI_EXIT_PARTIAL;
  case GALE_EHTTP_PARSE:
  case GALE_EHTTP_HEADER_TOO_LARGE:
  case GALE_EHTTP_VERSION: return CLI_EXIT_WEIRD_REPLY;
  case GALE_EHTTP_ENCODING:
  case GALE_EHTTP_DECOMPRESS: return CLI_EXIT_ENCODING;
  case GALE_EHTTP_BAD_CHUNK:
  case GALE_ECONNRESET:
  case GALE_EHTTP_PROXY: return CLI_EXIT_RECV;
  case GALE_EOF: return CLI_EXIT_EMPTY_REPLY;
  case GALE_EPIPE: return CLI_EXIT_SEND;
  case GALE_ECANCELLED: return CLI_EXIT_ABORTED;
  case GALE_ENOMEM: return CLI_EXIT_NOMEM;
  case GALE_ENOTSUP: return CLI_EXIT_FAILED;
  default: return CLI_EXIT_FAILED;
  }
}

const char *cli_exit_text(int code) {
  switch (code) {
  case CLI_OK: return "OK";
  case CLI_EXIT_USAGE: return "Bad option or argument";
  case CLI_EXIT_URL: return "URL using bad/illegal format or missing URL";
  case CLI_EXIT_PROXY_RESOLVE: return "Could not resolve proxy";
  case CLI_EXIT_RESOLVE: return "Could not resolve host";
  case CLI_EXIT_CONNECT: return "Failed to connect";
  case CLI_EXIT_WEIRD_REPLY: return "Weird server reply";
  case CLI_EXIT_PARTIAL: return "Transferred a partial file";
  case CLI_EXIT_HTTP_ERROR: return "The requested URL returned an error";
  case CLI_EXIT_WRITE: return "Failure writing output";
  case CLI_EXIT_READ: return "Failed to read the upload";
  case CLI_EXIT_NOMEM: return "Out of memory";
  case CLI_EXIT_TIMEOUT: return "Timeout was reached";
  case CLI_EXIT_TLS_CONNECT: return "TLS connect error";
  case CLI_EXIT_ABORTED: return "Operation aborted";
  case CLI_EXIT_INTERFACE: return "Failed binding local address";
  case CLI_EXIT_REDIRECTS: return "Maximum redirects followed";
  case CLI_EXIT_EMPTY_REPLY: return "Empty reply from server";
  case CLI_EXIT_SEND: return "Failure sending data";
  case CLI_EXIT_RECV: return "Failure receiving data";
  case CLI_EXIT_TLS_CERT: return "Problem with the local client certificate";
  case CLI_EXIT_TLS_VERIFY: return "Peer certificate cannot be authenticated";
  case CLI_EXIT_ENCODING: return "Unrecognized or bad content encoding";
  case CLI_EXIT_FILESIZE: return "Maximum file size exceeded";
  case CLI_EXIT_CACERT: return "Problem with the CA certificate file";
  default: return "Failed";
  }
}

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool cli_parse_seconds(const char *s, double *out) {
  char *end;
  double v;
  if (!s || !*s) return false;
  errno = 0;
  v = strtod(s, &end);
  if (errno || *end || v < 0 || v != v || v > 1e9) return false;
  *out = v;
  return true;
}

bool cli_parse_int(const char *s, long lo, long hi, long *out) {
  char *end;
  long v;
  if (!s || !*s) return false;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || *end || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool cli_parse_size(const char *s, uint64_t *out) {
  char *end;
  unsigned long long v;
  uint64_t mult = 1;
  if (!s || !*s || *s == '-') return false;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno || end == s) return false;
  switch (*end) {
  case '\0': break;
  case 'k':
  case 'K':
    mult = 1024;
    end++;
    break;
  case 'm':
  case 'M':
    mult = 1024 * 1024;
    end++;
    break;
  case 'g':
  case 'G':
    mult = 1024ULL * 1024 * 1024;
    end++;
    break;
  default: return false;
  }
  if (*end || v > UINT64_MAX / mult) return false;
  *out = (uint64_t)v * mult;
  return true;
}

char *cli_read_file(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  gale_buf b;
  gale_buf_init(&b, 0);
  if (!f) return NULL;
  for (;;) {
    size_t got;
    if (gale_buf_reserve(&b, 65536) != GALE_OK) { /* read 64 KiB at a time */
      gale_buf_release(&b);
      if (f != stdin) fclose(f);
      errno = ENOMEM;
      return NULL;
    }
    got = fread(b.data + b.len, 1, b.cap - b.len - 1, f);
    gale_buf_set_len(&b, b.len + got);
    if (got == 0) break;
  }
  if (ferror(f)) {
    int err = errno;
    gale_buf_release(&b);
    if (f != stdin) fclose(f);
    errno = err ? err : EIO;
    return NULL;
  }
  if (f != stdin) fclose(f);
  return gale_buf_take(&b, len); /* the buffer's own block: no copy */
}
