/* SPDX-License-Identifier: MIT */
/* The frozen sizes of the public structs under the ABI policy, x86-64
 * Linux; written by tests/gen_abi_sizes.sh when the ABI changes. */
#define ABI_SIZE_gale_cookie_opts 112
#define ABI_SIZE_gale_coro_options 80
#define ABI_SIZE_gale_form_limits 88
#define ABI_SIZE_gale_http_request 424
#define ABI_SIZE_gale_http_client_options 96
#define ABI_SIZE_gale_http_server_options 208
#define ABI_SIZE_gale_multipart_limits 88
#define ABI_SIZE_gale_resolver_options 120
#define ABI_SIZE_gale_stream_options 104
#define ABI_SIZE_gale_tcp_connect_options 152
#define ABI_SIZE_gale_tcp_server_options 152
#define ABI_SIZE_gale_template_options 96
#define ABI_SIZE_gale_template_env 88
#define ABI_SIZE_gale_tls_server_options 136
#define ABI_SIZE_gale_tls_client_options 144
#define ABI_SIZE_gale_web_handler_class 296
#define ABI_SIZE_gale_web_app_options 296
#define ABI_SIZE_gale_web_cookie_options 104
#define ABI_SIZE_gale_web_static_options 80
#define ABI_SIZE_gale_web_redirect_options 80
#define ABI_SIZE_gale_web_error_options 72
#define ABI_SIZE_gale_websocket_compression 96
#define ABI_SIZE_gale_websocket_options 208
#define ABI_SIZE_gale_websocket_class 152
#define ABI_SIZE_gale_websocket_connect_options 416
#define ABI_SIZE_gale_multipart_callbacks 88
#define ABI_SIZE_gale_web_upload_options 112
