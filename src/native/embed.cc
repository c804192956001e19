// Driving a private loop from Node's loop without blocking it (loop.embed()): the LoopWrap side
// (embed, unembed, one turn, re-arming) and the PollEmbedder.
//
// PollEmbedder: Node's loop watches our backend fd (epoll/kqueue) with a uv_poll and our next timer
// with a uv_timer; either one runs us with UV_RUN_NOWAIT. libuv only hands new watchers to the
// kernel inside uv__io_poll, so after JS changes an embedded loop (a timer started, a handle
// closed) an idle handle on Node's loop makes it turn us once more right away.
#include "embed.h"

#include "errors.h"
#include "handle.h"
#include "loop.h"

namespace uvkit {

namespace {

class PollEmbedder final : public Embedder {
 public:
  PollEmbedder(LoopWrap* loop, AddonState* state)
      : poll_(EmbedBox<uv_poll_t>::New(loop, state)),
        timer_(EmbedBox<uv_timer_t>::New(loop, state)),
        idle_(EmbedBox<uv_idle_t>::New(loop, state)) {}

  // Returns a libuv error and names the call that failed (Stop() then frees the boxes).
  int Init(uv_loop_t* node_loop, int fd, const char** syscall) {
    uv_timer_init(node_loop, &timer_->uv);
    uv_idle_init(node_loop, &idle_->uv);
    uv_unref(idle_->handle());  // a nudge, never a reason to stay alive
    *syscall = "uv_poll_init";
    int err = uv_poll_init(node_loop, &poll_->uv, fd);
    if (err != 0) return err;
    poll_initialised_ = true;
    *syscall = "uv_poll_start";
    return uv_poll_start(&poll_->uv, UV_READABLE, OnPoll);
  }

  void Arm(int timeout) override {
    if (timeout > 0) uv_timer_start(&timer_->uv, OnTimer, static_cast<uint64_t>(timeout), 0);
    else uv_timer_stop(&timer_->uv);
    // A zero timeout turns us from Node's idle phase, never from a 0 ms timer: libuv 1.46 reruns a
    // timer re-armed at 0 from its own callback in the same pass, forever.
    if (timeout == 0) Kick();
  }

  void Kick() override { uv_idle_start(&idle_->uv, OnIdle); }

  void SetReferenced(bool referenced) override {
    for (uv_handle_t* h : {poll_->handle(), timer_->handle()}) referenced ? uv_ref(h) : uv_unref(h);
  }

  void Stop() override {
    if (poll_initialised_) uv_close(poll_->handle(), HandleBase::OnUvClose);
    else ForgetBox(poll_);
    uv_close(timer_->handle(), HandleBase::OnUvClose);
    uv_close(idle_->handle(), HandleBase::OnUvClose);
  }

 private:
  static void OnPoll(uv_poll_t* poll, int, int) {
    if (LoopWrap* loop = EmbedBox<uv_poll_t>::LoopOf(poll)) loop->Drive();
  }
  static void OnTimer(uv_timer_t* timer) {
    if (LoopWrap* loop = EmbedBox<uv_timer_t>::LoopOf(timer)) loop->Drive();
  }
  static void OnIdle(uv_idle_t* idle) {
    uv_idle_stop(idle);
    if (LoopWrap* loop = EmbedBox<uv_idle_t>::LoopOf(idle)) loop->Drive();
  }
  // A box whose handle libuv never knew: freed here, not by a close callback.
  static void ForgetBox(EmbedBox<uv_poll_t>* box) {
    AddonState* state = box->state;
    delete box;
    --state->live_uv_handles;
  }

