// fs: every uv_fs_* operation, synchronous or on a loop, through one native entry point.
//
// Requests live in a per-environment pool of numbered slots; the TS layer chooses the slot (it
// keeps the free list and the JS side of each request), so starting a request allocates nothing
// native. A slot whose result is dropped (its loop was collected) is handed back on request.
// Completions are collected per loop and handed to JS once per loop iteration (fs_queue.h): one
// crossing for a whole burst of finished requests, with numbers written into a Float64Array.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "stats.h"

namespace uvkit {

struct AddonState;
struct FsQueue;

// The operations, numbered for the TS layer (exported as binding.fsOps). Keep kFsOpNames in order.
enum class FsOp : uint8_t {
  kOpen, kClose, kRead, kWrite, kStat, kLstat, kFstat, kStatfs, kUnlink, kMkdir, kMkdtemp, kMkstemp,
  kRmdir, kRename, kLink, kSymlink, kReadlink, kRealpath, kChmod, kFchmod, kChown, kFchown, kLchown,
  kUtime, kFutime, kLutime, kAccess, kFsync, kFdatasync, kFtruncate, kCopyfile, kSendfile, kScandir,
  kOpendir, kReaddir, kClosedir,
  kCount
};

// One request slot. `uv` is first so a uv_fs_t* is also an FsReq*.
struct FsReq {
  uv_fs_t uv{};
  uint32_t slot = 0;
  FsOp op = FsOp::kCount;
  bool busy = false;      // started and not yet handed to JS
  bool finished = false;  // libuv called back (the result waits in the queue)
  bool cancelled = false;  // uv_cancel succeeded (libuv would say yes again until it calls back)
  FsQueue* queue = nullptr;
  int32_t dir = -1;  // readdir / closedir: the directory's id; opendir: the new one's
  uint32_t entries = 0;  // opendir: how many entries each readdir returns at most
  bool raw_names = false;  // names and paths it returns come back as Buffers (bytes as they are)
  // An async read or write: its buffer (or a copy of its array of buffers), held here until libuv
  // calls back. The TS layer keeps the buffer too, but in a table of the loop: a private loop
  // collected with the request in flight would take the buffer along while a pool thread still
  // reads into it (a read blocked on a pipe, a request queued behind others).
  napi_ref pin = nullptr;
};

// Holds an async read's or write's buffers (info[i]: a view or an array of views) until OnFsDone.
void PinFsBuffers(napi_env env, FsReq& r, napi_value buffers);
void UnpinFsBuffers(napi_env env, FsReq& r);

// An open directory (opendir): libuv's handle and the entries buffer readdir fills.
struct FsDir {
  uv_dir_t* uv = nullptr;
  std::vector<uv_dirent_t> entries;
  bool busy = false;  // a readdir or closedir is in flight
};

// Per-environment fs state.
struct FsState {
  std::vector<std::unique_ptr<FsReq>> requests;  // by slot
  std::vector<std::unique_ptr<FsDir>> dirs;      // by id; null when free
  Napi::Reference<Napi::Float64Array> sync_values;  // numeric results of sync calls
  int64_t in_flight = 0;  // async requests libuv has not called back yet (env teardown waits)
  int64_t open_queues = 0;
  // Slots of requests whose result never reached JS (their loop was collected): the TS layer,
  // which keeps the free list, takes them back through fsTakeDropped.
  std::vector<uint32_t> dropped_slots;

  int32_t AddDir(uv_dir_t* dir, size_t entries);
  FsDir* Dir(int32_t id);
  void RemoveDir(int32_t id);
};

FsState* GetFsState(AddonState* state);
void DeleteFsState(FsState* fs);

// The number of doubles per completion record: slot, result, then up to kStatFields values.
inline constexpr int kFsRecordStride = 2 + kStatFields;

// Writes a finished request's numeric results (stat, statfs fields) to `values`.
void FsNumericResult(const FsReq& r, double* values);
// The JS value of a finished request's other results (strings, directory entries), or nullptr.
napi_value FsExtraResult(napi_env env, FsState* fs, FsReq& r);
// The result number reported to JS (opendir: the new directory's id).
double FsResultNumber(FsState* fs, FsReq& r);
// Frees what libuv allocated for a finished request and returns its slot to the pool.
void FsRelease(FsState* fs, FsReq& r);
// FsRelease for a finished request whose result is dropped instead of handed to JS: also closes
// the fd it opened (open, mkstemp).
void FsDrop(FsState* fs, FsReq& r);

void InitFs(Napi::Env env, Napi::Object exports);

}  // namespace uvkit
