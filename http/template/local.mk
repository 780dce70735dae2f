# SPDX-License-Identifier: MIT
# http/template/local.mk — templates with Tornado's syntax over JSON values
# (gale/template.h): compiled once into node trees, rendered with limits.
galeinclude_HEADERS += include/gale/template.h
libgale_impl_la_SOURCES += \
	http/template/tpl_internal.h \
	http/template/tpl_expr.c \
	http/template/tpl_eval.c \
	http/template/tpl_builtins.c \
	http/template/tpl_parse.c \
	http/template/tpl_render.c \
	http/template/tpl_loader.c

if HAVE_CMOCKA
check_PROGRAMS += tests/test_template tests/test_template_loader tests/test_escape
tests_test_template_SOURCES = tests/test_template.c
tests_test_template_loader_SOURCES = tests/test_template_loader.c
tests_test_escape_SOURCES = tests/test_escape.c
endif
