// System utilities (API.md "util"): thin calls of libuv's uv_os_*, memory, CPU, interface and
// resource-usage queries. Each failure is a UVError naming the libuv function.
#include "util.h"

#include <uv.h>

#include <string>
#include <vector>

#include "errors.h"
#include "work.h"

namespace uvkit {

namespace {

// --- helpers ---

// Calls `query(buffer, &size)` with a buffer that grows while libuv answers UV_ENOBUFS (it then
// says how much it needs, terminating NUL included). The string, or empty after throwing.
template <typename Query>
bool QueryString(Napi::Env env, const char* syscall, Query query, std::string* out) {
  size_t capacity = 256;
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::vector<char> buffer(capacity);
    size_t size = capacity;
    int err = query(buffer.data(), &size);
    if (err == 0) {
      out->assign(buffer.data(), size);
      return true;
    }
    if (err != UV_ENOBUFS) {
      ThrowUVError(env, err, syscall);
      return false;
    }
    capacity = size > capacity ? size + 1 : capacity * 4;
  }
  ThrowUVError(env, UV_ENOBUFS, syscall);
  return false;
}

Napi::Value StringResult(Napi::Env env, const char* syscall, int (*query)(char*, size_t*)) {
  std::string value;
  if (!QueryString(env, syscall, query, &value)) return {};
  return Napi::String::New(env, value);
}

Napi::Value Number(Napi::Env env, double value) {
  return Napi::Number::New(env, value);
}

// Process-wide state Node keeps per thread (its cwd cache, a worker's copy of the environment):
// changed from a worker it would disagree with Node's view, so only the main thread may change it,
// as with process.chdir(). Node's main thread runs libuv's default loop; a worker runs its own.
bool CheckMainThread(Napi::Env env, const char* what) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  if (loop == uv_default_loop()) return true;
  ThrowCodedError(env, ErrorKind::kTypeError, "ERR_WORKER_UNSUPPORTED_OPERATION",
                  std::string("util.") + what + "() is not supported in workers");
  return false;
}

// getenv(name) and friends: the name must be a non-empty string without NUL or '='.
bool ReadEnvName(const Napi::CallbackInfo& info, std::string* name) {
  if (!ReadString(info, 0, "name", name)) return false;
  if (name->empty() || name->find('=') != std::string::npos) {
    ThrowCodedError(info.Env(), ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE",
                    "The argument 'name' must be a non-empty string without '='");
    return false;
  }
  return true;
}

// --- time, load, memory ---

Napi::Value Hrtime(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(uv_hrtime()));
}

Napi::Value Uptime(const Napi::CallbackInfo& info) {
  double seconds = 0;
  int err = uv_uptime(&seconds);
  if (err != 0) {
    ThrowUVError(info.Env(), err, "uv_uptime");
    return {};
  }
  return Number(info.Env(), seconds);
}

Napi::Value Loadavg(const Napi::CallbackInfo& info) {
  double avg[3] = {0, 0, 0};
  uv_loadavg(avg);
  Napi::Array result = Napi::Array::New(info.Env(), 3);
  for (uint32_t i = 0; i < 3; ++i) result.Set(i, Number(info.Env(), avg[i]));
  return result;
}

Napi::Value FreeMemory(const Napi::CallbackInfo& info) {
  return Number(info.Env(), static_cast<double>(uv_get_free_memory()));
}

Napi::Value TotalMemory(const Napi::CallbackInfo& info) {
  return Number(info.Env(), static_cast<double>(uv_get_total_memory()));
}

Napi::Value ConstrainedMemory(const Napi::CallbackInfo& info) {
  return Number(info.Env(), static_cast<double>(uv_get_constrained_memory()));
}

Napi::Value AvailableMemory(const Napi::CallbackInfo& info) {
  return Number(info.Env(), static_cast<double>(uv_get_available_memory()));
}

