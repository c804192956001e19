// Process: uv_spawn (uv_process_t), or on Linux posix_spawn with a pidfd polled by a uv_poll_t
// (fast_spawn.h). Every option is checked here before either is called: uv_spawn asserts on bad
// flags and stdio kinds, and a created pipe that already has an fd would be left half-opened.
#include "process.h"
#include "reaper.h"

#include <csignal>
#include <string>
#include <vector>

#ifndef _WIN32
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "fast_spawn.h"
#include "pipe.h"

#ifndef NSIG
#define NSIG 65
#endif

namespace uvkit {

namespace {

constexpr int64_t kMaxId = 0xFFFFFFFE;  // uid_t / gid_t; -1 (all ones) means "unchanged"
constexpr unsigned int kUserFlags = UV_PROCESS_DETACHED | UV_PROCESS_WINDOWS_HIDE | UV_PROCESS_WINDOWS_VERBATIM_ARGUMENTS;
constexpr int kPipeFlags = UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE;
// libuv-internal stream flags (src/uv-common.h, the same values from 1.46 through 1.51): what
// uv_is_readable / uv_is_writable report. uv_spawn sets them from the container's flags.
constexpr unsigned int kHandleReadable = 0x00004000;
constexpr unsigned int kHandleWritable = 0x00008000;

void ThrowInvalidValue(Napi::Env env, const std::string& name, const char* reason) {
  ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "The argument '" + name + "' " + reason);
}

// A string without NUL bytes (the system would cut it short there).
bool ReadCString(Napi::Env env, const Napi::Value& value, const std::string& name, std::string* out) {
  if (!value.IsString()) {
    ThrowInvalidArgType(env, name.c_str(), "of type string");
    return false;
  }
  *out = value.As<Napi::String>().Utf8Value();
  if (out->find('\0') != std::string::npos) {
    ThrowInvalidValue(env, name, "must not contain NUL bytes");
    return false;
  }
  return true;
}

bool ReadStringArray(Napi::Env env, const Napi::Value& value, const char* name, std::vector<std::string>* out) {
  if (!value.IsArray()) {
    ThrowInvalidArgType(env, name, "an array of strings");
    return false;
  }
  Napi::Array array = value.As<Napi::Array>();
  uint32_t length = array.Length();
  out->resize(length);
  for (uint32_t i = 0; i < length; ++i) {
    Napi::Value item = array.Get(i);
    if (env.IsExceptionPending()) return false;
    if (!ReadCString(env, item, std::string(name) + "[" + std::to_string(i) + "]", &(*out)[i])) return false;
  }
  return true;
}

// -1 (not given) or an id.
bool ReadId(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t* out) {
  return ReadInt(info, i, name, -1, kMaxId, out);
}

#ifndef _WIN32
int Reap(int pid, int* status) {
  int r;
  do r = waitpid(pid, status, WNOHANG);
  while (r == -1 && errno == EINTR);
  return r;
}

void KillAndReap(int pid) {
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) == -1 && errno == EINTR) {
  }
}
#endif

}  // namespace

ProcessUv::~ProcessUv() {
#ifndef _WIN32
  if (pidfd >= 0) close(pidfd);
#endif
}

// The spawn's options as read from JS, and the C views of them that uv_spawn and posix_spawn take.
struct ProcessWrap::Options {
  std::string file;
  std::vector<std::string> argv;
  bool has_env = false;
  std::vector<std::string> env;
  bool has_cwd = false;
  std::string cwd;
  std::vector<uv_stdio_container_t> stdio;
  std::vector<StreamBase*> pipes;  // per stdio index: the Pipe of a created pipe, else nullptr
  int64_t uid = -1;
  int64_t gid = -1;
  unsigned int flags = 0;
  bool fast_path = true;

  std::vector<char*> argv_ptrs;
  std::vector<char*> env_ptrs;
  uv_process_options_t uv{};

