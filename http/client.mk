# http/client.mk: the asynchronous HTTP client (owned by the httpclient part).
galeinclude_HEADERS += include/gale/http_client.h
