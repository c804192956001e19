// DNS: uv_getaddrinfo and uv_getnameinfo requests, run on libuv's thread pool as pool requests
// (pool_request.h: numbering, cancellation, delivery, lifetime).
#pragma once

#include <napi.h>

namespace uvkit {

void InitDns(Napi::Env env, Napi::Object exports);

}  // namespace uvkit
