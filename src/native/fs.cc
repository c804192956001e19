// fs: the native entry points fsCall / fsCancel / fsInit, the arguments of each operation, and
// the conversion of results. The per-loop completion queue is in fs_queue.cc.
//
// fsCall(op, slot, loop, ...args): slot -1 runs the operation synchronously and returns its result
// (a negative libuv error, a number, or a string / entry list); a slot >= 0 starts it on `loop`
// and its completion reaches the registered fsDone callback. Argument errors throw before libuv
// is called; the TS layer has checked them already, this is the second line (the raw binding must
// never abort the process).
#include "fs.h"

#include <cmath>
#include <cstring>
#if defined(__linux__)
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <limits>
#include <string>

#include "addon.h"
#include "errors.h"
#include "fs_queue.h"
#include "loop.h"
#include "stats.h"

namespace uvkit {

namespace {

constexpr const char* kFsOpNames[] = {
    "open",    "close",    "read",     "write",  "stat",   "lstat",   "fstat",     "statfs",    "unlink",
    "mkdir",   "mkdtemp",  "mkstemp",  "rmdir",  "rename", "link",    "symlink",   "readlink",  "realpath",
    "chmod",   "fchmod",   "chown",    "fchown", "lchown", "utime",   "futime",    "lutime",    "access",
    "fsync",   "fdatasync", "ftruncate", "copyfile", "sendfile", "scandir", "opendir", "readdir", "closedir"};
static_assert(sizeof(kFsOpNames) / sizeof(kFsOpNames[0]) == static_cast<size_t>(FsOp::kCount), "one name per op");

// Start() threw. Not 1 (or any count): a synchronous call returns libuv's result, which is a byte
// or entry count (a 1-byte write, a readdir of 1 entry), so only a value no result can take works.
constexpr int kArgumentError = std::numeric_limits<int>::min();
// Start() finished the request itself (a read of cached data, ReadNow): no libuv request exists.
constexpr int kCompletedNow = std::numeric_limits<int>::min() + 1;
constexpr int64_t kMaxSlots = int64_t{1} << 22;
constexpr int64_t kMaxFd = 0x7fffffff;
constexpr int64_t kMaxPosition = 9007199254740991;  // 2^53-1
constexpr uint32_t kMaxDirEntries = 4096;
constexpr size_t kStackBufs = 16;

// A path argument (string or bytes) as a NUL-terminated C string, on the stack when short.
class PathArg {
 public:
  bool Read(Napi::Env env, Napi::Value value, const char* name) {
    size_t length = 0;
    if (value.IsString()) {
      if (!ReadString(env, value, &length)) return false;
    } else if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
      auto bytes = value.As<Napi::Uint8Array>();
      length = bytes.ByteLength();
      char* out = Room(length);
      if (length > 0) std::memcpy(out, bytes.Data(), length);
      out[length] = '\0';
    } else {
      ThrowInvalidArgType(env, name, "of type string or an instance of Buffer or Uint8Array");
      return false;
    }
    if (std::strlen(data_) != length) {
      ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE",
                      std::string("The argument '") + name + "' must be a string, Uint8Array, or URL without null bytes.");
      return false;
    }
    return true;
  }
  const char* c_str() const { return data_; }

 private:
  bool ReadString(Napi::Env env, Napi::Value value, size_t* length) {
    napi_status status = napi_get_value_string_utf8(env, value, stack_, sizeof stack_, length);
    if (status == napi_ok && *length < sizeof stack_ - 1) {
      data_ = stack_;
      return true;
    }
    napi_get_value_string_utf8(env, value, nullptr, 0, length);
    char* out = Room(*length);
    napi_get_value_string_utf8(env, value, out, *length + 1, length);
    return true;
  }
  char* Room(size_t length) {
    if (length < sizeof stack_) {
      data_ = stack_;
    } else {
      heap_.resize(length + 1);
      data_ = heap_.data();
    }
    return const_cast<char*>(data_);
  }

  char stack_[1024];
  std::string heap_;
  const char* data_ = stack_;
};

bool ReadFd(const Napi::CallbackInfo& info, size_t i, int* fd) {
  int64_t value = 0;
  if (!ReadInt(info, i, "fd", 0, kMaxFd, &value)) return false;
  *fd = static_cast<int>(value);
  return true;
}

bool ReadInt32(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max, int* out) {
  int64_t value = 0;
  if (!ReadInt(info, i, name, min, max, &value)) return false;
  *out = static_cast<int>(value);
  return true;
}

