#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace slbench {

// Histogram records non-negative integer values (slbench uses nanoseconds) in log-linear
// buckets, as HdrHistogram does: values are grouped by their power of two, and each power of
// two is split into 2048 linear sub-buckets, so every recorded value is known to within one
// part in 1024 (3 significant decimal digits) from 1 up to `highest`. Recording is O(1) with
// no allocation; percentiles walk the counts.
//
// Debian packages no C or C++ HdrHistogram, so this is the small subset slbench needs:
// record, merge, percentiles, and a sparse form for per-second snapshots.
// Not thread-safe: each event-loop thread records into its own and they are merged after.
class Histogram {
 public:
  // Values above `highest` are clamped to it (and counted in clamped()).
  explicit Histogram(int64_t highest = kDefaultHighest);

  // One hour in nanoseconds: nothing slbench measures takes longer.
  static constexpr int64_t kDefaultHighest = 3600LL * 1000 * 1000 * 1000;

  void Record(int64_t value, uint64_t count = 1);
  // Adds every count of `other`, which must have the same `highest`.
  void Merge(const Histogram& other);
  void Reset();

  uint64_t count() const { return total_; }
  uint64_t clamped() const { return clamped_; }
  int64_t min() const { return total_ ? min_ : 0; }  // exact
  int64_t max() const { return total_ ? max_ : 0; }  // exact
  double Mean() const;

  // The value at percentile `p` (0 to 100): the smallest recorded value such that at least
  // p % of all values are at or below it, reported as the highest value of its bucket (as
  // HdrHistogram does) and never above max(). 0 when empty.
  int64_t Percentile(double p) const;

  // The non-zero buckets as (index, count), for compact per-interval snapshots. AddSparse
  // records each as the highest value of its bucket (exact min and max are not kept).
  std::vector<std::pair<uint32_t, uint64_t>> Sparse() const;
  void AddSparse(const std::vector<std::pair<uint32_t, uint64_t>>& sparse);

  // Bucket arithmetic, exposed for tests.
  size_t IndexOf(int64_t value) const;
  int64_t LowestEquivalent(int64_t value) const;
  int64_t HighestEquivalent(int64_t value) const;
  size_t bucket_slots() const { return counts_.size(); }

 private:
  int64_t ValueAt(size_t index) const;

  int64_t highest_;
  int bucket_count_ = 0;
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t clamped_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace slbench
