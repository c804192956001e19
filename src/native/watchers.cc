// Prepare (before polling for I/O), Check (after it) and Idle (keeps the loop from blocking).
#include "watchers.h"

namespace uvkit {

// --- callbacks ---

template <typename Traits>
void WatcherWrap<Traits>::OnEvent(Uv* handle) {
  auto* self = OwnerOf<WatcherWrap<Traits>>(handle);
  if (self == nullptr) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  self->Invoke(env, Traits::kCallback, {});
  self->UpdatePin();
}

// --- methods ---

template <typename Traits>
WatcherWrap<Traits>::WatcherWrap(const Napi::CallbackInfo& info) : HandleWrap<WatcherWrap<Traits>, Uv>(info) {
  this->InitHandle(info.Env(), "uv_init", Traits::Init);
}

// start(): every loop iteration calls the registered callback of this watcher type.
template <typename Traits>
Napi::Value WatcherWrap<Traits>::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!this->CheckOpen(env)) return {};
  Traits::Start(this->uv(), OnEvent);
  this->UpdatePin();
  return env.Undefined();
}

template <typename Traits>
Napi::Value WatcherWrap<Traits>::Stop(const Napi::CallbackInfo& info) {
  if (!this->CheckOpen(info.Env())) return {};
  Traits::Stop(this->uv());
  this->UpdatePin();
  return info.Env().Undefined();
}

// --- type ---

template <typename Traits>
Napi::Function WatcherWrap<Traits>::Define(Napi::Env env) {
  using W = WatcherWrap<Traits>;
  return W::DefineWith(env, {
                                Method<W, &W::Start>("start"),
                                Method<W, &W::Stop>("stop"),
                            });
}

template class WatcherWrap<PrepareTraits>;
template class WatcherWrap<CheckTraits>;
template class WatcherWrap<IdleTraits>;

}  // namespace uvkit
