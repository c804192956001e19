// System utilities: libuv's uv_os_*, memory, CPU and network-interface queries, the process title,
// environment and working directory, as the `util` object of the binding.
#pragma once

#include <napi.h>

namespace uvkit {

void InitUtil(Napi::Env env, Napi::Object exports);

}  // namespace uvkit
