#include "sequencer.h"

#include <gtest/gtest.h>

namespace slchat {
namespace {

using Json = nlohmann::json;

std::vector<int64_t> Seqs(const std::vector<Json>& evs) {
  std::vector<int64_t> out;
  for (const Json& e : evs) out.push_back(e["seq"]);
  return out;
}

std::vector<int64_t> Add(Sequencer& s, int64_t seq, bool* gap, const std::string& conv = "#a") {
  return Seqs(s.Add(conv, seq, Json{{"seq", seq}}, gap));
}

TEST(Sequencer, DeliversInOrderAndDropsRepeats) {
  Sequencer s;
  s.SetPosition("#a", 2);
  bool gap = true;
  EXPECT_EQ((std::vector<int64_t>{3}), Add(s, 3, &gap));
  EXPECT_FALSE(gap);
  EXPECT_EQ((std::vector<int64_t>{}), Add(s, 3, &gap));
  EXPECT_EQ((std::vector<int64_t>{}), Add(s, 1, &gap));
  EXPECT_FALSE(gap);
  EXPECT_EQ(3, s.position("#a"));
}

TEST(Sequencer, HoldsPastAGapUntilItIsFilled) {
  Sequencer s;
  s.SetPosition("#a", 1);
  bool gap = false;
  EXPECT_EQ((std::vector<int64_t>{}), Add(s, 5, &gap));  // 2..4 were missed
  EXPECT_TRUE(gap);
  EXPECT_EQ(1, s.position("#a"));
  EXPECT_EQ(1u, s.held("#a"));
  // The catch-up replays 2..5; 5 comes once.
  EXPECT_EQ((std::vector<int64_t>{2}), Add(s, 2, &gap));
  EXPECT_FALSE(gap);
  EXPECT_EQ((std::vector<int64_t>{3}), Add(s, 3, &gap));
  EXPECT_EQ((std::vector<int64_t>{4, 5}), Add(s, 4, &gap));
  EXPECT_EQ((std::vector<int64_t>{}), Add(s, 5, &gap));
  EXPECT_EQ(0u, s.held("#a"));
  EXPECT_EQ(5, s.position("#a"));
}

TEST(Sequencer, CaughtUpReleasesWhatIsHeld) {
  Sequencer s;
  s.SetPosition("#a", 1);
  bool gap = false;
  Add(s, 4, &gap);
  Add(s, 6, &gap);
  // Retention removed 2..3 (complete: false): what is held goes out in order.
  EXPECT_EQ((std::vector<int64_t>{4, 6}), Seqs(s.CaughtUp("#a", 6)));
  EXPECT_EQ(6, s.position("#a"));
  EXPECT_EQ((std::vector<int64_t>{7}), Add(s, 7, &gap));
  EXPECT_TRUE(s.CaughtUp("#b", 9).empty());
  EXPECT_EQ(9, s.position("#b"));
}

TEST(Sequencer, NewConversationsStartAtTheirFirstMessage) {
  Sequencer s;
  bool gap = true;
  EXPECT_FALSE(s.knows("@a,b"));
  EXPECT_EQ((std::vector<int64_t>{1}), Add(s, 1, &gap, "@a,b"));
  EXPECT_FALSE(gap);
  EXPECT_EQ((std::vector<int64_t>{8}), Add(s, 8, &gap, "#joined-late"));
  EXPECT_FALSE(gap);
  EXPECT_EQ(8, s.position("#joined-late"));
}

TEST(Sequencer, PositionsOnlyMoveForwardAndDropStaleHeld) {
  Sequencer s;
  s.SetPosition("#a", 5);
  s.SetPosition("#a", 3);
  EXPECT_EQ(5, s.position("#a"));
  bool gap = false;
  Add(s, 8, &gap);
  s.SetPosition("#a", 9);  // the history showed them
  EXPECT_EQ(0u, s.held("#a"));
  EXPECT_EQ((std::vector<int64_t>{10}), Add(s, 10, &gap));
}

}  // namespace
}  // namespace slchat
