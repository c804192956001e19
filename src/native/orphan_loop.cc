// Collected private loops that still have work, turned from Node's loop until they close.
#include "orphan_loop.h"

#include <vector>

#include "handle.h"

namespace uvkit {

namespace {

constexpr uint64_t kOrphanPollMs = 10;

bool TryFree(uv_loop_t* loop) {
  uv_run(loop, UV_RUN_NOWAIT);
  if (uv_loop_close(loop) != 0) return false;
  delete loop;
  return true;
}

void CloseTimer(AddonState* state) {
  if (state->orphan_timer == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(state->orphan_timer), HandleBase::OnUvClose);
  state->orphan_timer = nullptr;
}

void OnOrphanTimer(uv_timer_t* timer) {
  AddonState* state = static_cast<UvHandleHeader*>(timer->data)->state;
  std::vector<uv_loop_t*> turning;  // (a loop collected meanwhile is added to the list anew)
  turning.swap(state->orphan_loops);
  for (uv_loop_t* loop : turning) {
    if (!TryFree(loop)) state->orphan_loops.push_back(loop);
  }
  if (state->orphan_loops.empty()) CloseTimer(state);
}

void StartTimer(AddonState* state, uv_loop_t* node_loop) {
  auto* box = state->NewBox<uv_timer_t>(nullptr);
  uv_timer_init(node_loop, &box->uv);
  uv_timer_start(&box->uv, OnOrphanTimer, kOrphanPollMs, kOrphanPollMs);
  uv_unref(reinterpret_cast<uv_handle_t*>(&box->uv));  // it must not keep the process alive
  state->orphan_timer = &box->uv;
}

}  // namespace

bool AdoptOrphanLoop(AddonState* state, uv_loop_t* loop) {
  if (state->exiting) return false;
  if (state->orphan_timer == nullptr) {
    uv_loop_t* node_loop = nullptr;
    if (napi_get_uv_event_loop(state->env, &node_loop) != napi_ok || node_loop == nullptr) return false;
    StartTimer(state, node_loop);
  }
  state->orphan_loops.push_back(loop);
  return true;
}

void FinishOrphanLoops(AddonState* state) {
  for (uv_loop_t* loop : state->orphan_loops) {
    while (uv_loop_close(loop) == UV_EBUSY) uv_run(loop, UV_RUN_ONCE);
    delete loop;
  }
  state->orphan_loops.clear();
  CloseTimer(state);
}

}  // namespace uvkit
