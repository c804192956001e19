// Error names and messages, error codes, constants (run modes, handle types, signals).
#pragma once

#include <napi.h>

namespace uvkit {

void InitConstants(Napi::Env env, Napi::Object exports);

}  // namespace uvkit
