#include "reaper.h"

#ifndef _WIN32
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#endif

#include <algorithm>

#include "handle.h"

namespace uvkit {

namespace {

#ifndef _WIN32
// Waits for those of the orphans that have exited; true when none is left.
bool ReapExited(AddonState* state) {
  auto& pids = state->orphan_children;
  auto gone = [](int pid) {
    int r;
    do r = waitpid(pid, nullptr, WNOHANG);
    while (r == -1 && errno == EINTR);
    return r != 0;  // reaped, or no longer ours to wait for (ECHILD)
  };
  pids.erase(std::remove_if(pids.begin(), pids.end(), gone), pids.end());
  return pids.empty();
}

void OnSigchld(uv_signal_t* signal, int) {
  AddonState* state = static_cast<UvHandleHeader*>(signal->data)->state;
  if (ReapExited(state)) CloseReaper(state);
}
#endif

}  // namespace

void AdoptOrphanChild(AddonState* state, int pid) {
#ifndef _WIN32
  state->orphan_children.push_back(pid);
  uv_loop_t* loop = nullptr;
  if (state->reaper == nullptr && !state->exiting && napi_get_uv_event_loop(state->env, &loop) == napi_ok) {
    auto* box = state->NewBox<uv_signal_t>(nullptr);
    uv_signal_init(loop, &box->uv);
    uv_signal_start(&box->uv, OnSigchld, SIGCHLD);
    uv_unref(reinterpret_cast<uv_handle_t*>(&box->uv));
    state->reaper = &box->uv;
  }
  // After the watcher started: a child that exited before it did sent its SIGCHLD unseen.
  if (ReapExited(state)) CloseReaper(state);
#else
  (void)state;
  (void)pid;
#endif
}

void CloseReaper(AddonState* state) {
  if (state->reaper == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(state->reaper), HandleBase::OnUvClose);
  state->reaper = nullptr;
}

}  // namespace uvkit
