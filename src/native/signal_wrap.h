#pragma once

#include "handle.h"

namespace uvkit {

class SignalWrap : public HandleWrap<SignalWrap, uv_signal_t> {
 public:
  static constexpr const char* kClassName = "Signal";
  static Napi::Function Define(Napi::Env env);

  explicit SignalWrap(const Napi::CallbackInfo& info);

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value StartOneshot(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value GetSignum(const Napi::CallbackInfo& info);

 private:
  static void OnSignal(uv_signal_t* handle, int signum);
  Napi::Value StartWith(const Napi::CallbackInfo& info, bool oneshot);
};

}  // namespace uvkit
