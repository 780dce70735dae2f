/* SPDX-License-Identifier: MIT */
/* FriendFeed-style chat, as Tornado's demos/chat:  examples/chat [PORT]
 * (default 8888; 0 picks a free one, printed), then open
 * http://127.0.0.1:PORT/ in two browsers.
 *
 * Long polling: a page posts a message (POST /a/message/new, form fields
 * `body` and `_xsrf`) and keeps one request open for what comes next
 * (POST /a/message/updates with `cursor`, the id of the last message it
 * has), answered {"messages": [{"id", "body", "html"}, ...]} as soon as
 * there is something newer.  That waiting request is a coroutine handler
 * awaiting a gale_condition: straight-line code, no callback chain.  The
 * wire format is the Tornado demo's, so its client works against this
 * server and this page against the demo.
 *
 * WebSocket (Tornado's demos/websocket): /chatsocket takes {"body": ...}
 * and pushes every new message, as the same JSON object, to every open
 * socket.  Both kinds of client share one message cache: a message posted
 * either way reaches everyone.  The page uses the socket, or long polling
 * with ?poll=1.  JSON goes through jansson (gale_web_write_json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <gale.h>
#include <jansson.h>

#define CACHE_SIZE 200

typedef struct message {
  char id[37]; /* a UUID, as the demo's uuid.uuid4() */
  char *body;
  char *html;
  json_t *obj; /* {"id", "body", "html"}: what both transports send */
  char *json;  /* obj as text, for the sockets */
} message;

/* An open /chatsocket (its gale_websocket_ctx), in a list of all. */
typedef struct chat_socket {
  gale_websocket *ws;
  struct chat_socket *prev, *next;
} chat_socket;

/* The last CACHE_SIZE messages, oldest first, and the condition that new
 * ones notify (Tornado's MessageBuffer). */
static struct {
  message items[CACHE_SIZE];
  size_t count;
  gale_condition *cond;
  chat_socket *sockets;
} buffer;

static void message_clear(message *m) {
  free(m->body);
  free(m->html);
  free(m->json);
  json_decref(m->obj);
  memset(m, 0, sizeof(*m));
}

static void uuid4(char out[37]) {
  unsigned char b[16];
  if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) abort();
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
           b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
           b[15]);
}

/* `s` with &, <, >, " and ' as entities: the demo's {% module linkify %}
 * minus the links. */
static char *html_escape(const char *s) {
  size_t n = 0;
  for (const char *p = s; *p; p++) n += strchr("&<>\"'", *p) ? 6 : 1;
  char *out = malloc(n + 1), *o = out;
  if (!out) return NULL;
  for (const char *p = s; *p; p++) {
    switch (*p) {
    case '&': o = stpcpy(o, "&amp;"); break;
    case '<': o = stpcpy(o, "&lt;"); break;
    case '>': o = stpcpy(o, "&gt;"); break;
    case '"': o = stpcpy(o, "&quot;"); break;
    case '\'': o = stpcpy(o, "&#39;"); break;
    default: *o++ = *p;
    }
  }
  *o = '\0';
  return out;
}

static const message *message_add(const char *body) {
  if (buffer.count == CACHE_SIZE) {
    message_clear(&buffer.items[0]);
    memmove(&buffer.items[0], &buffer.items[1], (CACHE_SIZE - 1) * sizeof(message));
    memset(&buffer.items[CACHE_SIZE - 1], 0, sizeof(message));
    buffer.count--;
  }
  message *m = &buffer.items[buffer.count];
  uuid4(m->id);
  char *escaped = html_escape(body);
  m->body = strdup(body);
  size_t hn = (escaped ? strlen(escaped) : 0) + sizeof(m->id) + 64;
  m->html = malloc(hn);
  if (!escaped || !m->body || !m->html) {
    free(escaped);
    message_clear(m);
    return NULL;
  }
  snprintf(m->html, hn, "<div class=\"message\" id=\"m%s\">%s</div>\n", m->id, escaped);
  free(escaped);
  m->obj = json_pack("{s:s, s:s, s:s}", "id", m->id, "body", m->body, "html", m->html);
  m->json = m->obj ? json_dumps(m->obj, JSON_COMPACT | JSON_ESCAPE_SLASH) : NULL;
  if (!m->json) { /* json_pack refuses a body that is not UTF-8 */
    message_clear(m);
    return NULL;
  }
  buffer.count++;
  gale_condition_notify_all(buffer.cond);
  for (chat_socket *c = buffer.sockets; c; c = c->next)
    gale_websocket_write_message(c->ws, m->json, strlen(m->json), false, NULL);
  return m;
}

