// The completions of one loop's fs requests, handed to JS in one call per loop iteration.
//
// libuv calls each request back separately from the loop's poll phase. Calling JS for each would
// cost one crossing (and, on Node's loop, one callback scope with its microtask checkpoint) per
// request. Instead each completion is queued, and a check handle (which runs right after the poll
// phase) writes all of them into one Float64Array and calls JS once.
#pragma once

#include <napi.h>
#include <uv.h>

#include <vector>

#include "fs.h"

namespace uvkit {

class LoopWrap;

struct FsQueue {
  uv_check_t check{};
  // Runs (and keeps the loop turning without blocking) while requests completed without the
  // thread pool wait for delivery (FsQueueCompletedNow).
  uv_idle_t idle{};
  int open_handles = 0;  // check and idle until their close callbacks
  AddonState* state = nullptr;
  FsState* fs = nullptr;
  LoopWrap* loop = nullptr;  // null once detached: completions are then dropped without JS
  std::vector<FsReq*> done;  // finished, not yet handed to JS
  uint32_t in_flight = 0;    // started, not yet called back by libuv
  bool check_closed = false;
  // Completion records (kFsRecordStride doubles each), reused while large enough.
  Napi::Reference<Napi::Float64Array> records;
  double* records_data = nullptr;
  size_t records_capacity = 0;  // in records
};

// The queue of a loop, made on first use; nullptr after throwing.
FsQueue* FsQueueOf(Napi::Env env, LoopWrap* loop);
// The uv_fs_cb of every async request.
void OnFsDone(uv_fs_t* req);
// A request that completed at once, without libuv (a read of cached data): delivered on the next
// loop turn, never from inside the call that started it.
void FsQueueCompletedNow(FsQueue* queue, FsReq* r);
// uv handles each open queue holds (debugCounts leaves them out, as it does the reaper).
inline constexpr int kFsQueueHandles = 2;
// loop.close(): closes the queue once no request is in flight (the loop runs until then).
void CloseFsQueueIfIdle(LoopWrap* loop);
// Env teardown or a collected loop: no JS any more; cancels what can be cancelled, frees the rest
// as libuv calls back.
void DetachFsQueue(LoopWrap* loop);

}  // namespace uvkit
