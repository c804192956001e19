// The read slab: a 1 MiB ArrayBuffer that JS owns, one per environment, which stream reads and
// datagrams land in; each read becomes a Buffer view of it. Once it has too little room left a new
// one replaces it (views of the old one keep it alive).
#pragma once

#include <uv.h>

#include <cstddef>

#include "addon.h"

namespace uvkit {

constexpr size_t kSlabSize = 1024 * 1024;

// Room for `wanted` bytes (at most kSlabSize) at the free end of the slab, replacing the slab when
// it has less left (or JS detached it). `*offset` is where the room starts. Nothing is taken until
// CommitSlab. An empty buffer when no memory could be had.
void ReserveSlab(AddonState* state, size_t wanted, uv_buf_t* buf, size_t* offset);

// Bytes the current slab has left (0 when there is none or JS detached it).
size_t SlabRoom(AddonState* state);

// `used` bytes from `offset` are now JS's.
void CommitSlab(AddonState* state, size_t offset, size_t used);

}  // namespace uvkit
