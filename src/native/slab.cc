#include "slab.h"

namespace uvkit {

namespace {

size_t AlignUp(size_t n) { return (n + 7) & ~static_cast<size_t>(7); }

// The current slab's memory and length (0 when there is none or it was detached).
size_t SlabInfo(AddonState* state, void** data) {
  size_t length = 0;
  *data = nullptr;
  if (!state->read_slab.IsEmpty()) napi_get_arraybuffer_info(state->env, state->read_slab.Value(), data, &length);
  return length;
}

}  // namespace

// The slab is looked up anew each time: JS may have detached (transferred) its ArrayBuffer.
void ReserveSlab(AddonState* state, size_t wanted, uv_buf_t* buf, size_t* offset) {
  napi_env env = state->env;
  Napi::HandleScope scope{Napi::Env(env)};
  *buf = uv_buf_init(nullptr, 0);
  void* data = nullptr;
  size_t length = SlabInfo(state, &data);
  if (length < state->read_slab_used + wanted) {
    // napi_create_buffer, unlike napi_create_arraybuffer, skips zero-filling: the kernel fills it.
    napi_value buffer;
    napi_value slab;
    if (napi_create_buffer(env, kSlabSize, &data, &buffer) != napi_ok ||
        napi_get_typedarray_info(env, buffer, nullptr, nullptr, nullptr, &slab, nullptr) != napi_ok) {
      return;
    }
    state->read_slab = Napi::Reference<Napi::Value>::New(Napi::Value(env, slab), 1);
    state->read_slab_used = 0;
  }
  *offset = state->read_slab_used;
  *buf = uv_buf_init(static_cast<char*>(data) + *offset, static_cast<unsigned int>(wanted));
}

size_t SlabRoom(AddonState* state) {
  Napi::HandleScope scope{Napi::Env(state->env)};
  void* data = nullptr;
  size_t length = SlabInfo(state, &data);
  return length > state->read_slab_used ? length - state->read_slab_used : 0;
}

void CommitSlab(AddonState* state, size_t offset, size_t used) {
  state->read_slab_used = offset + AlignUp(used);
}

}  // namespace uvkit
