/* SPDX-License-Identifier: MIT */
/* http/template/tpl_eval.c — evaluates a template expression over JSON
 * values with Python's rules (truth, comparisons, arithmetic, str()). */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gale/error.h"
#include "http/template/tpl_internal.h"

void gale__tpl_fail(tpl_render *r, const char *fmt, ...) {
  gale_template_error *err = r->err;
  if (!err || err->message[0]) return; /* the first error is the cause */
  snprintf(err->name, sizeof(err->name), "%s", r->tpl && r->tpl->name ? r->tpl->name : "<string>");
  err->line = r->line;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
}

bool gale__tpl_truthy(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_NULL:
  case JSON_FALSE: return false;
  case JSON_TRUE: return true;
  case JSON_INTEGER: return json_integer_value(v) != 0;
  case JSON_REAL: return json_real_value(v) != 0.0;
  case JSON_STRING: return json_string_length(v) != 0;
  case JSON_ARRAY: return json_array_size(v) != 0;
  case JSON_OBJECT: return json_object_size(v) != 0;
  }
  return false;
}

int gale__tpl_str(gale_buf *b, const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_NULL: return gale_buf_append_str(b, "None");
  case JSON_TRUE: return gale_buf_append_str(b, "True");
  case JSON_FALSE: return gale_buf_append_str(b, "False");
  case JSON_INTEGER: return gale_buf_printf(b, "%lld", (long long)json_integer_value(v));
  case JSON_REAL: {
    /* The shortest form that reads back the same, as Python's repr. */
    char tmp[40];
    double d = json_real_value(v);
    for (int prec = 15; prec <= 17; prec++) {
      snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
      if (strtod(tmp, NULL) == d) break;
    }
    int rc = gale_buf_append_str(b, tmp);
    if (rc == GALE_OK && !strpbrk(tmp, ".eEn")) rc = gale_buf_append_str(b, ".0");
    return rc;
  }
  case JSON_STRING: return gale_buf_append(b, json_string_value(v), json_string_length(v));
  case JSON_ARRAY:
  case JSON_OBJECT: {
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) return GALE_ENOMEM;
    int rc = gale_buf_append_str(b, s);
    free(s);
    return rc;
  }
  }
  return GALE_EINVAL;
}

static const char *type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_NULL: return "None";
  case JSON_TRUE:
  case JSON_FALSE: return "bool";
  case JSON_INTEGER: return "int";
  case JSON_REAL: return "float";
  case JSON_STRING: return "str";
  case JSON_ARRAY: return "list";
  case JSON_OBJECT: return "dict";
  }
  return "?";
}

static json_t *lookup(tpl_render *r, const char *name) {
  json_t *v;
  if ((v = json_object_get(r->locals, name))) return json_incref(v);
  if (r->ctx && (v = json_object_get(r->ctx, name))) return json_incref(v);
  if (r->env && r->env->globals && (v = json_object_get(r->env->globals, name)))
    return json_incref(v);
  gale__tpl_fail(r, "name '%s' is not defined", name);
  return NULL;
}

static json_t *index_of(tpl_render *r, json_t *obj, json_t *idx) {
  json_t *v = NULL;
  if (json_is_object(obj) && json_is_string(idx)) {
    v = json_object_get(obj, json_string_value(idx));
    if (!v) gale__tpl_fail(r, "key '%s' not found", json_string_value(idx));
  } else if ((json_is_array(obj) || json_is_string(obj)) && json_is_integer(idx)) {
    json_int_t i = json_integer_value(idx);
    json_int_t n =
        json_is_array(obj) ? (json_int_t)json_array_size(obj) : (json_int_t)json_string_length(obj);
    if (i < 0) i += n;
    if (i < 0 || i >= n)
      gale__tpl_fail(r, "index %lld out of range", (long long)json_integer_value(idx));
    else if (json_is_array(obj))
      v = json_array_get(obj, (size_t)i);
    else
      return json_stringn(json_string_value(obj) + i, 1); /* a byte, as the data is bytes */
  } else {
    gale__tpl_fail(r, "cannot index %s with %s", type_name(obj), type_name(idx));
  }
  return v ? json_incref(v) : NULL;
}

static bool is_num(const json_t *v) { return json_is_integer(v) || json_is_real(v); }
static double num(const json_t *v) { return json_number_value(v); }

