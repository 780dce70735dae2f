/* SPDX-License-Identifier: MIT */
/* The shared test harness: sockets on loopback, fd counting, peer processes
 * and temporary files.  Failures here fail the calling test (cmocka). */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double th_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool th_run_for(gale_loop *loop, double seconds) {
  double deadline = th_now() + seconds;
  while (th_now() < deadline) {
    double left = deadline - th_now();
    if (gale_loop_run_once(loop, left < 0.05 ? left : 0.05) < 0) return false;
  }
  return true;
}

static void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  assert_true(flags >= 0);
  assert_int_equal(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
}

static int listen_on(int family, int *port) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  struct sockaddr_storage ss;
  socklen_t len;
  if (fd < 0) fail_msg("socket: %s", strerror(errno));
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&ss, 0, sizeof ss);
  if (family == AF_INET6) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_loopback;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    len = sizeof *sin6;
  } else {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *sin;
  }
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0) {
    int err = errno;
    close(fd);
    fail_msg("bind/listen: %s", strerror(err));
  }
  len = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &len);
  *port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                   : ((struct sockaddr_in *)&ss)->sin_port);
  return fd;
}

int th_listen(int *port) { return listen_on(AF_INET, port); }
int th_listen6(int *port) { return listen_on(AF_INET6, port); }

int th_free_port(void) {
  int port;
  int fd = listen_on(AF_INET, &port);
  close(fd);
  return port;
}

int th_connect(int port) {
  struct sockaddr_in sin;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail_msg("socket: %s", strerror(errno));
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons((uint16_t)port);
  if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
    int err = errno;
    close(fd);
    fail_msg("connect 127.0.0.1:%d: %s", port, strerror(err));
  }
  return fd;
}

void th_socketpair(int fds[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    fail_msg("socketpair: %s", strerror(errno));
  set_nonblocking(fds[0]);
  set_nonblocking(fds[1]);
}

void th_write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  double deadline = th_now() + 10;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = write(fd, p, len);
    if (n > 0) {
      p += n;
      len -= (size_t)n;
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      struct pollfd pfd = {.fd = fd, .events = POLLOUT};
      if (th_now() > deadline) fail_msg("th_write_all: timed out");
      poll(&pfd, 1, 100);
    } else {
      fail_msg("th_write_all: %s", strerror(errno));
    }
  }
}

size_t th_read_full(int fd, void *buf, size_t len, double timeout) {
  char *p = buf;
  size_t got = 0;
  double deadline = th_now() + timeout;
  while (got < len) {
    ssize_t n = read(fd, p + got, len - got);
    if (n > 0) {
      got += (size_t)n;
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN || errno == EINTR) {
      struct pollfd pfd = {.fd = fd, .events = POLLIN};
      double left = deadline - th_now();
      if (left <= 0) break;
      poll(&pfd, 1, (int)(left * 1000) + 1);
    } else {
      break;
    }
  }
  return got;
}

int th_count_fds(void) {
  int count = 0;
  DIR *dir = opendir("/proc/self/fd");
  struct dirent *entry;
  if (dir == NULL) fail_msg("opendir /proc/self/fd: %s", strerror(errno));
  while ((entry = readdir(dir)) != NULL)
    if (entry->d_name[0] != '.') count++;
  closedir(dir);
  return count - 1; /* the directory's own fd */
}

static const char *env_dir(const char *name) {
  const char *dir = getenv(name);
  return dir != NULL && dir[0] != '\0' ? dir : ".";
}

const char *th_srcpath(const char *rel) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/%s", env_dir("top_srcdir"), rel);
  return path;
}

const char *th_buildpath(const char *rel) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/%s", env_dir("top_builddir"), rel);
  return path;
}

const char *th_which(const char *program) {
  static char found[4096];
  char search[8192];
  const char *path = getenv("PATH");
  char *save = NULL, *dir;
  if (strchr(program, '/') != NULL) return access(program, X_OK) == 0 ? program : NULL;
  snprintf(search, sizeof search, "%s:/usr/sbin:/sbin:/usr/bin:/bin", path ? path : "");
  for (dir = strtok_r(search, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
    snprintf(found, sizeof found, "%s/%s", dir, program);
    if (access(found, X_OK) == 0) return found;
  }
  return NULL;
}

const char *th_require_program(const char *program) {
  const char *path = th_which(program);
  if (path == NULL) {
    print_message("[  SKIP    ] %s is not installed\n", program);
    skip();
  }
  return path;
}

pid_t th_spawn(const char *const argv[], const char *logfile) {
  const char *path = th_which(argv[0]);
  pid_t pid;
  if (path == NULL) fail_msg("th_spawn: %s not found", argv[0]);
  fflush(NULL);
  pid = fork();
  if (pid < 0) fail_msg("fork: %s", strerror(errno));
  if (pid == 0) {
    int out = open(logfile ? logfile : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = open("/dev/null", O_RDONLY);
    setpgid(0, 0);
    if (in >= 0) dup2(in, 0);
    if (out >= 0) {
      dup2(out, 1);
      dup2(out, 2);
    }
    signal(SIGPIPE, SIG_DFL);
    execv(path, (char *const *)argv);
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

bool th_wait_port(int port, double timeout) {
  double deadline = th_now() + timeout;
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons((uint16_t)port);
  while (th_now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int ok = connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
    close(fd);
    if (ok) return true;
    /* A peer process gives no other readiness signal: poll its port. */
    poll(NULL, 0, 10);
  }
  return false;
}

void th_kill(pid_t pid) {
  double deadline;
  int status;
  if (pid <= 0) return;
  kill(-pid, SIGTERM);
  kill(pid, SIGTERM);
  deadline = th_now() + 2;
  while (th_now() < deadline) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      kill(-pid, SIGKILL); /* leftovers of its group */
      return;
    }
    poll(NULL, 0, 10);
  }
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
}

char *th_mkdtemp(void) {
  const char *base = getenv("TMPDIR");
  char *dir = malloc(4096);
  assert_non_null(dir);
  snprintf(dir, 4096, "%s/gale-test-XXXXXX", base && base[0] ? base : "/tmp");
  if (mkdtemp(dir) == NULL) fail_msg("mkdtemp: %s", strerror(errno));
  return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void th_rmtree(char *dir) {
  if (dir == NULL) return;
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(dir);
}

void th_write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) fail_msg("fopen %s: %s", path, strerror(errno));
  if (len > 0 && fwrite(data, 1, len, f) != len) fail_msg("fwrite %s", path);
  fclose(f);
}

char *th_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *data = NULL;
  size_t size = 0, cap = 0, n;
  if (f == NULL) return NULL;
  do {
    if (cap - size < 65536) {
      cap = cap * 2 + 65536;
      data = realloc(data, cap + 1);
      assert_non_null(data);
    }
    n = fread(data + size, 1, cap - size, f);
    size += n;
  } while (n > 0);
  fclose(f);
  data[size] = '\0';
  if (len != NULL) *len = size;
  return data;
}

int th_system(const char *fmt, ...) {
  char command[8192];
  va_list ap;
  int status;
  va_start(ap, fmt);
  vsnprintf(command, sizeof command, fmt, ap);
  va_end(ap);
  fflush(NULL);
  status = system(command);
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}
