// A minimal intrusive doubly linked list. Loops keep their handles (and the addon its loops) in
// one, so registering a handle costs no allocation and walking them needs no copy of the set.
#pragma once

namespace uvkit {

template <typename T>
struct ListLink {
  T* prev = nullptr;
  T* next = nullptr;
  bool linked = false;
};

// T must have a public `ListLink<T> link` member. Method bodies are only instantiated where T is
// complete, so a class can hold an IntrusiveList of a type it only forward-declares.
template <typename T>
class IntrusiveList {
 public:
  void PushBack(T* item) {
    ListLink<T>& link = item->link;
    if (link.linked) return;
    link.prev = tail_;
    link.next = nullptr;
    link.linked = true;
    if (tail_ != nullptr) (tail_->link).next = item;
    else head_ = item;
    tail_ = item;
    ++size_;
  }

  void Remove(T* item) {
    ListLink<T>& link = item->link;
    if (!link.linked) return;
    if (link.prev != nullptr) (link.prev->link).next = link.next;
    else head_ = link.next;
    if (link.next != nullptr) (link.next->link).prev = link.prev;
    else tail_ = link.prev;
    link = ListLink<T>{};
    --size_;
  }

  T* Front() const { return head_; }
  static T* Next(T* item) { return (item->link).next; }
  bool Empty() const { return head_ == nullptr; }
  size_t Size() const { return size_; }

  // Calls fn on every item; fn may remove the item it is given (but no other).
  template <typename Fn>
  void ForEach(Fn fn) {
    for (T* item = head_; item != nullptr;) {
      T* next = (item->link).next;
      fn(item);
      item = next;
    }
  }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
  size_t size_ = 0;
};

}  // namespace uvkit
