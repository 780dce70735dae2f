/* SPDX-License-Identifier: MIT */
/* http/template/tpl_render.c — renders a compiled template: resolves the
 * {% extends %} chain and its blocks, walks the nodes with the render's
 * names, and enforces the per-render limits (output, iterations, depth). */
#include <string.h>

#include "gale/error.h"
#include "gale/escape.h"
#include "http/template/tpl_internal.h"

typedef enum { R_OK, R_BREAK, R_CONTINUE, R_ERROR } rstatus;

typedef struct block_ref {
  const tpl_node *node;
  const gale_template *tpl;
} block_ref;

typedef struct render_state {
  tpl_render r;
  size_t start;         /* out->len before the render */
  block_ref blocks[64]; /* the most-derived definition of each block */
  size_t nblocks;
} render_state;

static rstatus render_nodes(render_state *st, const tpl_node *n);

static rstatus out_fail(render_state *st, int rc) {
  if (rc == GALE_ENOMEM)
    gale__tpl_fail(&st->r, "out of memory");
  else
    gale__tpl_fail(&st->r, "output past its limit");
  return R_ERROR;
}

static rstatus check_size(render_state *st) {
  if (st->r.out->len - st->start > st->r.tpl->opts.max_output) {
    gale__tpl_fail(&st->r, "output past max_output (%zu bytes)", st->r.tpl->opts.max_output);
    return R_ERROR;
  }
  return R_OK;
}

static rstatus emit_value(render_state *st, const json_t *v, bool escape) {
  int rc;
  if (!escape) {
    rc = gale__tpl_str(st->r.out, v);
  } else if (json_is_string(v)) {
    rc = gale_xhtml_escape(st->r.out, json_string_value(v), json_string_length(v));
  } else {
    gale_buf tmp;
    gale_buf_init(&tmp, 0);
    rc = gale__tpl_str(&tmp, v);
    if (rc == GALE_OK) rc = gale_xhtml_escape(st->r.out, tmp.data ? tmp.data : "", tmp.len);
    gale_buf_release(&tmp);
  }
  return rc != GALE_OK ? out_fail(st, rc) : check_size(st);
}

static const block_ref *find_block(render_state *st, const char *name) {
  for (size_t i = 0; i < st->nblocks; i++)
    if (!strcmp(st->blocks[i].node->text, name)) return &st->blocks[i];
  return NULL;
}

/* Records the blocks of a template (nested ones too) not yet defined by a
 * more derived template. */
static int collect_blocks(render_state *st, const gale_template *t, const tpl_node *n) {
  for (; n; n = n->next) {
    if (n->kind == N_BLOCK && !find_block(st, n->text)) {
      if (st->nblocks == sizeof(st->blocks) / sizeof(st->blocks[0])) return -1;
      st->blocks[st->nblocks++] = (block_ref){n, t};
    }
    if (collect_blocks(st, t, n->body) < 0 || collect_blocks(st, t, n->orelse) < 0) return -1;
  }
  return 0;
}

/* Runs `n` as if it stood in template `t` (for messages and includes). */
static rstatus in_template(render_state *st, const gale_template *t, const tpl_node *n) {
  const gale_template *saved = st->r.tpl;
  if (++st->r.depth > TPL_MAX_DEPTH) {
    gale__tpl_fail(&st->r, "templates nested too deep (a template including itself?)");
    st->r.depth--;
    return R_ERROR;
  }
  st->r.tpl = t;
  rstatus s = render_nodes(st, n);
  st->r.tpl = saved;
  st->r.depth--;
  return s;
}

static rstatus render_include(render_state *st, const tpl_node *n) {
  const gale_template *inc;
  gale_template_error e;
  if (!st->r.tpl->loader) {
    gale__tpl_fail(&st->r, "{%% include %%} needs a template loader");
    return R_ERROR;
  }
  if (st->r.depth >= TPL_MAX_DEPTH) {
    gale__tpl_fail(&st->r, "templates nested too deep (a template including itself?)");
    return R_ERROR;
  }
  if (gale__tpl_loader_load_from(st->r.tpl->loader, st->r.tpl->name, n->text, &inc, &e) !=
      GALE_OK) {
    gale__tpl_fail(&st->r, "{%% include \"%s\" %%}: %s:%d: %s", n->text, e.name, e.line, e.message);
    return R_ERROR;
  }
  if (inc->extends) {
    gale__tpl_fail(&st->r, "{%% include %%} of a template that extends another");
    return R_ERROR;
  }
  return in_template(st, inc, inc->body);
}