/* The index of the first message after `cursor` (all of them for no cursor
 * or one that left the cache, as the demo does). */
static size_t messages_since(const char *cursor) {
  if (!cursor || !*cursor) return 0;
  for (size_t i = buffer.count; i-- > 0;)
    if (strcmp(buffer.items[i].id, cursor) == 0) return i + 1;
  return 0;
}

/* ---- GET / ---------------------------------------------------------------- */

/* No external scripts: a WebSocket, or long polls by fetch() with ?poll=1.
 * body.dataset.ready says when the page can post (the tests wait on it). */
static const char page_script[] =
    "<script>\n"
    "const form = document.getElementById('messageform');\n"
    "const xsrf = form.elements['_xsrf'].value;\n"
    "let cursor = document.getElementById('inbox').dataset.cursor;\n"
    "function show(m) {\n"
    "  if (document.getElementById('m' + m.id)) return;\n"
    "  document.getElementById('inbox').insertAdjacentHTML('beforeend', m.html);\n"
    "  cursor = m.id;\n"
    "}\n"
    "let post;\n"
    "if (new URLSearchParams(location.search).has('poll')) {\n"
    "  post = async (body) => {\n"
    "    const args = new URLSearchParams({body: body, _xsrf: xsrf});\n"
    "    const r = await fetch('/a/message/new', {method: 'POST', body: args});\n"
    "    if (r.ok) show(await r.json());\n"
    "  };\n"
    "  (async () => {\n"
    "    document.body.dataset.ready = '1';\n"
    "    for (;;) {\n"
    "      const args = new URLSearchParams({_xsrf: xsrf});\n"
    "      if (cursor) args.set('cursor', cursor);\n"
    "      try {\n"
    "        const r = await fetch('/a/message/updates', {method: 'POST', body: args});\n"
    "        if (!r.ok) throw new Error(r.status);\n"
    "        (await r.json()).messages.forEach(show);\n"
    "      } catch (err) {\n"
    "        await new Promise((done) => setTimeout(done, 1000));\n"
    "      }\n"
    "    }\n"
    "  })();\n"
    "} else {\n"
    "  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';\n"
    "  const socket = new WebSocket(scheme + location.host + '/chatsocket');\n"
    "  socket.onopen = () => { document.body.dataset.ready = '1'; };\n"
    "  socket.onmessage = (e) => show(JSON.parse(e.data));\n"
    "  post = async (body) => socket.send(JSON.stringify({body: body}));\n"
    "}\n"
    "form.addEventListener('submit', async (e) => {\n"
    "  e.preventDefault();\n"
    "  await post(form.elements['body'].value);\n"
    "  form.elements['body'].value = '';\n"
    "});\n"
    "</script>\n";

static void index_get(gale_web_handler *h) {
  gale_web_write_str(h, "<!DOCTYPE html>\n<html><head><meta charset=\"UTF-8\">"
                        "<title>gale chat demo</title></head><body>\n");
  gale_web_printf(h, "<div id=\"inbox\" data-cursor=\"%s\">\n",
                  buffer.count ? buffer.items[buffer.count - 1].id : "");
  for (size_t i = 0; i < buffer.count; i++) gale_web_write_str(h, buffer.items[i].html);
  gale_web_write_str(h,
                     "</div>\n<form id=\"messageform\" action=\"/a/message/new\" method=\"post\">"
                     "<input name=\"body\" id=\"message\" autocomplete=\"off\">"
                     "<input type=\"submit\" value=\"Post\">");
  gale_web_write_str(h, gale_web_xsrf_form_html(h));
  gale_web_write_str(h, "<input type=\"hidden\" name=\"next\" value=\"/\"></form>\n");
  gale_web_write(h, page_script, sizeof(page_script) - 1);
  gale_web_write_str(h, "</body></html>\n");
}

/* ---- POST /a/message/new ---------------------------------------------------- */

static void message_new(gale_web_handler *h) {
  const char *body = gale_web_get_argument(h, "body", NULL);
  if (!body) {
    gale_web_send_error(h, 400);
    return;
  }
  const message *m = message_add(body);
  if (!m) {
    gale_web_send_error(h, 500);
    return;
  }
  /* A form posted without the script carries the hidden `next` and goes
   * back to the page; the script leaves it out and reads the message. */
  const char *next = gale_web_get_argument(h, "next", NULL);
  if (next && *next) {
    gale_web_redirect(h, next, 302);
    return;
  }
  gale_web_write_json(h, m->obj);
}

/* ---- POST /a/message/updates: the long poll ------------------------------------ */

