// Queued work (API.md "Thread pool"): built-in tasks that run on libuv's thread pool, on the
// caller's buffers without copying them, as pool requests (pool_request.h).
#pragma once

#include <napi.h>

namespace uvkit {

void InitWork(Napi::Env env, Napi::Object exports);

// The size of libuv's thread pool: what libuv reads from UV_THREADPOOL_SIZE when the pool starts
// (default 4, at most 1024).
int ThreadPoolSize();

}  // namespace uvkit
