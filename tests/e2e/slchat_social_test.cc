// slchat's commands beyond plain chat, against a real slserver: message edits, deletes,
// reactions, receipts and search; presence; call signaling with SDP and ICE; moments;
// live streams.

#ifdef SLCHAT_PATH

#include <gtest/gtest.h>

#include "e2e/server_process.h"
#include "e2e/slchat_process.h"
#include "e2e/test_certs.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

class SlchatSocial : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start();
    ASSERT_TRUE(server_);
    url_ = server_->url();
    alice_ = Login(*server_, "alice");
    ASSERT_TRUE(alice_);
    ASSERT_EQ("ok", alice_->Request({{"type", "room.create"}, {"room", "lobby"}})["type"]);
  }

  SlchatResult Script(const std::string& user, const std::vector<std::string>& commands) {
    std::vector<std::string> args = {url_, "-u", user};
    for (const std::string& c : commands) {
      args.push_back("-e");
      args.push_back(c);
    }
    return RunSlchat(args);
  }

  Json AliceEvent(const std::string& type) { return alice_->WaitForType(type, 10000); }

  // The first JSON line of `p`'s output satisfying `pred` (waits for it).
  static Json WaitJson(const SlchatProcess& p, const std::function<bool(const Json&)>& pred) {
    Json found;
    WaitUntil(
        [&] {
          for (const Json& j : p.JsonLines()) {
            if (pred(j)) {
              found = j;
              return true;
            }
          }
          return false;
        },
        10000);
    return found;
  }

  std::unique_ptr<ServerProcess> server_;
  std::string url_;
  std::unique_ptr<net::BlockingClient> alice_;
  TempDir dir_;
};

