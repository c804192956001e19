// UDP: uv_udp_t. Addresses are (host, port) pairs; see address.h.
#include "udp.h"

#ifndef _WIN32
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cstring>
#include <string>

#include "features.h"
#include "slab.h"
#include "write_data.h"

namespace uvkit {

namespace {

constexpr size_t kDgramMax = 64 * 1024;  // what libuv asks the alloc callback for (UV__UDP_DGRAM_MAXSIZE)
constexpr size_t kMmsgWidth = 20;        // datagrams per recvmmsg in libuv (UV__MMSG_MAXWIDTH)
constexpr size_t kMaxBatch = 64;         // datagrams per startRecvBatch callback at most
// Without recvmmsg libuv reads at most this many datagrams per readiness event and ends the burst
// without telling (with recvmmsg every recvmmsg call ends with a "nothing more" callback). Same in
// libuv 1.46 and 1.51.
constexpr size_t kLibuvBurst = 32;
constexpr unsigned int kUdpReusePort = 64;  // UV_UDP_REUSEPORT (libuv 1.49; not in 1.46's headers)

size_t AlignUp(size_t n) { return (n + 7) & ~static_cast<size_t>(7); }

// A send request and what it sends, kept to send it again (see UDPWrap::OnSend): libuv frees its
// own copy of the buffer descriptors before the callback.
struct SendReq {
  uv_udp_send_t req;
  std::vector<uv_buf_t> bufs;
  sockaddr_storage addr;
  bool has_addr;
};

// Sends the request's datagram again, now, on the socket itself; 0 or the error.
int SendAgain(uv_udp_t* udp, SendReq* send) {
#ifdef _WIN32
  (void)udp;
  (void)send;
  return UV_ENOTSUP;
#else
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(udp), &fd) != 0) return UV_EBADF;
  msghdr h{};
  if (send->has_addr) {
    h.msg_name = &send->addr;
    h.msg_namelen = send->addr.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  }
  h.msg_iov = reinterpret_cast<iovec*>(send->bufs.data());  // uv_buf_t is an iovec on Unix
  h.msg_iovlen = send->bufs.size();
  ssize_t sent;
  do sent = sendmsg(fd, &h, 0);
  while (sent == -1 && errno == EINTR);
  return sent == -1 ? uv_translate_sys_error(errno) : 0;
#endif
}

// libuv adopts any fd and aborts later when epoll refuses it, so the fd must be a datagram socket
// of an IP family first.
int CheckUdpSocket(int64_t fd) {
#ifdef _WIN32
  (void)fd;
  return 0;
#else
  int type = 0;
  sockaddr_storage addr;
  socklen_t length = sizeof type;
  if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TYPE, &type, &length) != 0) return uv_translate_sys_error(errno);
  length = sizeof addr;
  if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&addr), &length) != 0) return uv_translate_sys_error(errno);
  if (type != SOCK_DGRAM || (addr.ss_family != AF_INET && addr.ss_family != AF_INET6)) return UV_ENOTSOCK;
  return 0;
#endif
}

// SO_REUSEPORT: libuv >= 1.49 sets it from a bind flag; before that, on the socket ourselves.
int EnableReusePort(uv_udp_t* udp, int family, unsigned int* flags) {
  if (GetFeatures().AtLeast(1, 49)) {
    *flags |= kUdpReusePort;
    return 0;
  }
#if defined(SO_REUSEPORT) && !defined(_WIN32)
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(udp), &fd) != 0) {
    fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return uv_translate_sys_error(errno);
    int err = uv_udp_open(udp, fd);
    if (err != 0) {
      close(fd);
      return err;
    }
  }
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) return uv_translate_sys_error(errno);
  return 0;
#else
  (void)udp;
  (void)family;
  return UV_ENOTSUP;
#endif
}

bool ReadUint8Array(Napi::Env env, const Napi::Value& value, const char* name) {
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  if (!value.IsTypedArray() || napi_get_typedarray_info(env, value, &type, &length, nullptr, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    ThrowInvalidArgType(env, name, "a Uint8Array");
    return false;
  }
  if (length == 0) {
    ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", std::string("The argument '") + name + "' must not be empty");
    return false;
  }
  return true;
}

}  // namespace

UDPWrap* UDPWrap::FromValue(napi_env env, napi_value value) {
  bool tagged = false;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_object) return nullptr;
  if (napi_check_object_type_tag(env, value, &kTypeTag, &tagged) != napi_ok || !tagged) return nullptr;
  return Unwrap(Napi::Object(env, value));
}

// --- callbacks ---

