// slbench's per-conversation integrity check: lost, duplicated, out of order.

#include "seq_tracker.h"

#include <gtest/gtest.h>

#include <string>

namespace slbench {
namespace {

using Outcome = SeqTracker::Outcome;

std::string MissingRuns(const SeqTracker& t, int64_t last) {
  std::string out;
  t.ForEachMissing(last, [&](int64_t a, int64_t b) {
    out += (out.empty() ? "" : " ") + std::to_string(a) + "-" + std::to_string(b);
  });
  return out;
}

TEST(SeqTracker, InOrderArrivalsLoseNothing) {
  SeqTracker t;
  t.Start(0);
  for (int64_t s = 1; s <= 5; ++s) EXPECT_EQ(Outcome::kInOrder, t.Receive(s));
  EXPECT_EQ(5, t.position());
  EXPECT_EQ(0u, t.Missing(5));
  EXPECT_EQ(2u, t.Missing(7));  // 6 and 7 never came
}

TEST(SeqTracker, StartsAfterTheJoinsLastSeq) {
  SeqTracker t;
  t.Start(41);
  EXPECT_EQ(Outcome::kBefore, t.Receive(41));
  EXPECT_EQ(Outcome::kInOrder, t.Receive(42));
  t.Start(100);  // already started: ignored
  EXPECT_EQ(Outcome::kInOrder, t.Receive(43));
}

TEST(SeqTracker, UnstartedTrackerStartsAtTheFirstArrival) {
  SeqTracker t;
  EXPECT_EQ(Outcome::kInOrder, t.Receive(7));
  EXPECT_EQ(0u, t.Missing(7));
}

TEST(SeqTracker, GapFilledLateIsOutOfOrder) {
  SeqTracker t;
  t.Start(0);
  EXPECT_EQ(Outcome::kInOrder, t.Receive(1));
  EXPECT_EQ(Outcome::kAhead, t.Receive(3));
  EXPECT_EQ(Outcome::kAhead, t.Receive(5));
  EXPECT_EQ("2-2 4-4 6-6", MissingRuns(t, 6));
  EXPECT_EQ(Outcome::kOutOfOrder, t.Receive(2));
  EXPECT_EQ(Outcome::kOutOfOrder, t.Receive(4));
  EXPECT_EQ(5, t.position());
  EXPECT_EQ("", MissingRuns(t, 5));
}

TEST(SeqTracker, RepeatsAreDuplicates) {
  SeqTracker t;
  t.Start(0);
  t.Receive(1);
  t.Receive(3);
  EXPECT_EQ(Outcome::kDuplicate, t.Receive(1));
  EXPECT_EQ(Outcome::kDuplicate, t.Receive(3));
}

TEST(SeqTracker, ForgetAheadResumesFromTheFirstGap) {
  SeqTracker t;
  t.Start(0);
  t.Receive(1);
  t.Receive(2);
  t.Receive(4);
  t.ForgetAhead();
  EXPECT_EQ(2, t.position());
  // What sync sends again after position 2 is in order, not a duplicate.
  EXPECT_EQ(Outcome::kInOrder, t.Receive(3));
  EXPECT_EQ(Outcome::kInOrder, t.Receive(4));
}

}  // namespace
}  // namespace slbench
