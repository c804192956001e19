// How Node's loop drives an embedded private loop (loop.embed()). Two ways, one interface:
// - PollEmbedder (embed.cc): Node's loop polls our backend fd (epoll, kqueue) and keeps a timer for
//   our backend timeout; no thread. The default where the backend fd is pollable.
// - ThreadEmbedder (embed_thread.cc): a helper thread blocks on our backend until an event or the
//   timeout, then wakes Node's loop with a uv_async, and waits until that turn is over. For
//   platforms with no pollable backend fd (Windows' IOCP), or on request (`embed({ thread: true })`).
// Either way the turn itself (uv_run NOWAIT) runs on the JS thread, in LoopWrap::Drive().
#pragma once

#include <uv.h>

#include "addon.h"

namespace uvkit {

class LoopWrap;

// A libuv handle on Node's loop that belongs to an embedder (closed through HandleBase::OnUvClose,
// which deletes the box and counts it for env teardown).
template <typename UvT>
struct EmbedBox : UvHandleHeader {
  UvT uv{};
  LoopWrap* loop = nullptr;
  struct Embedder* embedder = nullptr;  // for callbacks that need their embedder, not just the loop

  static EmbedBox* New(LoopWrap* loop, AddonState* state) {
    auto* box = new EmbedBox();
    box->state = state;
    box->loop = loop;
    box->uv.data = static_cast<UvHandleHeader*>(box);
    ++state->live_uv_handles;
    return box;
  }
  // The loop to drive, or nullptr once the environment is exiting.
  static LoopWrap* LoopOf(UvT* uv) {
    auto* box = static_cast<EmbedBox*>(static_cast<UvHandleHeader*>(uv->data));
    return box->state->exiting ? nullptr : box->loop;
  }
  uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&uv); }
};

struct Embedder {
  virtual ~Embedder() = default;
  // Wait for the embedded loop's next event; `timeout` ms as uv_backend_timeout gives it (-1: none,
  // 0: turn again right away, e.g. because JS changed watchers libuv has not handed to the kernel).
  virtual void Arm(int timeout) = 0;
  // JS changed the loop outside a turn: make Node's loop turn it soon.
  virtual void Kick() = 0;
  // Node's loop stays alive exactly while the embedded loop has referenced work.
  virtual void SetReferenced(bool referenced) = 0;
  // Closes the embedder's handles on Node's loop (and joins its thread); then `delete`.
  virtual void Stop() = 0;
};

// Both return nullptr after throwing.
Embedder* NewPollEmbedder(napi_env env, LoopWrap* loop, uv_loop_t* node_loop);
Embedder* NewThreadEmbedder(napi_env env, LoopWrap* loop, uv_loop_t* node_loop);

}  // namespace uvkit
