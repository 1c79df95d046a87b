// The server process: TLS, start-up refusals, /health, SIGTERM, and durability across kill -9.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "e2e/server_process.h"
#include "e2e/test_certs.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

// Runs slserver with `args` expecting it to refuse to start; returns its stderr.
std::string StartupError(const std::string& args, int* exit_code) {
  TempDir dir;
  std::string cmd = std::string(SLSERVER_PATH) + " --data " + dir.File("data") + " " + args +
                    " 2>" + dir.File("err") + " >/dev/null";
  int status = system(cmd.c_str());
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  FILE* f = fopen(dir.File("err").c_str(), "r");
  std::string out;
  if (f) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    fclose(f);
  }
  return out;
}

TEST(Server, ChatOverWss) {
  TempDir dir;
  auto server = StartTlsServer(dir);
  ASSERT_TRUE(server);
  ASSERT_EQ(0u, server->url().rfind("wss://127.0.0.1:", 0)) << server->url();
  // Verified against the generated certificate as CA.
  net::ClientOptions verified;
  verified.ca_file = dir.File("cert.pem");
  auto alice = Login(*server, "alice", verified);
  auto bob = Login(*server, "bob");
  ASSERT_TRUE(alice && bob);
  alice->Request({{"type", "room.create"}, {"room", "secure"}});
  bob->Request({{"type", "room.join"}, {"room", "secure"}});
  Json r = alice->Request({{"type", "msg.send"}, {"to", "#secure"}, {"text", "over tls"}});
  EXPECT_EQ("ok", r["type"]);
  EXPECT_EQ("over tls", bob->WaitForType("msg")["text"]);
  Json d = bob->Request({{"type", "msg.send"}, {"to", "@alice"}, {"text", "dm over tls"}});
  EXPECT_EQ("@alice,bob", d["conv"]);
  Json dm = alice->WaitFor([](const Json& j) { return j.value("conv", "") == "@alice,bob"; });
  EXPECT_EQ("dm over tls", dm["text"]);
  // HTTPS on the same port.
  HttpResult h = HttpRequest(server->http_url(), "GET", "/health");
  EXPECT_EQ(200, h.status);
  // A client that verifies against the system CAs refuses the self-signed certificate.
  net::ClientOptions strict;
  strict.url = server->ws_url();
  EXPECT_FALSE(net::BlockingClient::Connect(strict).ok());
}

