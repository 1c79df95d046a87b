#include "histogram.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace slbench {

namespace {

// 2048 sub-buckets per power of two: a bucket is at most 1/1024 of its values wide, which
// keeps 3 significant decimal digits (HdrHistogram's sub_bucket_count for precision 3).
constexpr int kSubBucketHalfMagnitude = 10;
constexpr int64_t kSubBucketHalf = 1 << kSubBucketHalfMagnitude;  // 1024
constexpr int64_t kSubBucketMask = 2 * kSubBucketHalf - 1;        // 2047

int BucketOf(int64_t value) {
  // Position of the highest set bit of (value | 2047), minus the sub-bucket bits.
  int bits = 64 - __builtin_clzll(static_cast<uint64_t>(value | kSubBucketMask));
  return bits - (kSubBucketHalfMagnitude + 1);
}

}  // namespace

Histogram::Histogram(int64_t highest) : highest_(std::max<int64_t>(highest, 2 * kSubBucketHalf)) {
  bucket_count_ = BucketOf(highest_) + 1;
  counts_.assign(static_cast<size_t>(bucket_count_ + 1) * kSubBucketHalf, 0);
}

size_t Histogram::IndexOf(int64_t value) const {
  int bucket = BucketOf(value);
  int64_t sub = value >> bucket;
  return static_cast<size_t>(((static_cast<int64_t>(bucket) + 1) << kSubBucketHalfMagnitude) + sub -
                             kSubBucketHalf);
}

int64_t Histogram::ValueAt(size_t index) const {
  int64_t bucket = static_cast<int64_t>(index >> kSubBucketHalfMagnitude) - 1;
  int64_t sub = static_cast<int64_t>(index & (kSubBucketHalf - 1)) + kSubBucketHalf;
  if (bucket < 0) {
    sub -= kSubBucketHalf;
    bucket = 0;
  }
  return sub << bucket;
}

int64_t Histogram::LowestEquivalent(int64_t value) const {
  int bucket = BucketOf(value);
  return (value >> bucket) << bucket;
}

int64_t Histogram::HighestEquivalent(int64_t value) const {
  int bucket = BucketOf(value);
  return LowestEquivalent(value) + (int64_t{1} << bucket) - 1;
}

void Histogram::Record(int64_t value, uint64_t count) {
  if (count == 0) return;
  if (value < 0) value = 0;
  if (value > highest_) {
    value = highest_;
    clamped_ += count;
  }
  counts_[IndexOf(value)] += count;
  if (total_ == 0 || value < min_) min_ = value;
  if (total_ == 0 || value > max_) max_ = value;
  total_ += count;
  sum_ += static_cast<double>(value) * static_cast<double>(count);
}

void Histogram::Merge(const Histogram& other) {
  assert(other.counts_.size() == counts_.size());
  if (other.total_ == 0) return;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  if (total_ == 0 || other.min_ < min_) min_ = other.min_;
  if (total_ == 0 || other.max_ > max_) max_ = other.max_;
  total_ += other.total_;
  clamped_ += other.clamped_;
  sum_ += other.sum_;
}

void Histogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = clamped_ = 0;
  min_ = max_ = 0;
  sum_ = 0;
}

double Histogram::Mean() const { return total_ ? sum_ / static_cast<double>(total_) : 0; }

int64_t Histogram::Percentile(double p) const {
  if (total_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // The rank of the value wanted: ceil(p% of the count), at least 1. The small epsilon keeps
  // p = 99.9 of 1000 values at rank 999 despite binary rounding.
  double exact = p / 100.0 * static_cast<double>(total_);
  auto rank = static_cast<uint64_t>(std::ceil(exact - 1e-9));
  rank = std::clamp<uint64_t>(rank, 1, total_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(HighestEquivalent(ValueAt(i)), max_);
  }
  return max_;
}

std::vector<std::pair<uint32_t, uint64_t>> Histogram::Sparse() const {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  if (total_ == 0) return out;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i]) out.emplace_back(static_cast<uint32_t>(i), counts_[i]);
  }
  return out;
}

void Histogram::AddSparse(const std::vector<std::pair<uint32_t, uint64_t>>& sparse) {
  for (const auto& [index, n] : sparse) {
    // The highest value of the bucket: a merged snapshot never under-reports.
    if (index < counts_.size()) Record(HighestEquivalent(ValueAt(index)), n);
  }
}

}  // namespace slbench
