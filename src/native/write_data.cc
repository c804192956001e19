#include "write_data.h"

#include <algorithm>

#include "errors.h"

namespace uvkit {

bool WriteData::Read(Napi::Env env, Napi::Value data) {
  if (!data.IsArray()) return Add(env, data);
  Napi::Array array = data.As<Napi::Array>();
  uint32_t count = array.Length();
  if (count == 0) {
    ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "The argument 'data' must not be an empty array");
    return false;
  }
  if (count > kInlineBufs) more_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    Napi::Value item = array.Get(i);
    if (env.IsExceptionPending() || !Add(env, item)) return false;
  }
  return true;
}

void WriteData::Skip(size_t n) {
  uv_buf_t* all = more_.empty() ? inline_ : more_.data();
  while (n > 0 && first_ < count_) {
    size_t take = std::min(n, static_cast<size_t>(all[first_].len));
    all[first_].base += take;
    all[first_].len -= take;
    n -= take;
    if (all[first_].len > 0) break;
    ++first_;
  }
}

bool WriteData::Add(Napi::Env env, Napi::Value value) {
  napi_typedarray_type type;
  size_t length = 0;
  void* bytes = nullptr;
  if (!value.IsTypedArray() || napi_get_typedarray_info(env, value, &type, &length, &bytes, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    ThrowInvalidArgType(env, "data", "a Uint8Array, a string, or an array of them");
    return false;
  }
  uv_buf_t buf = uv_buf_init(static_cast<char*>(bytes), static_cast<unsigned int>(length));
  if (count_ < kInlineBufs && more_.empty()) {
    inline_[count_] = buf;
  } else {
    if (more_.empty()) more_.assign(inline_, inline_ + count_);
    more_.push_back(buf);
  }
  ++count_;
  total_ += length;
  return true;
}

}  // namespace uvkit
