/* C reference for the TCP pump benchmark: the same work as bench/workloads/tcp-pump.mjs in plain
 * libuv. Starts the same sink (node sink.mjs, which prints its port), writes `mib` MiB to it in
 * 64 KiB buffers, `batch` buffers per uv_write, keeping about 1 MiB queued, then shuts down; MB/s
 * from the first write until the sink has read everything and closed.
 * Arguments: node binary, path of sink.mjs, batch (default 1), MiB (default 1024).
 * Built by bench/run.mjs only when a libuv development package is installed; it links that libuv,
 * never Node's: a yardstick only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define CHUNK (64 * 1024)
#define HIGH_WATER (1024 * 1024)
#define MAX_BATCH 64

typedef struct {
  uv_write_t req;
  int count;
} write_t;

static uv_loop_t* loop;
static uv_process_t sink;
static uv_pipe_t sink_out;
static uv_tcp_t client;
static uv_connect_t connect_req;
static uv_shutdown_t shutdown_req;
static char chunk[CHUNK];
static char line[256];
static size_t line_length;
static char read_buffer[64 * 1024];
static long chunks;
static long sent;
static long written;
static size_t queued;
static int batch;
static uint64_t start_ns;

static void pump(void);

static void on_write(uv_write_t* req, int status) {
  write_t* w = (write_t*)req;
  if (status != 0) {
    fprintf(stderr, "write: %s\n", uv_strerror(status));
    exit(1);
  }
  queued -= (size_t)w->count * CHUNK;
  written += w->count;
  free(w);
  if (written == chunks) uv_shutdown(&shutdown_req, (uv_stream_t*)&client, NULL);
  else pump();
}

static void pump(void) {
  uv_buf_t bufs[MAX_BATCH];
  while (sent < chunks && queued < HIGH_WATER) {
    int n = 0;
    for (; n < batch && sent < chunks; n++, sent++) bufs[n] = uv_buf_init(chunk, CHUNK);
    write_t* w = malloc(sizeof(*w));
    w->count = n;
    queued += (size_t)n * CHUNK;
    uv_write(&w->req, (uv_stream_t*)&client, bufs, n, on_write);
  }
}

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void)handle;
  (void)suggested;
  *buf = uv_buf_init(read_buffer, sizeof read_buffer);
}

/* The sink closes once it has read everything: EOF here ends the measurement. */
static void on_client_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  (void)buf;
  if (nread >= 0) return;
  double seconds = (double)(uv_hrtime() - start_ns) / 1e9;
  printf("RESULT {\"value\":%f,\"seconds\":%f}\n", (double)chunks * CHUNK / 1e6 / seconds, seconds);
  uv_close((uv_handle_t*)stream, NULL);
}

static void on_connect(uv_connect_t* req, int status) {
  (void)req;
  if (status != 0) {
    fprintf(stderr, "connect: %s\n", uv_strerror(status));
    exit(1);
  }
  uv_read_start((uv_stream_t*)&client, on_alloc, on_client_read);
  start_ns = uv_hrtime();
  pump();
}

static void on_sink_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void)handle;
  (void)suggested;
  *buf = uv_buf_init(line + line_length, (unsigned int)(sizeof line - 1 - line_length));
}

/* Waits for the sink's "PORT <n>" line, then connects. */
static void on_sink_output(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  (void)buf;
  if (nread < 0) {
    uv_close((uv_handle_t*)stream, NULL);
    return;
  }
  line_length += (size_t)nread;
  line[line_length] = '\0';
  char* port_text = strstr(line, "PORT ");
  if (port_text == NULL || strchr(port_text, '\n') == NULL) return;
  uv_read_stop(stream);
  struct sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", atoi(port_text + 5), &addr);
  uv_tcp_init(loop, &client);
  uv_tcp_connect(&connect_req, &client, (const struct sockaddr*)&addr, on_connect);
  uv_close((uv_handle_t*)stream, NULL);
}

static void on_sink_exit(uv_process_t* process, int64_t status, int signal) {
  (void)status;
  (void)signal;
  uv_close((uv_handle_t*)process, NULL);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: tcp_pump <node> <sink.mjs> [batch] [MiB]\n");
    return 2;
  }
  batch = argc > 3 ? atoi(argv[3]) : 1;
  if (batch < 1 || batch > MAX_BATCH) batch = 1;
  long mib = argc > 4 ? atol(argv[4]) : 1024;
  chunks = mib * 1024 * 1024 / CHUNK;
  memset(chunk, 'x', sizeof chunk);
  loop = uv_default_loop();
  uv_pipe_init(loop, &sink_out, 0);
  char* args[] = {argv[1], argv[2], NULL};
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[1].data.stream = (uv_stream_t*)&sink_out;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  uv_process_options_t options = {0};
  options.file = argv[1];
  options.args = args;
  options.exit_cb = on_sink_exit;
  options.stdio = stdio;
  options.stdio_count = 3;
  int err = uv_spawn(loop, &sink, &options);
  if (err != 0) {
    fprintf(stderr, "spawn: %s\n", uv_strerror(err));
    return 1;
  }
  uv_read_start((uv_stream_t*)&sink_out, on_sink_alloc, on_sink_output);
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}
