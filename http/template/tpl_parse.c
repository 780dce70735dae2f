/* SPDX-License-Identifier: MIT */
/* http/template/tpl_parse.c — compiles template source into the node tree:
 * splits text from {{ }}, {% %} and {# #}, applies the whitespace mode to
 * the text, and nests the statements (if / for / block ... end). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gale/error.h"
#include "http/template/tpl_internal.h"

typedef struct compiler {
  const char *s, *end;
  int line;
  gale_template *t;
  gale_template_whitespace ws;
  bool autoescape;
  int loops; /* enclosing {% for %}s, for break / continue */
  int depth; /* statement nesting */
  gale_template_error *err;
  bool failed;
} compiler;

static void cfail(compiler *c, int line, const char *fmt, ...) GALE_PRINTF(3, 4);
static void cfail(compiler *c, int line, const char *fmt, ...) {
  if (c->failed) return;
  c->failed = true;
  if (!c->err) return;
  snprintf(c->err->name, sizeof(c->err->name), "%s", c->t->name ? c->t->name : "<string>");
  c->err->line = line;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err->message, sizeof(c->err->message), fmt, ap);
  va_end(ap);
}

gale_template_whitespace gale__tpl_ws_for(const char *name, gale_template_whitespace ws) {
  if (ws != GALE_TEMPLATE_WS_DEFAULT) return ws;
  size_t n = name ? strlen(name) : 0;
  if ((n >= 5 && !strcmp(name + n - 5, ".html")) || (n >= 3 && !strcmp(name + n - 3, ".js")))
    return GALE_TEMPLATE_WS_SINGLE;
  return GALE_TEMPLATE_WS_ALL;
}

static bool is_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Tornado's filter_whitespace, into dst (at most n bytes); returns the length. */
static size_t filter_ws(gale_template_whitespace ws, const char *s, size_t n, char *dst) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    if (ws == GALE_TEMPLATE_WS_ALL || !is_space(s[i])) {
      dst[o++] = s[i++];
      continue;
    }
    size_t j = i;
    bool nl = false, blank = false;
    if (ws == GALE_TEMPLATE_WS_ONELINE) {
      while (j < n && is_space(s[j])) j++;
      dst[o++] = ' ';
    } else {
      while (j < n && is_space(s[j])) {
        nl |= s[j] == '\n';
        blank |= s[j] == ' ' || s[j] == '\t';
        j++;
      }
      if (nl)
        dst[o++] = '\n';
      else if (blank)
        dst[o++] = ' ';
      else {
        memcpy(dst + o, s + i, j - i);
        o += j - i;
      } /* lone \r, \f, \v: kept */
    }
    i = j;
  }
  return o;
}

static tpl_node *new_node(compiler *c, tpl_kind kind, int line) {
  tpl_node *n = calloc(1, sizeof(*n));
  if (!n) {
    cfail(c, line, "out of memory");
    return NULL;
  }
  n->kind = kind;
  n->line = line;
  return n;
}

static tpl_node *text_node(compiler *c, const char *s, size_t len, int line) {
  tpl_node *n = new_node(c, N_TEXT, line);
  if (!n) return NULL;
  if (!(n->text = malloc(len + 1))) {
    free(n);
    cfail(c, line, "out of memory");
    return NULL;
  }
  n->len = filter_ws(c->ws, s, len, n->text);
  n->text[n->len] = '\0';
  return n;
}

static void advance(compiler *c, const char *to) {
  for (const char *p = c->s; p < to; p++) c->line += *p == '\n';
  c->s = to;
}

static tpl_expr *expr_of(compiler *c, const char *s, size_t len, int line) {
  char msg[200];
  tpl_expr *e = gale__tpl_expr_parse(s, len, msg, sizeof(msg));
  if (!e) cfail(c, line, "%s in '%.*s'", msg, (int)(len > 60 ? 60 : len), s);
  return e;
}

/* A quoted name ("base.html"), copied; NULL after an error. */
static char *quoted(compiler *c, const char *s, size_t len, const char *op, int line) {
  if (len < 2 || (s[0] != '"' && s[0] != '\'') || s[len - 1] != s[0] ||
      memchr(s + 1, s[0], len - 2)) {
    cfail(c, line, "{%% %s %%} needs a quoted template name", op);
    return NULL;
  }
  char *name = strndup(s + 1, len - 2);
  if (!name) cfail(c, line, "out of memory");
  return name;
}

