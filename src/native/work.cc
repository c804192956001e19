// Built-in thread-pool tasks: sleep, checksum, copy, fill, hashFile. Each runs in a pool thread on
// the caller's memory (pinned here until libuv calls back) and reports one number, or for
// hashFile a checksum and a byte count.
#include "work.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../include/uvkit.h"
#include "checksum.h"
#include "errors.h"
#include "loop.h"
#include "pool_request.h"

namespace uvkit {

namespace {

// kExternal: another addon's work through the C ABI (include/uvkit.h); never from JS.
enum class Task : int { kSleep = 0, kChecksum = 1, kCopy = 2, kFill = 3, kHashFile = 4, kCount, kExternal };

constexpr size_t kHashChunk = 1024 * 1024;
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;
constexpr unsigned kSleepSlice = 10;  // ms: how soon a sleep of a detached request ends

struct WorkRequest : PoolRequest {
  uv_work_t req{};
  uv_req_t* uv() override { return reinterpret_cast<uv_req_t*>(&req); }
  void Abandon() override { abandoned.store(true, std::memory_order_relaxed); }

  Task task = Task::kCount;
  // The caller's buffers ([destination or data, source]), held until libuv calls back.
  napi_ref pin = nullptr;
  uint8_t* data = nullptr;
  size_t length = 0;
  const uint8_t* source = nullptr;
  size_t source_length = 0;
  int64_t number = 0;  // sleep: ms; fill: the byte; checksum: the running value; hashFile: offset
  int64_t limit = -1;  // hashFile: bytes to read at most (-1: to the end)
  ChecksumAlgorithm algorithm = ChecksumAlgorithm::kCrc32c;
  uv_file fd = -1;
  uvkit_work_fn external_work = nullptr;
  uvkit_done_fn external_done = nullptr;
  void* external_data = nullptr;
  napi_env external_env = nullptr;  // the calling addon's env, which its done function gets
  // Set when the request is detached: a sleep or file hash still running ends early.
  std::atomic<bool> abandoned{false};

