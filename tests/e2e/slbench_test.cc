// slbench against the real slserver: small scenarios whose JSON reports must show every
// message acknowledged and delivered once and in order, and exit codes that gate CI. The
// servers run without a request rate limit (--rate 0), as for any load test.

#ifdef SLBENCH_PATH

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/server_process.h"
#include "e2e/test_certs.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

struct Outcome {
  int code = -1;
  std::string out, err;
};

// Runs slbench with `args`; stdout and stderr go through files in `dir`.
Outcome RunSlbench(const TempDir& dir, const std::vector<std::string>& args) {
  std::string out = dir.File("stdout"), err = dir.File("stderr");
  // Made before fork: the child of a threaded process only makes async-signal-safe calls.
  std::vector<std::string> argv = {SLBENCH_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> a;
  for (auto& s : argv) a.push_back(s.data());
  a.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) _exit(127);
    dup2(o, 1);
    dup2(e, 2);
    execv(a[0], a.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  Outcome r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

Json ReadJson(const std::string& path) {
  Json j = Json::parse(ReadFile(path), nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "no JSON report at " << path;
  return j;
}

std::string WriteScenario(const TempDir& dir, const Json& scenario) {
  std::string path = dir.File("scenario.json");
  std::ofstream(path) << scenario.dump(2);
  return path;
}

// Every message offered was sent, every delivery arrived, once and in order. (A message
// offered late in one phase may go out in the next, on a slow machine or under a sanitizer:
// the counts are compared over the run.)
void ExpectComplete(const Json& report) {
  uint64_t delivered = report["drain"]["delivered"];
  uint64_t expected = 0;
  uint64_t offered = 0;
  uint64_t sent = 0;
  for (const Json& p : report["phases"]) {
    offered += p["messages"]["offered"].get<uint64_t>();
    sent += p["messages"]["sent"].get<uint64_t>();
    delivered += p["messages"]["delivered"].get<uint64_t>();
    expected += p["messages"]["expected_deliveries"].get<uint64_t>();
    EXPECT_EQ(0, p["integrity"]["lost"]) << p["name"];
    EXPECT_EQ(0, p["integrity"]["duplicated"]) << p["name"];
    EXPECT_EQ(0, p["integrity"]["out_of_order"]) << p["name"];
    EXPECT_TRUE(p["errors"].empty()) << p["errors"].dump();
    EXPECT_EQ(0, p["connections"]["failed"]) << p["name"];
  }
  EXPECT_EQ(offered, sent);
  EXPECT_EQ(expected, delivered);
  EXPECT_EQ(0, report["totals"]["lost"]);
  EXPECT_EQ(0, report["totals"]["receivers_with_issues"]);
}

TEST(Slbench, SmallScenarioDeliversEveryMessageOnceInOrder) {
  auto server = ServerProcess::Start({"--rate", "0"});
  ASSERT_TRUE(server);
  TempDir dir;
  // Connections first (a ramp, no traffic), then two seconds of traffic.
  std::string scenario =
      WriteScenario(dir, {{"rooms", 2},
                          {"connections", 10},
                          {"publishers", 2},
                          {"rate", 200},
                          {"direct_rate", 20},
                          {"ping_rate", 20},
                          {"message_size", 100},
                          {"phases", Json::array({{{"name", "ramp"},
                                                   {"duration", "1s"},
                                                   {"ramp", "500ms"},
                                                   {"rate", 0},
                                                   {"direct_rate", 0},
                                                   {"ping_rate", 0},
                                                   {"warmup", true}},
                                                  {{"name", "main"}, {"duration", "2s"}}})}});
  Outcome r = RunSlbench(dir, {scenario, "--url", server->ws_url(), "--json", dir.File("r.json"),
                               "--csv", dir.File("r.csv"), "--plot", dir.File("r.svg"),
                               "--max-lost", "0", "--max-errors", "0"});
  ASSERT_EQ(0, r.code) << r.out << r.err;
  Json report = ReadJson(dir.File("r.json"));
  ExpectComplete(report);
  const Json& main = report["phases"][1];
  EXPECT_EQ("main", main["name"]);
  EXPECT_EQ(10, main["connections"]["ready_at_end"]);
  // 200 room messages/s and 20 direct messages/s for 2 s, answered in full.
  EXPECT_EQ(440, main["messages"]["offered"]);
  EXPECT_EQ(0, report["phases"][0]["messages"]["offered"]);
  const Json& drained = report["drain"]["requests"];
  EXPECT_EQ(440, main["messages"]["acknowledged"].get<uint64_t>() +
                     drained.value("room", Json::object()).value("answered", 0) +
                     drained.value("direct", Json::object()).value("answered", 0));
  EXPECT_EQ(40, main["requests"]["ping"]["offered"]);
  EXPECT_GT(main["delivery_ms"]["count"].get<uint64_t>(), 0u);
  EXPECT_TRUE(report["passed"]);
  EXPECT_NE(std::string::npos, r.out.find("phase main"));
  EXPECT_NE(std::string::npos, r.out.find("PASS"));
  EXPECT_EQ(std::string::npos, r.out.find("\x1b[")) << "colours on a pipe";
  EXPECT_EQ("", r.err);  // no progress line when stderr is not a terminal
  EXPECT_EQ(0u, ReadFile(dir.File("r.svg")).find("<svg"));
  EXPECT_EQ(0u, ReadFile(dir.File("r.csv")).find("phase,warmup,"));
}

// Connections closed in one phase and opened again in a later one: the deliveries of both
// sessions are counted as due and as received (the later session used to drop the earlier
// one's record, so more arrived than was expected and gaps went unseen).
TEST(Slbench, ConnectionsOpenedAgainKeepTheEarlierSessionsCount) {
  auto server = ServerProcess::Start({"--rate", "0"});
  ASSERT_TRUE(server);
  TempDir dir;
  std::string scenario = WriteScenario(
      dir,
      {{"rooms", 1},
       {"publishers", 1},
       {"rate", 20},
       {"direct_rate", 10},
       {"phases", Json::array({{{"name", "up"}, {"connections", 6}, {"duration", "1s"}},
                               {{"name", "down"}, {"connections", 2}, {"duration", "1s"}},
                               {{"name", "again"}, {"connections", 6}, {"duration", "1s"}}})}});
  Outcome r = RunSlbench(
      dir, {scenario, "--url", server->ws_url(), "--json", dir.File("r.json"), "--max-lost", "0"});
  ASSERT_EQ(0, r.code) << r.out << r.err;
  Json report = ReadJson(dir.File("r.json"));
  ExpectComplete(report);
  EXPECT_EQ(4, report["phases"][2]["connections"]["made"]) << report["phases"][2].dump();
}

TEST(Slbench, UnmetThresholdExitsOne) {
  auto server = ServerProcess::Start({"--rate", "0"});
  ASSERT_TRUE(server);
  TempDir dir;
  Outcome r = RunSlbench(dir, {"smoke", "--url", server->ws_url(), "--set", "phases.0.duration=1s",
                               "--max-p99", "1ns", "--json", dir.File("r.json")});
  EXPECT_EQ(1, r.code) << r.out << r.err;
  EXPECT_NE(std::string::npos, r.err.find("slbench: error: threshold not met: p99")) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("FAIL"));
  Json report = ReadJson(dir.File("r.json"));
  EXPECT_FALSE(report["passed"]);
  EXPECT_EQ(0, report["totals"]["lost"]);
}

TEST(Slbench, TokensMintedFromTheSecret) {
  const std::string secret = "slbench-e2e-secret-0123456789abcdef";
  auto server = ServerProcess::Start({"--jwt-secret", secret, "--rate", "0"});
  ASSERT_TRUE(server);
  TempDir dir;
  Outcome r = RunSlbench(dir, {"smoke", "--url", server->ws_url(), "--jwt-secret", secret, "--set",
                               "phases.0.duration=1s", "--json", dir.File("r.json")});
  ASSERT_EQ(0, r.code) << r.out << r.err;
  ExpectComplete(ReadJson(dir.File("r.json")));
  // Open mode against a JWT server is refused, and said so.
  r = RunSlbench(dir, {"smoke", "--url", server->ws_url(), "--set", "phases.0.duration=500ms"});
  EXPECT_EQ(1, r.code);
  EXPECT_NE(std::string::npos, r.out.find("auth refused: unauthenticated")) << r.out;
}

// Connections the server drops in one phase are opened again when the next one begins: here
// their two-second tokens expire (close 4003), so every phase starts with its 4 connections.
TEST(Slbench, ConnectionsDroppedInAPhaseAreOpenedAgainInTheNext) {
  const std::string secret = "slbench-e2e-secret-0123456789abcdef";
  auto server = ServerProcess::Start({"--jwt-secret", secret, "--jwt-leeway", "0s", "--rate", "0"});
  ASSERT_TRUE(server);
  TempDir dir;
  std::string scenario = WriteScenario(
      dir, {{"rooms", 1},
            {"auth", {{"mode", "token"}, {"ttl", "2s"}}},
            {"phases", Json::array({{{"name", "one"}, {"connections", 4}, {"duration", "4s"}},
                                    {{"name", "two"}, {"connections", 4}, {"duration", "1s"}}})}});
  Outcome r = RunSlbench(dir, {scenario, "--url", server->ws_url(), "--jwt-secret", secret,
                               "--json", dir.File("r.json")});
  ASSERT_EQ(0, r.code) << r.out << r.err;
  Json report = ReadJson(dir.File("r.json"));
  const Json& one = report["phases"][0]["connections"];
  const Json& two = report["phases"][1]["connections"];
  EXPECT_EQ(4, one["made"]) << one;
  EXPECT_EQ(4, one["dropped"]) << one;
  EXPECT_EQ(0, one["reopened"]) << one;
  EXPECT_EQ(4, two["reopened"]) << two;
  EXPECT_EQ(4, two["made"]) << two;
  EXPECT_NE(std::string::npos, r.out.find("4 of them opened again")) << r.out;
}

TEST(Slbench, ReconnectStormCatchesUpWithoutLoss) {
  auto server = ServerProcess::Start({"--rate", "0"});
  ASSERT_TRUE(server);
  TempDir dir;
  std::string scenario = WriteScenario(
      dir,
      {{"rooms", 3},
       {"connections", 30},
       {"rate", 150},
       {"direct_rate", 10},
       {"phases", Json::array({{{"name", "connect"},
                                {"duration", "2s"},
                                {"rate", 0},
                                {"direct_rate", 0},
                                {"warmup", true}},
                               {{"name", "steady"}, {"duration", "1s"}},
                               {{"name", "storm"}, {"duration", "2s"}, {"reconnect", true}}})}});
  Outcome r = RunSlbench(
      dir, {scenario, "--url", server->ws_url(), "--json", dir.File("r.json"), "--threads", "2"});
  ASSERT_EQ(0, r.code) << r.out << r.err;
  Json report = ReadJson(dir.File("r.json"));
  ExpectComplete(report);
  const Json storm = report["phases"][2].value("reconnect", Json::object());
  EXPECT_EQ(30, storm.value("started", 0)) << storm.dump();
  EXPECT_EQ(30, storm.value("caught_up", 0)) << storm.dump();
}

TEST(Slbench, WssVerifiedWithCaFileCarriesMessagesAndFiles) {
  TempDir dir;
  auto server = StartTlsServer(dir, {"--rate", "0"});
  ASSERT_TRUE(server);
  ASSERT_EQ(0u, server->ws_url().find("wss://"));
  std::string scenario = WriteScenario(dir, {{"rooms", 1},
                                             {"connections", 3},
                                             {"rate", 20},
                                             {"file_rate", 1},
                                             {"file_size", "300KiB"},
                                             {"phases", Json::array({{{"duration", "2s"}}})}});
  Outcome r = RunSlbench(dir, {scenario, "--url", server->ws_url(), "--ca-file",
                               dir.File("cert.pem"), "--json", dir.File("r.json")});
  ASSERT_EQ(0, r.code) << r.out << r.err;
  Json report = ReadJson(dir.File("r.json"));
  ExpectComplete(report);
  const Json& files = report["phases"][0]["files"];
  EXPECT_EQ(2, files["uploaded"]);
  EXPECT_EQ(2, files["downloaded"]);
  EXPECT_EQ(2 * 300 * 1024, files["downloaded_bytes"]);
  EXPECT_EQ(0, files["corrupt"]);
}

TEST(Slbench, ChurnCountsHandshakes) {
  auto server = ServerProcess::Start({"--rate", "0"});
  ASSERT_TRUE(server);
  TempDir dir;
  Outcome r = RunSlbench(dir, {"setup", "--url", server->ws_url(), "--set", "churn=4", "--set",
                               "phases.0.duration=300ms", "--set", "phases.1.duration=1s", "--json",
                               dir.File("r.json")});
  ASSERT_EQ(0, r.code) << r.out << r.err;
  Json report = ReadJson(dir.File("r.json"));
  const Json& main = report["phases"][1];
  EXPECT_GT(main["churn"]["handshakes"].get<uint64_t>(), 4u);
  EXPECT_EQ(0, main["churn"]["failed"]);
}

TEST(Slbench, NoServerIsARuntimeFailure) {
  TempDir dir;
  Outcome r = RunSlbench(dir, {"smoke", "--url", "ws://127.0.0.1:1/ws", "--set",
                               "phases.0.duration=300ms", "--set", "drain=1s"});
  EXPECT_EQ(1, r.code) << r.out << r.err;
  EXPECT_NE(std::string::npos, r.err.find("slbench: error: no connection to ws://127.0.0.1:1/ws"))
      << r.err;
}

// A server that refuses every connection is not waited out phase by phase: the run stops
// once nothing has got through for a second, and the report says which phases never ran.
TEST(Slbench, ARefusingServerStopsTheRunEarly) {
  TempDir dir;
  for (const char* preset : {"echo", "setup"}) {
    SCOPED_TRACE(preset);
    Outcome r =
        RunSlbench(dir, {preset, "--url", "ws://127.0.0.1:1/ws", "--set", "phases.0.duration=5s",
                         "--set", "phases.1.duration=60s", "--json", dir.File("r.json")});
    EXPECT_EQ(1, r.code) << r.out << r.err;
    EXPECT_NE(std::string::npos, r.out.find("stopped early")) << r.out;
    Json report = ReadJson(dir.File("r.json"));
    EXPECT_EQ(true, report["stopped_early"]);
    EXPECT_EQ(false, report["interrupted"]);
    EXPECT_EQ(true, report["phases"][0]["ran"]);
    EXPECT_EQ(false, report["phases"][1]["ran"]);
    EXPECT_LT(report["phases"][0]["duration_s"].get<double>(), 5.0);
  }
}

TEST(Slbench, UsageErrorsExitTwo) {
  TempDir dir;
  Outcome r = RunSlbench(dir, {"--threads", "0"});
  EXPECT_EQ(2, r.code) << r.err;
  EXPECT_EQ(0u, r.err.find("slbench: error: --threads:")) << r.err;
  r = RunSlbench(dir, {"no-such-preset"});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos,
            r.err.find("slbench: error: no scenario file or preset named 'no-such-preset'"));
  r = RunSlbench(dir, {"smoke", "--set", "rat=5"});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find("did you mean 'rate'?")) << r.err;
  r = RunSlbench(dir, {"--version"});
  EXPECT_EQ(0, r.code);
  EXPECT_EQ(0u, r.out.find("slbench "));
}

}  // namespace
}  // namespace smartlink::testing

#endif  // SLBENCH_PATH
