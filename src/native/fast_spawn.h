// The Linux spawn fast path: posix_spawn (glibc and musl clone the child with CLONE_VM|CLONE_VFORK,
// so its cost does not grow with the parent's memory, unlike the fork() of Node 20's uv_spawn) and
// a pidfd that the Process handle polls with a uv_poll_t to learn of the child's exit.
//
// Which options take which path (also in the README's Process section):
// - posix_spawn + pidfd: Linux, when the kernel has pidfd_open (5.3+), for file/args/env/cwd,
//   detached, windowsHide/windowsVerbatimArguments (no-ops off Windows) and every stdio kind
//   ('ignore', 'inherit', created pipes including IPC pipes, { fd }, { stream });
// - uv_spawn: uid or gid given (posix_spawn cannot change credentials), cwd given where the C
//   library lacks posix_spawn_file_actions_addchdir_np, detached without POSIX_SPAWN_SETSID, any
//   other system, and whenever the caller asks for it (fastPath: false).
//
// What the child sees is what libuv 1.46's fork+exec child sets up: signals 1-31 at their default
// action and an empty signal mask; stdin/stdout/stderr on /dev/null unless given; inherited fds at
// 0-2 made blocking (on the shared file description, as libuv's child does); created pipes are
// blocking socketpair ends; the session left with setsid() when detached; the file looked up as
// execvp does after libuv replaced environ (PATH of the child's environment, "/bin:/usr/bin" when
// unset, EACCES remembered while the search goes on, a file without a #! line run by /bin/sh).
#pragma once

#include <uv.h>

#include <vector>

namespace uvkit {

// Whether the fast path can express these options (see above).
bool CanSpawnFast(const uv_process_options_t& options);

// Spawns the child described by `options` (stdio streams are read through uv_fileno). On success
// *pid and *pidfd are set and 0 is returned. parent_fds gets, for each UV_CREATE_PIPE entry, the
// parent's end of its socketpair, or -1: like uv_spawn it is also handed out when exec failed (the
// caller opens the Pipe with it either way), but not when the failure came before the spawn.
int SpawnFast(const uv_process_options_t& options, std::vector<int>* parent_fds, int* pid, int* pidfd);

}  // namespace uvkit
