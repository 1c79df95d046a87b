// Signals: presence, typing, and WebRTC call signaling.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "e2e/server_process.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

bool IsPresenceOf(const Json& j, const std::string& user, const std::string& status) {
  return j.value("type", "") == "presence" && j.value("user", "") == user &&
         j.value("status", "") == status;
}

class Signals : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start();
    ASSERT_TRUE(server_);
    alice_ = Login(*server_, "alice");
    ASSERT_TRUE(alice_);
    alice_->Request({{"type", "room.create"}, {"room", "lobby"}});
    auto bob = Login(*server_, "bob");
    ASSERT_TRUE(bob);
    bob->Request({{"type", "room.join"}, {"room", "lobby"}});
  }
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<net::BlockingClient> alice_;
};

// carol shares no conversation with anyone: a presence.set from one of her devices still
// reaches her other one, and not the device that sent it.
TEST_F(Signals, PresenceSetReachesTheUsersOtherDevices) {
  auto phone = Login(*server_, "carol");
  ASSERT_TRUE(phone);
  auto laptop = Login(*server_, "carol");
  ASSERT_TRUE(laptop);
  phone->Drain(100);
  EXPECT_EQ("ok", laptop->Request({{"type", "presence.set"}, {"status", "busy"}})["type"]);
  Json busy = phone->WaitFor([](const Json& j) { return IsPresenceOf(j, "carol", "busy"); });
  EXPECT_FALSE(busy.is_null()) << "the other device was not told";
  for (const Json& j : laptop->Drain(200)) EXPECT_FALSE(IsPresenceOf(j, "carol", "busy")) << j;
}

TEST_F(Signals, PresenceReachesRoomMatesButNotStrangers) {
  auto carol = Login(*server_, "carol");  // shares nothing with bob
  ASSERT_TRUE(carol);
  alice_->Drain(300);
  carol->Drain(100);
  auto bob = Login(*server_, "bob");
  ASSERT_TRUE(bob);
  Json on = alice_->WaitFor([](const Json& j) { return IsPresenceOf(j, "bob", "online"); });
  EXPECT_FALSE(on.is_null());
  EXPECT_GT(on.value("last_seen", 0LL), 0);

  Json r = bob->Request({{"type", "presence.set"}, {"status", "away"}, {"note", "lunch"}});
  EXPECT_EQ("ok", r["type"]);
  Json away = alice_->WaitFor([](const Json& j) { return IsPresenceOf(j, "bob", "away"); });
  EXPECT_EQ("lunch", away["note"]);

  Json got =
      alice_->Request({{"type", "presence.get"}, {"users", {"bob", "carol", "alice", "nobody"}}});
  ASSERT_EQ(4u, got["presence"].size()) << got.dump();
  EXPECT_EQ("away", got["presence"][0]["status"]);
  EXPECT_EQ("lunch", got["presence"][0]["note"]);
  EXPECT_EQ("online", got["presence"][1]["status"]);  // carol shares no conversation
  EXPECT_EQ("online", got["presence"][2]["status"]);
  EXPECT_EQ("offline", got["presence"][3]["status"]);  // never seen
  EXPECT_EQ(0, got["presence"][3]["last_seen"]);
  for (const Json& p : got["presence"]) EXPECT_TRUE(p["last_seen"].is_number_integer()) << p;
  // The note goes only to contacts: carol gets bob's status without it.
  Json seen = carol->Request({{"type", "presence.get"}, {"users", {"bob"}}});
  EXPECT_EQ("away", seen["presence"][0]["status"]) << seen.dump();
  EXPECT_FALSE(seen["presence"][0].contains("note")) << seen.dump();

  bob.reset();
  Json off = alice_->WaitFor([](const Json& j) { return IsPresenceOf(j, "bob", "offline"); });
  EXPECT_FALSE(off.is_null());
  EXPECT_GT(off.value("last_seen", 0LL), 0);
  EXPECT_FALSE(off.contains("note")) << off.dump();  // the note ends with the last session
  for (const Json& e : carol->Drain(300)) {
    EXPECT_NE("presence", e.value("type", "")) << e.dump();
  }
  bob = Login(*server_, "bob");
  ASSERT_TRUE(bob);
  Json back = alice_->WaitFor([](const Json& j) { return IsPresenceOf(j, "bob", "online"); });
  EXPECT_FALSE(back.is_null());
  EXPECT_FALSE(back.contains("note")) << back.dump();
}

