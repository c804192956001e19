// Module entry: per-environment state, the environment teardown hook, and the export table.
#include "addon.h"

#include "async.h"
#include "errors.h"
#include "handle.h"
#include "features.h"
#include "fs.h"
#include "fs_queue.h"
#include "fs_event.h"
#include "fs_poll.h"
#include "loop.h"
#include "orphan_loop.h"
#include "poll.h"
#include "signal_wrap.h"
#include "pipe.h"
#include "process.h"
#include "reaper.h"
#include "tcp.h"
#include "tty.h"
#include "udp.h"
#include "util.h"
#include "timer.h"
#include "constants.h"
#include "dns.h"
#include "pool_request.h"
#include "watchers.h"
#include "work.h"

namespace uvkit {

AddonState* AddonState::Get(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<AddonState*>(data);
}

namespace {
thread_local AddonState* this_thread_state = nullptr;
}  // namespace

AddonState* AddonState::OfThisThread() {
  return this_thread_state;
}

AddonState::~AddonState() {
  if (this_thread_state == this) this_thread_state = nullptr;
  DeleteFsState(fs);
  DeletePoolRequests(pool_requests);
  std::vector<HandleBase*> list;
  list.swap(orphans);
  for (HandleBase* orphan : list) {
    orphan->ForgetOrphanhood();
    delete orphan;
  }
}

void AddonState::RegisterLoop(LoopWrap* loop) {
  loops.push_back(loop);
}

void AddonState::UnregisterLoop(LoopWrap* loop) {
  for (auto it = loops.begin(); it != loops.end(); ++it) {
    if (*it == loop) {
      loops.erase(it);
      if (last_loop == loop) {
        last_loop = nullptr;
        last_loop_object.Reset();
      }
      return;
    }
  }
}

// Teardown of a main thread or worker environment. A synchronous cleanup hook that calls uv_close
// crashes Node (the close callback runs after the addon is gone); an open handle at worker exit
// aborts it. So: an async hook closes every handle without calling JS, runs private loops until
// they are closed, and is removed by the last close callback on Node's loop.
void AddonState::OnEnvCleanup(napi_async_cleanup_hook_handle, void* arg) {
  auto* state = static_cast<AddonState*>(arg);
  state->exiting = true;
  std::vector<LoopWrap*> snapshot = state->loops;
  for (LoopWrap* loop : snapshot) loop->Teardown();
  FinishOrphanLoops(state);
  CloseReaper(state);
  state->MaybeFinishTeardown();
}

void AddonState::MaybeFinishTeardown() {
  if (!exiting || live_uv_handles != 0 || cleanup_hook == nullptr) return;
  if (fs != nullptr && fs->in_flight != 0) return;  // libuv still owns requests of ours
  if (PoolRequestsInFlight(this) != 0) return;
  napi_async_cleanup_hook_handle hook = cleanup_hook;
  cleanup_hook = nullptr;
  napi_remove_async_cleanup_hook(hook);  // may free the environment (and this state): return at once
}

namespace {

// init({ UVError }): the TS layer registers the classes native code must construct.
Napi::Value InitBinding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) {
    ThrowInvalidArgType(env, "options", "of type object");
    return {};
  }
  Napi::Value ctor = info[0].As<Napi::Object>().Get("UVError");
  if (env.IsExceptionPending()) return {};  // a getter threw: let that error through
  if (!ctor.IsFunction()) {
    ThrowInvalidArgType(env, "options.UVError", "of type function");
    return {};
  }
  AddonState::Get(env)->uv_error_ctor = Napi::Persistent(ctor.As<Napi::Function>());
  return env.Undefined();
}

// setCallback(name, fn): registers the function native code calls for one kind of event.
Napi::Value SetCallback(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  static const char* const kNames[] = {"close", "timer",    "prepare", "check",   "idle",      "async",
                                       "signal", "read", "write",   "shutdown", "connect", "connection",
                                       "recv",   "recvBatch", "send",    "exit",    "poll",    "fsEvent",
                                       "fsPoll", "fsDone", "requestDone"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(Callback::kCount), "one name per callback");
  Napi::Function fn;
  if (!info[0].IsString()) {
    ThrowInvalidArgType(env, "name", "of type string");
    return {};
  }
  if (!ReadFunction(info, 1, "callback", &fn)) return {};
  std::string name = info[0].As<Napi::String>().Utf8Value();
  for (size_t i = 0; i < static_cast<size_t>(Callback::kCount); ++i) {
    if (name == kNames[i]) {
      AddonState::Get(env)->callbacks[i] = Napi::Persistent(fn);
      return env.Undefined();
    }
  }
  ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "Unknown callback name: " + name);
  return {};
}

