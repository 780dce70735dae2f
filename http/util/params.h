/* SPDX-License-Identifier: MIT */
/* http/util/params.h — internals of gale_params shared by the parsers that fill
 * one (form, cookie, header parameters). */
#ifndef GALE_HTTP_PARAMS_H
#define GALE_HTTP_PARAMS_H

#include "gale/form.h"

/* Room for a pair whose decoded name and value will take at most nmax and
 * vmax bytes: returns where to write them (name at *name, value at *value,
 * each with room for a NUL), or GALE_ENOMEM.  Commit with
 * gale__params_commit() once the real lengths are known. */
GALE_INTERNAL int gale__params_reserve(gale_params *p, size_t nmax, size_t vmax, char **name,
                                       char **value);
GALE_INTERNAL void gale__params_commit(gale_params *p, size_t nlen, size_t vlen);

/* Drops pairs past `count` (undoing a failed parse). */
GALE_INTERNAL void gale__params_truncate(gale_params *p, size_t count);

/* Lowercases the ASCII letters of the name of the last pair. */
GALE_INTERNAL void gale__params_lower_last_name(gale_params *p);

#endif
