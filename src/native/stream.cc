// Streams: reading (slab or caller's buffer), writing (try first, then one vectored uv_write),
// shutdown, listen/accept. See stream.h for how completions reach JS.
#include "stream.h"

#include <algorithm>
#include <climits>

#include "pipe.h"
#include "slab.h"
#include "tcp.h"
#include "tty.h"
#include "udp.h"
#include "write_data.h"

namespace uvkit {

namespace {

constexpr size_t kMaxRead = 256 * 1024;  // per read at most (a socket buffer holds ~200 KiB); a slab with less left is replaced
// A uv_write_t and the handle sent along it (IPC), pinned until it completes. libuv copies the
// buffer descriptors; the bytes stay where JS put them.
struct WriteReq {
  uv_write_t req;
  uv_handle_t* sent = nullptr;
};

}  // namespace

// --- the stream behind an argument ---

StreamBase* StreamBase::FromValue(napi_env env, napi_value value) {
  bool tagged = false;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_object) return nullptr;
  Napi::Object object(env, value);
  if (napi_check_object_type_tag(env, value, &TCPWrap::kTypeTag, &tagged) == napi_ok && tagged) return TCPWrap::Unwrap(object);
  if (napi_check_object_type_tag(env, value, &PipeWrap::kTypeTag, &tagged) == napi_ok && tagged) return PipeWrap::Unwrap(object);
  if (napi_check_object_type_tag(env, value, &TTYWrap::kTypeTag, &tagged) == napi_ok && tagged) return TTYWrap::Unwrap(object);
  return nullptr;
}

bool StreamBase::SocketFromValue(napi_env env, napi_value value, SocketHandle* out) {
  if (StreamBase* stream = FromValue(env, value)) {
    *out = {stream, stream->stream(), stream->StreamType()};
    return true;
  }
  if (UDPWrap* udp = UDPWrap::FromValue(env, value)) {
    *out = {udp, reinterpret_cast<uv_stream_t*>(udp->udp()), UV_UDP};
    return true;
  }
  return false;
}

bool StreamBase::ReadSendHandle(const Napi::CallbackInfo& info, size_t index, uv_stream_t** out) {
  *out = nullptr;
  if (info.Length() <= index || info[index].IsUndefined()) return true;
  ThrowCodedError(info.Env(), ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "Only IPC pipes can send handles");
  return false;
}

// --- callbacks ---

void StreamBase::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  StreamBase* self = OwnerOf<StreamBase>(handle);
  *buf = uv_buf_init(nullptr, 0);  // libuv then reports UV_ENOBUFS
  if (self == nullptr) return;
  if (self->read_buffer_.IsEmpty()) ReserveSlab(self->state_, kMaxRead, buf, &self->read_offset_);
  else self->AllocFromCaller(buf);
}

void StreamBase::AllocFromCaller(uv_buf_t* buf) {
  napi_env env = state_->env;
  Napi::HandleScope scope{Napi::Env(env)};
  size_t length = 0;
  void* data = nullptr;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, read_buffer_.Value(), &type, &length, &data, nullptr, nullptr) != napi_ok) return;
  *buf = uv_buf_init(static_cast<char*>(data), static_cast<unsigned int>(std::min(length, static_cast<size_t>(UINT_MAX))));
}

void StreamBase::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  StreamBase* self = OwnerOf<StreamBase>(stream);
  if (self == nullptr || nread == 0) return;  // 0: nothing read this time (EAGAIN)
  if (nread > 0 && self->read_buffer_.IsEmpty()) {
    CommitSlab(self->state_, self->read_offset_, static_cast<size_t>(nread));
  }
  self->DeliverRead(nread);
}

// read callback: (nread) for the caller's buffer, (nread, slab, offset) for the slab; nread < 0 is
// EOF or an error, after which the stream no longer reads.
void StreamBase::DeliverRead(ssize_t nread) {
  napi_env env = state_->env;
  Napi::HandleScope scope{Napi::Env(env)};
  if (nread < 0 && is_open()) {
    uv_read_stop(stream());
    read_buffer_.Reset();
  }
  Napi::Value count = Napi::Number::New(env, static_cast<double>(nread));
  if (nread > 0 && read_buffer_.IsEmpty()) {
    Invoke(env, Callback::kRead, {count, state_->read_slab.Value(), Napi::Number::New(env, static_cast<double>(read_offset_))});
  } else {
    Invoke(env, Callback::kRead, {count});
  }
  UpdatePin();
}

