// Driving a private loop from Node's loop without blocking it (loop.embed()).
//
// Node's loop watches our backend fd (epoll/kqueue) with a uv_poll and our next timer with a
// uv_timer; either one runs us with UV_RUN_NOWAIT. libuv only hands new watchers to the kernel
// inside uv__io_poll, so after JS changes an embedded loop (a timer started, a handle closed) an
// idle handle on Node's loop makes it turn us once more right away (AfterJsCall).
#include "handle.h"
#include "loop.h"

namespace uvkit {

template <typename UvT>
struct EmbedBox : UvHandleHeader {
  UvT uv{};
  LoopWrap* loop = nullptr;
};

struct Embedder {
  EmbedBox<uv_poll_t>* poll = nullptr;
  EmbedBox<uv_timer_t>* timer = nullptr;
  EmbedBox<uv_idle_t>* idle = nullptr;

  template <typename UvT>
  static EmbedBox<UvT>* NewBox(LoopWrap* loop) {
    auto* box = new EmbedBox<UvT>();
    box->state = loop->state();
    box->loop = loop;
    box->uv.data = static_cast<UvHandleHeader*>(box);
    ++box->state->live_uv_handles;
    return box;
  }

  template <typename UvT>
  static LoopWrap* LoopOf(UvT* uv) {
    auto* box = static_cast<EmbedBox<UvT>*>(static_cast<UvHandleHeader*>(uv->data));
    return box->state->exiting ? nullptr : box->loop;
  }

  static void OnPoll(uv_poll_t* poll, int, int) {
    if (LoopWrap* loop = LoopOf(poll)) loop->Drive();
  }
  static void OnTimer(uv_timer_t* timer) {
    if (LoopWrap* loop = LoopOf(timer)) loop->Drive();
  }
  static void OnIdle(uv_idle_t* idle) {
    uv_idle_stop(idle);
    if (LoopWrap* loop = LoopOf(idle)) loop->Drive();
  }

  // Node's loop stays alive exactly while the embedded loop has referenced work.
  void UpdateRefs(uv_loop_t* embedded) {
    if (uv_loop_alive(embedded)) {
      uv_ref(reinterpret_cast<uv_handle_t*>(&poll->uv));
      uv_ref(reinterpret_cast<uv_handle_t*>(&timer->uv));
    } else {
      uv_unref(reinterpret_cast<uv_handle_t*>(&poll->uv));
      uv_unref(reinterpret_cast<uv_handle_t*>(&timer->uv));
    }
  }
};

Napi::Value LoopWrap::Embed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckPrivateIdle(env, "embed()")) return {};
  if (embedder_ != nullptr) return env.Undefined();
  int fd = uv_backend_fd(loop_);
  uv_loop_t* node_loop = nullptr;
  if (fd < 0 || napi_get_uv_event_loop(env, &node_loop) != napi_ok || node_loop == nullptr) {
    ThrowCodedError(env, ErrorKind::kError, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM",
                    "embed() needs a pollable backend fd (Linux, macOS, BSD); this platform has none");
    return {};
  }
  auto* embedder = new Embedder();
  embedder->poll = Embedder::NewBox<uv_poll_t>(this);
  int err = uv_poll_init(node_loop, &embedder->poll->uv, fd);
  if (err != 0) {
    delete embedder->poll;
    --state_->live_uv_handles;
    delete embedder;
    ThrowUVError(env, err, "uv_poll_init");
    return {};
  }
  embedder->timer = Embedder::NewBox<uv_timer_t>(this);
  embedder->idle = Embedder::NewBox<uv_idle_t>(this);
  uv_timer_init(node_loop, &embedder->timer->uv);
  uv_idle_init(node_loop, &embedder->idle->uv);
  uv_unref(reinterpret_cast<uv_handle_t*>(&embedder->idle->uv));  // a nudge, never a reason to stay alive
  uv_poll_start(&embedder->poll->uv, UV_READABLE, Embedder::OnPoll);
  embedder_ = embedder;
  Ref();  // Node's loop now calls us: stay alive until unembed() or close()
  AfterJsCall();
  return env.Undefined();
}

Napi::Value LoopWrap::Unembed(const Napi::CallbackInfo& info) {
  if (!CheckUsable(info.Env())) return {};
  StopEmbedding();
  return info.Env().Undefined();
}

void LoopWrap::StopEmbedding() {
  if (embedder_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&embedder_->poll->uv), HandleBase::OnUvClose);
  uv_close(reinterpret_cast<uv_handle_t*>(&embedder_->timer->uv), HandleBase::OnUvClose);
  uv_close(reinterpret_cast<uv_handle_t*>(&embedder_->idle->uv), HandleBase::OnUvClose);
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
  embedder_->UpdateRefs(loop_);
  uv_idle_start(&embedder_->idle->uv, Embedder::OnIdle);
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

// Arms Node's side for our next event. A zero timeout (an active Idle, pending callbacks) turns us
// from Node's idle phase, never from a 0 ms timer: libuv 1.46 reruns a timer re-armed at 0 from its
// own callback in the same pass, forever. A loop with nothing alive needs no wake-up at all (libuv
// reports 0 for it too); JS starting new work kicks us through AfterJsCall.
napi_async_context LoopWrap::LoopAsyncContext() {
  if (async_context_ == nullptr) {
    napi_value name;
    napi_create_string_utf8(state_->env, "uvkit.Loop", NAPI_AUTO_LENGTH, &name);
    if (napi_async_init(state_->env, Value(), name, &async_context_) != napi_ok) async_context_ = nullptr;
  }
  return async_context_;
}

void LoopWrap::Rearm() {
  if (embedder_ == nullptr || loop_ == nullptr) return;
  embedder_->UpdateRefs(loop_);
  int timeout = uv_loop_alive(loop_) ? uv_backend_timeout(loop_) : -1;
  if (timeout > 0) uv_timer_start(&embedder_->timer->uv, Embedder::OnTimer, static_cast<uint64_t>(timeout), 0);
  else uv_timer_stop(&embedder_->timer->uv);
  if (timeout == 0 || dirty_) {
    dirty_ = false;
    uv_idle_start(&embedder_->idle->uv, Embedder::OnIdle);
  }
}

}  // namespace uvkit
