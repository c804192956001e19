// TTY: uv_tty_t on a terminal fd; modes and window size.
#include "tty.h"

#include <mutex>
#include <string>

#include "loop.h"

namespace uvkit {

// libuv (1.46) remembers, once per process, the fd of the first terminal taken out of normal mode,
// and uv_tty_reset_mode() restores that fd forever after, even once it is closed and its number
// reused. This mirrors that choice, to know when libuv's reset would hit a stale fd.
namespace {
std::mutex first_raw_mutex;
int first_raw_fd = -1;
bool first_raw_closed = false;

void NoteModeChange(int fd, int from, int to) {
  std::lock_guard<std::mutex> lock(first_raw_mutex);
  if (fd != -1 && from == UV_TTY_MODE_NORMAL && to != UV_TTY_MODE_NORMAL && first_raw_fd == -1) first_raw_fd = fd;
}

void NoteClosed(int fd) {
  std::lock_guard<std::mutex> lock(first_raw_mutex);
  if (fd != -1 && fd == first_raw_fd) first_raw_closed = true;
}

int FdOf(uv_tty_t* tty) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(tty), &fd) != 0) return -1;
#ifdef _WIN32
  return -1;  // libuv's reset is per console there, not per fd
#else
  return fd;
#endif
}

bool LibuvResetIsStale() {
  std::lock_guard<std::mutex> lock(first_raw_mutex);
  return first_raw_closed;
}
}  // namespace

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
  if (loop_ == nullptr || !CheckFdFree(env, state_, nullptr, fd, "uv_tty_init")) return;
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
  NoteModeChange(FdOf(uv()), mode_, static_cast<int>(mode));
  mode_ = static_cast<int>(mode);
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

// A terminal left raw is restored when its TTY closes (libuv 1.46 does not).
void TTYWrap::BeforeClose() {
  if (mode_ != UV_TTY_MODE_NORMAL) uv_tty_set_mode(uv(), UV_TTY_MODE_NORMAL);
  mode_ = UV_TTY_MODE_NORMAL;
  NoteClosed(FdOf(uv()));
}

// Once the terminal libuv would restore is closed (and restored then), restoring means putting
// this environment's own TTYs back to normal, each to the settings it saved.
Napi::Value TTYWrap::ResetMode(const Napi::CallbackInfo& info) {
  if (LibuvResetIsStale()) {
    for (LoopWrap* loop : AddonState::Get(info.Env())->loops) {
      loop->handles.ForEach([](HandleBase* h) {
        if (std::string(h->TypeName()) != kClassName || !h->is_open()) return;
        auto* tty = static_cast<TTYWrap*>(static_cast<StreamBase*>(h));
        if (tty->mode_ != UV_TTY_MODE_NORMAL && uv_tty_set_mode(tty->uv(), UV_TTY_MODE_NORMAL) == 0) tty->mode_ = UV_TTY_MODE_NORMAL;
      });
    }
    return info.Env().Undefined();
  }
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
