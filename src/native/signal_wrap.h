#pragma once

#include "handle.h"

namespace uvkit {

class SignalWrap : public HandleWrap<SignalWrap, uv_signal_t> {
 public:
  static constexpr napi_type_tag kTypeTag = {0x75766b6974536967ULL, 0x0000000000000007ULL};
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