Napi::Value ResidentSetMemory(const Napi::CallbackInfo& info) {
  size_t rss = 0;
  int err = uv_resident_set_memory(&rss);
  if (err != 0) {
    ThrowUVError(info.Env(), err, "uv_resident_set_memory");
    return {};
  }
  return Number(info.Env(), static_cast<double>(rss));
}

Napi::Value ThreadPoolSizeValue(const Napi::CallbackInfo& info) {
  return Number(info.Env(), ThreadPoolSize());
}

Napi::Value AvailableParallelism(const Napi::CallbackInfo& info) {
  return Number(info.Env(), uv_available_parallelism());
}

// --- CPUs, interfaces, resource usage ---

Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_cpu_info_t* cpus = nullptr;
  int count = 0;
  int err = uv_cpu_info(&cpus, &count);
  if (err != 0) {
    ThrowUVError(env, err, "uv_cpu_info");
    return {};
  }
  Napi::Array result = Napi::Array::New(env, count);
  for (int i = 0; i < count; ++i) {
    const uv_cpu_info_t& cpu = cpus[i];
    Napi::Object times = Napi::Object::New(env);
    times.Set("user", Number(env, static_cast<double>(cpu.cpu_times.user)));
    times.Set("nice", Number(env, static_cast<double>(cpu.cpu_times.nice)));
    times.Set("sys", Number(env, static_cast<double>(cpu.cpu_times.sys)));
    times.Set("idle", Number(env, static_cast<double>(cpu.cpu_times.idle)));
    times.Set("irq", Number(env, static_cast<double>(cpu.cpu_times.irq)));
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("model", Napi::String::New(env, cpu.model != nullptr ? cpu.model : ""));
    entry.Set("speed", Number(env, cpu.speed));
    entry.Set("times", times);
    result.Set(static_cast<uint32_t>(i), entry);
  }
  uv_free_cpu_info(cpus, count);
  return result;
}

std::string MacString(const char* mac) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 6; ++i) {
    auto byte = static_cast<unsigned char>(mac[i]);
    if (i > 0) out += ':';
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

std::string IpString(const sockaddr* addr) {
  char text[INET6_ADDRSTRLEN] = "";
  if (addr->sa_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(addr), text, sizeof text);
  } else {
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(addr), text, sizeof text);
  }
  return text;
}

Napi::Value InterfaceAddresses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_interface_address_t* addresses = nullptr;
  int count = 0;
  int err = uv_interface_addresses(&addresses, &count);
  if (err != 0) {
    ThrowUVError(env, err, "uv_interface_addresses");
    return {};
  }
  Napi::Array result = Napi::Array::New(env);
  uint32_t n = 0;
  for (int i = 0; i < count; ++i) {
    const uv_interface_address_t& a = addresses[i];
    int family = a.address.address4.sin_family;
    if (family != AF_INET && family != AF_INET6) continue;
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", Napi::String::New(env, a.name));
    entry.Set("address", Napi::String::New(env, IpString(reinterpret_cast<const sockaddr*>(&a.address))));
    entry.Set("netmask", Napi::String::New(env, IpString(reinterpret_cast<const sockaddr*>(&a.netmask))));
    entry.Set("family", Napi::String::New(env, family == AF_INET6 ? "IPv6" : "IPv4"));
    entry.Set("mac", Napi::String::New(env, MacString(a.phys_addr)));
    entry.Set("internal", Napi::Boolean::New(env, a.is_internal != 0));
    if (family == AF_INET6) entry.Set("scopeid", Number(env, a.address.address6.sin6_scope_id));
    result.Set(n++, entry);
  }
  uv_free_interface_addresses(addresses, count);
  return result;
}

