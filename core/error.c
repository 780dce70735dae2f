/* SPDX-License-Identifier: MIT */
/* The status table's two lookups and the errno mapping. */
#include <errno.h>

#include "gale/error.h"

const char *gale_strerror(int status) {
  switch (status) {
#define GALE__STATUS_TEXT(name, value, text) \
  case (value): return text;
    GALE_STATUS_TABLE(GALE__STATUS_TEXT)
#undef GALE__STATUS_TEXT
  }
  return "unknown gale status";
}

const char *gale_err_name(int status) {
  switch (status) {
#define GALE__STATUS_NAME(name, value, text) \
  case (value): return #name;
    GALE_STATUS_TABLE(GALE__STATUS_NAME)
#undef GALE__STATUS_NAME
  }
  return "UNKNOWN";
}

int gale_err_from_errno(int errnum) {
  switch (errnum) {
  case 0: return GALE_OK;
  case EINVAL: return GALE_EINVAL;
  case ENOMEM:
  case ENOBUFS: return GALE_ENOMEM;
  case ECANCELED: return GALE_ECANCELLED;
  case ETIMEDOUT: return GALE_ETIMEDOUT_CONNECT;
  case ECONNRESET: return GALE_ECONNRESET;
  case EPIPE: return GALE_EPIPE;
  case ECONNREFUSED: return GALE_ECONNREFUSED;
  case EHOSTUNREACH:
  case EHOSTDOWN: return GALE_EHOSTUNREACH;
  case ENETUNREACH:
  case ENETDOWN: return GALE_ENETUNREACH;
  case EADDRINUSE: return GALE_EADDRINUSE;
  case EADDRNOTAVAIL: return GALE_EADDRNOTAVAIL;
  case EMFILE:
  case ENFILE: return GALE_EMFILE;
  case EACCES:
  case EPERM: return GALE_EACCES;
  case ENOENT: return GALE_ENOENT;
  case EEXIST: return GALE_EEXIST;
  case EAGAIN: return GALE_EAGAIN;
  case ERANGE:
  case EOVERFLOW: return GALE_ERANGE;
  case ENOTSUP: return GALE_ENOTSUP;
  default: return GALE_ESYS;
  }
}
