/* SPDX-License-Identifier: MIT */
/* http/template/tpl_internal.h — what the template engine's files share: the
 * compiled form (a tree of nodes whose expressions are small trees), the
 * render state, and the loader hook the renderer calls for include and
 * extends.
 *
 * Compile (tpl_parse.c, expressions in tpl_expr.c) turns the source into
 * nodes once; render (tpl_render.c) walks them with a scope of names, so a
 * cached template renders with no parsing.  Every string in the tree is a
 * copy owned by the template; values are jansson references owned by the
 * node that holds them.
 */
#ifndef GALE_HTTP_TEMPLATE_INTERNAL_H
#define GALE_HTTP_TEMPLATE_INTERNAL_H

#include <jansson.h>

#include "gale/template.h"

enum { TPL_MAX_DEPTH = 16, TPL_MAX_EXPR_DEPTH = 64, TPL_MAX_RANGE = 1000000 };

typedef enum tpl_op {
  OP_LIT,
  OP_NAME,
  OP_ATTR,
  OP_INDEX,
  OP_CALL,
  OP_LIST,
  OP_COND,
  OP_NOT,
  OP_NEG,
  OP_AND,
  OP_OR,
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_DIV,
  OP_FLOORDIV,
  OP_MOD,
  OP_EQ,
  OP_NE,
  OP_LT,
  OP_LE,
  OP_GT,
  OP_GE,
  OP_IN,
  OP_NOT_IN,
} tpl_op;

typedef struct tpl_expr {
  tpl_op op;
  json_t *lit;            /* OP_LIT */
  char *name;             /* OP_NAME, OP_ATTR (the attribute), OP_CALL (the function) */
  struct tpl_expr *a, *b; /* operands; OP_ATTR/OP_INDEX: a is the object;
                             OP_COND: a if cond else b */
  struct tpl_expr *cond;
  struct tpl_expr **args; /* OP_CALL, OP_LIST */
  size_t nargs;
} tpl_expr;

typedef enum tpl_kind {
  N_TEXT,
  N_EXPR,
  N_IF,
  N_FOR,
  N_SET,
  N_BLOCK,
  N_INCLUDE,
  N_BREAK,
  N_CONTINUE,
} tpl_kind;

typedef struct tpl_node {
  tpl_kind kind;
  int line;
  struct tpl_node *next;
  char *text; /* N_TEXT bytes; N_BLOCK / N_INCLUDE name; N_FOR / N_SET variable */
  size_t len;
  char *var2;              /* N_FOR second variable (for k, v in ...) */
  tpl_expr *expr;          /* N_EXPR value, N_IF condition, N_FOR iterable, N_SET value */
  bool escape;             /* N_EXPR: autoescape was on where it stood */
  struct tpl_node *body;   /* N_IF then, N_FOR body, N_BLOCK body */
  struct tpl_node *orelse; /* N_IF else (an elif is an N_IF here), N_FOR else */
} tpl_node;

struct gale_template {
  char *name;
  char *extends; /* {% extends %} target, or NULL */
  int extends_line;
  tpl_node *body;
  gale_template_options opts;
  gale_template_loader *loader; /* NULL when compiled from a string */
};

/* One render. */
typedef struct tpl_render {
  gale_buf *out;
  json_t *locals; /* {% set %} and {% for %} names */
  json_t *ctx;
  const gale_template_env *env;
  const gale_template *tpl; /* the template whose node runs (messages) */
  json_t *blocks;           /* block name -> index into block_nodes */
  const tpl_node **block_nodes;
  const gale_template **block_tpls;
  size_t nblocks;
  uint64_t iterations;
  uint64_t max_iterations;
  int depth;
  int line;
  gale_template_error *err;
} tpl_render;

/* tpl_expr.c */
tpl_expr *gale__tpl_expr_parse(const char *s, size_t len, char *msg, size_t msglen);
void gale__tpl_expr_free(tpl_expr *e);
/* A new reference, or NULL with the render's error set. */
json_t *gale__tpl_eval(tpl_render *r, const tpl_expr *e);
bool gale__tpl_truthy(const json_t *v);
/* Appends str(v) to b. */
int gale__tpl_str(gale_buf *b, const json_t *v);
/* Sets the render's error (line from r->line, name from r->tpl). */
void gale__tpl_fail(tpl_render *r, const char *fmt, ...) GALE_PRINTF(2, 3);

/* tpl_builtins.c: calls the built-in named `name`, or returns NULL with
 * *found false when there is none. */
json_t *gale__tpl_builtin(tpl_render *r, const char *name, json_t *args, bool *found);

/* tpl_parse.c */
void gale__tpl_nodes_free(tpl_node *n);
/* Whitespace mode for a template name. */
gale_template_whitespace gale__tpl_ws_for(const char *name, gale_template_whitespace ws);

/* tpl_loader.c: resolves `name` relative to the folder of `from` (a
 * template name, or NULL) and loads it. */
int gale__tpl_loader_load_from(gale_template_loader *l, const char *from, const char *name,
                               const gale_template **out, gale_template_error *err);

#endif
