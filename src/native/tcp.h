#pragma once

#include "stream.h"

namespace uvkit {

class TCPWrap : public HandleWrap<TCPWrap, uv_tcp_t, StreamBase> {
 public:
  static constexpr napi_type_tag kTypeTag = {0x75766b6974544350ULL, 0x0000000000000011ULL};
  static constexpr const char* kClassName = "TCP";
  static Napi::Function Define(Napi::Env env);

  // new TCP(loop, family): family 0 (the socket is made at bind/connect), 4 or 6 (made now).
  explicit TCPWrap(const Napi::CallbackInfo& info);
  uv_handle_type StreamType() const override { return UV_TCP; }

  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value GetSockName(const Napi::CallbackInfo& info);
  Napi::Value GetPeerName(const Napi::CallbackInfo& info);
  Napi::Value NoDelay(const Napi::CallbackInfo& info);
  Napi::Value KeepAlive(const Napi::CallbackInfo& info);
  Napi::Value SimultaneousAccepts(const Napi::CallbackInfo& info);
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value CloseReset(const Napi::CallbackInfo& info);
  Napi::Value GetFamily(const Napi::CallbackInfo& info);

 private:
  int EnableReusePort(int family, unsigned int* flags);
  Napi::Value SetOption(const Napi::CallbackInfo& info, int (*fn)(uv_tcp_t*, int), const char* syscall);
};

}  // namespace uvkit
