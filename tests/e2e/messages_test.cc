// Messages: room and direct chat, recovery with since and sync, temp_id, edits, deletes,
// receipts, reactions, history, search, and malformed requests.

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>

#include "e2e/server_process.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

class Messages : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start();
    ASSERT_TRUE(server_);
    alice_ = Login(*server_, "alice");
    bob_ = Login(*server_, "bob");
    ASSERT_TRUE(alice_ && bob_);
    ASSERT_EQ("ok", alice_->Request({{"type", "room.create"}, {"room", "lobby"}})["type"]);
    ASSERT_EQ("ok", bob_->Request({{"type", "room.join"}, {"room", "lobby"}})["type"]);
    alice_->Drain(50);
  }

  Json Send(net::BlockingClient& c, const std::string& to, const std::string& text) {
    Json r = c.Request({{"type", "msg.send"}, {"to", to}, {"text", text}});
    EXPECT_EQ("ok", r["type"]) << r.dump();
    return r;
  }

  std::vector<std::string> HistoryTexts(net::BlockingClient& c, const std::string& conv) {
    Json h = c.Request({{"type", "history"}, {"conv", conv}, {"limit", 200}});
    std::vector<std::string> out;
    for (const Json& m : h["messages"]) out.push_back(m["text"]);
    return out;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<net::BlockingClient> alice_, bob_;
};

TEST_F(Messages, RoomChatReachesEveryMemberWithGaplessSeq) {
  Json a = Send(*alice_, "#lobby", "hello");
  EXPECT_EQ("#lobby", a["conv"]);
  EXPECT_EQ(1, a["seq"]);
  EXPECT_FALSE(a.value("msg_id", "").empty());
  EXPECT_GT(a.value("ts", 0LL), 0);
  Json b = Send(*bob_, "#lobby", "hi alice");
  EXPECT_EQ(2, b["seq"]);
  for (auto* c : {alice_.get(), bob_.get()}) {
    Json m1 = c->WaitForType("msg");
    Json m2 = c->WaitForType("msg");
    EXPECT_EQ("hello", m1["text"]);
    EXPECT_EQ("alice", m1["from"]);
    EXPECT_EQ(1, m1["seq"]);
    EXPECT_EQ("hi alice", m2["text"]);
    EXPECT_EQ("bob", m2["from"]);
    EXPECT_EQ(2, m2["seq"]);
    EXPECT_EQ(a["msg_id"], m1["msg_id"]);
  }
}

TEST_F(Messages, DirectConversationUsesSortedIds) {
  Json r = Send(*bob_, "@alice", "psst");
  EXPECT_EQ("@alice,bob", r["conv"]);
  EXPECT_EQ(1, r["seq"]);
  Json m = alice_->WaitForType("msg");
  EXPECT_EQ("@alice,bob", m["conv"]);
  EXPECT_EQ("psst", m["text"]);
  EXPECT_EQ("bob", m["from"]);
  Json back = Send(*alice_, "@bob", "yes?");
  EXPECT_EQ(2, back["seq"]);
  EXPECT_EQ((std::vector<std::string>{"psst", "yes?"}), HistoryTexts(*alice_, "@alice,bob"));
  // A third user can neither read nor write it.
  auto eve = Login(*server_, "eve");
  ASSERT_TRUE(eve);
  EXPECT_EQ("forbidden", eve->Request({{"type", "history"}, {"conv", "@alice,bob"}})["code"]);
}

TEST_F(Messages, SinceRecoveryAfterReconnect) {
  Send(*alice_, "#lobby", "one");
  bob_.reset();  // bob drops
  Send(*alice_, "#lobby", "two");
  Send(*alice_, "#lobby", "three");
  bob_ = Login(*server_, "bob");
  ASSERT_TRUE(bob_);
  Json r = bob_->Request({{"type", "room.join"}, {"room", "lobby"}, {"since", 1}});
  ASSERT_EQ("ok", r["type"]);
  EXPECT_EQ(3, r["last_seq"]);
  std::vector<std::string> got;
  Json e;
  for (;;) {
    e = bob_->WaitFor([](const Json& j) { return j["type"] == "msg" || j["type"] == "caught_up"; });
    ASSERT_FALSE(e.is_null());
    if (e["type"] == "caught_up") break;
    got.push_back(e["text"]);
  }
  EXPECT_EQ((std::vector<std::string>{"two", "three"}), got);
  EXPECT_EQ("#lobby", e["conv"]);
  EXPECT_EQ(3, e["last_seq"]);
  EXPECT_EQ(true, e["complete"]);
}

