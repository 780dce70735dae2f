/* SPDX-License-Identifier: MIT */
/* The plain transport: a gale_stream straight over its file descriptor
 * (a TCP socket, or any fd: recv/send fall back to readv/writev once the
 * kernel says ENOTSOCK, so a pipe works too).  Its table is the one every
 * stream starts with; stream_tls.c swaps in its own on upgrade. */
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "iostream/stream_priv.h"

int gale__status_from_errno(int e) {
  switch (e) {
  case ECONNRESET: return GALE_ECONNRESET;
  case EPIPE: return GALE_EPIPE;
  case ETIMEDOUT: return GALE_ECONNRESET; /* keepalive gave up on the peer */
  default: return gale_err_from_errno(e);
  }
}

/* read_into with nothing buffered: straight from the socket into the
 * caller's memory. */
static void plain_read_into(gale_stream *s) {
  for (;;) {
    ssize_t n = read(s->fd, s->rd->buf + s->rd->filled, s->rd->n - s->rd->filled);
    if (n > 0) {
      s->rd->filled += (size_t)n;
      gale__stream_touch(s, true);
      return;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    s->eof = true;
    s->pending_reason = n == 0 ? GALE_EOF : gale__status_from_errno(errno);
    s->pending_errno = n == 0 ? 0 : errno;
    return;
  }
}

static int sock_read(gale_stream *s, size_t budget) {
  if (s->rkind == GALE__R_INTO && gale__buf_len(s->in) == 0 && s->rd->filled < s->rd->n) {
    plain_read_into(s);
    return 0;
  }
  size_t total = 0, chunk = s->read_chunk_size;
  struct evbuffer *in = gale__stream_in(s);
  while (total < budget) {
    struct evbuffer_iovec vec[2];
    int nvec = in ? evbuffer_reserve_space(in, (ev_ssize_t)chunk, vec, 2) : -1;
    if (nvec <= 0) {
      s->eof = true;
      s->pending_reason = GALE_ENOMEM;
      break;
    }
    struct iovec iov[2];
    for (int i = 0; i < nvec; i++) {
      iov[i].iov_base = vec[i].iov_base;
      iov[i].iov_len = vec[i].iov_len;
    }
    ssize_t n;
    if (nvec == 1 && !s->not_socket) {
      /* recv on a socket skips readv's iovec import and the file-position
       * lookup: a visible share of a small request's kernel time. */
      n = recv(s->fd, iov[0].iov_base, iov[0].iov_len, 0);
      if (n < 0 && errno == ENOTSOCK) {
        s->not_socket = true;
        n = readv(s->fd, iov, nvec);
      }
    } else {
      n = readv(s->fd, iov, nvec);
    }
    if (n > 0) {
      size_t left = (size_t)n;
      for (int i = 0; i < nvec; i++) {
        if (vec[i].iov_len > left) vec[i].iov_len = left;
        left -= vec[i].iov_len;
      }
      evbuffer_commit_space(in, vec, nvec);
      total += (size_t)n;
      /* A short read drained the socket: skip the EAGAIN round trip. */
      if ((size_t)n < chunk) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    s->eof = true;
    s->pending_reason = n == 0 ? GALE_EOF : gale__status_from_errno(errno);
    s->pending_errno = n == 0 ? 0 : errno;
    break;
  }
  if (total) {
    s->new_data = true;
    gale__stream_touch(s, true);
  } else {
    gale__stream_release_input(s);
  }
  return 0;
}

/* Writes the output buffer until it is empty, the socket is full, or the
 * budget is spent.  Returns 0 or a failure status. */
int gale__sock_write(gale_stream *s, uint64_t limit) {
  size_t done = 0;
  while (gale__buf_len(s->out) > 0 && done < GALE__WRITE_BUDGET && limit > 0) {
    ev_ssize_t atmost = limit < (uint64_t)GALE__WRITE_BUDGET ? (ev_ssize_t)limit : -1;
    errno = 0;
    int n;
    struct evbuffer_iovec v[2];
    if (atmost < 0 && !s->has_files && !s->not_socket &&
        evbuffer_peek(s->out, -1, NULL, v, 2) == 1) {
      /* One block in memory (a small response): send skips writev's
       * iovec import and file-position lookup. */
      ssize_t r = send(s->fd, v[0].iov_base, v[0].iov_len, MSG_NOSIGNAL);
      if (r < 0 && errno == ENOTSOCK) {
        s->not_socket = true;
        continue;
      }
      if (r > 0) evbuffer_drain(s->out, (size_t)r);
      n = r > 0 ? (int)r : r == 0 ? 0 : -1;
      if (r == 0) errno = EAGAIN; /* nothing taken: wait, as writev would */
    } else {
      n = evbuffer_write_atmost(s->out, s->fd, atmost);
    }
    if (n > 0) {
      s->written += (uint64_t)n;
      done += (size_t)n;
      if (limit != UINT64_MAX) limit -= (uint64_t)n;
      continue;
    }
    /* libevent's sendfile path reports EAGAIN as 0 (errno kept); a 0 with
     * no errno means the file was shorter than promised. */
    if (n <= 0 && errno == EINTR) continue;
    if (n <= 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      s->wait_writable = true;
      break;
    }
    if (n == 0) {
      s->err = EIO;
      return GALE_ESYS;
    }
    s->err = errno;
    return gale__status_from_errno(errno);
  }
  if (done) gale__stream_touch(s, false);
  return 0;
}

static int sock_write(gale_stream *s) { return gale__sock_write(s, UINT64_MAX); }

static void sock_on_readable(gale_stream *s) { sock_read(s, GALE__READ_BUDGET); }

static void sock_on_writable(gale_stream *s) { (void)s; }

static bool sock_want_read(const gale_stream *s) { return gale__stream_wants_read(s); }

static bool sock_want_write(const gale_stream *s) { return s->wait_writable; }

static bool sock_nothing(gale_stream *s) {
  (void)s;
  return false;
}

static bool sock_pending(const gale_stream *s) {
  (void)s; /* the kernel's buffer wakes the socket: nothing held here */
  return false;
}

static void sock_shutdown(gale_stream *s) { (void)s; }

const struct gale__transport gale__transport_sock = {
    .name = "sock",
    .out_to_fd = true,
    .read = sock_read,
    .write = sock_write,
    .on_readable = sock_on_readable,
    .on_writable = sock_on_writable,
    .want_read = sock_want_read,
    .want_write = sock_want_write,
    .pending = sock_pending,
    .notify = sock_nothing,
    .advance = sock_nothing,
    .shutdown = sock_shutdown,
    .release = sock_shutdown,
};
