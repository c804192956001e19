// CRC-32C (Castagnoli, as iSCSI, ext4 and RocksDB use it) and CRC-32 (IEEE, as zlib and gzip use
// it). Both continue a running value: Crc(Crc(0, a), b) == Crc(0, a + b).
#pragma once

#include <cstddef>
#include <cstdint>

namespace uvkit {

enum class ChecksumAlgorithm : int { kCrc32c = 0, kCrc32 = 1 };

uint32_t Checksum(ChecksumAlgorithm algorithm, uint32_t crc, const uint8_t* data, size_t length);

}  // namespace uvkit
