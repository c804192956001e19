// Pipe: uv_pipe_t. Unix domain sockets and named pipes by path (Linux abstract names start with
// '\0'), pipes and FIFOs by fd, and IPC pipes that carry handles along with data.
#include "pipe.h"

#include <string>

#ifndef _WIN32
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "features.h"

namespace uvkit {

// --- helpers ---

namespace {

// A name from JS: any bytes, NUL included (abstract socket names start with one).
bool ReadName(const Napi::CallbackInfo& info, size_t index, std::string* out) {
  if (!info[index].IsString()) {
    ThrowInvalidArgType(info.Env(), "name", "of type string");
    return false;
  }
  *out = info[index].As<Napi::String>().Utf8Value();
  if (out->empty()) {
    ThrowCodedError(info.Env(), ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "The argument 'name' must not be empty");
    return false;
  }
  // Only abstract names (leading NUL) may hold NULs; in a path the system would cut it short.
  if ((*out)[0] != '\0' && out->find('\0') != std::string::npos) {
    ThrowCodedError(info.Env(), ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE",
                    "The argument 'name' must not contain NUL bytes (except a leading one: an abstract name)");
    return false;
  }
  return true;
}

// A name with a NUL inside needs the length-taking libuv calls (1.46); older ones stop at the NUL.
bool NeedsLength(const std::string& name) { return name.find('\0') != std::string::npos; }

// libuv adopts any fd and aborts later when epoll refuses it (a regular file, /dev/null), so only
// what epoll can watch is let through: sockets, pipes and FIFOs, terminals.
int CheckPipeFd(int64_t fd) {
#ifdef _WIN32
  (void)fd;
  return 0;
#else
  struct stat st;
  if (fstat(static_cast<int>(fd), &st) != 0) return uv_translate_sys_error(errno);
  if (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode) || isatty(static_cast<int>(fd))) return 0;
  return UV_EINVAL;
#endif
}

}  // namespace

// --- methods ---

PipeWrap::PipeWrap(const Napi::CallbackInfo& info) : HandleWrap(info) {
  Napi::Env env = info.Env();
  bool ipc = false;
  if (!info[1].IsUndefined() && !ReadBool(info, 1, "ipc", &ipc)) return;
  if (!InitHandle(env, "uv_pipe_init", [ipc](uv_loop_t* loop, uv_pipe_t* pipe) { return uv_pipe_init(loop, pipe, ipc ? 1 : 0); })) return;
  napi_type_tag_object(env, info.This(), &kTypeTag);
}

uv_handle_type PipeWrap::AcceptedType() const {
  if (uv()->ipc && uv_pipe_pending_count(uv()) > 0) return uv_pipe_pending_type(uv());
  return UV_NAMED_PIPE;
}

Napi::Value PipeWrap::Bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (!ReadName(info, 0, &name)) return {};
  if (!CheckOpen(env)) return {};
  const Features& f = GetFeatures();
  int err = f.pipe_bind2 != nullptr ? f.pipe_bind2(uv(), name.data(), name.size(), 0)
            : NeedsLength(name)     ? UV_ENOTSUP
                                    : uv_pipe_bind(uv(), name.c_str());
  if (err != 0) {
    ThrowUVError(env, err, "bind");
    return {};
  }
  return env.Undefined();
}

// connect(name): completion through the connect callback.
Napi::Value PipeWrap::Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (!ReadName(info, 0, &name)) return {};
  if (!CheckOpen(env) || !CheckNotConnecting(env)) return {};
  const Features& f = GetFeatures();
  auto* req = new uv_connect_t();
  int err = 0;
  if (f.pipe_connect2 != nullptr) err = f.pipe_connect2(req, uv(), name.data(), name.size(), 0, OnConnect);
  else if (NeedsLength(name)) err = UV_ENOTSUP;
  else uv_pipe_connect(req, uv(), name.c_str(), OnConnect);
  if (err != 0) {
    delete req;
    ThrowUVError(env, err, "connect");
    return {};
  }
  ConnectStarted();
  return env.Undefined();
}

Napi::Value PipeWrap::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd = 0;
  if (!ReadInt(info, 0, "fd", 0, INT32_MAX, &fd)) return {};
  if (!CheckOpen(env)) return {};
  int err = CheckPipeFd(fd);
  if (err == UV_EINVAL) {
    ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE",
                    "fd " + std::to_string(fd) + " is not a pipe, FIFO, socket or terminal (a Pipe cannot watch a regular file)");
    return {};
  }
  if (err == 0 && !CheckFdFree(env, state_, uv_, fd, "uv_pipe_open")) return {};
  if (err == 0) err = uv_pipe_open(uv(), static_cast<uv_file>(fd));
  if (err != 0) {
    ThrowUVError(env, err, "uv_pipe_open");
    return {};
  }
  return env.Undefined();
}

