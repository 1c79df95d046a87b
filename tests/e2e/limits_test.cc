// Limits: the rate limit and abuse, connection caps, slow readers.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <map>
#include <thread>

#include "e2e/raw_ws.h"
#include "e2e/server_process.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

// Opens `slow` with a small receive buffer as user "slow" and sends `join` (a room.join of
// "flood"), then waits until `member` sees `members` members there: the join is applied
// (and a catch-up it asked for has started). 30 s at most, for slow sanitizer machines.
::testing::AssertionResult JoinSlowReader(const ServerProcess& server, net::BlockingClient& member,
                                          RawWs& slow, const char* join, size_t members) {
  slow.set_small_receive_buffer(true);
  if (int status = slow.Open(server.ws_url()); status != 101) {
    return ::testing::AssertionFailure() << "upgrade answered " << status;
  }
  if (!slow.SendText(R"({"type":"auth","user":"slow"})") || !slow.SendText(join)) {
    return ::testing::AssertionFailure() << "could not send auth and join";
  }
  for (int i = 0; i < 600; ++i) {
    Json m = member.Request({{"type", "room.members"}, {"room", "flood"}});
    if (m["members"].size() == members) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ::testing::AssertionFailure() << "the slow reader's join was not in after 30 s";
}

TEST(Limits, RateLimitAnswersRetryMsAndAbuseCloses4029) {
  auto server = ServerProcess::Start({"--rate", "5", "--rate-burst", "5"});
  ASSERT_TRUE(server);
  auto c = Login(*server, "alice");  // the auth frame took one token
  ASSERT_TRUE(c);
  for (int i = 0; i < 8; ++i) c->Send({{"type", "ping"}, {"id", i}});
  std::map<std::string, int> kinds;
  int64_t retry = 0;
  for (int i = 0; i < 8; ++i) {
    Json r = c->WaitFor([i](const Json& j) { return j.value("re", -1) == i; });
    std::string kind = r["type"] == "pong" ? "pong" : r.value("code", "?");
    kinds[kind]++;
    if (kind == "rate_limited") retry = r.value("retry_ms", 0);
  }
  EXPECT_EQ(4, kinds["pong"]);
  EXPECT_EQ(4, kinds["rate_limited"]);
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 1000);
  // Typing past the limit is dropped without an error; with an id it still gets its one
  // reply, an ok.
  c->Send({{"type", "typing"}, {"to", "@bob"}, {"on", true}});
  for (int i = 0; i < 5; ++i)
    c->Send({{"type", "typing"}, {"to", "@bob"}, {"on", true}, {"id", 100 + i}});
  for (int i = 0; i < 5; ++i) {
    Json r = c->WaitFor([i](const Json& j) { return j.value("re", -1) == 100 + i; });
    EXPECT_EQ("ok", r.value("type", "")) << "typing " << i << ": " << r.dump();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(retry + 400));
  EXPECT_EQ("pong", c->Request({{"type", "ping"}})["type"]);
  for (const Json& e : c->Drain(100)) EXPECT_NE("error", e.value("type", "")) << e.dump();
  // Hammering on regardless closes the connection.
  for (int i = 0; i < 300; ++i) c->Send({{"type", "ping"}});
  EXPECT_EQ(4029, c->WaitClosed(5000));
  EXPECT_GE(Metric(*server, "smartlink_abuse_closed_total"), 1);
  EXPECT_NE(std::string::npos, server->log().find("closing 127.0.0.1:")) << server->log();
  // Others are unaffected.
  auto d = Login(*server, "bob");
  ASSERT_TRUE(d);
  EXPECT_EQ("pong", d->Request({{"type", "ping"}})["type"]);
}

TEST(Limits, ConnectionCapsCloseWith1008) {
  auto server = ServerProcess::Start({"--max-connections", "3", "--max-sessions-per-user", "2"});
  ASSERT_TRUE(server);
  auto a1 = Login(*server, "alice");
  auto a2 = Login(*server, "alice");
  ASSERT_TRUE(a1 && a2);
  auto a3 = Connect(server->ws_url());
  ASSERT_TRUE(a3);
  Json r = a3->Request({{"type", "auth"}, {"user", "alice"}});
  EXPECT_EQ("error", r["type"]);
  EXPECT_EQ(1008, a3->WaitClosed(3000));
  // a3 is gone; fill the server, then one more connection is closed with 1008 (policy)
  // before it can do anything.
  auto b = Login(*server, "bob");
  ASSERT_TRUE(b);
  auto refused = Connect(server->ws_url());
  ASSERT_TRUE(refused);
  refused->Send({{"type", "auth"}, {"user", "dave"}});
  EXPECT_EQ(1008, refused->WaitClosed(3000));
  for (const Json& e : refused->Drain(0)) EXPECT_NE("welcome", e.value("type", "")) << e.dump();
  b.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(Login(*server, "carol"));
}

