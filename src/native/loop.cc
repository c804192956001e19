#include "loop.h"

#include <string>

#include "embed.h"
#include "errors.h"
#include "features.h"
#include "fs_queue.h"
#include "handle.h"
#include "orphan_loop.h"
#include "pool_request.h"
#include "wrap.h"

namespace uvkit {

Napi::Function LoopWrap::Define(Napi::Env env) {
  return uvkit::DefineClass<LoopWrap>(env, kClassName,
                     {
                         Method<LoopWrap, &LoopWrap::Run>("run"),
                         Method<LoopWrap, &LoopWrap::Stop>("stop"),
                         Method<LoopWrap, &LoopWrap::Now>("now"),
                         Method<LoopWrap, &LoopWrap::UpdateTime>("updateTime"),
                         Getter<LoopWrap, &LoopWrap::GetAlive>("alive"),
                         Getter<LoopWrap, &LoopWrap::GetIsDefault>("isDefault"),
                         Getter<LoopWrap, &LoopWrap::GetClosed>("closed"),
                         Getter<LoopWrap, &LoopWrap::GetHandles>("handles"),
                         Method<LoopWrap, &LoopWrap::BackendFd>("backendFd"),
                         Method<LoopWrap, &LoopWrap::BackendTimeout>("backendTimeout"),
                         Method<LoopWrap, &LoopWrap::Close>("close"),
                         Method<LoopWrap, &LoopWrap::Metrics>("metrics"),
                         Method<LoopWrap, &LoopWrap::Embed>("embed"),
                         Method<LoopWrap, &LoopWrap::Unembed>("unembed"),
                         Getter<LoopWrap, &LoopWrap::GetEmbedded>("embedded"),
                         Method<LoopWrap, &LoopWrap::ReportError>("reportError"),
                         Accessor<LoopWrap, &LoopWrap::GetOnError, &LoopWrap::SetOnError>("onError"),
                     });
}

// Handle constructors pass their loop here: the unwrapped pointer is trusted only once found among
// this environment's open loops (a foreign wrapped object yields some other pointer); the type tag
// then tells a closed Loop from something else, for the error. The object last resolved is
// remembered, as a strict-equality check costs a fraction of napi_unwrap's private-symbol lookup.
LoopWrap* LoopWrap::FromValue(Napi::Env env, Napi::Value value) {
  if (!value.IsObject()) {
    ThrowInvalidArgType(env, "loop", "an instance of Loop");
    return nullptr;
  }
  AddonState* state = AddonState::Get(env);
  if (LoopWrap* cached = state->last_loop; cached != nullptr && cached->accepting_handles()) {
    napi_value last = nullptr;
    bool same = false;
    if (napi_get_reference_value(env, state->last_loop_object, &last) == napi_ok && last != nullptr &&
        napi_strict_equals(env, last, value, &same) == napi_ok && same) {
      return cached;
    }
  }
  void* pointer = nullptr;
  if (napi_unwrap(env, value, &pointer) == napi_ok) {
    for (LoopWrap* loop : state->loops) {
      if (loop == pointer && loop->accepting_handles()) {
        state->last_loop = loop;
        state->last_loop_object = Napi::Reference<Napi::Value>::New(value, 0);
        return loop;
      }
    }
  }
  bool tagged = false;
  if (napi_check_object_type_tag(env, value, &kTypeTag, &tagged) == napi_ok && tagged) {
    ThrowLoopClosed(env);
    return nullptr;
  }
  ThrowInvalidArgType(env, "loop", "an instance of Loop");
  return nullptr;
}

// new Loop(true) wraps Node's loop of this environment (once); new Loop() makes a private loop.
LoopWrap::LoopWrap(const Napi::CallbackInfo& info) : ObjectWrap(info), state_(AddonState::Get(info.Env())) {
  Napi::Env env = info.Env();
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
  if (info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value()) {
    if (state_->default_loop != nullptr) {
      ThrowCodedError(env, ErrorKind::kError, "ERR_INVALID_STATE", "Node's loop is already wrapped: use Loop.default()");
      return;
    }
    if (napi_get_uv_event_loop(env, &loop_) != napi_ok || loop_ == nullptr) {
      ThrowCodedError(env, ErrorKind::kError, "ERR_INVALID_STATE", "Node's loop is not available");
      loop_ = nullptr;
      return;
    }
    is_default_ = true;
    state_->default_loop = this;
    Ref();  // Node's loop lives as long as the environment
  } else {
    auto* loop = new uv_loop_t();
    int err = uv_loop_init(loop);
    if (err != 0) {
      delete loop;
      ThrowUVError(env, err, "uv_loop_init");
      return;
    }
    uv_loop_configure(loop, UV_METRICS_IDLE_TIME);
    loop_ = loop;
  }
  state_->RegisterLoop(this);
}

// Collected without close(): every handle on this loop is unreachable too (handles keep their
// loop alive), so their wrappers can be forgotten and the loop run until they are closed.
LoopWrap::~LoopWrap() {
  if (is_default_) {
    if (state_->default_loop == this) state_->default_loop = nullptr;
    state_->UnregisterLoop(this);
    return;
  }
  if (loop_ == nullptr) return;
  StopEmbedding();
  DetachAllHandles();
  // One turn runs the close callbacks; what still needs libuv after it (a request a pool thread
  // runs) is waited for by the environment, not by this finalizer (orphan_loop.h).
  uv_run(loop_, UV_RUN_NOWAIT);
  if (uv_loop_close(loop_) != 0) {
    if (AdoptOrphanLoop(state_, loop_)) {
      loop_ = nullptr;
      DestroyAsyncContext();
      state_->UnregisterLoop(this);
      return;
    }
    RunUntilClosed();
  }
  FreeLoop();
}

void LoopWrap::Teardown() {
  StopEmbedding();
  DetachAllHandles();
  DestroyAsyncContext();
  if (is_default_ || loop_ == nullptr) return;  // Node closes its own loop after our handles
  RunUntilClosed();
  FreeLoop();
}

void LoopWrap::CloseOpenHandles() {
  handles.ForEach([](HandleBase* h) { h->StartClose(); });
  CloseFsQueueIfIdle(this);
}

void LoopWrap::DetachAllHandles() {
  handles.ForEach([](HandleBase* h) { h->Detach(); });
  DetachFsQueue(this);
  DetachPoolRequests(this);
}

void LoopWrap::RunUntilClosed() {
  while (uv_loop_close(loop_) == UV_EBUSY) uv_run(loop_, UV_RUN_ONCE);
}

void LoopWrap::DestroyAsyncContext() {
  if (async_context_ == nullptr) return;
  napi_async_destroy(state_->env, async_context_);
  async_context_ = nullptr;
}

void LoopWrap::FreeLoop() {
  DestroyAsyncContext();
  delete loop_;
  loop_ = nullptr;
  state_->UnregisterLoop(this);
}

bool LoopWrap::CheckUsable(Napi::Env env) {
  if (loop_ != nullptr) return true;
  ThrowLoopClosed(env);
  return false;
}

bool LoopWrap::CheckPrivateIdle(Napi::Env env, const char* what) {
  if (is_default_) {
    ThrowLoopExternal(env, what);
    return false;
  }
  if (!CheckUsable(env)) return false;
  if (running_from_js_ || driving_) {
    ThrowLoopRunning(env);
    return false;
  }
  return true;
}

Napi::Value LoopWrap::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t mode = UV_RUN_DEFAULT;
  if (!info[0].IsUndefined() && !ReadInt(info, 0, "mode", UV_RUN_DEFAULT, UV_RUN_NOWAIT, &mode)) return {};
  if (!CheckPrivateIdle(env, "run()")) return {};
  if (ThrowQueuedError(env)) return {};  // errors left by an earlier run() come out first
  running_from_js_ = true;
  int more = uv_run(loop_, static_cast<uv_run_mode>(mode));
  running_from_js_ = false;
  if (embedder_ != nullptr) Rearm();
  if (ThrowQueuedError(env)) return {};
  return Napi::Boolean::New(env, more != 0);
}

