// Thread-pool requests of a loop: numbering, cancellation, delivery to JS, detachment (see
// pool_request.h).
#include "pool_request.h"

#include "errors.h"
#include "loop.h"

namespace uvkit {

namespace {

PoolRequests* RequestsOf(AddonState* state) {
  if (state->pool_requests == nullptr) state->pool_requests = new PoolRequests();
  return state->pool_requests;
}

// cancelRequest(id): true when libuv took the request back before a thread ran it (its callback
// then gets a cancellation status); false when it is running, done, unknown or its loop is gone.
Napi::Value CancelRequest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t id = 0;
  if (!ReadInt(info, 0, "id", 0, UINT32_MAX, &id)) return {};
  return Napi::Boolean::New(env, CancelPoolRequest(AddonState::Get(env), static_cast<uint32_t>(id)));
}

}  // namespace

bool CancelPoolRequest(AddonState* state, uint32_t id) {
  if (state->pool_requests == nullptr) return false;
  auto it = state->pool_requests->by_id.find(id);
  if (it == state->pool_requests->by_id.end()) return false;
  PoolRequest* r = it->second;
  if (r->loop == nullptr || r->completing || r->cancelled) return false;
  r->cancelled = uv_cancel(r->uv()) == 0;
  return r->cancelled;
}

void PreparePoolRequest(AddonState* state, LoopWrap* loop, PoolRequest* r) {
  PoolRequests* requests = RequestsOf(state);
  r->state = state;
  r->loop = loop;
  do r->id = requests->next_id++;
  while (r->id == 0 || requests->by_id.count(r->id) != 0);
}

Napi::Value PoolRequestStarted(Napi::Env env, PoolRequest* r) {
  r->state->pool_requests->by_id[r->id] = r;
  r->loop->pool_requests.PushBack(r);
  if (r->loop->is_default()) {
    napi_value name;
    napi_create_string_utf8(env, "uvkit.request", NAPI_AUTO_LENGTH, &name);
    // A fresh resource per request: AsyncLocalStorage copies the caller's store onto it.
    if (napi_async_init(env, Napi::Object::New(env), name, &r->context) != napi_ok) r->context = nullptr;
  }
  r->loop->AfterJsCall();
  return Napi::Number::New(env, r->id);
}

bool BeginPoolCompletion(PoolRequest* r) {
  r->completing = true;
  if (r->loop == nullptr) return false;
  r->loop->pool_requests.Remove(r);
  return !r->state->exiting;
}

void DispatchPoolResult(PoolRequest* r, LoopWrap* loop, int status, napi_value result) {
  Napi::Env env(r->state->env);
  const Napi::FunctionReference& fn = r->state->callbacks[static_cast<int>(Callback::kRequestDone)];
  Napi::Object recv = loop->Value();
  if (fn.IsEmpty() || recv.IsEmpty()) return;
  napi_value args[3] = {Napi::Number::New(env, r->id), Napi::Number::New(env, status), result};
  loop->DispatchIn(env, r->context, recv, fn.Value(), 3, args);
}

void FreePoolRequest(PoolRequest* r) {
  AddonState* state = r->state;
  state->pool_requests->by_id.erase(r->id);
  if (r->context != nullptr) napi_async_destroy(state->env, r->context);
  delete r;
  state->MaybeFinishTeardown();
}

void DetachPoolRequests(LoopWrap* loop) {
  loop->pool_requests.ForEach([loop](PoolRequest* r) {
    loop->pool_requests.Remove(r);
    r->loop = nullptr;
    if (!r->cancelled) r->cancelled = uv_cancel(r->uv()) == 0;  // queued ones end at once
    if (!r->cancelled) r->Abandon();
    if (r->context != nullptr) {
      napi_async_destroy(r->state->env, r->context);
      r->context = nullptr;
    }
  });
}

void DeletePoolRequests(PoolRequests* requests) {
  delete requests;
}

void InitPoolRequests(Napi::Env env, Napi::Object exports) {
  exports.Set("cancelRequest", Napi::Function::New(env, CancelRequest, "cancelRequest"));
}

}  // namespace uvkit