// Where libuv reads the next datagram(s). Without recvmmsg: zero-copy into the slab or the caller's
// buffer (startRecv). With it: into our own buffer, 20 slots of 64 KiB that one recvmmsg fills,
// from which each datagram is copied compactly into the slab or the caller's buffer (a slab
// cannot spare a 64 KiB slot per datagram, and copying a datagram costs less than the system
// calls recvmmsg saves).
void UDPWrap::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  UDPWrap* self = OwnerOf<UDPWrap>(handle);
  *buf = uv_buf_init(nullptr, 0);  // libuv then reports UV_ENOBUFS
  if (self == nullptr) return;
  self->reserved_ = uv_buf_init(nullptr, 0);
  bool mmsg = uv_udp_using_recvmmsg(self->udp()) != 0;
  if (self->mode_ == RecvMode::kEach && !mmsg) {
    if (self->caller_buffer_.IsEmpty()) {
      ReserveSlab(self->state_, kDgramMax, buf, &self->reserved_offset_);
      self->reserved_in_slab_ = true;
    } else {
      char* data = nullptr;
      size_t length = self->CallerBufferInfo(&data);
      *buf = uv_buf_init(data, static_cast<unsigned int>(std::min(length, kDgramMax)));
      self->reserved_in_slab_ = false;
    }
    self->reserved_ = *buf;
    return;
  }
  char* data = self->RecvBuffer();
  if (data != nullptr) *buf = uv_buf_init(data, static_cast<unsigned int>(mmsg ? kMmsgWidth * kDgramMax : kDgramMax));
}

void UDPWrap::OnRecv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags) {
  UDPWrap* self = OwnerOf<UDPWrap>(handle);
  // Closed by a callback: uv_close leaves recv_cb set, so libuv still hands over the rest of the
  // datagrams one recvmmsg read (up to 19 more); they are dropped, none reaches JS after close().
  if (self == nullptr || !self->is_open()) return;
  bool burst_ended = nread < 0 || (nread == 0 && addr == nullptr);  // an error, or nothing more for now
  if (burst_ended) self->reads_since_pause_ = 0;
  else ++self->reads_since_pause_;
  self->in_recv_ = true;
  if (!self->held_.empty() && self->mode_ != RecvMode::kOff) self->DeliverHeld();  // they came first
  if (self->mode_ == RecvMode::kOff && self->stop_deferred_) {
    if (!burst_ended) self->Hold(nread, buf, addr, flags);
  } else if (self->mode_ == RecvMode::kEach) {
    if (!burst_ended || nread < 0) self->DeliverOne(nread, buf, addr, flags);
  } else if (self->mode_ == RecvMode::kBatch) {
    if (!burst_ended) self->AddToBatch(nread, buf, addr, flags);
    bool at_libuv_limit = self->reads_since_pause_ >= kLibuvBurst && uv_udp_using_recvmmsg(handle) == 0;
    if ((burst_ended || at_libuv_limit) && !self->batch_.empty()) self->DeliverBatch(0);
    if (at_libuv_limit) self->reads_since_pause_ = 0;
    if (nread < 0 && self->mode_ == RecvMode::kBatch) self->DeliverBatch(static_cast<int>(nread));
  }
  // A callback stopped receiving: libuv ends this read burst without a "nothing more" callback, so
  // the next burst starts from 0 (a stale count would end a later batch early and leave its last
  // datagrams waiting for the next readiness event). Stopped and restarted, the burst goes on.
  if (self->mode_ == RecvMode::kOff) self->reads_since_pause_ = 0;
  self->in_recv_ = false;
  if (burst_ended && self->stop_deferred_ && self->is_open()) {
    self->stop_deferred_ = false;
    uv_udp_recv_stop(handle);
    self->UpdatePin();
  }
}

// Completions are reported to JS once per burst: libuv completes a handle's sends in a row (after a
// sendmmsg, or when the handle closes), so this collects their statuses and makes one JS call after
// the last of the row.
//
// When one datagram of a sendmmsg batch fails, libuv 1.46 gives its error to every datagram of the
// batch (up to 20) and sends none of them (libuv#3129). In a run of completions the first failed
// one is that datagram; the ones after it with the same error are sent again here, one by one, so
// each gets its own outcome (they still go out before any later send: libuv sends nothing more
// until this run is over).
void UDPWrap::OnSend(uv_udp_send_t* req, int status) {
  auto* send = reinterpret_cast<SendReq*>(req);
  UDPWrap* self = OwnerOf<UDPWrap>(req->handle);
  uv_udp_t* udp = req->handle;
  if (self != nullptr && status < 0 && status != UV_ECANCELED && !self->closing_) {
    if (self->run_error_ == 0) self->run_error_ = status;
    else if (status == self->run_error_) status = SendAgain(udp, send);
  }
  delete send;
  if (self == nullptr) return;
  // libuv 1.46 still tries the queued sends of a handle that a recv callback of the same readiness
  // event closed (libuv#4321, fixed in 1.48): they fail with EBADF. The close cancelled them.
  if (status == UV_EBADF && self->closing_) status = UV_ECANCELED;
  self->send_statuses_.push_back(status);
  if (status != 0) self->send_failed_ = true;
  if (!MoreCompletionsQueued(udp)) self->DeliverSendCompletions();
}