static tpl_node *parse_body(compiler *c, char *term, size_t termcap, const char **targs,
                            size_t *targlen, int *tline);

/* Parses a body that must end with {% end %} (after else/elif handling by
 * the caller); returns it and sets *ended_with. */
static tpl_node *sub_body(compiler *c, const char *what, int line, char *term, const char **targs,
                          size_t *targlen, int *tline) {
  if (++c->depth > 200) {
    cfail(c, line, "statements nested too deep");
    return NULL;
  }
  tpl_node *b = parse_body(c, term, 16, targs, targlen, tline);
  c->depth--;
  if (!c->failed && !term[0]) cfail(c, line, "missing {%% end %%} for {%% %s %%}", what);
  return b;
}

static tpl_node *parse_if(compiler *c, const char *args, size_t alen, int line) {
  tpl_node *n = new_node(c, N_IF, line);
  if (!n || !(n->expr = expr_of(c, args, alen, line))) return n;
  char term[16];
  const char *targs;
  size_t targlen;
  int tline;
  n->body = sub_body(c, "if", line, term, &targs, &targlen, &tline);
  if (c->failed) return n;
  if (!strcmp(term, "elif")) {
    n->orelse = parse_if(c, targs, targlen, tline);
  } else if (!strcmp(term, "else")) {
    n->orelse = sub_body(c, "if", line, term, &targs, &targlen, &tline);
    if (!c->failed && strcmp(term, "end")) cfail(c, tline, "{%% %s %%} after {%% else %%}", term);
  } else if (strcmp(term, "end")) {
    cfail(c, tline, "unexpected {%% %s %%} in {%% if %%}", term);
  }
  return n;
}

static int parse_name(const char **s, const char *end, char **out) {
  while (*s < end && is_space(**s)) (*s)++;
  const char *start = *s;
  while (*s < end && ((**s >= 'a' && **s <= 'z') || (**s >= 'A' && **s <= 'Z') || **s == '_' ||
                      (*s > start && **s >= '0' && **s <= '9')))
    (*s)++;
  if (*s == start) return -1;
  *out = strndup(start, (size_t)(*s - start));
  while (*s < end && is_space(**s)) (*s)++;
  return *out ? 0 : -1;
}

static tpl_node *parse_for(compiler *c, const char *args, size_t alen, int line) {
  tpl_node *n = new_node(c, N_FOR, line);
  const char *s = args, *end = args + alen;
  if (!n) return NULL;
  if (parse_name(&s, end, &n->text) < 0) {
    cfail(c, line, "{%% for %%} needs 'name in expression'");
    return n;
  }
  if (s < end && *s == ',') {
    s++;
    if (parse_name(&s, end, &n->var2) < 0) {
      cfail(c, line, "{%% for %%} needs 'a, b in expression'");
      return n;
    }
  }
  if (end - s < 3 || strncmp(s, "in", 2) || !is_space(s[2])) {
    cfail(c, line, "{%% for %%} needs 'in'");
    return n;
  }
  if (!(n->expr = expr_of(c, s + 2, (size_t)(end - s - 2), line))) return n;
  char term[16];
  const char *targs;
  size_t targlen;
  int tline;
  c->loops++;
  n->body = sub_body(c, "for", line, term, &targs, &targlen, &tline);
  c->loops--;
  if (c->failed) return n;
  if (!strcmp(term, "else")) {
    n->orelse = sub_body(c, "for", line, term, &targs, &targlen, &tline);
    if (!c->failed && strcmp(term, "end")) cfail(c, tline, "{%% %s %%} after {%% else %%}", term);
  } else if (strcmp(term, "end")) {
    cfail(c, tline, "unexpected {%% %s %%} in {%% for %%}", term);
  }
  return n;
}

static tpl_node *parse_set(compiler *c, const char *args, size_t alen, int line) {
  tpl_node *n = new_node(c, N_SET, line);
  const char *s = args, *end = args + alen;
  if (!n) return NULL;
  if (parse_name(&s, end, &n->text) < 0 || s >= end || *s != '=' || (s + 1 < end && s[1] == '=')) {
    cfail(c, line, "{%% set %%} needs 'name = expression'");
    return n;
  }
  n->expr = expr_of(c, s + 1, (size_t)(end - s - 1), line);
  return n;
}