static rstatus render_for(render_state *st, const tpl_node *n) {
  json_t *seq = gale__tpl_eval(&st->r, n->expr);
  if (!seq) return R_ERROR;
  rstatus s = R_OK;
  bool broke = false;
  if (!json_is_array(seq) && !json_is_object(seq)) {
    gale__tpl_fail(&st->r, "cannot loop over this value (a list or a dict is needed)");
    json_decref(seq);
    return R_ERROR;
  }
  void *it = json_is_object(seq) ? json_object_iter(seq) : NULL;
  for (size_t i = 0;; i++) {
    json_t *item;
    json_t *key = NULL;
    if (json_is_array(seq)) {
      if (i >= json_array_size(seq)) break;
      item = json_array_get(seq, i);
    } else {
      if (!it) break;
      item = key = json_string(json_object_iter_key(it));
      it = json_object_iter_next(seq, it);
    }
    if (++st->r.iterations > st->r.tpl->opts.max_iterations) {
      gale__tpl_fail(&st->r, "more than max_iterations (%llu) loop iterations",
                     (unsigned long long)st->r.tpl->opts.max_iterations);
      json_decref(key);
      s = R_ERROR;
      break;
    }
    int rc;
    if (n->var2) {
      if (!json_is_array(item) || json_array_size(item) != 2) {
        gale__tpl_fail(&st->r, "'for %s, %s in ...' needs pairs (items() of a dict gives them)",
                       n->text, n->var2);
        json_decref(key);
        s = R_ERROR;
        break;
      }
      rc = json_object_set(st->r.locals, n->text, json_array_get(item, 0)) |
           json_object_set(st->r.locals, n->var2, json_array_get(item, 1));
    } else {
      rc = json_object_set(st->r.locals, n->text, item);
    }
    json_decref(key);
    if (rc) {
      s = out_fail(st, GALE_ENOMEM);
      break;
    }
    s = render_nodes(st, n->body);
    if (s == R_ERROR) break;
    if (s == R_BREAK) {
      broke = true;
      s = R_OK;
      break;
    }
    s = R_OK;
  }
  json_decref(seq);
  if (s == R_OK && !broke && n->orelse) s = render_nodes(st, n->orelse);
  return s;
}

static rstatus render_nodes(render_state *st, const tpl_node *n) {
  for (; n; n = n->next) {
    st->r.line = n->line;
    rstatus s = R_OK;
    json_t *v;
    int rc;
    switch (n->kind) {
    case N_TEXT:
      if ((rc = gale_buf_append(st->r.out, n->text, n->len)) != GALE_OK) return out_fail(st, rc);
      s = check_size(st);
      break;
    case N_EXPR:
      if (!(v = gale__tpl_eval(&st->r, n->expr))) return R_ERROR;
      s = emit_value(st, v, n->escape);
      json_decref(v);
      break;
    case N_IF:
      if (!(v = gale__tpl_eval(&st->r, n->expr))) return R_ERROR;
      s = render_nodes(st, gale__tpl_truthy(v) ? n->body : n->orelse);
      json_decref(v);
      break;
    case N_FOR: s = render_for(st, n); break;
    case N_SET:
      if (!(v = gale__tpl_eval(&st->r, n->expr))) return R_ERROR;
      if (json_object_set_new(st->r.locals, n->text, v)) return out_fail(st, GALE_ENOMEM);
      break;
    case N_BLOCK: {
      const block_ref *b = find_block(st, n->text);
      s = b ? in_template(st, b->tpl, b->node->body) : render_nodes(st, n->body);
      break;
    }
    case N_INCLUDE: s = render_include(st, n); break;
    case N_BREAK: return R_BREAK;
    case N_CONTINUE: return R_CONTINUE;
    }
    if (s != R_OK) return s;
  }
  return R_OK;
}

int gale_template_render(const gale_template *t, json_t *ctx, const gale_template_env *env,
                         gale_buf *out, gale_template_error *err) {
  if (err) memset(err, 0, sizeof(*err));
  if (!t || !out || (ctx && !json_is_object(ctx))) return GALE_EINVAL;
  render_state *st = calloc(1, sizeof(*st));
  if (!st) return GALE_ENOMEM;
  st->r = (tpl_render){
      .out = out, .locals = json_object(), .ctx = ctx, .env = env, .tpl = t, .err = err};
  st->start = out->len;
  if (!st->r.locals) {
    free(st);
    return GALE_ENOMEM;
  }
  /* The extends chain, most derived first; the root renders. */
  const gale_template *chain = t;
  int rc = GALE_OK;
  for (int depth = 0;; depth++) {
    if (collect_blocks(st, chain, chain->body) < 0) {
      gale__tpl_fail(&st->r, "too many blocks");
      rc = GALE_ETEMPLATE;
      break;
    }
    if (!chain->extends) break;
    st->r.line = chain->extends_line;
    st->r.tpl = chain;
    const gale_template *parent;
    gale_template_error e;
    if (!chain->loader) {
      gale__tpl_fail(&st->r, "{%% extends %%} needs a template loader");
      rc = GALE_ETEMPLATE;
      break;
    }
    if (depth >= TPL_MAX_DEPTH) {
      gale__tpl_fail(&st->r, "{%% extends %%} chain too deep (a template extending itself?)");
      rc = GALE_ETEMPLATE;
      break;
    }
    if (gale__tpl_loader_load_from(chain->loader, chain->name, chain->extends, &parent, &e) !=
        GALE_OK) {
      gale__tpl_fail(&st->r, "{%% extends \"%s\" %%}: %s:%d: %s", chain->extends, e.name, e.line,
                     e.message);
      rc = GALE_ETEMPLATE;
      break;
    }
    chain = parent;
  }
  if (rc == GALE_OK) {
    st->r.tpl = chain;
    if (render_nodes(st, chain->body) == R_ERROR) rc = GALE_ETEMPLATE;
  }
  if (rc == GALE_ETEMPLATE && err && !err->message[0])
    snprintf(err->message, sizeof(err->message), "render failed");
  json_decref(st->r.locals);
  free(st);
  return rc;
}
