#include "stats.h"

namespace uvkit {

void FillStatFields(const uv_stat_t& stat, double* out) {
  out[0] = static_cast<double>(stat.st_dev);
  out[1] = static_cast<double>(stat.st_mode);
  out[2] = static_cast<double>(stat.st_nlink);
  out[3] = static_cast<double>(stat.st_uid);
  out[4] = static_cast<double>(stat.st_gid);
  out[5] = static_cast<double>(stat.st_rdev);
  out[6] = static_cast<double>(stat.st_blksize);
  out[7] = static_cast<double>(stat.st_ino >> 32);
  out[8] = static_cast<double>(stat.st_ino & 0xffffffffu);
  out[9] = static_cast<double>(stat.st_size);
  out[10] = static_cast<double>(stat.st_blocks);
  const uv_timespec_t* times[] = {&stat.st_atim, &stat.st_mtim, &stat.st_ctim, &stat.st_birthtim};
  for (int i = 0; i < 4; i++) {
    out[11 + 2 * i] = static_cast<double>(times[i]->tv_sec);
    out[12 + 2 * i] = static_cast<double>(times[i]->tv_nsec);
  }
}

}  // namespace uvkit