Napi::Value LoopWrap::Stop(const Napi::CallbackInfo& info) {
  if (is_default_) {
    ThrowLoopExternal(info.Env(), "stop()");
    return {};
  }
  if (!CheckUsable(info.Env())) return {};
  uv_stop(loop_);
  return info.Env().Undefined();
}

Napi::Value LoopWrap::Now(const Napi::CallbackInfo& info) {
  if (!CheckUsable(info.Env())) return {};
  return Napi::Number::New(info.Env(), static_cast<double>(uv_now(loop_)));
}

Napi::Value LoopWrap::UpdateTime(const Napi::CallbackInfo& info) {
  if (!CheckUsable(info.Env())) return {};
  uv_update_time(loop_);
  return info.Env().Undefined();
}

Napi::Value LoopWrap::GetAlive(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), loop_ != nullptr && uv_loop_alive(loop_) != 0);
}

Napi::Value LoopWrap::GetIsDefault(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), is_default_);
}

Napi::Value LoopWrap::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), loop_ == nullptr);
}

Napi::Value LoopWrap::GetHandles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array list = Napi::Array::New(env);
  uint32_t n = 0;
  handles.ForEach([&](HandleBase* h) {
    napi_value object = h->JsObject();
    if (object != nullptr) list.Set(n++, object);
  });
  return list;
}

Napi::Value LoopWrap::BackendFd(const Napi::CallbackInfo& info) {
  if (!CheckUsable(info.Env())) return {};
  return Napi::Number::New(info.Env(), uv_backend_fd(loop_));
}

