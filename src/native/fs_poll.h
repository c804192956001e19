// FSPoll: a path stat'ed every `interval` ms on the thread pool; a change of its stat, or of the
// error stat'ing it, is reported with the stat before and after (uv_fs_poll_t).
#pragma once

#include "handle.h"

namespace uvkit {

class FSPollWrap : public HandleWrap<FSPollWrap, uv_fs_poll_t> {
 public:
  static constexpr const char* kClassName = "FSPoll";
  static Napi::Function Define(Napi::Env env);

  explicit FSPollWrap(const Napi::CallbackInfo& info);

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value GetPath(const Napi::CallbackInfo& info);

 private:
  static void OnChange(uv_fs_poll_t* handle, int status, const uv_stat_t* prev, const uv_stat_t* curr);
  void Renew();

  bool started_ = false;  // the uv handle was started: a new start() needs a fresh one (Renew)
};

}  // namespace uvkit
