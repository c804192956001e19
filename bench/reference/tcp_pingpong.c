/* C reference for the TCP ping-pong benchmark: the same work as bench/workloads/tcp-pingpong.mjs in
 * plain libuv (client and server on one loop over loopback with TCP_NODELAY, `conns` connections
 * each with one 64-byte message in flight that the server echoes; round trips per second).
 * Arguments: conns (default 1), total round trips (default 40,000 for 1 connection, else
 * 100,000). Writes use uv_try_write first, as uvkit and Node do. Built by bench/run.mjs only when a
 * libuv development package is installed; it links that libuv, never Node's: a yardstick only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct {
  uv_tcp_t tcp;
  uv_connect_t connect;
  long received;
  long trips;
  char buffer[64 * 1024];
} conn_t;

static uv_loop_t* loop;
static uv_tcp_t server;
static conn_t* clients;
static int conns;
static long per_conn;
static int finished;
static char message[64];
static uint64_t start_ns;

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void)suggested;
  conn_t* c = handle->data;
  *buf = uv_buf_init(c->buffer, sizeof c->buffer);
}

static void on_write(uv_write_t* req, int status) {
  (void)status;
  free(req);
}

/* uv_try_write, then uv_write for what is left (copied: the caller's buffer may be reused). */
static void write_bytes(uv_stream_t* stream, const char* data, size_t length) {
  uv_buf_t buf = uv_buf_init((char*)data, (unsigned int)length);
  int sent = uv_try_write(stream, &buf, 1);
  if (sent == (int)length) return;
  if (sent < 0) sent = 0;
  uv_write_t* req = malloc(sizeof(*req) + length - sent);
  char* copy = (char*)(req + 1);
  memcpy(copy, data + sent, length - sent);
  buf = uv_buf_init(copy, (unsigned int)(length - sent));
  uv_write(req, stream, &buf, 1, on_write);
}

static void close_all(void) {
  for (int i = 0; i < conns; i++) uv_close((uv_handle_t*)&clients[i].tcp, NULL);
  uv_close((uv_handle_t*)&server, NULL);
}

static void on_echo_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  if (nread < 0) {
    uv_close((uv_handle_t*)stream, (uv_close_cb)free);
    return;
  }
  if (nread > 0) write_bytes(stream, buf->base, (size_t)nread);
}

static void on_client_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  (void)buf;
  conn_t* c = stream->data;
  if (nread <= 0) return;
  c->received += nread;
  while (c->received >= 64) {
    c->received -= 64;
    if (++c->trips == per_conn) {
      if (++finished == conns) {
        double seconds = (double)(uv_hrtime() - start_ns) / 1e9;
        printf("RESULT {\"value\":%f,\"seconds\":%f}\n", (double)per_conn * conns / seconds, seconds);
        close_all();
      }
      return;
    }
    write_bytes(stream, message, sizeof message);
  }
}

static void on_connection(uv_stream_t* listener, int status) {
  if (status != 0) return;
  conn_t* peer = malloc(sizeof(*peer));
  uv_tcp_init(loop, &peer->tcp);
  peer->tcp.data = peer;
  uv_accept(listener, (uv_stream_t*)&peer->tcp);
  uv_tcp_nodelay(&peer->tcp, 1);
  uv_read_start((uv_stream_t*)&peer->tcp, on_alloc, on_echo_read);
}

static void on_connect(uv_connect_t* req, int status) {
  if (status != 0) return;
  conn_t* c = req->data;
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t*)&c->tcp, on_alloc, on_client_read);
  write_bytes((uv_stream_t*)&c->tcp, message, sizeof message);
}

int main(int argc, char** argv) {
  conns = argc > 1 ? atoi(argv[1]) : 1;
  long total = argc > 2 ? atol(argv[2]) : (conns == 1 ? 40000 : 100000);
  per_conn = (total + conns - 1) / conns;
  memset(message, 'p', sizeof message);
  loop = uv_default_loop();
  struct sockaddr_in addr;
  int length = sizeof addr;
  uv_ip4_addr("127.0.0.1", 0, &addr);
  uv_tcp_init(loop, &server);
  uv_tcp_bind(&server, (const struct sockaddr*)&addr, 0);
  uv_listen((uv_stream_t*)&server, 511, on_connection);
  uv_tcp_getsockname(&server, (struct sockaddr*)&addr, &length);
  clients = calloc(conns, sizeof(conn_t));
  start_ns = uv_hrtime();
  for (int i = 0; i < conns; i++) {
    uv_tcp_init(loop, &clients[i].tcp);
    clients[i].tcp.data = &clients[i];
    clients[i].connect.data = &clients[i];
    uv_tcp_connect(&clients[i].connect, &clients[i].tcp, (const struct sockaddr*)&addr, on_connect);
  }
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}