bool ReadSeconds(const Napi::CallbackInfo& info, size_t i, const char* name, double* out) {
  if (!info[i].IsNumber() || !std::isfinite(info[i].As<Napi::Number>().DoubleValue())) {
    ThrowInvalidArgType(info.Env(), name, "a finite number of seconds");
    return false;
  }
  *out = info[i].As<Napi::Number>().DoubleValue();
  return true;
}

// read / write buffers: info[i] is one view (with offset and length at i+1, i+2) or an array of
// views (vectored, whole views). `bufs` points at `stack` or at `heap`.
struct BufList {
  uv_buf_t stack[kStackBufs];
  std::vector<uv_buf_t> heap;
  uv_buf_t* bufs = stack;
  unsigned count = 0;
};

bool ReadBufs(const Napi::CallbackInfo& info, size_t i, BufList* list) {
  Napi::Env env = info.Env();
  if (info[i].IsArray()) {
    auto array = info[i].As<Napi::Array>();
    uint32_t n = array.Length();
    if (n == 0 || n > 1024 * 1024) {
      ThrowCodedError(env, ErrorKind::kRangeError, "ERR_OUT_OF_RANGE", "The buffers array must hold 1 to 1048576 buffers");
      return false;
    }
    if (n > kStackBufs) {
      list->heap.resize(n);
      list->bufs = list->heap.data();
    }
    for (uint32_t k = 0; k < n; ++k) {
      char* data = nullptr;
      size_t length = 0;
      if (!ReadView(env, array.Get(k), "buffers", &data, &length)) return false;
      list->bufs[k] = uv_buf_init(data, static_cast<unsigned>(length));
    }
    list->count = n;
    return true;
  }
  char* data = nullptr;
  size_t size = 0;
  int64_t offset = 0;
  int64_t length = 0;
  if (!ReadView(env, info[i], "buffer", &data, &size)) return false;
  if (!ReadInt(info, i + 1, "offset", 0, static_cast<int64_t>(size), &offset)) return false;
  if (!ReadInt(info, i + 2, "length", 0, static_cast<int64_t>(size) - offset, &length)) return false;
  if (length > 0x7fffffff) length = 0x7fffffff;  // one call moves at most 2 GiB, as Node's fs
  list->stack[0] = uv_buf_init(data + offset, static_cast<unsigned>(length));
  list->count = 1;
  return true;
}

// A read of data already in the page cache, done at once on the loop's thread instead of by a
// thread-pool thread (Linux: preadv2 with RWF_NOWAIT, which fails with EAGAIN rather than wait for
// the disk). It saves the two thread hand-offs a pool request costs, which dominate a sequential
// read of cached data (Node's fs.read pays them too). Only whole reads of up to kReadNowMax bytes
// are taken, so the loop is never held for long; anything else (not cached, a short read before
// the end of the file, pipes, old kernels) goes to the thread pool as usual. Returns the byte
// count, or -1 when the thread pool must do it.
constexpr size_t kReadNowMax = 256 * 1024;

#if defined(__linux__) && defined(SYS_preadv2)
ssize_t ReadNow(int fd, const uv_buf_t* bufs, unsigned count, int64_t position) {
  constexpr int kNoWait = 0x8;  // RWF_NOWAIT (Linux 4.14), spelled out for older headers
  size_t total = 0;
  for (unsigned i = 0; i < count; ++i) total += bufs[i].len;
  if (total == 0 || total > kReadNowMax) return -1;
  // The file position is read and moved here, so a read that gives up has consumed nothing.
  off_t offset = position >= 0 ? static_cast<off_t>(position) : lseek(fd, 0, SEEK_CUR);
  if (offset < 0) return -1;
  auto low = static_cast<unsigned long>(offset);
  auto high = static_cast<unsigned long>((static_cast<uint64_t>(offset) >> (sizeof(long) * 4)) >> (sizeof(long) * 4));
  // uv_buf_t is laid out as struct iovec on Unix (uv-unix.h).
  ssize_t n = syscall(SYS_preadv2, fd, bufs, count, low, high, kNoWait);
  if (n < 0) return -1;
  if (static_cast<size_t>(n) < total) {
    struct stat st;  // short: fine at the end of the file, else the rest is not cached
    if (fstat(fd, &st) != 0 || offset + n < st.st_size) return -1;
  }
  if (position < 0 && lseek(fd, offset + n, SEEK_SET) < 0) return -1;
  return n;
}
#else
ssize_t ReadNow(int, const uv_buf_t*, unsigned, int64_t) { return -1; }
#endif

