/* C reference for the child-stdout benchmark: the same work as `spawn.mjs --mode cat` in plain
 * libuv (uv_spawn of `cat` of the file 4 times, its stdout a created pipe read to EOF with libuv's
 * usual 64 KiB buffers; MB/s from the spawn to the exit and the end of stdout). It shows the ceiling
 * that `cat` and the kernel put on any reader of that pipe. Built by bench/run.mjs only when a
 * libuv development package is installed; it links that libuv, never Node's (a yardstick only). */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

static char buffer[65536];
static uint64_t bytes = 0;
static int pending = 2; /* the exit and the end of stdout */
static uv_process_t child;
static uv_pipe_t out;

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void)handle;
  (void)suggested;
  *buf = uv_buf_init(buffer, sizeof(buffer));
}

static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  (void)buf;
  if (nread > 0) bytes += (uint64_t)nread;
  if (nread < 0) {
    uv_close((uv_handle_t*)stream, NULL);
    pending--;
  }
}

static void on_child_exit(uv_process_t* process, int64_t status, int signal) {
  (void)status;
  (void)signal;
  uv_close((uv_handle_t*)process, NULL);
  pending--;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <file>\n", argv[0]);
    return 2;
  }
  uv_loop_t* loop = uv_default_loop();
  uv_pipe_init(loop, &out, 0);
  uv_stdio_container_t stdio[3] = {
      {.flags = UV_IGNORE},
      {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t*)&out},
      {.flags = UV_IGNORE},
  };
  char* args[] = {"cat", argv[1], argv[1], argv[1], argv[1], NULL};
  uv_process_options_t options = {.exit_cb = on_child_exit, .file = "cat", .args = args, .stdio_count = 3, .stdio = stdio};
  uint64_t start = uv_hrtime();
  int err = uv_spawn(loop, &child, &options);
  if (err != 0) {
    fprintf(stderr, "uv_spawn: %s\n", uv_strerror(err));
    return 1;
  }
  uv_read_start((uv_stream_t*)&out, on_alloc, on_read);
  uv_run(loop, UV_RUN_DEFAULT);
  double seconds = (double)(uv_hrtime() - start) / 1e9;
  if (pending != 0) return 1;
  printf("RESULT {\"value\":%f,\"seconds\":%f,\"bytes\":%llu}\n", (double)bytes / 1e6 / seconds, seconds, (unsigned long long)bytes);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
