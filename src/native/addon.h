// Per-environment state (main thread or worker) and the environment teardown.
// Nothing here is static: each Node environment gets its own AddonState through instance data.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <vector>

#include "box_pool.h"

namespace uvkit {

class LoopWrap;
class HandleBase;
struct AddonState;
struct FsState;
struct PoolRequests;

// Every uv handle uvkit creates is allocated inside one of these; uv's `data` points at the
// header, so a libuv callback can always reach the addon state, even after the JS wrapper is gone.
struct UvHandleHeader {
  virtual ~UvHandleHeader() = default;  // the close callback deletes boxes through the header
  static void* operator new(std::size_t size) { return AllocateBox(size); }
  static void operator delete(void* pointer, std::size_t size) { FreeBox(pointer, size); }
  HandleBase* owner = nullptr;  // null once the JS wrapper let go (GC, loop GC or env teardown)
  AddonState* state = nullptr;
};

// The `data` field of a uv handle; a box type that is not a plain uv handle (ProcessUv, a union of
// two) declares its own overload beside it, found at the point of use.
template <typename UvT>
void*& HandleData(UvT& uv) {
  return uv.data;
}

template <typename UvT>
struct UvBox : UvHandleHeader {
  UvT uv{};
};

// The JS functions native code calls, registered once by the TS layer (binding.setCallback) and
// called with the handle as `this`: no reference per handle or per start(), and the TS classes
// keep each handle's own callback in a private field.
enum class Callback : int {
  kClose, kTimer, kPrepare, kCheck, kIdle, kAsync, kSignal,
  kRead, kWrite, kShutdown, kConnect, kConnection,
  kRecv, kRecvBatch, kSend, kExit,
  kPoll, kFsEvent, kFsPoll, kFsDone, kRequestDone,
  kCount
};

struct AddonState {
  explicit AddonState(napi_env e) : env(e) {}

  napi_env env;
  bool exiting = false;  // set by the teardown hook: from then on no JS is ever called
  napi_async_cleanup_hook_handle cleanup_hook = nullptr;
  int64_t live_uv_handles = 0;  // boxes allocated and not yet freed by their close callback
  int64_t live_handles = 0;     // JS-visible handles not yet closed (for the test harness)

  Napi::FunctionReference uv_error_ctor;  // errors.UVError, registered by the TS layer
  Napi::FunctionReference callbacks[static_cast<int>(Callback::kCount)];
  LoopWrap* default_loop = nullptr;
  // Stream reads land here (stream.cc): an ArrayBuffer JS owns, handed out as Buffer views.
  Napi::Reference<Napi::Value> read_slab;
  size_t read_slab_used = 0;

  // Allocates a box for a uv handle and counts it until HandleBase::OnUvClose frees it.
  template <typename UvT>
  UvBox<UvT>* NewBox(HandleBase* owner) {
    auto* box = new UvBox<UvT>();
    box->owner = owner;
    box->state = this;
    HandleData(box->uv) = static_cast<UvHandleHeader*>(box);
    ++live_uv_handles;
    return box;
  }

  static AddonState* Get(napi_env env);
  // The state of the environment running on this thread (Node runs one per thread), for callers
  // that come with another addon's napi_env (the C ABI, work.cc); nullptr when there is none.
  static AddonState* OfThisThread();
  void RegisterLoop(LoopWrap* loop);
  void UnregisterLoop(LoopWrap* loop);
  void MaybeFinishTeardown();
  static void OnEnvCleanup(napi_async_cleanup_hook_handle handle, void* arg);

  // Children of closed Process handles not waited for yet, and the SIGCHLD watcher (reaper.h).
  std::vector<int> orphan_children;
  uv_signal_t* reaper = nullptr;
  // Collected private loops that could not close at once, and the timer on Node's loop that turns
  // them until they can (orphan_loop.h).
  std::vector<uv_loop_t*> orphan_loops;
  uv_timer_t* orphan_timer = nullptr;

  FsState* fs = nullptr;  // fs requests and open directories (fs.h), made on first use
  PoolRequests* pool_requests = nullptr;  // DNS lookups and queued work in flight (pool_request.h)

  std::vector<LoopWrap*> loops;  // every loop of this environment that is not closed
  // The Loop object a handle constructor was last given and its loop (weakly held; cleared when
  // that loop leaves `loops`): making many handles on one loop skips napi_unwrap (loop.cc).
  Napi::Reference<Napi::Value> last_loop_object;
  LoopWrap* last_loop = nullptr;
  // Handle objects whose napi_wrap failed (a worker terminated during their constructor): no
  // finalizer will ever free them, so the environment's end does (~AddonState).
  std::vector<HandleBase*> orphans;
  ~AddonState();
};

}  // namespace uvkit