// The operations with one path argument and nothing else.
int StartPathOp(FsOp op, uv_loop_t* loop, uv_fs_t* req, const char* path, uv_fs_cb cb) {
  switch (op) {
    case FsOp::kStat: return uv_fs_stat(loop, req, path, cb);
    case FsOp::kLstat: return uv_fs_lstat(loop, req, path, cb);
    case FsOp::kStatfs: return uv_fs_statfs(loop, req, path, cb);
    case FsOp::kUnlink: return uv_fs_unlink(loop, req, path, cb);
    case FsOp::kRmdir: return uv_fs_rmdir(loop, req, path, cb);
    case FsOp::kReadlink: return uv_fs_readlink(loop, req, path, cb);
    case FsOp::kRealpath: return uv_fs_realpath(loop, req, path, cb);
    case FsOp::kMkdtemp: return uv_fs_mkdtemp(loop, req, path, cb);
    case FsOp::kMkstemp: return uv_fs_mkstemp(loop, req, path, cb);
    case FsOp::kScandir: return uv_fs_scandir(loop, req, path, 0, cb);
    case FsOp::kOpendir: return uv_fs_opendir(loop, req, path, cb);
    default: return UV_EINVAL;
  }
}

// The operations with one fd argument and nothing else.
int StartFdOp(FsOp op, uv_loop_t* loop, uv_fs_t* req, int fd, uv_fs_cb cb) {
  switch (op) {
    case FsOp::kClose: return uv_fs_close(loop, req, fd, cb);
    case FsOp::kFstat: return uv_fs_fstat(loop, req, fd, cb);
    case FsOp::kFsync: return uv_fs_fsync(loop, req, fd, cb);
    case FsOp::kFdatasync: return uv_fs_fdatasync(loop, req, fd, cb);
    default: return UV_EINVAL;
  }
}

// An operation on an open directory (readdir, closedir); info[3] is the directory's id.
// The optional rawNames flag of the ops that return names (undefined: strings).
bool ReadRawNames(const Napi::CallbackInfo& info, size_t i, FsReq* r) {
  r->raw_names = false;
  return info[i].IsUndefined() || ReadBool(info, i, "rawNames", &r->raw_names);
}

int StartDirOp(const Napi::CallbackInfo& info, FsState* fs, uv_loop_t* loop, FsReq& r, uv_fs_cb cb) {
  int32_t id = 0;
  if (!ReadInt32(info, 3, "dir", 0, 0x7fffffff, &id)) return kArgumentError;
  FsDir* dir = fs->Dir(id);
  if (dir == nullptr) {
    ThrowCodedError(info.Env(), ErrorKind::kError, "ERR_DIR_CLOSED", "Directory handle was closed");
    return kArgumentError;
  }
  if (dir->busy) {
    ThrowCodedError(info.Env(), ErrorKind::kError, "ERR_DIR_CONCURRENT_OPERATION",
                    "Cannot do synchronous work on directory handle with concurrent asynchronous operations");
    return kArgumentError;
  }
  r.dir = id;
  if (r.op == FsOp::kClosedir) return uv_fs_closedir(loop, &r.uv, dir->uv, cb);
  if (!ReadRawNames(info, 4, &r)) return kArgumentError;
  dir->uv->dirents = dir->entries.data();
  dir->uv->nentries = dir->entries.size();
  return uv_fs_readdir(loop, &r.uv, dir->uv, cb);
}