void StreamBase::OnWrite(uv_write_t* req, int status) {
  StreamBase* self = OwnerOf<StreamBase>(req->handle);
  auto* write = static_cast<WriteReq*>(req->data);
  if (write->sent != nullptr) {
    if (HandleBase* sent = OwnerOf<HandleBase>(write->sent)) sent->SendFinished();
  }
  delete write;
  if (self != nullptr) self->FinishRequest(Callback::kWrite, status);
}

void StreamBase::OnShutdown(uv_shutdown_t* req, int status) {
  StreamBase* self = OwnerOf<StreamBase>(req->handle);
  delete req;
  if (self != nullptr) self->FinishRequest(Callback::kShutdown, status);
}

void StreamBase::OnConnect(uv_connect_t* req, int status) {
  StreamBase* self = OwnerOf<StreamBase>(req->handle);
  delete req;
  if (self == nullptr) return;
  self->connecting_ = false;
  self->FinishRequest(Callback::kConnect, status);
}

bool StreamBase::CheckNotConnecting(Napi::Env env) {
  if (!connecting_) return true;
  ThrowUVError(env, UV_EALREADY, "connect");
  return false;
}

void StreamBase::ConnectStarted() {
  connecting_ = true;
  RequestStarted();
}

void StreamBase::FinishRequest(Callback kind, int status) {
  napi_env env = state_->env;
  Napi::HandleScope scope{Napi::Env(env)};
  Invoke(env, kind, {Napi::Number::New(env, status)});
  RequestFinished();
}

void StreamBase::OnConnection(uv_stream_t* server, int status) {
  StreamBase* self = OwnerOf<StreamBase>(server);
  if (self == nullptr) return;
  napi_env env = self->state_->env;
  Napi::HandleScope scope{Napi::Env(env)};
  self->Invoke(env, Callback::kConnection, {Napi::Number::New(env, status)});
}

// --- methods ---

// startRead(buffer?): reads into the slab, or into `buffer` (a Uint8Array) when given. Calling it
// while reading switches where the next reads go.
Napi::Value StreamBase::JsStartRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napi_typedarray_type type = napi_int8_array;
  bool caller = !info[0].IsUndefined();
  size_t length = 0;
  if (caller && (!info[0].IsTypedArray() || napi_get_typedarray_info(env, info[0], &type, &length, nullptr, nullptr, nullptr) != napi_ok ||
                 type != napi_uint8_array)) {
    ThrowInvalidArgType(env, "options.buffer", "a Uint8Array");
    return {};
  }
  if (caller && length == 0) {
    ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "The argument 'options.buffer' must not be empty");
    return {};
  }
  if (!CheckOpen(env)) return {};
  int err = uv_read_start(stream(), OnAlloc, OnRead);
  if (err != 0 && err != UV_EALREADY) {
    ThrowUVError(env, err, "read");
    return {};
  }
  if (caller) read_buffer_ = Napi::Reference<Napi::Value>::New(info[0], 1);
  else read_buffer_.Reset();
  UpdatePin();
  return env.Undefined();
}

Napi::Value StreamBase::JsStopRead(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  uv_read_stop(stream());
  read_buffer_.Reset();
  UpdatePin();
  return info.Env().Undefined();
}

// write(data, sendHandle?): 0 when every byte went out at once (no callback will come), 1 when a
// write request was queued (its completion comes through the write callback). Throws when libuv
// refuses the write outright (not connected, not writable, closed).
//
// Only on Node's loop is the write tried at once: the TS layer then completes it from
// process.nextTick. Inside a private loop's run() no nextTick runs, so there every completion
// comes from libuv (which itself writes at once when nothing is queued).
Napi::Value StreamBase::JsWrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WriteData data;
  uv_stream_t* send_handle = nullptr;
  if (!data.Read(env, info[0]) || !ReadSendHandle(info, 1, &send_handle)) return {};
  if (!CheckOpen(env)) return {};
  if (send_handle == nullptr && loop()->is_default()) {
    int sent = uv_try_write(stream(), data.bufs(), static_cast<unsigned int>(data.count()));
    if (sent > 0 && static_cast<size_t>(sent) == data.total()) return Napi::Number::New(env, 0);
    // Errors other than EAGAIN: uv_write below meets them again and reports them to the callback.
    if (sent > 0) data.Skip(static_cast<size_t>(sent));
  }
  auto* req = new WriteReq();
  req->req.data = req;
  uv_buf_t* bufs = data.bufs();
  auto count = static_cast<unsigned int>(data.count());
  int err = send_handle != nullptr ? uv_write2(&req->req, stream(), bufs, count, send_handle, OnWrite)
                                   : uv_write(&req->req, stream(), bufs, count, OnWrite);
  if (err != 0) {
    delete req;
    ThrowUVError(env, err, "write");
    return {};
  }
  RequestStarted();
  if (send_handle != nullptr) {
    req->sent = reinterpret_cast<uv_handle_t*>(send_handle);
    OwnerOf<HandleBase>(send_handle)->SendStarted();
  }
  return Napi::Number::New(env, 1);
}

