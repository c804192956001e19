// The base of every handle: one state machine (open -> closing -> closed), the pin that keeps the
// JS wrapper alive while libuv may still call it, close/ref/unref/fileno, and calls into JS.
//
// Lifetime rules (DESIGN.md "Lifetime"):
// - the uv_*_t lives in a UvBox on the native heap and is freed only in its close callback;
// - the wrapper is pinned (a strong reference) while the handle is active, while requests on it
//   are pending, and from close() until the close callback;
// - a wrapper collected while unpinned only starts uv_close; the close callback frees the box;
// - at env teardown handles are detached (the box forgets the wrapper) and closed; no JS runs.
#pragma once

#include <napi.h>
#include <uv.h>

#include <initializer_list>
#include <vector>

#include "addon.h"
#include "address.h"
#include "errors.h"
#include "list.h"
#include "loop.h"
#include "wrap.h"

namespace uvkit {

class HandleBase {
 public:
  explicit HandleBase(AddonState* state) : state_(state) {}
  virtual ~HandleBase();
  void ForgetOrphanhood() { orphan_ = false; }

  ListLink<HandleBase> link;  // in loop_->handles

  LoopWrap* loop() const { return loop_; }
  bool is_open() const { return uv_ != nullptr && !closing_; }
  virtual napi_value JsObject() = 0;  // nullptr once collected
  virtual const char* TypeName() const = 0;

  // Starts uv_close without a user callback (loop.close()).
  void StartClose();
  // Forgets the wrapper and closes the uv handle; no JS is called for it afterwards. Used by env
  // teardown, by the GC of a loop, and by the wrapper's own finalizer.
  void Detach();

  // Requests (write, connect, ...) keep the wrapper pinned until their callback.
  void RequestStarted() { ++pending_requests_; UpdatePin(); }
  void RequestFinished() { --pending_requests_; UpdatePin(); }
  void RequestsFinished(uint32_t count) { pending_requests_ -= count; UpdatePin(); }
  // This handle rides on an IPC write (libuv reads its fd when the write goes out): it stays pinned
  // and a close() meanwhile is only carried out once the write is done.
  void SendStarted() { ++sends_pending_; RequestStarted(); }
  void SendFinished();

  napi_async_context AsyncContext(napi_env env, napi_value resource);
  void AfterJsCall();

  static void OnUvClose(uv_handle_t* handle);

 protected:
  // Takes ownership of an initialised uv handle (inside a box whose owner is this).
  void Adopt(uv_handle_t* handle);
  // Puts `fresh` (initialised, of the same type, in a box whose owner is this) in place of the open
  // uv handle, which closes on its own: its box forgets this wrapper and its close callback frees it.
  void ReplaceUv(uv_handle_t* fresh);
  void UpdatePin();
  virtual void SetPinned(bool pinned) = 0;
  // Called just before uv_close: unregister from anything that could still reach the handle.
  // A type that overrides it also calls Detach() from its own destructor: when a collected wrapper
  // is deleted, ~HandleWrap runs after the derived part is gone and would reach only this no-op.
  virtual void BeforeClose() {}
  // Throws ERR_HANDLE_CLOSED unless open.
  bool CheckOpen(Napi::Env env);
  // Calls the registered callback of this kind with `this` = the handle (see Callback in addon.h).
  void Invoke(napi_env env, Callback kind, std::initializer_list<napi_value> args);


 public:
  // Shared JS methods and accessors.
  Napi::Value JsClose(const Napi::CallbackInfo& info);
  Napi::Value JsRef(const Napi::CallbackInfo& info);
  Napi::Value JsUnref(const Napi::CallbackInfo& info);
  Napi::Value JsHasRef(const Napi::CallbackInfo& info);
  Napi::Value JsFileno(const Napi::CallbackInfo& info);
  Napi::Value JsActive(const Napi::CallbackInfo& info);
  Napi::Value JsClosing(const Napi::CallbackInfo& info);
  Napi::Value JsClosed(const Napi::CallbackInfo& info);
  // sendBufferSize / recvBufferSize of socket handles (TCP, UDP): SO_SNDBUF / SO_RCVBUF.
  Napi::Value JsGetSendBufferSize(const Napi::CallbackInfo& info);
  void JsSetSendBufferSize(const Napi::CallbackInfo& info, const Napi::Value& value);
  Napi::Value JsGetRecvBufferSize(const Napi::CallbackInfo& info);
  void JsSetRecvBufferSize(const Napi::CallbackInfo& info, const Napi::Value& value);

 protected:
  AddonState* state_;
  LoopWrap* loop_ = nullptr;
  uv_handle_t* uv_ = nullptr;  // null once closed or detached
  bool closing_ = false;
  bool closed_ = false;
  bool pinned_ = false;
  bool orphan_ = false;  // in state_->orphans (see HandleWrap's constructor)
  uint32_t sends_pending_ = 0;
  bool close_deferred_ = false;  // closing_, but uv_close waits for sends_pending_ to drop to 0
  uint32_t pending_requests_ = 0;
  napi_async_context async_context_ = nullptr;