double Seconds(const uv_timeval_t& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

Napi::Value Getrusage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_rusage_t usage{};
  int err = uv_getrusage(&usage);
  if (err != 0) {
    ThrowUVError(env, err, "uv_getrusage");
    return {};
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("utime", Number(env, Seconds(usage.ru_utime)));
  result.Set("stime", Number(env, Seconds(usage.ru_stime)));
  const std::pair<const char*, uint64_t> counters[] = {
      {"maxrss", usage.ru_maxrss}, {"ixrss", usage.ru_ixrss},     {"idrss", usage.ru_idrss},
      {"isrss", usage.ru_isrss},   {"minflt", usage.ru_minflt},   {"majflt", usage.ru_majflt},
      {"nswap", usage.ru_nswap},   {"inblock", usage.ru_inblock}, {"oublock", usage.ru_oublock},
      {"msgsnd", usage.ru_msgsnd}, {"msgrcv", usage.ru_msgrcv},   {"nsignals", usage.ru_nsignals},
      {"nvcsw", usage.ru_nvcsw},   {"nivcsw", usage.ru_nivcsw},
  };
  for (const auto& [name, value] : counters) result.Set(name, Number(env, static_cast<double>(value)));
  return result;
}

Napi::Value GuessHandleType(const Napi::CallbackInfo& info) {
  int64_t fd = 0;
  if (!ReadInt(info, 0, "fd", 0, INT32_MAX, &fd)) return {};
  return Number(info.Env(), uv_guess_handle(static_cast<uv_file>(fd)));
}

// --- the process: title, priority, ids, paths ---

Napi::Value GetProcessTitle(const Napi::CallbackInfo& info) {
  return StringResult(info.Env(), "uv_get_process_title", [](char* buffer, size_t* size) {
    int err = uv_get_process_title(buffer, *size);
    if (err == UV_ENOBUFS) *size *= 4;  // libuv does not say how much it needs
    if (err == 0) *size = std::char_traits<char>::length(buffer);
    return err;
  });
}

Napi::Value SetProcessTitle(const Napi::CallbackInfo& info) {
  std::string title;
  if (!ReadString(info, 0, "title", &title)) return {};
  int err = uv_set_process_title(title.c_str());
  if (err != 0) {
    ThrowUVError(info.Env(), err, "uv_set_process_title");
    return {};
  }
  return info.Env().Undefined();
}

bool ReadPid(const Napi::CallbackInfo& info, size_t i, uv_pid_t* pid) {
  int64_t value = 0;
  if (!ReadInt(info, i, "pid", INT32_MIN, INT32_MAX, &value)) return false;
  *pid = static_cast<uv_pid_t>(value);
  return true;
}

Napi::Value GetPriority(const Napi::CallbackInfo& info) {
  uv_pid_t pid = 0;
  if (!ReadPid(info, 0, &pid)) return {};
  int priority = 0;
  int err = uv_os_getpriority(pid, &priority);
  if (err != 0) {
    ThrowUVError(info.Env(), err, "uv_os_getpriority");
    return {};
  }
  return Number(info.Env(), priority);
}

Napi::Value SetPriority(const Napi::CallbackInfo& info) {
  uv_pid_t pid = 0;
  int64_t priority = 0;
  if (!ReadPid(info, 0, &pid)) return {};
  if (!ReadInt(info, 1, "priority", UV_PRIORITY_HIGHEST, UV_PRIORITY_LOW, &priority)) return {};
  int err = uv_os_setpriority(pid, static_cast<int>(priority));
  if (err != 0) {
    ThrowUVError(info.Env(), err, "uv_os_setpriority");
    return {};
  }
  return info.Env().Undefined();
}

Napi::Value Pid(const Napi::CallbackInfo& info) {
  return Number(info.Env(), uv_os_getpid());
}

Napi::Value Ppid(const Napi::CallbackInfo& info) {
  return Number(info.Env(), uv_os_getppid());
}

Napi::Value Exepath(const Napi::CallbackInfo& info) {
  // uv_exepath truncates instead of saying ENOBUFS: a buffer longer than any path it can return.
  return StringResult(info.Env(), "uv_exepath", [](char* buffer, size_t* size) {
    if (*size < 32768) {
      *size = 32768;
      return static_cast<int>(UV_ENOBUFS);
    }
    return uv_exepath(buffer, size);
  });
}

Napi::Value Cwd(const Napi::CallbackInfo& info) {
  return StringResult(info.Env(), "uv_cwd", uv_cwd);
}

Napi::Value Chdir(const Napi::CallbackInfo& info) {
  std::string path;
  if (!ReadString(info, 0, "path", &path) || !CheckMainThread(info.Env(), "chdir")) return {};
  int err = uv_chdir(path.c_str());
  if (err != 0) {
    ThrowUVError(info.Env(), err, "uv_chdir");
    return {};
  }
  return info.Env().Undefined();
}

Napi::Value Homedir(const Napi::CallbackInfo& info) {
  return StringResult(info.Env(), "uv_os_homedir", uv_os_homedir);
}

Napi::Value Tmpdir(const Napi::CallbackInfo& info) {
  return StringResult(info.Env(), "uv_os_tmpdir", uv_os_tmpdir);
}

Napi::Value Hostname(const Napi::CallbackInfo& info) {
  return StringResult(info.Env(), "uv_os_gethostname", uv_os_gethostname);
}

Napi::Value Uname(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_utsname_t name{};
  int err = uv_os_uname(&name);
  if (err != 0) {
    ThrowUVError(env, err, "uv_os_uname");
    return {};
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("sysname", Napi::String::New(env, name.sysname));
  result.Set("release", Napi::String::New(env, name.release));
  result.Set("version", Napi::String::New(env, name.version));
  result.Set("machine", Napi::String::New(env, name.machine));
  return result;
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), uv_version_string());
}

