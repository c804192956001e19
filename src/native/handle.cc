#include "handle.h"

#include <algorithm>

namespace uvkit {

// An orphan deleted early (node-addon-api deletes an object whose constructor left an exception).
HandleBase::~HandleBase() {
  if (!orphan_) return;
  auto& orphans = state_->orphans;
  orphans.erase(std::remove(orphans.begin(), orphans.end(), this), orphans.end());
}

void HandleBase::Adopt(uv_handle_t* handle) {
  uv_ = handle;
  loop_->handles.PushBack(this);
  ++state_->live_handles;
  // On Node's loop callbacks come through napi_make_callback: the async context is made now, so it
  // carries the creator's AsyncLocalStorage and async_hooks trigger, as Node's own handles do.
  // (Inside a private loop's run() callbacks are plain calls within the run() caller's context.)
  if (loop_->is_default()) AsyncContext(state_->env, JsObject());
}

void HandleBase::ReplaceUv(uv_handle_t* fresh) {
  static_cast<UvHandleHeader*>(uv_->data)->owner = nullptr;
  if (!uv_has_ref(uv_)) uv_unref(fresh);
  uv_close(uv_, OnUvClose);
  uv_ = fresh;
}

bool HandleBase::CheckOpen(Napi::Env env) {
  if (is_open()) return true;
  ThrowHandleClosed(env);
  return false;
}

// Pinned while libuv may still call us: active, requests pending, or between close() and its callback.
void HandleBase::UpdatePin() {
  bool want = !closed_ && (closing_ || pending_requests_ > 0 || (uv_ != nullptr && uv_is_active(uv_)));
  if (want == pinned_) return;
  pinned_ = want;
  SetPinned(want);
}

void HandleBase::AfterJsCall() {
  if (loop_ != nullptr) loop_->AfterJsCall();
}

void HandleBase::StartClose() {
  if (!is_open()) return;
  BeforeClose();
  closing_ = true;
  if (sends_pending_ > 0) close_deferred_ = true;
  else uv_close(uv_, OnUvClose);
  UpdatePin();
}

void HandleBase::SendFinished() {
  --sends_pending_;
  if (sends_pending_ == 0 && close_deferred_ && uv_ != nullptr) {
    close_deferred_ = false;
    uv_close(uv_, OnUvClose);
  }
  RequestFinished();
}

void HandleBase::Detach() {
  if (uv_ == nullptr) return;
  static_cast<UvHandleHeader*>(uv_->data)->owner = nullptr;
  loop_->handles.Remove(this);
  if (!closing_) BeforeClose();
  if (!closing_ || close_deferred_) uv_close(uv_, OnUvClose);
  close_deferred_ = false;
  uv_ = nullptr;
  loop_ = nullptr;  // the loop may be freed next (its own finalizer detaches us)
  closing_ = false;
  closed_ = true;
  --state_->live_handles;
  DestroyAsyncContext();
  // No callback will reach us any more: let the wrapper go (at teardown Node frees everything).
  if (!state_->exiting) UpdatePin();
}

void HandleBase::OnUvClose(uv_handle_t* handle) {
  auto* header = static_cast<UvHandleHeader*>(handle->data);
  AddonState* state = header->state;
  if (header->owner != nullptr) header->owner->OnClosed();
  delete header;
  --state->live_uv_handles;
  state->MaybeFinishTeardown();
}

void HandleBase::OnClosed() {
  loop_->handles.Remove(this);
  uv_ = nullptr;
  closing_ = false;
  closed_ = true;
  --state_->live_handles;
  if (!state_->exiting) {  // tell the TS layer, which runs the close callbacks and promises
    Napi::Env env(state_->env);
    Napi::HandleScope scope(env);
    Invoke(env, Callback::kClose, {});
  }
  DestroyAsyncContext();
  UpdatePin();
}

napi_async_context HandleBase::AsyncContext(napi_env env, napi_value resource) {
  if (async_context_ == nullptr) {
    napi_value name;
    napi_create_string_utf8(env, TypeName(), NAPI_AUTO_LENGTH, &name);
    if (napi_async_init(env, resource, name, &async_context_) != napi_ok) async_context_ = nullptr;
  }
  return async_context_;
}

void HandleBase::DestroyAsyncContext() {
  if (async_context_ == nullptr) return;
  napi_async_destroy(state_->env, async_context_);
  async_context_ = nullptr;
}

void HandleBase::Invoke(napi_env env, Callback kind, std::initializer_list<napi_value> args) {
  const Napi::FunctionReference& fn = state_->callbacks[static_cast<int>(kind)];
  napi_value recv = JsObject();
  if (recv == nullptr || fn.IsEmpty()) return;
  loop_->Dispatch(env, this, recv, fn.Value(), args.size(), args.begin());
}

// close(): idempotent; when the close completes the registered close callback runs with `this` =
// the handle (also for closes that loop.close() started).
Napi::Value HandleBase::JsClose(const Napi::CallbackInfo& info) {
  StartClose();
  return info.Env().Undefined();
}

Napi::Value HandleBase::JsRef(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  uv_ref(uv_);
  return info.This();
}

Napi::Value HandleBase::JsUnref(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  uv_unref(uv_);
  return info.This();
}

Napi::Value HandleBase::JsHasRef(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  return Napi::Boolean::New(info.Env(), uv_has_ref(uv_) != 0);
}

Napi::Value HandleBase::JsFileno(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  uv_os_fd_t fd;
  int err = uv_fileno(uv_, &fd);
  if (err != 0) {
    // libuv says EINVAL for handle types that have no fd; the contract says EBADF.
    ThrowUVError(info.Env(), err == UV_EINVAL ? UV_EBADF : err, "uv_fileno");
    return {};
  }
#ifdef _WIN32
  return Napi::Number::New(info.Env(), static_cast<double>(reinterpret_cast<intptr_t>(fd)));
#else
  return Napi::Number::New(info.Env(), fd);
#endif
}

Napi::Value HandleBase::JsActive(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), is_open() && uv_is_active(uv_) != 0);
}

