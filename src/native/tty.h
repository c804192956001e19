#pragma once

#include "stream.h"

namespace uvkit {

class TTYWrap : public HandleWrap<TTYWrap, uv_tty_t, StreamBase> {
 public:
  static constexpr napi_type_tag kTypeTag = {0x75766b6974545459ULL, 0x0000000000000013ULL};
  static constexpr const char* kClassName = "TTY";
  static Napi::Function Define(Napi::Env env);
  // TTY.resetMode(): back to the mode the first raw/io switch saved (process-wide).
  static Napi::Value ResetMode(const Napi::CallbackInfo& info);

  // new TTY(loop, fd, readable)
  explicit TTYWrap(const Napi::CallbackInfo& info);
  // Collected unclosed: detached while still a TTYWrap, so its BeforeClose runs (handle.h).
  ~TTYWrap() override { Detach(); }
  uv_handle_type StreamType() const override { return UV_TTY; }

  Napi::Value SetMode(const Napi::CallbackInfo& info);
  Napi::Value GetWinsize(const Napi::CallbackInfo& info);

 private:
  void BeforeClose() override;

  int mode_ = UV_TTY_MODE_NORMAL;
};

}  // namespace uvkit
