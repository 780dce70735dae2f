/* SPDX-License-Identifier: MIT */
/* The download progress bar on stderr:
 *   [#########...........]  45%  12.3 MiB / 27.0 MiB  4.5 MiB/s  ETA 0:03
 * Without a known size it shows the bytes and the speed only.  -# draws
 * curl's plain bar of '#' instead.  Redrawn in
 * place with \r, at most ten times a second, so a fast download does not
 * spend its time on the terminal. */
#include "cli.h"

#include <string.h>

#define BAR_WIDTH 24
#define HASH_WIDTH 72

const char *cli_human_bytes(double bytes, char *buf, size_t size) {
  static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    u++;
  }
  if (u == 0)
    snprintf(buf, size, "%.0f %s", bytes, units[u]);
  else
    snprintf(buf, size, "%.1f %s", bytes, units[u]);
  return buf;
}

void cli_progress_start(cli_progress *p, double now) {
  bool hash_bar = p->hash_bar;
  memset(p, 0, sizeof *p);
  p->hash_bar = hash_bar;
  p->start = now;
  p->total = -1;
}

/* -#: curl's plain bar, "######      45.3%", 72 columns of '#'; with no
 * known size a '#' moving back and forth shows that bytes still come. */
static void draw_hashes(cli_progress *p, double now) {
  char bar[HASH_WIDTH + 1];
  memset(bar, ' ', HASH_WIDTH);
  bar[HASH_WIDTH] = '\0';
  if (p->total > 0) {
    double frac = (double)p->done / (double)p->total;
    if (frac > 1) frac = 1;
    memset(bar, '#', (size_t)(frac * HASH_WIDTH));
    fprintf(stderr, "\r%s %5.1f%%", bar, frac * 100);
  } else {
    int step = (int)((now - p->start) * 10) % (2 * HASH_WIDTH - 2);
    bar[step < HASH_WIDTH ? step : 2 * HASH_WIDTH - 2 - step] = '#';
    fprintf(stderr, "\r%s", bar);
  }
  fflush(stderr);
  p->drawn = true;
  p->last_draw = now;
}

static void draw(cli_progress *p, double now) {
  char done[32], total[32], speed[32], line[160];
  if (p->hash_bar) {
    draw_hashes(p, now);
    return;
  }
  double elapsed = now - p->start > 1e-6 ? now - p->start : 1e-6;
  double rate = (double)p->done / elapsed;
  cli_human_bytes((double)p->done, done, sizeof done);
  cli_human_bytes(rate, speed, sizeof speed);
  if (p->total > 0) {
    char bar[BAR_WIDTH + 1];
    double frac = (double)p->done / (double)p->total;
    int fill, eta;
    if (frac > 1) frac = 1;
    fill = (int)(frac * BAR_WIDTH);
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '.', (size_t)(BAR_WIDTH - fill));
    bar[BAR_WIDTH] = '\0';
    eta = rate > 0 ? (int)(((double)p->total - (double)p->done) / rate) : 0;
    if (eta < 0) eta = 0;
    cli_human_bytes((double)p->total, total, sizeof total);
    snprintf(line, sizeof line, "[%s] %3d%%  %s / %s  %s/s  ETA %d:%02d", bar, (int)(frac * 100),
             done, total, speed, eta / 60, eta % 60);
  } else {
    snprintf(line, sizeof line, "%s  %s/s  %.1fs", done, speed, elapsed);
  }
  fprintf(stderr, "\r%-78s", line);
  fflush(stderr);
  p->drawn = true;
  p->last_draw = now;
}

void cli_progress_update(cli_progress *p, uint64_t done, int64_t total, double now) {
  p->done = done;
  p->total = total;
  if (now - p->last_draw >= 0.1 || !p->drawn) draw(p, now);
}

void cli_progress_finish(cli_progress *p, double now) {
  if (!p->drawn) return;
  draw(p, now);
  fputc('\n', stderr);
}