static tpl_node *parse_block(compiler *c, const char *args, size_t alen, int line) {
  tpl_node *n = new_node(c, N_BLOCK, line);
  const char *s = args, *end = args + alen;
  if (!n) return NULL;
  if (parse_name(&s, end, &n->text) < 0 || s != end) {
    cfail(c, line, "{%% block %%} needs a name");
    return n;
  }
  char term[16];
  const char *targs;
  size_t targlen;
  int tline;
  n->body = sub_body(c, "block", line, term, &targs, &targlen, &tline);
  if (!c->failed && strcmp(term, "end"))
    cfail(c, tline, "unexpected {%% %s %%} in {%% block %%}", term);
  return n;
}

/* One {% op args %}: a node, NULL for a statement that makes none, or a
 * terminator copied to term. */
static tpl_node *statement(compiler *c, const char *op, const char *args, size_t alen, int line,
                           char *term, size_t termcap, const char **targs, size_t *targlen,
                           int *tline) {
  if (!strcmp(op, "end") || !strcmp(op, "else") || !strcmp(op, "elif")) {
    if (alen && strcmp(op, "elif")) {
      cfail(c, line, "{%% %s %%} takes nothing", op);
      return NULL;
    }
    size_t oplen = strlen(op) < termcap - 1 ? strlen(op) : termcap - 1;
    memcpy(term, op, oplen);
    term[oplen] = '\0';
    *targs = args;
    *targlen = alen;
    *tline = line;
    return NULL;
  }
  if (!strcmp(op, "if")) return parse_if(c, args, alen, line);
  if (!strcmp(op, "for")) return parse_for(c, args, alen, line);
  if (!strcmp(op, "set")) return parse_set(c, args, alen, line);
  if (!strcmp(op, "block")) return parse_block(c, args, alen, line);
  if (!strcmp(op, "comment")) return NULL;
  if (!strcmp(op, "break") || !strcmp(op, "continue")) {
    if (!c->loops) {
      cfail(c, line, "{%% %s %%} outside {%% for %%}", op);
      return NULL;
    }
    return new_node(c, op[0] == 'b' ? N_BREAK : N_CONTINUE, line);
  }
  if (!strcmp(op, "raw")) {
    tpl_node *n = new_node(c, N_EXPR, line);
    if (n) n->expr = expr_of(c, args, alen, line);
    return n;
  }
  if (!strcmp(op, "include")) {
    tpl_node *n = new_node(c, N_INCLUDE, line);
    if (n) n->text = quoted(c, args, alen, op, line);
    return n;
  }
  if (!strcmp(op, "extends")) {
    if (c->t->extends) {
      cfail(c, line, "a second {%% extends %%}");
      return NULL;
    }
    c->t->extends = quoted(c, args, alen, op, line);
    c->t->extends_line = line;
    return NULL;
  }
  if (!strcmp(op, "autoescape")) {
    if (alen == 4 && !memcmp(args, "None", 4))
      c->autoescape = false;
    else if (alen == 12 && !memcmp(args, "xhtml_escape", 12))
      c->autoescape = true;
    else
      cfail(c, line, "{%% autoescape %%} takes xhtml_escape or None");
    return NULL;
  }
  if (!strcmp(op, "whitespace")) {
    if (alen == 3 && !memcmp(args, "all", 3))
      c->ws = GALE_TEMPLATE_WS_ALL;
    else if (alen == 6 && !memcmp(args, "single", 6))
      c->ws = GALE_TEMPLATE_WS_SINGLE;
    else if (alen == 7 && !memcmp(args, "oneline", 7))
      c->ws = GALE_TEMPLATE_WS_ONELINE;
    else
      cfail(c, line, "{%% whitespace %%} takes all, single or oneline");
    return NULL;
  }
  cfail(c, line, "{%% %s %%} is not supported", op);
  return NULL;
}

/* Appends n (which may be NULL) to the list ending at *tail. */
static void link_node(tpl_node ***tail, tpl_node *n) {
  if (!n) return;
  **tail = n;
  *tail = &n->next;
}

static void trim(const char **s, size_t *len) {
  while (*len && is_space(**s)) (*s)++, (*len)--;
  while (*len && is_space((*s)[*len - 1])) (*len)--;
}

/* Text and tags until a terminator statement (copied to term, "" at the end
 * of the source) or an error. */
