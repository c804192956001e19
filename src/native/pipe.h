#pragma once

#include "stream.h"

namespace uvkit {

class PipeWrap : public HandleWrap<PipeWrap, uv_pipe_t, StreamBase> {
 public:
  static constexpr napi_type_tag kTypeTag = {0x75766b6974506970ULL, 0x0000000000000012ULL};
  static constexpr const char* kClassName = "Pipe";
  static Napi::Function Define(Napi::Env env);

  // new Pipe(loop, ipc)
  explicit PipeWrap(const Napi::CallbackInfo& info);
  uv_handle_type StreamType() const override { return UV_NAMED_PIPE; }
  uv_handle_type AcceptedType() const override;

  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value PendingInstances(const Napi::CallbackInfo& info);
  Napi::Value PendingHandleType(const Napi::CallbackInfo& info);
  Napi::Value PendingCount(const Napi::CallbackInfo& info);
  Napi::Value GetSockName(const Napi::CallbackInfo& info);
  Napi::Value GetPeerName(const Napi::CallbackInfo& info);
  Napi::Value Chmod(const Napi::CallbackInfo& info);
  Napi::Value GetIpc(const Napi::CallbackInfo& info);

 protected:
  bool ReadSendHandle(const Napi::CallbackInfo& info, size_t index, uv_stream_t** out) override;

 private:
  Napi::Value Name(const Napi::CallbackInfo& info, int (*fn)(const uv_pipe_t*, char*, size_t*), const char* syscall);
};

}  // namespace uvkit