/* Three-way comparison; false when the two cannot be ordered. */
static bool order(const json_t *a, const json_t *b, int *cmp) {
  if (is_num(a) && is_num(b)) {
    if (json_is_integer(a) && json_is_integer(b)) {
      json_int_t x = json_integer_value(a), y = json_integer_value(b);
      *cmp = x < y ? -1 : x > y;
    } else {
      *cmp = num(a) < num(b) ? -1 : num(a) > num(b);
    }
    return true;
  }
  if (json_is_string(a) && json_is_string(b)) {
    size_t la = json_string_length(a), lb = json_string_length(b);
    int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
    *cmp = c ? (c < 0 ? -1 : 1) : (la < lb ? -1 : la > lb);
    return true;
  }
  return false;
}

static bool equal(const json_t *a, const json_t *b) {
  int c;
  if (is_num(a) && is_num(b)) return order(a, b, &c) && c == 0;
  return json_equal((json_t *)a, (json_t *)b);
}

static json_t *contains(tpl_render *r, json_t *item, json_t *in) {
  if (json_is_string(in) && json_is_string(item)) {
    return json_boolean(memmem(json_string_value(in), json_string_length(in),
                               json_string_value(item), json_string_length(item)) != NULL);
  }
  if (json_is_array(in)) {
    size_t i;
    json_t *x;
    json_array_foreach(in, i, x) if (equal(x, item)) return json_true();
    return json_false();
  }
  if (json_is_object(in) && json_is_string(item))
    return json_boolean(json_object_get(in, json_string_value(item)) != NULL);
  gale__tpl_fail(r, "'in' needs a str, list or dict on its right, not %s", type_name(in));
  return NULL;
}

static json_t *concat(tpl_render *r, json_t *a, json_t *b) {
  if (json_is_string(a) && json_is_string(b)) {
    size_t la = json_string_length(a), lb = json_string_length(b);
    if (la + lb > r->tpl->opts.max_output) {
      gale__tpl_fail(r, "string too long");
      return NULL;
    }
    char *s = malloc(la + lb + 1);
    if (!s) {
      gale__tpl_fail(r, "out of memory");
      return NULL;
    }
    memcpy(s, json_string_value(a), la);
    memcpy(s + la, json_string_value(b), lb);
    json_t *v = json_stringn_nocheck(s, la + lb);
    free(s);
    return v;
  }
  if (json_is_array(a) && json_is_array(b)) {
    if (json_array_size(a) + json_array_size(b) > TPL_MAX_RANGE) {
      gale__tpl_fail(r, "list too long");
      return NULL;
    }
    json_t *v = json_copy(a);
    if (v) json_array_extend(v, b);
    return v;
  }
  gale__tpl_fail(r, "cannot add %s and %s", type_name(a), type_name(b));
  return NULL;
}

static json_t *arith(tpl_render *r, tpl_op op, json_t *a, json_t *b) {
  if (op == OP_ADD && !(is_num(a) && is_num(b))) return concat(r, a, b);
  if (!is_num(a) || !is_num(b)) {
    gale__tpl_fail(r, "unsupported operand types %s and %s", type_name(a), type_name(b));
    return NULL;
  }
  if (json_is_integer(a) && json_is_integer(b) && op != OP_DIV) {
    long long x = json_integer_value(a), y = json_integer_value(b), z = 0;
    bool overflow = false;
    switch (op) {
    case OP_ADD: overflow = __builtin_add_overflow(x, y, &z); break;
    case OP_SUB: overflow = __builtin_sub_overflow(x, y, &z); break;
    case OP_MUL: overflow = __builtin_mul_overflow(x, y, &z); break;
    case OP_FLOORDIV:
    case OP_MOD:
      if (y == 0) {
        gale__tpl_fail(r, "division by zero");
        return NULL;
      }
      if (x == LLONG_MIN && y == -1) {
        overflow = true;
        break;
      }
      z = op == OP_MOD ? x % y : x / y;
      /* Python floors: the remainder takes the divisor's sign. */
      if ((x % y != 0) && ((x < 0) != (y < 0))) z = op == OP_MOD ? z + y : z - 1;
      break;
    default: break;
    }
    if (overflow) {
      gale__tpl_fail(r, "integer overflow");
      return NULL;
    }
    return json_integer(z);
  }
  double x = num(a), y = num(b), z = 0;
  switch (op) {
  case OP_ADD: z = x + y; break;
  case OP_SUB: z = x - y; break;
  case OP_MUL: z = x * y; break;
  case OP_DIV:
  case OP_FLOORDIV:
  case OP_MOD:
    if (y == 0) {
      gale__tpl_fail(r, "division by zero");
      return NULL;
    }
    z = op == OP_DIV ? x / y : op == OP_FLOORDIV ? floor(x / y) : x - y * floor(x / y);
    break;
  default: break;
  }
  if (!isfinite(z)) {
    gale__tpl_fail(r, "number out of range");
    return NULL;
  }
  return json_real(z);
}

