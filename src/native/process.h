// Process: a child process, spawned by the constructor. Its exit reaches JS once, through the
// registered 'exit' callback (status, signal); the handle is active (and pinned) until then.
//
// Two ways to spawn (fast_spawn.h says which options take which): uv_spawn, with libuv's
// uv_process_t watching the exit; or, on Linux, posix_spawn with a uv_poll_t on the child's pidfd
// (the handle reaps the child itself: libuv's SIGCHLD handler only waits for the pids it spawned).
#pragma once

#include "handle.h"

namespace uvkit {

// The uv handle behind a Process: a uv_process_t or a uv_poll_t. Both begin with the uv_handle_t
// fields, so closing, ref and the rest work on either through `handle`.
struct ProcessUv {
  union {
    uv_handle_t handle;
    uv_process_t process;
    uv_poll_t poll;
  };
  int pidfd = -1;  // fast path: closed with the box, after uv_close has stopped polling it

  ProcessUv() : process() {}
  ~ProcessUv();
  ProcessUv(const ProcessUv&) = delete;
  ProcessUv& operator=(const ProcessUv&) = delete;
};

inline void*& HandleData(ProcessUv& uv) { return uv.handle.data; }

class ProcessWrap : public HandleWrap<ProcessWrap, ProcessUv> {
 public:
  static constexpr const char* kClassName = "Process";
  static Napi::Function Define(Napi::Env env);

  // new Process(loop, file, argv, env, cwd, stdioFlags, stdioTargets, uid, gid, flags, fastPath)
  explicit ProcessWrap(const Napi::CallbackInfo& info);
  // Collected unclosed: detached while still a ProcessWrap, so its BeforeClose runs (handle.h).
  ~ProcessWrap() override { Detach(); }

  Napi::Value Kill(const Napi::CallbackInfo& info);
  Napi::Value JsFileno(const Napi::CallbackInfo& info);
  Napi::Value GetPid(const Napi::CallbackInfo& info);
  Napi::Value GetFastPath(const Napi::CallbackInfo& info);
  Napi::Value GetExited(const Napi::CallbackInfo& info);

  static Napi::Value KillPid(const Napi::CallbackInfo& info);
  static Napi::Value DisableStdioInheritance(const Napi::CallbackInfo& info);

 private:
  struct Options;

  static void OnExit(uv_process_t* process, int64_t status, int signal);
  static void OnPidfd(uv_poll_t* poll, int status, int events);
  void Exited(int64_t status, int signal);
  void BeforeClose() override;

  bool Spawn(Napi::Env env, Options& options);
  int SpawnWithLibuv(Options& options);
  int SpawnFastPath(Options& options);
  bool OpenPipes(Options& options, const std::vector<int>& parent_fds);

  int pid_ = 0;
  bool fast_ = false;
  bool exited_ = false;
};

}  // namespace uvkit
