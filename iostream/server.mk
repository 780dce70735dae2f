# iostream/server.mk: the TCP server, socket helpers and process forking.
