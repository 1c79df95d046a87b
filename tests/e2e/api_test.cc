// The HTTP side: the REST API with and without tokens, the admin endpoints, /metrics, the
// origin allow-list and CORS.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <sstream>

#include "e2e/server_process.h"
#include "smartlink/auth/jwt.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

const std::string kSecret = "api-test-secret-0123456789abcdef0123";
const std::string kAdmin = "admin-key-for-tests-0123";

std::string Token(const std::string& user) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  return auth::MintToken(kSecret, user, now, 3600);
}

std::string Bearer(const std::string& token) { return "Authorization: Bearer " + token; }

class Api : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({"--jwt-secret", kSecret, "--admin-key", kAdmin,
                                    "--allowed-origins", "https://app.example"});
    ASSERT_TRUE(server_);
    net::ClientOptions a, b;
    a.token = Token("alice");
    b.token = Token("bob");
    alice_ = Connect(server_->ws_url(), a);
    bob_ = Connect(server_->ws_url(), b);
    ASSERT_TRUE(alice_ && bob_);
    alice_->WaitForType("welcome");
    bob_->WaitForType("welcome");
    alice_->Request({{"type", "room.create"}, {"room", "lobby"}});
    bob_->Request({{"type", "room.join"}, {"room", "lobby"}});
    alice_->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", "hello api"}});
  }

  HttpResult Get(const std::string& path, const std::string& token) {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back(Bearer(token));
    return HttpRequest(server_->http_url(), "GET", path, "", headers);
  }
  HttpResult Post(const std::string& path, const Json& body, const std::string& token) {
    std::vector<std::string> headers = {"Content-Type: application/json"};
    if (!token.empty()) headers.push_back(Bearer(token));
    return HttpRequest(server_->http_url(), "POST", path, body.dump(), headers);
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<net::BlockingClient> alice_, bob_;
};

TEST_F(Api, UserEndpointsNeedAValidToken) {
  std::string bob = Token("bob");
  HttpResult h = Get("/api/v1/history?conv=%23lobby&limit=10", bob);
  ASSERT_EQ(200, h.status) << h.body;
  Json body = Json::parse(h.body);
  ASSERT_EQ(1u, body["messages"].size());
  EXPECT_EQ("hello api", body["messages"][0]["text"]);

  h = Get("/api/v1/convs", bob);
  ASSERT_EQ(200, h.status);
  EXPECT_EQ("#lobby", Json::parse(h.body)["convs"][0]["conv"]);
  EXPECT_EQ(1, Json::parse(h.body)["convs"][0]["unread"]);

  h = Get("/api/v1/search?q=hello", bob);
  ASSERT_EQ(200, h.status);
  EXPECT_EQ(1u, Json::parse(h.body)["messages"].size());

  h = Get("/api/v1/stats", Token("alice"));
  ASSERT_EQ(200, h.status);
  EXPECT_EQ(1, Json::parse(h.body)["messages"]);
  EXPECT_EQ("alice", Json::parse(h.body)["user"]);

  h = Post("/api/v1/read", {{"conv", "#lobby"}, {"seq", 1}}, bob);
  ASSERT_EQ(200, h.status) << h.body;
  EXPECT_EQ(1, Json::parse(h.body)["seq"]);
  Json receipt = alice_->WaitForType("receipt");
  EXPECT_EQ("bob", receipt["user"]);
  EXPECT_EQ(0, Json::parse(Get("/api/v1/convs", bob).body)["convs"][0]["unread"]);

  // Without a token, with a forged one, and as a non-member.
  for (const char* path : {"/api/v1/history?conv=%23lobby", "/api/v1/convs",
                           "/api/v1/search?q=hello", "/api/v1/stats"}) {
    EXPECT_EQ(401, Get(path, "").status) << path;
    EXPECT_EQ(401, Get(path, "not.a.token").status) << path;
    EXPECT_EQ(401, Get(path, auth::MintToken("x" + kSecret, "bob", 0, 10)).status) << path;
  }
  EXPECT_EQ(401, Post("/api/v1/read", {{"conv", "#lobby"}, {"seq", 1}}, "").status);
  EXPECT_EQ(403, Get("/api/v1/history?conv=%23lobby", Token("eve")).status);
  EXPECT_EQ(0u, Json::parse(Get("/api/v1/search?q=hello", Token("eve")).body)["messages"].size());
  EXPECT_EQ(400, Get("/api/v1/history?conv=lobby", bob).status);
  EXPECT_EQ(400, Get("/api/v1/history?conv=%23lobby&limit=-3", bob).status);
  EXPECT_EQ(405, Post("/api/v1/history", Json::object(), bob).status);
  EXPECT_EQ(404, Get("/api/v1/nothing", bob).status);
}