  bool Read(const Napi::CallbackInfo& info, LoopWrap* loop);
  bool ReadStdio(Napi::Env env, const Napi::Value& flags_value, const Napi::Value& targets_value, LoopWrap* loop);
  bool ReadEntry(Napi::Env env, uint32_t i, int flags, const Napi::Value& target, LoopWrap* loop);
  void Finish();
};

bool ProcessWrap::Options::Read(const Napi::CallbackInfo& info, LoopWrap* loop) {
  Napi::Env env = info.Env();
  if (!ReadCString(env, info[1], "file", &file)) return false;
  if (file.empty()) {
    ThrowInvalidValue(env, "file", "must not be empty");
    return false;
  }
  if (!ReadStringArray(env, info[2], "argv", &argv)) return false;
  if (argv.empty()) {
    ThrowInvalidValue(env, "argv", "must hold at least argv[0]");
    return false;
  }
  has_env = !info[3].IsUndefined();
  if (has_env && !ReadStringArray(env, info[3], "env", &this->env)) return false;
  for (size_t i = 0; has_env && i < this->env.size(); ++i) {
    size_t eq = this->env[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      ThrowInvalidValue(env, "env[" + std::to_string(i) + "]", "must be a NAME=value string with a non-empty NAME");
      return false;
    }
  }
  has_cwd = !info[4].IsUndefined();
  if (has_cwd && !ReadCString(env, info[4], "cwd", &cwd)) return false;
  if (!ReadStdio(env, info[5], info[6], loop)) return false;
  int64_t user_flags = 0;
  if (!ReadId(info, 7, "uid", &uid) || !ReadId(info, 8, "gid", &gid) || !ReadInt(info, 9, "flags", 0, kUserFlags, &user_flags)) return false;
  if ((user_flags & ~static_cast<int64_t>(kUserFlags)) != 0) {
    ThrowInvalidValue(env, "flags", "has unknown bits");
    return false;
  }
  flags = static_cast<unsigned int>(user_flags);
  if (!info[10].IsUndefined() && !ReadBool(info, 10, "fastPath", &fast_path)) return false;
  return true;
}

// stdioFlags[i] and stdioTargets[i] describe stdio entry i (a uv_stdio_container_t).
bool ProcessWrap::Options::ReadStdio(Napi::Env env, const Napi::Value& flags_value, const Napi::Value& targets_value, LoopWrap* loop) {
  if (!flags_value.IsArray() || !targets_value.IsArray()) {
    ThrowInvalidArgType(env, "stdio", "two arrays (flags and targets)");
    return false;
  }
  Napi::Array flags_array = flags_value.As<Napi::Array>();
  Napi::Array targets = targets_value.As<Napi::Array>();
  uint32_t count = flags_array.Length();
  if (targets.Length() != count || count > 65536) {
    ThrowInvalidValue(env, "stdio", "must have as many targets as flags, at most 65536");
    return false;
  }
  stdio.resize(count);
  pipes.assign(count, nullptr);
  for (uint32_t i = 0; i < count; ++i) {
    Napi::Value f = flags_array.Get(i);
    if (env.IsExceptionPending()) return false;
    Napi::Value target = targets.Get(i);
    if (env.IsExceptionPending()) return false;
    if (!f.IsNumber()) {
      ThrowInvalidArgType(env, "stdio flags", "of type number");
      return false;
    }
    double d = f.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int>(d)) || d < 0 || d > 255) {
      ThrowInvalidValue(env, "stdio[" + std::to_string(i) + "]", "has invalid flags");
      return false;
    }
    if (!ReadEntry(env, i, static_cast<int>(d), target, loop)) return false;
  }
  return true;
}

