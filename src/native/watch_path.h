// The path an FSEvent or FSPoll watches, as libuv reports it (uv_fs_event_getpath and
// uv_fs_poll_getpath share one contract).
#pragma once

#include <napi.h>
#include <uv.h>

#include <string>

#include "errors.h"

namespace uvkit {

// The path as a string, null when the handle is not started (libuv's EINVAL).
template <typename UvT>
Napi::Value WatchedPath(Napi::Env env, UvT* handle, int (*getpath)(UvT*, char*, size_t*), const char* syscall) {
  std::string buffer(256, '\0');
  size_t size = buffer.size();
  int err = getpath(handle, &buffer[0], &size);
  if (err == UV_ENOBUFS) {  // size is now the length needed, terminator included
    buffer.resize(size);
    err = getpath(handle, &buffer[0], &size);
  }
  if (err == UV_EINVAL) return env.Null();
  if (err != 0) {
    ThrowUVError(env, err, syscall);
    return {};
  }
  return Napi::String::New(env, buffer.data(), size);
}

}  // namespace uvkit
