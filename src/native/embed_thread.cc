// ThreadEmbedder: a helper thread waits on the embedded loop's backend (until an event, the loop's
// next timeout, or a wake-up from the JS thread), then wakes Node's loop with a uv_async and stays
// parked until the JS thread has run that turn and armed it again. The two threads take turns, so
// libuv itself is only ever called on the JS thread; the helper only waits.
//
// The wait is the one platform-specific piece: poll() on the backend fd and a wake pipe on POSIX;
// on Windows, GetQueuedCompletionStatus on the loop's IOCP, handing any packet back to libuv, with
// a packet of our own as the wake-up. (The Windows branch is built with MinGW-w64 and run under
// Wine with Windows Node by `npm run test:windows`: test/windows/embed.mjs.)
#include <atomic>

#ifdef _WIN32
#include <winsock2.h>  // before windows.h, as uv.h (uv/win.h) includes it
#include <windows.h>
#else
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#endif

#include "embed.h"
#include "errors.h"
#include "handle.h"
#include "loop.h"

namespace uvkit {

namespace {

#ifdef _WIN32
constexpr ULONG_PTR kWakeKey = 0x75766b6974;  // "uvkit": the completion key of our wake-ups

class BackendWaiter {
 public:
  int Init(uv_loop_t* loop) {
    iocp_ = loop->iocp;
    return 0;
  }
  void Wait(int timeout) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED* overlapped = nullptr;
    BOOL ok = GetQueuedCompletionStatus(iocp_, &bytes, &key, &overlapped, timeout < 0 ? INFINITE : static_cast<DWORD>(timeout));
    if (overlapped == nullptr && key == kWakeKey) return;
    if (ok || overlapped != nullptr) PostQueuedCompletionStatus(iocp_, bytes, key, overlapped);  // libuv's, give it back
  }
  // If the JS thread's own uv_run (loop.run() on an embedded loop) takes this packet instead, libuv
  // ignores it and the helper wakes at its timeout instead.
  void Wake() { PostQueuedCompletionStatus(iocp_, 0, kWakeKey, nullptr); }
  void Close() {}

 private:
  HANDLE iocp_ = nullptr;
};
#else
class BackendWaiter {
 public:
  int Init(uv_loop_t* loop) {
    backend_fd_ = uv_backend_fd(loop);
    if (pipe(wake_) != 0) return uv_translate_sys_error(errno);
    for (int fd : wake_) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    return 0;
  }
  // An interrupted wait just returns: a spurious turn is harmless.
  void Wait(int timeout) {
    struct pollfd fds[2] = {{backend_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 2, timeout) > 0 && fds[1].revents != 0) Drain();
  }
  void Wake() {
    char byte = 1;
    ssize_t ignored = write(wake_[1], &byte, 1);  // EAGAIN: a wake-up is already pending
    (void)ignored;
  }
  void Close() {
    for (int& fd : wake_) {
      if (fd >= 0) close(fd);
      fd = -1;
    }
  }

 private:
  void Drain() {
    char buffer[64];
    while (read(wake_[0], buffer, sizeof buffer) > 0) {
    }
  }

  int backend_fd_ = -1;
  int wake_[2] = {-1, -1};
};
#endif

class ThreadEmbedder final : public Embedder {
 public:
  ThreadEmbedder(LoopWrap* loop, AddonState* state) : ready_(EmbedBox<uv_async_t>::New(loop, state)) {
    ready_->embedder = this;
  }

  // Returns a libuv error and names the call that failed; on failure nothing is left running.
  int Init(uv_loop_t* node_loop, uv_loop_t* embedded, const char** syscall) {
    *syscall = "uv_async_init";
    int err = uv_async_init(node_loop, &ready_->uv, OnReady);
    if (err != 0) return err;
    ready_initialised_ = true;
    *syscall = "pipe";
    if ((err = waiter_.Init(embedded)) != 0) return err;
    *syscall = "uv_sem_init";
    if ((err = uv_sem_init(&go_, 0)) != 0) return err;
    sem_initialised_ = true;
    *syscall = "uv_thread_create";
    if ((err = uv_thread_create(&thread_, ThreadMain, this)) != 0) return err;
    thread_started_ = true;
    return 0;
  }

  void Arm(int timeout) override {
    if (!parked_) {
      waiter_.Wake();  // it waits with an older timeout: bring it back, the next turn arms it anew
      return;
    }
    parked_ = false;
    timeout_ = timeout;
    uv_sem_post(&go_);
  }

  void Kick() override {
    if (parked_) Arm(0);
    else waiter_.Wake();
  }

  void SetReferenced(bool referenced) override {
    referenced ? uv_ref(ready_->handle()) : uv_unref(ready_->handle());
  }

  void Stop() override {
    if (thread_started_) {
      stop_.store(true);
      waiter_.Wake();
      uv_sem_post(&go_);
      uv_thread_join(&thread_);
    }
    waiter_.Close();
    if (sem_initialised_) uv_sem_destroy(&go_);
    if (ready_initialised_) {
      ready_->embedder = nullptr;
      uv_close(ready_->handle(), HandleBase::OnUvClose);  // a pending wake-up is dropped with it
    } else {
      AddonState* state = ready_->state;
      delete ready_;
      --state->live_uv_handles;
    }
  }

 private:
  static void ThreadMain(void* arg) {
    auto* self = static_cast<ThreadEmbedder*>(arg);
#ifndef _WIN32
    sigset_t all;  // signals are the JS thread's business (libuv's signal handling, Node's)
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
#endif
    for (;;) {
      uv_sem_wait(&self->go_);
      if (self->stop_.load()) return;
      self->waiter_.Wait(self->timeout_);
      if (self->stop_.load()) return;
      uv_async_send(&self->ready_->uv);
    }
  }

  // On Node's loop: the helper is parked now. Drive() ends by arming us again, unless a callback of
  // the turn unembedded the loop, which deletes this embedder (so nothing here touches it after).
  static void OnReady(uv_async_t* async) {
    LoopWrap* loop = EmbedBox<uv_async_t>::LoopOf(async);
    auto* box = static_cast<EmbedBox<uv_async_t>*>(static_cast<UvHandleHeader*>(async->data));
    if (loop == nullptr || box->embedder == nullptr) return;
    static_cast<ThreadEmbedder*>(box->embedder)->parked_ = true;
    loop->Drive();
  }

  EmbedBox<uv_async_t>* ready_;
  BackendWaiter waiter_;
  uv_sem_t go_;
  uv_thread_t thread_;
  std::atomic<bool> stop_{false};
  int timeout_ = -1;      // written before go_ is posted, read by the helper after it
  bool parked_ = true;    // JS thread only: the helper waits on go_ (or is about to)
  bool ready_initialised_ = false;
  bool sem_initialised_ = false;
  bool thread_started_ = false;
};

}  // namespace

Embedder* NewThreadEmbedder(napi_env env, LoopWrap* loop, uv_loop_t* node_loop) {
  auto* embedder = new ThreadEmbedder(loop, loop->state());
  const char* syscall = nullptr;
  int err = embedder->Init(node_loop, loop->uv(), &syscall);
  if (err == 0) return embedder;
  embedder->Stop();
  delete embedder;
  ThrowUVError(Napi::Env(env), err, syscall);
  return nullptr;
}

}  // namespace uvkit
