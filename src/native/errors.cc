#include "errors.h"

#include <uv.h>

#include <cmath>
#include <string>

#include "addon.h"

namespace uvkit {

Napi::Value MakeUVError(Napi::Env env, int err, const char* syscall) {
  AddonState* state = AddonState::Get(env);
  if (state != nullptr && !state->uv_error_ctor.IsEmpty()) {
    Napi::Value error = state->uv_error_ctor.New({Napi::Number::New(env, err), Napi::String::New(env, syscall)});
    if (!env.IsExceptionPending()) return error;
    env.GetAndClearPendingException();
  }
  char name[64];
  char desc[256];
  uv_err_name_r(err, name, sizeof(name));
  uv_strerror_r(err, desc, sizeof(desc));
  Napi::Error error = Napi::Error::New(env, std::string(name) + ": " + desc + ", " + syscall);
  error.Set("code", name);
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", syscall);
  return error.Value();
}

void ThrowUVError(Napi::Env env, int err, const char* syscall) {
  if (env.IsExceptionPending()) return;
  Napi::Value error = MakeUVError(env, err, syscall);
  napi_throw(env, error);
}

// The stack was captured with the first message; it is what Node prints for an uncaught error.
void ThrowUVErrorNoting(Napi::Env env, int err, const char* syscall, const std::string& note) {
  if (env.IsExceptionPending()) return;
  Napi::Value error = MakeUVError(env, err, syscall);
  if (env.IsExceptionPending() || !error.IsObject()) return;
  Napi::Object object = error.As<Napi::Object>();
  std::string message = object.Get("message").ToString().Utf8Value();
  std::string full = message + " (" + note + ")";
  Napi::Value stack = object.Get("stack");  // read first: V8 formats it on first access
  object.Set("message", full);
  if (stack.IsString()) {
    std::string text = stack.As<Napi::String>().Utf8Value();
    size_t at = text.find(message);
    if (at != std::string::npos) object.Set("stack", text.replace(at, message.size(), full));
  }
  napi_throw(env, error);
}

Napi::Error MakeCodedError(Napi::Env env, ErrorKind kind, const char* code, const std::string& message) {
  Napi::Error error = kind == ErrorKind::kTypeError    ? Napi::TypeError::New(env, message)
                      : kind == ErrorKind::kRangeError ? Napi::RangeError::New(env, message)
                                                       : Napi::Error::New(env, message);
  error.Set("code", code);
  return error;
}

// An exception already pending (a user getter threw while we read an argument) wins: throwing a
// second one over it is fatal in node-addon-api, and the first is the real cause anyway.
void ThrowCodedError(Napi::Env env, ErrorKind kind, const char* code, const std::string& message) {
  if (env.IsExceptionPending()) return;
  MakeCodedError(env, kind, code, message).ThrowAsJavaScriptException();
}

void ThrowInvalidArgType(Napi::Env env, const char* name, const char* expected) {
  ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_TYPE",
                  std::string("The \"") + name + "\" argument must be " + expected);
}

void ThrowOutOfRange(Napi::Env env, const char* name, const char* range) {
  ThrowCodedError(env, ErrorKind::kRangeError, "ERR_OUT_OF_RANGE",
                  std::string("The value of \"") + name + "\" is out of range. It must be " + range);
}

void ThrowHandleClosed(Napi::Env env) {
  ThrowCodedError(env, ErrorKind::kError, "ERR_HANDLE_CLOSED", "The handle is closing or closed");
}

void ThrowLoopClosed(Napi::Env env) {
  ThrowCodedError(env, ErrorKind::kError, "ERR_LOOP_CLOSED", "The loop is closed");
}

void ThrowLoopRunning(Napi::Env env) {
  ThrowCodedError(env, ErrorKind::kError, "ERR_LOOP_RUNNING",
                  "The loop is running: run() and close() cannot be called from its own callbacks");
}

void ThrowLoopExternal(Napi::Env env, const char* what) {
  ThrowCodedError(env, ErrorKind::kError, "ERR_LOOP_EXTERNAL",
                  std::string(what) + " is not allowed on Node's own loop (Loop.default())");
}

void ThrowInvalidThis(Napi::Env env, const char* type) {
  ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_THIS", std::string("Value of \"this\" must be of type ") + type);
}

bool ReadFunction(const Napi::CallbackInfo& info, size_t i, const char* name, Napi::Function* out) {
  if (!info[i].IsFunction()) {
    ThrowInvalidArgType(info.Env(), name, "of type function");
    return false;
  }
  *out = info[i].As<Napi::Function>();
  return true;
}

bool ReadOptionalFunction(const Napi::CallbackInfo& info, size_t i, const char* name, Napi::Function* out) {
  if (info[i].IsUndefined() || info[i].IsNull()) {
    *out = Napi::Function();
    return true;
  }
  return ReadFunction(info, i, name, out);
}

bool ReadInt(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max, int64_t* out) {
  if (!info[i].IsNumber()) {
    ThrowInvalidArgType(info.Env(), name, "of type number");
    return false;
  }
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v != std::trunc(v) || v < static_cast<double>(min) || v > static_cast<double>(max)) {
    std::string range = ">= " + std::to_string(min) + " and <= " + std::to_string(max) + " (an integer)";
    ThrowOutOfRange(info.Env(), name, range.c_str());
    return false;
  }
  *out = static_cast<int64_t>(v);
  return true;
}

// Milliseconds: a finite number >= 0 up to 2^53; fractions round up so a timer never fires early.
bool ReadMillis(const Napi::CallbackInfo& info, size_t i, const char* name, uint64_t* out) {
  if (!info[i].IsNumber()) {
    ThrowInvalidArgType(info.Env(), name, "of type number");
    return false;
  }
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v < 0 || v > 9007199254740991.0) {
    ThrowOutOfRange(info.Env(), name, ">= 0 and <= 2^53-1");
    return false;
  }
  *out = static_cast<uint64_t>(std::ceil(v));
  return true;
}

bool ReadBool(const Napi::CallbackInfo& info, size_t i, const char* name, bool* out) {
  if (!info[i].IsBoolean()) {
    ThrowInvalidArgType(info.Env(), name, "of type boolean");
    return false;
  }
  *out = info[i].As<Napi::Boolean>().Value();
  return true;
}

bool ReadString(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out) {
  if (!info[i].IsString()) {
    ThrowInvalidArgType(info.Env(), name, "of type string");
    return false;
  }
  *out = info[i].As<Napi::String>().Utf8Value();
  if (out->find('\0') != std::string::npos) {
    ThrowCodedError(info.Env(), ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", std::string("The argument '") + name + "' must not contain NUL bytes");
    return false;
  }
  return true;
}

namespace {

size_t ElementSize(napi_typedarray_type type) {
  switch (type) {
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: return 8;
    default: return 1;
  }
}

}  // namespace

bool ReadView(Napi::Env env, Napi::Value value, const char* name, char** data, size_t* length) {
  void* bytes = nullptr;
  if (value.IsTypedArray()) {
    napi_typedarray_type type = napi_uint8_array;
    size_t count = 0;
    napi_get_typedarray_info(env, value, &type, &count, &bytes, nullptr, nullptr);
    *length = count * ElementSize(type);  // one Node-API call for pointer and size (a hot path)
  } else if (value.IsDataView()) {
    napi_get_dataview_info(env, value, length, &bytes, nullptr, nullptr);
  } else {
    ThrowInvalidArgType(env, name, "an instance of Buffer, TypedArray, or DataView");
    return false;
  }
  *data = static_cast<char*>(bytes);
  return true;
}

}  // namespace uvkit