// Starts (cb set) or runs (cb null) r.op with the arguments at info[3...]. Returns libuv's result,
// or kArgumentError after throwing (nothing was started).
int Start(const Napi::CallbackInfo& info, FsState* fs, uv_loop_t* loop, FsReq& r, uv_fs_cb cb) {
  Napi::Env env = info.Env();
  uv_fs_t* req = &r.uv;
  PathArg path;
  PathArg path2;
  int fd = 0;
  int fd2 = 0;
  int mode = 0;
  switch (r.op) {
    case FsOp::kStat: case FsOp::kLstat: case FsOp::kStatfs: case FsOp::kUnlink: case FsOp::kRmdir:
      if (!path.Read(env, info[3], "path")) return kArgumentError;
      return StartPathOp(r.op, loop, req, path.c_str(), cb);
    case FsOp::kReadlink: case FsOp::kRealpath: case FsOp::kMkdtemp: case FsOp::kMkstemp: case FsOp::kScandir:
      if (!path.Read(env, info[3], "path") || !ReadRawNames(info, 4, &r)) return kArgumentError;
      return StartPathOp(r.op, loop, req, path.c_str(), cb);
    case FsOp::kOpendir: {
      int entries = 0;
      if (!path.Read(env, info[3], "path") || !ReadInt32(info, 4, "bufferSize", 1, kMaxDirEntries, &entries)) return kArgumentError;
      r.entries = static_cast<uint32_t>(entries);
      return uv_fs_opendir(loop, req, path.c_str(), cb);
    }
    case FsOp::kClose: case FsOp::kFstat: case FsOp::kFsync: case FsOp::kFdatasync:
      if (!ReadFd(info, 3, &fd)) return kArgumentError;
      return StartFdOp(r.op, loop, req, fd, cb);
    case FsOp::kOpen: {
      int flags = 0;
      if (!path.Read(env, info[3], "path") || !ReadInt32(info, 4, "flags", INT32_MIN, INT32_MAX, &flags) ||
          !ReadInt32(info, 5, "mode", 0, 0xffff, &mode)) return kArgumentError;
      return uv_fs_open(loop, req, path.c_str(), flags, mode, cb);
    }
    case FsOp::kRead: case FsOp::kWrite: {
      BufList list;
      int64_t position = 0;
      if (!ReadFd(info, 3, &fd) || !ReadBufs(info, 4, &list) || !ReadInt(info, 7, "position", -1, kMaxPosition, &position)) {
        return kArgumentError;
      }
      if (r.op == FsOp::kRead && cb != nullptr) {
        ssize_t n = ReadNow(fd, list.bufs, list.count, position);
        if (n >= 0) {
          req->result = n;
          return kCompletedNow;
        }
      }
      if (r.op == FsOp::kRead) return uv_fs_read(loop, req, fd, list.bufs, list.count, position, cb);
      return uv_fs_write(loop, req, fd, list.bufs, list.count, position, cb);
    }
    case FsOp::kMkdir: case FsOp::kChmod: case FsOp::kAccess: {
      int64_t max = r.op == FsOp::kAccess ? 7 : 0xffff;
      if (!path.Read(env, info[3], "path") || !ReadInt32(info, 4, "mode", 0, max, &mode)) return kArgumentError;
      if (r.op == FsOp::kMkdir) return uv_fs_mkdir(loop, req, path.c_str(), mode, cb);
      if (r.op == FsOp::kChmod) return uv_fs_chmod(loop, req, path.c_str(), mode, cb);
      return uv_fs_access(loop, req, path.c_str(), mode, cb);
    }
    case FsOp::kFchmod:
      if (!ReadFd(info, 3, &fd) || !ReadInt32(info, 4, "mode", 0, 0xffff, &mode)) return kArgumentError;
      return uv_fs_fchmod(loop, req, fd, mode, cb);
    case FsOp::kRename: case FsOp::kLink: case FsOp::kSymlink: case FsOp::kCopyfile: {
      int flags = 0;
      if (!path.Read(env, info[3], "path") || !path2.Read(env, info[4], "dest")) return kArgumentError;
      if (r.op == FsOp::kRename) return uv_fs_rename(loop, req, path.c_str(), path2.c_str(), cb);
      if (r.op == FsOp::kLink) return uv_fs_link(loop, req, path.c_str(), path2.c_str(), cb);
      if (r.op == FsOp::kSymlink) {
        if (!ReadInt32(info, 5, "flags", 0, UV_FS_SYMLINK_DIR | UV_FS_SYMLINK_JUNCTION, &flags)) return kArgumentError;
        return uv_fs_symlink(loop, req, path.c_str(), path2.c_str(), flags, cb);
      }
      int all = UV_FS_COPYFILE_EXCL | UV_FS_COPYFILE_FICLONE | UV_FS_COPYFILE_FICLONE_FORCE;
      if (!ReadInt32(info, 5, "mode", 0, all, &flags)) return kArgumentError;
      return uv_fs_copyfile(loop, req, path.c_str(), path2.c_str(), flags, cb);
    }
    case FsOp::kChown: case FsOp::kLchown: case FsOp::kFchown: {
      int64_t uid = 0;
      int64_t gid = 0;
      bool ok = r.op == FsOp::kFchown ? ReadFd(info, 3, &fd) : path.Read(env, info[3], "path");
      if (!ok || !ReadInt(info, 4, "uid", -1, 0xffffffff, &uid) || !ReadInt(info, 5, "gid", -1, 0xffffffff, &gid)) {
        return kArgumentError;
      }
      auto u = static_cast<uv_uid_t>(uid);
      auto g = static_cast<uv_gid_t>(gid);
      if (r.op == FsOp::kChown) return uv_fs_chown(loop, req, path.c_str(), u, g, cb);
      if (r.op == FsOp::kLchown) return uv_fs_lchown(loop, req, path.c_str(), u, g, cb);
      return uv_fs_fchown(loop, req, fd, u, g, cb);
    }
    case FsOp::kUtime: case FsOp::kLutime: case FsOp::kFutime: {
      double atime = 0;
      double mtime = 0;
      bool ok = r.op == FsOp::kFutime ? ReadFd(info, 3, &fd) : path.Read(env, info[3], "path");
      if (!ok || !ReadSeconds(info, 4, "atime", &atime) || !ReadSeconds(info, 5, "mtime", &mtime)) return kArgumentError;
      if (r.op == FsOp::kUtime) return uv_fs_utime(loop, req, path.c_str(), atime, mtime, cb);
      if (r.op == FsOp::kLutime) return uv_fs_lutime(loop, req, path.c_str(), atime, mtime, cb);
      return uv_fs_futime(loop, req, fd, atime, mtime, cb);
    }
    case FsOp::kFtruncate: {
      int64_t length = 0;
      if (!ReadFd(info, 3, &fd) || !ReadInt(info, 4, "length", 0, kMaxPosition, &length)) return kArgumentError;
      return uv_fs_ftruncate(loop, req, fd, length, cb);
    }
    case FsOp::kSendfile: {
      int64_t offset = 0;
      int64_t length = 0;
      if (!ReadFd(info, 3, &fd) || !ReadFd(info, 4, &fd2) || !ReadInt(info, 5, "inOffset", 0, kMaxPosition, &offset) ||
          !ReadInt(info, 6, "length", 0, kMaxPosition, &length)) {
        return kArgumentError;
      }
      return uv_fs_sendfile(loop, req, fd, fd2, offset, static_cast<size_t>(length), cb);
    }
    case FsOp::kReaddir: case FsOp::kClosedir:
      return StartDirOp(info, fs, loop, r, cb);
    case FsOp::kCount:
      break;
  }
  return UV_EINVAL;
}