// Whether libuv's run of send completions goes on after this one. Reads write_completed_queue, a
// private field of uv_udp_t (its layout is part of libuv's 1.x ABI; libuv unlinks a request before
// calling its callback). Elsewhere every completion is reported on its own.
bool UDPWrap::MoreCompletionsQueued(uv_udp_t* udp) {
#ifdef _WIN32
  (void)udp;
  return false;
#else
  const uv__queue* completed = &udp->write_completed_queue;
  return completed->next != completed;
#endif
}

// send callback: (count) when every one of the `count` oldest sends succeeded, else (count,
// statuses) with one status per send, oldest first.
void UDPWrap::DeliverSendCompletions() {
  napi_env env = state_->env;
  Napi::Env e(env);
  Napi::HandleScope scope(e);
  size_t count = send_statuses_.size();
  if (count == 0) return;
  Napi::Value statuses = e.Undefined();
  if (send_failed_) {
    Napi::Int32Array array = Napi::Int32Array::New(e, count);
    // No array in a terminating environment (see DeliverBatch); the callback does not run then.
    if (array.Data() != nullptr) std::memcpy(array.Data(), send_statuses_.data(), count * sizeof(int32_t));
    statuses = array;
  }
  send_statuses_.clear();
  send_failed_ = false;
  run_error_ = 0;
  Invoke(env, Callback::kSend, {Napi::Number::New(e, static_cast<double>(count)), statuses});
  RequestsFinished(static_cast<uint32_t>(count));
  // libuv stops the handle only after this, the last callback of its run of completions, when no
  // send is left and it is not receiving; UpdatePin above still saw it active, and nothing would
  // call it again: a socket dropped after sending stayed pinned, never collected, its fd open.
  if (pinned_ && pending_requests_ == 0 && is_open() && mode_ == RecvMode::kOff && uv_udp_get_send_queue_count(udp()) == 0) {
    pinned_ = false;
    SetPinned(false);
  }
}

// --- receiving ---

char* UDPWrap::RecvBuffer() {
  if (recv_buffer_ == nullptr) {
    size_t size = uv_udp_using_recvmmsg(udp()) != 0 ? kMmsgWidth * kDgramMax : kDgramMax;
    recv_buffer_.reset(new (std::nothrow) char[size]);
  }
  return recv_buffer_.get();
}

size_t UDPWrap::CallerBufferInfo(char** data) {
  size_t length = 0;
  void* bytes = nullptr;
  *data = nullptr;
  Napi::HandleScope scope{Napi::Env(state_->env)};
  if (caller_buffer_.IsEmpty() ||
      napi_get_typedarray_info(state_->env, caller_buffer_.Value(), nullptr, &length, &bytes, nullptr, nullptr) != napi_ok) {
    return 0;
  }
  *data = static_cast<char*>(bytes);
  return bytes == nullptr ? 0 : length;
}

// --- datagrams held while stopped (see StopRecv) ---

void UDPWrap::Hold(ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags) {
  Held held{std::vector<char>(buf->base, buf->base + nread), {}, addr != nullptr, flags & UV_UDP_PARTIAL};
  if (addr != nullptr) std::memcpy(&held.addr, addr, addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  held_.push_back(std::move(held));
}

// An idle handle on the same loop delivers them on its next turn (and keeps a private loop's run()
// from blocking in poll meanwhile). Its box has this handle as owner while it waits.
void UDPWrap::ScheduleHeld() {
  if (held_idle_ != nullptr || held_.empty()) return;
  auto* box = state_->NewBox<uv_idle_t>(this);
  uv_idle_init(loop_->uv(), &box->uv);
  uv_idle_start(&box->uv, OnHeldIdle);
  if (!uv_has_ref(uv_)) uv_unref(reinterpret_cast<uv_handle_t*>(&box->uv));
  held_idle_ = &box->uv;
}

void UDPWrap::OnHeldIdle(uv_idle_t* idle) {
  auto* header = static_cast<UvHandleHeader*>(idle->data);
  if (header->owner == nullptr || header->state->exiting) return;
  auto* self = static_cast<UDPWrap*>(header->owner);
  self->CloseHeldIdle();
  self->DeliverHeld();
}

// The idle handle is not a uvkit handle: its box forgets the owner, so its close reaches no one.
void UDPWrap::CloseHeldIdle() {
  if (held_idle_ == nullptr) return;
  static_cast<UvHandleHeader*>(held_idle_->data)->owner = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(held_idle_), OnUvClose);
  held_idle_ = nullptr;
}

