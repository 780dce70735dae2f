/* SPDX-License-Identifier: MIT */
/* gale/locale.h — translations as tornado.locale: CSV files named by locale
 * code (es_LA.csv) with rows "original","translation"[,"plural"|"singular"],
 * the closest supported locale for a list of codes or an Accept-Language
 * header, and translate() with plural forms.
 *
 * A locale set is read once (blocking: at start-up) and then only read, so
 * one set may serve every request.  Every file is bounded (4 MiB) and must be
 * UTF-8; a row that is not (or has a bad plural indicator) is skipped and
 * logged, as Tornado does.
 */
#ifndef GALE_LOCALE_H
#define GALE_LOCALE_H

#include "gale/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_locale_set gale_locale_set;
typedef struct gale_locale gale_locale;

/* Reads every NAME.csv in `dir` (NAME a code such as "fr" or "pt_BR"); the
 * default locale (`default_code`, NULL: "en_US") is supported even without a
 * file.  dir may be NULL for no translations.  Returns GALE_OK, GALE_EINVAL,
 * GALE_ENOMEM, GALE_ESYS (the folder cannot be read). */
GALE_EXPORT int gale_locale_set_load(const char *dir, const char *default_code,
                                     gale_locale_set **out);
GALE_EXPORT void gale_locale_set_free(gale_locale_set *set);

/* Tornado's get_closest: the first of `codes` that is supported (as
 * "ll_CC", "-" read as "_", case normalized), else its language alone,
 * else the default.  Never NULL for a non-NULL set; borrowed from it. */
GALE_EXPORT const gale_locale *gale_locale_get_closest(const gale_locale_set *set,
                                                       const char *const *codes, size_t ncodes);
/* The closest locale to an Accept-Language header (q-values honoured;
 * NULL or malformed: the default). */
GALE_EXPORT const gale_locale *gale_locale_from_accept_language(const gale_locale_set *set,
                                                                const char *header);
GALE_EXPORT const gale_locale *gale_locale_get_default(const gale_locale_set *set);

/* The locale's code ("pt_BR"). */
GALE_EXPORT const char *gale_locale_code(const gale_locale *locale);

/* Tornado's translate: with `plural` NULL, the translation of `message`
 * (or message itself); otherwise the plural translation when count != 1
 * and the singular one when count == 1, falling back to plural / message.
 * Borrowed (the set's or the caller's strings). */
GALE_EXPORT const char *gale_locale_translate(const gale_locale *locale, const char *message,
                                              const char *plural, long long count);

#ifdef __cplusplus
}
#endif

#endif
