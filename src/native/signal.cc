// Signal: uv_signal_t. libuv delivers a signal to every loop that watches it.
#include "signal_wrap.h"

#include <csignal>

#ifndef NSIG
#define NSIG 65
#endif

namespace uvkit {

// --- callbacks ---

void SignalWrap::OnSignal(uv_signal_t* handle, int signum) {
  SignalWrap* self = OwnerOf<SignalWrap>(handle);
  if (self == nullptr) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  self->Invoke(env, Callback::kSignal, {Napi::Number::New(env, signum)});
  self->UpdatePin();  // a one-shot watcher is inactive now
}

// --- methods ---
// start(signum) / startOneshot(signum): each delivery calls the registered signal callback.

SignalWrap::SignalWrap(const Napi::CallbackInfo& info) : HandleWrap(info) {
  InitHandle(info.Env(), "uv_signal_init", uv_signal_init);
}

Napi::Value SignalWrap::StartWith(const Napi::CallbackInfo& info, bool oneshot) {
  Napi::Env env = info.Env();
  int64_t signum = 0;
  if (!ReadInt(info, 0, "signum", 1, NSIG - 1, &signum)) return {};
  if (!CheckOpen(env)) return {};
  int err = oneshot ? uv_signal_start_oneshot(uv(), OnSignal, static_cast<int>(signum))
                    : uv_signal_start(uv(), OnSignal, static_cast<int>(signum));
  if (err != 0) {
    ThrowUVError(env, err, oneshot ? "uv_signal_start_oneshot" : "uv_signal_start");
    return {};
  }
  UpdatePin();
  return env.Undefined();
}

Napi::Value SignalWrap::Start(const Napi::CallbackInfo& info) {
  return StartWith(info, false);
}

Napi::Value SignalWrap::StartOneshot(const Napi::CallbackInfo& info) {
  return StartWith(info, true);
}

Napi::Value SignalWrap::Stop(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  uv_signal_stop(uv());
  UpdatePin();
  return info.Env().Undefined();
}

// --- accessors ---

Napi::Value SignalWrap::GetSignum(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  return Napi::Number::New(info.Env(), uv()->signum);
}

// --- type ---

Napi::Function SignalWrap::Define(Napi::Env env) {
  return DefineWith(env, {
                             Method<SignalWrap, &SignalWrap::Start>("start"),
                             Method<SignalWrap, &SignalWrap::StartOneshot>("startOneshot"),
                             Method<SignalWrap, &SignalWrap::Stop>("stop"),
                             Getter<SignalWrap, &SignalWrap::GetSignum>("signum"),
                         });
}

}  // namespace uvkit
