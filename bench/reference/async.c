/* C reference for the Async row: the same work as bench/workloads/async-wakeup.mjs in plain libuv
 * (uv_async_send from the async callback, N times, on one loop run to completion; each wake-up is
 * an eventfd write, an epoll wake-up and a read). Built by bench/run.mjs only when a libuv
 * development package is installed; it links that libuv, never Node's (a yardstick only). */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

static long count = 0;
static long total = 0;

static void on_async(uv_async_t* handle) {
  if (++count == total) uv_close((uv_handle_t*)handle, NULL);
  else uv_async_send(handle);
}

int main(int argc, char** argv) {
  total = argc > 1 ? atol(argv[1]) : 1000000;
  uv_loop_t* loop = uv_default_loop();
  uv_async_t async;
  uint64_t start = uv_hrtime();
  uv_async_init(loop, &async, on_async);
  uv_async_send(&async);
  uv_run(loop, UV_RUN_DEFAULT);
  double seconds = (double)(uv_hrtime() - start) / 1e9;
  printf("RESULT {\"value\":%f,\"seconds\":%f}\n", total / seconds, seconds);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