static json_t *call(tpl_render *r, const tpl_expr *e) {
  json_t *args = json_array();
  if (!args) {
    gale__tpl_fail(r, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < e->nargs; i++) {
    json_t *v = gale__tpl_eval(r, e->args[i]);
    if (!v) {
      json_decref(args);
      return NULL;
    }
    json_array_append_new(args, v);
  }
  json_t *res = NULL;
  const gale_template_env *env = r->env;
  for (size_t i = 0; env && i < env->nfunctions; i++) {
    if (env->functions[i].name && !strcmp(env->functions[i].name, e->name)) {
      char msg[200] = "";
      res = env->functions[i].fn(args, env->functions[i].arg, msg, sizeof(msg));
      if (!res) gale__tpl_fail(r, "%s(): %s", e->name, msg[0] ? msg : "failed");
      json_decref(args);
      return res;
    }
  }
  bool found = false;
  res = gale__tpl_builtin(r, e->name, args, &found);
  if (!found) gale__tpl_fail(r, "name '%s' is not a function", e->name);
  json_decref(args);
  return res;
}

static json_t *eval_binary(tpl_render *r, const tpl_expr *e) {
  json_t *a = gale__tpl_eval(r, e->a);
  if (!a) return NULL;
  if (e->op == OP_AND || e->op == OP_OR) { /* short-circuit, yielding an operand */
    if (gale__tpl_truthy(a) == (e->op == OP_OR)) return a;
    json_decref(a);
    return gale__tpl_eval(r, e->b);
  }
  json_t *b = gale__tpl_eval(r, e->b), *v = NULL;
  int c = 0;
  if (!b) {
    json_decref(a);
    return NULL;
  }
  switch (e->op) {
  case OP_INDEX: v = index_of(r, a, b); break;
  case OP_EQ: v = json_boolean(equal(a, b)); break;
  case OP_NE: v = json_boolean(!equal(a, b)); break;
  case OP_LT:
  case OP_LE:
  case OP_GT:
  case OP_GE:
    if (!order(a, b, &c)) {
      gale__tpl_fail(r, "cannot compare %s and %s", type_name(a), type_name(b));
      break;
    }
    v = json_boolean(e->op == OP_LT   ? c < 0
                     : e->op == OP_LE ? c <= 0
                     : e->op == OP_GT ? c > 0
                                      : c >= 0);
    break;
  case OP_IN: v = contains(r, a, b); break;
  case OP_NOT_IN:
    if ((v = contains(r, a, b))) {
      bool t = json_is_true(v);
      json_decref(v);
      v = json_boolean(!t);
    }
    break;
  default: v = arith(r, e->op, a, b); break;
  }
  json_decref(a);
  json_decref(b);
  return v;
}

json_t *gale__tpl_eval(tpl_render *r, const tpl_expr *e) {
  json_t *v, *a;
  switch (e->op) {
  case OP_LIT: return json_incref(e->lit);
  case OP_NAME: return lookup(r, e->name);
  case OP_CALL: return call(r, e);
  case OP_COND:
    if (!(a = gale__tpl_eval(r, e->cond))) return NULL;
    v = gale__tpl_eval(r, gale__tpl_truthy(a) ? e->a : e->b);
    json_decref(a);
    return v;
  case OP_ATTR:
    if (!(a = gale__tpl_eval(r, e->a))) return NULL;
    v = json_is_object(a) ? json_object_get(a, e->name) : NULL;
    if (!v)
      gale__tpl_fail(r, "%s has no attribute '%s'", type_name(a), e->name);
    else
      json_incref(v);
    json_decref(a);
    return v;
  case OP_LIST:
    if (!(v = json_array())) return NULL;
    for (size_t i = 0; i < e->nargs; i++) {
      if (!(a = gale__tpl_eval(r, e->args[i]))) {
        json_decref(v);
        return NULL;
      }
      json_array_append_new(v, a);
    }
    return v;
  case OP_NOT:
    if (!(a = gale__tpl_eval(r, e->a))) return NULL;
    v = json_boolean(!gale__tpl_truthy(a));
    json_decref(a);
    return v;
  case OP_NEG:
    if (!(a = gale__tpl_eval(r, e->a))) return NULL;
    if (json_is_integer(a) && json_integer_value(a) != LLONG_MIN)
      v = json_integer(-json_integer_value(a));
    else if (json_is_real(a))
      v = json_real(-json_real_value(a));
    else {
      gale__tpl_fail(r, "bad operand type for unary -: %s", type_name(a));
      v = NULL;
    }
    json_decref(a);
    return v;
  default: return eval_binary(r, e);
  }
}