TEST_F(Messages, SyncCatchesUpEveryConversationAndConvsTellsPositions) {
  Send(*alice_, "#lobby", "l1");
  Send(*alice_, "@bob", "d1");
  Send(*alice_, "@bob", "d2");
  auto bob2 = Login(*server_, "bob");  // a new device
  ASSERT_TRUE(bob2);
  Json convs = bob2->Request({{"type", "convs"}});
  ASSERT_EQ("ok", convs["type"]);
  std::map<std::string, Json> by_conv;
  for (const Json& c : convs["convs"]) by_conv[c["conv"]] = c;
  ASSERT_EQ(2u, by_conv.size());
  EXPECT_EQ(1, by_conv["#lobby"]["last_seq"]);
  EXPECT_EQ(1, by_conv["#lobby"]["unread"]);
  EXPECT_EQ(2, by_conv["@alice,bob"]["last_seq"]);
  EXPECT_EQ(2, by_conv["@alice,bob"]["unread"]);
  EXPECT_EQ("d2", by_conv["@alice,bob"]["last"]["text"]);

  Json r = bob2->Request({{"type", "sync"}, {"positions", {{"#lobby", 0}, {"@alice,bob", 1}}}});
  ASSERT_EQ("ok", r["type"]);
  std::map<std::string, std::vector<std::string>> got;
  std::set<std::string> done;
  while (done.size() < 2) {
    Json e =
        bob2->WaitFor([](const Json& j) { return j["type"] == "msg" || j["type"] == "caught_up"; });
    ASSERT_FALSE(e.is_null());
    if (e["type"] == "caught_up") {
      EXPECT_EQ(true, e["complete"]);
      done.insert(e["conv"].get<std::string>());
    } else {
      got[e["conv"]].push_back(e["text"]);
    }
  }
  EXPECT_EQ((std::vector<std::string>{"l1"}), got["#lobby"]);
  EXPECT_EQ((std::vector<std::string>{"d2"}), got["@alice,bob"]);
}

// A second catch-up of a conversation asked for while the first still runs (a client that
// syncs and joins with since at once) is served after the first's caught_up, not dropped.
TEST(CatchUp, OverlappingCatchUpsOfOneConversationAreBothServed) {
  auto server = ServerProcess::Start({"--rate", "0"});
  ASSERT_TRUE(server);
  auto alice = Login(*server, "alice");
  ASSERT_TRUE(alice);
  ASSERT_EQ("ok", alice->Request({{"type", "room.create"}, {"room", "lobby"}})["type"]);
  constexpr int kMessages = 250;  // enough that the first catch-up is still running
  for (int i = 1; i <= kMessages; ++i) {
    Json r = alice->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", std::to_string(i)}});
    ASSERT_EQ("ok", r["type"]) << r.dump();
  }
  auto bob2 = Login(*server, "alice");  // another device of the sender
  ASSERT_TRUE(bob2);
  bob2->Send({{"type", "sync"}, {"id", "s1"}, {"positions", {{"#lobby", 15}}}});
  bob2->Send({{"type", "sync"}, {"id", "s2"}, {"positions", {{"#lobby", 5}}}});
  std::set<int64_t> seqs;
  std::set<std::string> oks;
  int caught_up = 0;
  while (caught_up < 2) {
    auto e = bob2->Recv(5000);
    ASSERT_TRUE(e) << "after " << caught_up << " caught_up and " << seqs.size() << " messages";
    if ((*e)["type"] == "ok") oks.insert((*e)["re"].get<std::string>());
    if ((*e)["type"] == "msg") seqs.insert((*e)["seq"].get<int64_t>());
    if ((*e)["type"] == "caught_up") {
      EXPECT_EQ(kMessages, (*e)["last_seq"]);
      ++caught_up;
    }
  }
  EXPECT_EQ((std::set<std::string>{"s1", "s2"}), oks);
  ASSERT_EQ(static_cast<size_t>(kMessages - 5), seqs.size());
  EXPECT_EQ(6, *seqs.begin());
  EXPECT_EQ(kMessages, *seqs.rbegin());
}