Napi::Value RunSync(const Napi::CallbackInfo& info, FsState* fs, FsOp op) {
  Napi::Env env = info.Env();
  FsReq r;
  r.op = op;
  int status = Start(info, fs, nullptr, r, nullptr);
  if (status == kArgumentError) return {};
  if (status < 0) r.uv.result = status;  // libuv refused before running it (result not set)
  double result = FsResultNumber(fs, r);
  napi_value extra = nullptr;
  if (r.uv.result >= 0) {
    // The array is looked up on every call, not kept as a pointer: JS may have detached it (a
    // transferred buffer), and its memory then belongs to someone else. Detached, its length is 0.
    if (!fs->sync_values.IsEmpty()) {
      Napi::Float64Array values = fs->sync_values.Value();
      if (values.ElementLength() >= kFsRecordStride) FsNumericResult(r, values.Data());
    }
    extra = FsExtraResult(env, fs, r);
  }
  FsRelease(fs, r);
  if (extra != nullptr) return Napi::Value(env, extra);
  return Napi::Number::New(env, result);
}

FsReq* AcquireSlot(Napi::Env env, FsState* fs, int64_t slot) {
  auto index = static_cast<size_t>(slot);
  if (index >= fs->requests.size()) fs->requests.resize(index + 1);
  std::unique_ptr<FsReq>& r = fs->requests[index];
  if (!r) {
    r = std::make_unique<FsReq>();
    r->slot = static_cast<uint32_t>(index);
  }
  if (r->busy) {
    ThrowCodedError(env, ErrorKind::kError, "ERR_INVALID_STATE", "fs request slot " + std::to_string(slot) + " is in use");
    return nullptr;
  }
  return r.get();
}

