#include "stats.h"

namespace uvkit {

namespace {

// The same arithmetic as Node's msFromTimeSpec, so the values compare equal to fs.Stats ones.
double Millis(const uv_timespec_t& t) {
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

}  // namespace

void FillStatFields(const uv_stat_t& stat, double* out) {
  out[0] = static_cast<double>(stat.st_dev);
  out[1] = static_cast<double>(stat.st_mode);
  out[2] = static_cast<double>(stat.st_nlink);
  out[3] = static_cast<double>(stat.st_uid);
  out[4] = static_cast<double>(stat.st_gid);
  out[5] = static_cast<double>(stat.st_rdev);
  out[6] = static_cast<double>(stat.st_blksize);
  out[7] = static_cast<double>(stat.st_ino);
  out[8] = static_cast<double>(stat.st_size);
  out[9] = static_cast<double>(stat.st_blocks);
  out[10] = Millis(stat.st_atim);
  out[11] = Millis(stat.st_mtim);
  out[12] = Millis(stat.st_ctim);
  out[13] = Millis(stat.st_birthtim);
}

}  // namespace uvkit
