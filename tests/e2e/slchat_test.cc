// slchat against a real slserver: scripted mode (stdin, --exec, --json), one-shot
// subcommands and their exit codes, authentication, TLS and the close-code rules.

#ifdef SLCHAT_PATH

#include <gtest/gtest.h>

#include <chrono>

#include "e2e/server_process.h"
#include "e2e/slchat_process.h"
#include "e2e/test_certs.h"
#include "smartlink/auth/jwt.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

class Slchat : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start();
    ASSERT_TRUE(server_);
    url_ = server_->url();
    alice_ = Login(*server_, "alice");
    ASSERT_TRUE(alice_);
    ASSERT_EQ("ok", alice_->Request({{"type", "room.create"}, {"room", "lobby"}})["type"]);
  }

  std::vector<std::string> Args(std::vector<std::string> args, const std::string& user = "bob") {
    args.push_back("--user");
    args.push_back(user);
    return args;
  }

  Json Send(const std::string& to, const std::string& text) {
    Json r = alice_->Request({{"type", "msg.send"}, {"to", to}, {"text", text}});
    EXPECT_EQ("ok", r["type"]) << r.dump();
    return r;
  }

  // Messages of `conv` as alice's history holds them.
  std::vector<std::string> History(const std::string& conv) {
    Json h = alice_->Request({{"type", "history"}, {"conv", conv}, {"limit", 200}});
    std::vector<std::string> out;
    for (const Json& m : h["messages"]) out.push_back(m["text"]);
    return out;
  }

  std::unique_ptr<ServerProcess> server_;
  std::string url_;
  std::unique_ptr<net::BlockingClient> alice_;
};

TEST_F(Slchat, ScriptFromStdinPrintsEveryEventAsJson) {
  SlchatResult r = RunSlchat(Args({url_, "--json"}),
                             "/join lobby\n"
                             "hello from a script\n"
                             "/msg @alice psst\n");
  ASSERT_EQ(0, r.code) << r.err;
  std::vector<Json> lines;
  size_t start = 0, nl;
  while ((nl = r.out.find('\n', start)) != std::string::npos) {
    Json j = Json::parse(r.out.substr(start, nl - start), nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out.substr(start, nl - start);
    lines.push_back(j);
    start = nl + 1;
  }
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ("welcome", lines[0]["type"]);
  EXPECT_EQ("bob", lines[0]["user"]);
  auto find = [&](const std::function<bool(const Json&)>& pred) {
    for (const Json& j : lines) {
      if (pred(j)) return j;
    }
    return Json();
  };
  Json joined = find([](const Json& j) { return j.contains("members"); });
  EXPECT_EQ("#lobby", joined["conv"]);
  Json room_msg = find([](const Json& j) { return j["type"] == "msg" && j["conv"] == "#lobby"; });
  EXPECT_EQ("hello from a script", room_msg["text"]);
  EXPECT_EQ("bob", room_msg["from"]);
  Json dm = find([](const Json& j) { return j["type"] == "msg" && j["conv"] == "@alice,bob"; });
  EXPECT_EQ("psst", dm["text"]);
  EXPECT_EQ((std::vector<std::string>{"hello from a script"}), History("#lobby"));
  EXPECT_EQ("", r.err);
}

TEST_F(Slchat, ExecRunsCommandsAsText) {
  Send("#lobby", "earlier");
  SlchatResult r = RunSlchat(Args(
      {url_, "-e", "/join lobby", "-e", "hi all", "-e", "/history --limit 5", "-e", "/rooms"}));
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("joined #lobby: 2 members (alice, bob)")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("#lobby [1] <alice> earlier")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("#lobby [2] <bob> hi all")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("#lobby  2 members, joined")) << r.out;
  EXPECT_EQ(std::string::npos, r.out.find('\033'));  // no colours off a terminal
}

TEST_F(Slchat, JoinByKeyWithPasswordThenWhoConvsAndLeave) {
  Json created = alice_->Request(
      {{"type", "room.create"}, {"room", "hidden"}, {"private", true}, {"password", "pw"}});
  std::string key = created["join_key"];
  SlchatResult by_name = RunSlchat(Args({url_, "-e", "/join hidden"}));
  EXPECT_EQ(1, by_name.code);
  EXPECT_NE(std::string::npos, by_name.err.find("forbidden")) << by_name.err;
  SlchatResult r = RunSlchat(Args({url_, "-e", "/join " + key + " pw", "-e", "psst", "-e", "/who",
                                   "-e", "/convs", "-e", "/leave", "-e", "/rooms"}));
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("joined #hidden: 2 members")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("#hidden: alice (owner, online), bob (online)")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("#hidden  0 unread, last seq 1")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("left #hidden")) << r.out;
  // A private room one has left is no longer listed.
  std::string rooms = r.out.substr(r.out.find("left #hidden") + 12);
  EXPECT_NE(std::string::npos, rooms.find("#lobby  1 member\n")) << r.out;
  EXPECT_EQ(std::string::npos, rooms.find("#hidden")) << r.out;
  EXPECT_EQ((std::vector<std::string>{"psst"}), History("#hidden"));
}