// --- users and groups ---

// getPasswd(uid?): the current user, or the one with that uid (uv_os_get_passwd2).
Napi::Value GetPasswd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_passwd_t pwd{};
  int err = 0;
  const char* syscall = "uv_os_get_passwd";
  if (info[0].IsUndefined()) {
    err = uv_os_get_passwd(&pwd);
  } else {
    int64_t uid = 0;
    if (!ReadInt(info, 0, "uid", 0, UINT32_MAX, &uid)) return {};
    syscall = "uv_os_get_passwd2";
    err = uv_os_get_passwd2(&pwd, static_cast<uv_uid_t>(uid));
  }
  if (err != 0) {
    ThrowUVError(env, err, syscall);
    return {};
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("username", Napi::String::New(env, pwd.username != nullptr ? pwd.username : ""));
  // libuv reports -1 (as an unsigned long) where there are no numeric ids (Windows).
  result.Set("uid", Number(env, static_cast<long>(pwd.uid)));
  result.Set("gid", Number(env, static_cast<long>(pwd.gid)));
  result.Set("shell", pwd.shell != nullptr ? Napi::String::New(env, pwd.shell) : env.Null());
  result.Set("homedir", Napi::String::New(env, pwd.homedir != nullptr ? pwd.homedir : ""));
  uv_os_free_passwd(&pwd);
  return result;
}

// getGroup(gid): { groupname, gid, members } (uv_os_get_group).
Napi::Value GetGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t gid = 0;
  if (!ReadInt(info, 0, "gid", 0, UINT32_MAX, &gid)) return {};
  uv_group_t group{};
  int err = uv_os_get_group(&group, static_cast<uv_uid_t>(gid));
  if (err != 0) {
    ThrowUVError(env, err, "uv_os_get_group");
    return {};
  }
  Napi::Array members = Napi::Array::New(env);
  uint32_t n = 0;
  for (char** member = group.members; member != nullptr && *member != nullptr; ++member) {
    members.Set(n++, Napi::String::New(env, *member));
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("groupname", Napi::String::New(env, group.groupname != nullptr ? group.groupname : ""));
  result.Set("gid", Number(env, static_cast<long>(group.gid)));
  result.Set("members", members);
  uv_os_free_group(&group);
  return result;
}

