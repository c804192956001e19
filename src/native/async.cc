// Async: wake a loop from any thread. sender() hands out a token id that other threads (workers)
// pass to Async.send(); the id is looked up in a process-wide registry under a mutex, and the handle
// leaves the registry before uv_close, so a send can never reach a closing or freed handle.
#include "async.h"

#include <mutex>
#include <unordered_map>

namespace uvkit {

namespace {

// Process-wide on purpose: tokens travel between threads (environments). Never destroyed, so a
// worker sending while the process exits cannot meet a destructed mutex.
struct AsyncRegistry {
  std::mutex mutex;
  std::unordered_map<uint64_t, uv_async_t*> handles;
  uint64_t next_id = 1;
};

AsyncRegistry& Registry() {
  static auto* registry = new AsyncRegistry();
  return *registry;
}

}  // namespace

// --- callbacks ---

void AsyncWrap::OnAsync(uv_async_t* handle) {
  AsyncWrap* self = OwnerOf<AsyncWrap>(handle);
  if (self == nullptr) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  self->Invoke(env, Callback::kAsync, {});
}

// --- methods ---

// new Async(loop): each wake-up calls the registered async callback.
AsyncWrap::AsyncWrap(const Napi::CallbackInfo& info) : HandleWrap(info) {
  Napi::Env env = info.Env();
  if (InitHandle(env, "uv_async_init", [](uv_loop_t* loop, uv_async_t* h) { return uv_async_init(loop, h, OnAsync); })) {
    UpdatePin();  // an Async is active until closed: it stays alive for the threads that may wake it
  }
}

Napi::Value AsyncWrap::Send(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  uv_async_send(uv());
  return info.Env().Undefined();
}

Napi::Value AsyncWrap::Sender(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  if (token_id_ == 0) {
    AsyncRegistry& registry = Registry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    token_id_ = registry.next_id++;
    registry.handles.emplace(token_id_, uv());
  }
  return Napi::Number::New(info.Env(), static_cast<double>(token_id_));
}

void AsyncWrap::BeforeClose() {
  if (token_id_ == 0) return;
  AsyncRegistry& registry = Registry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.handles.erase(token_id_);
}

Napi::Value AsyncWrap::SendToken(const Napi::CallbackInfo& info) {
  int64_t id = 0;
  if (!ReadInt(info, 0, "token.uvkitAsync", 1, 9007199254740991LL, &id)) return {};
  AsyncRegistry& registry = Registry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  auto it = registry.handles.find(static_cast<uint64_t>(id));
  bool sent = it != registry.handles.end() && uv_async_send(it->second) == 0;
  return Napi::Boolean::New(info.Env(), sent);
}

// --- type ---

Napi::Function AsyncWrap::Define(Napi::Env env) {
  return DefineWith(env, {
                             Method<AsyncWrap, &AsyncWrap::Send>("send"),
                             Method<AsyncWrap, &AsyncWrap::Sender>("sender"),
                         });
}

}  // namespace uvkit
