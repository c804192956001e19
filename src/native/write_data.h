// The bytes of a write or a datagram as JS passes them: a Uint8Array or a non-empty array of them,
// turned into uv_buf_t descriptors of the caller's memory (nothing is copied). Validated before any
// side effect. Up to kInlineBufs buffers need no allocation. libuv copies the descriptors into its
// request, so a WriteData may live on the stack.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstddef>
#include <vector>

namespace uvkit {

class WriteData {
 public:
  static constexpr size_t kInlineBufs = 16;

  // false after throwing (ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for argument `data`).
  bool Read(Napi::Env env, Napi::Value data);

  uv_buf_t* bufs() { return (more_.empty() ? inline_ : more_.data()) + first_; }
  size_t count() const { return count_ - first_; }
  size_t total() const { return total_; }

  // Drops the first `n` bytes (written by uv_try_write).
  void Skip(size_t n);

 private:
  bool Add(Napi::Env env, Napi::Value value);

  uv_buf_t inline_[kInlineBufs];
  std::vector<uv_buf_t> more_;
  size_t count_ = 0;
  size_t first_ = 0;
  size_t total_ = 0;
};

}  // namespace uvkit
