// Names as PROTOCOL.md defines them: user ids, room names, conversation ids, send targets.

#include "smartlink/protocol/names.h"

#include <gtest/gtest.h>

#include <string>

namespace smartlink::protocol {
namespace {

TEST(Names, AcceptsOneToSixtyFourAllowedCharacters) {
  EXPECT_TRUE(IsValidName("a"));
  EXPECT_TRUE(IsValidName("alice"));
  EXPECT_TRUE(IsValidName("Alice_Smith-2.0"));
  EXPECT_TRUE(IsValidName("ABCXYZabcxyz0189_.-"));
  EXPECT_TRUE(IsValidName("..."));
  EXPECT_TRUE(IsValidName(std::string(64, 'x')));
  EXPECT_TRUE(IsValidUserId("bob"));
  EXPECT_TRUE(IsValidRoomName("lobby"));
}

TEST(Names, RejectsEmptyAndTooLong) {
  EXPECT_FALSE(IsValidName(""));
  EXPECT_FALSE(IsValidName(std::string(65, 'x')));
  EXPECT_FALSE(IsValidUserId(""));
  EXPECT_FALSE(IsValidRoomName(std::string(100, 'r')));
}

TEST(Names, RejectsCharactersOutsideTheAlphabet) {
  for (const std::string& s :
       {std::string("a b"), std::string("a,b"), std::string("#a"), std::string("@a"),
        std::string("a/b"), std::string("a\\b"), std::string("a:b"), std::string("a+b"),
        std::string("a\tb"), std::string("a\nb"), std::string("a\0b", 3),
        std::string("caf\xC3\xA9"), std::string("a~b"), std::string("a*"), std::string("\x7F")}) {
    EXPECT_FALSE(IsValidName(s)) << s;
  }
}

TEST(Names, ParsesRoomConv) {
  auto c = ParseConv("#lobby");
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->is_room());
  EXPECT_EQ(ConvId::Kind::kRoom, c->kind);
  EXPECT_EQ("lobby", c->room);
  EXPECT_EQ("#lobby", c->str());
}

TEST(Names, ParsesDirectConv) {
  auto c = ParseConv("@alice,bob");
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->is_room());
  EXPECT_EQ("alice", c->user_a);
  EXPECT_EQ("bob", c->user_b);
  EXPECT_EQ("@alice,bob", c->str());
}

TEST(Names, ParsesDirectConvWithOneself) {
  auto c = ParseConv("@alice,alice");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ("alice", c->user_a);
  EXPECT_EQ("alice", c->user_b);
}

TEST(Names, ParseConvRejectsUnsortedDirectIds) {
  EXPECT_FALSE(ParseConv("@bob,alice").has_value());
  // Byte order: upper case sorts before lower case.
  EXPECT_TRUE(ParseConv("@Zed,alice").has_value());
  EXPECT_FALSE(ParseConv("@alice,Zed").has_value());
}

TEST(Names, ParseConvRejectsMalformedIds) {
  for (const char* s : {"", "#", "@", "@a", "lobby", "#a b", "#a,b", "@alice,", "@,bob", "@,",
                        "@alice,bob,carol", "@alice bob", "##lobby", "@#a,b", "#@a", "@a;b"}) {
    EXPECT_FALSE(ParseConv(s).has_value()) << s;
  }
  EXPECT_FALSE(ParseConv("#" + std::string(65, 'r')).has_value());
  EXPECT_TRUE(ParseConv("#" + std::string(64, 'r')).has_value());
}

TEST(Names, ParseTargetRoom) {
  auto c = ParseTarget("#lobby", "alice");
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->is_room());
  EXPECT_EQ("lobby", c->room);
}

TEST(Names, ParseTargetUserGivesSortedDirectConv) {
  auto to_bob = ParseTarget("@bob", "alice");
  ASSERT_TRUE(to_bob.has_value());
  EXPECT_EQ("@alice,bob", to_bob->str());
  auto to_alice = ParseTarget("@alice", "bob");
  ASSERT_TRUE(to_alice.has_value());
  EXPECT_EQ("@alice,bob", to_alice->str());
}

TEST(Names, ParseTargetAcceptsFullDirectIdOnlyForAParty) {
  auto c = ParseTarget("@alice,bob", "bob");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ("@alice,bob", c->str());
  EXPECT_FALSE(ParseTarget("@alice,bob", "mallory").has_value());
  EXPECT_FALSE(ParseTarget("@bob,alice", "alice").has_value());
}

TEST(Names, ParseTargetRejectsMalformed) {
  for (const char* s : {"", "#", "@", "bob", "#a b", "@a b", "!bob", "@bob,"}) {
    EXPECT_FALSE(ParseTarget(s, "alice").has_value()) << s;
  }
}

TEST(Names, DirectConvSortsTheIds) {
  ConvId ab = DirectConv("bob", "alice");
  EXPECT_FALSE(ab.is_room());
  EXPECT_EQ("alice", ab.user_a);
  EXPECT_EQ("bob", ab.user_b);
  ConvId ba = DirectConv("alice", "bob");
  EXPECT_EQ(ab.str(), ba.str());
  EXPECT_EQ("@alice,bob", DirectConvId("bob", "alice"));
  EXPECT_EQ("@alice,bob", DirectConvId("alice", "bob"));
  EXPECT_EQ("@Bob,alice", DirectConvId("alice", "Bob"));
}

TEST(Names, DirectConvIdRoundTripsThroughParseConv) {
  std::string id = DirectConvId("zoe", "adam");
  auto c = ParseConv(id);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(id, c->str());
  EXPECT_EQ("adam", c->user_a);
  EXPECT_EQ("zoe", c->user_b);
}

TEST(Names, RoomConvIdPrefixesHash) { EXPECT_EQ("#lobby", RoomConvId("lobby")); }

TEST(Names, PeerIsTheOtherParty) {
  ConvId c = DirectConv("alice", "bob");
  EXPECT_EQ("bob", c.Peer("alice"));
  EXPECT_EQ("alice", c.Peer("bob"));
  ConvId self = DirectConv("alice", "alice");
  EXPECT_EQ("alice", self.Peer("alice"));
}

TEST(Names, HasUserChecksBothParties) {
  ConvId c = DirectConv("alice", "bob");
  EXPECT_TRUE(c.HasUser("alice"));
  EXPECT_TRUE(c.HasUser("bob"));
  EXPECT_FALSE(c.HasUser("carol"));
  EXPECT_FALSE(c.HasUser(""));
}

}  // namespace
}  // namespace smartlink::protocol
