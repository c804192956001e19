#include "features.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace uvkit {

namespace {

void* FindHostSymbol(const char* name) {
#ifdef _WIN32
  return reinterpret_cast<void*>(GetProcAddress(GetModuleHandle(nullptr), name));
#else
  return dlsym(RTLD_DEFAULT, name);
#endif
}

template <typename Fn>
void Resolve(Fn*& slot, const char* name) {
  slot = reinterpret_cast<Fn*>(FindHostSymbol(name));
}

Features Probe() {
  Features f;
  f.version = uv_version();
  Resolve(f.metrics_info, "uv_metrics_info");
  Resolve(f.pipe_bind2, "uv_pipe_bind2");
  Resolve(f.pipe_connect2, "uv_pipe_connect2");
  Resolve(f.thread_getname, "uv_thread_getname");
  Resolve(f.udp_try_send2, "uv_udp_try_send2");
  return f;
}

}  // namespace

const Features& GetFeatures() {
  static const Features features = Probe();
  return features;
}

Napi::Object FeaturesObject(Napi::Env env) {
  const Features& f = GetFeatures();
  Napi::Object o = Napi::Object::New(env);
  o.Set("uvVersion", uv_version_string());
  o.Set("uvVersionHex", Napi::Number::New(env, f.version));
  o.Set("metricsInfo", f.metrics_info != nullptr);
  o.Set("pipeBind2", f.pipe_bind2 != nullptr);
  o.Set("pipeConnect2", f.pipe_connect2 != nullptr);
  o.Set("threadGetName", f.thread_getname != nullptr);
  o.Set("udpTrySend2", f.udp_try_send2 != nullptr);
  // UV_TCP_REUSEPORT / UV_UDP_REUSEPORT arrived in 1.49; libuv 1.46 silently ignores unknown TCP
  // bind flags, so the version decides, not a symbol.
  o.Set("reusePort", f.AtLeast(1, 49));
#if defined(__linux__) || defined(__FreeBSD__)
  o.Set("recvmmsg", f.AtLeast(1, 37));  // UV_UDP_RECVMMSG exists only where the OS has recvmmsg
#else
  o.Set("recvmmsg", false);
#endif
  o.Set("fsEventRecursive", kFsEventRecursive);
  return o;
}

}  // namespace uvkit
