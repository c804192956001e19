// What the running libuv offers beyond the headers we build against (Node 20's libuv 1.46).
// Functions are looked up in the host process at run time, so one binary works on every Node.
#pragma once

#include <napi.h>
#include <uv.h>

namespace uvkit {

struct Features {
  unsigned int version = 0;  // uv_version(): 0xMMmmpp
  int (*metrics_info)(uv_loop_t*, uv_metrics_t*) = nullptr;  // 1.45
  int (*pipe_bind2)(uv_pipe_t*, const char*, size_t, unsigned int) = nullptr;  // 1.46
  int (*pipe_connect2)(uv_connect_t*, uv_pipe_t*, const char*, size_t, unsigned int, uv_connect_cb) = nullptr;  // 1.46
  int (*thread_getname)(uv_thread_t*, char*, size_t) = nullptr;  // 1.50
  int (*udp_try_send2)(uv_udp_t*, unsigned int, uv_buf_t*[], unsigned int[], struct sockaddr*[], unsigned int) = nullptr;  // 1.50

  bool AtLeast(unsigned int major, unsigned int minor) const { return version >= ((major << 16) | (minor << 8)); }
};

// UV_FS_EVENT_RECURSIVE works on macOS (FSEvents) and Windows only; elsewhere libuv ignores it
// (inotify watches one directory), so uvkit refuses it there.
#if defined(__APPLE__) || defined(_WIN32)
inline constexpr bool kFsEventRecursive = true;
#else
inline constexpr bool kFsEventRecursive = false;
#endif

// Resolved once per process; immutable afterwards, so sharing it between threads is safe.
const Features& GetFeatures();
Napi::Object FeaturesObject(Napi::Env env);

}  // namespace uvkit
