/* SPDX-License-Identifier: MIT */
/* http/template/tpl_expr.c — template expressions: Python's expression
 * syntax over JSON values, parsed once into a tree (recursive descent, depth
 * bounded) and evaluated per render. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gale/error.h"
#include "http/template/tpl_internal.h"

/* ---- parsing ----------------------------------------------------------------------------- */

typedef struct parser {
  const char *s, *end;
  int depth;
  char *msg;
  size_t msglen;
  bool failed;
} parser;

static void perr(parser *p, const char *fmt, ...) GALE_PRINTF(2, 3);
static void perr(parser *p, const char *fmt, ...) {
  if (p->failed) return;
  p->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->msg, p->msglen, fmt, ap);
  va_end(ap);
}

static void skip_ws(parser *p) {
  while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) p->s++;
}

static bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

/* Consumes `tok` (a word must end there) if it comes next. */
static bool accept(parser *p, const char *tok) {
  skip_ws(p);
  size_t n = strlen(tok);
  if ((size_t)(p->end - p->s) < n || memcmp(p->s, tok, n)) return false;
  if (is_name_start(tok[0]) && p->s + n < p->end && is_name_char(p->s[n])) return false;
  p->s += n;
  return true;
}

static tpl_expr *node(parser *p, tpl_op op) {
  tpl_expr *e = calloc(1, sizeof(*e));
  if (!e)
    perr(p, "out of memory");
  else
    e->op = op;
  return e;
}

static tpl_expr *binary(parser *p, tpl_op op, tpl_expr *a, tpl_expr *b) {
  tpl_expr *e = (a && b) ? node(p, op) : NULL;
  if (!e) {
    gale__tpl_expr_free(a);
    gale__tpl_expr_free(b);
    return NULL;
  }
  e->a = a;
  e->b = b;
  return e;
}

static tpl_expr *parse_or(parser *p);

static int push_arg(parser *p, tpl_expr *e, tpl_expr *arg) {
  if (!arg) return -1;
  tpl_expr **n = realloc(e->args, (e->nargs + 1) * sizeof(*n));
  if (!n) {
    gale__tpl_expr_free(arg);
    perr(p, "out of memory");
    return -1;
  }
  e->args = n;
  e->args[e->nargs++] = arg;
  return 0;
}

/* Comma-separated expressions up to `close`, into e->args. */
static tpl_expr *parse_list(parser *p, tpl_expr *e, const char *close) {
  if (!e || accept(p, close)) return e;
  for (;;) {
    if (push_arg(p, e, parse_or(p)) < 0) break;
    if (accept(p, ",")) {
      if (accept(p, close)) return e; /* a trailing comma */
      continue;
    }
    if (accept(p, close)) return e;
    perr(p, "expected ',' or '%s'", close);
    break;
  }
  gale__tpl_expr_free(e);
  return NULL;
}

static tpl_expr *parse_string(parser *p) {
  char q = *p->s++;
  json_t *v = NULL;
  char *buf = malloc((size_t)(p->end - p->s) + 1);
  size_t n = 0;
  if (!buf) {
    perr(p, "out of memory");
    return NULL;
  }
  while (p->s < p->end && *p->s != q) {
    char c = *p->s++;
    if (c == '\\' && p->s < p->end) {
      c = *p->s++;
      switch (c) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case '0': c = '\0'; break;
      default: break; /* \\ \' \" and anything else: the character itself */
      }
    }
    buf[n++] = c;
  }
  if (p->s >= p->end) {
    free(buf);
    perr(p, "unterminated string");
    return NULL;
  }
  p->s++;
  if (!(v = json_stringn(buf, n))) {
    free(buf);
    perr(p, "string is not valid UTF-8");
    return NULL;
  }
  free(buf);
  tpl_expr *e = node(p, OP_LIT);
  if (!e) {
    json_decref(v);
    return NULL;
  }
  e->lit = v;
  return e;
}

