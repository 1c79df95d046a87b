// slbench's log-linear histogram against known distributions: every percentile must be
// within the 3-significant-digit bound of the exact one.

#include "histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace slbench {
namespace {

// The exact percentile as the histogram defines it: the smallest value with at least p % of
// the values at or below it.
int64_t Exact(std::vector<int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()) - 1e-9));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

// The histogram may report the highest value of the exact value's bucket, and a bucket is
// at most 1/1024 of its values wide: never below the exact value, never more than 0.1 % above.
void ExpectWithinBound(const std::vector<int64_t>& values) {
  Histogram h;
  for (int64_t v : values) h.Record(v);
  ASSERT_EQ(values.size(), h.count());
  for (double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    int64_t exact = Exact(values, p);
    int64_t got = h.Percentile(p);
    EXPECT_GE(got, exact) << "p" << p;
    EXPECT_LE(static_cast<double>(got - exact), static_cast<double>(exact) / 1000.0)
        << "p" << p << ": exact " << exact << ", histogram " << got;
  }
  EXPECT_EQ(*std::max_element(values.begin(), values.end()), h.max());
  EXPECT_EQ(*std::min_element(values.begin(), values.end()), h.min());
}

TEST(Histogram, UniformDistribution) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> dist(1, 1000000000);  // 1 ns to 1 s
  std::vector<int64_t> values(200000);
  for (auto& v : values) v = dist(rng);
  ExpectWithinBound(values);
}

TEST(Histogram, ExponentialDistribution) {
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> dist(1.0 / 1e6);  // mean 1 ms in ns
  std::vector<int64_t> values(200000);
  for (auto& v : values) v = static_cast<int64_t>(dist(rng)) + 1;
  ExpectWithinBound(values);
}

TEST(Histogram, ConstantDistribution) {
  std::vector<int64_t> values(10000, 123456789);
  ExpectWithinBound(values);
  Histogram h;
  for (int64_t v : values) h.Record(v);
  EXPECT_EQ(123456789, h.Percentile(50));  // capped at the exact maximum
  EXPECT_DOUBLE_EQ(123456789.0, h.Mean());
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (int64_t v = 0; v < 2048; ++v) {
    EXPECT_EQ(v, h.LowestEquivalent(v));
    EXPECT_EQ(v, h.HighestEquivalent(v));
    h.Record(v);
  }
  EXPECT_EQ(1023, h.Percentile(50));
  EXPECT_EQ(2047, h.Percentile(100));
}

TEST(Histogram, BucketsAreAtMostAThousandthWide) {
  Histogram h;
  for (int64_t v = 2048; v < Histogram::kDefaultHighest; v = v * 3 / 2 + 7) {
    int64_t lo = h.LowestEquivalent(v), hi = h.HighestEquivalent(v);
    EXPECT_LE(lo, v);
    EXPECT_GE(hi, v);
    EXPECT_LE(static_cast<double>(hi - lo + 1), static_cast<double>(lo) / 1024.0 + 1) << v;
    EXPECT_EQ(h.IndexOf(lo), h.IndexOf(hi));
    EXPECT_EQ(h.IndexOf(hi) + 1, h.IndexOf(hi + 1));
  }
}

TEST(Histogram, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(0u, h.count());
  EXPECT_EQ(0, h.Percentile(99));
  EXPECT_EQ(0, h.max());
  EXPECT_EQ(0, h.Mean());
}

TEST(Histogram, ValuesAboveTheHighestAreClamped) {
  Histogram h(1000000);
  h.Record(5000000);
  h.Record(10);
  EXPECT_EQ(1u, h.clamped());
  EXPECT_EQ(2u, h.count());
  EXPECT_LE(h.max(), 1000000);
  EXPECT_GE(h.Percentile(100), 1000000 - 1000000 / 1000);
}

TEST(Histogram, MergeEqualsRecordingIntoOne) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> dist(12, 2);
  Histogram all, a, b;
  for (int i = 0; i < 50000; ++i) {
    auto v = static_cast<int64_t>(dist(rng));
    all.Record(v);
    (i % 3 ? a : b).Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(all.count(), a.count());
  EXPECT_EQ(all.max(), a.max());
  EXPECT_EQ(all.min(), a.min());
  for (double p : {50.0, 99.0, 99.9}) EXPECT_EQ(all.Percentile(p), a.Percentile(p));
}

TEST(Histogram, SparseRoundTripKeepsPercentiles) {
  Histogram h, copy;
  for (int64_t v : {5, 5, 900, 70000, 70001, 123456789}) h.Record(v);
  copy.AddSparse(h.Sparse());
  EXPECT_EQ(h.count(), copy.count());
  for (double p : {10.0, 50.0, 60.0}) EXPECT_EQ(h.Percentile(p), copy.Percentile(p));
  // The exact maximum is gone; what is left is its bucket's top, within 0.1 %.
  EXPECT_GE(copy.Percentile(100), 123456789);
  EXPECT_LE(copy.Percentile(100), 123456789 + 123456789 / 1000);
  EXPECT_TRUE(Histogram().Sparse().empty());
}

TEST(Histogram, RecordWithCountWeighsTheValue) {
  Histogram h;
  h.Record(100, 99);
  h.Record(1000000, 1);
  EXPECT_EQ(100u, h.count());
  EXPECT_EQ(100, h.Percentile(99));
  EXPECT_EQ(1000000, h.Percentile(99.5));
}

}  // namespace
}  // namespace slbench
