/* SPDX-License-Identifier: MIT */
/* gale/error.h — the one status table.
 *
 * Every gale function that can fail returns an int status: GALE_OK (0) or a
 * negative GALE_E... code from the table below.  Callbacks receive the status
 * as an argument; gale never reports failure through errno alone.  Where a
 * failure came from a system call, the object that failed keeps the errno
 * (e.g. gale_stream_get_errno()); the code says what kind of failure it was.
 *
 * The table is an X-macro so the enum, gale_strerror() and gale_err_name()
 * never drift.  Codes are appended, never renumbered.
 */
#ifndef GALE_ERROR_H
#define GALE_ERROR_H

#include "gale/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GALE_STATUS_TABLE(X)                                                        \
  X(OK, 0, "success")                                                               \
  /* generic */                                                                     \
  X(EINVAL, -1, "invalid argument")                                                 \
  X(ENOMEM, -2, "out of memory")                                                    \
  X(ECANCELLED, -3, "operation cancelled")                                          \
  X(ECLOSED, -4, "object is closed")                                                \
  X(EBUSY, -5, "another operation of this kind is pending")                         \
  X(ETIMEDOUT, -6, "operation timed out")                                           \
  X(ESYS, -7, "system call failed (see the object's errno)")                        \
  X(ENOTSUP, -8, "not supported")                                                   \
  X(ESTATE, -9, "operation not valid in the object's state")                        \
  X(ENOENT, -10, "no such entry")                                                   \
  X(EEXIST, -11, "entry already exists")                                            \
  X(ERANGE, -12, "value out of range")                                              \
  X(EAGAIN, -13, "incomplete input, more data needed")                              \
  X(ELIMIT, -14, "configured limit reached")                                        \
  X(ENOTCORO, -15, "not called from inside a coroutine")                            \
  X(EQUEUEFULL, -16, "the queue is full")                                           \
  X(EQUEUEEMPTY, -17, "the queue is empty")                                         \
  /* streams and sockets */                                                         \
  X(EOF, -20, "connection closed by peer")                                          \
  X(ECONNRESET, -21, "connection reset by peer")                                    \
  X(EPIPE, -22, "broken pipe: peer no longer reading")                              \
  X(ECONNREFUSED, -23, "connection refused")                                        \
  X(EHOSTUNREACH, -24, "host unreachable")                                          \
  X(ENETUNREACH, -25, "network unreachable")                                        \
  X(EADDRINUSE, -26, "address already in use")                                      \
  X(EADDRNOTAVAIL, -27, "address not available")                                    \
  X(EMFILE, -28, "too many open files")                                             \
  X(EBUFFULL, -29, "buffer size limit exceeded")                                    \
  X(EMAXBYTES, -30, "read exceeded max_bytes before its delimiter")                 \
  X(EACCES, -31, "permission denied")                                               \
  /* timeouts, naming the phase */                                                  \
  X(ETIMEDOUT_DNS, -40, "timed out resolving the host name")                        \
  X(ETIMEDOUT_CONNECT, -41, "timed out connecting")                                 \
  X(ETIMEDOUT_TLS, -42, "timed out in the TLS handshake")                           \
  X(ETIMEDOUT_READ, -43, "timed out waiting for data")                              \
  X(ETIMEDOUT_WRITE, -44, "timed out writing data")                                 \
  X(ETIMEDOUT_IDLE, -45, "idle timeout")                                            \
  X(ETIMEDOUT_REQUEST, -46, "request timed out")                                    \
  X(ETIMEDOUT_QUEUE, -47, "timed out waiting in the request queue")                 \
  X(ETIMEDOUT_HEADER, -48, "timed out waiting for the header section")              \
  /* DNS */                                                                         \
  X(EDNS_NXDOMAIN, -60, "host not found (NXDOMAIN)")                                \
  X(EDNS_NODATA, -61, "host has no address of the requested family")                \
  X(EDNS_SERVFAIL, -62, "DNS server failure")                                       \
  X(EDNS_REFUSED, -63, "DNS query refused")                                         \
  X(EDNS_BADNAME, -64, "malformed host name")                                       \
  X(EDNS_CONFIG, -65, "DNS configuration could not be read")                        \
  X(EDNS, -66, "DNS resolution failed")                                             \
  /* TLS */                                                                         \
  X(ETLS, -80, "TLS error")                                                         \
  X(ETLS_VERIFY, -81, "TLS certificate verification failed")                        \
  X(ETLS_HOSTNAME, -82, "TLS certificate does not match the host name")             \
  X(ETLS_PROTOCOL, -83, "TLS protocol error")                                       \
  X(ETLS_ALPN, -84, "TLS ALPN negotiation failed")                                  \
  X(ETLS_TRUNCATED, -85, "TLS connection closed without close_notify")              \
  X(ETLS_CONFIG, -86, "invalid TLS configuration (certificate or key)")             \
  X(ETLS_EXPIRED, -87, "TLS certificate expired or not yet valid")                  \
  /* HTTP */                                                                        \
  X(EHTTP_PARSE, -100, "malformed HTTP message")                                    \
  X(EHTTP_HEADER_TOO_LARGE, -101, "HTTP header section too large")                  \
  X(EHTTP_BODY_TOO_LARGE, -102, "HTTP body too large")                              \
  X(EHTTP_URI_TOO_LONG, -103, "HTTP request target too long")                       \
  X(EHTTP_TOO_MANY_REDIRECTS, -104, "too many redirects")                           \
  X(EHTTP_STATUS, -105, "HTTP error status")                                        \
  X(EHTTP_TRUNCATED, -106, "HTTP body shorter than declared")                       \
  X(EHTTP_VERSION, -107, "HTTP version not supported")                              \
  X(EHTTP_METHOD, -108, "HTTP method not supported")                                \
  X(EHTTP_ENCODING, -109, "unsupported transfer or content coding")                 \
  X(EURL, -110, "malformed URL")                                                    \
  X(EHTTP_PROXY, -111, "proxy refused the connection")                              \
  X(EHTTP_BAD_CHUNK, -112, "malformed chunked encoding")                            \
  X(EHTTP_DECOMPRESS, -113, "malformed compressed body")                            \
  X(EHTTP_HEAD_TRUNCATED, -114, "connection closed in the middle of the HTTP head") \
  /* WebSocket */                                                                   \
  X(EWS_REFUSED, -120, "the server refused the WebSocket handshake (not 101)")      \
  X(EWS_HANDSHAKE, -121, "invalid WebSocket handshake answer")                      \
  /* templates */                                                                   \
  X(ETEMPLATE, -130, "template syntax or render error")

typedef enum gale_status {
#define GALE__STATUS_ENUM(name, value, text) GALE_##name = (value),
  GALE_STATUS_TABLE(GALE__STATUS_ENUM)
#undef GALE__STATUS_ENUM
} gale_status;

/* Returns a static English sentence for a status ("connection refused").
 * Never NULL: an unknown code gives "unknown gale status". */
GALE_EXPORT const char *gale_strerror(int status);

/* Returns the code's name without the prefix ("ECONNREFUSED"), or
 * "UNKNOWN".  Static; never NULL. */
GALE_EXPORT const char *gale_err_name(int status);

/* Maps an errno value to the closest gale status (ECONNREFUSED →
 * GALE_ECONNREFUSED, ETIMEDOUT → GALE_ETIMEDOUT_CONNECT...); errnos without
 * a code of their own give GALE_ESYS.  0 gives GALE_OK. */
GALE_EXPORT int gale_err_from_errno(int errnum);

#ifdef __cplusplus
}
#endif

#endif