// fsCall(op, slot, loop, ...args): see the top of this file.
Napi::Value FsCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FsState* fs = GetFsState(AddonState::Get(env));
  int64_t op = 0;
  int64_t slot = 0;
  if (!ReadInt(info, 0, "op", 0, static_cast<int64_t>(FsOp::kCount) - 1, &op)) return {};
  if (!ReadInt(info, 1, "slot", -1, kMaxSlots - 1, &slot)) return {};
  if (slot < 0) return RunSync(info, fs, static_cast<FsOp>(op));
  LoopWrap* loop = LoopWrap::FromValue(env, info[2]);
  if (loop == nullptr) return {};
  FsQueue* queue = FsQueueOf(env, loop);
  if (queue == nullptr) return {};
  FsReq* r = AcquireSlot(env, fs, slot);
  if (r == nullptr) return {};
  r->op = static_cast<FsOp>(op);
  r->queue = queue;
  r->dir = -1;
  int err = Start(info, fs, loop->uv(), *r, OnFsDone);
  if (err == kArgumentError) return {};
  if (err == kCompletedNow) {
    r->busy = true;
    r->cancelled = false;
    FsQueueCompletedNow(queue, r);
    loop->AfterJsCall();
    return Napi::Number::New(env, 0);
  }
  if (err < 0) {  // libuv refused to start it: nothing is pending
    uv_fs_req_cleanup(&r->uv);
    return Napi::Number::New(env, err);
  }
  r->busy = true;
  r->finished = false;
  r->cancelled = false;
  if (r->op == FsOp::kRead || r->op == FsOp::kWrite) PinFsBuffers(env, *r, info[4]);
  if (r->dir >= 0) fs->Dir(r->dir)->busy = true;
  ++queue->in_flight;
  ++fs->in_flight;
  loop->AfterJsCall();
  return Napi::Number::New(env, 0);
}

// fsCancel(slot): true when libuv took the request back (its callback then reports ECANCELED).
Napi::Value FsCancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FsState* fs = GetFsState(AddonState::Get(env));
  int64_t slot = 0;
  if (!ReadInt(info, 0, "slot", 0, kMaxSlots - 1, &slot)) return {};
  auto index = static_cast<size_t>(slot);
  if (index >= fs->requests.size() || !fs->requests[index]) return Napi::Boolean::New(env, false);
  FsReq& r = *fs->requests[index];
  if (!r.busy || r.finished || r.cancelled) return Napi::Boolean::New(env, false);
  r.cancelled = uv_cancel(reinterpret_cast<uv_req_t*>(&r.uv)) == 0;
  return Napi::Boolean::New(env, r.cancelled);
}

// fsInit(values): the Float64Array (at least kFsRecordStride long) sync calls write numbers to.
Napi::Value FsInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[0].As<Napi::Float64Array>().ElementLength() < kFsRecordStride) {
    ThrowInvalidArgType(env, "values", ("a Float64Array of at least " + std::to_string(kFsRecordStride) + " elements").c_str());
    return {};
  }
  FsState* fs = GetFsState(AddonState::Get(env));
  auto values = info[0].As<Napi::Float64Array>();
  fs->sync_values = Napi::Persistent(values);
  return env.Undefined();
}

// fsTakeDropped(): the slots whose results were dropped since the last call (FsState::dropped_slots).
Napi::Value FsTakeDropped(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonState* state = AddonState::Get(env);
  std::vector<uint32_t> slots;
  if (state->fs != nullptr) slots.swap(state->fs->dropped_slots);
  Napi::Array list = Napi::Array::New(env, slots.size());
  for (uint32_t i = 0; i < slots.size(); ++i) list.Set(i, Napi::Number::New(env, slots[i]));
  return list;
}

Napi::Value MakeString(napi_env env, const char* text) {
  return Napi::String::New(env, text != nullptr ? text : "");
}

// A name or path a request returns: a string (UTF-8), or its bytes when the request asked for them.
Napi::Value MakeName(napi_env env, const FsReq& r, const char* text) {
  if (!r.raw_names) return MakeString(env, text);
  if (text == nullptr) text = "";
  return Napi::Buffer<char>::Copy(env, text, std::strlen(text));
}

}  // namespace

// --- results ---

void FsNumericResult(const FsReq& r, double* values) {
  if (r.uv.result < 0) return;
  switch (r.op) {
    case FsOp::kStat: case FsOp::kLstat: case FsOp::kFstat:
      FillStatFields(r.uv.statbuf, values);
      break;
    case FsOp::kMkstemp:  // the fd beside the path (the extra result)
      values[0] = static_cast<double>(r.uv.result);
      break;
    case FsOp::kStatfs: {
      const auto* s = static_cast<const uv_statfs_t*>(r.uv.ptr);
      if (s == nullptr) break;
      values[0] = static_cast<double>(s->f_type);
      values[1] = static_cast<double>(s->f_bsize);
      values[2] = static_cast<double>(s->f_blocks);
      values[3] = static_cast<double>(s->f_bfree);
      values[4] = static_cast<double>(s->f_bavail);
      values[5] = static_cast<double>(s->f_files);
      values[6] = static_cast<double>(s->f_ffree);
      break;
    }
    default:
      break;
  }
}

