// UDP: uv_udp_t. Datagrams are received one JS call each (startRecv: zero-copy views of the read
// slab, or of the caller's buffer) or many per JS call (startRecvBatch: recvmmsg where libuv has
// it, payloads copied compactly into the slab, lengths and flags in an Int32Array).
//
// Sends keep no JS reference: libuv completes a handle's sends in the order they were made, so the
// TS layer keeps their callbacks and the sent buffers (which pins them) in a FIFO queue and native
// code only reports each completion's status.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "address.h"
#include "handle.h"

namespace uvkit {

class UDPWrap : public HandleWrap<UDPWrap, uv_udp_t> {
 public:
  static constexpr napi_type_tag kTypeTag = {0x75766b6974554450ULL, 0x0000000000000013ULL};
  static constexpr const char* kClassName = "UDP";
  static Napi::Function Define(Napi::Env env);
  // The UDP handle behind a JS value, or nullptr (nothing thrown).
  static UDPWrap* FromValue(napi_env env, napi_value value);

  // new UDP(loop, family, recvmmsg): family 0 (the socket is made at bind/connect/send), 4 or 6.
  explicit UDPWrap(const Napi::CallbackInfo& info);
  // Collected unclosed: detached while still a UDPWrap, so its BeforeClose runs (handle.h).
  ~UDPWrap() override { Detach(); }
  uv_udp_t* udp() const { return uv(); }

  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value Disconnect(const Napi::CallbackInfo& info);
  Napi::Value GetSockName(const Napi::CallbackInfo& info);
  Napi::Value GetPeerName(const Napi::CallbackInfo& info);
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value StartRecv(const Napi::CallbackInfo& info);
  Napi::Value StartRecvBatch(const Napi::CallbackInfo& info);
  Napi::Value StopRecv(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value TrySend(const Napi::CallbackInfo& info);
  Napi::Value SetMembership(const Napi::CallbackInfo& info);
  Napi::Value SetSourceMembership(const Napi::CallbackInfo& info);
  Napi::Value SetMulticastTTL(const Napi::CallbackInfo& info);
  Napi::Value SetMulticastLoop(const Napi::CallbackInfo& info);
  Napi::Value SetMulticastInterface(const Napi::CallbackInfo& info);
  Napi::Value SetBroadcast(const Napi::CallbackInfo& info);
  Napi::Value SetTTL(const Napi::CallbackInfo& info);
  Napi::Value GetSendQueueSize(const Napi::CallbackInfo& info);
  Napi::Value GetSendQueueCount(const Napi::CallbackInfo& info);
  Napi::Value GetRecvmmsg(const Napi::CallbackInfo& info);

 private:
  enum class RecvMode { kOff, kEach, kBatch };
  // One datagram of the batch being gathered: where its payload was copied, and from whom.
  struct Entry {
    int32_t offset;
    int32_t length;
    int32_t flags;
    int32_t address;  // index into batch_addresses_
  };

  // A datagram libuv read while a callback had stopped receiving (see StopRecv).
  struct Held {
    std::vector<char> data;
    sockaddr_storage addr;
    bool has_addr;
    unsigned flags;
  };

  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRecv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags);
  static void OnSend(uv_udp_send_t* req, int status);
  static bool MoreCompletionsQueued(uv_udp_t* udp);
  void DeliverSendCompletions();

  void BeforeClose() override;
  static void OnHeldIdle(uv_idle_t* idle);
  void Hold(ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags);
  void ScheduleHeld();
  void DeliverHeld();
  void CloseHeldIdle();
  char* RecvBuffer();
  void DeliverOne(ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags);
  void AddToBatch(ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags);
  void DeliverBatch(int status);
  // Copies a payload out of libuv's buffer into the batch's storage; false when it has no room.
  bool CopyOut(const char* data, size_t length, int32_t* offset, int32_t* stored);
  size_t CallerBufferInfo(char** data);

  bool ReadOptionalAddress(const Napi::CallbackInfo& info, size_t index, sockaddr_storage* addr, bool* given);
  Napi::Value SetFlag(const Napi::CallbackInfo& info, int (*fn)(uv_udp_t*, int), const char* syscall);
  Napi::Value SetHopLimit(const Napi::CallbackInfo& info, int (*fn)(uv_udp_t*, int), const char* syscall, int64_t min);
  bool StartReceiving(Napi::Env env, RecvMode mode, const Napi::Value& buffer);

  RecvMode mode_ = RecvMode::kOff;
  Napi::Reference<Napi::Value> caller_buffer_;  // { buffer } of startRecv / startRecvBatch
  std::unique_ptr<char[]> recv_buffer_;         // what libuv reads into when the data is copied out
  uv_buf_t reserved_{};                          // the last zero-copy place handed to libuv
  size_t reserved_offset_ = 0;                   // its offset in the slab
  bool reserved_in_slab_ = false;
  AddressCache addresses_;

  // The batch being gathered (startRecvBatch); delivered when libuv's read burst ends.
  std::vector<Entry> batch_;
  std::vector<sockaddr_storage> batch_addresses_;
  size_t batch_used_ = 0;          // bytes of the caller's buffer used by this batch
  size_t reads_since_pause_ = 0;   // datagrams since libuv last reported "nothing more now"
  Napi::Reference<Napi::Value> batch_slab_;  // the slab this batch's payloads are in
  Napi::Reference<Napi::Value> batch_meta_;  // Int32Array handed to JS with each batch

  // stopRecv() inside a callback during a recvmmsg read: libuv would drop the rest of that read, so
  // receiving really stops at the read's end and the rest waits in held_ for the next start.
  bool in_recv_ = false;
  bool stop_deferred_ = false;
  std::deque<Held> held_;
  uv_idle_t* held_idle_ = nullptr;  // delivers held_ soon after receiving starts again

  // Statuses of completed sends not yet reported to JS (see OnSend).
  std::vector<int32_t> send_statuses_;
  bool send_failed_ = false;
  int run_error_ = 0;  // the first error of this run of completions (see OnSend)
};

}  // namespace uvkit