TEST(Limits, SlowReaderIsClosed4008AndRecoversWithSince) {
  auto server = ServerProcess::Start({"--rate", "0", "--max-send-queue", "1MiB"});
  ASSERT_TRUE(server);
  auto alice = Login(*server, "alice");
  auto bob = Login(*server, "bob");
  ASSERT_TRUE(alice && bob);
  alice->Request({{"type", "room.create"}, {"room", "flood"}});
  bob->Request({{"type", "room.join"}, {"room", "flood"}});

  RawWs slow;
  ASSERT_TRUE(JoinSlowReader(*server, *alice, slow, R"({"type":"room.join","room":"flood"})", 3));

  // More than the kernel's socket buffers hold, in messages small enough that one storage
  // batch does not overflow a fast reader's queue.
  const int kMessages = 20000;
  std::string text(1000, 'x');
  for (int i = 0; i < kMessages; ++i) {
    alice->Send({{"type", "msg.send"}, {"to", "#flood"}, {"text", text}});
    if (i % 5 == 0) alice->Send({{"type", "presence.set"}, {"status", i % 10 ? "away" : "busy"}});
  }
  // bob, who reads, gets everything in order. (Recv, not WaitForType: that keeps the 4,000
  // presence events it passes over and scans them all again for each message.)
  for (int i = 1; i <= kMessages;) {
    auto m = bob->Recv(20000);
    ASSERT_TRUE(m) << "bob stopped at " << i << ", closed " << bob->close_code();
    if (m->value("type", "") != "msg") continue;
    ASSERT_EQ(i, (*m)["seq"]);
    ++i;
  }
  // The one who did not read was closed as a slow reader: it finds 4008 after the data
  // queued before it, or (when it lingered past the close-handshake timeout) the end of the
  // stream.
  int64_t last_seen = 0;
  int close_code = 0;
  for (;;) {
    int op;
    std::string payload;
    if (!slow.ReadFrame(&op, &payload, 10000)) {
      close_code = 1006;
      break;
    }
    if (op == 0x8) {
      close_code = payload.size() >= 2 ? (static_cast<unsigned char>(payload[0]) << 8 |
                                          static_cast<unsigned char>(payload[1]))
                                       : 0;
      break;
    }
    Json j = Json::parse(payload, nullptr, false);
    if (j.value("type", "") == "msg") last_seen = j["seq"];
  }
  EXPECT_TRUE(close_code == 4008 || close_code == 1006) << close_code;
  EXPECT_LT(last_seen, kMessages);
  EXPECT_GE(Metric(*server, "smartlink_slow_readers_total"), 1);
  // The log names the reader by its address, asked of the socket when the line is written.
  std::string log = server->log();
  size_t at = log.find("closing 127.0.0.1:");
  ASSERT_NE(std::string::npos, at) << log;
  EXPECT_NE(std::string::npos, log.find("slow reader", at)) << log.substr(at, 200);
  std::string metrics = HttpRequest(server->http_url(), "GET", "/metrics").body;
  EXPECT_NE(std::string::npos, metrics.find("smartlink_dropped_total{type=\"presence\"}"));

  // Back with since: everything it missed, in order, then caught_up.
  auto again = Login(*server, "slow");
  ASSERT_TRUE(again);
  Json r = again->Request({{"type", "room.join"}, {"room", "flood"}, {"since", last_seen}});
  ASSERT_EQ("ok", r["type"]);
  int64_t expect = last_seen + 1;
  for (;;) {
    Json e = again->WaitFor(
        [](const Json& j) { return j["type"] == "msg" || j["type"] == "caught_up"; }, 20000);
    ASSERT_FALSE(e.is_null());
    if (e["type"] == "caught_up") break;
    ASSERT_EQ(expect, e["seq"]);
    ++expect;
  }
  EXPECT_EQ(kMessages + 1, expect);
}

