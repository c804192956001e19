// Loop: Node's loop of the current environment (borrowed) or a private loop (owned), the list of
// uvkit handles on it, the rules for calling JS from its callbacks, and embedding into Node's loop.
#pragma once

#include <napi.h>
#include <uv.h>

#include <unordered_set>

#include "addon.h"
#include "list.h"

namespace uvkit {

class HandleBase;
struct Embedder;
struct FsQueue;
struct PoolRequest;

class LoopWrap : public Napi::ObjectWrap<LoopWrap> {
 public:
  static constexpr napi_type_tag kTypeTag = {0x75766b69744c6f6fULL, 0x7000000000000001ULL};
  static constexpr const char* kClassName = "Loop";

  static Napi::Function Define(Napi::Env env);
  // The loop behind a JS value, or nullptr after throwing (not a Loop, or a closed one).
  static LoopWrap* FromValue(Napi::Env env, Napi::Value value);

  explicit LoopWrap(const Napi::CallbackInfo& info);
  ~LoopWrap() override;

  uv_loop_t* uv() const { return loop_; }
  bool is_default() const { return is_default_; }
  bool running_from_js() const { return running_from_js_; }
  AddonState* state() const { return state_; }

  // Calls fn for handle h (or for the loop when h is null) following DESIGN.md "Calling into JS":
  // directly inside run() (errors stop run() and are rethrown by it), through napi_make_callback
  // otherwise (errors go to onError, else to process 'uncaughtException').
  void Dispatch(napi_env env, HandleBase* h, napi_value recv, napi_value fn, size_t argc, const napi_value* argv);
  // The same for a call that has its own async context (used on Node's loop; may be null).
  void DispatchIn(napi_env env, napi_async_context context, napi_value recv, napi_value fn, size_t argc, const napi_value* argv);

  // Runs native code of another addon that may use Node-API, with that addon's `fn_env`, as a
  // callback of this loop (the C ABI's done functions): directly inside run(), else in a callback
  // scope of `context` (the loop's own when null), so microtasks and ticks run after it. An
  // exception it leaves pending takes the path of a callback error, with a null handle.
  void RunNative(napi_env fn_env, napi_async_context context, void (*fn)(void*), void* arg);

  // After any JS call that may have changed an embedded loop: make Node's loop turn it soon.
  void AfterJsCall();
  // One turn of an embedded loop, run by its embedder from Node's loop (embed.cc).
  void Drive();
  // Env teardown: close everything without calling JS; private loops are run until closed.
  void Teardown();

  IntrusiveList<HandleBase> handles;
  FsQueue* fs_queue = nullptr;  // completions of fs requests on this loop (fs_queue.h)
  IntrusiveList<PoolRequest> pool_requests;  // started on this loop, not yet called back (pool_request.h)
  // The fds that have a Poll on this loop (poll.cc): a second Poll for one of them is refused.
  // libuv allows one watcher per fd per loop (two aborted older libuv, pyuv#54; in 1.46, closing
  // one of two Polls made before either started silently unregisters the other).
  std::unordered_set<int> polled_fds;

 private:
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Now(const Napi::CallbackInfo& info);
  Napi::Value UpdateTime(const Napi::CallbackInfo& info);
  Napi::Value GetAlive(const Napi::CallbackInfo& info);
  Napi::Value GetIsDefault(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);
  Napi::Value GetHandles(const Napi::CallbackInfo& info);
  Napi::Value BackendFd(const Napi::CallbackInfo& info);
  Napi::Value BackendTimeout(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Metrics(const Napi::CallbackInfo& info);
  Napi::Value Embed(const Napi::CallbackInfo& info);
  Napi::Value Unembed(const Napi::CallbackInfo& info);
  Napi::Value GetEmbedded(const Napi::CallbackInfo& info);
  Napi::Value GetOnError(const Napi::CallbackInfo& info);
  void SetOnError(const Napi::CallbackInfo& info, const Napi::Value& value);

  bool CheckUsable(Napi::Env env);  // throws ERR_LOOP_CLOSED
  bool CheckPrivateIdle(Napi::Env env, const char* what);  // not default, not closed, not running
  void CloseOpenHandles();
  void DetachAllHandles();
  void RunUntilClosed();
  void FreeLoop();
  void DestroyAsyncContext();

  Napi::Value ReportError(const Napi::CallbackInfo& info);
  void HandleRunError(napi_env env, napi_value handle);
  void RouteRunError(napi_env env, napi_value error, napi_value handle);
  void HandleUncaught(napi_env env, napi_value handle, napi_async_context context);
  void RouteUncaught(napi_env env, napi_value error, napi_value handle, napi_async_context context);
  void QueueError(napi_env env, napi_value error);
  bool ThrowQueuedError(napi_env env);

  // Embedding (embed.h): an Embedder on Node's loop turns us (Drive) when we have events.
  napi_async_context LoopAsyncContext();
  void Rearm();
  void StopEmbedding();

  AddonState* state_;
  uv_loop_t* loop_ = nullptr;  // null once closed
  bool is_default_ = false;
  bool running_from_js_ = false;  // inside run() (or close()), called from JS
  bool driving_ = false;          // inside uv_run started by the embedder
  bool closing_ = false;          // close() in progress: no new handles
  bool dirty_ = false;            // JS changed us while we were being driven
  Embedder* embedder_ = nullptr;
  bool embedded_by_thread_ = false;
  Napi::FunctionReference on_error_;
  napi_async_context async_context_ = nullptr;  // for turns driven from Node's loop
  Napi::ObjectReference errors_;  // callback errors waiting for run() to rethrow them
  uint32_t errors_head_ = 0;

 public:
  bool accepting_handles() const { return loop_ != nullptr && !closing_; }
};

// A handle that takes an fd as its own (new TTY(fd), open(fd)) must not take one that an open
// handle of this thread already has, on any loop, Node's included: the two would close it under
// each other, and libuv aborts the process when it next registers the survivor's fd with epoll
// (EBADF). libuv itself refuses this only within one loop, and not for a TTY. Throws EEXIST
// (naming the fd) and returns false when a handle other than `self` has `fd` (self's own fd is
// libuv's EBUSY to report).
bool CheckFdFree(Napi::Env env, AddonState* state, const uv_handle_t* self, int64_t fd, const char* syscall);

}  // namespace uvkit