// A user who shares no conversation is forgotten when their last session ends: names that
// come and go (open auth lets a client pick any) do not pile up in the server. A member of
// a room is kept, with when they were last seen.
TEST_F(Signals, UsersWithoutAConversationAreForgottenWhenTheyLeave) {
  double base = Metric(*server_, "smartlink_users_known");
  ASSERT_GE(base, 2);  // alice and bob, members of #lobby
  for (int i = 0; i < 30; ++i) {
    auto passer = Login(*server_, "passer" + std::to_string(i));
    ASSERT_TRUE(passer);
  }
  {
    auto member = Login(*server_, "member");
    ASSERT_TRUE(member);
    ASSERT_EQ("ok", member->Request({{"type", "room.create"}, {"room", "club"}})["type"]);
  }
  double known = -1;
  for (int i = 0; i < 250; ++i) {
    known = Metric(*server_, "smartlink_users_known");
    if (known == base + 1 && Metric(*server_, "smartlink_sessions") == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(base + 1, known);
  Json got = alice_->Request({{"type", "presence.get"}, {"users", {"passer0", "member"}}});
  ASSERT_EQ(2u, got["presence"].size()) << got.dump();
  EXPECT_EQ("offline", got["presence"][0]["status"]);
  EXPECT_EQ(0, got["presence"][0]["last_seen"]);
  EXPECT_EQ("offline", got["presence"][1]["status"]);
  EXPECT_GT(got["presence"][1]["last_seen"].get<int64_t>(), 0);
}

TEST_F(Signals, PresenceGoesToDirectContactsToo) {
  auto dave = Login(*server_, "dave");
  ASSERT_TRUE(dave);
  dave->Request({{"type", "msg.send"}, {"to", "@alice"}, {"text", "hi"}});
  dave.reset();
  EXPECT_FALSE(
      alice_->WaitFor([](const Json& j) { return IsPresenceOf(j, "dave", "offline"); }).is_null());
}

TEST_F(Signals, TypingIsRelayedAndLapses) {
  auto bob = Login(*server_, "bob");
  ASSERT_TRUE(bob);
  Json r = alice_->Request({{"type", "typing"}, {"to", "#lobby"}, {"on", true}});
  EXPECT_EQ("ok", r["type"]);
  Json on = bob->WaitForType("typing");
  EXPECT_EQ("alice", on["user"]);
  EXPECT_EQ("#lobby", on["conv"]);
  EXPECT_EQ(true, on["on"]);
  // Not echoed to the typist.
  for (const Json& e : alice_->Drain(200)) EXPECT_NE("typing", e.value("type", ""));
  // Without a refresh the server ends it by itself.
  Json off = bob->WaitForType("typing", 9000);
  EXPECT_EQ(false, off["on"]);
  EXPECT_EQ("alice", off["user"]);
  // An explicit off is relayed at once.
  alice_->Request({{"type", "typing"}, {"to", "#lobby"}, {"on", true}});
  EXPECT_EQ(true, bob->WaitForType("typing")["on"]);
  alice_->Request({{"type", "typing"}, {"to", "#lobby"}, {"on", false}});
  EXPECT_EQ(false, bob->WaitForType("typing", 1000)["on"]);
  // Typing is never stored.
  Json h = bob->Request({{"type", "history"}, {"conv", "#lobby"}});
  EXPECT_EQ(0u, h["messages"].size());
  // Non-members may not type into a room.
  auto eve = Login(*server_, "eve");
  EXPECT_EQ("forbidden", eve->Request({{"type", "typing"}, {"to", "#lobby"}})["code"]);
}

TEST_F(Signals, OfferAnswerIceHangup) {
  auto bob1 = Login(*server_, "bob");
  auto bob2 = Login(*server_, "bob");
  ASSERT_TRUE(bob1 && bob2);
  Json sdp = {{"sdp", "v=0 offer"}};
  Json r = alice_->Request(
      {{"type", "signal"}, {"to", "@bob"}, {"call_id", "c1"}, {"kind", "offer"}, {"payload", sdp}});
  EXPECT_EQ("ok", r["type"]) << r.dump();
  for (auto* b : {bob1.get(), bob2.get()}) {  // every session rings
    Json offer = b->WaitForType("signal");
    EXPECT_EQ("alice", offer["from"]);
    EXPECT_EQ("c1", offer["call_id"]);
    EXPECT_EQ("offer", offer["kind"]);
    EXPECT_EQ(sdp, offer["payload"]);
  }
  r = bob1->Request({{"type", "signal"},
                     {"to", "@alice"},
                     {"call_id", "c1"},
                     {"kind", "answer"},
                     {"payload", {{"sdp", "v=0 answer"}}}});
  EXPECT_EQ("ok", r["type"]);
  Json answer = alice_->WaitForType("signal");
  EXPECT_EQ("answer", answer["kind"]);
  EXPECT_EQ("bob", answer["from"]);
  // The server relays: bob's other session hears nothing of the answer until bob tells his
  // own other sessions (a signal to oneself goes to one's other sessions only).
  for (const Json& e : bob2->Drain(200)) EXPECT_NE("signal", e.value("type", "")) << e.dump();
  r = bob1->Request({{"type", "signal"},
                     {"to", "@bob"},
                     {"call_id", "c1"},
                     {"kind", "hangup"},
                     {"payload", {{"reason", "answered elsewhere"}}}});
  EXPECT_EQ("ok", r["type"]) << r.dump();
  Json stop = bob2->WaitForType("signal");
  EXPECT_EQ("hangup", stop["kind"]);
  EXPECT_EQ("answered elsewhere", stop["payload"]["reason"]);
  // ICE both ways, to all of the addressee's sessions.
  alice_->Request({{"type", "signal"},
                   {"to", "@bob"},
                   {"call_id", "c1"},
                   {"kind", "ice"},
                   {"payload", {{"candidate", "a-cand"}}}});
  for (auto* b : {bob1.get(), bob2.get()}) {
    EXPECT_EQ("a-cand", b->WaitForType("signal")["payload"]["candidate"]);
  }
  bob1->Request({{"type", "signal"},
                 {"to", "@alice"},
                 {"call_id", "c1"},
                 {"kind", "ice"},
                 {"payload", {{"candidate", "b-cand"}}}});
  EXPECT_EQ("b-cand", alice_->WaitForType("signal")["payload"]["candidate"]);
  for (const Json& e : bob1->Drain(200)) EXPECT_NE("signal", e.value("type", "")) << e.dump();
  // Someone else's call with the same call_id is another call: eve's offer and hangup
  // neither fail nor end alice's, which still ends with a hangup when bob1 goes.
  auto eve = Login(*server_, "eve");
  for (const char* kind : {"offer", "hangup"}) {
    r = eve->Request({{"type", "signal"},
                      {"to", "@bob"},
                      {"call_id", "c1"},
                      {"kind", kind},
                      {"payload", {{"sdp", "eve"}}}});
    EXPECT_EQ("ok", r["type"]) << kind << ": " << r.dump();
    Json got = bob2->WaitFor([](const Json& j) { return j.value("from", "") == "eve"; });
    EXPECT_EQ(kind, got["kind"]);
  }
  bob1.reset();
  Json gone = alice_->WaitFor([](const Json& j) {
    return j.value("type", "") == "signal" && j.value("kind", "") == "hangup";
  });
  EXPECT_EQ("c1", gone["call_id"]) << gone.dump();
  EXPECT_EQ("bob", gone["from"]);
  EXPECT_EQ("disconnected", gone["payload"]["reason"]);
  // A hangup reaches all of the addressee's sessions.
  alice_->Request({{"type", "signal"},
                   {"to", "@bob"},
                   {"call_id", "c4"},
                   {"kind", "offer"},
                   {"payload", {{"sdp", "again"}}}});
  r = alice_->Request({{"type", "signal"}, {"to", "@bob"}, {"call_id", "c4"}, {"kind", "hangup"}});
  EXPECT_EQ("ok", r["type"]);
  Json h = bob2->WaitFor([](const Json& j) {
    return j.value("type", "") == "signal" && j.value("kind", "") == "hangup" &&
           j.value("from", "") == "alice";
  });
  EXPECT_EQ("c4", h["call_id"]);
}

TEST_F(Signals, EveryKindIsRelayedWithoutAnOffer) {
  auto bob = Login(*server_, "bob");
  ASSERT_TRUE(bob);
  for (const char* kind : {"answer", "ice", "hangup", "offer"}) {
    Json r = alice_->Request({{"type", "signal"},
                              {"to", "@bob"},
                              {"call_id", std::string("k-") + kind},
                              {"kind", kind},
                              {"payload", {{"n", kind}}}});
    EXPECT_EQ("ok", r["type"]) << kind << ": " << r.dump();
    Json ev = bob->WaitForType("signal");
    EXPECT_EQ(kind, ev["kind"]);
    EXPECT_EQ("alice", ev["from"]);
    EXPECT_EQ(std::string("k-") + kind, ev["call_id"]);
    EXPECT_EQ(kind, ev["payload"]["n"]);
  }
}

TEST_F(Signals, SignalToUserWithoutSessionIsNotFound) {
  Json r = alice_->Request({{"type", "signal"},
                            {"to", "@nobody"},
                            {"call_id", "c2"},
                            {"kind", "offer"},
                            {"payload", {{"sdp", "x"}}}});
  EXPECT_EQ("not_found", r["code"]);
  r = alice_->Request({{"type", "signal"},
                       {"to", "@nobody"},
                       {"call_id", "c2"},
                       {"kind", "ice"},
                       {"payload", {{"candidate", "x"}}}});
  EXPECT_EQ("not_found", r["code"]);
}

TEST_F(Signals, DisconnectEndsTheCall) {
  auto bob = Login(*server_, "bob");
  ASSERT_TRUE(bob);
  alice_->Request({{"type", "signal"},
                   {"to", "@bob"},
                   {"call_id", "c3"},
                   {"kind", "offer"},
                   {"payload", {{"sdp", "x"}}}});
  bob->WaitForType("signal");
  bob->Request({{"type", "signal"},
                {"to", "@alice"},
                {"call_id", "c3"},
                {"kind", "answer"},
                {"payload", {{"sdp", "y"}}}});
  alice_->WaitForType("signal");
  bob.reset();
  Json h = alice_->WaitFor([](const Json& j) {
    return j.value("type", "") == "signal" && j.value("kind", "") == "hangup";
  });
  EXPECT_EQ("c3", h["call_id"]);
}

// Eight ringing calls at once per caller: the ninth offer is refused, and only for the one
// who made them; offers that others ring at someone do not fill that someone's limit.
TEST_F(Signals, CallsAtOnceAreLimitedPerCaller) {
  auto bob = Login(*server_, "bob");
  auto eve = Login(*server_, "eve");
  ASSERT_TRUE(bob && eve);
  auto offer = [](net::BlockingClient& from, const std::string& to, const std::string& call_id) {
    return from.Request({{"type", "signal"},
                         {"to", to},
                         {"call_id", call_id},
                         {"kind", "offer"},
                         {"payload", {{"sdp", "x"}}}});
  };
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ("ok", offer(*eve, "@alice", "e" + std::to_string(i))["type"]) << i;
  }
  EXPECT_EQ("conflict", offer(*eve, "@alice", "e8")["code"]);
  EXPECT_EQ("conflict", offer(*eve, "@bob", "e9")["code"]);
  // alice is rung eight times and can still be called, and call out herself.
  EXPECT_EQ("ok", offer(*bob, "@alice", "b1")["type"]);
  EXPECT_EQ("ok", offer(*alice_, "@bob", "a1")["type"]);
  // A hangup ends one of eve's calls and frees its place.
  EXPECT_EQ("ok", eve->Request({{"type", "signal"},
                                {"to", "@alice"},
                                {"call_id", "e0"},
                                {"kind", "hangup"},
                                {"payload", Json::object()}})["type"]);
  EXPECT_EQ("ok", offer(*eve, "@alice", "e10")["type"]);
}

// A call nobody answers ends at the ring timeout: the caller's sessions and every session
// that rang get a hangup "no answer" from the other side, and the call no longer counts
// against the caller's limit. An answered call is left alone.
TEST(Calls, AnOfferNobodyAnswersEndsWithNoAnswerOnBothSides) {
  auto server = ServerProcess::Start({"--ring-timeout", "1s"});
  ASSERT_TRUE(server);
  auto alice = Login(*server, "alice");
  auto bob1 = Login(*server, "bob");
  auto bob2 = Login(*server, "bob");
  auto carol = Login(*server, "carol");
  ASSERT_TRUE(alice && bob1 && bob2 && carol);
  auto signal = [](net::BlockingClient& from, const std::string& to, const std::string& call_id,
                   const std::string& kind) {
    return from.Request({{"type", "signal"},
                         {"to", to},
                         {"call_id", call_id},
                         {"kind", kind},
                         {"payload", {{"sdp", "x"}}}})["type"];
  };
  auto hangup_of = [](const std::string& call_id) {
    return [call_id](const Json& j) {
      return j.value("type", "") == "signal" && j.value("kind", "") == "hangup" &&
             j.value("call_id", "") == call_id;
    };
  };
  ASSERT_EQ("ok", signal(*alice, "@bob", "unanswered", "offer"));
  ASSERT_EQ("ok", signal(*alice, "@carol", "answered", "offer"));
  ASSERT_EQ("ok", signal(*carol, "@alice", "answered", "answer"));
  auto start = std::chrono::steady_clock::now();
  Json to_caller = alice->WaitFor(hangup_of("unanswered"), 10000);
  ASSERT_FALSE(to_caller.is_null()) << "the caller was never told";
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_EQ("bob", to_caller["from"]);
  EXPECT_EQ("no answer", to_caller["payload"]["reason"]);
  for (auto* b : {bob1.get(), bob2.get()}) {  // every session that rang stops ringing
    Json to_callee = b->WaitFor(hangup_of("unanswered"), 5000);
    ASSERT_FALSE(to_callee.is_null());
    EXPECT_EQ("alice", to_callee["from"]);
    EXPECT_EQ("no answer", to_callee["payload"]["reason"]);
  }
  // The answered call goes on: no hangup for it, on either side.
  EXPECT_TRUE(alice->WaitFor(hangup_of("answered"), 1500).is_null());
  EXPECT_TRUE(carol->WaitFor(hangup_of("answered"), 100).is_null());
  // The ended call freed its place: alice can make seven more calls (eight with the
  // answered one), not eight.
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ("ok", signal(*alice, "@bob", "more" + std::to_string(i), "offer")) << i;
  }
  EXPECT_EQ("error", signal(*alice, "@bob", "one too many", "offer"));
}

}  // namespace
}  // namespace smartlink::testing
