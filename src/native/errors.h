// Errors thrown to JS: libuv failures as errors.UVError, bad arguments as Node-style coded errors.
#pragma once

#include <napi.h>

#include <string>

namespace uvkit {

// new errors.UVError(errno, syscall) (a plain Error with the same fields before TS registered it).
Napi::Value MakeUVError(Napi::Env env, int err, const char* syscall);
void ThrowUVError(Napi::Env env, int err, const char* syscall);
// The same with `note` appended to the message in parentheses (and to the stack's first line):
// for errors whose libuv text alone would not say what to do ("file already exists" for an fd).
void ThrowUVErrorNoting(Napi::Env env, int err, const char* syscall, const std::string& note);

enum class ErrorKind { kError, kTypeError, kRangeError };
Napi::Error MakeCodedError(Napi::Env env, ErrorKind kind, const char* code, const std::string& message);
void ThrowCodedError(Napi::Env env, ErrorKind kind, const char* code, const std::string& message);

void ThrowInvalidArgType(Napi::Env env, const char* name, const char* expected);
void ThrowOutOfRange(Napi::Env env, const char* name, const char* range);
void ThrowHandleClosed(Napi::Env env);
void ThrowLoopClosed(Napi::Env env);
void ThrowLoopRunning(Napi::Env env);
void ThrowLoopExternal(Napi::Env env, const char* what);
void ThrowInvalidThis(Napi::Env env, const char* type);

// Argument readers that re-check what the TS layer already validated. Each returns false after
// throwing, so callers write `if (!ReadX(...)) return {};`.
bool ReadFunction(const Napi::CallbackInfo& info, size_t i, const char* name, Napi::Function* out);
bool ReadOptionalFunction(const Napi::CallbackInfo& info, size_t i, const char* name, Napi::Function* out);
bool ReadInt(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max, int64_t* out);
bool ReadMillis(const Napi::CallbackInfo& info, size_t i, const char* name, uint64_t* out);
bool ReadBool(const Napi::CallbackInfo& info, size_t i, const char* name, bool* out);
// A string without NUL bytes (the system would cut a path or name short there).
bool ReadString(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out);
// The bytes of an ArrayBufferView (Buffer, any TypedArray, DataView).
bool ReadView(Napi::Env env, Napi::Value value, const char* name, char** data, size_t* length);

}  // namespace uvkit
