#pragma once

#include "handle.h"

namespace uvkit {

class AsyncWrap : public HandleWrap<AsyncWrap, uv_async_t> {
 public:
  static constexpr const char* kClassName = "Async";
  static Napi::Function Define(Napi::Env env);
  // asyncSend(id): wakes the Async registered under id from any thread; false once it closed.
  static Napi::Value SendToken(const Napi::CallbackInfo& info);

  explicit AsyncWrap(const Napi::CallbackInfo& info);
  // Collected unclosed: detached while still a AsyncWrap, so its BeforeClose runs (handle.h).
  ~AsyncWrap() override { Detach(); }

  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Sender(const Napi::CallbackInfo& info);

 private:
  static void OnAsync(uv_async_t* handle);
  void BeforeClose() override;

  uint64_t token_id_ = 0;  // 0 until sender() registers the handle
};

}  // namespace uvkit