TEST_F(Slchat, FailedCommandsReportOnStderrAndExitOne) {
  SlchatResult r = RunSlchat(Args({url_}), "/join nowhere\n/nosuch\n/join lobby\nstill here\n");
  EXPECT_EQ(1, r.code);
  EXPECT_NE(std::string::npos, r.err.find("slchat: error: room.join: not_found")) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("slchat: error: unknown command /nosuch")) << r.err;
  // The commands after the failures still ran.
  EXPECT_EQ((std::vector<std::string>{"still here"}), History("#lobby"));
}

// A line longer than the server's frame limit is refused by slchat (the server would close
// the connection with 1009 and end the session); blank lines are skipped; the script goes on.
TEST_F(Slchat, OverlongLinesAreRefusedAndTheScriptGoesOn) {
  std::string huge(2 * 1024 * 1024, 'c');
  SlchatResult r = RunSlchat(Args({url_}), "/join lobby\n" + huge + "\n   \n\t\nafter huge\n");
  EXPECT_EQ(1, r.code);
  EXPECT_NE(std::string::npos, r.err.find("too_large")) << r.err.substr(0, 500);
  EXPECT_EQ(std::string::npos, r.err.find("1009")) << r.err.substr(0, 500);
  EXPECT_EQ((std::vector<std::string>{"after huge"}), History("#lobby"));
  SlchatResult bad = RunSlchat(Args({url_, "-e", "/wait --timeout abc x"}), "", {}, 10000);
  EXPECT_EQ(1, bad.code);
  EXPECT_NE(std::string::npos, bad.err.find("--timeout takes a number")) << bad.err;
}

// /raw sends the request as written: the reply's re is the id the user gave.
TEST_F(Slchat, RawKeepsTheUsersId) {
  SlchatResult r = RunSlchat(Args({url_, "--json", "-e", R"(/raw {"type":"ping","id":"mine"})"}));
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find(R"({"re":"mine","type":"pong"})")) << r.out;
}

TEST_F(Slchat, UsageVersionAndHelp) {
  EXPECT_EQ(2, RunSlchat({}).code);
  SlchatResult no_target = RunSlchat({"send", url_});
  EXPECT_EQ(2, no_target.code);
  EXPECT_EQ(0u, no_target.err.rfind("slchat: error: ", 0)) << no_target.err;
  EXPECT_EQ(2, RunSlchat({url_, "--no-such-flag"}).code);
  EXPECT_EQ(2, RunSlchat({"ftp://x", "-u", "bob"}).code);
  EXPECT_EQ(2, RunSlchat({url_, "-u", "bob", "--key", "nokey"}).code);
  SlchatResult v = RunSlchat({"--version"});
  EXPECT_EQ(0, v.code);
  EXPECT_EQ(0u, v.out.rfind("slchat 0.", 0)) << v.out;
  SlchatResult h = RunSlchat({"--help"});
  EXPECT_EQ(0, h.code);
  for (const char* s : {"wait-for", "--json", "--exec", "Exit codes", "130"}) {
    EXPECT_NE(std::string::npos, h.out.find(s)) << s;
  }
  EXPECT_EQ(0, RunSlchat({"tail", "--help"}).code);
}

// http(s):// URLs reach the same port but are not WebSocket URLs: refused up front, with
// the ws:// or wss:// one to use instead, wherever the URL comes from.
TEST_F(Slchat, OnlyWebSocketUrlsAreTaken) {
  ASSERT_EQ(0u, url_.rfind("ws://", 0));
  std::string host = url_.substr(5);
  const std::string prefix = "slchat: error: the server URL must start with ws:// or wss://, not '";
  SlchatResult http = RunSlchat(Args({"http://" + host, "-e", "hello"}));
  EXPECT_EQ(2, http.code);
  EXPECT_EQ(0u, http.err.rfind(prefix + "http://" + host + "' (try ws://" + host + ")\n", 0))
      << http.err;
  SlchatResult https = RunSlchat(Args({"send", "https://" + host, "#lobby", "hello"}));
  EXPECT_EQ(2, https.code);
  EXPECT_EQ(0u, https.err.rfind(prefix + "https://" + host + "' (try wss://" + host + ")\n", 0))
      << https.err;
  SlchatResult env = RunSlchat(Args({"-e", "hello"}), "", {"SL_URL=http://" + host});
  EXPECT_EQ(2, env.code);
  EXPECT_NE(std::string::npos, env.err.find("(try ws://" + host + ")")) << env.err;
  SlchatResult other = RunSlchat(Args({"upload", "ftp://" + host, "#lobby", "/dev/null"}));
  EXPECT_EQ(2, other.code);
  EXPECT_NE(std::string::npos, other.err.find(prefix + "ftp://" + host + "'\n")) << other.err;
  // A ws:// URL that names no host or a bad port is a usage error too, not a failed connect.
  SlchatResult nohost = RunSlchat(Args({"ws://:8080", "-e", "/rooms"}));
  EXPECT_EQ(2, nohost.code) << nohost.err;
  EXPECT_NE(std::string::npos, nohost.err.find("URL has no host: 'ws://:8080'")) << nohost.err;
  EXPECT_TRUE(History("#lobby").empty());
}