  EmbedBox<uv_poll_t>* poll_;
  EmbedBox<uv_timer_t>* timer_;
  EmbedBox<uv_idle_t>* idle_;
  bool poll_initialised_ = false;
};

}  // namespace

Embedder* NewPollEmbedder(napi_env env, LoopWrap* loop, uv_loop_t* node_loop) {
  auto* embedder = new PollEmbedder(loop, loop->state());
  const char* syscall = nullptr;
  int err = embedder->Init(node_loop, uv_backend_fd(loop->uv()), &syscall);
  if (err == 0) return embedder;
  embedder->Stop();
  delete embedder;
  ThrowUVError(Napi::Env(env), err, syscall);
  return nullptr;
}

// --- LoopWrap: embedding ---

// embed(thread = false): a helper thread instead of fd polling when asked, or when the backend fd
// cannot be polled (Windows).
Napi::Value LoopWrap::Embed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool thread = false;
  if (!info[0].IsUndefined() && !ReadBool(info, 0, "thread", &thread)) return {};
  if (!CheckPrivateIdle(env, "embed()")) return {};
  if (embedder_ != nullptr) return env.Undefined();
  uv_loop_t* node_loop = nullptr;
  if (napi_get_uv_event_loop(env, &node_loop) != napi_ok || node_loop == nullptr) {
    ThrowCodedError(env, ErrorKind::kError, "ERR_INVALID_STATE", "Node's loop is not available");
    return {};
  }
  bool pollable = uv_backend_fd(loop_) >= 0;
  embedder_ = (thread || !pollable) ? NewThreadEmbedder(env, this, node_loop) : NewPollEmbedder(env, this, node_loop);
  if (embedder_ == nullptr) return {};
  embedded_by_thread_ = thread || !pollable;
  Ref();  // Node's loop now calls us: stay alive until unembed() or close()
  AfterJsCall();
  return env.Undefined();
}

Napi::Value LoopWrap::Unembed(const Napi::CallbackInfo& info) {
  if (!CheckUsable(info.Env())) return {};
  StopEmbedding();
  return info.Env().Undefined();
}

// 'poll', 'thread', or null when not embedded.
Napi::Value LoopWrap::GetEmbedded(const Napi::CallbackInfo& info) {
  if (embedder_ == nullptr) return info.Env().Null();
  return Napi::String::New(info.Env(), embedded_by_thread_ ? "thread" : "poll");
}

void LoopWrap::StopEmbedding() {
  if (embedder_ == nullptr) return;
  embedder_->Stop();
  delete embedder_;
  embedder_ = nullptr;
  if (!state_->exiting) Unref();
}

void LoopWrap::AfterJsCall() {
  if (embedder_ == nullptr) return;
  if (driving_) {
    dirty_ = true;  // Drive() rearms when the current turn ends
    return;
  }
  embedder_->SetReferenced(uv_loop_alive(loop_) != 0);
  embedder_->Kick();
}

// One turn of the embedded loop. The whole turn runs inside one callback scope, so the nextTicks
// and promise jobs its callbacks queue run once the turn is over (driving_ is false again): code
// after an `await` may then close or run this loop.
void LoopWrap::Drive() {
  if (loop_ == nullptr || running_from_js_ || driving_) return;
  napi_env env = state_->env;
  Napi::HandleScope handle_scope(Napi::Env{env});
  napi_callback_scope scope = nullptr;
  napi_async_context context = LoopAsyncContext();
  if (context != nullptr) napi_open_callback_scope(env, Value(), context, &scope);
  driving_ = true;
  uv_run(loop_, UV_RUN_NOWAIT);
  driving_ = false;
  if (scope != nullptr) napi_close_callback_scope(env, scope);  // drains ticks and microtasks
  Rearm();
}

napi_async_context LoopWrap::LoopAsyncContext() {
  if (async_context_ == nullptr) {
    napi_value name;
    napi_create_string_utf8(state_->env, "uvkit.Loop", NAPI_AUTO_LENGTH, &name);
    if (napi_async_init(state_->env, Value(), name, &async_context_) != napi_ok) async_context_ = nullptr;
  }
  return async_context_;
}

// Arms the embedder for our next event. A loop with nothing alive needs no wake-up at all (libuv
// reports 0 for it too); JS starting new work kicks us through AfterJsCall.
void LoopWrap::Rearm() {
  if (embedder_ == nullptr || loop_ == nullptr) return;
  bool alive = uv_loop_alive(loop_) != 0;
  embedder_->SetReferenced(alive);
  int timeout = alive ? uv_backend_timeout(loop_) : -1;
  if (dirty_) timeout = 0;
  dirty_ = false;
  embedder_->Arm(timeout);
}

}  // namespace uvkit