static int message_updates(gale_web_handler *h) {
  const char *cursor = gale_web_get_argument(h, "cursor", NULL);
  size_t first = messages_since(cursor);
  while (first >= buffer.count) {
    gale_future *wait = gale_condition_wait(buffer.cond, GALE_FOREVER);
    if (!wait) return GALE_ENOMEM;
    int st = gale_await(wait);
    gale_future_unref(wait);
    if (st != GALE_OK) return st; /* GALE_ECANCELLED: the client left */
    first = messages_since(cursor);
  }
  json_t *list = json_array();
  for (size_t i = first; list && i < buffer.count; i++)
    json_array_append(list, buffer.items[i].obj);
  json_t *answer = list ? json_pack("{s:o}", "messages", list) : NULL; /* takes list */
  int rc = answer ? gale_web_write_json(h, answer) : GALE_ENOMEM;
  json_decref(answer);
  return rc;
}

/* ---- /chatsocket ------------------------------------------------------------- */

static void socket_open(gale_websocket *ws, gale_web_handler *h) {
  (void)h;
  chat_socket *c = gale_websocket_ctx(ws);
  c->ws = ws;
  c->next = buffer.sockets;
  if (c->next) c->next->prev = c;
  buffer.sockets = c;
}

static void socket_close(gale_websocket *ws, int code, const char *reason) {
  (void)code;
  (void)reason;
  chat_socket *c = gale_websocket_ctx(ws);
  if (!c->ws) return; /* closed before open */
  if (c->prev)
    c->prev->next = c->next;
  else
    buffer.sockets = c->next;
  if (c->next) c->next->prev = c->prev;
  c->ws = NULL;
}

/* {"body": "..."}, as the demo's client sends (other members ignored). */
static void socket_message(gale_websocket *ws, const char *data, size_t len, bool binary) {
  json_t *doc = binary ? NULL : json_loadb(data, len, 0, NULL);
  const char *body = json_string_value(json_object_get(doc, "body"));
  if (!body)
    gale_websocket_close(ws, GALE_WS_UNSUPPORTED_DATA, "expected {\"body\": \"...\"}");
  else if (!message_add(body))
    gale_websocket_close(ws, GALE_WS_INTERNAL_ERROR, NULL);
  json_decref(doc);
}

static const gale_websocket_class socket_class = {
    .name = "ChatSocket",
    .ctx_size = sizeof(chat_socket),
    .open = socket_open,
    .on_message = socket_message,
    .on_close = socket_close,
};

static const gale_web_handler_class index_class = {.name = "Main", .get = index_get};
static const gale_web_handler_class new_class = {.name = "MessageNew", .post = message_new};
static const gale_web_handler_class updates_class = {
    .name = "MessageUpdates", .coroutine = true, .co.post = message_updates};

int main(int argc, char **argv) {
  int port = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 8888;
  gale_loop *loop = gale_loop_new();
  if (!loop) return 1;
  buffer.cond = gale_condition_new(loop);

  unsigned char raw[32];
  char secret[65];
  if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) return 1;
  for (size_t i = 0; i < sizeof(raw); i++) snprintf(secret + 2 * i, 3, "%02x", raw[i]);
  gale_web_app_options opts;
  gale_web_app_options_init(&opts);
  opts.cookie_secret = secret;
  opts.xsrf_cookies = true;
  gale_web_app *app = gale_web_app_new(&opts);
  gale_http_server *server = NULL;
  if (!app || !buffer.cond || gale_web_app_add(app, "/", &index_class, NULL, NULL) != GALE_OK ||
      gale_web_app_add(app, "/a/message/new", &new_class, NULL, NULL) != GALE_OK ||
      gale_web_app_add(app, "/a/message/updates", &updates_class, NULL, NULL) != GALE_OK ||
      gale_web_app_add_websocket(app, "/chatsocket", &socket_class, NULL, NULL) != GALE_OK ||
      gale_web_app_listen(app, loop, port, NULL, NULL, &server) != GALE_OK) {
    fprintf(stderr, "chat: cannot listen on port %d\n", port);
    return 1;
  }
  printf("chat: http://127.0.0.1:%d/\n", gale_http_server_port(server));
  fflush(stdout);
  gale_loop_stop_on_signals(loop);
  int rc = gale_loop_run(loop);

  gale_http_server_free(server);
  gale_loop_run_once(loop, 0); /* lets cancelled long polls return */
  gale_web_app_free(app);
  gale_condition_free(buffer.cond);
  for (size_t i = 0; i < buffer.count; i++) message_clear(&buffer.items[i]);
  gale_loop_free(loop);
  return rc == GALE_OK ? 0 : 1;
}