napi_value FsExtraResult(napi_env env, FsState* fs, FsReq& r) {
  if (r.uv.result < 0) return nullptr;
  Napi::Env e(env);
  switch (r.op) {
    case FsOp::kReadlink: case FsOp::kRealpath:
      return MakeName(env, r, static_cast<const char*>(r.uv.ptr));
    case FsOp::kMkdtemp: case FsOp::kMkstemp:
      return MakeName(env, r, r.uv.path);
    case FsOp::kScandir: {
      Napi::Array list = Napi::Array::New(e);
      uv_dirent_t entry;
      uint32_t i = 0;
      while (uv_fs_scandir_next(&r.uv, &entry) != UV_EOF) {
        list.Set(i++, MakeName(env, r, entry.name));
        list.Set(i++, Napi::Number::New(e, entry.type));
      }
      return list;
    }
    case FsOp::kReaddir: {
      FsDir* dir = fs->Dir(r.dir);
      Napi::Array list = Napi::Array::New(e, static_cast<size_t>(r.uv.result) * 2);
      for (uint32_t k = 0; dir != nullptr && k < static_cast<uint32_t>(r.uv.result); ++k) {
        list.Set(2 * k, MakeName(env, r, dir->entries[k].name));
        list.Set(2 * k + 1, Napi::Number::New(e, dir->entries[k].type));
      }
      return list;
    }
    default:
      return nullptr;
  }
}

double FsResultNumber(FsState* fs, FsReq& r) {
  if (r.op == FsOp::kOpendir && r.uv.result >= 0 && r.dir < 0) {
    r.dir = fs->AddDir(static_cast<uv_dir_t*>(r.uv.ptr), r.entries);
    return r.dir;
  }
  return static_cast<double>(r.uv.result);
}

void FsDrop(FsState* fs, FsReq& r) {
  // An fd opened for a request whose result never reaches JS (env teardown, a collected loop):
  // nobody else knows it, so it is closed here (opendir's directory is closed by FsRelease).
  if ((r.op == FsOp::kOpen || r.op == FsOp::kMkstemp) && r.uv.result >= 0) {
    uv_fs_t close_req;
    uv_fs_close(nullptr, &close_req, static_cast<uv_file>(r.uv.result), nullptr);
    uv_fs_req_cleanup(&close_req);
  }
  fs->dropped_slots.push_back(r.slot);
  FsRelease(fs, r);
}

void PinFsBuffers(napi_env env, FsReq& r, napi_value buffers) {
  bool is_array = false;
  napi_is_array(env, buffers, &is_array);
  napi_value held = buffers;
  if (is_array) {  // a copy: the caller may empty or refill its array meanwhile
    uint32_t n = 0;
    napi_get_array_length(env, buffers, &n);
    napi_create_array_with_length(env, n, &held);
    for (uint32_t k = 0; k < n; ++k) {
      napi_value view;
      if (napi_get_element(env, buffers, k, &view) == napi_ok) napi_set_element(env, held, k, view);
    }
  }
  napi_create_reference(env, held, 1, &r.pin);
}

void UnpinFsBuffers(napi_env env, FsReq& r) {
  if (r.pin == nullptr) return;
  napi_delete_reference(env, r.pin);
  r.pin = nullptr;
}

void FsRelease(FsState* fs, FsReq& r) {
  if (r.op == FsOp::kOpendir && r.uv.result >= 0 && r.dir < 0) {
    // Opened but never handed to JS (teardown): close it here so no fd leaks.
    uv_fs_t close_req;
    uv_fs_closedir(nullptr, &close_req, static_cast<uv_dir_t*>(r.uv.ptr), nullptr);
    uv_fs_req_cleanup(&close_req);
  }
  if (r.op == FsOp::kReaddir || r.op == FsOp::kClosedir) {
    FsDir* dir = fs->Dir(r.dir);
    if (dir != nullptr) dir->busy = false;
    if (r.op == FsOp::kClosedir && r.uv.result == UV_ECANCELED) {
      // Cancelled before it ran (fsCancel, env teardown): the directory is still open. libuv's
      // cleanup would free its uv_dir_t (req->ptr) without closing it (a leaked fd, and a freed
      // uv_dir_t still listed here); so it stays listed and usable, and DeleteFsState closes it.
      r.uv.ptr = nullptr;
    } else if (r.op == FsOp::kClosedir) {
      fs->RemoveDir(r.dir);  // libuv's closedir always frees it, whatever it returns
    }
  }
  uv_fs_req_cleanup(&r.uv);
  r.busy = false;
  r.finished = false;
  r.queue = nullptr;
  r.dir = -1;
}

