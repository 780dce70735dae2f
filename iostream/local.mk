# iostream/local.mk: gale_stream (plain and TLS) and gale_tls_ctx.
