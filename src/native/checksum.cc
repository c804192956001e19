// Table-driven CRCs (slicing by 8: eight table lookups per 8 bytes), and CRC-32C with the SSE 4.2
// crc32 instruction where the CPU has it (checked once at run time).
#include "checksum.h"

#include <cstring>

namespace uvkit {

namespace {

struct CrcTables {
  uint32_t t[8][256];
};

// Tables for a reflected polynomial: t[0] is the byte-at-a-time table, t[k] advances t[k-1] by one
// more zero byte.
constexpr CrcTables MakeTables(uint32_t poly) {
  CrcTables tables{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) != 0 ? (crc >> 1) ^ poly : crc >> 1;
    tables.t[0][i] = crc;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t prev = tables.t[k - 1][i];
      tables.t[k][i] = (prev >> 8) ^ tables.t[0][prev & 0xff];
    }
  }
  return tables;
}

constexpr CrcTables kCrc32cTables = MakeTables(0x82F63B78u);
constexpr CrcTables kCrc32Tables = MakeTables(0xEDB88320u);

uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

uint32_t CrcSoftware(const CrcTables& tab, uint32_t crc, const uint8_t* p, size_t n) {
  crc = ~crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint32_t lo = crc ^ Load32(p);
    uint32_t hi = Load32(p + 4);
    crc = tab.t[7][lo & 0xff] ^ tab.t[6][(lo >> 8) & 0xff] ^ tab.t[5][(lo >> 16) & 0xff] ^ tab.t[4][lo >> 24] ^
          tab.t[3][hi & 0xff] ^ tab.t[2][(hi >> 8) & 0xff] ^ tab.t[1][(hi >> 16) & 0xff] ^ tab.t[0][hi >> 24];
  }
  for (; n > 0; --n) crc = tab.t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

#if defined(__GNUC__) && defined(__x86_64__)
#define UVKIT_CRC32C_SSE42 1
__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t c = ~crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    c = __builtin_ia32_crc32di(c, word);
  }
  auto c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n) c32 = __builtin_ia32_crc32qi(c32, *p++);
  return ~c32;
}

bool HasSse42() {
  static const bool has = __builtin_cpu_supports("sse4.2") != 0;
  return has;
}
#endif

}  // namespace

uint32_t Checksum(ChecksumAlgorithm algorithm, uint32_t crc, const uint8_t* data, size_t length) {
  if (algorithm == ChecksumAlgorithm::kCrc32) return CrcSoftware(kCrc32Tables, crc, data, length);
#ifdef UVKIT_CRC32C_SSE42
  if (HasSse42()) return Crc32cSse42(crc, data, length);
#endif
  return CrcSoftware(kCrc32cTables, crc, data, length);
}

}  // namespace uvkit