Napi::Value HandleBase::JsClosing(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), closing_);
}

Napi::Value HandleBase::JsClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), closed_);
}

// --- socket buffer sizes (TCP, UDP) ---

Napi::Value HandleBase::BufferSize(const Napi::CallbackInfo& info, int (*fn)(uv_handle_t*, int*), const char* syscall) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return {};
  int value = 0;
  int err = fn(uv_, &value);
  if (err != 0) {
    ThrowUVError(env, err, syscall);
    return {};
  }
  return Napi::Number::New(env, value);
}

void HandleBase::SetBufferSize(const Napi::CallbackInfo& info, int (*fn)(uv_handle_t*, int*), const char* syscall) {
  Napi::Env env = info.Env();
  int64_t size = 0;
  if (!ReadInt(info, 0, "size", 1, INT32_MAX, &size)) return;
  if (!CheckOpen(env)) return;
  int v = static_cast<int>(size);
  int err = fn(uv_, &v);
  if (err != 0) ThrowUVError(env, err, syscall);
}

Napi::Value HandleBase::JsGetSendBufferSize(const Napi::CallbackInfo& info) {
  return BufferSize(info, uv_send_buffer_size, "uv_send_buffer_size");
}
void HandleBase::JsSetSendBufferSize(const Napi::CallbackInfo& info, const Napi::Value&) {
  SetBufferSize(info, uv_send_buffer_size, "uv_send_buffer_size");
}
Napi::Value HandleBase::JsGetRecvBufferSize(const Napi::CallbackInfo& info) {
  return BufferSize(info, uv_recv_buffer_size, "uv_recv_buffer_size");
}
void HandleBase::JsSetRecvBufferSize(const Napi::CallbackInfo& info, const Napi::Value&) {
  SetBufferSize(info, uv_recv_buffer_size, "uv_recv_buffer_size");
}

}  // namespace uvkit
