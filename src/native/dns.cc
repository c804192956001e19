// DNS (API.md "fs, dns, util"): getaddrinfo and getnameinfo on a loop, cancellable while they wait
// for a thread-pool thread (cancelRequest). Lifetime and delivery: pool_request.h.
#include "dns.h"

#include <string>

#include "address.h"
#include "errors.h"
#include "loop.h"
#include "pool_request.h"

namespace uvkit {

namespace {

// socktype numbers of the binding (the platform's SOCK_* differ): 0 any, then these.
constexpr int kSockTypes[] = {0, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW};
constexpr const char* kSockTypeNames[] = {nullptr, "stream", "dgram", "raw"};

struct DnsRequest : PoolRequest {
  union {
    uv_getaddrinfo_t addrinfo;
    uv_getnameinfo_t nameinfo;
  } req;
  uv_req_t* uv() override { return reinterpret_cast<uv_req_t*>(&req); }
};

// --- completion ---

Napi::Value AddrInfoArray(Napi::Env env, const addrinfo* list) {
  Napi::Array result = Napi::Array::New(env);
  uint32_t n = 0;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    Napi::Value address = SocketAddressToObject(env, ai->ai_addr);
    if (!address.IsObject()) continue;  // neither IPv4 nor IPv6
    Napi::Object entry = address.As<Napi::Object>();
    Napi::Value socktype = Napi::Number::New(env, ai->ai_socktype);
    for (size_t i = 1; i < sizeof kSockTypes / sizeof kSockTypes[0]; ++i) {
      if (ai->ai_socktype == kSockTypes[i]) socktype = Napi::String::New(env, kSockTypeNames[i]);
    }
    entry.Set("socktype", socktype);
    entry.Set("protocol", Napi::Number::New(env, ai->ai_protocol));
    if (ai->ai_canonname != nullptr) entry.Set("canonname", Napi::String::New(env, ai->ai_canonname));
    result.Set(n++, entry);
  }
  return result;
}

void OnAddrInfo(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  auto* r = static_cast<DnsRequest*>(req->data);
  CompletePoolRequest(r, status, [res](Napi::Env env) { return AddrInfoArray(env, res); });
  uv_freeaddrinfo(res);
  FreePoolRequest(r);
}

void OnNameInfo(uv_getnameinfo_t* req, int status, const char* hostname, const char* service) {
  auto* r = static_cast<DnsRequest*>(req->data);
  CompletePoolRequest(r, status, [hostname, service](Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("hostname", Napi::String::New(env, hostname != nullptr ? hostname : ""));
    result.Set("service", Napi::String::New(env, service != nullptr ? service : ""));
    return result;
  });
  FreePoolRequest(r);
}

// --- starting ---

// The loop of info[0], open and not closing; nullptr after throwing.
LoopWrap* ReadLoop(const Napi::CallbackInfo& info) {
  LoopWrap* loop = LoopWrap::FromValue(info.Env(), info[0]);
  if (loop == nullptr) return nullptr;
  if (!loop->accepting_handles()) {
    ThrowLoopClosed(info.Env());
    return nullptr;
  }
  return loop;
}

// A string without NUL bytes, or null/undefined (empty `out`, *given = false).
bool ReadOptionalString(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out, bool* given) {
  *given = !info[i].IsNull() && !info[i].IsUndefined();
  return !*given || ReadString(info, i, name, out);
}

// getaddrinfo(loop, host | null, service | null, family (0, 4, 6), socktype (0 any, 1 stream,
// 2 dgram, 3 raw), protocol, flags) -> request number.
Napi::Value GetAddrInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LoopWrap* loop = ReadLoop(info);
  if (loop == nullptr) return {};
  std::string host;
  std::string service;
  bool has_host = false;
  bool has_service = false;
  int64_t family = 0;
  int64_t socktype = 0;
  int64_t protocol = 0;
  int64_t flags = 0;
  if (!ReadOptionalString(info, 1, "host", &host, &has_host) ||
      !ReadOptionalString(info, 2, "service", &service, &has_service) ||
      !ReadInt(info, 3, "family", 0, 6, &family) || !ReadInt(info, 4, "socktype", 0, 3, &socktype) ||
      !ReadInt(info, 5, "protocol", 0, 255, &protocol) || !ReadInt(info, 6, "flags", 0, INT32_MAX, &flags)) {
    return {};
  }
  if (family != 0 && family != 4 && family != 6) {
    ThrowOutOfRange(env, "family", "0, 4 or 6");
    return {};
  }
  addrinfo hints{};
  hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = kSockTypes[socktype];
  hints.ai_protocol = static_cast<int>(protocol);
  hints.ai_flags = static_cast<int>(flags);
  auto* r = new DnsRequest();
  PreparePoolRequest(loop->state(), loop, r);
  r->req.addrinfo.data = r;
  // libuv copies host, service and hints into the request.
  int err = uv_getaddrinfo(loop->uv(), &r->req.addrinfo, OnAddrInfo, has_host ? host.c_str() : nullptr,
                           has_service ? service.c_str() : nullptr, &hints);
  if (err != 0) {
    delete r;
    ThrowUVError(env, err, "getaddrinfo");
    return {};
  }
  return PoolRequestStarted(env, r);
}

