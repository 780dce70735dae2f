/* SPDX-License-Identifier: MIT */
/* The messages bench/parser measures, shared by gale's driver and the
 * http-parser peer driver so both parse the same bytes. */
#ifndef GALE_BENCH_PARSER_REQUESTS_H
#define GALE_BENCH_PARSER_REQUESTS_H

/* What Firefox sends for a page (about 500 bytes, 10 fields). */
static const char bench_browser_req[] =
    "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
    "Host: www.kittyhell.com\r\n"
    "User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_6_3; ja-JP-mac; rv:1.9.2.3) "
    "Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
    "Accept-Encoding: gzip,deflate\r\n"
    "Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n"
    "Keep-Alive: 115\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; "
    "__utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; "
    "__utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/"
    "|utmcmd=referral\r\n"
    "\r\n";

/* What wrk sends to a hello-world server. */
static const char bench_wrk_req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8888\r\n\r\n";

#endif