TEST_F(Slchat, OneShotSendHistoryAndTail) {
  ASSERT_EQ("ok", alice_->Request({{"type", "room.join"}, {"room", "lobby"}})["type"]);
  SlchatResult s = RunSlchat(Args({"send", url_, "#lobby", "from the shell"}, "alice"));
  ASSERT_EQ(0, s.code) << s.err;
  EXPECT_EQ("", s.out);
  SlchatResult j = RunSlchat(Args({"send", url_, "#lobby", "--json"}, "alice"), "from stdin\n");
  ASSERT_EQ(0, j.code) << j.err;
  Json ok = Json::parse(j.out);
  EXPECT_EQ("ok", ok["type"]);
  EXPECT_EQ(2, ok["seq"]);
  Send("#lobby", "third");
  EXPECT_EQ((std::vector<std::string>{"from the shell", "from stdin", "third"}), History("#lobby"));

  SlchatResult h = RunSlchat(Args({"history", url_, "#lobby", "--json", "--limit", "2"}, "alice"));
  ASSERT_EQ(0, h.code) << h.err;
  Json h1 = Json::parse(h.out.substr(0, h.out.find('\n')));
  EXPECT_EQ("msg", h1["type"]);
  EXPECT_EQ("from stdin", h1["text"]);
  EXPECT_EQ(2, std::count(h.out.begin(), h.out.end(), '\n'));

  SlchatResult t = RunSlchat(Args({"tail", url_, "#lobby", "-n", "2"}, "alice"));
  ASSERT_EQ(0, t.code) << t.err;
  EXPECT_EQ(std::string::npos, t.out.find("from the shell"));
  EXPECT_NE(std::string::npos, t.out.find("[2] <alice> from stdin")) << t.out;
  EXPECT_NE(std::string::npos, t.out.find("[3] <alice> third")) << t.out;

  SlchatResult since = RunSlchat(Args({"tail", url_, "#lobby", "--since", "1", "--json"}, "alice"));
  ASSERT_EQ(0, since.code) << since.err;
  EXPECT_EQ(2, std::count(since.out.begin(), since.out.end(), '\n')) << since.out;

  // A conversation one is not in, or a bad one.
  SlchatResult forbidden = RunSlchat(Args({"history", url_, "#lobby"}, "eve"));
  EXPECT_EQ(1, forbidden.code);
  EXPECT_NE(std::string::npos, forbidden.err.find("slchat: error: forbidden")) << forbidden.err;
  EXPECT_EQ(2, RunSlchat(Args({"send", url_, "lobby", "x"})).code);  // not #ROOM or @USER
}

TEST_F(Slchat, TailFollowPrintsNewMessagesInOrder) {
  Send("#lobby", "before");
  SlchatProcess tail(Args({"tail", url_, "#lobby", "--since", "1", "--follow", "--json"}, "alice"));
  for (int i = 0; i < 5; ++i) Send("#lobby", "live " + std::to_string(i));
  ASSERT_TRUE(tail.WaitForOutput("live 4", 10000)) << tail.out() << tail.err();
  std::vector<Json> lines = tail.JsonLines();
  ASSERT_EQ(5u, lines.size());
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(static_cast<int>(i) + 2, lines[i]["seq"]);
  tail.Signal(SIGINT);
  EXPECT_EQ(130, tail.Wait(5000));
}

