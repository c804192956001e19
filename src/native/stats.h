// A uv_stat_t as the flat numbers the TS layer turns into a Stats object (src/ts/stats.ts).
//
// Why numbers in a Float64Array: building an object per stat in C++ costs a dozen property sets
// through Node-API; writing 14 doubles costs nothing, and JS builds the object with its own fast
// constructor (Node's fs does the same with its statValues array).
#pragma once

#include <uv.h>

namespace uvkit {

// dev, mode, nlink, uid, gid, rdev, blksize, ino (high, low 32 bits), size, blocks, then atime,
// mtime, ctime, birthtime as (seconds, nanoseconds): the order of src/ts/stats.ts. Every value is
// exact in a double, so the TS layer can build both Stats (milliseconds) and BigIntStats
// (nanoseconds, the whole inode number) from them.
inline constexpr int kStatFields = 19;

void FillStatFields(const uv_stat_t& stat, double* out);

}  // namespace uvkit