// getnameinfo(loop, address, port, flags) -> request number.
Napi::Value GetNameInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LoopWrap* loop = ReadLoop(info);
  if (loop == nullptr) return {};
  sockaddr_storage addr{};
  int64_t flags = 0;
  if (!ReadSocketAddress(info, 1, 2, &addr) || !ReadInt(info, 3, "flags", 0, INT32_MAX, &flags)) return {};
  auto* r = new DnsRequest();
  PreparePoolRequest(loop->state(), loop, r);
  r->req.nameinfo.data = r;
  int err = uv_getnameinfo(loop->uv(), &r->req.nameinfo, OnNameInfo, reinterpret_cast<sockaddr*>(&addr), static_cast<int>(flags));
  if (err != 0) {
    delete r;
    ThrowUVError(env, err, "getnameinfo");
    return {};
  }
  return PoolRequestStarted(env, r);
}

Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  c.Set("AI_PASSIVE", Napi::Number::New(env, AI_PASSIVE));
  c.Set("AI_CANONNAME", Napi::Number::New(env, AI_CANONNAME));
  c.Set("AI_NUMERICHOST", Napi::Number::New(env, AI_NUMERICHOST));
  c.Set("AI_NUMERICSERV", Napi::Number::New(env, AI_NUMERICSERV));
  c.Set("AI_ADDRCONFIG", Napi::Number::New(env, AI_ADDRCONFIG));
#ifdef AI_V4MAPPED
  c.Set("AI_V4MAPPED", Napi::Number::New(env, AI_V4MAPPED));
#endif
#ifdef AI_ALL
  c.Set("AI_ALL", Napi::Number::New(env, AI_ALL));
#endif
  c.Set("NI_NOFQDN", Napi::Number::New(env, NI_NOFQDN));
  c.Set("NI_NUMERICHOST", Napi::Number::New(env, NI_NUMERICHOST));
  c.Set("NI_NAMEREQD", Napi::Number::New(env, NI_NAMEREQD));
  c.Set("NI_NUMERICSERV", Napi::Number::New(env, NI_NUMERICSERV));
  c.Set("NI_DGRAM", Napi::Number::New(env, NI_DGRAM));
  return c;
}

}  // namespace

void InitDns(Napi::Env env, Napi::Object exports) {
  Napi::Object dns = Napi::Object::New(env);
  dns.Set("getaddrinfo", Napi::Function::New(env, GetAddrInfo, "getaddrinfo"));
  dns.Set("getnameinfo", Napi::Function::New(env, GetNameInfo, "getnameinfo"));
  exports.Set("dns", dns);
  exports.Get("constants").As<Napi::Object>().Set("dns", Constants(env));
}

}  // namespace uvkit
