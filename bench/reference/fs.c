/* C reference for the fs benchmarks (bench/workloads/fs.mjs): the same work in plain libuv.
 *   fs stat-cb       100,000 uv_fs_stat(".") with 64 in flight
 *   fs stat-sync     300,000 synchronous uv_fs_stat(".")
 *   fs read FILE     sequential 64 KiB uv_fs_read of FILE into one buffer (MB/s)
 * Built by bench/run.mjs only when a libuv development package is installed; it links that
 * libuv, never Node's, so the figure is a yardstick, not part of uvkit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define INFLIGHT 64

static uv_loop_t* loop;
static long started = 0, finished = 0, total = 0;
static uv_fs_t reqs[INFLIGHT];
static char chunk[64 * 1024];
static uv_file file;
static double bytes = 0;

static void on_stat(uv_fs_t* req) {
  if (req->result < 0) {
    fprintf(stderr, "stat: %s\n", uv_strerror((int)req->result));
    exit(1);
  }
  uv_fs_req_cleanup(req);
  finished++;
  if (started < total) {
    started++;
    uv_fs_stat(loop, req, ".", on_stat);
  }
}

static double stat_callbacks(long count) {
  started = finished = 0;
  total = count;
  uint64_t start = uv_hrtime();
  for (int i = 0; i < INFLIGHT && started < total; i++, started++) uv_fs_stat(loop, &reqs[i], ".", on_stat);
  uv_run(loop, UV_RUN_DEFAULT);
  return count / ((uv_hrtime() - start) / 1e9);
}

static double stat_sync(long count) {
  uv_fs_t req;
  uint64_t start = uv_hrtime();
  for (long i = 0; i < count; i++) {
    uv_fs_stat(NULL, &req, ".", NULL);
    uv_fs_req_cleanup(&req);
  }
  return count / ((uv_hrtime() - start) / 1e9);
}

static void on_read(uv_fs_t* req) {
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  if (n < 0) {
    fprintf(stderr, "read: %s\n", uv_strerror((int)n));
    exit(1);
  }
  if (n == 0) return;
  bytes += (double)n;
  uv_buf_t buf = uv_buf_init(chunk, sizeof chunk);
  uv_fs_read(loop, req, file, &buf, 1, -1, on_read);
}

static double read_all(const char* path) {
  uv_fs_t open_req;
  file = uv_fs_open(NULL, &open_req, path, UV_FS_O_RDONLY, 0, NULL);
  uv_fs_req_cleanup(&open_req);
  if (file < 0) {
    fprintf(stderr, "open %s: %s\n", path, uv_strerror(file));
    exit(1);
  }
  bytes = 0;
  uint64_t start = uv_hrtime();
  uv_buf_t buf = uv_buf_init(chunk, sizeof chunk);
  uv_fs_read(loop, &reqs[0], file, &buf, 1, -1, on_read);
  uv_run(loop, UV_RUN_DEFAULT);
  double seconds = (uv_hrtime() - start) / 1e9;
  uv_fs_t close_req;
  uv_fs_close(NULL, &close_req, file, NULL);
  uv_fs_req_cleanup(&close_req);
  return bytes / 1e6 / seconds;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "stat-cb";
  loop = uv_default_loop();
  double value;
  if (strcmp(mode, "stat-cb") == 0) {
    stat_callbacks(20000);
    value = stat_callbacks(100000);
  } else if (strcmp(mode, "stat-sync") == 0) {
    stat_sync(20000);
    value = stat_sync(300000);
  } else if (strcmp(mode, "read") == 0 && argc > 2) {
    read_all(argv[2]);
    value = read_all(argv[2]);
  } else {
    fprintf(stderr, "usage: fs stat-cb | stat-sync | read FILE\n");
    return 2;
  }
  printf("RESULT {\"value\":%f}\n", value);
  return 0;
}
