# SPDX-License-Identifier: MIT
# tools/local.mk: the `gale` command-line tool (layer 5), built only on the
# public API, and its man page.
bin_PROGRAMS += tools/gale
tools_gale_SOURCES = tools/gale.c tools/cli.h tools/util.c tools/proxy.c tools/idn.c tools/writeout.c \
	tools/progress.c tools/fetch.h tools/fetch.c tools/fetch_opts.c tools/fetch_form.c tools/fetch_xfer.c tools/fetch_retry.c tools/fetch_config.c tools/fetch_glob.c tools/fetch_cookies.c tools/bench.h tools/bench.c tools/bench_report.c tools/bench_pipe.c tools/serve.c tools/serve.h tools/serve_listen.c tools/serve_systemd.c tools/serve_restart.c tools/serve_workers.c tools/serve_listing.c tools/ws.c
# The installed library, shared: the binary carries no copy of it.
tools_gale_LDADD = libgale.la $(SYSTEMD_LIBS) $(IDN2_LIBS)
dist_man_MANS += tools/gale.1
# (examples/gale-serve.{socket,service} are installed by examples/local.mk.)

# `gale fetch` beside curl on the same requests (needs curl and Tornado).
check_SCRIPTS += tests/test_cli.sh
EXTRA_DIST += tests/test_cli.sh

# `gale ws` against examples/websocket_echo and a Python websockets server.
check_SCRIPTS += tests/test_cli_ws.sh
EXTRA_DIST += tests/test_cli_ws.sh tests/ws_client_peer_server.py

# `gale serve` checked with curl; `gale bench` against it (and Tornado).
# slowhttptest's slowloris and slow-body runs against gale serve's limits.
check_SCRIPTS += tests/test_cli_serve_slow.sh
EXTRA_DIST += tests/test_cli_serve_slow.sh
check_SCRIPTS += tests/test_cli_serve.sh tests/test_cli_bench.sh tests/test_cli_serve_stop.sh \
	tests/test_cli_serve_limits.sh tests/test_cli_serve_tls.sh \
	tests/test_cli_serve_proxy.sh tests/test_cli_serve_unix.sh \
	tests/test_cli_serve_systemd.sh tests/test_cli_serve_restart.sh \
	tests/test_cli_serve_workers.sh
EXTRA_DIST += tests/test_cli_serve.sh tests/test_cli_bench.sh tests/test_cli_serve_stop.sh \
	tests/test_cli_serve_limits.sh tests/test_cli_serve_tls.sh \
	tests/test_cli_serve_proxy.sh tests/test_cli_serve_unix.sh \
	tests/test_cli_serve_systemd.sh tests/test_cli_serve_restart.sh \
	tests/test_cli_serve_workers.sh

# bench/client.sh (make bench B=client): gale bench / gale fetch beside ab,
# curl and Tornado's client.
EXTRA_DIST += bench/client.sh

# gale fetch's HTTP version options (HTTP/2 refused until the client has it).
check_SCRIPTS += tests/test_cli_h2.sh
EXTRA_DIST += tests/test_cli_h2.sh

# gale fetch's further curl flags beside curl (tests/sh_lib.sh: the shared
# shell scaffolding).
check_SCRIPTS += tests/test_cli_flags.sh
EXTRA_DIST += tests/test_cli_flags.sh tests/cli_flags_app.py tests/sh_lib.sh

# Shell completion, installed where bash-completion and zsh look.
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = tools/completion/gale
zshcompletiondir = $(datadir)/zsh/site-functions
dist_zshcompletion_DATA = tools/completion/_gale
check_SCRIPTS += tests/test_completion.sh
EXTRA_DIST += tests/test_completion.sh