void UDPWrap::BeforeClose() { CloseHeldIdle(); }

// Delivers the held datagrams in order, as if just read; those a callback stops again before wait on.
void UDPWrap::DeliverHeld() {
  std::deque<Held> pending;
  pending.swap(held_);
  while (!pending.empty() && mode_ != RecvMode::kOff && is_open()) {
    Held held = std::move(pending.front());
    pending.pop_front();
    uv_buf_t buf = uv_buf_init(held.data.data(), static_cast<unsigned int>(held.data.size()));
    const sockaddr* from = held.has_addr ? reinterpret_cast<const sockaddr*>(&held.addr) : nullptr;
    auto length = static_cast<ssize_t>(held.data.size());
    if (mode_ == RecvMode::kEach) DeliverOne(length, &buf, from, held.flags);
    else AddToBatch(length, &buf, from, held.flags);
  }
  if (mode_ == RecvMode::kBatch && is_open() && !batch_.empty()) DeliverBatch(0);
  for (Held& held : pending) held_.push_back(std::move(held));  // after any a callback held again
}

// recv callback: (nread) for an error; (nread, slab, offset, address, flags) for a datagram in the
// slab; (nread, undefined, 0, address, flags) for one in the caller's buffer.
void UDPWrap::DeliverOne(ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags) {
  napi_env env = state_->env;
  Napi::HandleScope scope{Napi::Env(env)};
  if (nread < 0) {
    Invoke(env, Callback::kRecv, {Napi::Number::New(env, static_cast<double>(nread))});
    return;
  }
  auto length = static_cast<size_t>(nread);
  bool zero_copy = reserved_.base != nullptr && buf->base == reserved_.base;
  reserved_ = uv_buf_init(nullptr, 0);
  Napi::Value storage = Napi::Env(env).Undefined();
  size_t offset = 0;
  if (zero_copy && reserved_in_slab_) {
    CommitSlab(state_, reserved_offset_, length);
    storage = state_->read_slab.Value();
    offset = reserved_offset_;
  } else if (!zero_copy && !caller_buffer_.IsEmpty()) {
    // recvmmsg read it into our buffer: copy what fits into the caller's.
    char* data = nullptr;
    size_t room = CallerBufferInfo(&data);
    if (length > room) flags |= UV_UDP_PARTIAL;
    length = std::min(length, room);
    if (length > 0) std::memcpy(data, buf->base, length);
  } else if (!zero_copy) {
    // Read while batching, delivered after a switch to startRecv: copy into the slab.
    uv_buf_t room;
    ReserveSlab(state_, std::max<size_t>(length, 1), &room, &offset);
    if (room.base == nullptr) return;
    std::memcpy(room.base, buf->base, length);
    CommitSlab(state_, offset, length);
    storage = state_->read_slab.Value();
  }
  Napi::Value from = addr != nullptr ? addresses_.Get(Napi::Env(env), addr) : Napi::Env(env).Null();
  Invoke(env, Callback::kRecv,
         {Napi::Number::New(env, static_cast<double>(length)), storage, Napi::Number::New(env, static_cast<double>(offset)), from,
          Napi::Number::New(env, flags & UV_UDP_PARTIAL)});
}

bool UDPWrap::CopyOut(const char* data, size_t length, int32_t* offset, int32_t* stored) {
  if (!caller_buffer_.IsEmpty()) {
    char* into = nullptr;
    size_t capacity = CallerBufferInfo(&into);
    size_t room = capacity > batch_used_ ? capacity - batch_used_ : 0;
    if (length > room && !batch_.empty()) return false;
    size_t take = std::min(length, room);
    if (take > 0) std::memcpy(into + batch_used_, data, take);
    *offset = static_cast<int32_t>(batch_used_);
    *stored = static_cast<int32_t>(take);
    batch_used_ += take;
    return true;
  }
  // A new slab may only start a batch: every datagram of a batch is in the same slab.
  if (!batch_.empty() && SlabRoom(state_) < AlignUp(length)) return false;
  uv_buf_t room;
  size_t at = 0;
  ReserveSlab(state_, std::max<size_t>(length, 1), &room, &at);
  if (room.base == nullptr) return false;
  std::memcpy(room.base, data, length);
  CommitSlab(state_, at, length);
  *offset = static_cast<int32_t>(at);
  *stored = static_cast<int32_t>(length);
  return true;
}

