/* C reference for the timers benchmark: the same work as bench/workloads/timers.mjs in plain
 * libuv (N timers of 1..10 ms, each closed from its callback; the time from the first init to the
 * last callback). Built by bench/run.mjs only when a libuv development package is installed; it
 * links that libuv, never Node's, so the figure is a yardstick, not part of uvkit. */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

static long fired = 0;
static long total = 0;
static uint64_t start_ns = 0;

static void on_close(uv_handle_t* handle) { free(handle); }

static void on_timer(uv_timer_t* timer) {
  uv_close((uv_handle_t*)timer, on_close);
  if (++fired == total) {
    double seconds = (double)(uv_hrtime() - start_ns) / 1e9;
    printf("RESULT {\"value\":%f,\"seconds\":%f}\n", total / seconds, seconds);
  }
}

int main(int argc, char** argv) {
  total = argc > 1 ? atol(argv[1]) : 1000000;
  uv_loop_t* loop = uv_default_loop();
  start_ns = uv_hrtime();
  for (long i = 0; i < total; i++) {
    uv_timer_t* timer = malloc(sizeof(*timer));
    uv_timer_init(loop, timer);
    uv_timer_start(timer, on_timer, 1 + (i % 10), 0);
  }
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