// The combinations libuv accepts (anything else asserts in uv_spawn): ignore with no target; a
// created pipe (readable and/or writable from the child's side) into a new Pipe of this loop;
// an fd; an open stream's fd.
bool ProcessWrap::Options::ReadEntry(Napi::Env env, uint32_t i, int f, const Napi::Value& target, LoopWrap* loop) {
  std::string name = "stdio[" + std::to_string(i) + "]";
  uv_stdio_container_t& c = stdio[i];
  c.flags = static_cast<uv_stdio_flags>(f);
  if (f == UV_IGNORE) {
    if (target.IsUndefined()) return true;
    ThrowInvalidValue(env, name, "ignored: must have no target");
    return false;
  }
  if (f == UV_INHERIT_FD) {
    if (!target.IsNumber()) {
      ThrowInvalidArgType(env, (name + ".fd").c_str(), "of type number");
      return false;
    }
    double fd = target.As<Napi::Number>().DoubleValue();
    if (fd != static_cast<double>(static_cast<int64_t>(fd)) || fd < 0 || fd > INT32_MAX) {
      ThrowOutOfRange(env, (name + ".fd").c_str(), ">= 0 and <= 2147483647 (an integer)");
      return false;
    }
    c.data.fd = static_cast<int>(fd);
    return true;
  }
  bool create = (f & UV_CREATE_PIPE) != 0;
  if (create ? (f & ~kPipeFlags) != 0 : f != UV_INHERIT_STREAM) {
    ThrowInvalidValue(env, name, "has flags libuv does not accept together (readable/writable go with a created pipe only)");
    return false;
  }
  StreamBase* stream = StreamBase::FromValue(env, target);
  if (stream == nullptr || (create && stream->StreamType() != UV_NAMED_PIPE)) {
    ThrowInvalidArgType(env, (name + (create ? ".pipe" : ".stream")).c_str(), create ? "a Pipe" : "a TCP, Pipe or TTY handle");
    return false;
  }
  if (!stream->is_open()) {
    ThrowInvalidValue(env, name, "is a closed handle");
    return false;
  }
  uv_os_fd_t fd;
  bool has_fd = uv_fileno(reinterpret_cast<uv_handle_t*>(stream->stream()), &fd) == 0;
  if (!create) {
    if (has_fd) {
      c.data.stream = stream->stream();
      return true;
    }
    ThrowInvalidValue(env, name, "is a stream with no fd yet (not bound, connected or opened)");
    return false;
  }
  if (has_fd) {
    ThrowInvalidValue(env, name, "must be a new Pipe (this one is already open)");
    return false;
  }
  if (stream->loop() != loop) {
    ThrowInvalidValue(env, name, "must be a Pipe of the process's loop");
    return false;
  }
  for (StreamBase* other : pipes) {
    if (other == stream) {
      ThrowInvalidValue(env, name, "is a Pipe already given for another stdio entry");
      return false;
    }
  }
  pipes[i] = stream;
  c.data.stream = stream->stream();
  return true;
}

void ProcessWrap::Options::Finish() {
  for (std::string& arg : argv) argv_ptrs.push_back(arg.data());
  argv_ptrs.push_back(nullptr);
  for (std::string& entry : env) env_ptrs.push_back(entry.data());
  env_ptrs.push_back(nullptr);
  uv.exit_cb = OnExit;
  uv.file = file.c_str();
  uv.args = argv_ptrs.data();
  uv.env = has_env ? env_ptrs.data() : nullptr;
  uv.cwd = has_cwd ? cwd.c_str() : nullptr;
  uv.flags = flags;
  if (uid >= 0) {
    uv.flags |= UV_PROCESS_SETUID;
    uv.uid = static_cast<uv_uid_t>(uid);
  }
  if (gid >= 0) {
    uv.flags |= UV_PROCESS_SETGID;
    uv.gid = static_cast<uv_gid_t>(gid);
  }
  uv.stdio_count = static_cast<int>(stdio.size());
  uv.stdio = stdio.data();
}

// --- callbacks ---

