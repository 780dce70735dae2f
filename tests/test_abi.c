/* SPDX-License-Identifier: MIT */
/* The ABI policy (README, "ABI"): every struct a caller fills ends with
 * GALE_RESERVED room.  The init functions zero that room whatever the
 * memory held, and on x86-64 Linux each struct's size is frozen: a change
 * that grows one fails here until the new field's bytes come out of its
 * room. */
#include <string.h>

#include "harness.h"
#include "gale.h"

/* Every struct under the policy: X(type). */
/* clang-format off */
#define ABI_STRUCTS(X) \
  X(gale_cookie_opts) \
  X(gale_coro_options) \
  X(gale_form_limits) \
  X(gale_http_request) \
  X(gale_http_client_options) \
  X(gale_http_server_options) \
  X(gale_multipart_limits) \
  X(gale_resolver_options) \
  X(gale_stream_options) \
  X(gale_tcp_connect_options) \
  X(gale_tcp_server_options) \
  X(gale_template_options) \
  X(gale_template_env) \
  X(gale_tls_server_options) \
  X(gale_tls_client_options) \
  X(gale_web_handler_class) \
  X(gale_web_app_options) \
  X(gale_web_cookie_options) \
  X(gale_web_static_options) \
  X(gale_web_redirect_options) \
  X(gale_web_error_options) \
  X(gale_websocket_compression) \
  X(gale_websocket_options) \
  X(gale_websocket_class) \
  X(gale_websocket_connect_options) \
  X(gale_multipart_callbacks) \
  X(gale_web_upload_options)
/* clang-format on */

static bool room_is_zero(const uint64_t *room, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (room[i]) return false;
  return true;
}

#define CHECK_INIT(type, call)                                                               \
  do {                                                                                       \
    type x;                                                                                  \
    memset(&x, 0xa5, sizeof x);                                                              \
    call;                                                                                    \
    assert_true(room_is_zero(x.gale_reserved_, sizeof x.gale_reserved_ / sizeof(uint64_t))); \
  } while (0)

static void test_init_zeroes_the_room(void **state) {
  (void)state;
  CHECK_INIT(gale_cookie_opts, gale_cookie_opts_init(&x));
  CHECK_INIT(gale_form_limits, gale_form_limits_init(&x));
  CHECK_INIT(gale_http_request, gale_http_request_init(&x, "http://example.test/"));
  CHECK_INIT(gale_http_client_options, gale_http_client_options_init(&x));
  CHECK_INIT(gale_http_server_options, gale_http_server_options_init(&x));
  CHECK_INIT(gale_multipart_limits, gale_multipart_limits_init(&x));
  CHECK_INIT(gale_resolver_options, gale_resolver_options_init(&x));
  CHECK_INIT(gale_stream_options, gale_stream_options_init(&x));
  CHECK_INIT(gale_tcp_connect_options, gale_tcp_connect_options_init(&x));
  CHECK_INIT(gale_tcp_server_options, gale_tcp_server_options_init(&x));
  CHECK_INIT(gale_template_options, gale_template_options_init(&x));
  CHECK_INIT(gale_tls_server_options, gale_tls_server_options_init(&x));
  CHECK_INIT(gale_tls_client_options, gale_tls_client_options_init(&x));
  CHECK_INIT(gale_web_app_options, gale_web_app_options_init(&x));
  CHECK_INIT(gale_websocket_options, gale_websocket_options_init(&x));
  CHECK_INIT(gale_websocket_connect_options, gale_websocket_connect_options_init(&x));
}

/* The room is the last member of each struct, eight 64-bit words. */
static void test_room_is_last(void **state) {
  (void)state;
#define ROOM_LAST(type)                                                                          \
  assert_int_equal(                                                                              \
      offsetof(type, gale_reserved_) + sizeof(((type *)0)->gale_reserved_) +                     \
          (sizeof(type) - offsetof(type, gale_reserved_) - sizeof(((type *)0)->gale_reserved_)), \
      sizeof(type));                                                                             \
  assert_true(                                                                                   \
      sizeof(type) - offsetof(type, gale_reserved_) - sizeof(((type *)0)->gale_reserved_) < 8);
  ABI_STRUCTS(ROOM_LAST)
#undef ROOM_LAST
}

#if defined(__x86_64__) && defined(__linux__)
/* The sizes of this ABI (GALE_0), x86-64 Linux. */
#include "abi_sizes.h"

static void test_sizes_frozen(void **state) {
  (void)state;
  int changed = 0;
#define SIZE_SAME(type)                                                               \
  if (sizeof(type) != ABI_SIZE_##type) {                                              \
    print_error("sizeof(" #type ") is %zu, the ABI has %d: take new fields from its " \
                "gale_reserved_ room (README: ABI)\n",                                \
                sizeof(type), ABI_SIZE_##type);                                       \
    changed++;                                                                        \
  }
  ABI_STRUCTS(SIZE_SAME)
#undef SIZE_SAME
  assert_int_equal(changed, 0);
}
#endif

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_init_zeroes_the_room),
    cmocka_unit_test(test_room_is_last),
#if defined(__x86_64__) && defined(__linux__)
    cmocka_unit_test(test_sizes_frozen),
#endif
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