// --- the environment ---

// getenv(name): the value, or undefined when the variable is not set.
Napi::Value Getenv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (!ReadEnvName(info, &name)) return {};
  std::string value;
  size_t capacity = 256;
  for (;;) {
    std::vector<char> buffer(capacity);
    size_t size = capacity;
    int err = uv_os_getenv(name.c_str(), buffer.data(), &size);
    if (err == UV_ENOENT) return env.Undefined();
    if (err == UV_ENOBUFS && size > capacity) {
      capacity = size;
      continue;
    }
    if (err != 0) {
      ThrowUVError(env, err, "uv_os_getenv");
      return {};
    }
    return Napi::String::New(env, buffer.data(), size);
  }
}

Napi::Value Setenv(const Napi::CallbackInfo& info) {
  std::string name;
  std::string value;
  if (!ReadEnvName(info, &name) || !ReadString(info, 1, "value", &value)) return {};
  if (!CheckMainThread(info.Env(), "setenv")) return {};
  int err = uv_os_setenv(name.c_str(), value.c_str());
  if (err != 0) {
    ThrowUVError(info.Env(), err, "uv_os_setenv");
    return {};
  }
  return info.Env().Undefined();
}

Napi::Value Unsetenv(const Napi::CallbackInfo& info) {
  std::string name;
  if (!ReadEnvName(info, &name) || !CheckMainThread(info.Env(), "unsetenv")) return {};
  int err = uv_os_unsetenv(name.c_str());
  if (err != 0) {
    ThrowUVError(info.Env(), err, "uv_os_unsetenv");
    return {};
  }
  return info.Env().Undefined();
}

// environ(): every variable as an object (uv_os_environ).
Napi::Value Environ(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_env_item_t* items = nullptr;
  int count = 0;
  int err = uv_os_environ(&items, &count);
  if (err != 0) {
    ThrowUVError(env, err, "uv_os_environ");
    return {};
  }
  Napi::Object result = Napi::Object::New(env);
  for (int i = 0; i < count; ++i) result.Set(items[i].name, Napi::String::New(env, items[i].value));
  uv_os_free_environ(items, count);
  return result;
}

}  // namespace

void InitUtil(Napi::Env env, Napi::Object exports) {
  Napi::Object util = Napi::Object::New(env);
  const std::pair<const char*, Napi::Function::Callback> functions[] = {
      {"hrtime", Hrtime},
      {"uptime", Uptime},
      {"loadavg", Loadavg},
      {"freeMemory", FreeMemory},
      {"totalMemory", TotalMemory},
      {"constrainedMemory", ConstrainedMemory},
      {"availableMemory", AvailableMemory},
      {"residentSetMemory", ResidentSetMemory},
      {"availableParallelism", AvailableParallelism},
      {"threadPoolSize", ThreadPoolSizeValue},
      {"cpuInfo", CpuInfo},
      {"interfaceAddresses", InterfaceAddresses},
      {"getrusage", Getrusage},
      {"guessHandleType", GuessHandleType},
      {"getProcessTitle", GetProcessTitle},
      {"setProcessTitle", SetProcessTitle},
      {"getPriority", GetPriority},
      {"setPriority", SetPriority},
      {"pid", Pid},
      {"ppid", Ppid},
      {"exepath", Exepath},
      {"cwd", Cwd},
      {"chdir", Chdir},
      {"homedir", Homedir},
      {"tmpdir", Tmpdir},
      {"hostname", Hostname},
      {"uname", Uname},
      {"version", Version},
      {"getPasswd", GetPasswd},
      {"getGroup", GetGroup},
      {"getenv", Getenv},
      {"setenv", Setenv},
      {"unsetenv", Unsetenv},
      {"environ", Environ},
  };
  for (const auto& [name, fn] : functions) util.Set(name, Napi::Function::New(env, fn, name));
  exports.Set("util", util);
}

}  // namespace uvkit