void UDPWrap::AddToBatch(ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags) {
  Napi::HandleScope scope{Napi::Env(state_->env)};
  auto length = static_cast<size_t>(nread);
  Entry entry{0, 0, static_cast<int32_t>(flags & UV_UDP_PARTIAL), -1};
  if (!CopyOut(buf->base, length, &entry.offset, &entry.length)) {
    // No room left for it: the batch so far goes first. If that callback switched to startRecv(),
    // this datagram is that callback's first; if it stopped receiving, it waits for the next start
    // (it was read already: dropping it would lose it); if it closed, it goes with the handle.
    DeliverBatch(0);
    if (mode_ == RecvMode::kEach && is_open()) {
      DeliverOne(nread, buf, addr, flags);
      return;
    }
    if (mode_ == RecvMode::kOff && is_open()) {
      Hold(nread, buf, addr, flags);
      return;
    }
    if (mode_ != RecvMode::kBatch || !is_open() || !CopyOut(buf->base, length, &entry.offset, &entry.length)) return;
  }
  if (static_cast<size_t>(entry.length) < length) entry.flags |= UV_UDP_PARTIAL;
  if (batch_.empty()) batch_slab_ = caller_buffer_.IsEmpty() ? Napi::Reference<Napi::Value>::New(state_->read_slab.Value(), 1)
                                                             : Napi::Reference<Napi::Value>();
  if (addr != nullptr) {
    if (batch_addresses_.empty() || !SameSocketAddress(addr, reinterpret_cast<sockaddr*>(&batch_addresses_.back()))) {
      sockaddr_storage copy{};
      std::memcpy(&copy, addr, addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
      batch_addresses_.push_back(copy);
    }
    entry.address = static_cast<int32_t>(batch_addresses_.size() - 1);
  }
  batch_.push_back(entry);
  if (batch_.size() >= kMaxBatch) DeliverBatch(0);
}

// recvBatch callback: (count, storage, meta, addresses, status). For datagram i, meta[4i..4i+3] =
// offset in storage (the slab, or the caller's buffer when storage is undefined), length, flags,
// index in addresses (-1: none). status < 0 reports a receive error after the datagrams.
void UDPWrap::DeliverBatch(int status) {
  napi_env env = state_->env;
  Napi::Env e(env);
  Napi::HandleScope scope(e);
  size_t count = batch_.size();
  void* meta_data = nullptr;
  size_t meta_length = 0;
  if (!batch_meta_.IsEmpty()) napi_get_typedarray_info(env, batch_meta_.Value(), nullptr, &meta_length, &meta_data, nullptr, nullptr);
  if (meta_data == nullptr || meta_length < 4 * kMaxBatch) {  // first batch, or JS detached it
    Napi::Int32Array meta = Napi::Int32Array::New(e, 4 * kMaxBatch);
    batch_meta_ = Napi::Reference<Napi::Value>::New(meta, 1);
    meta_data = meta.Data();
  }
  // Null when it could not be made: a terminating worker's environment (terminate() stops JS while
  // libuv finishes its read burst) allocates nothing; the callback below then does not run either.
  if (count > 0 && meta_data != nullptr) std::memcpy(meta_data, batch_.data(), count * sizeof(Entry));
  Napi::Array addresses = Napi::Array::New(e, batch_addresses_.size());
  for (size_t i = 0; i < batch_addresses_.size(); ++i) {
    addresses.Set(static_cast<uint32_t>(i), addresses_.Get(e, reinterpret_cast<sockaddr*>(&batch_addresses_[i])));
  }
  Napi::Value storage = batch_slab_.IsEmpty() ? e.Undefined() : batch_slab_.Value();
  batch_.clear();
  batch_addresses_.clear();
  batch_used_ = 0;
  batch_slab_.Reset();
  Invoke(env, Callback::kRecvBatch,
         {Napi::Number::New(e, static_cast<double>(count)), storage, batch_meta_.Value(), addresses, Napi::Number::New(e, status)});
}

bool UDPWrap::StartReceiving(Napi::Env env, RecvMode mode, const Napi::Value& buffer) {
  bool caller = !buffer.IsUndefined();
  if (caller && !ReadUint8Array(env, buffer, "options.buffer")) return false;
  if (!CheckOpen(env)) return false;
  if (mode == RecvMode::kBatch && RecvBuffer() == nullptr) {
    ThrowUVError(env, UV_ENOMEM, "recv");
    return false;
  }
  int err = uv_udp_recv_start(udp(), OnAlloc, OnRecv);
  if (err != 0 && err != UV_EALREADY) {
    ThrowUVError(env, err, "recv");
    return false;
  }
  mode_ = mode;
  stop_deferred_ = false;
  if (caller) caller_buffer_ = Napi::Reference<Napi::Value>::New(buffer, 1);
  else caller_buffer_.Reset();
  ScheduleHeld();
  UpdatePin();
  return true;
}

// startRecv(buffer?): one recv callback per datagram.
Napi::Value UDPWrap::StartRecv(const Napi::CallbackInfo& info) {
  if (!StartReceiving(info.Env(), RecvMode::kEach, info[0])) return {};
  return info.Env().Undefined();
}

// startRecvBatch(buffer?): one recvBatch callback per burst of datagrams (at most kMaxBatch).
Napi::Value UDPWrap::StartRecvBatch(const Napi::CallbackInfo& info) {
  if (!StartReceiving(info.Env(), RecvMode::kBatch, info[0])) return {};
  return info.Env().Undefined();
}

// stopRecv(). Inside a callback of a recvmmsg read libuv would drop the datagrams of that read not
// delivered yet (its delivery loop ends when receiving stops), so there receiving only stops at the
// end of the read, and those datagrams wait for the next startRecv()/startRecvBatch().
Napi::Value UDPWrap::StopRecv(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  if (in_recv_ && uv_udp_using_recvmmsg(udp()) != 0) stop_deferred_ = true;
  else uv_udp_recv_stop(udp());
  CloseHeldIdle();
  mode_ = RecvMode::kOff;
  caller_buffer_.Reset();
  batch_.clear();
  batch_addresses_.clear();
  batch_used_ = 0;
  batch_slab_.Reset();
  UpdatePin();
  return info.Env().Undefined();
}

// --- methods ---

UDPWrap::UDPWrap(const Napi::CallbackInfo& info) : HandleWrap(info) {
  Napi::Env env = info.Env();
  int64_t family = 0;
  bool recvmmsg = false;
  if (!info[1].IsUndefined() && !ReadInt(info, 1, "family", 0, 6, &family)) return;
  if (family != 0 && family != 4 && family != 6) {
    ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "The argument 'family' must be 0, 4 or 6");
    return;
  }
  if (!info[2].IsUndefined() && !ReadBool(info, 2, "recvmmsg", &recvmmsg)) return;
  unsigned int flags = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  if (recvmmsg) flags |= UV_UDP_RECVMMSG;
  if (!InitHandle(env, "uv_udp_init_ex", [flags](uv_loop_t* loop, uv_udp_t* udp) { return uv_udp_init_ex(loop, udp, flags); })) return;
  napi_type_tag_object(env, info.This(), &kTypeTag);
}