static tpl_node *parse_body(compiler *c, char *term, size_t termcap, const char **targs,
                            size_t *targlen, int *tline) {
  tpl_node *head = NULL, **tail = &head;
  term[0] = '\0';
  while (!c->failed && c->s < c->end) {
    const char *open = c->s;
    while ((open = memchr(open, '{', (size_t)(c->end - open))) && open + 1 < c->end &&
           open[1] != '{' && open[1] != '%' && open[1] != '#')
      open++;
    if (open && open + 1 >= c->end) open = NULL;
    const char *text_end = open ? open : c->end;
    if (text_end > c->s) {
      link_node(&tail, text_node(c, c->s, (size_t)(text_end - c->s), c->line));
      advance(c, text_end);
    }
    if (!open) break;
    int line = c->line;
    char kind = open[1];
    if (open + 2 < c->end && open[2] == '!') { /* {{! {%! {#!: the two characters, literally */
      link_node(&tail, text_node(c, open, 2, line));
      advance(c, open + 3);
      continue;
    }
    const char *closer = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
    const char *close = memmem(open + 2, (size_t)(c->end - open - 2), closer, 2);
    if (!close) {
      cfail(c, line, "missing %s", closer);
      break;
    }
    const char *body = open + 2;
    size_t blen = (size_t)(close - body);
    advance(c, close + 2);
    if (kind == '#') continue;
    trim(&body, &blen);
    if (!blen) {
      cfail(c, line, "empty %s", kind == '{' ? "expression" : "block tag");
      break;
    }
    if (kind == '{') {
      tpl_node *n = new_node(c, N_EXPR, line);
      if (n) {
        n->escape = c->autoescape;
        n->expr = expr_of(c, body, blen, line);
      }
      link_node(&tail, n);
      continue;
    }
    size_t oplen = 0;
    while (oplen < blen && !is_space(body[oplen])) oplen++;
    char op[24];
    snprintf(op, sizeof(op), "%.*s", (int)(oplen < sizeof(op) - 1 ? oplen : sizeof(op) - 1), body);
    const char *args = body + oplen;
    size_t alen = blen - oplen;
    trim(&args, &alen);
    link_node(&tail, statement(c, op, args, alen, line, term, termcap, targs, targlen, tline));
    if (term[0]) break;
  }
  return head;
}

void gale__tpl_nodes_free(tpl_node *n) {
  while (n) {
    tpl_node *next = n->next;
    free(n->text);
    free(n->var2);
    gale__tpl_expr_free(n->expr);
    gale__tpl_nodes_free(n->body);
    gale__tpl_nodes_free(n->orelse);
    free(n);
    n = next;
  }
}

void gale_template_options_init(gale_template_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof(*opts));
  opts->autoescape = true;
  opts->max_output = 64u << 20;
  opts->max_iterations = 10000000;
  opts->max_template_size = 1u << 20;
}

int gale_template_compile(const char *src, size_t len, const char *name,
                          const gale_template_options *opts, gale_template **out,
                          gale_template_error *err) {
  if (err) memset(err, 0, sizeof(*err));
  if (!out || (!src && len)) return GALE_EINVAL;
  *out = NULL;
  gale_template *t = calloc(1, sizeof(*t));
  if (!t) return GALE_ENOMEM;
  if (opts)
    t->opts = *opts;
  else
    gale_template_options_init(&t->opts);
  if (name && !(t->name = strdup(name))) {
    free(t);
    return GALE_ENOMEM;
  }
  compiler c = {.s = src,
                .end = src + len,
                .line = 1,
                .t = t,
                .autoescape = t->opts.autoescape,
                .ws = gale__tpl_ws_for(name, t->opts.whitespace),
                .err = err};
  char term[16];
  const char *targs;
  size_t targlen;
  int tline = 0;
  t->body = parse_body(&c, term, sizeof(term), &targs, &targlen, &tline);
  if (!c.failed && term[0]) cfail(&c, tline, "unexpected {%% %s %%}", term);
  if (c.failed) {
    gale_template_free(t);
    return GALE_ETEMPLATE;
  }
  *out = t;
  return GALE_OK;
}

void gale_template_free(gale_template *t) {
  if (!t) return;
  gale__tpl_nodes_free(t->body);
  free(t->extends);
  free(t->name);
  free(t);
}
