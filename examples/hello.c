/* Tornado's hello world:  examples/hello [PORT]  (default 8888). */
#include <stdlib.h>

#include <gale.h>

static void hello(gale_web_handler *h) {
  gale_web_write_str(h, "Hello, world");
}

static const gale_web_handler_class main_handler = {.get = hello};

int main(int argc, char **argv) {
  gale_loop *loop = gale_loop_new();
  gale_web_app *app = gale_web_app_new(NULL);
  gale_web_app_add(app, "/", &main_handler, NULL, NULL);
  gale_log_set_level(GALE_LOG_WARNING); /* no access log, as Tornado's hello world */
  int port = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 8888;
  if (!loop || !app || gale_web_app_listen(app, loop, port, NULL, NULL, NULL) != GALE_OK) return 1;
  gale_loop_stop_on_signals(loop);
  return gale_loop_run(loop) == GALE_OK ? 0 : 1;
}
