// Poll: readiness of an fd the caller owns (uv_poll_t): a socket, or on Unix anything epoll or
// kqueue can watch (pipes, terminals; never a regular file).
#pragma once

#include "handle.h"

namespace uvkit {

// The uv handle behind a Poll and the duplicate of the caller's fd that it watches. The duplicate
// is closed with the box, in the close callback: after uv_close has taken it out of the loop's
// epoll set (closing it earlier would leave the registration behind, firing forever).
struct PollUv {
  uv_poll_t poll{};
  int fd = -1;

  PollUv() = default;
  ~PollUv();
  PollUv(const PollUv&) = delete;
  PollUv& operator=(const PollUv&) = delete;
};

inline void*& HandleData(PollUv& uv) { return uv.poll.data; }

class PollWrap : public HandleWrap<PollWrap, PollUv> {
 public:
  static constexpr const char* kClassName = "Poll";
  static Napi::Function Define(Napi::Env env);

  // new Poll(loop, fd)
  explicit PollWrap(const Napi::CallbackInfo& info);
  ~PollWrap() override;

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value JsFileno(const Napi::CallbackInfo& info);

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events);
  void BeforeClose() override;
  uv_poll_t* poll() const { return &uv()->poll; }

  int fd_ = -1;  // the caller's fd: its entry in loop_->polled_fds, and what fileno() returns
};

}  // namespace uvkit