// A wss:// session ends as soon as its close handshake and TLS close_notify exchange are
// done, not when websocketpp's 5 s shutdown timer fires (libcore/net/lean_tls.h).
TEST(Server, ClosedWssSessionEndsPromptly) {
  TempDir dir;
  auto server = StartTlsServer(dir);
  ASSERT_TRUE(server);
  auto health = [&] { return Json::parse(HttpRequest(server->http_url(), "GET", "/health").body); };
  for (int round = 0; round < 3; ++round) {
    auto alice = Login(*server, "alice");
    ASSERT_TRUE(alice);
    ASSERT_EQ(1, health()["connections"]);
    alice->Close(1000);
    EXPECT_EQ(1000, alice->WaitClosed(5000));
    auto start = std::chrono::steady_clock::now();
    int64_t open = -1;
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
      open = health()["connections"];
      if (open == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(0, open) << "round " << round << ": the closed session is still held";
    EXPECT_EQ(0, health()["users_online"]);
  }
}

// With a certificate the port serves plain ws:// and http:// clients too, told apart by
// their first byte; --tls-only refuses them (libcore/net/lean_tls.h).
TEST(Server, PlainAndTlsClientsShareThePort) {
  TempDir dir;
  auto server = StartTlsServer(dir);
  ASSERT_TRUE(server);
  std::string plain = "ws://" + server->url().substr(std::string("wss://").size());
  auto tls = Login(*server, "alice");
  auto clear = Connect(plain + "/ws");
  ASSERT_TRUE(tls && clear);
  EXPECT_EQ("welcome", clear->Request({{"type", "auth"}, {"user", "bob"}})["type"]);
  tls->Request({{"type", "room.create"}, {"room", "mixed"}});
  EXPECT_EQ("ok", clear->Request({{"type", "room.join"}, {"room", "mixed"}})["type"]);
  Json r = clear->Request({{"type", "msg.send"}, {"to", "#mixed"}, {"text", "in the clear"}});
  EXPECT_EQ("ok", r["type"]) << r.dump();
  EXPECT_EQ("in the clear", tls->WaitForType("msg")["text"]);
  tls->Request({{"type", "msg.send"}, {"to", "#mixed"}, {"text", "over tls"}});
  EXPECT_EQ("over tls", clear->WaitFor([](const Json& j) {
    return j.value("text", "") == "over tls";
  })["text"]);
  HttpResult h = HttpRequest("http://" + plain.substr(5), "GET", "/health");
  EXPECT_EQ(200, h.status);
  EXPECT_EQ(2, Json::parse(h.body)["connections"]);
  EXPECT_EQ(200, HttpRequest(server->http_url(), "GET", "/health").status);

  TempDir strict_dir;
  auto strict = StartTlsServer(strict_dir, {"--tls-only"});
  ASSERT_TRUE(strict);
  std::string strict_plain = "ws://" + strict->url().substr(std::string("wss://").size());
  net::ClientOptions o;
  o.url = strict_plain + "/ws";
  EXPECT_FALSE(net::BlockingClient::Connect(o).ok());
  EXPECT_NE(200, HttpRequest("http://" + strict_plain.substr(5), "GET", "/health").status);
  EXPECT_TRUE(Login(*strict, "carol"));
}

// A misspelt key in --config must not start a server without it (a misspelt
// jwt-secret-file used to start an open one), and two servers never share a data directory.
TEST(Server, RefusesUnknownConfigKeysAndASecondServerOnTheSameData) {
  TempDir dir;
  WriteFile(dir.File("typo.toml"), "listen = \"127.0.0.1:0\"\njwt-secert-file = \"/x\"\n");
  int code = 0;
  std::string err = StartupError("--config " + dir.File("typo.toml"), &code);
  EXPECT_EQ(2, code) << err;
  EXPECT_NE(std::string::npos, err.find("jwt-secert-file")) << err;
  WriteFile(dir.File("good.toml"), "listen = \"127.0.0.1:0\"\nrate = 0\n");
  EXPECT_EQ(0, system((std::string(SLSERVER_PATH) + " --config " + dir.File("good.toml") +
                       " --help >/dev/null")
                          .c_str()));

  auto first = ServerProcess::Start({});
  ASSERT_TRUE(first);
  err = StartupError("--listen 127.0.0.1:0 --data " + first->data_dir(), &code);
  EXPECT_EQ(1, code) << err;
  EXPECT_NE(std::string::npos, err.find("another slserver is using the data directory")) << err;
  EXPECT_TRUE(Login(*first, "alice"));
  // The lock goes with the process: after it, a server starts on the same data.
  first->Stop(SIGKILL);
  auto second = ServerProcess::Start({}, first->data_dir());
  EXPECT_TRUE(second);
}

TEST(Server, RefusesBadCertificateShortSecretAndPortInUse) {
  TempDir dir;
  WriteFile(dir.File("junk.pem"), "not a certificate\n");
  int code = 0;
  std::string err = StartupError("--listen 127.0.0.1:0 --tls-cert " + dir.File("junk.pem") +
                                     " --tls-key " + dir.File("junk.pem"),
                                 &code);
  EXPECT_EQ(1, code);
  EXPECT_NE(std::string::npos, err.find("certificate")) << err;

  err = StartupError("--listen 127.0.0.1:0 --jwt-secret short", &code);
  EXPECT_EQ(1, code);
  EXPECT_NE(std::string::npos, err.find("32")) << err;

  auto server = ServerProcess::Start();
  ASSERT_TRUE(server);
  std::string port = server->url().substr(server->url().rfind(':') + 1);
  err = StartupError("--listen 127.0.0.1:" + port, &code);
  EXPECT_EQ(1, code);
  EXPECT_NE(std::string::npos, err.find("in use")) << err;

  err = StartupError("--listen nonsense", &code);
  EXPECT_NE(0, code);

  err = StartupError("--listen 127.0.0.1:0 --commit-interval soon", &code);
  EXPECT_EQ(1, code);
  EXPECT_NE(std::string::npos, err.find("--commit-interval must be auto or a duration")) << err;

  err = StartupError("--listen 127.0.0.1:0 --coalesce 2s", &code);
  EXPECT_EQ(1, code);
  EXPECT_NE(std::string::npos, err.find("--coalesce must be a duration from 0 to 1s")) << err;

  err = StartupError("--listen 127.0.0.1:0 --wal-restart 100KiB", &code);
  EXPECT_EQ(1, code);
  EXPECT_NE(std::string::npos, err.find("--wal-restart must be a size from 1MiB to 64GiB")) << err;

  err = StartupError("--listen 127.0.0.1:0 --ring-timeout 0", &code);
  EXPECT_EQ(1, code);
  EXPECT_NE(std::string::npos, err.find("--ring-timeout must be a duration from 1s to 1h")) << err;

  // What the flag parser itself refuses is a usage error: exit 2, as slchat and slbench.
  err = StartupError("--listen 127.0.0.1:0 --no-such-flag", &code);
  EXPECT_EQ(2, code);
  EXPECT_NE(std::string::npos, err.find("--no-such-flag")) << err;
  err = StartupError("--listen 127.0.0.1:0 --sync sometimes", &code);
  EXPECT_EQ(2, code);
}

TEST(Server, HealthReportsVersionAndStorage) {
  auto server = ServerProcess::Start();
  ASSERT_TRUE(server);
  auto c = Login(*server, "alice");
  HttpResult h = HttpRequest(server->http_url(), "GET", "/health");
  ASSERT_EQ(200, h.status);
  Json body = Json::parse(h.body);
  EXPECT_EQ("ok", body["status"]);
  EXPECT_EQ("ok", body["storage"]);
  EXPECT_EQ(1, body["connections"]);
  EXPECT_TRUE(body.contains("version"));
  EXPECT_TRUE(body.contains("uptime_s"));
  EXPECT_EQ(404, HttpRequest(server->http_url(), "GET", "/nope").status);
  // Each response ends its connection, and says so (a keep-alive client would otherwise
  // send its next request into the close).
  EXPECT_NE(std::string::npos, h.headers.find("Connection: close")) << h.headers;
  HttpResult wrong = HttpRequest(server->http_url(), "DELETE", "/health");
  EXPECT_EQ(405, wrong.status);
  EXPECT_NE(std::string::npos, wrong.headers.find("Allow: GET, HEAD")) << wrong.headers;
  // websocketpp reads no chunked body: refused, rather than taken as empty.
  HttpResult chunked = HttpRequest(server->http_url(), "POST", "/api/v1/read?user=alice",
                                   R"({"conv":"#r","seq":1})", {"Transfer-Encoding: chunked"});
  EXPECT_EQ(411, chunked.status) << chunked.body;
}

TEST(Server, SigtermClosesSessionsWith1001AndExitsZero) {
  auto server = ServerProcess::Start();
  ASSERT_TRUE(server);
  auto alice = Login(*server, "alice");
  ASSERT_TRUE(alice);
  alice->Request({{"type", "room.create"}, {"room", "r"}});
  // Pipelined sends right before the signal are still acknowledged.
  for (int i = 0; i < 20; ++i) {
    alice->Send({{"type", "msg.send"}, {"id", i}, {"to", "#r"}, {"text", std::to_string(i)}});
  }
  // Once the ping is answered the server has read every send before it.
  ASSERT_EQ("pong", alice->Request({{"type", "ping"}, {"id", "p"}})["type"]);
  EXPECT_EQ(0, server->Stop(SIGTERM));
  int acks = 0;
  for (const Json& e : alice->Drain(200)) acks += e.value("type", "") == "ok" && e.contains("seq");
  EXPECT_EQ(1001, alice->WaitClosed(3000));
  EXPECT_EQ(20, acks);
}

// Sends that race a SIGTERM are each either acknowledged or refused (unavailable), and
// only acknowledged ones are stored: a send stored but never acknowledged would be sent
// again by its client and stored twice.
TEST(Server, SendsRacingSigtermAreAcknowledgedOrRefusedNeverStoredSilently) {
  auto server = ServerProcess::Start({"--rate", "0"});
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<net::BlockingClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(Login(*server, "u" + std::to_string(i)));
    ASSERT_TRUE(clients.back());
    clients.back()->Request(
        {{"type", i == 0 ? "room.create" : "room.join"}, {"room", "r"}, {"id", "j"}});
  }
  auto send = [&](int from, int to) {
    for (int k = from; k < to; ++k) {
      for (size_t i = 0; i < clients.size(); ++i) {
        std::string tag = std::to_string(i) + "-" + std::to_string(k);
        clients[i]->Send({{"type", "msg.send"}, {"id", tag}, {"to", "#r"}, {"text", tag}});
      }
    }
  };
  send(0, 150);
  kill(server->pid(), SIGTERM);
  send(150, 300);
  EXPECT_EQ(0, server->Stop(0));  // waits for the exit the SIGTERM began
  std::set<std::string> acked;
  int refused = 0;
  for (auto& c : clients) {
    for (const Json& e : c->Drain(100)) {
      if (e.value("type", "") == "ok" && e.contains("seq"))
        acked.insert(e["re"].get<std::string>());
      if (e.value("code", "") == "unavailable") refused++;
    }
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(SQLITE_OK, sqlite3_open((server->data_dir() + "/smartlink.db").c_str(), &db));
  std::set<std::string> stored;
  sqlite3_exec(
      db, "SELECT text FROM messages",
      [](void* out, int, char** v, char**) {
        static_cast<std::set<std::string>*>(out)->insert(v[0] ? v[0] : "");
        return 0;
      },
      &stored, nullptr);
  sqlite3_close(db);
  for (const std::string& s : stored)
    EXPECT_TRUE(acked.count(s)) << s << " stored, never acknowledged";
  for (const std::string& a : acked)
    EXPECT_TRUE(stored.count(a)) << a << " acknowledged, not stored";
  EXPECT_GT(acked.size(), 0u);
  RecordProperty("acked", static_cast<int>(acked.size()));
  RecordProperty("refused", refused);
}

// Every acknowledged message survives kill -9: senders pipeline messages, the server is
// killed at a random moment, and after a restart history holds every acked seq exactly once.
TEST(Server, AcknowledgedMessagesSurviveKill9) {
  auto server = ServerProcess::Start({"--sync", "full"});
  ASSERT_TRUE(server);
  auto owner = Login(*server, "owner");
  ASSERT_TRUE(owner);
  for (const char* room : {"r1", "r2"}) {
    ASSERT_EQ("ok", owner->Request({{"type", "room.create"}, {"room", room}})["type"]);
  }
  owner.reset();
  std::mt19937 rng(std::random_device{}());
  std::vector<std::unique_ptr<net::BlockingClient>> senders;
  for (int s = 0; s < 3; ++s) {
    senders.push_back(Login(*server, "sender" + std::to_string(s)));
    ASSERT_TRUE(senders.back());
    for (const char* room : {"r1", "r2"}) {
      senders.back()->Request({{"type", "room.join"}, {"room", room}});
    }
  }
  for (int i = 0; i < 300; ++i) {
    for (size_t s = 0; s < senders.size(); ++s) {
      std::string room = (i % 2) ? "#r1" : "#r2";
      senders[s]->Send({{"type", "msg.send"},
                        {"id", i},
                        {"to", room},
                        {"text", "s" + std::to_string(s) + "-" + std::to_string(i)}});
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 150));
  server->Stop(SIGKILL);
  // Acknowledged: conv -> seq -> text.
  std::map<std::string, std::map<int64_t, std::string>> acked;
  size_t total = 0;
  for (size_t s = 0; s < senders.size(); ++s) {
    for (const Json& e : senders[s]->Drain(100)) {
      if (e.value("type", "") != "ok" || !e.contains("seq")) continue;
      int i = e["re"];
      std::string text = "s" + std::to_string(s) + "-" + std::to_string(i);
      acked[e["conv"]][e["seq"]] = text;
      ++total;
    }
  }
  senders.clear();
  ASSERT_TRUE(server->Restart());
  auto reader = Login(*server, "sender0");
  ASSERT_TRUE(reader);
  for (const auto& [conv, msgs] : acked) {
    std::map<int64_t, std::string> stored;
    int64_t after = 0;
    for (;;) {
      Json h =
          reader->Request({{"type", "history"}, {"conv", conv}, {"after", after}, {"limit", 200}});
      ASSERT_EQ("ok", h["type"]);
      if (h["messages"].empty()) break;
      for (const Json& m : h["messages"]) {
        EXPECT_EQ(after + 1, m["seq"]) << "gap in " << conv;
        after = m["seq"];
        EXPECT_TRUE(stored.emplace(after, m["text"]).second) << "duplicate seq";
      }
    }
    for (const auto& [seq, text] : msgs) {
      auto it = stored.find(seq);
      ASSERT_NE(it, stored.end()) << conv << " lost acknowledged seq " << seq;
      EXPECT_EQ(text, it->second);
    }
  }
  RecordProperty("acknowledged", static_cast<int>(total));
}

}  // namespace
}  // namespace smartlink::testing