// Milliseconds until the next timer, 0 when the loop would not block (pending work, an active Idle),
// -1 when nothing is alive. (libuv itself reports 0 for a dead loop; -1 tells an embedder there is
// nothing to wait for instead of asking it to spin.)
Napi::Value LoopWrap::BackendTimeout(const Napi::CallbackInfo& info) {
  if (!CheckUsable(info.Env())) return {};
  int timeout = uv_loop_alive(loop_) ? uv_backend_timeout(loop_) : -1;
  return Napi::Number::New(info.Env(), timeout);
}

// Closes every handle, runs the loop until their close callbacks (and any pending requests) are
// done, then closes the loop. Close callbacks run here, inside this JS call.
Napi::Value LoopWrap::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (is_default_) {
    ThrowLoopExternal(env, "close()");
    return {};
  }
  if (loop_ == nullptr) return env.Undefined();
  if (!CheckPrivateIdle(env, "close()")) return {};
  StopEmbedding();
  closing_ = true;
  running_from_js_ = true;
  do {
    CloseOpenHandles();
    uv_run(loop_, UV_RUN_DEFAULT);
  } while (uv_loop_close(loop_) == UV_EBUSY);
  running_from_js_ = false;
  closing_ = false;
  FreeLoop();
  if (ThrowQueuedError(env)) return {};
  return env.Undefined();
}

Napi::Value LoopWrap::Metrics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return {};
  Napi::Object result = Napi::Object::New(env);
  result.Set("idleTime", Napi::Number::New(env, static_cast<double>(uv_metrics_idle_time(loop_)) / 1e6));
  const Features& features = GetFeatures();
  if (features.metrics_info != nullptr) {
    uv_metrics_t metrics{};
    if (features.metrics_info(loop_, &metrics) == 0) {
      result.Set("loopCount", Napi::Number::New(env, static_cast<double>(metrics.loop_count)));
      result.Set("events", Napi::Number::New(env, static_cast<double>(metrics.events)));
      result.Set("eventsWaiting", Napi::Number::New(env, static_cast<double>(metrics.events_waiting)));
    }
  }
  return result;
}

Napi::Value LoopWrap::GetOnError(const Napi::CallbackInfo& info) {
  if (on_error_.IsEmpty()) return info.Env().Null();
  return on_error_.Value();
}

void LoopWrap::SetOnError(const Napi::CallbackInfo& info, const Napi::Value& value) {
  if (value.IsNull() || value.IsUndefined()) {
    on_error_.Reset();
    return;
  }
  if (!value.IsFunction()) {
    ThrowInvalidArgType(info.Env(), "onError", "of type function or null");
    return;
  }
  on_error_ = Napi::Persistent(value.As<Napi::Function>());
}

void LoopWrap::Dispatch(napi_env env, HandleBase* h, napi_value recv, napi_value fn, size_t argc, const napi_value* argv) {
  napi_async_context context = h != nullptr && !running_from_js_ ? h->AsyncContext(env, recv) : nullptr;
  DispatchIn(env, context, recv, fn, argc, argv);
}

void LoopWrap::DispatchIn(napi_env env, napi_async_context context, napi_value recv, napi_value fn, size_t argc, const napi_value* argv) {
  napi_value result;
  if (running_from_js_) {
    if (napi_call_function(env, recv, fn, argc, argv, &result) != napi_ok) HandleRunError(env, recv);
    return;
  }
  if (napi_make_callback(env, context, recv, fn, argc, argv, &result) != napi_ok) HandleUncaught(env, recv, context);
}

// Inside run(): onError may handle the error; otherwise the first error stops the loop and run()
// rethrows it. Errors raised later in the same run() are queued, and each later run() throws the
// next one before running: none is dropped.
void LoopWrap::HandleRunError(napi_env env, napi_value handle) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {  // JS cannot run any more (the environment is terminating)
    uv_stop(loop_);
    return;
  }
  napi_value error;
  napi_get_and_clear_last_exception(env, &error);
  RouteRunError(env, error, handle);
}

void LoopWrap::RouteRunError(napi_env env, napi_value error, napi_value handle) {
  bool pending = false;
  if (!on_error_.IsEmpty()) {
    napi_value args[2] = {error, handle};
    napi_value result;
    if (napi_call_function(env, Value(), on_error_.Value(), 2, args, &result) == napi_ok) return;
    napi_is_exception_pending(env, &pending);
    if (!pending) {
      uv_stop(loop_);
      return;
    }
    napi_get_and_clear_last_exception(env, &error);  // onError threw: that error ends run()
  }
  QueueError(env, error);
  uv_stop(loop_);
}