// A reader that never reads again is reset once its close times out: the server does not
// leave the kernel to trickle megabytes to a zero window for minutes after the close.
TEST(Limits, ASlowReaderThatNeverReadsIsReset) {
  auto server = ServerProcess::Start({"--rate", "0", "--max-send-queue", "256KiB"});
  ASSERT_TRUE(server);
  auto alice = Login(*server, "alice");
  ASSERT_TRUE(alice);
  alice->Request({{"type", "room.create"}, {"room", "flood"}});
  RawWs slow;
  ASSERT_TRUE(JoinSlowReader(*server, *alice, slow, R"({"type":"room.join","room":"flood"})", 2));
  // Several MB: more than the queue bound and the kernel's buffers together.
  std::string text(1000, 'x');
  for (int i = 0; i < 8000; ++i) {
    alice->Send({{"type", "msg.send"}, {"to", "#flood"}, {"text", text}});
  }
  ASSERT_TRUE(alice->Request({{"type", "ping"}}, 60000).is_object());
  for (int i = 0; i < 100 && Metric(*server, "smartlink_slow_readers_total") < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(Metric(*server, "smartlink_slow_readers_total"), 1);
  // Without reading: a FIN would wait behind the data; a reset arrives at once.
  pollfd p{slow.fd(), POLLRDHUP, 0};
  int ready = poll(&p, 1, 15000);
  ASSERT_EQ(1, ready) << "no reset 15 s after the slow-reader close";
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(slow.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
  EXPECT_EQ(ECONNRESET, err) << "revents " << p.revents;
  EXPECT_EQ("pong", alice->Request({{"type", "ping"}})["type"]);
}

// A session caught up from storage gets the live messages of that conversation after the
// catch-up, so they wait in the server; a reader that does not take the catch-up cannot
// make the server hold them without end: past 10,000 it is closed as a slow reader.
TEST(Limits, LiveMessagesPilingUpBehindACatchUpAreBounded) {
  auto server = ServerProcess::Start({"--rate", "0"});
  ASSERT_TRUE(server);
  auto alice = Login(*server, "alice");
  ASSERT_TRUE(alice);
  alice->Request({{"type", "room.create"}, {"room", "flood"}});
  // History beyond the kernel's buffers (4 MiB at most here) and the catch-up's pacing.
  // The ok of the last send comes once all of them are stored (the writer keeps order).
  std::string text(1000, 'h');
  for (int i = 0; i < 9999; ++i) {
    alice->Send({{"type", "msg.send"}, {"to", "#flood"}, {"text", text}});
  }
  ASSERT_EQ("ok", alice->Request({{"type", "msg.send"}, {"to", "#flood"}, {"text", text}},
                                 120000)["type"]);
  RawWs slow;
  ASSERT_TRUE(
      JoinSlowReader(*server, *alice, slow, R"({"type":"room.join","room":"flood","since":0})", 2));
  // Live messages while its catch-up stalls: small, so no queue bound is reached first.
  for (int i = 0; i < 10099; ++i) {
    alice->Send({{"type", "msg.send"}, {"to", "#flood"}, {"text", "live"}});
  }
  ASSERT_EQ("ok", alice->Request({{"type", "msg.send"}, {"to", "#flood"}, {"text", "live"}},
                                 120000)["type"]);
  for (int i = 0; i < 100 && Metric(*server, "smartlink_slow_readers_total") < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(1, Metric(*server, "smartlink_slow_readers_total"));
  EXPECT_NE(std::string::npos, server->log().find("too many live messages while catching up"))
      << server->log().substr(0, 4000);
}

TEST(Limits, SilentConnectionsAreClosedAndPresenceUpdated) {
  auto server = ServerProcess::Start({"--idle-timeout", "1s"});
  ASSERT_TRUE(server);
  auto alice = Login(*server, "alice");  // its library answers the server's pings
  ASSERT_TRUE(alice);
  alice->Request({{"type", "room.create"}, {"room", "r"}});
  RawWs bob;  // never answers anything
  ASSERT_EQ(101, bob.Open(server->ws_url()));
  ASSERT_TRUE(bob.SendText(R"({"type":"auth","user":"bob"})"));
  ASSERT_TRUE(bob.SendText(R"({"type":"room.join","room":"r"})"));
  Json off = alice->WaitFor(
      [](const Json& j) {
        return j.value("type", "") == "presence" && j.value("user", "") == "bob" &&
               j.value("status", "") == "offline";
      },
      // the idle timeout, then the close handshake bob never answers (5 s)
      10000);
  EXPECT_FALSE(off.is_null()) << "bob was not closed as idle";
  // alice said nothing for as long, but answered pings: still connected.
  EXPECT_FALSE(alice->closed());
  EXPECT_EQ("pong", alice->Request({{"type", "ping"}})["type"]);
}

}  // namespace
}  // namespace smartlink::testing
