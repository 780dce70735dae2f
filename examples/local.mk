# SPDX-License-Identifier: MIT
# examples layer: sources, public headers, tests and programs.
noinst_PROGRAMS += examples/hello
examples_hello_SOURCES = examples/hello.c
examples_hello_LDADD = libgale_impl.la $(DEP_LIBS)

# examples/resolve: asynchronous lookups with gale_resolver (resolver layer).
noinst_PROGRAMS += examples/resolve
examples_resolve_SOURCES = examples/resolve.c
examples_resolve_LDADD = libgale_impl.la $(DEP_LIBS)

# examples/echo_server: a line-based key-value protocol on gale_tcp_server.
noinst_PROGRAMS += examples/echo_server
examples_echo_server_SOURCES = examples/echo_server.c
examples_echo_server_LDADD = libgale_impl.la $(DEP_LIBS)

# examples/fetch: one URL with gale_http_client, status line and body.
noinst_PROGRAMS += examples/fetch
examples_fetch_SOURCES = examples/fetch.c
examples_fetch_LDADD = libgale_impl.la $(DEP_LIBS)

# examples/coro_echo: echo_server's protocol as one coroutine per connection.
noinst_PROGRAMS += examples/coro_echo
examples_coro_echo_SOURCES = examples/coro_echo.c
examples_coro_echo_LDADD = libgale_impl.la $(DEP_LIBS)

# examples/crawler: Tornado's webspider, worker coroutines over a gale_queue.
noinst_PROGRAMS += examples/crawler
examples_crawler_SOURCES = examples/crawler.c
examples_crawler_LDADD = libgale_impl.la $(DEP_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/test_coro_examples
tests_test_coro_examples_SOURCES = tests/test_coro_examples.c
endif

# examples/chat: Tornado's chat demo: long polling (a coroutine handler) and
# a WebSocket sharing one message cache.
noinst_PROGRAMS += examples/chat
examples_chat_SOURCES = examples/chat.c
examples_chat_LDADD = libgale_impl.la $(DEP_LIBS)
check_SCRIPTS += tests/test_chat.sh
EXTRA_DIST += tests/test_chat.sh tests/chat_browser.py

# examples/websocket_echo: a WebSocket echo server at /echo (websocket.h).
noinst_PROGRAMS += examples/websocket_echo
examples_websocket_echo_SOURCES = examples/websocket_echo.c
examples_websocket_echo_LDADD = libgale_impl.la $(DEP_LIBS)

# examples/blog: Tornado's blog demo on SQLite and libcmark, templates and
# login (tests/test_blog.sh drives it with curl).
if HAVE_BLOG
noinst_PROGRAMS += examples/blog/blog
examples_blog_blog_SOURCES = examples/blog/blog.c examples/blog/blog_db.c examples/blog/blog.h
examples_blog_blog_CPPFLAGS = $(AM_CPPFLAGS) -DBLOG_SRCDIR='"$(abs_top_srcdir)/examples/blog"'
examples_blog_blog_CFLAGS = $(AM_CFLAGS) $(BLOG_CFLAGS)
examples_blog_blog_LDADD = libgale_impl.la $(BLOG_LIBS) $(DEP_LIBS)
check_SCRIPTS += tests/test_blog.sh
endif
EXTRA_DIST += tests/test_blog.sh examples/blog/templates examples/blog/static

# The examples' sources are installed for users to copy from, with a
# Makefile that builds them against the installed libgale (pkg-config).
exampledir = $(docdir)/examples
dist_example_DATA = examples/hello.c examples/echo_server.c examples/fetch.c examples/resolve.c \
	examples/coro_echo.c examples/crawler.c examples/chat.c examples/websocket_echo.c \
	examples/gale-serve.socket examples/gale-serve.service examples/Makefile.examples
# Every example builds with gcc and clang, -Wall -Wextra -Werror, against
# the public headers and the shared libgale alone.
check_SCRIPTS += tests/test_examples_build.sh
EXTRA_DIST += tests/test_examples_build.sh