// tryWrite(data): bytes written now; 0 when the write would block.
Napi::Value StreamBase::JsTryWrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WriteData data;
  if (!data.Read(env, info[0])) return {};
  if (!CheckOpen(env)) return {};
  int sent = uv_try_write(stream(), data.bufs(), static_cast<unsigned int>(data.count()));
  if (sent == UV_EAGAIN) return Napi::Number::New(env, 0);
  if (sent < 0) {
    ThrowUVError(env, sent, "write");
    return {};
  }
  return Napi::Number::New(env, sent);
}

// shutdown(): after the queued writes, shuts the write side; completion through the callback.
Napi::Value StreamBase::JsShutdown(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return {};
  auto* req = new uv_shutdown_t();
  int err = uv_shutdown(req, stream(), OnShutdown);
  if (err != 0) {
    delete req;
    ThrowUVError(env, err, "shutdown");
    return {};
  }
  RequestStarted();
  return env.Undefined();
}

// listen(backlog): each incoming connection calls the connection callback with a status.
Napi::Value StreamBase::JsListen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t backlog = 511;
  if (!info[0].IsUndefined() && !ReadInt(info, 0, "backlog", 0, INT_MAX, &backlog)) return {};
  if (!CheckOpen(env)) return {};
  int err = uv_listen(stream(), static_cast<int>(backlog), OnConnection);
  if (err != 0) {
    ThrowUVError(env, err, "listen");
    return {};
  }
  UpdatePin();
  return env.Undefined();
}

// accept(client): client is a new, unopened stream of the server's type on the same loop.
Napi::Value StreamBase::JsAccept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketHandle client;
  if (!SocketFromValue(env, info[0], &client)) {
    ThrowInvalidArgType(env, "client", "a TCP, Pipe, TTY or UDP handle");
    return {};
  }
  if (!CheckOpen(env)) return {};
  if (!client.owner->is_open()) {
    ThrowHandleClosed(env);
    return {};
  }
  if (client.owner->loop() != loop()) {
    ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "The client must be on the server's loop");
    return {};
  }
  if (client.type != AcceptedType()) {
    ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE",
                    std::string("The client must be a ") + uv_handle_type_name(AcceptedType()) + " handle");
    return {};
  }
  // libuv closes the pending connection when accept fails, so refuse what it would fail on first.
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(client.uv), &fd) == 0) {
    ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "The client already has a socket: accept() needs a new handle");
    return {};
  }
  int err = uv_accept(stream(), client.uv);  // libuv takes a uv_udp_t here too (an IPC pipe's)
  if (err != 0) {
    ThrowUVError(env, err, "accept");
    return {};
  }
  return env.Undefined();
}

Napi::Value StreamBase::JsSetBlocking(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool blocking = false;
  if (!ReadBool(info, 0, "blocking", &blocking)) return {};
  if (!CheckOpen(env)) return {};
  int err = uv_stream_set_blocking(stream(), blocking ? 1 : 0);
  if (err != 0) {
    ThrowUVError(env, err, "uv_stream_set_blocking");
    return {};
  }
  return env.Undefined();
}

// --- accessors ---

Napi::Value StreamBase::JsReadable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), is_open() && uv_is_readable(stream()) != 0);
}

Napi::Value StreamBase::JsWritable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), is_open() && uv_is_writable(stream()) != 0);
}

Napi::Value StreamBase::JsWriteQueueSize(const Napi::CallbackInfo& info) {
  double size = is_open() ? static_cast<double>(uv_stream_get_write_queue_size(stream())) : 0;
  return Napi::Number::New(info.Env(), size);
}

}  // namespace uvkit