// On Node's loop (or an embedded loop): onError may handle the error; otherwise it becomes an
// uncaught exception, exactly as a throw from a core Node callback.
void LoopWrap::HandleUncaught(napi_env env, napi_value handle, napi_async_context context) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) return;  // the environment is terminating; nothing can be reported
  napi_value error;
  napi_get_and_clear_last_exception(env, &error);
  RouteUncaught(env, error, handle, context);
}

void LoopWrap::RouteUncaught(napi_env env, napi_value error, napi_value handle, napi_async_context context) {
  bool pending = false;
  if (!on_error_.IsEmpty()) {
    napi_value args[2] = {error, handle};
    napi_value result;
    if (napi_make_callback(env, context, Value(), on_error_.Value(), 2, args, &result) == napi_ok) return;
    napi_is_exception_pending(env, &pending);
    if (!pending) return;
    napi_get_and_clear_last_exception(env, &error);
  }
  napi_fatal_exception(env, error);
}

void LoopWrap::RunNative(napi_env fn_env, napi_async_context context, void (*fn)(void*), void* arg) {
  napi_env env = state_->env;
  napi_value no_handle;
  napi_get_null(env, &no_handle);
  napi_callback_scope scope = nullptr;
  if (!running_from_js_) {
    if (context == nullptr) context = LoopAsyncContext();
    napi_value resource;
    napi_create_object(env, &resource);
    if (context != nullptr && napi_open_callback_scope(env, resource, context, &scope) != napi_ok) scope = nullptr;
  }
  fn(arg);
  // Node-API keeps an exception of a call made outside a JS callback in the env that made the call.
  bool pending = false;
  napi_is_exception_pending(fn_env, &pending);
  if (pending) {
    napi_value error;
    napi_get_and_clear_last_exception(fn_env, &error);
    if (running_from_js_) RouteRunError(env, error, no_handle);
    else RouteUncaught(env, error, no_handle, context);
  }
  if (scope != nullptr) napi_close_callback_scope(env, scope);
}

// reportError(error, handle?): routes an error exactly as if a callback of this loop had thrown it.
// The TS layer uses it when one native callback ran several user callbacks that all threw.
Napi::Value LoopWrap::ReportError(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return {};
  napi_value handle = info[1].IsUndefined() ? env.Null() : info[1];
  if (running_from_js_) RouteRunError(env, info[0], handle);
  else RouteUncaught(env, info[0], handle, LoopAsyncContext());
  return env.Undefined();
}

void LoopWrap::QueueError(napi_env env, napi_value error) {
  Napi::Env e(env);
  if (errors_.IsEmpty()) errors_ = Napi::Persistent(Napi::Array::New(e).As<Napi::Object>());
  Napi::Array list = errors_.Value().As<Napi::Array>();
  list.Set(list.Length(), Napi::Value(e, error));
}

bool LoopWrap::ThrowQueuedError(napi_env env) {
  if (errors_.IsEmpty()) return false;
  Napi::Array list = errors_.Value().As<Napi::Array>();
  uint32_t length = list.Length();
  if (errors_head_ >= length) return false;
  Napi::Value error = list.Get(errors_head_++);
  if (errors_head_ >= length) {
    errors_.Reset();
    errors_head_ = 0;
  }
  napi_throw(env, error);
  return true;
}

namespace {

struct FdSearch {
  const uv_handle_t* self;
  uv_os_fd_t fd;
  bool found;
};

void FindFd(uv_handle_t* handle, void* arg) {
  auto* search = static_cast<FdSearch*>(arg);
  uv_os_fd_t fd;
  if (handle == search->self || uv_is_closing(handle)) return;
  if (uv_fileno(handle, &fd) == 0 && fd == search->fd) search->found = true;
}

}  // namespace

bool CheckFdFree(Napi::Env env, AddonState* state, const uv_handle_t* self, int64_t fd, const char* syscall) {
#ifdef _WIN32
  // A socket there (what uv_fileno gives for TCP, UDP and Pipe); a TTY's CRT fd never matches.
  FdSearch search{self, reinterpret_cast<uv_os_fd_t>(static_cast<intptr_t>(fd)), false};
#else
  FdSearch search{self, static_cast<uv_os_fd_t>(fd), false};
#endif
  uv_loop_t* node_loop = nullptr;
  napi_get_uv_event_loop(env, &node_loop);
  if (node_loop != nullptr) uv_walk(node_loop, FindFd, &search);
  for (LoopWrap* loop : state->loops) {
    if (loop->uv() != nullptr && loop->uv() != node_loop) uv_walk(loop->uv(), FindFd, &search);
  }
  if (!search.found) return true;
  ThrowUVErrorNoting(env, UV_EEXIST, syscall, "fd " + std::to_string(fd) + " belongs to another open handle: close that one first, or pass a dup() of it");
  return false;
}

}  // namespace uvkit
