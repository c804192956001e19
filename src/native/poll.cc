// Poll: uv_poll_t. Two rules keep libuv's asserts and aborts out of reach of JS:
// - The Poll watches its own duplicate of the caller's fd. libuv registers the fd with epoll again
//   at each start(); had the caller closed it meanwhile (or reused its number for a regular file),
//   epoll_ctl would fail and libuv abort (uvloop#100). The duplicate stays valid whatever the
//   caller does with its own fd, and is closed with the handle.
// - One Poll per fd per loop: a second Poll for an fd that already has one on the loop is refused
//   with EEXIST, in every order (libuv's own rule, which it enforces only when the first is
//   started; pyuv#54 aborted on two watchers of one fd). The loop keeps the fds its Polls were
//   made for (LoopWrap::polled_fds) until they close.
#include "poll.h"

#include <string>

#ifndef _WIN32
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#endif

namespace uvkit {

namespace {

constexpr int kAllEvents = UV_READABLE | UV_WRITABLE | UV_DISCONNECT | UV_PRIORITIZED;

// uv_poll_init on a duplicate of `fd` (kept in `uv`, so the box closes it also when init fails).
// libuv checks that epoll accepts it: EPERM for a regular file, EBADF for a closed fd.
int InitOnDuplicate(uv_loop_t* loop, PollUv* uv, int fd) {
#ifdef _WIN32
  return uv_poll_init_socket(loop, &uv->poll, static_cast<uv_os_sock_t>(fd));
#else
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return uv_translate_sys_error(errno);
  uv->fd = copy;
  return uv_poll_init(loop, &uv->poll, copy);
#endif
}

// EEXIST, with a message that names the fd ("file already exists" alone would not say which).
void ThrowAlreadyPolled(Napi::Env env, int64_t fd) {
  ThrowUVErrorNoting(env, UV_EEXIST, "uv_poll_init", "fd " + std::to_string(fd) + " already has a Poll on this loop: close that one first");
}

}  // namespace

PollUv::~PollUv() {
#ifndef _WIN32
  if (fd >= 0) close(fd);
#endif
}

// --- callbacks ---

// status < 0: libuv saw an error on the fd (EBADF for POLLERR) and stopped the handle.
void PollWrap::OnPoll(uv_poll_t* handle, int status, int events) {
  PollWrap* self = OwnerOf<PollWrap>(handle);
  if (self == nullptr) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  self->Invoke(env, Callback::kPoll, {Napi::Number::New(env, status), Napi::Number::New(env, events)});
  self->UpdatePin();
}

// --- methods ---

PollWrap::PollWrap(const Napi::CallbackInfo& info) : HandleWrap(info) {
  if (loop_ == nullptr) return;  // FromValue threw (or the environment is going away)
  Napi::Env env = info.Env();
  int64_t fd = 0;
  if (!ReadInt(info, 1, "fd", 0, INT32_MAX, &fd)) return;
  if (loop_->polled_fds.count(static_cast<int>(fd)) != 0) {
    ThrowAlreadyPolled(env, fd);
    return;
  }
  auto init = [fd](uv_loop_t* loop, PollUv* uv) { return InitOnDuplicate(loop, uv, static_cast<int>(fd)); };
  if (!InitHandle(env, "uv_poll_init", init)) return;
  fd_ = static_cast<int>(fd);
  loop_->polled_fds.insert(fd_);
}

// Collected unclosed: detach here, while this is still a PollWrap. ~HandleWrap detaches too, but
// by then the object is only a HandleWrap: BeforeClose would not reach PollWrap's, and the fd
// would stay claimed on the loop for good.
PollWrap::~PollWrap() {
  Detach();
}

// The fd is free for a new Poll as soon as this one closes: uv_close stops watching at once.
void PollWrap::BeforeClose() {
  loop_->polled_fds.erase(fd_);
}

// start(events): a mask of UV_READABLE, UV_WRITABLE, UV_DISCONNECT, UV_PRIORITIZED (not empty:
// stop() stops). Starting again changes the mask. Events come through the registered poll callback.
Napi::Value PollWrap::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t events = 0;
  if (!ReadInt(info, 0, "events", 1, kAllEvents, &events)) return {};
  if (!CheckOpen(env)) return {};
  int err = uv_poll_start(poll(), static_cast<int>(events), OnPoll);
  if (err != 0) {
    ThrowUVError(env, err, "uv_poll_start");
    return {};
  }
  UpdatePin();
  return env.Undefined();
}

Napi::Value PollWrap::Stop(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  uv_poll_stop(poll());
  UpdatePin();
  return info.Env().Undefined();
}

// The caller's fd, not the duplicate libuv watches.
Napi::Value PollWrap::JsFileno(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  return Napi::Number::New(info.Env(), fd_);
}

// --- type ---

Napi::Function PollWrap::Define(Napi::Env env) {
  return DefineWith(env, {
                             Method<PollWrap, &PollWrap::Start>("start"),
                             Method<PollWrap, &PollWrap::Stop>("stop"),
                         });
}

}  // namespace uvkit