TEST_F(Messages, TempIdRetryIsStoredOnce) {
  Json first = alice_->Request(
      {{"type", "msg.send"}, {"to", "#lobby"}, {"text", "once"}, {"temp_id", "t-1"}});
  Json retry = alice_->Request(
      {{"type", "msg.send"}, {"to", "#lobby"}, {"text", "once"}, {"temp_id", "t-1"}});
  ASSERT_EQ("ok", first["type"]);
  ASSERT_EQ("ok", retry["type"]);
  EXPECT_EQ(first["seq"], retry["seq"]);
  EXPECT_EQ(first["msg_id"], retry["msg_id"]);
  EXPECT_EQ((std::vector<std::string>{"once"}), HistoryTexts(*bob_, "#lobby"));
  Json m = bob_->WaitForType("msg");
  EXPECT_EQ("t-1", m["temp_id"]);
  for (const Json& e : bob_->Drain(300)) EXPECT_NE("msg", e.value("type", ""));
}

TEST_F(Messages, NonMembersAreForbiddenAndLearnNothing) {
  Send(*alice_, "#lobby", "members only");
  auto eve = Login(*server_, "eve");
  ASSERT_TRUE(eve);
  for (const Json& req :
       {Json{{"type", "history"}, {"conv", "#lobby"}},
        Json{{"type", "msg.send"}, {"to", "#lobby"}, {"text", "x"}},
        Json{{"type", "search"}, {"query", "members"}, {"conv", "#lobby"}},
        Json{{"type", "msg.read"}, {"conv", "#lobby"}, {"seq", 1}},
        Json{{"type", "msg.react"}, {"conv", "#lobby"}, {"seq", 1}, {"emoji", "+1"}},
        Json{{"type", "msg.edit"}, {"conv", "#lobby"}, {"seq", 1}, {"text", "x"}},
        Json{{"type", "msg.delete"}, {"conv", "#lobby"}, {"seq", 1}}}) {
    Json r = eve->Request(req);
    EXPECT_EQ("error", r["type"]) << req.dump();
    EXPECT_EQ("forbidden", r["code"]) << req.dump();
    EXPECT_EQ(std::string::npos, r.dump().find("members only"));
  }
  Json s = eve->Request({{"type", "search"}, {"query", "members"}});
  EXPECT_EQ(0u, s["messages"].size());
  Json sync = eve->Request({{"type", "sync"}, {"positions", {{"#lobby", 0}}}});
  EXPECT_EQ("forbidden", sync["code"]) << sync.dump();
  // With a conversation of her own beside it, that one is caught up and #lobby listed.
  eve->Request({{"type", "room.create"}, {"room", "eves"}});
  sync = eve->Request({{"type", "sync"}, {"positions", {{"#lobby", 0}, {"#eves", 0}}}});
  EXPECT_EQ("ok", sync["type"]) << sync.dump();
  EXPECT_EQ((std::vector<std::string>{"#lobby"}),
            sync["forbidden"].get<std::vector<std::string>>());
  EXPECT_EQ("#eves", eve->WaitForType("caught_up")["conv"]);
  for (const Json& e : eve->Drain(300)) {
    EXPECT_NE("msg", e.value("type", ""));
    EXPECT_NE("#lobby", e.value("conv", "")) << e.dump();
  }
}

