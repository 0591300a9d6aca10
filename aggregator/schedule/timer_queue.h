#ifndef AP_AGGREGATOR_SCHEDULE_TIMER_QUEUE_H_
#define AP_AGGREGATOR_SCHEDULE_TIMER_QUEUE_H_

// A timer queue keyed by id: each entry carries a value and, while armed, a
// fire time. The earliest armed entry is found in O(1); arming, re-arming,
// disarming and erasing by id are O(log n). Ties on time are broken by id,
// so the order is deterministic.
//
// Entries live in node-stable storage; the heap holds (time, node) pairs so
// comparisons stay within one cache line. Not thread-safe.

#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ap {

template <typename T>
class TimerQueue {
 public:
  struct Armed {
    absl::Time at;
    const std::string* id;  // valid until the entry is erased
  };

  // Inserts or replaces the value of `id`; a replaced entry keeps its
  // armed state. Returns the stored value.
  T& Put(absl::string_view id, T value) {
    auto it = nodes_.find(id);
    if (it != nodes_.end()) {
      it->second.value = std::move(value);
      return it->second.value;
    }
    it = nodes_.emplace(std::string(id), Node{std::move(value)}).first;
    return it->second.value;
  }

  T* Find(absl::string_view id) {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : &it->second.value;
  }

  // Arms (or re-arms) an existing entry to fire at `at`. False if absent.
  bool Arm(absl::string_view id, absl::Time at) {
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return false;
    Node* node = &it->second;
    node->key = &it->first;
    if (node->heap_pos == kNotArmed) {
      node->heap_pos = heap_.size();
      heap_.push_back({at, node});
      SiftUp(node->heap_pos);
    } else {
      const size_t pos = node->heap_pos;
      heap_[pos].at = at;
      SiftUp(pos);
      SiftDown(node->heap_pos);
    }
    return true;
  }

  // Takes an entry out of the heap; it stays stored. False if absent.
  bool Disarm(absl::string_view id) {
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return false;
    RemoveFromHeap(&it->second);
    return true;
  }

  bool Erase(absl::string_view id) {
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return false;
    RemoveFromHeap(&it->second);
    nodes_.erase(it);
    return true;
  }

  // When `id` fires, or nullopt if it is absent or not armed.
  std::optional<absl::Time> ArmedAt(absl::string_view id) const {
    auto it = nodes_.find(id);
    if (it == nodes_.end() || it->second.heap_pos == kNotArmed) {
      return std::nullopt;
    }
    return heap_[it->second.heap_pos].at;
  }

  // The earliest armed entry.
  std::optional<Armed> Earliest() const {
    if (heap_.empty()) return std::nullopt;
    return Armed{heap_[0].at, heap_[0].node->key};
  }

  // Up to `max` armed entries due at or before `now`, earliest first, as
  // popping them would give, but nothing changes: a best-first walk of the
  // heap's due part, O(max log max).
  std::vector<Armed> ArmedBy(absl::Time now, size_t max) const {
    std::vector<Armed> out;
    auto later = [this](size_t a, size_t b) {
      return Before(heap_[b], heap_[a]);
    };
    std::priority_queue<size_t, std::vector<size_t>, decltype(later)> next(
        later);
    if (!heap_.empty()) next.push(0);
    while (!next.empty() && out.size() < max) {
      const size_t pos = next.top();
      next.pop();
      if (heap_[pos].at > now) break;  // the earliest left is not due
      out.push_back({heap_[pos].at, heap_[pos].node->key});
      for (size_t child : {2 * pos + 1, 2 * pos + 2}) {
        if (child < heap_.size()) next.push(child);
      }
    }
    return out;
  }

  size_t size() const { return nodes_.size(); }
  size_t armed() const { return heap_.size(); }

 private:
  static constexpr size_t kNotArmed = SIZE_MAX;

  struct Node {
    T value;
    size_t heap_pos = kNotArmed;
    const std::string* key = nullptr;
  };
  struct HeapEntry {
    absl::Time at;
    Node* node;
  };

  static bool Before(const HeapEntry& a, const HeapEntry& b) {
    if (a.at != b.at) return a.at < b.at;
    return *a.node->key < *b.node->key;
  }

  void Place(size_t pos, HeapEntry e) {
    heap_[pos] = e;
    e.node->heap_pos = pos;
  }

  void SiftUp(size_t pos) {
    HeapEntry e = heap_[pos];
    while (pos > 0) {
      const size_t parent = (pos - 1) / 2;
      if (!Before(e, heap_[parent])) break;
      Place(pos, heap_[parent]);
      pos = parent;
    }
    Place(pos, e);
  }

  void SiftDown(size_t pos) {
    HeapEntry e = heap_[pos];
    const size_t n = heap_.size();
    while (true) {
      size_t child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && Before(heap_[child + 1], heap_[child])) ++child;
      if (!Before(heap_[child], e)) break;
      Place(pos, heap_[child]);
      pos = child;
    }
    Place(pos, e);
  }

  void RemoveFromHeap(Node* node) {
    const size_t pos = node->heap_pos;
    if (pos == kNotArmed) return;
    node->heap_pos = kNotArmed;
    const HeapEntry last = heap_.back();
    heap_.pop_back();
    if (pos == heap_.size()) return;  // it was the last one
    Place(pos, last);
    SiftUp(pos);
    SiftDown(last.node->heap_pos);
  }

  absl::node_hash_map<std::string, Node> nodes_;
  std::vector<HeapEntry> heap_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SCHEDULE_TIMER_QUEUE_H_
