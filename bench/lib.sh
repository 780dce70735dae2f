# SPDX-License-Identifier: MIT
# Shell helpers shared by the bench scripts (sourced, not run).  They expect
# PY (a python3) and TMP (the script's scratch directory) to be set.

# free_port: prints a TCP port free on 127.0.0.1 right now.
free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT: waits up to 10 s for something to listen on 127.0.0.1:PORT.
wait_port() {
  i=0
  while [ $i -lt 100 ]; do
    $PY -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$1)))" && return 0
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}

# nginx_hello_conf PORT CONNECTIONS: writes $TMP/nginx.conf for one nginx
# process, no master, answering `return 200 "Hello, world"` on PORT — the
# peer both the server and the client benchmarks measure against.
nginx_hello_conf() {
  cat >"$TMP/nginx.conf" <<NGINX_EOF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile $(($2 + 64));
pid $TMP/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections $2; }
http {
  access_log off;
  default_type text/plain;
  client_body_temp_path $TMP;
  proxy_temp_path $TMP;
  fastcgi_temp_path $TMP;
  uwsgi_temp_path $TMP;
  scgi_temp_path $TMP;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$1;
    location / { return 200 "Hello, world"; }
  }
}
NGINX_EOF
}
