/*
 * A native JSON-RPC 2.0 load generator for LSP-framed Unix socket servers: one thread, epoll,
 * so it is never the bottleneck the Node one is on two cores. Independent of the daemon's code.
 *
 * Usage: load --socket PATH --mode latency|throughput [--requests N] [--warmup N]
 *             [--connections C] [--depth D]
 * Prints one line of JSON: {"mode", "requests", "p50_us", "p99_us"} for latency,
 * {"mode", "requests", "seconds", "req_per_s"} for throughput. Exits 1 on any error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUFFER (1 << 20)
#define MAX_CONNECTIONS 1024

static const char *REQUEST_FMT = "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"system.ping\"}";

struct conn {
  int fd;
  long in_flight, sent, answered;
  char *in;
  size_t in_len;
  double *sent_at; /* latency mode: when each request of this connection went out */
};

static void die(const char *what) {
  fprintf(stderr, "load: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int dial(const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
  return fd;
}

static void send_request(struct conn *c, long id) {
  char body[128], frame[192];
  int body_len = snprintf(body, sizeof body, REQUEST_FMT, id);
  int len = snprintf(frame, sizeof frame, "Content-Length: %d\r\n\r\n%s", body_len, body);
  for (int off = 0; off < len;) {
    ssize_t n = write(c->fd, frame + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("write");
    off += n;
  }
  c->sent++;
  c->in_flight++;
}

/* Reads what is there and counts the whole frames; returns how many were answered. */
static long read_answers(struct conn *c) {
  ssize_t n = read(c->fd, c->in + c->in_len, BUFFER - c->in_len);
  if (n == 0) {
    fprintf(stderr, "load: the server closed the connection\n");
    exit(1);
  }
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return 0;
    die("read");
  }
  c->in_len += n;
  long frames = 0;
  size_t pos = 0;
  for (;;) {
    char *head_end = memmem(c->in + pos, c->in_len - pos, "\r\n\r\n", 4);
    if (!head_end) break;
    char *cl = strcasestr(c->in + pos, "content-length:");
    if (!cl || cl > head_end) {
      fprintf(stderr, "load: a frame without Content-Length\n");
      exit(1);
    }
    long body = strtol(cl + 15, NULL, 10);
    size_t start = (head_end - c->in) + 4;
    if (start + body > c->in_len) break;
    pos = start + body;
    frames++;
  }
  memmove(c->in, c->in + pos, c->in_len - pos);
  c->in_len -= pos;
  c->in_flight -= frames;
  c->answered += frames;
  return frames;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  const char *path = NULL, *mode = NULL;
  long requests = -1, warmup = -1, connections = 16, depth = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--socket")) path = argv[i + 1];
    else if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
    else if (!strcmp(argv[i], "--requests")) requests = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--warmup")) warmup = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--connections")) connections = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--depth")) depth = atol(argv[i + 1]);
    else {
      fprintf(stderr, "load: unknown option %s\n", argv[i]);
      return 1;
    }
  }
  if (!path || !mode) {
    fprintf(stderr, "usage: load --socket PATH --mode latency|throughput [options]\n");
    return 1;
  }
  if (!strcmp(mode, "latency")) {
    if (requests < 0) requests = 5000;
    if (warmup < 0) warmup = 500;
    struct conn c = {.fd = dial(path), .in = malloc(BUFFER)};
    double *rtt = malloc(sizeof(double) * requests);
    for (long i = 0; i < warmup + requests; i++) {
      double t0 = now_us();
      send_request(&c, i);
      while (c.in_flight > 0) read_answers(&c);
      if (i >= warmup) rtt[i - warmup] = now_us() - t0;
    }
    qsort(rtt, requests, sizeof(double), compare);
    printf("{\"mode\":\"latency\",\"requests\":%ld,\"p50_us\":%.1f,\"p99_us\":%.1f}\n", requests,
           rtt[requests / 2], rtt[(long)(requests * 0.99)]);
    return 0;
  }
  if (strcmp(mode, "throughput")) {
    fprintf(stderr, "load: unknown mode %s\n", mode);
    return 1;
  }
  if (requests < 0) requests = 100000;
  if (connections < 1 || connections > MAX_CONNECTIONS) {
    fprintf(stderr, "load: --connections must be 1 to %d\n", MAX_CONNECTIONS);
    return 1;
  }
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct conn *conns = calloc(connections, sizeof(struct conn));
  long per = requests / connections, id = 0;
  for (long i = 0; i < connections; i++) {
    conns[i].fd = dial(path);
    conns[i].in = malloc(BUFFER);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0) die("epoll_ctl");
  }
  double t0 = now_us();
  for (long i = 0; i < connections; i++) {
    while (conns[i].in_flight < depth && conns[i].sent < per) send_request(&conns[i], id++);
  }
  long done = 0, total = per * connections;
  struct epoll_event events[MAX_CONNECTIONS];
  while (done < total) {
    int n = epoll_wait(ep, events, MAX_CONNECTIONS, 10000);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fprintf(stderr, "load: no answer within 10 s\n");
      return 1;
    }
    for (int e = 0; e < n; e++) {
      struct conn *c = events[e].data.ptr;
      done += read_answers(c);
      while (c->in_flight < depth && c->sent < per) send_request(c, id++);
    }
  }
  double seconds = (now_us() - t0) / 1e6;
  printf("{\"mode\":\"throughput\",\"requests\":%ld,\"seconds\":%.3f,\"req_per_s\":%.0f}\n", total,
         seconds, total / seconds);
  return 0;
}