static tpl_expr *parse_number(parser *p) {
  const char *start = p->s;
  bool real = false;
  while (p->s < p->end &&
         ((*p->s >= '0' && *p->s <= '9') || *p->s == '.' || *p->s == 'e' || *p->s == 'E' ||
          ((*p->s == '+' || *p->s == '-') && (p->s[-1] == 'e' || p->s[-1] == 'E')))) {
    if (*p->s == '.' || *p->s == 'e' || *p->s == 'E') real = true;
    p->s++;
  }
  char tmp[64];
  size_t n = (size_t)(p->s - start);
  if (n >= sizeof(tmp)) {
    perr(p, "number too long");
    return NULL;
  }
  memcpy(tmp, start, n);
  tmp[n] = '\0';
  char *endp;
  json_t *v;
  if (real) {
    double d = strtod(tmp, &endp);
    v = (*endp || !isfinite(d)) ? NULL : json_real(d);
  } else {
    errno = 0;
    long long ll = strtoll(tmp, &endp, 10);
    v = (*endp || errno) ? NULL : json_integer(ll);
  }
  if (!v) {
    perr(p, "bad number '%s'", tmp);
    return NULL;
  }
  tpl_expr *e = node(p, OP_LIT);
  if (!e) {
    json_decref(v);
    return NULL;
  }
  e->lit = v;
  return e;
}

static tpl_expr *literal(parser *p, json_t *v) {
  tpl_expr *e = node(p, OP_LIT);
  if (e) e->lit = v;
  return e;
}

static tpl_expr *parse_primary(parser *p) {
  skip_ws(p);
  if (p->s >= p->end) {
    perr(p, "expression ends early");
    return NULL;
  }
  char c = *p->s;
  if (c == '\'' || c == '"') return parse_string(p);
  if (c >= '0' && c <= '9') return parse_number(p);
  if (accept(p, "(")) {
    tpl_expr *e = parse_or(p);
    if (e && !accept(p, ")")) {
      perr(p, "expected ')'");
      gale__tpl_expr_free(e);
      return NULL;
    }
    return e;
  }
  if (accept(p, "[")) return parse_list(p, node(p, OP_LIST), "]");
  if (accept(p, "True")) return literal(p, json_true());
  if (accept(p, "False")) return literal(p, json_false());
  if (accept(p, "None")) return literal(p, json_null());
  if (!is_name_start(c)) {
    perr(p, "unexpected '%c'", c);
    return NULL;
  }
  const char *start = p->s;
  while (p->s < p->end && is_name_char(*p->s)) p->s++;
  tpl_expr *e = node(p, OP_NAME);
  if (e && !(e->name = strndup(start, (size_t)(p->s - start)))) {
    perr(p, "out of memory");
    gale__tpl_expr_free(e);
    return NULL;
  }
  if (e && accept(p, "(")) { /* a call: only of a name */
    e->op = OP_CALL;
    return parse_list(p, e, ")");
  }
  return e;
}

static tpl_expr *parse_postfix(parser *p) {
  tpl_expr *e = parse_primary(p);
  while (e) {
    if (accept(p, ".")) {
      skip_ws(p);
      const char *start = p->s;
      while (p->s < p->end && is_name_char(*p->s)) p->s++;
      if (p->s == start) {
        perr(p, "expected a name after '.'");
        gale__tpl_expr_free(e);
        return NULL;
      }
      tpl_expr *a = node(p, OP_ATTR);
      if (!a || !(a->name = strndup(start, (size_t)(p->s - start)))) {
        gale__tpl_expr_free(a);
        gale__tpl_expr_free(e);
        perr(p, "out of memory");
        return NULL;
      }
      a->a = e;
      e = a;
    } else if (accept(p, "[")) {
      e = binary(p, OP_INDEX, e, parse_or(p));
      if (e && !accept(p, "]")) {
        perr(p, "expected ']'");
        gale__tpl_expr_free(e);
        return NULL;
      }
    } else {
      break;
    }
  }
  return e;
}

static tpl_expr *parse_unary(parser *p) {
  if (++p->depth > TPL_MAX_EXPR_DEPTH) {
    perr(p, "expression nested too deep");
    return NULL;
  }
  tpl_expr *e;
  if (accept(p, "-")) {
    tpl_expr *a = parse_unary(p);
    e = a ? node(p, OP_NEG) : NULL;
    if (e)
      e->a = a;
    else
      gale__tpl_expr_free(a);
  } else {
    e = parse_postfix(p);
  }
  p->depth--;
  return e;
}