void ProcessWrap::OnExit(uv_process_t* process, int64_t status, int signal) {
  ProcessWrap* self = OwnerOf<ProcessWrap>(process);
  if (self != nullptr) self->Exited(status, signal);
}

// The pidfd is readable once the child has exited: reap it (it is ours alone; libuv's SIGCHLD
// handler waits only for the pids in its own list) and report as libuv would.
void ProcessWrap::OnPidfd(uv_poll_t* poll, int, int) {
#ifndef _WIN32
  ProcessWrap* self = OwnerOf<ProcessWrap>(poll);
  if (self == nullptr) return;
  int status = 0;
  int r = Reap(self->pid_, &status);
  if (r == 0) return;  // not exited yet
  uv_poll_stop(poll);
  // r == -1: someone else reaped it (a waitpid(-1) elsewhere); libuv reports nothing then either.
  if (r == -1) {
    self->exited_ = true;
    self->UpdatePin();
    return;
  }
  self->Exited(WIFEXITED(status) ? WEXITSTATUS(status) : 0, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
#else
  (void)poll;
#endif
}

void ProcessWrap::Exited(int64_t status, int signal) {
  exited_ = true;
  napi_env env = state_->env;
  Napi::HandleScope scope{Napi::Env(env)};
  Invoke(env, Callback::kExit, {Napi::Number::New(env, static_cast<double>(status)), Napi::Number::New(env, signal)});
  UpdatePin();  // inactive now: the handle may be collected or closed
}

// Closed before the exit was reported: the child is left to the reaper, or it would stay a zombie.
void ProcessWrap::BeforeClose() {
  if (pid_ > 0 && !exited_) AdoptOrphanChild(state_, pid_);
}

// --- methods ---

// Spawns at once; a failure (ENOENT for a missing file, ...) is thrown and leaves no handle open.
ProcessWrap::ProcessWrap(const Napi::CallbackInfo& info) : HandleWrap(info) {
  if (loop_ == nullptr) return;  // FromValue threw (or the environment is going away)
  Napi::Env env = info.Env();
  Options options;
  if (!options.Read(info, loop_)) return;
  options.Finish();
  Spawn(env, options);
}

bool ProcessWrap::Spawn(Napi::Env env, Options& options) {
  fast_ = options.fast_path && CanSpawnFast(options.uv);
  int err = fast_ ? SpawnFastPath(options) : SpawnWithLibuv(options);
  if (err != 0) {
    ThrowUVError(env, err, "spawn");
    return false;
  }
  UpdatePin();
  return true;
}

// uv_spawn initialises the handle even when it fails: it is adopted either way, and a failed one
// is closed when the constructor's exception makes node-addon-api delete this wrapper.
int ProcessWrap::SpawnWithLibuv(Options& options) {
  auto* box = state_->NewBox<ProcessUv>(this);
  int err = uv_spawn(loop_->uv(), &box->uv.process, &options.uv);
  Adopt(&box->uv.handle);
  if (err == 0) pid_ = box->uv.process.pid;
  return err;
}

int ProcessWrap::SpawnFastPath(Options& options) {
  std::vector<int> parent_fds;
  int pid = 0;
  int pidfd = -1;
  int err = SpawnFast(options.uv, &parent_fds, &pid, &pidfd);
  OpenPipes(options, parent_fds);  // as uv_spawn does, also when exec failed
  if (err != 0) return err;
  auto* box = state_->NewBox<ProcessUv>(this);
  box->uv.pidfd = pidfd;
  err = uv_poll_init(loop_->uv(), &box->uv.poll, pidfd);
  if (err != 0) {
    delete box;  // closes the pidfd; the poll was never initialised
    --state_->live_uv_handles;
#ifndef _WIN32
    KillAndReap(pid);
#endif
    return err;
  }
  Adopt(&box->uv.handle);
  pid_ = pid;
  err = uv_poll_start(&box->uv.poll, UV_READABLE, OnPidfd);
  if (err != 0) {
#ifndef _WIN32
    KillAndReap(pid);
#endif
    exited_ = true;
  }
  return err;
}

// Opens each created pipe's Pipe on the parent's end of its socketpair, readable and writable as
// uv_spawn would make it (uv_pipe_open makes a socket both).
bool ProcessWrap::OpenPipes(Options& options, const std::vector<int>& parent_fds) {
  bool ok = true;
  for (size_t i = 0; i < parent_fds.size(); ++i) {
    if (parent_fds[i] < 0) continue;
    auto* pipe = reinterpret_cast<uv_pipe_t*>(options.pipes[i]->stream());
    if (uv_pipe_open(pipe, parent_fds[i]) != 0) {
#ifndef _WIN32
      close(parent_fds[i]);
#endif
      ok = false;
      continue;
    }
    int flags = options.stdio[i].flags;
    pipe->flags &= ~(kHandleReadable | kHandleWritable);
    if (flags & UV_WRITABLE_PIPE) pipe->flags |= kHandleReadable;
    if (flags & UV_READABLE_PIPE) pipe->flags |= kHandleWritable;
  }
  return ok;
}

// kill(signum): 0 only checks that the child is alive. After the exit was reported: ESRCH (the pid
// may belong to another process by now).
Napi::Value ProcessWrap::Kill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t signum = 0;
  if (!ReadInt(info, 0, "signum", 0, NSIG - 1, &signum)) return {};
  if (!CheckOpen(env)) return {};
  int err = exited_ ? UV_ESRCH : uv_kill(pid_, static_cast<int>(signum));
  if (err != 0) {
    ThrowUVError(env, err, "kill");
    return {};
  }
  return env.Undefined();
}