// Counters for the test harness: handles not yet closed, uv handles not yet freed, open loops.
Napi::Value DebugCounts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonState* state = AddonState::Get(env);
  Napi::Object counts = Napi::Object::New(env);
  counts.Set("handles", Napi::Number::New(env, static_cast<double>(state->live_handles)));
  // The reaper's SIGCHLD watcher (reaper.h) belongs to the environment, not to a test: it stays
  // while children of closed Process handles run, so it is not counted.
  // Likewise the check handle of each loop's fs completion queue (fs_queue.h).
  // So is the timer that turns collected loops until they close (orphan_loop.h).
  int64_t reaper = (state->reaper != nullptr ? 1 : 0) + (state->orphan_timer != nullptr ? 1 : 0);
  int64_t fs_queues = state->fs != nullptr ? state->fs->open_queues * kFsQueueHandles : 0;
  counts.Set("uvHandles", Napi::Number::New(env, static_cast<double>(state->live_uv_handles - reaper - fs_queues)));
  counts.Set("fsRequests", Napi::Number::New(env, static_cast<double>(state->fs != nullptr ? state->fs->in_flight : 0)));
  counts.Set("poolRequests", Napi::Number::New(env, static_cast<double>(PoolRequestsInFlight(state))));
  counts.Set("loops", Napi::Number::New(env, static_cast<double>(state->loops.size())));
  return counts;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* state = new AddonState(env);
  this_thread_state = state;
  napi_set_instance_data(
      env, state, [](napi_env, void* data, void*) { delete static_cast<AddonState*>(data); }, nullptr);
  napi_add_async_cleanup_hook(env, AddonState::OnEnvCleanup, state, &state->cleanup_hook);

  exports.Set("init", Napi::Function::New(env, InitBinding, "init"));
  exports.Set("setCallback", Napi::Function::New(env, SetCallback, "setCallback"));
  exports.Set("debugCounts", Napi::Function::New(env, DebugCounts, "debugCounts"));
  exports.Set("Loop", LoopWrap::Define(env));
  exports.Set("Timer", TimerWrap::Define(env));
  exports.Set("Prepare", PrepareWrap::Define(env));
  exports.Set("Check", CheckWrap::Define(env));
  exports.Set("Idle", IdleWrap::Define(env));
  exports.Set("Async", AsyncWrap::Define(env));
  exports.Set("asyncSend", Napi::Function::New(env, AsyncWrap::SendToken, "asyncSend"));
  exports.Set("Signal", SignalWrap::Define(env));
  exports.Set("TCP", TCPWrap::Define(env));
  exports.Set("Pipe", PipeWrap::Define(env));
  Napi::Function tty = TTYWrap::Define(env);
  tty.Set("resetMode", Napi::Function::New(env, TTYWrap::ResetMode, "resetMode"));
  exports.Set("TTY", tty);
  exports.Set("UDP", UDPWrap::Define(env));
  exports.Set("Process", ProcessWrap::Define(env));
  exports.Set("Poll", PollWrap::Define(env));
  exports.Set("FSEvent", FSEventWrap::Define(env));
  exports.Set("FSPoll", FSPollWrap::Define(env));
  exports.Set("features", FeaturesObject(env));
  InitFs(env, exports);
  InitConstants(env, exports);
  InitPoolRequests(env, exports);
  InitDns(env, exports);  // after the constants: it adds constants.dns
  InitUtil(env, exports);
  InitWork(env, exports);
  return exports;
}

}  // namespace
}  // namespace uvkit

static Napi::Object InitUvkit(Napi::Env env, Napi::Object exports) {
  return uvkit::Init(env, exports);
}

NODE_API_MODULE(uvkit, InitUvkit)
