/* SPDX-License-Identifier: MIT */
/* gale.h — everything public in gale, one include.
 *
 * Each concept has its own header under gale/; include those directly to
 * keep compile units small.  The layers (DESIGN.md): core (loop, futures,
 * errors, log), resolver, streams (stream, TLS, TCP server and client),
 * http (utilities, server, client, web, websocket).
 */
#ifndef GALE_H
#define GALE_H

#include "gale/common.h"
#include "gale/version.h"
#include "gale/error.h"
#include "gale/buf.h"
#include "gale/log.h"
#include "gale/loop.h"
#include "gale/future.h"
#include "gale/coro.h"
#include "gale/locks.h"
#include "gale/queue.h"
#include "gale/resolver.h"
#include "gale/stream.h"
#include "gale/tls.h"
#include "gale/netutil.h"
#include "gale/process.h"
#include "gale/tcp_server.h"
#include "gale/tcp_client.h"
#include "gale/httputil.h"
#include "gale/http_client.h"
#include "gale/http_server.h"
#include "gale/web.h"
#include "gale/websocket.h"
#include "gale/escape.h"
#include "gale/template.h"
#include "gale/locale.h"

#endif
