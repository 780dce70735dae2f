# http/server.mk: the HTTP/1.1 server and the web layer (owned by httpserver).
galeinclude_HEADERS += include/gale/http_server.h include/gale/web.h
