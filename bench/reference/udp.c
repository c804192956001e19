/* C reference for the UDP receive benchmark: the same work as bench/workloads/udp-recv.mjs in plain
 * libuv (64-byte datagrams between two connected loopback sockets of one loop, at most `window` in
 * flight, each one received sends the next; datagrams received per second). Argument 1: "plain"
 * (recvmsg) or "mmsg" (UV_UDP_RECVMMSG); argument 2: the count. Built by bench/run.mjs only when a
 * libuv development package is installed; it links that libuv, never Node's: a yardstick only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define WINDOW 64
#define DGRAM_MAX (64 * 1024)
#define MMSG_SLOTS 20

static uv_udp_t receiver;
static uv_udp_t sender;
static uv_timer_t watchdog;
static char message[64];
static char* slab;
static size_t slab_size;
static long total;
static long sent;
static long received;
static long seen;
static long lost;
static uint64_t start_ns;

static void on_send(uv_udp_send_t* req, int status) {
  (void)status;
  free(req);
}

static void send_one(void) {
  uv_udp_send_t* req = malloc(sizeof(*req));
  uv_buf_t buf = uv_buf_init(message, sizeof message);
  uv_udp_send(req, &sender, &buf, 1, NULL, on_send);
  sent++;
}

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void)handle;
  (void)suggested;
  *buf = uv_buf_init(slab, (unsigned int)slab_size);
}

static void finish(void) {
  double seconds = (double)(uv_hrtime() - start_ns) / 1e9;
  printf("RESULT {\"value\":%f,\"seconds\":%f,\"lost\":%ld}\n", received / seconds, seconds, lost);
  uv_close((uv_handle_t*)&receiver, NULL);
  uv_close((uv_handle_t*)&sender, NULL);
  uv_close((uv_handle_t*)&watchdog, NULL);
}

static void on_recv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const struct sockaddr* addr, unsigned flags) {
  (void)handle;
  (void)buf;
  (void)flags;
  if (nread < 0 || addr == NULL) return;
  if (++received == total) {
    uv_udp_recv_stop(&receiver);
    finish();
    return;
  }
  if (sent < total) send_one();
}

/* Refills the window when nothing arrived for 200 ms (lost datagrams). */
static void on_watchdog(uv_timer_t* timer) {
  (void)timer;
  if (received == seen && sent > received) {
    lost += sent - received;
    sent = received;
    for (int i = 0; i < WINDOW && sent < total; i++) send_one();
  }
  seen = received;
}

int main(int argc, char** argv) {
  int mmsg = argc > 1 && strcmp(argv[1], "mmsg") == 0;
  total = argc > 2 ? atol(argv[2]) : 300000;
  slab_size = mmsg ? MMSG_SLOTS * DGRAM_MAX : DGRAM_MAX;
  slab = malloc(slab_size);
  memset(message, 'u', sizeof message);
  uv_loop_t* loop = uv_default_loop();
  struct sockaddr_in any;
  struct sockaddr_in to;
  int length = sizeof to;
  uv_ip4_addr("127.0.0.1", 0, &any);
  uv_udp_init_ex(loop, &receiver, AF_INET | (mmsg ? UV_UDP_RECVMMSG : 0));
  uv_udp_init(loop, &sender);
  uv_udp_bind(&receiver, (const struct sockaddr*)&any, 0);
  uv_udp_bind(&sender, (const struct sockaddr*)&any, 0);
  uv_udp_getsockname(&receiver, (struct sockaddr*)&to, &length);
  uv_udp_connect(&sender, (const struct sockaddr*)&to);
  uv_udp_recv_start(&receiver, on_alloc, on_recv);
  uv_timer_init(loop, &watchdog);
  uv_timer_start(&watchdog, on_watchdog, 200, 200);
  start_ns = uv_hrtime();
  for (int i = 0; i < WINDOW; i++) send_one();
  uv_run(loop, UV_RUN_DEFAULT);
  free(slab);
  return 0;
}
