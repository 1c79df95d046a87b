// The server's socket layer: frames that arrive together, split, or just before the peer
// closes are all read (ws:// reads ahead of websocketpp's small buffer, lean_plain.h).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "e2e/raw_ws.h"
#include "e2e/server_process.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

// A msg.send frame with `id` to #room.
std::string SendFrame(const Json& id, const std::string& room, const std::string& text) {
  Json j = {{"type", "msg.send"}, {"id", id}, {"to", "#" + room}, {"text", text}};
  return RawWs::Frame(0x1, j.dump());
}

// Each test has a server without a rate limit, bob logged in, and alice on a raw socket.
class Transport : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({"--rate", "0"});
    ASSERT_TRUE(server_);
    bob_ = Login(*server_, "bob");
    ASSERT_TRUE(bob_);
    ASSERT_EQ(101, alice_.Open(server_->ws_url()));
  }

  // bob creates #burst; alice authenticates and joins it, waiting for the join's answer.
  void JoinBurst() {
    ASSERT_EQ("ok", bob_->Request({{"type", "room.create"}, {"room", "burst"}})["type"]);
    ASSERT_TRUE(alice_.SendText(R"({"type":"auth","user":"alice"})"));
    ASSERT_TRUE(alice_.SendText(R"({"type":"room.join","room":"burst","id":"join"})"));
    for (;;) {
      int op;
      std::string payload;
      ASSERT_TRUE(alice_.ReadFrame(&op, &payload, 10000)) << "no answer to room.join";
      Json j = Json::parse(payload, nullptr, false);
      if (j.value("re", Json()) != "join") continue;
      ASSERT_EQ("ok", j["type"]) << payload;
      return;
    }
  }

  // Waits until #burst holds `n` messages, as bob sees its history.
  Json HistoryOfBurst(size_t n) {
    Json h;
    for (int i = 0; i < 250; ++i) {
      h = bob_->Request({{"type", "history"}, {"conv", "#burst"}, {"limit", 200}});
      if (h["messages"].size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return h;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<net::BlockingClient> bob_;
  RawWs alice_;
};

// Message i of the first test: lengths of both 7-bit and 16-bit frame length classes.
std::string TextOf(int i) {
  size_t len = i % 10 == 0 ? 3000 : i % 3 == 0 ? 200 : 20;
  return std::string(len, static_cast<char>('a' + i % 26));
}

TEST_F(Transport, FramesWrittenTogetherAreAllReadInOrder) {
  ASSERT_NO_FATAL_FAILURE(JoinBurst());
  // Everything in one write: far more than the server's 512-byte read buffer and its
  // 16 KiB read-ahead, with frames of every size class cut at arbitrary read boundaries.
  const int kMessages = 150;
  std::string burst;
  for (int i = 1; i <= kMessages; ++i) burst += SendFrame(i, "burst", TextOf(i));
  ASSERT_TRUE(alice_.SendBytes(burst));

  int next = 1;
  int64_t last_seq = 0;
  while (next <= kMessages) {
    int op;
    std::string payload;
    ASSERT_TRUE(alice_.ReadFrame(&op, &payload, 10000)) << "no answer to message " << next;
    Json j = Json::parse(payload, nullptr, false);
    ASSERT_NE("error", j.value("type", "")) << payload;
    if (j.value("type", "") != "ok" || !j.contains("seq")) continue;
    ASSERT_EQ(next, j["re"]) << payload;
    EXPECT_GT(j["seq"].get<int64_t>(), last_seq);
    last_seq = j["seq"];
    ++next;
  }
  Json h = HistoryOfBurst(kMessages);
  ASSERT_EQ(static_cast<size_t>(kMessages), h["messages"].size());
  for (int i = 1; i <= kMessages; ++i) {
    EXPECT_EQ(TextOf(i), h["messages"][i - 1]["text"].get<std::string>()) << "message " << i;
  }
}

TEST_F(Transport, FramesSentJustBeforeTheClientClosesAreNotLost) {
  ASSERT_NO_FATAL_FAILURE(JoinBurst());
  const int kMessages = 100;
  std::string burst;
  for (int i = 1; i <= kMessages; ++i) {
    burst += SendFrame(i, "burst", "last words " + std::to_string(i));
  }
  // The data and the end of the stream together: the server sees EOF right after it.
  ASSERT_TRUE(alice_.SendBytes(burst));
  ASSERT_EQ(0, shutdown(alice_.fd(), SHUT_WR));

  Json h = HistoryOfBurst(kMessages);
  ASSERT_EQ(static_cast<size_t>(kMessages), h["messages"].size()) << h.dump().substr(0, 400) << "\n"
                                                                  << server_->log();
  for (int i = 1; i <= kMessages; ++i) {
    EXPECT_EQ("last words " + std::to_string(i), h["messages"][i - 1]["text"]);
  }
  // And the server let the connection go.
  int op;
  std::string payload;
  while (alice_.ReadFrame(&op, &payload, 5000)) {
  }
  EXPECT_EQ(0, server_->Stop(SIGTERM));
}

// Requests that wait behind a room.join still in storage when the client hangs up are
// handled all the same: everything comes in one write with the end of the stream, so the
// server sees the close while the join (and then a room.create) is being stored.
TEST_F(Transport, RequestsWaitingBehindAJoinWhenTheClientClosesAreHandled) {
  ASSERT_EQ("ok", bob_->Request({{"type", "room.create"}, {"room", "burst"}})["type"]);
  auto req = [](Json j) { return RawWs::Frame(0x1, j.dump()); };
  std::string burst = req({{"type", "auth"}, {"user", "alice"}});
  burst += req({{"type", "room.join"}, {"id", "join"}, {"room", "burst"}});
  for (int i = 1; i <= 10; ++i) burst += SendFrame(i, "burst", "before " + std::to_string(i));
  burst += req({{"type", "room.create"}, {"id", "create"}, {"room", "second"}});
  for (int i = 1; i <= 5; ++i) burst += SendFrame(i, "second", "second " + std::to_string(i));
  for (int i = 11; i <= 20; ++i) burst += SendFrame(i, "burst", "after " + std::to_string(i));
  ASSERT_TRUE(alice_.SendBytes(burst));
  ASSERT_EQ(0, shutdown(alice_.fd(), SHUT_WR));

  Json h = HistoryOfBurst(20);
  ASSERT_EQ(20u, h["messages"].size()) << h.dump().substr(0, 400);
  for (int i = 1; i <= 20; ++i) {
    EXPECT_EQ((i <= 10 ? "before " : "after ") + std::to_string(i), h["messages"][i - 1]["text"]);
    EXPECT_EQ("alice", h["messages"][i - 1]["from"]);
  }
  ASSERT_EQ("ok", bob_->Request({{"type", "room.join"}, {"room", "second"}})["type"]);
  Json s = bob_->Request({{"type", "history"}, {"conv", "#second"}, {"limit", 200}});
  ASSERT_EQ(5u, s["messages"].size()) << s.dump().substr(0, 400);
  EXPECT_EQ("second 5", s["messages"][4]["text"]);
  // alice's connection is let go, and her session with it.
  int op;
  std::string payload;
  while (alice_.ReadFrame(&op, &payload, 5000)) {
  }
  Json health;
  for (int i = 0; i < 250; ++i) {
    health = Json::parse(HttpRequest(server_->http_url(), "GET", "/health").body, nullptr, false);
    if (health.value("connections", -1) == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(1, health.value("connections", -1)) << health.dump();  // bob's
  EXPECT_EQ(1, health.value("users_online", -1)) << health.dump();
}

// What waits behind a room.join is bounded: with the database locked by another process the
// join stays in storage (until the busy timeout), and of 1,030 requests sent behind it the
// first 1,024 wait while the rest are refused with rate_limited at once.
TEST_F(Transport, AtMost1024RequestsWaitBehindAJoin) {
  ASSERT_EQ("ok", bob_->Request({{"type", "room.create"}, {"room", "burst"}})["type"]);
  ASSERT_TRUE(alice_.SendText(R"({"type":"auth","user":"alice","id":"auth"})"));
  for (;;) {
    int op;
    std::string payload;
    ASSERT_TRUE(alice_.ReadFrame(&op, &payload, 10000)) << "no welcome";
    if (Json::parse(payload, nullptr, false).value("type", "") == "welcome") break;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(SQLITE_OK, sqlite3_open((server_->data_dir() + "/smartlink.db").c_str(), &db));
  sqlite3_busy_timeout(db, 5000);
  ASSERT_EQ(SQLITE_OK, sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr));

  const int kSent = 1030;
  std::string burst = RawWs::Frame(0x1, R"({"type":"room.join","room":"burst","id":"join"})");
  for (int i = 1; i <= kSent; ++i) burst += SendFrame(i, "burst", "m" + std::to_string(i));
  ASSERT_TRUE(alice_.SendBytes(burst));
  std::map<std::string, int> codes;  // error code (or reply type) -> count
  std::vector<int> refused;
  Json join;
  int answered = 0;
  while (answered < kSent || join.is_null()) {
    int op;
    std::string payload;
    ASSERT_TRUE(alice_.ReadFrame(&op, &payload, 15000)) << answered << " answered";
    Json j = Json::parse(payload, nullptr, false);
    if (!j.contains("re")) continue;
    if (j["re"] == "join") {
      join = j;
      continue;
    }
    ++answered;
    std::string code = j.value("code", j.value("type", ""));
    ++codes[code];
    if (code == "rate_limited") refused.push_back(j["re"].get<int>());
  }
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_EQ((std::vector<int>{1025, 1026, 1027, 1028, 1029, 1030}), refused);
  EXPECT_EQ("unavailable", join.value("code", "")) << join.dump();
  // The join failed, so the 1,024 that waited are refused as from a non-member.
  EXPECT_EQ(1024, codes["forbidden"]) << Json(codes).dump();
}

// A client may pipeline: a request after room.create, room.join or room.leave is handled
// once that one is done, so its answer is the one a client waiting for each reply gets.
TEST_F(Transport, RequestsSentBackToBackAreHandledInOrder) {
  auto req = [](Json j) { return RawWs::Frame(0x1, j.dump()); };
  auto send = [](const std::string& id) { return SendFrame(id, "pipe", "m" + id); };
  std::vector<std::string> order = {"create"};
  std::string burst = req({{"type", "auth"}, {"user", "alice"}});
  burst += req({{"type", "room.create"}, {"id", "create"}, {"room", "pipe"}});
  for (int i = 1; i <= 50; ++i) {
    burst += send(std::to_string(i));
    order.push_back(std::to_string(i));
  }
  burst += req({{"type", "room.leave"}, {"id", "leave"}, {"room", "pipe"}});
  burst += send("after-leave");
  burst += req({{"type", "room.join"}, {"id", "join"}, {"room", "pipe"}});
  burst += send("51");
  for (const char* id : {"leave", "after-leave", "join", "51"}) order.push_back(id);
  ASSERT_TRUE(alice_.SendBytes(burst));

  std::vector<std::string> got;
  std::map<std::string, Json> answers;
  while (got.size() < order.size()) {
    int op;
    std::string payload;
    ASSERT_TRUE(alice_.ReadFrame(&op, &payload, 10000)) << "answers so far: " << got.size();
    Json j = Json::parse(payload, nullptr, false);
    if (!j.contains("re")) continue;
    got.push_back(j["re"]);
    answers[j["re"]] = j;
  }
  EXPECT_EQ(order, got);
  EXPECT_EQ("ok", answers["create"]["type"]);
  for (int i = 1; i <= 50; ++i) {
    EXPECT_EQ(i, answers[std::to_string(i)].value("seq", 0)) << answers[std::to_string(i)];
  }
  EXPECT_EQ("ok", answers["leave"]["type"]);
  EXPECT_EQ("forbidden", answers["after-leave"].value("code", "")) << answers["after-leave"];
  EXPECT_EQ("ok", answers["join"]["type"]);
  EXPECT_EQ(51, answers["51"].value("seq", 0)) << answers["51"];
}

// A read sent right behind writes of the same connection, before their oks, sees them.
TEST_F(Transport, ReadsSentBehindUnansweredSendsSeeThem) {
  auto req = [](Json j) { return RawWs::Frame(0x1, j.dump()); };
  std::string burst = req({{"type", "auth"}, {"user", "alice"}});
  burst += req({{"type", "room.create"}, {"id", "create"}, {"room", "ryw"}});
  for (int i = 1; i <= 50; ++i)
    burst += SendFrame(std::to_string(i), "ryw", "m" + std::to_string(i));
  burst += req({{"type", "history"}, {"id", "history"}, {"conv", "#ryw"}, {"limit", 200}});
  burst += req({{"type", "convs"}, {"id", "convs"}});
  burst += req({{"type", "sync"}, {"id", "sync"}, {"positions", {{"#ryw", 40}}}});
  ASSERT_TRUE(alice_.SendBytes(burst));

  std::vector<std::string> order;
  std::map<std::string, Json> answers;
  std::vector<int64_t> synced;
  bool caught_up = false;
  while (answers.size() < 54 || !caught_up) {
    int op;
    std::string payload;
    ASSERT_TRUE(alice_.ReadFrame(&op, &payload, 10000)) << "answers so far: " << answers.size();
    Json j = Json::parse(payload, nullptr, false);
    if (j.value("type", "") == "caught_up") caught_up = true;
    // Messages sent by sync (the live ones of this connection come with its own sends).
    if (j.value("type", "") == "msg" && answers.count("sync")) synced.push_back(j["seq"]);
    if (!j.contains("re")) continue;
    order.push_back(j["re"]);
    answers[j["re"]] = j;
  }
  auto pos = [&](const std::string& id) {
    return std::find(order.begin(), order.end(), id) - order.begin();
  };
  EXPECT_LT(pos("50"), pos("history")) << "the read waits for the ok of the sends before it";
  ASSERT_EQ("ok", answers["history"]["type"]) << answers["history"];
  const Json& msgs = answers["history"]["messages"];
  ASSERT_EQ(50u, msgs.size());
  EXPECT_EQ("m50", msgs[49]["text"]);
  ASSERT_EQ("ok", answers["convs"]["type"]) << answers["convs"];
  ASSERT_EQ(1u, answers["convs"]["convs"].size());
  EXPECT_EQ(50, answers["convs"]["convs"][0].value("last_seq", 0));
  EXPECT_EQ((std::vector<int64_t>{41, 42, 43, 44, 45, 46, 47, 48, 49, 50}), synced);
}

// A search right behind the first msg.send of a direct conversation finds it: the
// conversation (and alice's place in it) exists once the send is stored.
TEST_F(Transport, SearchBehindTheFirstDirectMessageFindsIt) {
  auto req = [](Json j) { return RawWs::Frame(0x1, j.dump()); };
  std::string burst = req({{"type", "auth"}, {"user", "alice"}});
  burst += req({{"type", "msg.send"}, {"id", "send"}, {"to", "@zed"}, {"text", "walnut tree"}});
  burst += req({{"type", "search"}, {"id", "search"}, {"query", "walnut"}, {"conv", "@alice,zed"}});
  ASSERT_TRUE(alice_.SendBytes(burst));
  std::map<std::string, Json> answers;
  while (answers.size() < 2) {
    int op;
    std::string payload;
    ASSERT_TRUE(alice_.ReadFrame(&op, &payload, 10000)) << "answers so far: " << answers.size();
    Json j = Json::parse(payload, nullptr, false);
    if (j.contains("re")) answers[j["re"]] = j;
  }
  ASSERT_EQ("ok", answers["send"]["type"]) << answers["send"];
  ASSERT_EQ("ok", answers["search"]["type"]) << answers["search"];
  ASSERT_EQ(1u, answers["search"]["messages"].size()) << answers["search"];
  EXPECT_EQ("walnut tree", answers["search"]["messages"][0]["text"]);
}

// The client connects to an address directly and resolves a name (ws_client_impl.h): both
// reach the server; a refused address says so, without waiting for a timeout.
TEST_F(Transport, ClientsConnectByAddressAndByNameAndReportARefusal) {
  std::string by_address = server_->ws_url();
  ASSERT_EQ(0u, by_address.rfind("ws://127.0.0.1:", 0)) << by_address;
  std::string by_name =
      "ws://localhost:" + by_address.substr(std::string("ws://127.0.0.1:").size());
  for (const std::string& url : {by_address, by_name}) {
    net::ClientOptions opt;
    opt.url = url;
    auto c = net::BlockingClient::Connect(opt);
    ASSERT_TRUE(c.ok()) << url << ": " << c.status().message();
    Json w = (*c)->Request({{"type", "auth"}, {"user", "carol"}});
    EXPECT_EQ("welcome", w.value("type", "")) << url << ": " << w;
  }

  // A port nothing listens on: bound, never listened, then closed.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(0, ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a));
  socklen_t len = sizeof a;
  ASSERT_EQ(0, ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len));
  ::close(fd);
  net::ClientOptions opt;
  opt.url = "ws://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/ws";
  auto start = std::chrono::steady_clock::now();
  auto refused = net::BlockingClient::Connect(opt);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(std::string::npos, refused.status().message().find("refused"))
      << refused.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// The close code a framing violation gets: the connection answers with a close frame
// carrying it, as RFC 6455 section 7.4.1 names them.
int CloseCodeAfter(const std::string& ws_url, const std::string& bytes) {
  RawWs ws;
  if (ws.Open(ws_url) != 101) return -1;
  if (!ws.SendText(R"({"type":"auth","user":"alice"})") || !ws.SendBytes(bytes)) return -2;
  for (;;) {
    int op;
    std::string payload;
    if (!ws.ReadFrame(&op, &payload, 10000)) return 1006;  // closed without a close frame
    if (op != 0x8) continue;
    if (payload.size() < 2) return 1005;
    return static_cast<unsigned char>(payload[0]) << 8 | static_cast<unsigned char>(payload[1]);
  }
}

// A masked text frame of `payload` whose length is written in `length_bytes` extended
// bytes (2 or 8) even when fewer would do.
std::string FrameWithLongLength(const std::string& payload, int length_bytes) {
  std::string f;
  f += static_cast<char>(0x81);
  f += static_cast<char>(0x80 | (length_bytes == 2 ? 126 : 127));
  for (int i = length_bytes - 1; i >= 0; --i) {
    f += static_cast<char>((static_cast<uint64_t>(payload.size()) >> (8 * i)) & 0xFF);
  }
  f += std::string(4, '\0');  // a zero mask leaves the payload as it is
  return f + payload;
}

TEST_F(Transport, FramingViolationsCloseWithProtocolError) {
  std::string ping = R"({"type":"ping"})";
  // A length in more bytes than it needs (RFC 6455 section 5.2: "the minimal number").
  EXPECT_EQ(1002, CloseCodeAfter(server_->ws_url(), FrameWithLongLength(ping, 2)));
  EXPECT_EQ(1002, CloseCodeAfter(server_->ws_url(), FrameWithLongLength(ping, 8)));
  std::string unmasked = RawWs::Frame(0x1, ping);
  unmasked[1] = static_cast<char>(unmasked[1] & 0x7F);  // mask bit off; key read as payload
  EXPECT_EQ(1002, CloseCodeAfter(server_->ws_url(), unmasked));
  std::string rsv = RawWs::Frame(0x1, ping);
  rsv[0] = static_cast<char>(rsv[0] | 0x40);  // RSV1 with no extension agreed
  EXPECT_EQ(1002, CloseCodeAfter(server_->ws_url(), rsv));
  EXPECT_EQ(1002, CloseCodeAfter(server_->ws_url(), RawWs::Frame(0x3, ping)));  // opcode 3
  EXPECT_EQ(1007, CloseCodeAfter(server_->ws_url(), RawWs::Frame(0x1, "\xC3\x28")));
  // A frame whose length is minimal is served as usual on the same server.
  EXPECT_EQ("pong", bob_->Request({{"type", "ping"}})["type"]);
}

// A handshake of any version but 13 (or none: the hixie-76 draft) is answered 426 with the
// version the server speaks, as RFC 6455 section 4.4 asks.
TEST_F(Transport, HandshakesOfOtherVersionsGet426) {
  for (std::string version : {"8", "7", "0", "99", ""}) {
    std::vector<std::string> headers = {"Connection: Upgrade", "Upgrade: websocket",
                                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="};
    if (!version.empty()) headers.push_back("Sec-WebSocket-Version: " + version);
    HttpResult h = HttpRequest(server_->http_url(), "GET", "/ws", "", headers);
    EXPECT_EQ(426, h.status) << "version '" << version << "': " << h.headers;
    EXPECT_NE(std::string::npos, h.headers.find("Sec-WebSocket-Version: 13\r\n"))
        << "version '" << version << "': " << h.headers;
  }
}

}  // namespace
}  // namespace smartlink::testing
