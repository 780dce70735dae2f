# http/util.mk: sources, tests and programs of this part (owned by it).
# HTTP utilities (Tornado's httputil): headers, URLs, forms, multipart,
# cookies, dates, header parameters.  Pure code over bytes, no loop.
galeinclude_HEADERS += include/gale/httputil.h include/gale/headers.h \
	include/gale/url.h include/gale/form.h include/gale/multipart.h \
	include/gale/cookie.h include/gale/httpdate.h include/gale/content_type.h