TEST_F(Messages, MalformedRequestsGetErrorsAndTheConnectionStaysUsable) {
  alice_->SendText("{not json");
  Json e = alice_->WaitForType("error");
  EXPECT_EQ("bad_request", e["code"]);
  EXPECT_FALSE(e.contains("re"));

  Json r = alice_->Request({{"type", "no.such.type"}});
  EXPECT_EQ("bad_request", r["code"]);
  r = alice_->Request({{"type", "msg.send"}, {"to", "#lobby"}});
  EXPECT_EQ("bad_request", r["code"]);
  EXPECT_NE(std::string::npos, r.value("message", "").find("text"));
  r = alice_->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", 5}});
  EXPECT_EQ("bad_request", r["code"]);
  r = alice_->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", std::string(5000, 'x')}});
  EXPECT_EQ("too_large", r["code"]);
  r = alice_->Request({{"type", "history"}, {"conv", "#lobby"}, {"limit", -1}});
  EXPECT_EQ("bad_request", r["code"]);
  alice_->SendText("[1,2,3]");
  EXPECT_EQ("bad_request", alice_->WaitForType("error")["code"]);
  alice_->SendBinary(std::string("\x00\x02{}", 4));
  EXPECT_EQ("bad_request", alice_->WaitForType("error")["code"]);

  EXPECT_EQ("pong", alice_->Request({{"type", "ping"}})["type"]);
  EXPECT_EQ((std::vector<std::string>{}), HistoryTexts(*alice_, "#lobby"));  // nothing stored
  Send(*alice_, "#lobby", "still works");
}

TEST_F(Messages, NulBytesAndSqlAreStoredByteForByte) {
  std::string text = std::string("nul\0byte", 8) + "'; DROP TABLE messages; --";
  Json r = alice_->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", text}});
  ASSERT_EQ("ok", r["type"]);
  EXPECT_EQ((std::vector<std::string>{text}), HistoryTexts(*bob_, "#lobby"));
}

TEST_F(Messages, EditAndDeleteRules) {
  Send(*alice_, "#lobby", "typo");
  Send(*bob_, "#lobby", "bob's");
  EXPECT_EQ(
      "forbidden",
      bob_->Request(
          {{"type", "msg.edit"}, {"conv", "#lobby"}, {"seq", 1}, {"text", "hacked"}})["code"]);
  Json r =
      alice_->Request({{"type", "msg.edit"}, {"conv", "#lobby"}, {"seq", 1}, {"text", "fixed"}});
  EXPECT_EQ("ok", r["type"]);
  Json ev = bob_->WaitForType("msg.edited");
  EXPECT_EQ("fixed", ev["text"]);
  EXPECT_EQ(1, ev["seq"]);
  EXPECT_GT(ev.value("edited_ts", 0LL), 0);
  // bob may not delete alice's message; alice (owner of the room) may delete bob's.
  EXPECT_EQ("forbidden",
            bob_->Request({{"type", "msg.delete"}, {"conv", "#lobby"}, {"seq", 1}})["code"]);
  EXPECT_EQ("ok",
            alice_->Request({{"type", "msg.delete"}, {"conv", "#lobby"}, {"seq", 2}})["type"]);
  EXPECT_EQ(2, bob_->WaitForType("msg.deleted")["seq"]);
  EXPECT_EQ("not_found",
            alice_->Request(
                {{"type", "msg.edit"}, {"conv", "#lobby"}, {"seq", 2}, {"text", "x"}})["code"]);
  EXPECT_EQ("not_found",
            alice_->Request({{"type", "msg.delete"}, {"conv", "#lobby"}, {"seq", 99}})["code"]);
  Json h = bob_->Request({{"type", "history"}, {"conv", "#lobby"}});
  ASSERT_EQ(2u, h["messages"].size());
  EXPECT_EQ("fixed", h["messages"][0]["text"]);
  EXPECT_TRUE(h["messages"][0].contains("edited_ts"));
  EXPECT_EQ(true, h["messages"][1]["deleted"]);
  EXPECT_EQ("", h["messages"][1]["text"]);
  // The seq of the next message continues without a gap.
  EXPECT_EQ(3, Send(*bob_, "#lobby", "next")["seq"]);
}