  int error = 0;    // a failure inside the task (hashFile's read)
  double value = 0;  // the result: checksum, bytes copied or filled
  double bytes = 0;  // hashFile: bytes read
};

// --- in a pool thread ---

void Sleep(WorkRequest* r) {
  for (int64_t left = r->number; left > 0 && !r->abandoned.load(std::memory_order_relaxed); left -= kSleepSlice) {
    uv_sleep(static_cast<unsigned>(left < kSleepSlice ? left : kSleepSlice));
  }
}

void HashFile(WorkRequest* r) {
  std::vector<uint8_t> chunk(kHashChunk);
  uint32_t crc = 0;
  int64_t offset = r->number;
  int64_t total = 0;
  while ((r->limit < 0 || total < r->limit) && !r->abandoned.load(std::memory_order_relaxed)) {
    size_t want = chunk.size();
    if (r->limit >= 0 && static_cast<int64_t>(want) > r->limit - total) want = static_cast<size_t>(r->limit - total);
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(chunk.data()), static_cast<unsigned>(want));
    uv_fs_t read_req;
    int64_t n = uv_fs_read(nullptr, &read_req, r->fd, &buf, 1, offset, nullptr);  // synchronous
    uv_fs_req_cleanup(&read_req);
    if (n < 0) {
      r->error = static_cast<int>(n);
      return;
    }
    if (n == 0) break;
    crc = Checksum(r->algorithm, crc, chunk.data(), static_cast<size_t>(n));
    offset += n;
    total += n;
  }
  r->value = crc;
  r->bytes = static_cast<double>(total);
}

void RunTask(uv_work_t* req) {
  auto* r = static_cast<WorkRequest*>(req->data);
  switch (r->task) {
    case Task::kSleep:
      Sleep(r);
      break;
    case Task::kChecksum:
      r->value = r->length > 0 ? Checksum(r->algorithm, static_cast<uint32_t>(r->number), r->data, r->length) : r->number;
      break;
    case Task::kCopy: {
      // (An empty or detached view has no memory at all: memmove must not see its null pointer.)
      size_t n = r->length < r->source_length ? r->length : r->source_length;
      if (n > 0) std::memmove(r->data, r->source, n);  // the two may be views of one buffer
      r->value = static_cast<double>(n);
      break;
    }
    case Task::kFill:
      if (r->length > 0) std::memset(r->data, static_cast<int>(r->number), r->length);
      r->value = static_cast<double>(r->length);
      break;
    case Task::kHashFile:
      HashFile(r);
      break;
    case Task::kExternal:
      r->external_work(r->external_data);
      break;
    case Task::kCount:
      break;
  }
}

// --- back on the loop's thread ---

// The C ABI's done function: as a callback of the loop when JS may run, else with a null env.
void FinishExternal(WorkRequest* r, int status) {
  LoopWrap* loop = r->loop;
  if (!BeginPoolCompletion(r)) {
    r->external_done(nullptr, status, r->external_data);
    return;
  }
  Napi::HandleScope scope{Napi::Env(r->state->env)};
  struct Call {
    WorkRequest* r;
    int status;
  } call{r, status};
  loop->RunNative(r->external_env, r->context, [](void* arg) {
    auto* c = static_cast<Call*>(arg);
    c->r->external_done(c->r->external_env, c->status, c->r->external_data);
  }, &call);
}

void AfterTask(uv_work_t* req, int status) {
  auto* r = static_cast<WorkRequest*>(req->data);
  if (r->task == Task::kExternal) {
    FinishExternal(r, status);
    FreePoolRequest(r);
    return;
  }
  if (r->pin != nullptr) napi_delete_reference(r->state->env, r->pin);  // no thread uses them now
  r->pin = nullptr;
  if (status == 0) status = r->error;
  CompletePoolRequest(r, status, [r](Napi::Env env) -> Napi::Value {
    if (r->task == Task::kSleep) return env.Undefined();
    if (r->task != Task::kHashFile) return Napi::Number::New(env, r->value);
    Napi::Object result = Napi::Object::New(env);
    result.Set("checksum", Napi::Number::New(env, r->value));
    result.Set("bytes", Napi::Number::New(env, r->bytes));
    return result;
  });
  FreePoolRequest(r);
}

// --- starting ---

bool ReadBytes(const Napi::CallbackInfo& info, size_t i, const char* name, uint8_t** data, size_t* length) {
  char* bytes = nullptr;
  if (!ReadView(info.Env(), info[i], name, &bytes, length)) return false;
  *data = reinterpret_cast<uint8_t*>(bytes);
  return true;
}

bool ReadAlgorithm(const Napi::CallbackInfo& info, size_t i, ChecksumAlgorithm* out) {
  int64_t algorithm = 0;
  if (!ReadInt(info, i, "algorithm", 0, 1, &algorithm)) return false;
  *out = static_cast<ChecksumAlgorithm>(algorithm);
  return true;
}

// The buffers of a task, held until libuv calls back (at most two: copy's target and source).
struct Pinned {
  napi_value at[2] = {nullptr, nullptr};
  uint32_t count = 0;
  void push_back(napi_value v) { at[count++] = v; }
};

// The task's arguments from info[2...] (see queue() below); the buffers to pin in `pinned`.
bool ReadTask(const Napi::CallbackInfo& info, WorkRequest* r, Pinned* pinned) {
  switch (r->task) {
    case Task::kSleep:
      return ReadInt(info, 2, "ms", 0, INT32_MAX, &r->number);
    case Task::kChecksum:
      pinned->push_back(info[2]);
      return ReadBytes(info, 2, "buffer", &r->data, &r->length) && ReadAlgorithm(info, 3, &r->algorithm) &&
             ReadInt(info, 4, "initial", 0, UINT32_MAX, &r->number);
    case Task::kCopy: {
      uint8_t* source = nullptr;
      pinned->push_back(info[2]);
      pinned->push_back(info[3]);
      if (!ReadBytes(info, 2, "target", &r->data, &r->length) || !ReadBytes(info, 3, "source", &source, &r->source_length)) return false;
      r->source = source;
      return true;
    }
    case Task::kFill:
      pinned->push_back(info[2]);
      return ReadBytes(info, 2, "buffer", &r->data, &r->length) && ReadInt(info, 3, "value", 0, 255, &r->number);
    case Task::kHashFile: {
      int64_t fd = 0;
      if (!ReadInt(info, 2, "fd", 0, INT32_MAX, &fd) || !ReadAlgorithm(info, 3, &r->algorithm) ||
          !ReadInt(info, 4, "offset", 0, kMaxSafeInteger, &r->number) || !ReadInt(info, 5, "length", -1, kMaxSafeInteger, &r->limit)) {
        return false;
      }
      r->fd = static_cast<uv_file>(fd);
      return true;
    }
    case Task::kCount:
    case Task::kExternal:
      break;
  }
  return false;
}

// One buffer is referenced as it is; two go into an array first.
napi_ref Pin(napi_env env, const Pinned& values) {
  if (values.count == 0) return nullptr;
  napi_value held = values.at[0];
  if (values.count > 1) {
    napi_create_array_with_length(env, values.count, &held);
    for (uint32_t i = 0; i < values.count; ++i) napi_set_element(env, held, i, values.at[i]);
  }
  napi_ref ref = nullptr;
  napi_create_reference(env, held, 1, &ref);
  return ref;
}

// queue(loop, task, ...args) -> request number. Tasks and their arguments:
//   0 sleep(ms)   1 checksum(buffer, algorithm, initial)   2 copy(target, source)
//   3 fill(buffer, value)   4 hashFile(fd, algorithm, offset, length | -1)
// algorithm: 0 crc32c, 1 crc32.
Napi::Value Queue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LoopWrap* loop = LoopWrap::FromValue(env, info[0]);
  if (loop == nullptr) return {};
  if (!loop->accepting_handles()) {
    ThrowLoopClosed(env);
    return {};
  }
  int64_t task = 0;
  if (!ReadInt(info, 1, "task", 0, static_cast<int64_t>(Task::kCount) - 1, &task)) return {};
  auto* r = new WorkRequest();
  r->task = static_cast<Task>(task);
  Pinned pinned;
  if (!ReadTask(info, r, &pinned)) {
    delete r;
    return {};
  }
  PreparePoolRequest(loop->state(), loop, r);
  r->req.data = r;
  int err = uv_queue_work(loop->uv(), &r->req, RunTask, AfterTask);
  if (err != 0) {
    delete r;
    ThrowUVError(env, err, "uv_queue_work");
    return {};
  }
  r->pin = Pin(env, pinned);
  return PoolRequestStarted(env, r);
}