// bind(host, port, reuseAddr, ipv6Only, reusePort)
Napi::Value UDPWrap::Bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_storage addr;
  bool reuse_addr = false;
  bool ipv6_only = false;
  bool reuse_port = false;
  if (!ReadSocketAddress(info, 0, 1, &addr)) return {};
  if (!info[2].IsUndefined() && !ReadBool(info, 2, "reuseAddr", &reuse_addr)) return {};
  if (!info[3].IsUndefined() && !ReadBool(info, 3, "ipv6Only", &ipv6_only)) return {};
  if (!info[4].IsUndefined() && !ReadBool(info, 4, "reusePort", &reuse_port)) return {};
  if (!CheckOpen(env)) return {};
  unsigned int flags = (reuse_addr ? UV_UDP_REUSEADDR : 0) | (ipv6_only ? UV_UDP_IPV6ONLY : 0);
  int err = reuse_port ? EnableReusePort(udp(), addr.ss_family, &flags) : 0;
  if (err == 0) err = uv_udp_bind(udp(), reinterpret_cast<sockaddr*>(&addr), flags);
  if (err != 0) {
    ThrowUVError(env, err, "bind");
    return {};
  }
  return env.Undefined();
}

// connect(host, port): later sends may omit the address; only that peer's datagrams arrive.
Napi::Value UDPWrap::Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_storage addr;
  if (!ReadSocketAddress(info, 0, 1, &addr)) return {};
  if (!CheckOpen(env)) return {};
  int err = uv_udp_connect(udp(), reinterpret_cast<sockaddr*>(&addr));
  if (err != 0) {
    ThrowUVError(env, err, "connect");
    return {};
  }
  return env.Undefined();
}

Napi::Value UDPWrap::Disconnect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return {};
  int err = uv_udp_connect(udp(), nullptr);
  if (err != 0) {
    ThrowUVError(env, err, "disconnect");
    return {};
  }
  return env.Undefined();
}

Napi::Value UDPWrap::GetSockName(const Napi::CallbackInfo& info) {
  return SocketNameObject(info.Env(), uv_udp_getsockname, "getsockname");
}

Napi::Value UDPWrap::GetPeerName(const Napi::CallbackInfo& info) {
  return SocketNameObject(info.Env(), uv_udp_getpeername, "getpeername");
}

Napi::Value UDPWrap::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd = 0;
  if (!ReadInt(info, 0, "fd", 0, INT32_MAX, &fd)) return {};
  if (!CheckOpen(env)) return {};
  int err = CheckUdpSocket(fd);
  if (err == 0 && !CheckFdFree(env, state_, uv_, fd, "uv_udp_open")) return {};
  if (err == 0) err = uv_udp_open(udp(), static_cast<uv_os_sock_t>(fd));
  if (err != 0) {
    ThrowUVError(env, err, "uv_udp_open");
    return {};
  }
  return env.Undefined();
}

