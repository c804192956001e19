/* uvkit's C ABI: lets another native addon run its own C work on libuv's thread pool for a uvkit
 * Loop (Node's loop of the thread, or a private loop), with uvkit's lifetime rules.
 *
 * Getting the table: pass `nativeAbi` (exported by the uvkit package: `import { nativeAbi } from
 * 'uvkit'`) to your addon and read it with napi_get_value_external; it points at a uvkit_abi
 * that lives as long as the process. Check `version` (and `size` for later additions: members are
 * only ever appended).
 *
 * All functions are called on the thread of the loop's JS environment (where your addon got the
 * Loop object), with your addon's napi_env.
 *
 *   const uvkit_abi* abi;  napi_get_value_external(env, args[0], (void**)&abi);
 *   int64_t id = abi->queue_work(env, loop_value, my_work, my_done, my_data);
 *
 * my_work(data) runs in a pool thread. my_done(env, status, data) then runs once on the loop's
 * thread: status 0 after my_work ran, UV_ECANCELED when it was cancelled before it ran. `env` is
 * the napi_env you passed to queue_work; done runs inside a handle scope and (on Node's loop, or a
 * private loop embedded in it) a callback scope, so it may create values, resolve a napi_deferred
 * or call JS; a JS exception it leaves pending is reported like an exception of a uvkit callback
 * on that loop (a private loop's run() rethrows it, loop.onError, or process 'uncaughtException').
 * `env` is NULL when no JS may run any more (the private loop was collected, the environment is
 * ending): then only release `data` (without Node-API). A private loop collected or a
 * worker ending cancels queued work; work already running is waited for, so keep it short or make
 * it watch a flag of your own.
 */
#ifndef UVKIT_H
#define UVKIT_H

#include <node_api.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UVKIT_ABI_VERSION 1

typedef void (*uvkit_work_fn)(void* data);
typedef void (*uvkit_done_fn)(napi_env env, int status, void* data);

typedef struct uvkit_abi {
  uint32_t version; /* UVKIT_ABI_VERSION of the uvkit that made the table */
  uint32_t size;    /* sizeof(uvkit_abi) of that uvkit */

  /* Queues work(data) on the thread pool for `loop` (a uvkit Loop object, open). Returns the
   * request's number (> 0, for cancel), or a negative libuv error (UV_EINVAL: `loop` is not an open
   * uvkit Loop of this thread, or work/done is NULL); nothing is queued then and done never runs. */
  int64_t (*queue_work)(napi_env env, napi_value loop, uvkit_work_fn work, uvkit_done_fn done, void* data);

  /* Takes back a request that still waits for a thread: 1 (its done gets UV_ECANCELED), or 0 when
   * it runs or ran, or the number is unknown. */
  int (*cancel)(napi_env env, int64_t id);
} uvkit_abi;

#ifdef __cplusplus
}
#endif

#endif /* UVKIT_H */
