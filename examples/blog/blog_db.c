/* SPDX-License-Identifier: MIT */
/* examples/blog/blog_db.c — SQLite and password hashing for the blog, on the
 * loop's executor.  One connection in SQLite's serialized mode, shared by
 * the worker threads; every statement is prepared with bound parameters,
 * so no user input reaches SQL text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "blog.h"

static sqlite3 *db;
static char secret[65];

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS authors ("
    "  id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
    "  hashed_password TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS entries ("
    "  id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id),"
    "  slug TEXT NOT NULL UNIQUE, title TEXT NOT NULL, markdown TEXT NOT NULL,"
    "  html TEXT NOT NULL, published TEXT NOT NULL, updated TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS entries_published ON entries(published);"
    "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);";

int db_open(const char *path) {
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      NULL) != SQLITE_OK ||
      sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "blog: %s: %s\n", path, db ? sqlite3_errmsg(db) : "cannot open");
    return -1;
  }
  sqlite3_busy_timeout(db, 5000);
  return 0;
}

void db_close(void) {
  sqlite3_close(db);
  db = NULL;
}

/* ---- statements on a worker thread ----------------------------------------------------- */

typedef struct job {
  const char *sql;
  json_t *params;
  json_t *rows;    /* db_rows: the result */
  long long rowid; /* db_exec: the result, -1 on error */
  bool want_rows;
} job;

static int bind_all(sqlite3_stmt *st, json_t *params) {
  size_t i;
  json_t *v;
  json_array_foreach(params, i, v) {
    int rc, at = (int)i + 1;
    if (json_is_string(v))
      rc = sqlite3_bind_text(st, at, json_string_value(v), (int)json_string_length(v),
                             SQLITE_TRANSIENT);
    else if (json_is_integer(v))
      rc = sqlite3_bind_int64(st, at, json_integer_value(v));
    else
      rc = sqlite3_bind_null(st, at);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

static json_t *column(sqlite3_stmt *st, int c) {
  switch (sqlite3_column_type(st, c)) {
  case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, c));
  case SQLITE_NULL: return json_null();
  default:
    return json_stringn((const char *)sqlite3_column_text(st, c),
                        (size_t)sqlite3_column_bytes(st, c));
  }
}

static void *run_job(void *arg) {
  job *j = arg;
  sqlite3_stmt *st = NULL;
  j->rowid = -1;
  if (sqlite3_prepare_v2(db, j->sql, -1, &st, NULL) != SQLITE_OK ||
      bind_all(st, j->params) != SQLITE_OK) {
    fprintf(stderr, "blog: %s: %s\n", j->sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return NULL;
  }
  json_t *rows = j->want_rows ? json_array() : NULL;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && rows) {
    json_t *row = json_object();
    for (int c = 0; row && c < sqlite3_column_count(st); c++)
      json_object_set_new(row, sqlite3_column_name(st, c), column(st, c));
    json_array_append_new(rows, row);
  }
  if (rc != SQLITE_DONE && !(rc == SQLITE_ROW && !rows)) {
    fprintf(stderr, "blog: %s: %s\n", j->sql, sqlite3_errmsg(db));
    json_decref(rows);
    rows = NULL;
  } else {
    j->rowid = sqlite3_last_insert_rowid(db);
  }
  sqlite3_finalize(st);
  j->rows = rows;
  return NULL;
}

/* Runs the job on the executor and waits for it in this coroutine. */
static int await_job(gale_loop *loop, gale_executor_fn fn, void *arg) {
  gale_future *f = gale_loop_run_in_executor_future(loop, fn, arg, NULL);
  if (!f) return GALE_ENOMEM;
  int rc = gale_await(f);
  gale_future_unref(f);
  return rc;
}

json_t *db_rows(gale_loop *loop, const char *sql, json_t *params) {
  job j = {.sql = sql, .params = params ? params : json_array(), .want_rows = true};
  if (await_job(loop, run_job, &j) != GALE_OK) {
    json_decref(j.rows);
    j.rows = NULL;
  }
  json_decref(j.params);
  return j.rows;
}

long long db_exec(gale_loop *loop, const char *sql, json_t *params) {
  job j = {.sql = sql, .params = params ? params : json_array(), .rowid = -1};
  if (await_job(loop, run_job, &j) != GALE_OK) j.rowid = -1;
  json_decref(j.params);
  return j.rowid;
}

/* ---- passwords -------------------------------------------------------------------------- */

enum { ROUNDS = 200000, SALT_LEN = 16, HASH_LEN = 32 };

typedef struct pw_job {
  const char *password;
  unsigned char salt[SALT_LEN];
  unsigned char hash[HASH_LEN];
  int rounds;
  bool ok;
} pw_job;

static void *run_pbkdf2(void *arg) {
  pw_job *p = arg;
  p->ok = PKCS5_PBKDF2_HMAC(p->password, (int)strlen(p->password), p->salt, SALT_LEN, p->rounds,
                            EVP_sha256(), HASH_LEN, p->hash) == 1;
  return NULL;
}

static void hex(const unsigned char *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static bool unhex(const char *s, size_t n, unsigned char *out) {
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) return false;
    out[i] = (unsigned char)v;
  }
  return true;
}

char *hash_password(gale_loop *loop, const char *password) {
  pw_job p = {.password = password, .rounds = ROUNDS};
  if (RAND_bytes(p.salt, SALT_LEN) != 1 || await_job(loop, run_pbkdf2, &p) != GALE_OK || !p.ok)
    return NULL;
  char *out = malloc(64 + 2 * (SALT_LEN + HASH_LEN));
  if (!out) return NULL;
  int n = sprintf(out, "pbkdf2_sha256$%d$", ROUNDS);
  hex(p.salt, SALT_LEN, out + n);
  out[n + 2 * SALT_LEN] = '$';
  hex(p.hash, HASH_LEN, out + n + 2 * SALT_LEN + 1);
  return out;
}

bool check_password(gale_loop *loop, const char *password, const char *stored) {
  pw_job p = {.password = password};
  unsigned char want[HASH_LEN];
  const char *salt = stored ? strchr(stored, '$') : NULL;
  if (!salt || strncmp(stored, "pbkdf2_sha256$", 14) || sscanf(salt + 1, "%d", &p.rounds) != 1 ||
      p.rounds < 1000 || p.rounds > 10000000 || !(salt = strchr(salt + 1, '$')) ||
      strlen(salt + 1) != 2 * SALT_LEN + 1 + 2 * HASH_LEN || !unhex(salt + 1, SALT_LEN, p.salt) ||
      !unhex(salt + 2 + 2 * SALT_LEN, HASH_LEN, want))
    return false;
  if (await_job(loop, run_pbkdf2, &p) != GALE_OK || !p.ok) return false;
  return CRYPTO_memcmp(p.hash, want, HASH_LEN) == 0;
}

const char *db_cookie_secret(void) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT value FROM settings WHERE name = 'cookie_secret'", -1, &st,
                         NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 64)
    memcpy(secret, sqlite3_column_text(st, 0), 64);
  sqlite3_finalize(st);
  if (secret[0]) return secret;
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof(raw)) != 1) return NULL;
  hex(raw, sizeof(raw), secret);
  if (sqlite3_prepare_v2(db, "INSERT INTO settings (name, value) VALUES ('cookie_secret', ?)", -1,
                         &st, NULL) != SQLITE_OK ||
      sqlite3_bind_text(st, 1, secret, 64, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_DONE) {
    sqlite3_finalize(st);
    return NULL;
  }
  sqlite3_finalize(st);
  return secret;
}
