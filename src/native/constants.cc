#include "constants.h"

#include <uv.h>

#include <csignal>

#include "errors.h"

namespace uvkit {

namespace {

Napi::Value ErrName(const Napi::CallbackInfo& info) {
  int64_t err = 0;
  if (!ReadInt(info, 0, "errno", INT32_MIN, INT32_MAX, &err)) return {};
  char name[64];
  uv_err_name_r(static_cast<int>(err), name, sizeof(name));
  return Napi::String::New(info.Env(), name);
}

Napi::Value StrError(const Napi::CallbackInfo& info) {
  int64_t err = 0;
  if (!ReadInt(info, 0, "errno", INT32_MIN, INT32_MAX, &err)) return {};
  char message[256];
  uv_strerror_r(static_cast<int>(err), message, sizeof(message));
  return Napi::String::New(info.Env(), message);
}

Napi::Object ErrorCodes(Napi::Env env) {
  Napi::Object codes = Napi::Object::New(env);
#define XX(name, _) codes.Set(#name, Napi::Number::New(env, UV_##name));
  UV_ERRNO_MAP(XX)
#undef XX
  return codes;
}

Napi::Object HandleTypes(Napi::Env env) {
  Napi::Object types = Napi::Object::New(env);
  types.Set("UNKNOWN_HANDLE", Napi::Number::New(env, UV_UNKNOWN_HANDLE));
#define XX(upper, _) types.Set(#upper, Napi::Number::New(env, UV_##upper));
  UV_HANDLE_TYPE_MAP(XX)
#undef XX
  types.Set("FILE", Napi::Number::New(env, UV_FILE));
  return types;
}

Napi::Object RunModes(Napi::Env env) {
  Napi::Object modes = Napi::Object::New(env);
  modes.Set("default", Napi::Number::New(env, UV_RUN_DEFAULT));
  modes.Set("once", Napi::Number::New(env, UV_RUN_ONCE));
  modes.Set("nowait", Napi::Number::New(env, UV_RUN_NOWAIT));
  return modes;
}

// The platform's own numbers, so names map exactly as the C library sees them.
Napi::Object Signals(Napi::Env env) {
  Napi::Object signals = Napi::Object::New(env);
#define SIG(name) signals.Set(#name, Napi::Number::New(env, name));
#ifdef SIGHUP
  SIG(SIGHUP)
#endif
  SIG(SIGINT)
#ifdef SIGQUIT
  SIG(SIGQUIT)
#endif
  SIG(SIGILL)
#ifdef SIGTRAP
  SIG(SIGTRAP)
#endif
  SIG(SIGABRT)
#ifdef SIGBUS
  SIG(SIGBUS)
#endif
  SIG(SIGFPE)
#ifdef SIGKILL
  SIG(SIGKILL)
#endif
#ifdef SIGUSR1
  SIG(SIGUSR1)
#endif
  SIG(SIGSEGV)
#ifdef SIGUSR2
  SIG(SIGUSR2)
#endif
#ifdef SIGPIPE
  SIG(SIGPIPE)
#endif
#ifdef SIGALRM
  SIG(SIGALRM)
#endif
  SIG(SIGTERM)
#ifdef SIGCHLD
  SIG(SIGCHLD)
#endif
#ifdef SIGCONT
  SIG(SIGCONT)
#endif
#ifdef SIGSTOP
  SIG(SIGSTOP)
#endif
#ifdef SIGTSTP
  SIG(SIGTSTP)
#endif
#ifdef SIGBREAK
  SIG(SIGBREAK)
#endif
#ifdef SIGTTIN
  SIG(SIGTTIN)
#endif
#ifdef SIGTTOU
  SIG(SIGTTOU)
#endif
#ifdef SIGURG
  SIG(SIGURG)
#endif
#ifdef SIGXCPU
  SIG(SIGXCPU)
#endif
#ifdef SIGXFSZ
  SIG(SIGXFSZ)
#endif
#ifdef SIGVTALRM
  SIG(SIGVTALRM)
#endif
#ifdef SIGPROF
  SIG(SIGPROF)
#endif
#ifdef SIGWINCH
  SIG(SIGWINCH)
#endif
#ifdef SIGIO
  SIG(SIGIO)
#endif
#ifdef SIGPWR
  SIG(SIGPWR)
#endif
#ifdef SIGSYS
  SIG(SIGSYS)
#endif
#undef SIG
  return signals;
}

// uv_poll_event: the events of Poll#start and of its callback.
Napi::Object PollEvents(Napi::Env env) {
  Napi::Object events = Napi::Object::New(env);
  events.Set("READABLE", Napi::Number::New(env, UV_READABLE));
  events.Set("WRITABLE", Napi::Number::New(env, UV_WRITABLE));
  events.Set("DISCONNECT", Napi::Number::New(env, UV_DISCONNECT));
  events.Set("PRIORITIZED", Napi::Number::New(env, UV_PRIORITIZED));
  return events;
}

// uv_fs_event: the events of an FSEvent callback.
Napi::Object FsEvents(Napi::Env env) {
  Napi::Object events = Napi::Object::New(env);
  events.Set("RENAME", Napi::Number::New(env, UV_RENAME));
  events.Set("CHANGE", Napi::Number::New(env, UV_CHANGE));
  return events;
}

}  // namespace

void InitConstants(Napi::Env env, Napi::Object exports) {
  exports.Set("errname", Napi::Function::New(env, ErrName, "errname"));
  exports.Set("strerror", Napi::Function::New(env, StrError, "strerror"));
  exports.Set("codes", ErrorCodes(env));
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("runMode", RunModes(env));
  constants.Set("handleType", HandleTypes(env));
  constants.Set("signals", Signals(env));
  constants.Set("poll", PollEvents(env));
  constants.Set("fsEvent", FsEvents(env));
  exports.Set("constants", constants);
}

}  // namespace uvkit
