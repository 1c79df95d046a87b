#include "reconnect.h"

#include <gtest/gtest.h>

namespace slchat {
namespace {

TEST(Reconnect, FollowsTheCloseCodeRules) {
  for (int code : {1001, 1006, 4008, 1011, 1012, 1013}) EXPECT_TRUE(ShouldReconnect(code)) << code;
  for (int code : {1000, 1002, 1008, 1009, 4001, 4003, 4029}) {
    EXPECT_FALSE(ShouldReconnect(code)) << code;
  }
}

TEST(Reconnect, BacksOffExponentiallyWithJitterUpToACap) {
  double r = 0;
  Backoff b(500, 8000, [&r] { return r; });
  EXPECT_EQ(250, b.Next());  // [d/2, d] with d = 500
  EXPECT_EQ(500, b.Next());  // d = 1000
  r = 1;
  EXPECT_EQ(2000, b.Next());  // d = 2000
  EXPECT_EQ(4000, b.Next());
  EXPECT_EQ(8000, b.Next());
  EXPECT_EQ(8000, b.Next());  // capped
  r = 0.5;
  EXPECT_EQ(6000, b.Next());
  b.Reset();
  EXPECT_EQ(0, b.attempt());
  EXPECT_EQ(375, b.Next());
}

TEST(Reconnect, ManyAttemptsDoNotOverflow) {
  Backoff b(500, 30000, [] { return 0.99; });
  int64_t last = 0;
  for (int i = 0; i < 200; ++i) last = b.Next();
  EXPECT_LE(last, 30000);
  EXPECT_GE(last, 15000);
}

}  // namespace
}  // namespace slchat
