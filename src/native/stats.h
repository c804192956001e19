// A uv_stat_t as the flat numbers the TS layer turns into a Stats object (src/ts/stats.ts).
//
// Why numbers in a Float64Array: building an object per stat in C++ costs a dozen property sets
// through Node-API; writing 14 doubles costs nothing, and JS builds the object with its own fast
// constructor (Node's fs does the same with its statValues array).
#pragma once

#include <uv.h>

namespace uvkit {

// dev, mode, nlink, uid, gid, rdev, blksize, ino, size, blocks, atimeMs, mtimeMs, ctimeMs,
// birthtimeMs: the order of src/ts/stats.ts.
inline constexpr int kStatFields = 14;

void FillStatFields(const uv_stat_t& stat, double* out);

}  // namespace uvkit