// The optional (host, port) at info[index], info[index + 1]: both undefined means none.
bool UDPWrap::ReadOptionalAddress(const Napi::CallbackInfo& info, size_t index, sockaddr_storage* addr, bool* given) {
  *given = !(info[index].IsUndefined() && info[index + 1].IsUndefined());
  return !*given || ReadSocketAddress(info, index, index + 1, addr);
}

// send(data, host?, port?): queues a send request; its completion comes through the send callback.
// Throws when libuv refuses the send outright (an address on a connected socket, none on an
// unconnected one, closed); failures of the send itself (EMSGSIZE, ECONNREFUSED, ...) go to the
// callback. libuv sends at once when nothing is queued; sends made while others are queued go out
// together in one sendmmsg, which is why send() does not try first as stream writes do.
Napi::Value UDPWrap::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WriteData data;
  sockaddr_storage addr;
  bool given = false;
  if (!data.Read(env, info[0]) || !ReadOptionalAddress(info, 1, &addr, &given)) return {};
  if (!CheckOpen(env)) return {};
  auto* req = new SendReq{{}, std::vector<uv_buf_t>(data.bufs(), data.bufs() + data.count()), addr, given};
  int err = uv_udp_send(&req->req, udp(), data.bufs(), static_cast<unsigned int>(data.count()), given ? reinterpret_cast<sockaddr*>(&addr) : nullptr, OnSend);
  if (err != 0) {
    delete req;
    ThrowUVError(env, err, "send");
    return {};
  }
  RequestStarted();
  return env.Undefined();
}

// trySend(data, host?, port?): bytes sent now; 0 when it would block (or sends are queued).
Napi::Value UDPWrap::TrySend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WriteData data;
  sockaddr_storage addr;
  bool given = false;
  if (!data.Read(env, info[0]) || !ReadOptionalAddress(info, 1, &addr, &given)) return {};
  if (!CheckOpen(env)) return {};
  auto* to = given ? reinterpret_cast<sockaddr*>(&addr) : nullptr;
  int sent = uv_udp_try_send(udp(), data.bufs(), static_cast<unsigned int>(data.count()), to);
  if (sent == UV_EAGAIN) return Napi::Number::New(env, 0);
  if (sent < 0) {
    ThrowUVError(env, sent, "send");
    return {};
  }
  return Napi::Number::New(env, sent);
}

// setMembership(group, iface | undefined, join)
Napi::Value UDPWrap::SetMembership(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string group;
  std::string iface;
  bool join = false;
  bool has_iface = !info[1].IsUndefined();
  if (!ReadString(info, 0, "group", &group) || (has_iface && !ReadString(info, 1, "iface", &iface)) || !ReadBool(info, 2, "join", &join)) return {};
  if (!CheckOpen(env)) return {};
  int err = uv_udp_set_membership(udp(), group.c_str(), has_iface ? iface.c_str() : nullptr, join ? UV_JOIN_GROUP : UV_LEAVE_GROUP);
  if (err != 0) {
    ThrowUVError(env, err, join ? "addMembership" : "dropMembership");
    return {};
  }
  return env.Undefined();
}

// setSourceMembership(group, iface | undefined, source, join)
Napi::Value UDPWrap::SetSourceMembership(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string group;
  std::string iface;
  std::string source;
  bool join = false;
  bool has_iface = !info[1].IsUndefined();
  if (!ReadString(info, 0, "group", &group) || (has_iface && !ReadString(info, 1, "iface", &iface)) ||
      !ReadString(info, 2, "source", &source) || !ReadBool(info, 3, "join", &join)) {
    return {};
  }
  if (!CheckOpen(env)) return {};
  int err = uv_udp_set_source_membership(udp(), group.c_str(), has_iface ? iface.c_str() : nullptr, source.c_str(),
                                         join ? UV_JOIN_GROUP : UV_LEAVE_GROUP);
  if (err != 0) {
    ThrowUVError(env, err, join ? "addSourceSpecificMembership" : "dropSourceSpecificMembership");
    return {};
  }
  return env.Undefined();
}

// setMulticastLoop(on), setBroadcast(on)
Napi::Value UDPWrap::SetFlag(const Napi::CallbackInfo& info, int (*fn)(uv_udp_t*, int), const char* syscall) {
  Napi::Env env = info.Env();
  bool on = false;
  if (!ReadBool(info, 0, "enable", &on)) return {};
  if (!CheckOpen(env)) return {};
  int err = fn(udp(), on ? 1 : 0);
  if (err != 0) {
    ThrowUVError(env, err, syscall);
    return {};
  }
  return env.Undefined();
}