TEST_F(Slchat, WaitForMatchesEventsOrTimesOut) {
  Send("#lobby", "deploy finished: v42");
  SlchatResult found = RunSlchat(Args(
      {"wait-for", url_, "deploy (done|finished)", "--conv", "#lobby", "--since", "0"}, "alice"));
  EXPECT_EQ(0, found.code) << found.err;
  EXPECT_NE(std::string::npos, found.out.find("<alice> deploy finished: v42")) << found.out;

  // Live: started before the event, matched against the JSON.
  SlchatProcess waiter(Args({"wait-for", url_, "\"text\":\"ready [0-9]+\"", "--json", "--conv",
                             "#lobby", "--since", "1", "--timeout", "20"},
                            "alice"));
  Send("#lobby", "not yet");
  Send("#lobby", "ready 7");
  EXPECT_EQ(0, waiter.Wait(20000)) << waiter.err();
  EXPECT_EQ("ready 7", Json::parse(waiter.out())["text"]);

  SlchatResult timeout = RunSlchat(Args({"wait-for", url_, "never", "--timeout", "0.5"}));
  EXPECT_EQ(1, timeout.code);
  EXPECT_NE(std::string::npos, timeout.err.find("slchat: error: timed out")) << timeout.err;
  EXPECT_EQ(2, RunSlchat(Args({"wait-for", url_, "(unclosed"})).code);
}

TEST_F(Slchat, ConnectionFailuresExitOne) {
  // A port nobody listens on: the server's, after it stopped.
  auto other = ServerProcess::Start();
  ASSERT_TRUE(other);
  std::string dead = other->url();
  other->Stop(SIGTERM);
  SlchatResult r = RunSlchat(Args({dead, "-e", "/rooms"}));
  EXPECT_EQ(1, r.code);
  EXPECT_NE(std::string::npos, r.err.find("slchat: error: cannot connect to " + dead)) << r.err;
  EXPECT_EQ(1, RunSlchat(Args({"send", dead, "#lobby", "x"})).code);
}

const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";

std::string Token(const std::string& user) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  return auth::SignHs256(kSecret, Json{{"sub", user}, {"exp", now + 3600}}.dump());
}

TEST(SlchatAuth, TokensFromFlagOrEnvironment) {
  auto server = ServerProcess::Start({"--jwt-secret", kSecret});
  ASSERT_TRUE(server);
  SlchatResult flag = RunSlchat({server->url(), "--token", Token("alice"), "-e", "/create t"});
  EXPECT_EQ(0, flag.code) << flag.err;
  SlchatResult env =
      RunSlchat({"send", server->url(), "#t", "hi"}, "", {"SL_TOKEN=" + Token("alice")});
  EXPECT_EQ(0, env.code) << env.err;
  // A user name is not enough for a JWT server, and the close code forbids retrying.
  SlchatResult open = RunSlchat({server->url(), "-u", "alice", "-e", "/rooms"});
  EXPECT_EQ(1, open.code);
  EXPECT_NE(std::string::npos, open.err.find("slchat: error: authentication failed")) << open.err;
}

TEST(SlchatAuth, RevokedSessionIsNotRetried) {
  const std::string admin = "admin-key-for-tests-0123";
  auto server = ServerProcess::Start({"--admin-key", admin});
  ASSERT_TRUE(server);
  SlchatProcess chat({server->url(), "-u", "bob", "--json"});
  ASSERT_TRUE(chat.WaitForOutput("\"welcome\"", 10000)) << chat.err();
  HttpResult r =
      HttpRequest(server->http_url(), "POST", "/api/v1/disconnect", Json{{"user", "bob"}}.dump(),
                  {"X-Admin-Key: " + admin, "Content-Type: application/json"});
  ASSERT_EQ(200, r.status) << r.body;
  EXPECT_EQ(1, chat.Wait(10000));
  EXPECT_NE(std::string::npos, chat.err().find("disconnected by the server (4003")) << chat.err();
}

TEST(SlchatTls, VerifiesCertificatesUnlessInsecure) {
  TempDir dir;
  auto server = StartTlsServer(dir);
  ASSERT_TRUE(server);
  ASSERT_EQ(0u, server->url().rfind("wss://", 0));
  std::vector<std::string> cmd = {"-u", "alice", "-e", "/create secure", "-e", "over tls"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {server->url()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), cmd.begin(), cmd.end());
    return RunSlchat(args);
  };
  SlchatResult unverified = with({});
  EXPECT_EQ(1, unverified.code);
  EXPECT_NE(std::string::npos, unverified.err.find("cannot connect")) << unverified.err;
  EXPECT_NE(std::string::npos, unverified.err.find("--ca FILE, or -k")) << unverified.err;
  SlchatResult ca = with({"--ca", dir.File("cert.pem")});
  EXPECT_EQ(0, ca.code) << ca.err;
  cmd = {"-u", "alice", "-e", "/join secure", "-e", "again"};
  SlchatResult insecure = with({"--insecure"});
  EXPECT_EQ(0, insecure.code) << insecure.err;
  auto alice = Login(*server, "alice");
  ASSERT_TRUE(alice);
  Json h = alice->Request({{"type", "history"}, {"conv", "#secure"}});
  ASSERT_EQ(2u, h["messages"].size()) << h.dump();
  EXPECT_EQ("over tls", h["messages"][0]["text"]);
}

}  // namespace
}  // namespace smartlink::testing

#endif  // SLCHAT_PATH
