#include "fs_queue.h"

#include "addon.h"
#include "errors.h"
#include "loop.h"

namespace uvkit {

namespace {

void DeleteQueue(FsQueue* queue) {
  --queue->fs->open_queues;
  AddonState* state = queue->state;
  delete queue;
  state->MaybeFinishTeardown();
}

void OnCheckClosed(uv_handle_t* handle) {
  auto* queue = static_cast<FsQueue*>(handle->data);
  --queue->state->live_uv_handles;
  if (--queue->open_handles > 0) return;
  queue->check_closed = true;
  if (queue->in_flight == 0) DeleteQueue(queue);
}

void CloseCheck(FsQueue* queue) {
  queue->records.Reset();
  queue->records_data = nullptr;
  queue->records_capacity = 0;
  uv_close(reinterpret_cast<uv_handle_t*>(&queue->check), OnCheckClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&queue->idle), OnCheckClosed);
}

// Room for `count` records, in a new array when the current one is too small.
bool ReserveRecords(napi_env env, FsQueue* queue, size_t count) {
  // JS may have detached the array it was handed (a transferred buffer): its memory then belongs
  // to someone else and must not be written. Detached, its length is 0: a new array replaces it.
  if (count <= queue->records_capacity && !queue->records.IsEmpty() && queue->records.Value().ElementLength() != 0) return true;
  size_t capacity = queue->records_capacity == 0 ? 64 : queue->records_capacity;
  while (capacity < count) capacity *= 2;
  Napi::Float64Array array = Napi::Float64Array::New(Napi::Env{env}, capacity * kFsRecordStride);
  // A terminating worker gets no array (and no exception): checking the data is what is reliable.
  if (Napi::Env{env}.IsExceptionPending() || array.IsEmpty() || array.Data() == nullptr) return false;
  queue->records = Napi::Persistent(array);
  queue->records_data = array.Data();
  queue->records_capacity = capacity;
  return true;
}

// Hands every finished request to JS: fsDone.call(loop, count, records, extras).
void Deliver(FsQueue* queue, std::vector<FsReq*>& done) {
  napi_env env = queue->state->env;
  Napi::HandleScope scope(Napi::Env{env});
  size_t count = done.size();
  napi_value extras = nullptr;
  const Napi::FunctionReference& fn = queue->state->callbacks[static_cast<int>(Callback::kFsDone)];
  // Without a callback to call (or room for the records) the results are dropped: FsDrop closes
  // what they opened.
  bool ok = !fn.IsEmpty() && ReserveRecords(env, queue, count);
  for (size_t i = 0; i < count; ++i) {
    FsReq& r = *done[i];
    if (ok) {
      double* record = queue->records_data + i * kFsRecordStride;
      record[0] = r.slot;
      record[1] = FsResultNumber(queue->fs, r);
      FsNumericResult(r, record + 2);
      napi_value extra = FsExtraResult(env, queue->fs, r);
      if (extra != nullptr) {
        if (extras == nullptr) napi_create_array_with_length(env, count, &extras);
        napi_set_element(env, extras, static_cast<uint32_t>(i), extra);
      }
    }
    if (ok) FsRelease(queue->fs, r);
    else FsDrop(queue->fs, r);
  }
  if (!ok) return;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_value args[3] = {Napi::Number::New(env, static_cast<double>(count)), queue->records.Value(),
                        extras != nullptr ? extras : undefined};
  queue->loop->Dispatch(env, nullptr, queue->loop->Value(), fn.Value(), 3, args);
}

void Flush(FsQueue* queue) {
  uv_check_stop(&queue->check);
  uv_idle_stop(&queue->idle);
  std::vector<FsReq*> done;
  done.swap(queue->done);
  if (queue->loop == nullptr || queue->state->exiting) {
    for (FsReq* r : done) FsDrop(queue->fs, *r);
    return;
  }
  Deliver(queue, done);
  done.clear();
  if (queue->done.empty()) queue->done.swap(done);  // keeps the vector's capacity
}

void OnCheck(uv_check_t* handle) { Flush(static_cast<FsQueue*>(handle->data)); }
void OnIdle(uv_idle_t* handle) { Flush(static_cast<FsQueue*>(handle->data)); }

}  // namespace

FsQueue* FsQueueOf(Napi::Env env, LoopWrap* loop) {
  if (loop->fs_queue != nullptr) return loop->fs_queue;
  auto* queue = new FsQueue();
  queue->state = loop->state();
  queue->fs = GetFsState(queue->state);
  queue->loop = loop;
  int err = uv_check_init(loop->uv(), &queue->check);
  if (err != 0) {
    delete queue;
    ThrowUVError(env, err, "uv_check_init");
    return nullptr;
  }
  uv_idle_init(loop->uv(), &queue->idle);  // cannot fail once the check's init succeeded
  queue->check.data = queue;
  queue->idle.data = queue;
  // The check only runs to deliver completions; pending requests keep the loop alive themselves.
  // The idle is referenced: while active it holds the completions no libuv request stands for.
  uv_unref(reinterpret_cast<uv_handle_t*>(&queue->check));
  queue->open_handles = kFsQueueHandles;
  queue->state->live_uv_handles += kFsQueueHandles;
  ++queue->fs->open_queues;
  loop->fs_queue = queue;
  return queue;
}

void OnFsDone(uv_fs_t* req) {
  auto* r = reinterpret_cast<FsReq*>(req);
  FsQueue* queue = r->queue;
  UnpinFsBuffers(queue->state->env, *r);  // no thread uses them any more
  r->finished = true;
  --queue->in_flight;
  --queue->fs->in_flight;
  if (queue->loop == nullptr) {
    FsDrop(queue->fs, *r);
    if (queue->in_flight == 0 && queue->check_closed) DeleteQueue(queue);
    else queue->state->MaybeFinishTeardown();
    return;
  }
  queue->done.push_back(r);
  // Nothing else of this loop can finish before the check phase: deliver now, as Node does from
  // this phase. (Waiting for the check phase delays the next request's start; a sequential reader
  // then finds the pool thread asleep more often: ~10% of read throughput.)
  if (queue->in_flight == 0) {
    Flush(queue);
    return;
  }
  if (queue->done.size() == 1) uv_check_start(&queue->check, OnCheck);
}

void FsQueueCompletedNow(FsQueue* queue, FsReq* r) {
  r->finished = true;
  queue->done.push_back(r);
  uv_idle_start(&queue->idle, OnIdle);
}

void CloseFsQueueIfIdle(LoopWrap* loop) {
  FsQueue* queue = loop->fs_queue;
  if (queue == nullptr || queue->in_flight != 0 || !queue->done.empty()) return;
  loop->fs_queue = nullptr;
  queue->loop = nullptr;
  CloseCheck(queue);
}

void DetachFsQueue(LoopWrap* loop) {
  FsQueue* queue = loop->fs_queue;
  if (queue == nullptr) return;
  loop->fs_queue = nullptr;
  queue->loop = nullptr;
  for (FsReq* r : queue->done) FsDrop(queue->fs, *r);
  queue->done.clear();
  for (auto& r : queue->fs->requests) {
    if (r && r->busy && !r->finished && r->queue == queue) uv_cancel(reinterpret_cast<uv_req_t*>(&r->uv));
  }
  CloseCheck(queue);
}

}  // namespace uvkit
