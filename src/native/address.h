// Socket addresses between JS ({ address, port, family }) and sockaddr.
#pragma once

#include <napi.h>
#include <uv.h>

namespace uvkit {

// host + port into `out` (IPv4 or IPv6 by the host's form). Throws ERR_INVALID_ARG_VALUE for a
// host that is not an IP address, ERR_OUT_OF_RANGE for a bad port; false after throwing.
bool ReadSocketAddress(const Napi::CallbackInfo& info, size_t host_index, size_t port_index, sockaddr_storage* out);

// { address, port, family: 'IPv4' | 'IPv6' }; undefined for other families.
Napi::Value SocketAddressToObject(Napi::Env env, const sockaddr* addr);

// The address object of the last peer, reused (frozen, so sharing it is safe) while datagrams keep
// coming from the same address: a busy UDP socket makes no object per datagram.
class AddressCache {
 public:
  Napi::Value Get(Napi::Env env, const sockaddr* addr);
  void Reset() { object_.Reset(); }

 private:
  sockaddr_storage last_{};
  Napi::Reference<Napi::Value> object_;
};

// Same family, address and port (and IPv6 scope).
bool SameSocketAddress(const sockaddr* a, const sockaddr* b);

}  // namespace uvkit
