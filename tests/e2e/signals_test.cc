// Signals: presence, typing, and WebRTC call signaling.

#include <gtest/gtest.h>

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

  Json got = alice_->Request({{"type", "presence.get"}, {"users", {"bob", "carol", "alice"}}});
  ASSERT_EQ(3u, got["presence"].size());
  EXPECT_EQ("away", got["presence"][0]["status"]);
  EXPECT_EQ("unknown", got["presence"][1]["status"]);  // carol shares no conversation
  EXPECT_EQ("online", got["presence"][2]["status"]);

  bob.reset();
  Json off = alice_->WaitFor([](const Json& j) { return IsPresenceOf(j, "bob", "offline"); });
  EXPECT_FALSE(off.is_null());
  EXPECT_GT(off.value("last_seen", 0LL), 0);
  for (const Json& e : carol->Drain(300)) {
    EXPECT_NE("presence", e.value("type", "")) << e.dump();
  }
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
  // bob's other session stops ringing, and its late answer conflicts.
  EXPECT_EQ("hangup", bob2->WaitForType("signal")["kind"]);
  EXPECT_EQ("conflict", bob2->Request({{"type", "signal"},
                                       {"to", "@alice"},
                                       {"call_id", "c1"},
                                       {"kind", "answer"},
                                       {"payload", {{"sdp", "late"}}}})["code"]);
  // ICE both ways, only between the two sessions in the call.
  alice_->Request({{"type", "signal"},
                   {"to", "@bob"},
                   {"call_id", "c1"},
                   {"kind", "ice"},
                   {"payload", {{"candidate", "a-cand"}}}});
  EXPECT_EQ("a-cand", bob1->WaitForType("signal")["payload"]["candidate"]);
  bob1->Request({{"type", "signal"},
                 {"to", "@alice"},
                 {"call_id", "c1"},
                 {"kind", "ice"},
                 {"payload", {{"candidate", "b-cand"}}}});
  EXPECT_EQ("b-cand", alice_->WaitForType("signal")["payload"]["candidate"]);
  for (const Json& e : bob2->Drain(200)) EXPECT_NE("signal", e.value("type", "")) << e.dump();
  // A stranger cannot use the call id.
  auto eve = Login(*server_, "eve");
  EXPECT_EQ("conflict", eve->Request({{"type", "signal"},
                                      {"to", "@bob"},
                                      {"call_id", "c1"},
                                      {"kind", "ice"},
                                      {"payload", Json::object()}})["code"]);
  r = alice_->Request({{"type", "signal"}, {"to", "@bob"}, {"call_id", "c1"}, {"kind", "hangup"}});
  EXPECT_EQ("ok", r["type"]);
  EXPECT_EQ("hangup", bob1->WaitForType("signal")["kind"]);
  // The call is gone: more ICE is refused.
  EXPECT_EQ("not_found", alice_->Request({{"type", "signal"},
                                          {"to", "@bob"},
                                          {"call_id", "c1"},
                                          {"kind", "ice"},
                                          {"payload", Json::object()}})["code"]);
}

TEST_F(Signals, SignalToUserWithoutSessionIsNotFound) {
  Json r = alice_->Request({{"type", "signal"},
                            {"to", "@nobody"},
                            {"call_id", "c2"},
                            {"kind", "offer"},
                            {"payload", {{"sdp", "x"}}}});
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

}  // namespace
}  // namespace smartlink::testing