// --- state ---

int32_t FsState::AddDir(uv_dir_t* dir, size_t entries) {
  auto entry = std::make_unique<FsDir>();
  entry->uv = dir;
  entry->entries.resize(entries);
  for (size_t i = 0; i < dirs.size(); ++i) {
    if (!dirs[i]) {
      dirs[i] = std::move(entry);
      return static_cast<int32_t>(i);
    }
  }
  dirs.push_back(std::move(entry));
  return static_cast<int32_t>(dirs.size() - 1);
}

FsDir* FsState::Dir(int32_t id) {
  if (id < 0 || static_cast<size_t>(id) >= dirs.size()) return nullptr;
  return dirs[static_cast<size_t>(id)].get();
}

void FsState::RemoveDir(int32_t id) {
  if (Dir(id) != nullptr) dirs[static_cast<size_t>(id)].reset();
}

FsState* GetFsState(AddonState* state) {
  if (state->fs == nullptr) state->fs = new FsState();
  return state->fs;
}

// The environment's end: directories JS never closed are closed here (no request is in flight:
// the teardown hook waited for them).
void DeleteFsState(FsState* fs) {
  if (fs == nullptr) return;
  for (auto& dir : fs->dirs) {
    if (!dir) continue;
    uv_fs_t req;
    uv_fs_closedir(nullptr, &req, dir->uv, nullptr);
    uv_fs_req_cleanup(&req);
  }
  delete fs;
}

void InitFs(Napi::Env env, Napi::Object exports) {
  exports.Set("fsCall", Napi::Function::New(env, FsCall, "fsCall"));
  exports.Set("fsCancel", Napi::Function::New(env, FsCancel, "fsCancel"));
  exports.Set("fsInit", Napi::Function::New(env, FsInit, "fsInit"));
  exports.Set("fsTakeDropped", Napi::Function::New(env, FsTakeDropped, "fsTakeDropped"));
  Napi::Object ops = Napi::Object::New(env);
  for (size_t i = 0; i < static_cast<size_t>(FsOp::kCount); ++i) ops.Set(kFsOpNames[i], Napi::Number::New(env, static_cast<double>(i)));
  exports.Set("fsOps", ops);
  // The layout of the numbers native code writes (completion records, stat fields): one source.
  exports.Set("fsRecordStride", Napi::Number::New(env, kFsRecordStride));
  exports.Set("statFields", Napi::Number::New(env, kStatFields));
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("COPYFILE_EXCL", UV_FS_COPYFILE_EXCL);
  constants.Set("COPYFILE_FICLONE", UV_FS_COPYFILE_FICLONE);
  constants.Set("COPYFILE_FICLONE_FORCE", UV_FS_COPYFILE_FICLONE_FORCE);
  constants.Set("SYMLINK_DIR", UV_FS_SYMLINK_DIR);
  constants.Set("SYMLINK_JUNCTION", UV_FS_SYMLINK_JUNCTION);
  constants.Set("UV_DIRENT_UNKNOWN", static_cast<int>(UV_DIRENT_UNKNOWN));
  constants.Set("UV_DIRENT_FILE", static_cast<int>(UV_DIRENT_FILE));
  constants.Set("UV_DIRENT_DIR", static_cast<int>(UV_DIRENT_DIR));
  constants.Set("UV_DIRENT_LINK", static_cast<int>(UV_DIRENT_LINK));
  constants.Set("UV_DIRENT_FIFO", static_cast<int>(UV_DIRENT_FIFO));
  constants.Set("UV_DIRENT_SOCKET", static_cast<int>(UV_DIRENT_SOCKET));
  constants.Set("UV_DIRENT_CHAR", static_cast<int>(UV_DIRENT_CHAR));
  constants.Set("UV_DIRENT_BLOCK", static_cast<int>(UV_DIRENT_BLOCK));
  exports.Set("fsConstants", constants);
}

}  // namespace uvkit