// setTTL(n), setMulticastTTL(n): libuv refuses values outside min..255; refused here first.
Napi::Value UDPWrap::SetHopLimit(const Napi::CallbackInfo& info, int (*fn)(uv_udp_t*, int), const char* syscall, int64_t min) {
  Napi::Env env = info.Env();
  int64_t ttl = 0;
  if (!ReadInt(info, 0, "ttl", min, 255, &ttl)) return {};
  if (!CheckOpen(env)) return {};
  int err = fn(udp(), static_cast<int>(ttl));
  if (err != 0) {
    ThrowUVError(env, err, syscall);
    return {};
  }
  return env.Undefined();
}

Napi::Value UDPWrap::SetMulticastTTL(const Napi::CallbackInfo& info) {
  return SetHopLimit(info, uv_udp_set_multicast_ttl, "setMulticastTTL", 0);
}

Napi::Value UDPWrap::SetTTL(const Napi::CallbackInfo& info) {
  return SetHopLimit(info, uv_udp_set_ttl, "setTTL", 1);
}

Napi::Value UDPWrap::SetMulticastLoop(const Napi::CallbackInfo& info) {
  return SetFlag(info, uv_udp_set_multicast_loop, "setMulticastLoopback");
}

Napi::Value UDPWrap::SetBroadcast(const Napi::CallbackInfo& info) {
  return SetFlag(info, uv_udp_set_broadcast, "setBroadcast");
}

Napi::Value UDPWrap::SetMulticastInterface(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string iface;
  if (!ReadString(info, 0, "iface", &iface)) return {};
  if (!CheckOpen(env)) return {};
  int err = uv_udp_set_multicast_interface(udp(), iface.c_str());
  if (err != 0) {
    ThrowUVError(env, err, "setMulticastInterface");
    return {};
  }
  return env.Undefined();
}

// --- accessors ---

Napi::Value UDPWrap::GetSendQueueSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), is_open() ? static_cast<double>(uv_udp_get_send_queue_size(udp())) : 0);
}

Napi::Value UDPWrap::GetSendQueueCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), is_open() ? static_cast<double>(uv_udp_get_send_queue_count(udp())) : 0);
}

Napi::Value UDPWrap::GetRecvmmsg(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), is_open() && uv_udp_using_recvmmsg(udp()) != 0);
}

// --- type ---

Napi::Function UDPWrap::Define(Napi::Env env) {
  return DefineWith(env, {
                             Method<UDPWrap, &UDPWrap::Bind>("bind"),
                             Method<UDPWrap, &UDPWrap::Connect>("connect"),
                             Method<UDPWrap, &UDPWrap::Disconnect>("disconnect"),
                             Method<UDPWrap, &UDPWrap::GetSockName>("getsockname"),
                             Method<UDPWrap, &UDPWrap::GetPeerName>("getpeername"),
                             Method<UDPWrap, &UDPWrap::Open>("open"),
                             Method<UDPWrap, &UDPWrap::StartRecv>("startRecv"),
                             Method<UDPWrap, &UDPWrap::StartRecvBatch>("startRecvBatch"),
                             Method<UDPWrap, &UDPWrap::StopRecv>("stopRecv"),
                             Method<UDPWrap, &UDPWrap::Send>("send"),
                             Method<UDPWrap, &UDPWrap::TrySend>("trySend"),
                             Method<UDPWrap, &UDPWrap::SetMembership>("setMembership"),
                             Method<UDPWrap, &UDPWrap::SetSourceMembership>("setSourceMembership"),
                             Method<UDPWrap, &UDPWrap::SetMulticastTTL>("setMulticastTTL"),
                             Method<UDPWrap, &UDPWrap::SetMulticastLoop>("setMulticastLoop"),
                             Method<UDPWrap, &UDPWrap::SetMulticastInterface>("setMulticastInterface"),
                             Method<UDPWrap, &UDPWrap::SetBroadcast>("setBroadcast"),
                             Method<UDPWrap, &UDPWrap::SetTTL>("setTTL"),
                             Getter<UDPWrap, &UDPWrap::GetSendQueueSize>("sendQueueSize"),
                             Getter<UDPWrap, &UDPWrap::GetSendQueueCount>("sendQueueCount"),
                             Getter<UDPWrap, &UDPWrap::GetRecvmmsg>("recvmmsg"),
                             Accessor<UDPWrap, &UDPWrap::JsGetSendBufferSize, &UDPWrap::JsSetSendBufferSize>("sendBufferSize"),
                             Accessor<UDPWrap, &UDPWrap::JsGetRecvBufferSize, &UDPWrap::JsSetRecvBufferSize>("recvBufferSize"),
                         });
}

}  // namespace uvkit
