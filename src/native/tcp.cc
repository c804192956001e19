// TCP: uv_tcp_t. Addresses are (host, port) pairs; see address.h.
#include "tcp.h"

#ifndef _WIN32
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "address.h"
#include "features.h"

namespace uvkit {

namespace {
constexpr unsigned int kTcpReusePort = 2;  // UV_TCP_REUSEPORT (libuv 1.49; not in 1.46's headers)
}

// --- methods ---

TCPWrap::TCPWrap(const Napi::CallbackInfo& info) : HandleWrap(info) {
  Napi::Env env = info.Env();
  int64_t family = 0;
  if (!info[1].IsUndefined() && !ReadInt(info, 1, "family", 0, 6, &family)) return;
  if (family != 0 && family != 4 && family != 6) {
    ThrowCodedError(env, ErrorKind::kTypeError, "ERR_INVALID_ARG_VALUE", "The argument 'family' must be 0, 4 or 6");
    return;
  }
  unsigned int domain = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  if (!InitHandle(env, "uv_tcp_init_ex", [domain](uv_loop_t* loop, uv_tcp_t* tcp) { return uv_tcp_init_ex(loop, tcp, domain); })) return;
  napi_type_tag_object(env, info.This(), &kTypeTag);
}

// SO_REUSEPORT: libuv >= 1.49 sets it from a bind flag; before that, on the socket ourselves.
int TCPWrap::EnableReusePort(int family, unsigned int* flags) {
  if (GetFeatures().AtLeast(1, 49)) {
    *flags |= kTcpReusePort;
    return 0;
  }
#if defined(SO_REUSEPORT) && !defined(_WIN32)
  uv_os_fd_t fd;
  if (uv_fileno(uv_, &fd) != 0) {
    fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return uv_translate_sys_error(errno);
    int err = uv_tcp_open(uv(), fd);
    if (err != 0) {
      close(fd);
      return err;
    }
  }
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) return uv_translate_sys_error(errno);
  return 0;
#else
  (void)family;
  return UV_ENOTSUP;
#endif
}

// bind(host, port, ipv6Only, reusePort)
Napi::Value TCPWrap::Bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_storage addr;
  bool ipv6_only = false;
  bool reuse_port = false;
  if (!ReadSocketAddress(info, 0, 1, &addr)) return {};
  if (!info[2].IsUndefined() && !ReadBool(info, 2, "ipv6Only", &ipv6_only)) return {};
  if (!info[3].IsUndefined() && !ReadBool(info, 3, "reusePort", &reuse_port)) return {};
  if (!CheckOpen(env)) return {};
  unsigned int flags = ipv6_only ? UV_TCP_IPV6ONLY : 0;
  int err = reuse_port ? EnableReusePort(addr.ss_family, &flags) : 0;
  if (err == 0) err = uv_tcp_bind(uv(), reinterpret_cast<sockaddr*>(&addr), flags);
  if (err != 0) {
    ThrowUVError(env, err, "bind");
    return {};
  }
  return env.Undefined();
}

// connect(host, port): completion through the connect callback.
Napi::Value TCPWrap::Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_storage addr;
  if (!ReadSocketAddress(info, 0, 1, &addr)) return {};
  if (!CheckOpen(env) || !CheckNotConnecting(env)) return {};
  auto* req = new uv_connect_t();
  int err = uv_tcp_connect(req, uv(), reinterpret_cast<sockaddr*>(&addr), OnConnect);
  if (err != 0) {
    delete req;
    ThrowUVError(env, err, "connect");
    return {};
  }
  ConnectStarted();
  return env.Undefined();
}

Napi::Value TCPWrap::GetSockName(const Napi::CallbackInfo& info) {
  return SocketNameObject(info.Env(), uv_tcp_getsockname, "getsockname");
}

Napi::Value TCPWrap::GetPeerName(const Napi::CallbackInfo& info) {
  return SocketNameObject(info.Env(), uv_tcp_getpeername, "getpeername");
}

// nodelay(enable), simultaneousAccepts(enable): one boolean socket option each.
Napi::Value TCPWrap::SetOption(const Napi::CallbackInfo& info, int (*fn)(uv_tcp_t*, int), const char* syscall) {
  Napi::Env env = info.Env();
  bool on = false;
  if (!ReadBool(info, 0, "enable", &on)) return {};
  if (!CheckOpen(env)) return {};
  int err = fn(uv(), on ? 1 : 0);
  if (err != 0) {
    ThrowUVError(env, err, syscall);
    return {};
  }
  return env.Undefined();
}

Napi::Value TCPWrap::NoDelay(const Napi::CallbackInfo& info) {
  return SetOption(info, uv_tcp_nodelay, "uv_tcp_nodelay");
}

// keepalive(enable, delay seconds)
Napi::Value TCPWrap::KeepAlive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool on = false;
  int64_t delay = 0;
  if (!ReadBool(info, 0, "enable", &on)) return {};
  if (!info[1].IsUndefined() && !ReadInt(info, 1, "delay", 0, INT32_MAX, &delay)) return {};
  if (on && delay < 1) {
    ThrowOutOfRange(env, "delay", ">= 1 (seconds) when enabling keepalive");
    return {};
  }
  if (!CheckOpen(env)) return {};
  int err = uv_tcp_keepalive(uv(), on ? 1 : 0, static_cast<unsigned int>(delay));
  if (err != 0) {
    ThrowUVError(env, err, "uv_tcp_keepalive");
    return {};
  }
  return env.Undefined();
}

Napi::Value TCPWrap::SimultaneousAccepts(const Napi::CallbackInfo& info) {
  return SetOption(info, uv_tcp_simultaneous_accepts, "uv_tcp_simultaneous_accepts");
}

// libuv adopts any fd and aborts later when epoll refuses it (a regular file), so the fd must be
// a stream socket of an IP family first.
static int CheckTcpSocket(int64_t fd) {
#ifdef _WIN32
  (void)fd;
  return 0;
#else
  int type = 0;
  sockaddr_storage addr;
  socklen_t length = sizeof type;
  if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TYPE, &type, &length) != 0) return uv_translate_sys_error(errno);
  length = sizeof addr;
  if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&addr), &length) != 0) return uv_translate_sys_error(errno);
  if (type != SOCK_STREAM || (addr.ss_family != AF_INET && addr.ss_family != AF_INET6)) return UV_ENOTSOCK;
  return 0;
#endif
}

Napi::Value TCPWrap::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd = 0;
  if (!ReadInt(info, 0, "fd", 0, INT32_MAX, &fd)) return {};
  if (!CheckOpen(env)) return {};
  int err = CheckTcpSocket(fd);
  if (err == 0 && !CheckFdFree(env, state_, uv_, fd, "uv_tcp_open")) return {};
  if (err == 0) err = uv_tcp_open(uv(), static_cast<uv_os_sock_t>(fd));
  if (err != 0) {
    ThrowUVError(env, err, "uv_tcp_open");
    return {};
  }
  return env.Undefined();
}

// closeReset(): closes with a TCP RST instead of a FIN; the close callback follows as for close().
Napi::Value TCPWrap::CloseReset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return {};
  if (sends_pending_ > 0) {
    ThrowCodedError(env, ErrorKind::kError, "ERR_INVALID_STATE", "The handle is being sent over an IPC pipe: close() it instead");
    return {};
  }
  BeforeClose();
  int err = uv_tcp_close_reset(uv(), OnUvClose);
  if (err != 0) {
    ThrowUVError(env, err, "uv_tcp_close_reset");
    return {};
  }
  closing_ = true;
  UpdatePin();
  return env.Undefined();
}

// 'IPv4' / 'IPv6' of the socket; throws EBADF while no socket exists yet.
Napi::Value TCPWrap::GetFamily(const Napi::CallbackInfo& info) {
  sockaddr_storage addr;
  if (!SocketName(info.Env(), uv_tcp_getsockname, "getsockname", &addr)) return {};
  return Napi::String::New(info.Env(), addr.ss_family == AF_INET6 ? "IPv6" : "IPv4");
}

// --- type ---

Napi::Function TCPWrap::Define(Napi::Env env) {
  return DefineWith(env, Concat(StreamProperties<TCPWrap>(),
                                {
                                    Method<TCPWrap, &TCPWrap::Bind>("bind"),
                                    Method<TCPWrap, &TCPWrap::Connect>("connect"),
                                    Method<TCPWrap, &TCPWrap::GetSockName>("getsockname"),
                                    Method<TCPWrap, &TCPWrap::GetPeerName>("getpeername"),
                                    Method<TCPWrap, &TCPWrap::NoDelay>("nodelay"),
                                    Method<TCPWrap, &TCPWrap::KeepAlive>("keepalive"),
                                    Method<TCPWrap, &TCPWrap::SimultaneousAccepts>("simultaneousAccepts"),
                                    Method<TCPWrap, &TCPWrap::Open>("open"),
                                    Method<TCPWrap, &TCPWrap::CloseReset>("closeReset"),
                                    Getter<TCPWrap, &TCPWrap::GetFamily>("family"),
                                    Accessor<TCPWrap, &TCPWrap::JsGetSendBufferSize, &TCPWrap::JsSetSendBufferSize>("sendBufferSize"),
                                    Accessor<TCPWrap, &TCPWrap::JsGetRecvBufferSize, &TCPWrap::JsSetRecvBufferSize>("recvBufferSize"),
                                }));
}

}  // namespace uvkit
