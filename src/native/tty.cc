// TTY: uv_tty_t on a terminal fd; modes and window size.
#include "tty.h"

#include <string>

namespace uvkit {

// --- methods ---

TTYWrap::TTYWrap(const Napi::CallbackInfo& info) : HandleWrap(info) {
  Napi::Env env = info.Env();
  int64_t fd = 0;
  bool readable = false;
  if (!ReadInt(info, 1, "fd", 0, INT32_MAX, &fd)) return;
  if (!info[2].IsUndefined() && !ReadBool(info, 2, "readable", &readable)) return;
  if (uv_guess_handle(static_cast<uv_file>(fd)) != UV_TTY) {
    ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "fd " + std::to_string(fd) + " is not a terminal");
    return;
  }
  auto init = [fd, readable](uv_loop_t* loop, uv_tty_t* tty) { return uv_tty_init(loop, tty, static_cast<uv_file>(fd), readable ? 1 : 0); };
  if (!InitHandle(env, "uv_tty_init", init)) return;
  napi_type_tag_object(env, info.This(), &kTypeTag);
}

// setMode(mode): UV_TTY_MODE_NORMAL (0), UV_TTY_MODE_RAW (1), UV_TTY_MODE_IO (2).
Napi::Value TTYWrap::SetMode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t mode = 0;
  if (!ReadInt(info, 0, "mode", UV_TTY_MODE_NORMAL, UV_TTY_MODE_IO, &mode)) return {};
  if (!CheckOpen(env)) return {};
  int err = uv_tty_set_mode(uv(), static_cast<uv_tty_mode_t>(mode));
  if (err != 0) {
    ThrowUVError(env, err, "uv_tty_set_mode");
    return {};
  }
  return env.Undefined();
}

Napi::Value TTYWrap::GetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return {};
  int width = 0;
  int height = 0;
  int err = uv_tty_get_winsize(uv(), &width, &height);
  if (err != 0) {
    ThrowUVError(env, err, "uv_tty_get_winsize");
    return {};
  }
  Napi::Object size = Napi::Object::New(env);
  size.Set("width", width);
  size.Set("height", height);
  return size;
}

Napi::Value TTYWrap::ResetMode(const Napi::CallbackInfo& info) {
  int err = uv_tty_reset_mode();
  if (err != 0) {
    ThrowUVError(info.Env(), err, "uv_tty_reset_mode");
    return {};
  }
  return info.Env().Undefined();
}

// --- type ---

Napi::Function TTYWrap::Define(Napi::Env env) {
  return DefineWith(env, Concat(StreamProperties<TTYWrap>(),
                                {
                                    Method<TTYWrap, &TTYWrap::SetMode>("setMode"),
                                    Method<TTYWrap, &TTYWrap::GetWinsize>("getWinsize"),
                                }));
}

}  // namespace uvkit
