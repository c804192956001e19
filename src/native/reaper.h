// Children whose Process handle closed before they exited. Nothing else would ever wait for them
// (libuv forgets a closed uv_process_t; a fast-path child's pidfd closes with its handle), so each
// would stay a zombie for the life of the process. The reaper waits for them on SIGCHLD, with an
// unreferenced uv_signal_t on Node's loop of the environment, and closes when none is left.
#pragma once

#include "addon.h"

namespace uvkit {

// Takes over waiting for `pid`, a child of this process nobody has waited for yet.
void AdoptOrphanChild(AddonState* state, int pid);

// Environment teardown: stop watching (the children left are reaped by init once we exit).
void CloseReaper(AddonState* state);

}  // namespace uvkit