TEST_F(Messages, ReadReceiptsAndUnreadCounts) {
  Send(*alice_, "#lobby", "1");
  Send(*alice_, "#lobby", "2");
  Send(*alice_, "#lobby", "3");
  Json c = bob_->Request({{"type", "convs"}});
  ASSERT_EQ(1u, c["convs"].size());
  EXPECT_EQ(3, c["convs"][0]["unread"]);
  EXPECT_EQ(0, c["convs"][0]["read_seq"]);
  Json r = bob_->Request({{"type", "msg.read"}, {"conv", "#lobby"}, {"seq", 2}});
  EXPECT_EQ("ok", r["type"]);
  Json receipt = alice_->WaitForType("receipt");
  EXPECT_EQ("bob", receipt["user"]);
  EXPECT_EQ(2, receipt["seq"]);
  EXPECT_EQ("#lobby", receipt["conv"]);
  c = bob_->Request({{"type", "convs"}});
  EXPECT_EQ(2, c["convs"][0]["read_seq"]);
  EXPECT_EQ(1, c["convs"][0]["unread"]);
  // Reading backwards does not move the position back, and the answer says where it is.
  EXPECT_EQ(2, bob_->Request({{"type", "msg.read"}, {"conv", "#lobby"}, {"seq", 1}})["seq"]);
  EXPECT_EQ(2, bob_->Request({{"type", "msg.read"}, {"conv", "#lobby"}, {"seq", 0}})["seq"]);
  EXPECT_EQ(2, bob_->Request({{"type", "convs"}})["convs"][0]["read_seq"]);
  // Own messages are never unread.
  EXPECT_EQ(0, alice_->Request({{"type", "convs"}})["convs"][0]["unread"]);
}

TEST_F(Messages, Reactions) {
  Send(*alice_, "#lobby", "react to me");
  Json r = bob_->Request(
      {{"type", "msg.react"}, {"conv", "#lobby"}, {"seq", 1}, {"emoji", "👍"}, {"on", true}});
  EXPECT_EQ("ok", r["type"]);
  Json ev = alice_->WaitForType("reaction");
  EXPECT_EQ("bob", ev["user"]);
  EXPECT_EQ("👍", ev["emoji"]);
  EXPECT_EQ(true, ev["on"]);
  Json h = alice_->Request({{"type", "history"}, {"conv", "#lobby"}});
  EXPECT_EQ((std::vector<std::string>{"bob"}),
            h["messages"][0]["reactions"]["👍"].get<std::vector<std::string>>());
  bob_->Request(
      {{"type", "msg.react"}, {"conv", "#lobby"}, {"seq", 1}, {"emoji", "👍"}, {"on", false}});
  EXPECT_EQ(false, alice_->WaitForType("reaction")["on"]);
  h = alice_->Request({{"type", "history"}, {"conv", "#lobby"}});
  EXPECT_FALSE(h["messages"][0].contains("reactions"));
  EXPECT_EQ("not_found",
            bob_->Request(
                {{"type", "msg.react"}, {"conv", "#lobby"}, {"seq", 7}, {"emoji", "x"}})["code"]);
}

TEST_F(Messages, HistoryPagesOldestFirst) {
  for (int i = 1; i <= 10; ++i) Send(*alice_, "#lobby", "m" + std::to_string(i));
  auto texts = [](const Json& h) {
    std::vector<std::string> out;
    for (const Json& m : h["messages"]) out.push_back(m["text"]);
    return out;
  };
  Json latest = bob_->Request({{"type", "history"}, {"conv", "#lobby"}, {"limit", 3}});
  EXPECT_EQ((std::vector<std::string>{"m8", "m9", "m10"}), texts(latest));
  Json before =
      bob_->Request({{"type", "history"}, {"conv", "#lobby"}, {"before", 8}, {"limit", 3}});
  EXPECT_EQ((std::vector<std::string>{"m5", "m6", "m7"}), texts(before));
  Json after = bob_->Request({{"type", "history"}, {"conv", "#lobby"}, {"after", 2}, {"limit", 2}});
  EXPECT_EQ((std::vector<std::string>{"m3", "m4"}), texts(after));
  Json big = bob_->Request({{"type", "history"}, {"conv", "#lobby"}, {"limit", 100000}});
  EXPECT_EQ(10u, big["messages"].size());
}

