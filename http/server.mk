# http/server.mk: sources, tests and programs of this part (owned by it).
