// Streams (TCP, Pipe, TTY): what uv_stream_t offers, shared by the three types.
//
// Calls into JS go through the registered callbacks of kind read / write / shutdown / connect /
// connection, with the stream as `this`. Requests keep no JS reference of their own: libuv
// completes a stream's writes (and shutdowns, connects) in the order they were made, so the TS
// layer keeps their callbacks and the written buffers (which pins them) in FIFO queues and native
// code only reports each completion's status.
//
// Reads go into a per-environment slab (an ArrayBuffer that JS owns; each read becomes a Buffer
// view of it) or into the caller's own buffer (startRead({ buffer })).
#pragma once

#include "handle.h"

namespace uvkit {

class UDPWrap;

class StreamBase : public HandleBase {
 public:
  // Node-API type tag of stream wrappers: accept(client) and write(..., sendHandle) take another
  // handle as an argument, and only a tagged object may be unwrapped as one.
  static constexpr napi_type_tag kStreamTag = {0x75766b6974537472ULL, 0x0000000000000010ULL};
  // The stream behind a JS value of one of our stream types, or nullptr (nothing thrown).
  static StreamBase* FromValue(napi_env env, napi_value value);

  // A handle libuv accepts into and sends over IPC pipes: a stream or a UDP socket. libuv's
  // uv_accept and uv_write2 take a uv_udp_t through their uv_stream_t* parameters.
  struct SocketHandle {
    HandleBase* owner;
    uv_stream_t* uv;
    uv_handle_type type;
  };
  // false (nothing thrown) for any other value.
  static bool SocketFromValue(napi_env env, napi_value value, SocketHandle* out);

  explicit StreamBase(AddonState* state) : HandleBase(state) {}

  uv_stream_t* stream() const { return reinterpret_cast<uv_stream_t*>(uv_); }
  virtual uv_handle_type StreamType() const = 0;
  // The type a client passed to accept() must have (an IPC pipe accepts what it was sent).
  virtual uv_handle_type AcceptedType() const { return StreamType(); }

  Napi::Value JsStartRead(const Napi::CallbackInfo& info);
  Napi::Value JsStopRead(const Napi::CallbackInfo& info);
  Napi::Value JsWrite(const Napi::CallbackInfo& info);
  Napi::Value JsTryWrite(const Napi::CallbackInfo& info);
  Napi::Value JsShutdown(const Napi::CallbackInfo& info);
  Napi::Value JsListen(const Napi::CallbackInfo& info);
  Napi::Value JsAccept(const Napi::CallbackInfo& info);
  Napi::Value JsSetBlocking(const Napi::CallbackInfo& info);
  Napi::Value JsReadable(const Napi::CallbackInfo& info);
  Napi::Value JsWritable(const Napi::CallbackInfo& info);
  Napi::Value JsWriteQueueSize(const Napi::CallbackInfo& info);

  // For subclasses that start requests of their own (connect): count it, report it.
  void FinishRequest(Callback kind, int status);

  // connect(): throws EALREADY while one is pending (libuv 1.46 guards TCP but lets a second
  // Pipe connect replace the pending request, which then never completes and keeps the loop
  // alive); after the uv call succeeded, ConnectStarted(); completion through OnConnect.
  bool CheckNotConnecting(Napi::Env env);
  void ConnectStarted();
  static void OnConnect(uv_connect_t* req, int status);

 protected:
  // The handle to send along a write on an IPC pipe (Pipe overrides); nullptr = plain write.
  virtual bool ReadSendHandle(const Napi::CallbackInfo& info, size_t index, uv_stream_t** out);

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnShutdown(uv_shutdown_t* req, int status);
  static void OnConnection(uv_stream_t* server, int status);

  void AllocFromCaller(uv_buf_t* buf);
  void DeliverRead(ssize_t nread);

  Napi::Reference<Napi::Value> read_buffer_;  // startRead({ buffer }): the caller's Uint8Array
  size_t read_offset_ = 0;                    // where the current read landed in the slab
  bool connecting_ = false;
};

// The methods and accessors every stream type has.
template <typename Derived>
std::vector<Napi::ClassPropertyDescriptor<Derived>> StreamProperties() {
  return {
      Method<Derived, &Derived::JsStartRead>("startRead"),
      Method<Derived, &Derived::JsStopRead>("stopRead"),
      Method<Derived, &Derived::JsWrite>("write"),
      Method<Derived, &Derived::JsTryWrite>("tryWrite"),
      Method<Derived, &Derived::JsShutdown>("shutdown"),
      Method<Derived, &Derived::JsListen>("listen"),
      Method<Derived, &Derived::JsAccept>("accept"),
      Method<Derived, &Derived::JsSetBlocking>("setBlocking"),
      Getter<Derived, &Derived::JsReadable>("readable"),
      Getter<Derived, &Derived::JsWritable>("writable"),
      Getter<Derived, &Derived::JsWriteQueueSize>("writeQueueSize"),
  };
}

// Appends `more` to `list` (class definitions are built from a few such lists).
template <typename T>
std::vector<T> Concat(std::vector<T> list, const std::vector<T>& more) {
  list.insert(list.end(), more.begin(), more.end());
  return list;
}

}  // namespace uvkit
