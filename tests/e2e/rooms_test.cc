// Rooms: create, join (by name, key, password), leave, members, list, owner role.

#include <gtest/gtest.h>

#include <algorithm>

#include "e2e/server_process.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

class Rooms : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start();
    ASSERT_TRUE(server_);
    alice_ = Login(*server_, "alice");
    bob_ = Login(*server_, "bob");
    ASSERT_TRUE(alice_ && bob_);
  }
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<net::BlockingClient> alice_, bob_;
};

TEST_F(Rooms, CreateReturnsJoinKeyAndExistingNameConflicts) {
  Json r = alice_->Request({{"type", "room.create"}, {"room", "lobby"}, {"title", "The Lobby"}});
  ASSERT_EQ("ok", r["type"]) << r.dump();
  EXPECT_EQ("lobby", r["room"]);
  EXPECT_GE(r.value("join_key", "").size(), 16u);
  Json again = bob_->Request({{"type", "room.create"}, {"room", "lobby"}});
  EXPECT_EQ("conflict", again["code"]);
}

TEST_F(Rooms, JoinGivesMembersAndLastSeqAndTellsOthers) {
  alice_->Request({{"type", "room.create"}, {"room", "lobby"}});
  alice_->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", "first"}});
  Json r = bob_->Request({{"type", "room.join"}, {"room", "lobby"}});
  ASSERT_EQ("ok", r["type"]) << r.dump();
  EXPECT_EQ(1, r["last_seq"]);
  auto members = r["members"].get<std::vector<std::string>>();
  EXPECT_EQ((std::vector<std::string>{"alice", "bob"}), members);
  Json ev = alice_->WaitForType("member.joined");
  EXPECT_EQ("#lobby", ev["conv"]);
  EXPECT_EQ("bob", ev["user"]);
  // Joining again succeeds and tells nobody.
  EXPECT_EQ("ok", bob_->Request({{"type", "room.join"}, {"room", "lobby"}})["type"]);
  for (const Json& e : alice_->Drain(300)) EXPECT_NE("member.joined", e.value("type", ""));
}

TEST_F(Rooms, UnknownRoomIsNotFound) {
  EXPECT_EQ("not_found", bob_->Request({{"type", "room.join"}, {"room", "nowhere"}})["code"]);
  EXPECT_EQ("not_found",
            bob_->Request({{"type", "room.join"}, {"join_key", "0123456789abcdef"}})["code"]);
  EXPECT_EQ("not_found", bob_->Request({{"type", "room.members"}, {"room", "nowhere"}})["code"]);
}

TEST_F(Rooms, PasswordIsRequired) {
  alice_->Request({{"type", "room.create"}, {"room", "vault"}, {"password", "s3cret"}});
  EXPECT_EQ("forbidden", bob_->Request({{"type", "room.join"}, {"room", "vault"}})["code"]);
  EXPECT_EQ(
      "forbidden",
      bob_->Request({{"type", "room.join"}, {"room", "vault"}, {"password", "wrong"}})["code"]);
  EXPECT_EQ("ok", bob_->Request(
                      {{"type", "room.join"}, {"room", "vault"}, {"password", "s3cret"}})["type"]);
}

TEST_F(Rooms, PrivateRoomNeedsItsKeyAndIsHiddenFromOthers) {
  Json r = alice_->Request({{"type", "room.create"}, {"room", "secret"}, {"private", true}});
  std::string key = r["join_key"];
  EXPECT_EQ("forbidden", bob_->Request({{"type", "room.join"}, {"room", "secret"}})["code"]);
  Json list = bob_->Request({{"type", "room.list"}});
  for (const Json& room : list["rooms"]) EXPECT_NE("secret", room["room"]);
  Json joined = bob_->Request({{"type", "room.join"}, {"join_key", key}});
  ASSERT_EQ("ok", joined["type"]) << joined.dump();
  EXPECT_EQ("secret", joined["room"]);
  list = bob_->Request({{"type", "room.list"}});
  bool seen = false;
  for (const Json& room : list["rooms"]) {
    if (room["room"] == "secret") {
      seen = true;
      EXPECT_EQ(true, room["private"]);
      EXPECT_EQ(true, room["joined"]);
      EXPECT_EQ(2, room["members"]);
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(Rooms, MembersShowsRolesAndOnlineAndNeedsMembership) {
  alice_->Request({{"type", "room.create"}, {"room", "lobby"}});
  EXPECT_EQ("forbidden", bob_->Request({{"type", "room.members"}, {"room", "lobby"}})["code"]);
  bob_->Request({{"type", "room.join"}, {"room", "lobby"}});
  Json r = bob_->Request({{"type", "room.members"}, {"room", "lobby"}});
  ASSERT_EQ("ok", r["type"]);
  ASSERT_EQ(2u, r["members"].size());
  EXPECT_EQ("alice", r["members"][0]["user"]);
  EXPECT_EQ("owner", r["members"][0]["role"]);
  EXPECT_EQ(true, r["members"][0]["online"]);
  EXPECT_EQ("bob", r["members"][1]["user"]);
  EXPECT_EQ("member", r["members"][1]["role"]);
}

TEST_F(Rooms, LeaveTellsOthersAndStopsDelivery) {
  alice_->Request({{"type", "room.create"}, {"room", "lobby"}});
  bob_->Request({{"type", "room.join"}, {"room", "lobby"}});
  Json r = bob_->Request({{"type", "room.leave"}, {"room", "lobby"}});
  EXPECT_EQ("ok", r["type"]);
  Json ev = alice_->WaitForType("member.left");
  EXPECT_EQ("bob", ev["user"]);
  alice_->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", "bob is gone"}});
  for (const Json& e : bob_->Drain(300)) EXPECT_NE("msg", e.value("type", ""));
  EXPECT_EQ("forbidden",
            bob_->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", "hi"}})["code"]);
}

TEST_F(Rooms, ListShowsPublicRoomsWithCounts) {
  alice_->Request({{"type", "room.create"}, {"room", "b-room"}, {"topic", "t"}});
  alice_->Request({{"type", "room.create"}, {"room", "a-room"}});
  Json r = bob_->Request({{"type", "room.list"}});
  ASSERT_EQ(2u, r["rooms"].size());
  EXPECT_EQ("a-room", r["rooms"][0]["room"]);
  EXPECT_EQ("b-room", r["rooms"][1]["room"]);
  EXPECT_EQ("t", r["rooms"][1]["topic"]);
  EXPECT_EQ(1, r["rooms"][1]["members"]);
  EXPECT_EQ(false, r["rooms"][1]["joined"]);
}

TEST_F(Rooms, MembershipSurvivesRestart) {
  alice_->Request({{"type", "room.create"}, {"room", "lobby"}});
  bob_->Request({{"type", "room.join"}, {"room", "lobby"}});
  alice_.reset();
  bob_.reset();
  server_->Stop(SIGTERM);
  ASSERT_TRUE(server_->Restart());
  auto bob = Login(*server_, "bob");
  ASSERT_TRUE(bob);
  Json r = bob->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", "still here"}});
  EXPECT_EQ("ok", r["type"]) << r.dump();
  Json m = bob->Request({{"type", "room.members"}, {"room", "lobby"}});
  EXPECT_EQ("owner", m["members"][0]["role"]);
}

}  // namespace
}  // namespace smartlink::testing
