/* SPDX-License-Identifier: MIT */
/* core/version.c — gale_version(): the version this library was built as,
 * which a program compiled against older headers can compare with its own
 * GALE_VERSION_* macros. */
#include "gale/version.h"

const char *gale_version(int *major, int *minor, int *patch) {
  if (major) *major = GALE_VERSION_MAJOR;
  if (minor) *minor = GALE_VERSION_MINOR;
  if (patch) *patch = GALE_VERSION_PATCH;
  return GALE_VERSION_STRING;
}
