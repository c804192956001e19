// Private loops whose JS object was collected while libuv still had work on them (a read a pool
// thread is blocked in, close callbacks not yet run). Freeing such a loop must wait for that work;
// waiting in the collector's finalizer would block the JS thread for as long as a pool thread is
// busy (a read of a pipe nobody writes: forever). So the environment keeps them and turns each one
// without blocking from a timer on Node's loop until it can be closed and freed; at the
// environment's end it runs them until they close, as it does every private loop.
#pragma once

#include <uv.h>

#include "addon.h"

namespace uvkit {

// Takes over `loop` (detached: no JS runs for anything on it) and frees it once uv_loop_close
// works; false when it cannot (the environment is ending: then run the loop until it closes).
bool AdoptOrphanLoop(AddonState* state, uv_loop_t* loop);
// Environment teardown: runs each orphan loop until it closes, frees it, closes the timer.
void FinishOrphanLoops(AddonState* state);

}  // namespace uvkit