TEST_F(Messages, SearchFindsWordsInOwnConversationsOnly) {
  Send(*alice_, "#lobby", "the quick brown fox");
  Send(*alice_, "#lobby", "a lazy dog");
  Send(*alice_, "@bob", "quick question");
  auto eve = Login(*server_, "eve");
  ASSERT_TRUE(eve);
  eve->Request({{"type", "room.create"}, {"room", "eves"}});
  eve->Request({{"type", "msg.send"}, {"to", "#eves"}, {"text", "quick eve"}});
  Json r = bob_->Request({{"type", "search"}, {"query", "quick"}});
  ASSERT_EQ("ok", r["type"]);
  std::set<std::string> texts;
  for (const Json& m : r["messages"]) texts.insert(m["text"].get<std::string>());
  EXPECT_EQ((std::set<std::string>{"the quick brown fox", "quick question"}), texts);
  r = bob_->Request({{"type", "search"}, {"query", "quick"}, {"conv", "#lobby"}});
  EXPECT_EQ(1u, r["messages"].size());
  r = bob_->Request({{"type", "search"}, {"query", "\"unbalanced AND OR ( *"}});
  EXPECT_EQ("ok", r["type"]) << r.dump();
  r = bob_->Request({{"type", "search"}, {"query", "qui*"}});
  EXPECT_EQ(2u, r["messages"].size());
}

TEST_F(Messages, ConcurrentSendersGetGaplessSeqSeenInOrderByAll) {
  auto carol = Login(*server_, "carol");
  ASSERT_TRUE(carol);
  carol->Request({{"type", "room.join"}, {"room", "lobby"}});
  const int kEach = 50;
  for (int i = 0; i < kEach; ++i) {
    alice_->Send({{"type", "msg.send"},
                  {"id", "a" + std::to_string(i)},
                  {"to", "#lobby"},
                  {"text", "a" + std::to_string(i)}});
    bob_->Send({{"type", "msg.send"},
                {"id", "b" + std::to_string(i)},
                {"to", "#lobby"},
                {"text", "b" + std::to_string(i)}});
  }
  std::vector<int64_t> seqs;
  while (static_cast<int>(seqs.size()) < 2 * kEach) {
    Json m = carol->WaitForType("msg");
    ASSERT_FALSE(m.is_null()) << "got " << seqs.size();
    seqs.push_back(m["seq"]);
  }
  for (int i = 0; i < 2 * kEach; ++i) EXPECT_EQ(i + 1, seqs[static_cast<size_t>(i)]);
}

// --coalesce: events for a connection written to within the window wait for it and go out
// together, in order; a reply never waits, and what waits goes out before it.
TEST(Coalescing, EventsWaitForTheWindowAndAReplyReleasesThemInOrder) {
  using Clock = std::chrono::steady_clock;
  auto server = ServerProcess::Start({"--coalesce", "1s"});
  ASSERT_TRUE(server);
  auto alice = Login(*server, "alice");
  auto bob = Login(*server, "bob");
  ASSERT_TRUE(alice && bob);
  ASSERT_EQ("ok", alice->Request({{"type", "room.create"}, {"room", "r"}})["type"]);
  ASSERT_EQ("ok", bob->Request({{"type", "room.join"}, {"room", "r"}})["type"]);
  auto send = [&](const char* text) {
    return alice->Request({{"type", "msg.send"}, {"to", "#r"}, {"text", text}})["type"];
  };
  auto text_of = [](const std::optional<Json>& j) {
    return j ? j->value("type", "") + ":" + j->value("text", "") : std::string("nothing");
  };
  // Quiet for longer than the window: the next event goes out at once.
  bob->Drain(1200);
  ASSERT_EQ("ok", send("one"));
  EXPECT_EQ("msg:one", text_of(bob->Recv(500)));
  // bob was just written to: the next two wait for the window, then come together.
  ASSERT_EQ("ok", send("two"));
  auto sent = Clock::now();
  ASSERT_EQ("ok", send("three"));
  EXPECT_EQ("msg:two", text_of(bob->Recv(5000)));
  EXPECT_GE(Clock::now() - sent, std::chrono::milliseconds(500)) << "two did not wait";
  EXPECT_EQ("msg:three", text_of(bob->Recv(100)));
  // "four" waits (bob was written to just now); bob's ping is answered at once, after it.
  ASSERT_EQ("ok", send("four"));
  bob->Send({{"type", "ping"}, {"id", "p"}});
  EXPECT_EQ("msg:four", text_of(bob->Recv(500)));
  auto pong = bob->Recv(500);
  ASSERT_TRUE(pong);
  EXPECT_EQ("pong", (*pong)["type"]);
  EXPECT_EQ("p", (*pong)["re"]);
}

}  // namespace
}  // namespace smartlink::testing