TEST_F(Api, AdminPublishNotifyDisconnectAndStats) {
  // Users cannot use the admin endpoints.
  EXPECT_EQ(403, Post("/api/v1/publish", {{"conv", "#lobby"}, {"text", "x"}}, Token("bob")).status);
  EXPECT_EQ(401, Post("/api/v1/publish", {{"conv", "#lobby"}, {"text", "x"}}, "").status);
  EXPECT_EQ(
      401,
      Post("/api/v1/publish", {{"conv", "#lobby"}, {"text", "x"}}, "wrong-admin-key-123").status);

  HttpResult h =
      Post("/api/v1/publish", {{"conv", "#lobby"}, {"text", "maintenance at 5"}}, kAdmin);
  ASSERT_EQ(200, h.status) << h.body;
  EXPECT_EQ(2, Json::parse(h.body)["seq"]);
  Json m = bob_->WaitFor([](const Json& j) { return j.value("text", "") == "maintenance at 5"; });
  EXPECT_EQ("system", m["from"]);
  // Nobody signs in as that sender, to read or send in the conversations it starts.
  EXPECT_EQ(401, Get("/api/v1/convs", Token("system")).status);
  auto sys = Connect(server_->ws_url());
  ASSERT_TRUE(sys);
  Json w = sys->Request({{"type", "auth"}, {"token", Token("system")}});
  EXPECT_EQ("unauthenticated", w.value("code", "")) << w.dump();
  h = Post("/api/v1/publish", {{"conv", "#lobby"}, {"text", "as alice"}, {"from", "alice"}},
           kAdmin);
  ASSERT_EQ(200, h.status) << h.body;
  EXPECT_EQ("alice",
            bob_->WaitFor([](const Json& j) { return j.value("text", "") == "as alice"; })["from"]);
  EXPECT_EQ(
      403,
      Post("/api/v1/publish", {{"conv", "#lobby"}, {"text", "x"}, {"from", "eve"}}, kAdmin).status);
  EXPECT_EQ(404, Post("/api/v1/publish", {{"conv", "#nowhere"}, {"text", "x"}}, kAdmin).status);
  EXPECT_EQ(400, Post("/api/v1/publish", {{"conv", "#lobby"}}, kAdmin).status);

  h = Post("/api/v1/notify",
           {{"user", "bob"},
            {"title", "Your order shipped"},
            {"body", "#1234"},
            {"data", {{"order", 1234}}}},
           kAdmin);
  ASSERT_EQ(200, h.status) << h.body;
  EXPECT_EQ(true, Json::parse(h.body)["delivered"]);
  Json n = bob_->WaitForType("notification");
  EXPECT_EQ("app", n["kind"]);
  EXPECT_EQ("Your order shipped", n["title"]);
  EXPECT_EQ(1234, n["data"]["order"]);

  h = Get("/api/v1/stats", kAdmin);
  ASSERT_EQ(200, h.status);
  Json stats = Json::parse(h.body);
  EXPECT_EQ(3, stats["messages"]);
  EXPECT_EQ(2, stats["connections"]);
  EXPECT_EQ(1, stats["rooms"]);

  h = Post("/api/v1/disconnect", {{"user", "bob"}}, kAdmin);
  ASSERT_EQ(200, h.status);
  EXPECT_EQ(1, Json::parse(h.body)["sessions"]);
  EXPECT_EQ(4003, bob_->WaitClosed(3000));
}

