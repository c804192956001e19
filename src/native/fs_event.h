// FSEvent: changes to a file or directory as the system reports them (uv_fs_event_t: inotify,
// FSEvents, kqueue, ReadDirectoryChangesW).
#pragma once

#include "handle.h"

namespace uvkit {

class FSEventWrap : public HandleWrap<FSEventWrap, uv_fs_event_t> {
 public:
  static constexpr const char* kClassName = "FSEvent";
  static Napi::Function Define(Napi::Env env);

  explicit FSEventWrap(const Napi::CallbackInfo& info);

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value GetPath(const Napi::CallbackInfo& info);

 private:
  static void OnEvent(uv_fs_event_t* handle, const char* filename, int events, int status);
};

}  // namespace uvkit
