// FSPoll: uv_fs_poll_t. Each change calls the registered fsPoll callback with (status, values):
// `values` is a Float64Array of the previous stat's 14 fields then the current one's (stats.h),
// made per event (events are rare), all zero for a stat that failed.
#include "fs_poll.h"

#include <cmath>
#include <string>

#include "stats.h"
#include "watch_path.h"

namespace uvkit {

namespace {

// The interval: milliseconds as uv_fs_poll_start takes them (an unsigned int); fractions round
// up, as for timers. 0 is libuv's 1 ms.
bool ReadInterval(const Napi::CallbackInfo& info, size_t i, unsigned int* out) {
  if (!info[i].IsNumber()) {
    ThrowInvalidArgType(info.Env(), "interval", "of type number");
    return false;
  }
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v < 0 || v > 4294967295.0) {
    ThrowOutOfRange(info.Env(), "interval", ">= 0 and <= 4294967295");
    return false;
  }
  *out = static_cast<unsigned int>(std::ceil(v));
  return true;
}

}  // namespace

// --- callbacks ---

void FSPollWrap::OnChange(uv_fs_poll_t* handle, int status, const uv_stat_t* prev, const uv_stat_t* curr) {
  FSPollWrap* self = OwnerOf<FSPollWrap>(handle);
  if (self == nullptr) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  Napi::Float64Array values = Napi::Float64Array::New(env, 2 * kStatFields);
  if (values.IsEmpty()) {  // no memory, or the environment is ending: nothing can be reported
    if (env.IsExceptionPending()) env.GetAndClearPendingException();
    return;
  }
  const uv_stat_t zero{};
  FillStatFields(prev != nullptr ? *prev : zero, values.Data());
  FillStatFields(curr != nullptr ? *curr : zero, values.Data() + kStatFields);
  self->Invoke(env, Callback::kFsPoll, {Napi::Number::New(env, status), values});
  self->UpdatePin();
}

// --- methods ---

FSPollWrap::FSPollWrap(const Napi::CallbackInfo& info) : HandleWrap(info) {
  InitHandle(info.Env(), "uv_fs_poll_init", uv_fs_poll_init);
}

// libuv (1.46, and still upstream) aborts when a uv_fs_poll_t is started again while the stat of
// an earlier start is still running: that stat's completion finds the handle active, rearms its
// own timer, and timer_cb's assert fails. (libuv also ignores a start of an active handle.) So a
// handle started before moves to a fresh uv_fs_poll_t, and the old one closes once its stat is done.
void FSPollWrap::Renew() {
  auto* box = state_->NewBox<uv_fs_poll_t>(this);
  uv_fs_poll_init(loop_->uv(), &box->uv);  // only initialises fields: cannot fail
  ReplaceUv(reinterpret_cast<uv_handle_t*>(&box->uv));
  started_ = false;
}

// start(path, interval). The first stat only sets the baseline, unless it fails: then the error
// is reported at once. Starting again replaces the watch.
Napi::Value FSPollWrap::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  unsigned int interval = 0;
  if (!ReadString(info, 0, "path", &path) || !ReadInterval(info, 1, &interval)) return {};
  if (!CheckOpen(env)) return {};
  if (started_) Renew();
  int err = uv_fs_poll_start(uv(), OnChange, path.c_str(), interval);
  started_ = err == 0;
  UpdatePin();
  if (err != 0) {
    ThrowUVError(env, err, "watch");
    return {};
  }
  return env.Undefined();
}

Napi::Value FSPollWrap::Stop(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  uv_fs_poll_stop(uv());
  UpdatePin();
  return info.Env().Undefined();
}

// --- accessors ---

Napi::Value FSPollWrap::GetPath(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  return WatchedPath(info.Env(), uv(), uv_fs_poll_getpath, "uv_fs_poll_getpath");
}

// --- type ---

Napi::Function FSPollWrap::Define(Napi::Env env) {
  return DefineWith(env, {
                             Method<FSPollWrap, &FSPollWrap::Start>("start"),
                             Method<FSPollWrap, &FSPollWrap::Stop>("stop"),
                             Getter<FSPollWrap, &FSPollWrap::GetPath>("path"),
                         });
}

}  // namespace uvkit
