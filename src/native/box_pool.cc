#include "box_pool.h"

#include <mutex>
#include <new>
#include <vector>

namespace uvkit {

namespace {

constexpr std::size_t kGranule = 64;      // slot sizes are multiples of a cache line
constexpr std::size_t kClasses = 8;       // up to 512 bytes; bigger boxes use malloc
constexpr std::size_t kSlotsPerSlab = 128;

struct FreeSlot {
  FreeSlot* next;
};

struct SizeClass {
  FreeSlot* free = nullptr;
  std::vector<void*> slabs;
  std::size_t live = 0;
};

struct ThreadPools {
  SizeClass classes[kClasses];

  // At thread exit, slabs whose slots are all back are returned. A slot still in use means the
  // thread ended with handles open (process.exit()): those slabs move to a process-wide list, so
  // the memory stays reachable (and is never mistaken for a leak) for the rest of the process.
  ~ThreadPools() {
    for (SizeClass& c : classes) {
      if (c.live == 0) {
        for (void* slab : c.slabs) ::operator delete(slab);
      } else {
        static auto* abandoned = new std::vector<void*>();
        static std::mutex mutex;
        std::lock_guard<std::mutex> lock(mutex);
        abandoned->insert(abandoned->end(), c.slabs.begin(), c.slabs.end());
      }
    }
  }
};

thread_local ThreadPools pools;

std::size_t ClassOf(std::size_t size) {
  return (size + kGranule - 1) / kGranule - 1;
}

void Refill(SizeClass& c, std::size_t slot_size) {
  // operator new ends the process on exhaustion, as every other allocation inside Node does.
  char* slab = static_cast<char*>(::operator new(slot_size * kSlotsPerSlab));
  c.slabs.push_back(slab);
  // Thread the slots in address order so consecutive allocations are adjacent.
  for (std::size_t i = kSlotsPerSlab; i-- > 0;) {
    auto* slot = reinterpret_cast<FreeSlot*>(slab + i * slot_size);
    slot->next = c.free;
    c.free = slot;
  }
}

}  // namespace

void* AllocateBox(std::size_t size) {
  std::size_t index = ClassOf(size);
  if (index >= kClasses) return ::operator new(size);
  SizeClass& c = pools.classes[index];
  if (c.free == nullptr) Refill(c, (index + 1) * kGranule);
  FreeSlot* slot = c.free;
  c.free = slot->next;
  ++c.live;
  return slot;
}

void FreeBox(void* pointer, std::size_t size) {
  std::size_t index = ClassOf(size);
  if (index >= kClasses) {
    ::operator delete(pointer);
    return;
  }
  SizeClass& c = pools.classes[index];
  auto* slot = static_cast<FreeSlot*>(pointer);
  slot->next = c.free;
  c.free = slot;
  --c.live;
}

}  // namespace uvkit
