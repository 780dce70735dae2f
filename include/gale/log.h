/* SPDX-License-Identifier: MIT */
/* gale/log.h — a leveled logger with a pluggable sink.
 *
 * Messages carry a level and a domain, as Tornado's loggers do: "access" for
 * the HTTP server's one line per request, "app" for application errors,
 * "general" for everything else.  The default sink writes Tornado-style lines
 * to stderr:  [I 261123 09:19:12 access] 200 GET / (127.0.0.1) 0.31ms
 *
 * The level and sink are process-wide; set them before starting loops in
 * other threads (they are read without locking).  The default level is INFO.
 */
#ifndef GALE_LOG_H
#define GALE_LOG_H

#include <stdarg.h>

#include "gale/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gale_log_level {
  GALE_LOG_DEBUG = 10,
  GALE_LOG_INFO = 20,
  GALE_LOG_WARNING = 30,
  GALE_LOG_ERROR = 40,
  GALE_LOG_NONE = 100 /* as a threshold: log nothing */
} gale_log_level;

/* A sink receives each formatted message (no trailing newline; borrowed for
 * the duration of the call). */
typedef void (*gale_log_sink_cb)(gale_log_level level, const char *domain, const char *message,
                                 void *arg);

/* Messages below `level` are dropped before formatting. */
GALE_EXPORT void gale_log_set_level(gale_log_level level);
GALE_EXPORT gale_log_level gale_log_get_level(void);

/* Replaces the sink; NULL restores the default stderr sink. */
GALE_EXPORT void gale_log_set_sink(gale_log_sink_cb sink, void *arg);

/* True when a message of `level` would be emitted: lets a caller skip
 * expensive argument preparation. */
GALE_EXPORT bool gale_log_enabled(gale_log_level level);

/* Formats and emits a message.  Messages longer than 4 KiB are truncated.
 * `domain` may be NULL ("general"). */
GALE_EXPORT void gale_log(gale_log_level level, const char *domain, const char *fmt, ...)
    GALE_PRINTF(3, 4);
GALE_EXPORT void gale_logv(gale_log_level level, const char *domain, const char *fmt, va_list ap);

#define gale_log_debug(domain, ...) gale_log(GALE_LOG_DEBUG, domain, __VA_ARGS__)
#define gale_log_info(domain, ...) gale_log(GALE_LOG_INFO, domain, __VA_ARGS__)
#define gale_log_warning(domain, ...) gale_log(GALE_LOG_WARNING, domain, __VA_ARGS__)
#define gale_log_error(domain, ...) gale_log(GALE_LOG_ERROR, domain, __VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif
