// posix_spawn + pidfd: see fast_spawn.h for what it covers and what the child sees.
#include "fast_spawn.h"

#if defined(__linux__)
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

extern char** environ;
#endif

namespace uvkit {

#if defined(__linux__) && defined(SYS_pidfd_open)

namespace {

using AddChdir = int (*)(posix_spawn_file_actions_t*, const char*);

// What the kernel and the C library offer: probed once per process (capabilities, not state).
struct Support {
  bool pidfd = false;
  AddChdir addchdir = nullptr;  // glibc 2.29+, musl 1.1.24+
};

const Support& GetSupport() {
  static const Support support = [] {
    Support s;
    int fd = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
    if (fd >= 0) {
      s.pidfd = true;
      close(fd);
    }
    s.addchdir = reinterpret_cast<AddChdir>(dlsym(RTLD_DEFAULT, "posix_spawn_file_actions_addchdir_np"));
    return s;
  }();
  return support;
}

int LastError() { return uv_translate_sys_error(errno); }

// The file actions and attributes of one spawn, and the parent's copies of the fds it hands over.
class Plan {
 public:
  Plan() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~Plan() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    for (int fd : handed_over) close(fd);
  }
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  std::vector<int> child_fds;    // per stdio index: the fd the child gets there, -1 for none
  std::vector<int> handed_over;  // closed in the parent once the child has its copies
};

int StdioCount(const uv_process_options_t& o) { return std::max(o.stdio_count, 3); }

int ContainerFlags(const uv_process_options_t& o, int i) { return i < o.stdio_count ? o.stdio[i].flags : UV_IGNORE; }

// What uv_spawn does before it forks (uv__process_init_stdio): the socketpairs of created pipes
// and the fds to inherit. Errors here leave no parent end behind, as in uv_spawn.
int PrepareStdio(const uv_process_options_t& o, Plan* plan, std::vector<int>* parent_fds) {
  int count = StdioCount(o);
  plan->child_fds.assign(count, -1);
  parent_fds->assign(count, -1);
  for (int i = 0; i < o.stdio_count; ++i) {
    const uv_stdio_container_t& c = o.stdio[i];
    if (c.flags & UV_CREATE_PIPE) {
      int pair[2];
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return LastError();
      (*parent_fds)[i] = pair[0];
      plan->child_fds[i] = pair[1];
      plan->handed_over.push_back(pair[1]);
    } else if (c.flags & (UV_INHERIT_FD | UV_INHERIT_STREAM)) {
      uv_os_fd_t fd = -1;
      if (c.flags & UV_INHERIT_FD) fd = c.data.fd;
      else if (uv_fileno(reinterpret_cast<uv_handle_t*>(c.data.stream), &fd) != 0) fd = -1;
      if (fd < 0) return UV_EINVAL;
      plan->child_fds[i] = fd;
    }
  }
  return 0;
}

// What libuv's child does with its stdio, as file actions. Every fd handed over is first copied
// above the last stdio index, so no dup2 can overwrite one that a later entry still needs (libuv's
// child moves low fds up for the same reason), and dup2 never has the same fd on both sides.
int PlanStdio(const uv_process_options_t& o, Plan* plan) {
  int count = StdioCount(o);
  for (int i = 0; i < count; ++i) {
    int fd = plan->child_fds[i];
    if (fd < 0) {
      if (i <= 2 && posix_spawn_file_actions_addopen(&plan->actions, i, "/dev/null", i == 0 ? O_RDONLY : O_RDWR, 0) != 0) return UV_ENOMEM;
      continue;
    }
    // libuv's child makes stdin/stdout/stderr blocking on the file description it shares with us.
    if (i <= 2 && !(ContainerFlags(o, i) & UV_CREATE_PIPE)) {
      int fl = fcntl(fd, F_GETFL);
      if (fl == -1 || ((fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1)) return LastError();
    }
    int high = fcntl(fd, F_DUPFD_CLOEXEC, count);
    if (high == -1) return LastError();
    plan->handed_over.push_back(high);
    if (posix_spawn_file_actions_adddup2(&plan->actions, high, i) != 0) return UV_ENOMEM;
  }
  if (o.cwd != nullptr && GetSupport().addchdir(&plan->actions, o.cwd) != 0) return UV_ENOMEM;
  return 0;
}

int PlanAttributes(const uv_process_options_t& o, Plan* plan) {
  // As libuv's child: signals 1-31 at their default action (a signal Node ignores, SIGPIPE, would
  // stay ignored across exec otherwise), and an empty signal mask.
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int n = 1; n < 32; ++n) {
    if (n != SIGKILL && n != SIGSTOP) sigaddset(&defaults, n);
  }
#ifdef __GLIBC__
  // glibc's spawn helper sets its internal signals (32 and 33, below SIGRTMIN) to SIG_IGN in the
  // child, and exec keeps ignored signals ignored, unless they are in the default set. sigaddset
  // refuses them, so their bits are set directly (glibc's layout: bit n-1 of an unsigned long array).
  constexpr int kBits = 8 * sizeof(unsigned long);
  auto* words = reinterpret_cast<unsigned long*>(&defaults);
  for (int n = 32; n < SIGRTMIN; ++n) words[(n - 1) / kBits] |= 1UL << ((n - 1) % kBits);
#endif
  sigset_t mask;
  sigemptyset(&mask);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
#ifdef POSIX_SPAWN_SETSID
  if (o.flags & UV_PROCESS_DETACHED) flags |= POSIX_SPAWN_SETSID;
#endif
  if (posix_spawnattr_setsigdefault(&plan->attr, &defaults) != 0 || posix_spawnattr_setsigmask(&plan->attr, &mask) != 0 ||
      posix_spawnattr_setflags(&plan->attr, flags) != 0) {
    return UV_EINVAL;
  }
  return 0;
}

// One posix_spawn of `path`; a file the kernel cannot execute (no #! line) runs through /bin/sh,
// as execvp does.
int SpawnOne(const Plan& plan, const char* path, char** argv, char** env, pid_t* pid) {
  int err = posix_spawn(pid, path, &plan.actions, &plan.attr, argv, env);
  if (err != ENOEXEC) return err == 0 ? 0 : uv_translate_sys_error(err);
  std::vector<char*> shell_argv;
  shell_argv.push_back(const_cast<char*>("/bin/sh"));
  shell_argv.push_back(const_cast<char*>(path));
  for (char** arg = argv + (argv[0] != nullptr ? 1 : 0); *arg != nullptr; ++arg) shell_argv.push_back(*arg);
  shell_argv.push_back(nullptr);
  err = posix_spawn(pid, "/bin/sh", &plan.actions, &plan.attr, shell_argv.data(), env);
  return err == 0 ? 0 : uv_translate_sys_error(err);
}

// PATH as execvp sees it in libuv's child, where environ already is the child's environment.
const char* SearchPath(char** env) {
  if (env == nullptr) {
    const char* path = getenv("PATH");
    return path != nullptr ? path : "/bin:/usr/bin";
  }
  for (char** entry = env; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "PATH=", 5) == 0) return *entry + 5;
  }
  return "/bin:/usr/bin";
}

// Errors that make execvp try the next PATH entry.
bool SearchGoesOn(int err) {
  return err == UV_ENOENT || err == UV_ENOTDIR || err == -ESTALE || err == UV_ENODEV || err == UV_ETIMEDOUT;
}

// execvp's search, with each candidate checked with stat() first so that only one child is
// cloned for the usual PATH (relative entries are looked up from the child's cwd).
int SpawnSearching(const Plan& plan, const uv_process_options_t& o, pid_t* pid) {
  char** env = o.env != nullptr ? o.env : environ;
  if (o.file[0] == '\0') return UV_ENOENT;
  if (std::strchr(o.file, '/') != nullptr) return SpawnOne(plan, o.file, o.args, env, pid);
  bool denied = false;
  const char* path = SearchPath(o.env);
  for (const char* p = path;; ++p) {
    const char* end = std::strchr(p, ':');
    if (end == nullptr) end = p + std::strlen(p);
    std::string candidate(p, end);
    if (!candidate.empty()) candidate += '/';
    candidate += o.file;
    std::string probe = candidate[0] == '/' || o.cwd == nullptr ? candidate : std::string(o.cwd) + "/" + candidate;
    struct stat st;
    int err = stat(probe.c_str(), &st) == 0 ? SpawnOne(plan, candidate.c_str(), o.args, env, pid) : LastError();
    if (err == 0) return 0;
    if (err == UV_EACCES) denied = true;
    else if (!SearchGoesOn(err)) return err;
    p = end;
    if (*p == '\0') break;
  }
  return denied ? UV_EACCES : UV_ENOENT;
}

void CloseAll(std::vector<int>* fds) {
  for (int& fd : *fds) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

}  // namespace

bool CanSpawnFast(const uv_process_options_t& options) {
  const Support& s = GetSupport();
  if (!s.pidfd) return false;
  if (options.flags & (UV_PROCESS_SETUID | UV_PROCESS_SETGID)) return false;
  if (options.cwd != nullptr && s.addchdir == nullptr) return false;
#ifndef POSIX_SPAWN_SETSID
  if (options.flags & UV_PROCESS_DETACHED) return false;
#endif
  return true;
}

int SpawnFast(const uv_process_options_t& options, std::vector<int>* parent_fds, int* pid, int* pidfd) {
  Plan plan;
  int err = PrepareStdio(options, &plan, parent_fds);
  if (err != 0) {
    CloseAll(parent_fds);
    return err;
  }
  // From here on a failure is one libuv's child would report after the fork: uv_spawn still
  // opens the created pipes then, so their parent ends stay with the caller.
  err = PlanStdio(options, &plan);
  if (err == 0) err = PlanAttributes(options, &plan);
  pid_t child = 0;
  if (err == 0) err = SpawnSearching(plan, options, &child);
  if (err != 0) return err;
  // The child is a zombie at worst until we reap it, so its pid cannot be reused before this.
  int fd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  if (fd < 0) {
    err = LastError();
    kill(child, SIGKILL);
    while (waitpid(child, nullptr, 0) == -1 && errno == EINTR) {
    }
    return err;
  }
  *pid = child;
  *pidfd = fd;
  return 0;
}

#else  // no posix_spawn fast path on this system: every spawn goes through uv_spawn

bool CanSpawnFast(const uv_process_options_t&) { return false; }

int SpawnFast(const uv_process_options_t&, std::vector<int>*, int*, int*) { return UV_ENOSYS; }

#endif

}  // namespace uvkit