// --- the C ABI (include/uvkit.h) ---

// The open loop of this thread's environment behind `value`, or nullptr. `env` is the calling
// addon's; unwrapping works across addons of one environment, and the pointer is only trusted once
// it is found among this environment's loops.
LoopWrap* AbiLoop(AddonState* state, napi_env env, napi_value value) {
  void* pointer = nullptr;
  if (value == nullptr || napi_unwrap(env, value, &pointer) != napi_ok) return nullptr;
  for (LoopWrap* loop : state->loops) {
    if (loop == pointer && loop->accepting_handles()) return loop;
  }
  return nullptr;
}

int64_t AbiQueueWork(napi_env env, napi_value loop_value, uvkit_work_fn work_fn, uvkit_done_fn done_fn, void* data) {
  AddonState* state = AddonState::OfThisThread();
  if (state == nullptr || state->exiting || env == nullptr || work_fn == nullptr || done_fn == nullptr) return UV_EINVAL;
  LoopWrap* loop = AbiLoop(state, env, loop_value);
  if (loop == nullptr) return UV_EINVAL;
  auto* r = new WorkRequest();
  r->task = Task::kExternal;
  r->external_work = work_fn;
  r->external_done = done_fn;
  r->external_data = data;
  r->external_env = env;
  PreparePoolRequest(state, loop, r);
  r->req.data = r;
  int err = uv_queue_work(loop->uv(), &r->req, RunTask, AfterTask);
  if (err != 0) {
    delete r;
    return err;
  }
  Napi::HandleScope scope{Napi::Env(state->env)};
  PoolRequestStarted(Napi::Env(state->env), r);
  return r->id;
}

int AbiCancel(napi_env, int64_t id) {
  AddonState* state = AddonState::OfThisThread();
  if (state == nullptr || id <= 0 || id > UINT32_MAX) return 0;
  return CancelPoolRequest(state, static_cast<uint32_t>(id)) ? 1 : 0;
}

const uvkit_abi kAbi = {UVKIT_ABI_VERSION, sizeof(uvkit_abi), AbiQueueWork, AbiCancel};

}  // namespace

int ThreadPoolSize() {
  // libuv's own reading (threadpool.c, init_threads): atoi into an unsigned count, 0 means 1, more
  // than 1024 (a negative number among them) means 1024.
  static const int size = [] {
    const char* value = std::getenv("UV_THREADPOOL_SIZE");
    unsigned n = value != nullptr ? static_cast<unsigned>(std::atoi(value)) : 4;
    if (n == 0) n = 1;
    if (n > 1024) n = 1024;
    return static_cast<int>(n);
  }();
  return size;
}

void InitWork(Napi::Env env, Napi::Object exports) {
  ThreadPoolSize();  // read as early as possible: libuv read it when the pool started
  Napi::Object work = Napi::Object::New(env);
  work.Set("queue", Napi::Function::New(env, Queue, "queue"));
  exports.Set("work", work);
  // The C ABI table for other addons (include/uvkit.h); it lives as long as the process.
  napi_value abi;
  napi_create_external(env, const_cast<uvkit_abi*>(&kAbi), nullptr, nullptr, &abi);  // never written
  exports.Set("nativeAbi", abi);
}

}  // namespace uvkit
