/* SPDX-License-Identifier: MIT */
/* The logger: a level threshold, and one sink that receives formatted lines. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gale/log.h"

static gale_log_level log_level = GALE_LOG_INFO;
static gale_log_sink_cb log_sink;
static void *log_sink_arg;

void gale_log_set_level(gale_log_level level) { log_level = level; }
gale_log_level gale_log_get_level(void) { return log_level; }

void gale_log_set_sink(gale_log_sink_cb sink, void *arg) {
  log_sink = sink;
  log_sink_arg = arg;
}

bool gale_log_enabled(gale_log_level level) { return level >= log_level; }

static char level_letter(gale_log_level level) {
  if (level >= GALE_LOG_ERROR) return 'E';
  if (level >= GALE_LOG_WARNING) return 'W';
  if (level >= GALE_LOG_INFO) return 'I';
  return 'D';
}

/* One fputs per line so lines from several processes (forked workers) sharing
 * stderr do not interleave mid-line. */
static void stderr_sink(gale_log_level level, const char *domain, const char *message) {
  char stamp[32];
  char line[4096 + 64];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%y%m%d %H:%M:%S", &tm);
  snprintf(line, sizeof line, "[%c %s %s] %s\n", level_letter(level), stamp, domain, message);
  fputs(line, stderr);
}

void gale_logv(gale_log_level level, const char *domain, const char *fmt, va_list ap) {
  char message[4096];
  if (!gale_log_enabled(level) || fmt == NULL) return;
  vsnprintf(message, sizeof message, fmt, ap);
  if (domain == NULL) domain = "general";
  if (log_sink != NULL)
    log_sink(level, domain, message, log_sink_arg);
  else
    stderr_sink(level, domain, message);
}

void gale_log(gale_log_level level, const char *domain, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  gale_logv(level, domain, fmt, ap);
  va_end(ap);
}