static tpl_expr *parse_mul(parser *p) {
  tpl_expr *e = parse_unary(p);
  while (e) {
    if (accept(p, "//"))
      e = binary(p, OP_FLOORDIV, e, parse_unary(p));
    else if (accept(p, "*"))
      e = binary(p, OP_MUL, e, parse_unary(p));
    else if (accept(p, "/"))
      e = binary(p, OP_DIV, e, parse_unary(p));
    else if (accept(p, "%"))
      e = binary(p, OP_MOD, e, parse_unary(p));
    else
      break;
  }
  return e;
}

static tpl_expr *parse_add(parser *p) {
  tpl_expr *e = parse_mul(p);
  while (e) {
    if (accept(p, "+"))
      e = binary(p, OP_ADD, e, parse_mul(p));
    else if (accept(p, "-"))
      e = binary(p, OP_SUB, e, parse_mul(p));
    else
      break;
  }
  return e;
}

static tpl_expr *parse_cmp(parser *p) {
  tpl_expr *e = parse_add(p);
  if (!e) return NULL;
  static const struct {
    const char *tok;
    tpl_op op;
  } ops[] = {
      {"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE},
      {"<", OP_LT},  {">", OP_GT},  {"in", OP_IN},
  };
  const char *save = p->s;
  if (accept(p, "not")) {
    if (accept(p, "in")) return binary(p, OP_NOT_IN, e, parse_add(p));
    p->s = save;
  }
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
    if (accept(p, ops[i].tok)) return binary(p, ops[i].op, e, parse_add(p));
  return e;
}

static tpl_expr *parse_not(parser *p) {
  if (++p->depth > TPL_MAX_EXPR_DEPTH) {
    perr(p, "expression nested too deep");
    return NULL;
  }
  tpl_expr *e;
  const char *save = p->s;
  if (accept(p, "not") && !accept(p, "in")) {
    tpl_expr *a = parse_not(p);
    e = a ? node(p, OP_NOT) : NULL;
    if (e)
      e->a = a;
    else
      gale__tpl_expr_free(a);
  } else {
    p->s = save;
    e = parse_cmp(p);
  }
  p->depth--;
  return e;
}

static tpl_expr *parse_and(parser *p) {
  tpl_expr *e = parse_not(p);
  while (e && accept(p, "and")) e = binary(p, OP_AND, e, parse_not(p));
  return e;
}

static tpl_expr *parse_disjunction(parser *p) {
  tpl_expr *e = parse_and(p);
  while (e && accept(p, "or")) e = binary(p, OP_OR, e, parse_and(p));
  return e;
}

/* Python's conditional expression: a if cond else b (b may be another). */
static tpl_expr *parse_or(parser *p) {
  if (++p->depth > TPL_MAX_EXPR_DEPTH) {
    perr(p, "expression nested too deep");
    return NULL;
  }
  tpl_expr *e = parse_disjunction(p);
  if (e && accept(p, "if")) {
    tpl_expr *cond = parse_disjunction(p);
    if (cond && !accept(p, "else")) {
      perr(p, "expected 'else'");
      gale__tpl_expr_free(cond);
      cond = NULL;
    }
    tpl_expr *other = cond ? parse_or(p) : NULL;
    e = binary(p, OP_COND, e, other);
    if (e)
      e->cond = cond;
    else
      gale__tpl_expr_free(cond);
  }
  p->depth--;
  return e;
}

tpl_expr *gale__tpl_expr_parse(const char *s, size_t len, char *msg, size_t msglen) {
  parser p = {.s = s, .end = s + len, .msg = msg, .msglen = msglen};
  tpl_expr *e = parse_or(&p);
  skip_ws(&p);
  if (e && p.s < p.end) {
    perr(&p, "unexpected '%.*s'", (int)((p.end - p.s) > 20 ? 20 : (p.end - p.s)), p.s);
    gale__tpl_expr_free(e);
    return NULL;
  }
  if (!e && !p.failed) perr(&p, "bad expression");
  return e;
}

void gale__tpl_expr_free(tpl_expr *e) {
  if (!e) return;
  json_decref(e->lit);
  free(e->name);
  gale__tpl_expr_free(e->a);
  gale__tpl_expr_free(e->b);
  gale__tpl_expr_free(e->cond);
  for (size_t i = 0; i < e->nargs; i++) gale__tpl_expr_free(e->args[i]);
  free(e->args);
  free(e);
}
