/* SPDX-License-Identifier: MIT */
/* examples/blog/blog.h — what the blog's two files share: the database
 * calls, each run on the loop's executor and awaited by a coroutine
 * handler, so the loop never blocks on SQLite or on password hashing. */
#ifndef BLOG_H
#define BLOG_H

#include <gale.h>
#include <jansson.h>

/* Opens (creating the tables of) the database file.  0 or -1. */
int db_open(const char *path);
void db_close(void);

/* Runs `sql` with `params` (a JSON array of strings, integers or null;
 * stolen) on a worker thread and waits for it from the calling coroutine.
 * db_rows returns a new array of row objects (column name -> value), or
 * NULL on error; db_exec returns the last inserted row id (or 0), or -1. */
json_t *db_rows(gale_loop *loop, const char *sql, json_t *params);
long long db_exec(gale_loop *loop, const char *sql, json_t *params);

/* Password hashing (PBKDF2-HMAC-SHA256, 200,000 rounds, random salt) on a
 * worker thread: hash_password returns "pbkdf2_sha256$rounds$salt$hash"
 * (malloc'd) or NULL; check_password compares in constant time. */
char *hash_password(gale_loop *loop, const char *password);
bool check_password(gale_loop *loop, const char *password, const char *stored);

/* The cookie secret, made once and kept in the database, so logins
 * survive a restart.  Blocking: call before the loop runs.  Static. */
const char *db_cookie_secret(void);

#endif
