// ChatState: rooms, membership, positions, sessions and presence counts in memory.

#include "smartlink/state/chat_state.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace smartlink::state {
namespace {

using protocol::ConvId;
using protocol::DirectConv;

storage::RoomRecord Record(const std::string& name, const std::string& owner,
                           const std::string& key = "") {
  storage::RoomRecord r;
  r.name = name;
  r.owner = owner;
  r.join_key = key.empty() ? "key-" + name : key;
  r.title = "Title of " + name;
  return r;
}

ConvId RoomConv(const std::string& name) { return *protocol::ParseConv("#" + name); }

using Names = std::vector<std::string>;
using NameSet = std::set<std::string>;

TEST(ChatState, AddRoomMakesTheOwnerAMemberWithOwnerRole) {
  ChatState s;
  Room& room = s.AddRoom(Record("lobby", "alice"));
  EXPECT_EQ("lobby", room.record.name);
  ASSERT_EQ(1u, room.members.size());
  ASSERT_EQ(1u, room.members.count("alice"));
  EXPECT_EQ(Role::kOwner, room.members.at("alice"));
  EXPECT_TRUE(s.IsMember(RoomConv("lobby"), "alice"));
  EXPECT_EQ(NameSet{"#lobby"}, s.ConvsOf("alice"));
  EXPECT_EQ(&room, s.FindRoom("lobby"));
}

TEST(ChatState, RoleNames) {
  EXPECT_STREQ("owner", RoleName(Role::kOwner));
  EXPECT_STREQ("member", RoleName(Role::kMember));
}

TEST(ChatState, FindRoomReturnsNullForUnknownRooms) {
  ChatState s;
  s.AddRoom(Record("lobby", "alice"));
  EXPECT_EQ(nullptr, s.FindRoom("nope"));
  EXPECT_EQ(nullptr, s.FindRoom("Lobby"));
  EXPECT_EQ(1u, s.rooms().size());
}

TEST(ChatState, FindRoomByKey) {
  ChatState s;
  Room& lobby = s.AddRoom(Record("lobby", "alice", "k-lobby"));
  Room& dev = s.AddRoom(Record("dev", "bob", "k-dev"));
  EXPECT_EQ(&lobby, s.FindRoomByKey("k-lobby"));
  EXPECT_EQ(&dev, s.FindRoomByKey("k-dev"));
  EXPECT_EQ(nullptr, s.FindRoomByKey("k-other"));
  EXPECT_EQ(nullptr, s.FindRoomByKey("lobby"));
}

TEST(ChatState, AddMemberToRoom) {
  ChatState s;
  s.AddRoom(Record("lobby", "alice"));
  s.AddMember(RoomConv("lobby"), "bob", Role::kMember);
  EXPECT_TRUE(s.IsMember(RoomConv("lobby"), "bob"));
  EXPECT_EQ(Role::kMember, s.FindRoom("lobby")->members.at("bob"));
  EXPECT_EQ(NameSet{"#lobby"}, s.ConvsOf("bob"));
  EXPECT_FALSE(s.IsMember(RoomConv("lobby"), "carol"));
}

TEST(ChatState, AddMemberTwiceKeepsTheFirstRole) {
  ChatState s;
  s.AddRoom(Record("lobby", "alice"));
  s.AddMember(RoomConv("lobby"), "alice", Role::kMember);  // re-join by the owner
  EXPECT_EQ(Role::kOwner, s.FindRoom("lobby")->members.at("alice"));
  EXPECT_EQ(1u, s.FindRoom("lobby")->members.size());
}

TEST(ChatState, AddMemberToUnknownRoomDoesNothing) {
  ChatState s;
  s.AddMember(RoomConv("ghost"), "bob", Role::kMember);
  EXPECT_FALSE(s.IsMember(RoomConv("ghost"), "bob"));
  EXPECT_TRUE(s.ConvsOf("bob").empty());
  EXPECT_EQ(nullptr, s.FindRoom("ghost"));
}

TEST(ChatState, RemoveMemberFromRoom) {
  ChatState s;
  s.AddRoom(Record("lobby", "alice"));
  s.AddRoom(Record("dev", "alice"));
  s.AddMember(RoomConv("lobby"), "bob", Role::kMember);
  s.AddMember(RoomConv("dev"), "bob", Role::kMember);
  s.RemoveMember(RoomConv("lobby"), "bob");
  EXPECT_FALSE(s.IsMember(RoomConv("lobby"), "bob"));
  EXPECT_TRUE(s.IsMember(RoomConv("dev"), "bob"));
  EXPECT_EQ(NameSet{"#dev"}, s.ConvsOf("bob"));
  EXPECT_EQ(Names{"alice"}, s.MembersOf(RoomConv("lobby")));
}

TEST(ChatState, RemoveLastConvLeavesNoConvs) {
  ChatState s;
  s.AddRoom(Record("lobby", "alice"));
  s.AddMember(RoomConv("lobby"), "bob", Role::kMember);
  s.RemoveMember(RoomConv("lobby"), "bob");
  EXPECT_TRUE(s.ConvsOf("bob").empty());
  // Removing again, or someone who never joined, is harmless.
  s.RemoveMember(RoomConv("lobby"), "bob");
  s.RemoveMember(RoomConv("lobby"), "nobody");
  EXPECT_EQ(Names{"alice"}, s.MembersOf(RoomConv("lobby")));
}

TEST(ChatState, DirectConversationMembersAreItsTwoParties) {
  ChatState s;
  ConvId ab = DirectConv("bob", "alice");
  EXPECT_TRUE(s.IsMember(ab, "alice"));
  EXPECT_TRUE(s.IsMember(ab, "bob"));
  EXPECT_FALSE(s.IsMember(ab, "carol"));
  EXPECT_EQ((Names{"alice", "bob"}), s.MembersOf(ab));
}

TEST(ChatState, DirectConversationWithOneselfHasOneMember) {
  ChatState s;
  EXPECT_EQ(Names{"alice"}, s.MembersOf(DirectConv("alice", "alice")));
}

TEST(ChatState, AddMemberToDirectConvRecordsItForBothParties) {
  ChatState s;
  ConvId ab = DirectConv("alice", "bob");
  EXPECT_FALSE(s.DirectKnown("@alice,bob"));
  s.AddMember(ab, "alice", Role::kMember);
  EXPECT_TRUE(s.DirectKnown("@alice,bob"));
  EXPECT_EQ(NameSet{"@alice,bob"}, s.ConvsOf("alice"));
  EXPECT_EQ(NameSet{"@alice,bob"}, s.ConvsOf("bob"));
}

TEST(ChatState, DirectConversationsAreNotLeft) {
  ChatState s;
  ConvId ab = DirectConv("alice", "bob");
  s.AddMember(ab, "alice", Role::kMember);
  s.RemoveMember(ab, "bob");
  EXPECT_TRUE(s.IsMember(ab, "bob"));
  EXPECT_EQ(NameSet{"@alice,bob"}, s.ConvsOf("bob"));
}

TEST(ChatState, MembersOfRoomAreSorted) {
  ChatState s;
  s.AddRoom(Record("lobby", "mallory"));
  for (const char* u : {"zoe", "alice", "bob"}) s.AddMember(RoomConv("lobby"), u, Role::kMember);
  EXPECT_EQ((Names{"alice", "bob", "mallory", "zoe"}), s.MembersOf(RoomConv("lobby")));
  EXPECT_TRUE(s.MembersOf(RoomConv("nope")).empty());
}

TEST(ChatState, ConvsOfListsRoomsAndDirectConversations) {
  ChatState s;
  s.AddRoom(Record("lobby", "alice"));
  s.AddRoom(Record("dev", "bob"));
  s.AddMember(RoomConv("dev"), "alice", Role::kMember);
  s.AddMember(DirectConv("alice", "carol"), "alice", Role::kMember);
  EXPECT_EQ((NameSet{"#dev", "#lobby", "@alice,carol"}), s.ConvsOf("alice"));
  EXPECT_EQ((NameSet{"#dev"}), s.ConvsOf("bob"));
  EXPECT_TRUE(s.ConvsOf("nobody").empty());
}

TEST(ChatState, ContactsAreEveryoneSharingAConversationButNotOneself) {
  ChatState s;
  s.AddRoom(Record("lobby", "alice"));
  s.AddMember(RoomConv("lobby"), "bob", Role::kMember);
  s.AddRoom(Record("dev", "carol"));
  s.AddMember(RoomConv("dev"), "alice", Role::kMember);
  s.AddRoom(Record("secret", "eve"));  // alice is not in it
  s.AddMember(RoomConv("secret"), "frank", Role::kMember);
  s.AddMember(DirectConv("alice", "dave"), "alice", Role::kMember);
  EXPECT_EQ((NameSet{"bob", "carol", "dave"}), s.Contacts("alice"));
  EXPECT_EQ((NameSet{"alice"}), s.Contacts("bob"));
  EXPECT_EQ((NameSet{"alice"}), s.Contacts("dave"));
  EXPECT_EQ((NameSet{"eve"}), s.Contacts("frank"));
  EXPECT_TRUE(s.Contacts("nobody").empty());
}

TEST(ChatState, ContactsForgetARoomOneLeft) {
  ChatState s;
  s.AddRoom(Record("lobby", "alice"));
  s.AddMember(RoomConv("lobby"), "bob", Role::kMember);
  s.RemoveMember(RoomConv("lobby"), "bob");
  EXPECT_TRUE(s.Contacts("alice").empty());
  EXPECT_TRUE(s.Contacts("bob").empty());
}

TEST(ChatState, ContactsOfSelfConversationIsEmpty) {
  ChatState s;
  s.AddMember(DirectConv("alice", "alice"), "alice", Role::kMember);
  EXPECT_TRUE(s.Contacts("alice").empty());
}

// Presence goes to the contacts online: each once, however many conversations they share,
// never oneself, never an offline member.
TEST(ChatState, OnlineContactsAreContactsWithASessionEachOnce) {
  ChatState s;
  s.AddRoom(Record("lobby", "alice"));
  s.AddRoom(Record("dev", "alice"));
  for (const char* u : {"bob", "carol", "dave"}) {
    s.AddMember(RoomConv("lobby"), u, Role::kMember);
    s.AddMember(RoomConv("dev"), u, Role::kMember);
  }
  s.AddMember(DirectConv("alice", "bob"), "alice", Role::kMember);
  s.AddMember(DirectConv("alice", "erin"), "alice", Role::kMember);
  auto online = [&](const char* user) {
    NameSet out;
    for (std::string_view v : s.OnlineContacts(user)) {
      EXPECT_TRUE(out.insert(std::string(v)).second) << v << " twice";
    }
    return out;
  };
  EXPECT_TRUE(online("alice").empty());  // nobody has a session yet
  s.AddSession("alice", 1);
  s.AddSession("bob", 2);
  s.AddSession("bob", 3);  // a second device: still one contact
  s.AddSession("erin", 4);
  EXPECT_EQ((NameSet{"bob", "erin"}), online("alice"));
  EXPECT_EQ((NameSet{"alice"}), online("bob"));
  EXPECT_EQ((NameSet{"alice", "bob"}), online("carol"));  // carol herself is offline
  EXPECT_TRUE(online("nobody").empty());
  s.RemoveSession("erin", 4);
  EXPECT_EQ((NameSet{"bob"}), online("alice"));
}

TEST(ChatState, LastSeqStartsAtZero) {
  ChatState s;
  EXPECT_EQ(0, s.LastSeq("#lobby"));
}

TEST(ChatState, SetLastSeqOnlyMovesForward) {
  ChatState s;
  s.SetLastSeq("#lobby", 5);
  EXPECT_EQ(5, s.LastSeq("#lobby"));
  s.SetLastSeq("#lobby", 3);
  EXPECT_EQ(5, s.LastSeq("#lobby"));
  s.SetLastSeq("#lobby", 5);
  EXPECT_EQ(5, s.LastSeq("#lobby"));
  s.SetLastSeq("#lobby", 9);
  EXPECT_EQ(9, s.LastSeq("#lobby"));
  s.SetLastSeq("#lobby", -1);
  EXPECT_EQ(9, s.LastSeq("#lobby"));
  EXPECT_EQ(0, s.LastSeq("#other"));
}

TEST(ChatState, FirstSessionBringsTheUserOnline) {
  ChatState s;
  EXPECT_FALSE(s.IsOnline("alice"));
  EXPECT_TRUE(s.AddSession("alice", 1));
  EXPECT_TRUE(s.IsOnline("alice"));
  EXPECT_EQ(1u, s.online_users());
  EXPECT_FALSE(s.AddSession("alice", 2));
  EXPECT_EQ(1u, s.online_users());
  EXPECT_EQ((std::vector<ConnId>{1, 2}), s.SessionsOf("alice"));
}

TEST(ChatState, LastSessionTakesTheUserOffline) {
  ChatState s;
  s.AddSession("alice", 1);
  s.AddSession("alice", 2);
  s.AddSession("bob", 3);
  EXPECT_EQ(2u, s.online_users());
  EXPECT_FALSE(s.RemoveSession("alice", 1));
  EXPECT_TRUE(s.IsOnline("alice"));
  EXPECT_EQ(2u, s.online_users());
  EXPECT_TRUE(s.RemoveSession("alice", 2));
  EXPECT_FALSE(s.IsOnline("alice"));
  EXPECT_EQ(1u, s.online_users());
  EXPECT_TRUE(s.SessionsOf("alice").empty());
}

TEST(ChatState, RemovingAnUnknownSessionChangesNothing) {
  ChatState s;
  EXPECT_FALSE(s.RemoveSession("ghost", 1));
  s.AddSession("alice", 1);
  EXPECT_FALSE(s.RemoveSession("alice", 99));
  EXPECT_FALSE(s.RemoveSession("bob", 1));
  EXPECT_EQ(1u, s.online_users());
  EXPECT_TRUE(s.RemoveSession("alice", 1));
  EXPECT_FALSE(s.RemoveSession("alice", 1));  // already gone: not "last" twice
  EXPECT_EQ(0u, s.online_users());
}

TEST(ChatState, UserComesBackOnlineAfterGoingOffline) {
  ChatState s;
  EXPECT_TRUE(s.AddSession("alice", 1));
  EXPECT_TRUE(s.RemoveSession("alice", 1));
  EXPECT_TRUE(s.AddSession("alice", 2));
  EXPECT_EQ(1u, s.online_users());
}

TEST(ChatState, GetUserCreatesOfflineUserAndFindUserDoesNot) {
  ChatState s;
  EXPECT_EQ(nullptr, s.FindUser("alice"));
  User& u = s.GetUser("alice");
  EXPECT_EQ("offline", u.status);
  u.status = "away";
  const User* found = s.FindUser("alice");
  ASSERT_NE(nullptr, found);
  EXPECT_EQ("away", found->status);
  EXPECT_EQ(0u, s.online_users());
}

TEST(ChatState, ForgetIfIdleDropsOnlyUsersWithoutSessionOrConversation) {
  ChatState s;
  s.AddRoom(Record("lobby", "alice"));
  s.AddSession("alice", 1);
  s.AddSession("passer", 2);
  s.AddSession("online", 3);
  s.GetUser("alice").last_seen = 42;
  EXPECT_EQ(3u, s.known_users());
  s.RemoveSession("alice", 1);
  s.RemoveSession("passer", 2);
  for (const char* u : {"alice", "passer", "online", "never"}) s.ForgetIfIdle(u);
  EXPECT_EQ(nullptr, s.FindUser("passer"));  // no session, no conversation
  EXPECT_EQ(nullptr, s.FindUser("never"));
  ASSERT_NE(nullptr, s.FindUser("alice"));  // a member of #lobby: last_seen kept
  EXPECT_EQ(42, s.FindUser("alice")->last_seen);
  ASSERT_NE(nullptr, s.FindUser("online"));  // still has a session
  EXPECT_EQ(2u, s.known_users());
  // Leaving the last conversation while offline forgets the user too.
  s.RemoveMember(RoomConv("lobby"), "alice");
  EXPECT_EQ(nullptr, s.FindUser("alice"));
  EXPECT_EQ(1u, s.known_users());
}

TEST(ChatState, LoadRebuildsRoomsMembersAndPositions) {
  ChatState s;
  std::vector<storage::RoomRecord> rooms = {Record("lobby", "alice", "k1"),
                                            Record("dev", "bob", "k2")};
  std::vector<storage::MemberRecord> members = {
      {"#lobby", "alice", "owner", 0},     {"#lobby", "carol", "member", 3},
      {"#dev", "bob", "owner", 0},         {"@alice,bob", "alice", "member", 0},
      {"#ghost", "dave", "member", 0},  // room not loaded: skipped
      {"not a conv", "erin", "member", 0},
  };
  std::vector<storage::ConvRecord> convs = {{"#lobby", 12}, {"@alice,bob", 4}};
  s.Load(rooms, members, convs);

  ASSERT_NE(nullptr, s.FindRoom("lobby"));
  EXPECT_EQ("Title of lobby", s.FindRoom("lobby")->record.title);
  EXPECT_EQ(s.FindRoom("dev"), s.FindRoomByKey("k2"));
  EXPECT_EQ(Role::kOwner, s.FindRoom("lobby")->members.at("alice"));
  EXPECT_EQ(Role::kMember, s.FindRoom("lobby")->members.at("carol"));
  EXPECT_EQ((Names{"alice", "carol"}), s.MembersOf(RoomConv("lobby")));
  EXPECT_TRUE(s.DirectKnown("@alice,bob"));
  EXPECT_EQ((NameSet{"#dev", "@alice,bob"}), s.ConvsOf("bob"));
  EXPECT_EQ(nullptr, s.FindRoom("ghost"));
  EXPECT_TRUE(s.ConvsOf("dave").empty());
  EXPECT_TRUE(s.ConvsOf("erin").empty());
  EXPECT_EQ(12, s.LastSeq("#lobby"));
  EXPECT_EQ(4, s.LastSeq("@alice,bob"));
  EXPECT_EQ(0, s.LastSeq("#dev"));
}

TEST(ChatState, LoadDoesNotAddOwnersThatAreNotMemberRecords) {
  // Load trusts the member records: an owner who left is not put back.
  ChatState s;
  s.Load({Record("lobby", "alice")}, {{"#lobby", "bob", "member", 0}}, {});
  EXPECT_EQ(Names{"bob"}, s.MembersOf(RoomConv("lobby")));
}

TEST(ChatState, DescribeEmpty) {
  ChatState s;
  EXPECT_EQ("", s.Describe());
}

TEST(ChatState, DescribeListsUserConvPairsSorted) {
  ChatState s;
  s.AddRoom(Record("lobby", "bob"));
  s.AddMember(RoomConv("lobby"), "alice", Role::kMember);
  s.AddMember(DirectConv("carol", "alice"), "carol", Role::kMember);
  s.AddRoom(Record("dev", "carol"));
  EXPECT_EQ("alice#lobby alice@alice,carol bob#lobby carol#dev carol@alice,carol", s.Describe());
  s.RemoveMember(RoomConv("lobby"), "alice");
  EXPECT_EQ("alice@alice,carol bob#lobby carol#dev carol@alice,carol", s.Describe());
}

}  // namespace
}  // namespace smartlink::state