// Parses Prometheus text into name{labels} -> value.
std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

TEST_F(Api, MetricsParseAndMove) {
  HttpResult h = Get("/metrics", "");
  ASSERT_EQ(200, h.status);
  auto before = ParseMetrics(h.body);
  EXPECT_EQ(2, before["smartlink_connections"]);
  EXPECT_EQ(2, before["smartlink_sessions"]);
  EXPECT_GE(before["smartlink_requests_total{type=\"msg.send\"}"], 1);
  EXPECT_GE(before["smartlink_storage_commit_seconds_count"], 1);
  EXPECT_TRUE(before.count("smartlink_send_queue_bytes"));
  EXPECT_TRUE(before.count("smartlink_files_stored"));
  for (int i = 0; i < 5; ++i) {
    alice_->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", "m"}});
  }
  bob_->Request({{"type", "history"}, {"conv", "#nowhere"}});
  auto after = ParseMetrics(Get("/metrics", "").body);
  EXPECT_EQ(before["smartlink_requests_total{type=\"msg.send\"}"] + 5,
            after["smartlink_requests_total{type=\"msg.send\"}"]);
  EXPECT_EQ(before["smartlink_messages_stored_total"] + 5,
            after["smartlink_messages_stored_total"]);
  EXPECT_GE(after["smartlink_events_out_total{type=\"msg\"}"],
            before["smartlink_events_out_total{type=\"msg\"}"] + 10);
  EXPECT_EQ(before["smartlink_errors_total{code=\"not_found\"}"] + 1,
            after["smartlink_errors_total{code=\"not_found\"}"]);
  EXPECT_GT(after["smartlink_storage_commit_seconds_count"],
            before["smartlink_storage_commit_seconds_count"]);
}

TEST_F(Api, OriginAllowListAndCors) {
  net::ClientOptions evil;
  evil.origin = "https://evil.example";
  evil.url = server_->ws_url();
  evil.token = Token("eve");
  auto refused = Connect(server_->ws_url(), evil);
  ASSERT_TRUE(refused);
  EXPECT_EQ(1008, refused->WaitClosed(3000));  // policy: origin refused
  for (const Json& e : refused->Drain(0)) EXPECT_NE("welcome", e.value("type", "")) << e.dump();
  net::ClientOptions good;
  good.origin = "https://app.example";
  good.token = Token("carol");
  auto ok = Connect(server_->ws_url(), good);
  ASSERT_TRUE(ok);
  EXPECT_EQ("welcome", ok->WaitForType("welcome")["type"]);

  HttpResult pre = HttpRequest(server_->http_url(), "OPTIONS", "/api/v1/convs", "",
                               {"Origin: https://app.example", "Access-Control-Request-Method: GET",
                                "Access-Control-Request-Headers: authorization"});
  EXPECT_EQ(204, pre.status);
  EXPECT_NE(std::string::npos,
            pre.headers.find("Access-Control-Allow-Origin: https://app.example"));
  EXPECT_NE(std::string::npos, pre.headers.find("Authorization"));
  HttpResult get = HttpRequest(server_->http_url(), "GET", "/api/v1/convs", "",
                               {"Origin: https://app.example", Bearer(Token("bob"))});
  EXPECT_EQ(200, get.status);
  EXPECT_NE(std::string::npos,
            get.headers.find("Access-Control-Allow-Origin: https://app.example"));
  HttpResult bad = HttpRequest(server_->http_url(), "GET", "/api/v1/convs", "",
                               {"Origin: https://evil.example", Bearer(Token("bob"))});
  EXPECT_EQ(std::string::npos, bad.headers.find("Access-Control-Allow-Origin"));
  EXPECT_EQ(403, HttpRequest(server_->http_url(), "OPTIONS", "/api/v1/convs", "",
                             {"Origin: https://evil.example"})
                     .status);
}

}  // namespace
}  // namespace smartlink::testing
