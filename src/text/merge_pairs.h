// The merge loop both BPE flavours share: repeatedly join the adjacent pair of symbols whose rule
// has the best priority (the lowest value, the leftmost among equals) until no rule applies. HF's
// BPE ranks rules by merge order, SentencePiece by the merged piece's score; both are this loop.
// A heap of candidate pairs keeps it O(n log n), so a 10 MB word is no worse than many small ones.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

namespace claw::text {

struct PairMerge {
  double priority;  // lower merges first
  std::int32_t merged;
};

// `rule(left, right)` gives the merge of two adjacent symbols, or nothing when they do not merge.
template <typename Rule>
void merge_pairs(std::vector<std::int32_t>& symbols, const Rule& rule) {
  const auto count = static_cast<std::int32_t>(symbols.size());
  if (count < 2) return;
  // A pair as it stood when queued; stale once either side has changed.
  struct Candidate {
    double priority;
    std::int32_t position;  // of the left symbol
    std::int32_t left, right, merged;
    bool operator<(const Candidate& other) const {  // the queue pops the greatest: the best
      return priority != other.priority ? priority > other.priority : position > other.position;
    }
  };
  std::vector<std::int32_t> next(symbols.size()), previous(symbols.size());
  for (std::int32_t i = 0; i < count; ++i) {
    previous[i] = i - 1;
    next[i] = i + 1 < count ? i + 1 : -1;
  }
  std::vector<Candidate> storage;
  storage.reserve(symbols.size());
  std::priority_queue<Candidate> queue(std::less<Candidate>(), std::move(storage));
  const auto offer = [&](std::int32_t position) {
    const std::int32_t right = next[position];
    if (right < 0) return;
    if (const std::optional<PairMerge> merge = rule(symbols[position], symbols[right])) {
      queue.push({merge->priority, position, symbols[position], symbols[right], merge->merged});
    }
  };
  for (std::int32_t i = 0; i + 1 < count; ++i) offer(i);

  constexpr std::int32_t kAbsorbed = -1;
  while (!queue.empty()) {
    const Candidate best = queue.top();
    queue.pop();
    const std::int32_t right = next[best.position];
    if (symbols[best.position] != best.left || right < 0 || symbols[right] != best.right) continue;
    symbols[best.position] = best.merged;
    symbols[right] = kAbsorbed;
    next[best.position] = next[right];
    if (next[right] >= 0) previous[next[right]] = best.position;
    if (previous[best.position] >= 0) offer(previous[best.position]);
    offer(best.position);
  }
  std::int32_t kept = 0;
  for (std::int32_t i = 0; i >= 0; i = next[i]) symbols[kept++] = symbols[i];
  symbols.resize(static_cast<std::size_t>(kept));
}

}  // namespace claw::text
