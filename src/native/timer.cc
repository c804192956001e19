// Timer: uv_timer_t, one libuv timer per object (milliseconds, repeat, again, dueIn).
#include "timer.h"

namespace uvkit {

// --- callbacks ---

void TimerWrap::OnTimer(uv_timer_t* timer) {
  TimerWrap* self = OwnerOf<TimerWrap>(timer);
  if (self == nullptr) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  self->Invoke(env, Callback::kTimer, {});
  self->UpdatePin();  // a one-shot timer is inactive now unless the callback restarted it
}

// libuv counts a timeout from the loop's cached time, which only moves when the loop turns. JS can
// run long after that (a module's top level runs before Node's loop first turns: 50-60 ms of
// bootstrap on Node 22), so the timer would fire early. Node's setTimeout refreshes the time first
// (Environment::GetNowUint64), and so does this: the timeout counts from the call.
void TimerWrap::RefreshLoopTime() {
  uv_update_time(loop_->uv());
}

// --- methods ---

TimerWrap::TimerWrap(const Napi::CallbackInfo& info) : HandleWrap(info) {
  InitHandle(info.Env(), "uv_timer_init", uv_timer_init);
}

// start(timeout, repeat = 0): each expiry calls the registered timer callback.
Napi::Value TimerWrap::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t timeout = 0;
  uint64_t repeat = 0;
  if (!ReadMillis(info, 0, "timeout", &timeout)) return {};
  if (!info[1].IsUndefined() && !ReadMillis(info, 1, "repeat", &repeat)) return {};
  if (!CheckOpen(env)) return {};
  RefreshLoopTime();
  int err = uv_timer_start(uv(), OnTimer, timeout, repeat);
  if (err != 0) {
    ThrowUVError(env, err, "uv_timer_start");
    return {};
  }
  UpdatePin();
  return env.Undefined();
}

Napi::Value TimerWrap::Stop(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  uv_timer_stop(uv());
  UpdatePin();
  return info.Env().Undefined();
}

Napi::Value TimerWrap::Again(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return {};
  RefreshLoopTime();
  int err = uv_timer_again(uv());  // EINVAL when never started
  if (err != 0) {
    ThrowUVError(env, err, "uv_timer_again");
    return {};
  }
  UpdatePin();
  return env.Undefined();
}

// --- accessors ---

Napi::Value TimerWrap::GetRepeat(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  return Napi::Number::New(info.Env(), static_cast<double>(uv_timer_get_repeat(uv())));
}

void TimerWrap::SetRepeat(const Napi::CallbackInfo& info, const Napi::Value&) {
  uint64_t repeat = 0;
  if (!ReadMillis(info, 0, "repeat", &repeat) || !CheckOpen(info.Env())) return;
  uv_timer_set_repeat(uv(), repeat);
}

Napi::Value TimerWrap::GetDueIn(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  return Napi::Number::New(info.Env(), static_cast<double>(uv_timer_get_due_in(uv())));
}

// --- type ---

Napi::Function TimerWrap::Define(Napi::Env env) {
  return DefineWith(env, {
                             Method<TimerWrap, &TimerWrap::Start>("start"),
                             Method<TimerWrap, &TimerWrap::Stop>("stop"),
                             Method<TimerWrap, &TimerWrap::Again>("again"),
                             Accessor<TimerWrap, &TimerWrap::GetRepeat, &TimerWrap::SetRepeat>("repeat"),
                             Getter<TimerWrap, &TimerWrap::GetDueIn>("dueIn"),
                         });
}

}  // namespace uvkit
