/* SPDX-License-Identifier: MIT */
/* Character classes of HTTP/1 (RFC 9110 tokens and field values, request
 * targets, RFC 3986 reg-names) and the validators built on them: for what
 * applications hand to the server and the client, and for the parser's
 * authorities (a Host value, an absolute or CONNECT target). */
#include "http/wire/h1_internal.h"

const uint8_t gale__h1_ctab[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  2,  23, 6,  3,  23, 23, 23, 23, 22, 22, 23, 23, 22, 23, 23, 6,
    31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 6,  22, 6,  22, 6,  6,  6,  31, 31, 31, 31, 31, 31, 23,
    23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 6,  6,  6,  7,  23,
    7,  31, 31, 31, 31, 31, 31, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23,
    23, 23, 23, 6,  7,  6,  23, 0,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
};

bool gale_h1_valid_token(const char *s, size_t len) {
  if (len == 0) return false;
  for (size_t i = 0; i < len; i++)
    if (!IS(s[i], C_TOKEN)) return false;
  return true;
}

bool gale_h1_valid_field_value(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (!IS(s[i], C_VALUE)) return false;
  return true;
}

bool gale_h1_valid_reason(const char *s, size_t len) { return gale_h1_valid_field_value(s, len); }

bool gale_h1_valid_target(const char *s, size_t len) {
  if (len == 0) return false;
  for (size_t i = 0; i < len; i++)
    if (!IS(s[i], C_TARGET)) return false;
  return true;
}

/* host [":" port] with host = "[" v6 "]" / reg-name (covers IPv4).  An
 * empty value is valid (RFC 9112 §3.2); a port needs a host. */
bool gale__h1_valid_authority(const char *s, size_t len, bool need_port) {
  size_t i = 0;
  if (len == 0) return !need_port;
  if (s[0] == '[') {
    for (i = 1; i < len && s[i] != ']'; i++)
      if (!IS(s[i], C_HEX) && s[i] != ':' && s[i] != '.') return false;
    if (i == len || i == 1) return false;
    i++;
  } else {
    while (i < len && IS(s[i], C_REG)) i++;
    if (i == 0) return false;
  }
  if (i == len) return !need_port;
  if (s[i] != ':') return false;
  i++;
  if (len - i > 5 || (need_port && i == len)) return false;
  unsigned port = 0;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    port = port * 10 + (unsigned)(s[i] - '0');
  }
  return port <= 65535;
}
