#pragma once

#include "handle.h"

namespace uvkit {

class TimerWrap : public HandleWrap<TimerWrap, uv_timer_t> {
 public:
  static constexpr const char* kClassName = "Timer";
  static Napi::Function Define(Napi::Env env);

  explicit TimerWrap(const Napi::CallbackInfo& info);

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Again(const Napi::CallbackInfo& info);
  Napi::Value GetRepeat(const Napi::CallbackInfo& info);
  void SetRepeat(const Napi::CallbackInfo& info, const Napi::Value& value);
  Napi::Value GetDueIn(const Napi::CallbackInfo& info);

 private:
  static void OnTimer(uv_timer_t* timer);
  void RefreshLoopTime();
};

}  // namespace uvkit
