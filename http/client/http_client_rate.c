/* SPDX-License-Identifier: MIT */
/* max_recv_speed (curl's --limit-rate for downloads): once the body has
 * come faster than the limit since the first body byte, reading the
 * connection pauses until the average is back under it.  What already sits
 * in the input buffer is still parsed, so the limit holds on average, in
 * bursts of one read at most. */
#include "http/client/http_client_internal.h"

static void rate_resume(gale_loop *loop, void *arg) {
  hc_fetch *f = arg;
  (void)loop;
  f->rate_timer = NULL;
  if (f->rate_paused && f->conn && f->conn->stream) gale_stream_resume_reading(f->conn->stream);
  f->rate_paused = false;
}

void gale__hc_rate_account(hc_fetch *f, size_t len) {
  double now, due;
  if (!f->req.max_recv_speed || !f->conn || !f->conn->stream) return;
  now = gale_loop_time(f->loop);
  if (!f->rate_bytes) f->t_rate = now;
  f->rate_bytes += len;
  /* When the bytes so far are due at the limit's pace. */
  due = f->t_rate + (double)f->rate_bytes / (double)f->req.max_recv_speed;
  if (due - now < 0.001 || f->rate_paused) return;
  if (gale_loop_call_later(f->loop, due - now, rate_resume, f, &f->rate_timer) != GALE_OK) return;
  f->rate_paused = true;
  gale_stream_pause_reading(f->conn->stream);
}

void gale__hc_rate_stop(hc_fetch *f) {
  if (f->rate_timer) gale_timer_cancel(f->rate_timer), f->rate_timer = NULL;
  if (f->rate_paused && f->conn && f->conn->stream) gale_stream_resume_reading(f->conn->stream);
  f->rate_paused = false;
  f->rate_bytes = 0;
}