TEST_F(SlchatSocial, EditDeleteReactReadAndSearch) {
  SlchatResult r = Script(
      "bob", {"/join lobby", "first draft", "second", "/edit 1 final words", "/react 2 +1",
              "/delete 2", "/react 1 wow", "/search final", "/search --conv #lobby nothing*"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("#lobby [1] (edited) final words")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("#lobby [2] bob reacted +1")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("#lobby [2] (deleted)")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("<bob> final words (edited)")) << r.out;  // search
  EXPECT_NE(std::string::npos, r.out.find("no matches")) << r.out;
  Json h = alice_->Request({{"type", "history"}, {"conv", "#lobby"}});
  ASSERT_EQ(2u, h["messages"].size());
  EXPECT_EQ("final words", h["messages"][0]["text"]);
  EXPECT_EQ((std::vector<std::string>{"bob"}),
            h["messages"][0]["reactions"]["wow"].get<std::vector<std::string>>());
  EXPECT_EQ(true, h["messages"][1]["deleted"]);

  // Editing someone else's message is refused, with the server's reason.
  SlchatResult edit = Script("alice", {"/edit --conv #lobby 1 hijacked"});
  EXPECT_EQ(1, edit.code);
  EXPECT_NE(std::string::npos, edit.err.find("msg.edit: forbidden")) << edit.err;

  alice_->Drain(100);
  ASSERT_EQ(0, Script("alice", {"/read --conv #lobby"}).code);
  Json receipt = AliceEvent("receipt");
  EXPECT_EQ("alice", receipt["user"]);
  EXPECT_EQ(2, receipt["seq"]);
}

TEST_F(SlchatSocial, PresenceStatusAndLookup) {
  ASSERT_EQ("ok", alice_->Request({{"type", "room.join"}, {"room", "lobby"}})["type"]);
  SlchatResult r = Script(
      "bob", {"/join lobby", "/status away at lunch", "/presence alice bob", "/status sleeping"});
  EXPECT_EQ(1, r.code);  // the last one is not a status
  EXPECT_NE(std::string::npos, r.out.find("you are away (at lunch)")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("alice: online")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("bob: away (at lunch)")) << r.out;
  EXPECT_NE(std::string::npos, r.err.find("/status is online, away or busy")) << r.err;
  Json p = alice_->WaitFor(
      [](const Json& j) { return j.value("type", "") == "presence" && j["status"] == "away"; });
  EXPECT_EQ("bob", p["user"]);
  EXPECT_EQ("at lunch", p["note"]);
}

TEST_F(SlchatSocial, CallSignalingRelaysSdpAndIce) {
  WriteFile(dir_.File("offer.sdp"), "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\n");
  SlchatProcess caller({url_, "-u", "carol", "--json"});
  SlchatProcess callee({url_, "-u", "bob", "--json"});
  ASSERT_TRUE(caller.WaitForOutput("\"welcome\"", 10000)) << caller.err();
  ASSERT_TRUE(callee.WaitForOutput("\"welcome\"", 10000)) << callee.err();

  caller.Write("/call @bob " + dir_.File("offer.sdp") + "\n");
  Json offer = WaitJson(callee, [](const Json& j) { return j.value("kind", "") == "offer"; });
  ASSERT_FALSE(offer.is_null()) << callee.out() << caller.err();
  EXPECT_EQ("carol", offer["from"]);
  EXPECT_EQ("v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\n", offer["payload"]["sdp"]);
  std::string call_id = offer["call_id"];

  // The answer's SDP typed inline, ended by a lone dot.
  callee.Write("/answer -\nv=0\no=bob 2 2 IN IP4 127.0.0.1\n.\n");
  Json answer = WaitJson(caller, [](const Json& j) { return j.value("kind", "") == "answer"; });
  ASSERT_FALSE(answer.is_null()) << caller.out() << callee.err();
  EXPECT_EQ(call_id, answer["call_id"]);
  EXPECT_EQ("v=0\no=bob 2 2 IN IP4 127.0.0.1\n", answer["payload"]["sdp"]);

  caller.Write("/ice candidate:1 1 UDP 2122260223 10.0.0.1 54321 typ host\n");
  Json ice = WaitJson(callee, [](const Json& j) { return j.value("kind", "") == "ice"; });
  EXPECT_EQ("candidate:1 1 UDP 2122260223 10.0.0.1 54321 typ host", ice["payload"]["candidate"]);

  callee.Write("/hangup\n");
  Json bye = WaitJson(caller, [](const Json& j) { return j.value("kind", "") == "hangup"; });
  EXPECT_EQ("bob", bye["from"]);
  caller.Write("/hangup\n");  // nothing left to hang up
  caller.CloseStdin();
  callee.CloseStdin();
  EXPECT_EQ(1, caller.Wait(10000));
  EXPECT_NE(std::string::npos, caller.err().find("no call to hang up"));
  EXPECT_EQ(0, callee.Wait(10000)) << callee.err();

  // Calling someone who is not there.
  SlchatResult nobody = Script("carol", {"/call @nobody"});
  EXPECT_EQ(1, nobody.code);
  EXPECT_NE(std::string::npos, nobody.err.find("not_found")) << nobody.err;
}

// An SDP_FILE or '-' that gives no SDP is refused before anything is sent (it used to go
// out as an empty offer or answer).
TEST_F(SlchatSocial, EmptySdpIsRefusedLocally) {
  WriteFile(dir_.File("blank.sdp"), "\n\n");
  // The first signal or message alice gets from carol.
  auto first_from_carol = [this] {
    return alice_->WaitFor(
        [](const Json& j) {
          std::string type = j.value("type", "");
          return (type == "signal" || type == "msg") && j.value("from", "") == "carol";
        },
        10000);
  };
  const std::string usage = " (usage: /call @USER [SDP_FILE|-])";
  SlchatResult lines = RunSlchat({url_, "-u", "carol"},
                                 "/call @alice -\n.\n/call @alice " + dir_.File("blank.sdp") +
                                     "\n/call @alice /no/such.sdp\n/msg @alice after the calls\n");
  EXPECT_EQ(1, lines.code);
  EXPECT_NE(std::string::npos,
            lines.err.find("/call: empty SDP: no SDP lines before the '.'" + usage))
      << lines.err;
  EXPECT_NE(std::string::npos,
            lines.err.find("/call: empty SDP: " + dir_.File("blank.sdp") + " holds no SDP" + usage))
      << lines.err;
  EXPECT_NE(std::string::npos, lines.err.find("cannot read /no/such.sdp")) << lines.err;
  EXPECT_EQ(std::string::npos, lines.out.find("calling alice")) << lines.out;
  Json first = first_from_carol();
  EXPECT_EQ("msg", first.value("type", "")) << first.dump();

  // With --exec, '-' reads standard input: empty here.
  SlchatResult exec = RunSlchat({url_, "-u", "carol", "-e", "/call @alice -"});
  EXPECT_EQ(1, exec.code);
  EXPECT_NE(std::string::npos, exec.err.find("/call: empty SDP: no SDP on standard input"))
      << exec.err;

  // An empty answer: nothing goes back to the caller, and the call still rings.
  SlchatProcess callee({url_, "-u", "carol", "--json"});
  ASSERT_TRUE(callee.WaitForOutput("\"welcome\"", 10000)) << callee.err();
  alice_->Drain(100);
  ASSERT_EQ("ok", alice_->Request({{"type", "signal"},
                                   {"to", "@carol"},
                                   {"call_id", "c1"},
                                   {"kind", "offer"},
                                   {"payload", {{"type", "offer"}, {"sdp", "v=0\r\n"}}}})["type"]);
  ASSERT_FALSE(
      WaitJson(callee, [](const Json& j) { return j.value("kind", "") == "offer"; }).is_null())
      << callee.out();
  callee.Write("/answer -\n \n.\n");
  EXPECT_TRUE(callee.WaitForErr("/answer: empty SDP: no SDP lines before the '.'", 10000))
      << callee.err();
  callee.Write("/hangup\n");
  callee.CloseStdin();
  EXPECT_EQ(1, callee.Wait(10000));
  first = first_from_carol();
  EXPECT_EQ("hangup", first.value("kind", "")) << first.dump();
}

TEST_F(SlchatSocial, MomentsFeedLikesAndComments) {
  SlchatResult post = Script("alice", {"/moment sunset over the bay"});
  ASSERT_EQ(0, post.code) << post.err;
  EXPECT_NE(std::string::npos, post.out.find("posted moment ")) << post.out;
  std::string id = post.out.substr(post.out.find("posted moment ") + 14);
  id = id.substr(0, id.find('\n'));
  alice_->Drain(100);

  SlchatResult bob =
      Script("bob", {"/follow alice", "/feed", "/like " + id, "/comment " + id + " what a view"});
  ASSERT_EQ(0, bob.code) << bob.err;
  EXPECT_NE(std::string::npos, bob.out.find("following alice")) << bob.out;
  EXPECT_NE(std::string::npos, bob.out.find("<alice> sunset over the bay")) << bob.out;
  Json like = alice_->WaitFor([](const Json& j) { return j.value("kind", "") == "like"; });
  EXPECT_EQ("notification", like["type"]);
  Json comment = alice_->WaitFor([](const Json& j) { return j.value("kind", "") == "comment"; });
  EXPECT_EQ("notification", comment["type"]);

  SlchatResult feed = Script("alice", {"/feed"});
  EXPECT_NE(std::string::npos, feed.out.find("(1 like)")) << feed.out;
  EXPECT_NE(std::string::npos, feed.out.find("<bob> what a view")) << feed.out;
}

TEST_F(SlchatSocial, LiveStreams) {
  ASSERT_EQ("ok", alice_->Request(
                      {{"type", "live.start"}, {"stream", "gig"}, {"title", "Friday"}})["type"]);
  SlchatResult r = Script("bob", {"/live join gig", "/live chat gig encore!", "/live react gig +1",
                                  "/live leave gig", "/live dance gig"});
  EXPECT_EQ(1, r.code);  // the last action does not exist
  EXPECT_NE(std::string::npos, r.out.find("watching live:gig by alice")) << r.out;
  Json chat = alice_->WaitFor([](const Json& j) { return j.value("type", "") == "live.chat"; });
  EXPECT_EQ("bob", chat["user"]);
  EXPECT_EQ("encore!", chat["text"]);
  Json react = alice_->WaitFor([](const Json& j) { return j.value("type", "") == "live.react"; });
  EXPECT_EQ("+1", react["emoji"]);
}

}  // namespace
}  // namespace smartlink::testing

#endif  // SLCHAT_PATH
