// A request libuv runs on its thread pool for a loop: a DNS lookup (dns.cc) or queued work
// (work.cc). The base keeps what they share:
// - each is numbered; JS keeps its side (callback, promise) in a table of the loop under that
//   number (src/ts/pool_request.ts), and native code calls the registered 'requestDone' function
//   with `this` = the loop, so a private loop dropped with requests in flight takes their callbacks
//   along;
// - it is listed on its loop until libuv calls it back; detached (the loop collected, the
//   environment ending), it completes without JS, and what it holds is released then;
// - libuv owns it from the start until its callback, which frees it; the environment's end waits
//   for the requests libuv still owns.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <unordered_map>

#include "addon.h"
#include "list.h"

namespace uvkit {

class LoopWrap;

struct PoolRequest {
  virtual ~PoolRequest() = default;
  // The uv request inside the derived struct (for uv_cancel).
  virtual uv_req_t* uv() = 0;
  // Detached while a pool thread may still run it: a long task can end early.
  virtual void Abandon() {}

  ListLink<PoolRequest> link;  // in loop->pool_requests while its loop may still hear of it
  AddonState* state = nullptr;
  LoopWrap* loop = nullptr;  // null once detached: completes without JS
  uint32_t id = 0;
  // libuv is calling it back: uv_cancel must not touch it any more (a request cancelled once would
  // be queued for a second callback).
  bool completing = false;
  bool cancelled = false;  // libuv answers a second uv_cancel with success too
  // On Node's loop the callback runs in the caller's async context (AsyncLocalStorage, hooks).
  napi_async_context context = nullptr;
};

struct PoolRequests {
  std::unordered_map<uint32_t, PoolRequest*> by_id;  // started, not yet called back by libuv
  uint32_t next_id = 1;
};

// A number for a new request of `loop` (fills in state, loop and id; nothing is registered yet).
void PreparePoolRequest(AddonState* state, LoopWrap* loop, PoolRequest* r);
// After libuv took the request: registers it and returns its number for JS.
Napi::Value PoolRequestStarted(Napi::Env env, PoolRequest* r);
// From libuv's callback: the request is done with the pool. Calls 'requestDone'(id, status,
// result) unless it was detached; `make_result` runs only when JS is called and status is 0.
template <typename MakeResult>
void CompletePoolRequest(PoolRequest* r, int status, MakeResult make_result);
// Unregisters and deletes it (last thing of libuv's callback).
void FreePoolRequest(PoolRequest* r);

// Env teardown or a collected loop: the loop's requests complete without JS (queued ones are
// cancelled).
void DetachPoolRequests(LoopWrap* loop);
// uv_cancel of request `id` of this environment, once, and only while libuv has not started
// calling it back; true when libuv took it back.
bool CancelPoolRequest(AddonState* state, uint32_t id);
void DeletePoolRequests(PoolRequests* requests);
// Requests libuv still owns (the environment's end waits for them).
inline size_t PoolRequestsInFlight(const AddonState* state) {
  return state->pool_requests != nullptr ? state->pool_requests->by_id.size() : 0;
}

void InitPoolRequests(Napi::Env env, Napi::Object exports);

// --- implementation of the template ---

void DispatchPoolResult(PoolRequest* r, LoopWrap* loop, int status, napi_value result);
bool BeginPoolCompletion(PoolRequest* r);

template <typename MakeResult>
void CompletePoolRequest(PoolRequest* r, int status, MakeResult make_result) {
  LoopWrap* loop = r->loop;
  if (!BeginPoolCompletion(r)) return;
  Napi::Env env(r->state->env);
  Napi::HandleScope scope(env);
  napi_value result = status == 0 ? static_cast<napi_value>(make_result(env)) : static_cast<napi_value>(env.Null());
  DispatchPoolResult(r, loop, status, result);
}

}  // namespace uvkit