// A process handle has no fd (the fast path's pidfd is internal).
Napi::Value ProcessWrap::JsFileno(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return {};
  ThrowUVError(env, UV_EBADF, "uv_fileno");
  return {};
}

// Process.kill(pid, signum)
Napi::Value ProcessWrap::KillPid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t pid = 0;
  int64_t signum = 0;
  if (!ReadInt(info, 0, "pid", INT32_MIN, INT32_MAX, &pid) || !ReadInt(info, 1, "signum", 0, NSIG - 1, &signum)) return {};
  int err = uv_kill(static_cast<int>(pid), static_cast<int>(signum));
  if (err != 0) {
    ThrowUVError(env, err, "kill");
    return {};
  }
  return env.Undefined();
}

Napi::Value ProcessWrap::DisableStdioInheritance(const Napi::CallbackInfo& info) {
  uv_disable_stdio_inheritance();
  return info.Env().Undefined();
}

// --- accessors ---

// The child's pid; it stays readable after exit and close, as Node's ChildProcess#pid does.
Napi::Value ProcessWrap::GetPid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), pid_);
}

// Whether the child was spawned through posix_spawn + pidfd (fast_spawn.h).
Napi::Value ProcessWrap::GetFastPath(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), fast_);
}

Napi::Value ProcessWrap::GetExited(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), exited_);
}

// --- type ---

Napi::Function ProcessWrap::Define(Napi::Env env) {
  Napi::Function cls = DefineWith(env, {
                                           Method<ProcessWrap, &ProcessWrap::Kill>("kill"),
                                           Getter<ProcessWrap, &ProcessWrap::GetPid>("pid"),
                                           Getter<ProcessWrap, &ProcessWrap::GetFastPath>("fastPath"),
                                           Getter<ProcessWrap, &ProcessWrap::GetExited>("exited"),
                                       });
  if (env.IsExceptionPending()) return cls;
  cls.Set("kill", Napi::Function::New(env, KillPid, "kill"));
  cls.Set("disableStdioInheritance", Napi::Function::New(env, DisableStdioInheritance, "disableStdioInheritance"));
  return cls;
}

}  // namespace uvkit
