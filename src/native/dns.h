// DNS: uv_getaddrinfo and uv_getnameinfo requests (they run on libuv's thread pool).
//
// Each request is numbered; JS keeps the request objects in a table of their loop (src/ts/dns.ts)
// and native code calls the registered 'dnsDone' function with `this` = the loop and the number,
// so a private loop dropped with requests in flight takes their callbacks with it. A request
// outlives its loop's JS object if need be: libuv owns it until its callback, which then frees it
// without calling JS.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <unordered_map>

#include "addon.h"
#include "list.h"

namespace uvkit {

class LoopWrap;

struct DnsRequest {
  union {
    uv_getaddrinfo_t addrinfo;
    uv_getnameinfo_t nameinfo;
  } req;
  ListLink<DnsRequest> link;  // in loop->dns_requests while the loop may still hear of it
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

struct DnsState {
  std::unordered_map<uint32_t, DnsRequest*> by_id;  // started, not yet called back by libuv
  uint32_t next_id = 1;
};

void InitDns(Napi::Env env, Napi::Object exports);
// Env teardown or a collected loop: the loop's requests complete without JS (those still queued
// are cancelled).
void DetachDnsRequests(LoopWrap* loop);
void DeleteDnsState(DnsState* dns);
// Requests libuv still owns (the environment's end waits for them).
inline size_t DnsInFlight(const AddonState* state) { return state->dns != nullptr ? state->dns->by_id.size() : 0; }

}  // namespace uvkit
