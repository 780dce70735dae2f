/* SPDX-License-Identifier: MIT */
/* http/util/chars.c — the character-class tables of http/util/chars.h, built by hand
 * once at compile time (no initialisation order to worry about). */
#include "http/util/chars.h"

#define T GALE__C_TOKEN
#define V GALE__C_VALUE
#define U GALE__C_UNRES
#define S GALE__C_SUBD
#define H GALE__C_HEX
#define K GALE__C_COOKIE
#define B GALE__C_URLBAD

/* Bytes 0x80-0xFF: obs-text, valid in field values only. */
#define HI V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V

const uint8_t gale__char_class[256] = {
    /* 0x00-0x08 */ B, B, B, B, B, B, B, B, B,
    /* HTAB */ V | B,
    /* 0x0a-0x1f */ B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    B, B, B,
    /* SP */ V | B,
    /* ! */ T | V | S | K,
    /* " */ V,
    /* # */ T | V | K,
    /* $ */ T | V | S | K,
    /* % */ T | V | K,
    /* & */ T | V | S | K,
    /* ' */ T | V | S | K,
    /* ( */ V | S | K,
    /* ) */ V | S | K,
    /* * */ T | V | S | K,
    /* + */ T | V | S | K,
    /* , */ V | S,
    /* - */ T | V | U | K,
    /* . */ T | V | U | K,
    /* / */ V | K,
    /* 0-9 */ T | V | U | H | K, T | V | U | H | K, T | V | U | H | K,
    T | V | U | H | K, T | V | U | H | K, T | V | U | H | K, T | V | U | H | K,
    T | V | U | H | K, T | V | U | H | K, T | V | U | H | K,
    /* : */ V | K,
    /* ; */ V | S,
    /* < */ V | K,
    /* = */ V | S | K,
    /* > */ V | K,
    /* ? */ V | K,
    /* @ */ V | K,
    /* A-F */ T | V | U | H | K, T | V | U | H | K, T | V | U | H | K,
    T | V | U | H | K, T | V | U | H | K, T | V | U | H | K,
    /* G-Z */ T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K,
    T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K,
    T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K,
    T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K,
    T | V | U | K,
    /* [ */ V | K,
    /* \ */ V,
    /* ] */ V | K,
    /* ^ */ T | V | K,
    /* _ */ T | V | U | K,
    /* ` */ T | V | K,
    /* a-f */ T | V | U | H | K, T | V | U | H | K, T | V | U | H | K,
    T | V | U | H | K, T | V | U | H | K, T | V | U | H | K,
    /* g-z */ T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K,
    T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K,
    T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K,
    T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K, T | V | U | K,
    T | V | U | K,
    /* { */ V | K,
    /* | */ T | V | K,
    /* } */ V | K,
    /* ~ */ T | V | U | K,
    /* DEL */ B,
    HI, HI, HI, HI, HI, HI, HI, HI};

#define L8(b) b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7
#define L32(b) L8(b), L8(b + 8), L8(b + 16), L8(b + 24)

const unsigned char gale__lower[256] = {
    L32(0), L32(32), /* 0x40 '@' */ 64,
    /* A-Z -> a-z */ L8(97), L8(105), L8(113), 121, 122,
    /* 0x5b-0x5f */ 91, 92, 93, 94, 95, L32(96), L32(128), L32(160),
    L32(192), L32(224)};
