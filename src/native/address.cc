#include "address.h"

#include <cstring>
#include <string>

#include "errors.h"

namespace uvkit {

bool ReadSocketAddress(const Napi::CallbackInfo& info, size_t host_index, size_t port_index, sockaddr_storage* out) {
  Napi::Env env = info.Env();
  if (!info[host_index].IsString()) {
    ThrowInvalidArgType(env, "address", "of type string");
    return false;
  }
  int64_t port = 0;
  if (!ReadInt(info, port_index, "port", 0, 65535, &port)) return false;
  // On the stack: an address is short (a longer string is no address), and sends read one per call.
  char host[128];
  size_t length = 0;
  napi_get_value_string_utf8(env, info[host_index], host, sizeof host, &length);
  std::memset(out, 0, sizeof(*out));
  bool fits = length + 1 < sizeof host && std::strlen(host) == length;  // no truncation, no NUL inside
  if (fits && uv_ip4_addr(host, static_cast<int>(port), reinterpret_cast<sockaddr_in*>(out)) == 0) return true;
  if (fits && std::strchr(host, ':') != nullptr && uv_ip6_addr(host, static_cast<int>(port), reinterpret_cast<sockaddr_in6*>(out)) == 0) {
    return true;
  }
  ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE",
                  "The argument 'address' must be an IPv4 or IPv6 address. Received '" + info[host_index].As<Napi::String>().Utf8Value() + "'");
  return false;
}

Napi::Value SocketAddressToObject(Napi::Env env, const sockaddr* addr) {
  char ip[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  const char* family = nullptr;
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    uv_ip4_name(in, ip, sizeof ip);
    port = ntohs(in->sin_port);
    family = "IPv4";
  } else if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    uv_ip6_name(in6, ip, sizeof ip);
    port = ntohs(in6->sin6_port);
    family = "IPv6";
  } else {
    return env.Undefined();
  }
  Napi::Object object = Napi::Object::New(env);
  object.Set("address", ip);
  object.Set("family", family);
  object.Set("port", port);
  return object;
}

bool SameSocketAddress(const sockaddr* a, const sockaddr* b) {
  if (a->sa_family != b->sa_family) return false;
  if (a->sa_family == AF_INET) {
    const auto* x = reinterpret_cast<const sockaddr_in*>(a);
    const auto* y = reinterpret_cast<const sockaddr_in*>(b);
    return x->sin_port == y->sin_port && std::memcmp(&x->sin_addr, &y->sin_addr, sizeof x->sin_addr) == 0;
  }
  if (a->sa_family == AF_INET6) {
    const auto* x = reinterpret_cast<const sockaddr_in6*>(a);
    const auto* y = reinterpret_cast<const sockaddr_in6*>(b);
    return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
           std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return false;
}

Napi::Value AddressCache::Get(Napi::Env env, const sockaddr* addr) {
  if (!object_.IsEmpty() && SameSocketAddress(addr, reinterpret_cast<const sockaddr*>(&last_))) return object_.Value();
  Napi::Value object = SocketAddressToObject(env, addr);
  if (!object.IsObject()) return env.Null();
  napi_object_freeze(env, object);
  std::memcpy(&last_, addr, addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  object_ = Napi::Reference<Napi::Value>::New(object, 1);
  return object;
}

}  // namespace uvkit