Napi::Value PipeWrap::PendingInstances(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t count = 0;
  if (!ReadInt(info, 0, "count", 1, INT32_MAX, &count)) return {};
  if (!CheckOpen(env)) return {};
  uv_pipe_pending_instances(uv(), static_cast<int>(count));  // only Windows uses it
  return env.Undefined();
}

// The uv_handle_type of the next handle received on an IPC pipe (UNKNOWN_HANDLE: none).
Napi::Value PipeWrap::PendingHandleType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return {};
  uv_handle_type type = uv()->ipc && uv_pipe_pending_count(uv()) > 0 ? uv_pipe_pending_type(uv()) : UV_UNKNOWN_HANDLE;
  return Napi::Number::New(env, type);
}

Napi::Value PipeWrap::PendingCount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return {};
  return Napi::Number::New(env, uv()->ipc ? uv_pipe_pending_count(uv()) : 0);
}

Napi::Value PipeWrap::Name(const Napi::CallbackInfo& info, int (*fn)(const uv_pipe_t*, char*, size_t*), const char* syscall) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return {};
  char buffer[1024];
  size_t length = sizeof buffer;
  int err = fn(uv(), buffer, &length);
  if (err != 0) {
    ThrowUVError(env, err, syscall);
    return {};
  }
  // libuv 1.46 binds abstract names with the whole sun_path, so they come back NUL-padded.
  if (length > 0 && buffer[0] == '\0') {
    while (length > 1 && buffer[length - 1] == '\0') --length;
  }
  return Napi::String::New(env, buffer, length);
}

Napi::Value PipeWrap::GetSockName(const Napi::CallbackInfo& info) {
  return Name(info, uv_pipe_getsockname, "getsockname");
}

Napi::Value PipeWrap::GetPeerName(const Napi::CallbackInfo& info) {
  return Name(info, uv_pipe_getpeername, "getpeername");
}

// chmod(flags): UV_READABLE | UV_WRITABLE on the bound socket file.
Napi::Value PipeWrap::Chmod(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t flags = 0;
  if (!ReadInt(info, 0, "mode", 1, UV_READABLE | UV_WRITABLE, &flags)) return {};
  if (!CheckOpen(env)) return {};
  int err = uv_pipe_chmod(uv(), static_cast<int>(flags));
  if (err != 0) {
    ThrowUVError(env, err, "chmod");
    return {};
  }
  return env.Undefined();
}

Napi::Value PipeWrap::GetIpc(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), is_open() && uv()->ipc != 0);
}

// IPC pipes send an open TCP or Pipe handle of the same loop along with the data.
bool PipeWrap::ReadSendHandle(const Napi::CallbackInfo& info, size_t index, uv_stream_t** out) {
  *out = nullptr;
  if (info.Length() <= index || info[index].IsUndefined()) return true;
  Napi::Env env = info.Env();
  if (!is_open() || !uv()->ipc) {
    ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "Only IPC pipes can send handles");
    return false;
  }
  // libuv sends the fd of a TCP, Pipe or UDP handle.
  SocketHandle sent;
  if (!SocketFromValue(env, info[index], &sent) || sent.type == UV_TTY) {
    ThrowInvalidArgType(env, "sendHandle", "a TCP, Pipe or UDP handle");
    return false;
  }
  if (!sent.owner->is_open()) {
    ThrowHandleClosed(env);
    return false;
  }
  if (sent.owner->loop() != loop()) {
    ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "The handle to send must be on the pipe's loop");
    return false;
  }
  *out = sent.uv;
  return true;
}

// --- type ---

Napi::Function PipeWrap::Define(Napi::Env env) {
  return DefineWith(env, Concat(StreamProperties<PipeWrap>(),
                                {
                                    Method<PipeWrap, &PipeWrap::Bind>("bind"),
                                    Method<PipeWrap, &PipeWrap::Connect>("connect"),
                                    Method<PipeWrap, &PipeWrap::Open>("open"),
                                    Method<PipeWrap, &PipeWrap::PendingInstances>("pendingInstances"),
                                    Method<PipeWrap, &PipeWrap::PendingHandleType>("pendingHandleType"),
                                    Method<PipeWrap, &PipeWrap::PendingCount>("pendingCount"),
                                    Method<PipeWrap, &PipeWrap::GetSockName>("getsockname"),
                                    Method<PipeWrap, &PipeWrap::GetPeerName>("getpeername"),
                                    Method<PipeWrap, &PipeWrap::Chmod>("chmod"),
                                    Getter<PipeWrap, &PipeWrap::GetIpc>("ipc"),
                                }));
}

}  // namespace uvkit
