// Memory for the boxes that hold uv handles, taken from per-thread slabs of equal-sized slots.
//
// Why: libuv keeps timers in a pointer-linked binary heap, and every start/expiry walks it. With
// each uv_timer_t malloc'd on its own, between V8 and Node-API allocations, every heap step was a
// cache miss (uv_timer_stop was 60% of the time to fire 300k timers). Slabs put handles made one
// after another next to each other, as a C program's array would.
//
// A box is always freed on the thread that allocated it: uv handles live on their loop's thread.
#pragma once

#include <cstddef>

namespace uvkit {

void* AllocateBox(std::size_t size);
void FreeBox(void* pointer, std::size_t size);

}  // namespace uvkit