 private:
  Napi::Value BufferSize(const Napi::CallbackInfo& info, int (*fn)(uv_handle_t*, int*), const char* syscall);
  void SetBufferSize(const Napi::CallbackInfo& info, int (*fn)(uv_handle_t*, int*), const char* syscall);
  void OnClosed();
  void DestroyAsyncContext();
};

// The owner of a uv handle's callback, or nullptr when no JS may be called for it any more.
template <typename Derived, typename UvT>
Derived* OwnerOf(UvT* uv) {
  auto* header = static_cast<UvHandleHeader*>(uv->data);
  if (header->owner == nullptr || header->state->exiting) return nullptr;
  return static_cast<Derived*>(header->owner);
}

// Base is HandleBase, or a layer over it shared by a family of types (StreamBase).
template <typename Derived, typename UvT, typename Base = HandleBase>
class HandleWrap : public Napi::ObjectWrap<Derived>, public Base {
 public:
  // info[0] is the loop; the TS layer has already defaulted it to Loop.default().
  explicit HandleWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<Derived>(info), Base(AddonState::Get(info.Env())) {
    if (static_cast<napi_ref>(static_cast<Napi::Reference<Napi::Object>&>(*this)) == nullptr) {
      // napi_wrap failed without an exception (the environment is terminating): node-addon-api
      // keeps this object but nothing will finalize it. Leave loop_ null (InitHandle then does
      // nothing) and let the environment's end free it.
      this->state_->orphans.push_back(this);
      this->orphan_ = true;
      return;
    }
    this->loop_ = LoopWrap::FromValue(info.Env(), info[0]);
  }

  ~HandleWrap() override { this->Detach(); }

  napi_value JsObject() override {
    Napi::Object object = this->Value();
    return object.IsEmpty() ? nullptr : static_cast<napi_value>(object);
  }
  const char* TypeName() const override { return Derived::kClassName; }

  void AfterJsCall() { if (this->loop_ != nullptr) this->loop_->AfterJsCall(); }

 protected:
  UvT* uv() const { return reinterpret_cast<UvT*>(this->uv_); }

  // Allocates the uv handle and runs `init(loop, handle)`; on failure throws and returns false.
  template <typename InitFn>
  bool InitHandle(Napi::Env env, const char* syscall, InitFn init) {
    if (this->loop_ == nullptr) return false;  // FromValue already threw
    auto* box = this->state_->template NewBox<UvT>(this);
    int err = init(this->loop_->uv(), &box->uv);
    if (err != 0) {
      delete box;
      --this->state_->live_uv_handles;
      ThrowUVError(env, err, syscall);
      return false;
    }
    this->Adopt(reinterpret_cast<uv_handle_t*>(&box->uv));
    return true;
  }

  // getsockname / getpeername of a socket handle (TCP, UDP) into `addr`; false after throwing.
  bool SocketName(Napi::Env env, int (*fn)(const UvT*, sockaddr*, int*), const char* syscall, sockaddr_storage* addr) {
    if (!this->CheckOpen(env)) return false;
    int length = sizeof *addr;
    int err = fn(uv(), reinterpret_cast<sockaddr*>(addr), &length);
    if (err != 0) ThrowUVError(env, err, syscall);
    return err == 0;
  }

  // SocketName as { address, port, family } (address.h).
  Napi::Value SocketNameObject(Napi::Env env, int (*fn)(const UvT*, sockaddr*, int*), const char* syscall) {
    sockaddr_storage addr;
    if (!SocketName(env, fn, syscall, &addr)) return {};
    return SocketAddressToObject(env, reinterpret_cast<sockaddr*>(&addr));
  }

  // Straight Node-API calls: the wrapper may already be collected with its finalizer still queued
  // (loop.close() can close such handles); node-addon-api's Ref() would then leave an exception.
  void SetPinned(bool pinned) override {
    uint32_t count = 0;
    napi_ref ref = static_cast<napi_ref>(static_cast<Napi::Reference<Napi::Object>&>(*this));
    if (pinned) napi_reference_ref(this->Env(), ref, &count);
    else napi_reference_unref(this->Env(), ref, &count);
  }

  // close, ref, unref, hasRef, fileno, active, closing, closed: the same on every handle type.
  static std::vector<Napi::ClassPropertyDescriptor<Derived>> BaseProperties() {
    return {
        Method<Derived, &Derived::JsClose>("close"),
        Method<Derived, &Derived::JsRef>("ref"),
        Method<Derived, &Derived::JsUnref>("unref"),
        Method<Derived, &Derived::JsHasRef>("hasRef"),
        Method<Derived, &Derived::JsFileno>("fileno"),
        Getter<Derived, &Derived::JsActive>("active"),
        Getter<Derived, &Derived::JsClosing>("closing"),
        Getter<Derived, &Derived::JsClosed>("closed"),
    };
  }

  static Napi::Function DefineWith(Napi::Env env, std::vector<Napi::ClassPropertyDescriptor<Derived>> own) {
    std::vector<Napi::ClassPropertyDescriptor<Derived>> all = BaseProperties();
    all.insert(all.end(), own.begin(), own.end());
    return DefineClass<Derived>(env, Derived::kClassName, all);
  }
};

}  // namespace uvkit
