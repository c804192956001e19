// FSEvent: uv_fs_event_t. Each change calls the registered fsEvent callback with (status,
// filename or null, events: UV_RENAME | UV_CHANGE).
#include "fs_event.h"

#include <string>

#include "features.h"
#include "watch_path.h"

namespace uvkit {

// --- callbacks ---

void FSEventWrap::OnEvent(uv_fs_event_t* handle, const char* filename, int events, int status) {
  FSEventWrap* self = OwnerOf<FSEventWrap>(handle);
  if (self == nullptr) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  Napi::Value name = filename != nullptr ? Napi::String::New(env, filename) : env.Null();
  self->Invoke(env, Callback::kFsEvent, {Napi::Number::New(env, status), name, Napi::Number::New(env, events)});
  self->UpdatePin();
}

// --- methods ---

FSEventWrap::FSEventWrap(const Napi::CallbackInfo& info) : HandleWrap(info) {
  InitHandle(info.Env(), "uv_fs_event_init", uv_fs_event_init);
}

// start(path, recursive = false). Starting again replaces the watch: libuv refuses to start an
// active handle (EINVAL), so the old watch stops first, and stays stopped if the new one fails.
// `recursive` where the platform cannot do it is ENOSYS (libuv would silently watch one level).
Napi::Value FSEventWrap::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  bool recursive = false;
  if (!ReadString(info, 0, "path", &path)) return {};
  if (!info[1].IsUndefined() && !ReadBool(info, 1, "recursive", &recursive)) return {};
  if (!CheckOpen(env)) return {};
  if (recursive && !kFsEventRecursive) {
    ThrowUVError(env, UV_ENOSYS, "watch");
    return {};
  }
  uv_fs_event_stop(uv());
  int err = uv_fs_event_start(uv(), OnEvent, path.c_str(), recursive ? UV_FS_EVENT_RECURSIVE : 0);
  UpdatePin();
  if (err != 0) {
    ThrowUVError(env, err, "watch");
    return {};
  }
  return env.Undefined();
}

Napi::Value FSEventWrap::Stop(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  uv_fs_event_stop(uv());
  UpdatePin();
  return info.Env().Undefined();
}

// --- accessors ---

Napi::Value FSEventWrap::GetPath(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env())) return {};
  return WatchedPath(info.Env(), uv(), uv_fs_event_getpath, "uv_fs_event_getpath");
}

// --- type ---

Napi::Function FSEventWrap::Define(Napi::Env env) {
  return DefineWith(env, {
                             Method<FSEventWrap, &FSEventWrap::Start>("start"),
                             Method<FSEventWrap, &FSEventWrap::Stop>("stop"),
                             Getter<FSEventWrap, &FSEventWrap::GetPath>("path"),
                         });
}

}  // namespace uvkit
