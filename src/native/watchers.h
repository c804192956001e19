// Prepare, Check and Idle: the same watcher shape over three libuv handle types.
#pragma once

#include "handle.h"

namespace uvkit {

struct PrepareTraits {
  using Uv = uv_prepare_t;
  static constexpr const char* kName = "Prepare";
  static constexpr Callback kCallback = Callback::kPrepare;
  static int Init(uv_loop_t* loop, Uv* h) { return uv_prepare_init(loop, h); }
  static int Start(Uv* h, uv_prepare_cb cb) { return uv_prepare_start(h, cb); }
  static int Stop(Uv* h) { return uv_prepare_stop(h); }
};

struct CheckTraits {
  using Uv = uv_check_t;
  static constexpr const char* kName = "Check";
  static constexpr Callback kCallback = Callback::kCheck;
  static int Init(uv_loop_t* loop, Uv* h) { return uv_check_init(loop, h); }
  static int Start(Uv* h, uv_check_cb cb) { return uv_check_start(h, cb); }
  static int Stop(Uv* h) { return uv_check_stop(h); }
};

struct IdleTraits {
  using Uv = uv_idle_t;
  static constexpr const char* kName = "Idle";
  static constexpr Callback kCallback = Callback::kIdle;
  static int Init(uv_loop_t* loop, Uv* h) { return uv_idle_init(loop, h); }
  static int Start(Uv* h, uv_idle_cb cb) { return uv_idle_start(h, cb); }
  static int Stop(Uv* h) { return uv_idle_stop(h); }
};

template <typename Traits>
class WatcherWrap : public HandleWrap<WatcherWrap<Traits>, typename Traits::Uv> {
 public:
  using Uv = typename Traits::Uv;
  static constexpr const char* kClassName = Traits::kName;
  static Napi::Function Define(Napi::Env env);

  explicit WatcherWrap(const Napi::CallbackInfo& info);

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);

 private:
  static void OnEvent(Uv* handle);
};

using PrepareWrap = WatcherWrap<PrepareTraits>;
using CheckWrap = WatcherWrap<CheckTraits>;
using IdleWrap = WatcherWrap<IdleTraits>;

extern template class WatcherWrap<PrepareTraits>;
extern template class WatcherWrap<CheckTraits>;
extern template class WatcherWrap<IdleTraits>;

}  // namespace uvkit
