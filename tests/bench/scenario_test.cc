// slbench's scenario files: defaults, inheritance, overrides, presets, and errors that say
// where and what.

#include "scenario.h"

#include <gtest/gtest.h>

#include <string>

#include "plan.h"
#include "units.h"

namespace slbench {
namespace {

Scenario Parse(const std::string& text, const std::vector<std::string>& sets = {}) {
  auto s = LoadScenario(text, "test.json", sets);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : Scenario();
}

// The error message for `text`, which must not parse.
std::string Error(const std::string& text, const std::vector<std::string>& sets = {}) {
  auto s = LoadScenario(text, "test.json", sets);
  EXPECT_FALSE(s.ok()) << text;
  return s.ok() ? "" : s.status().message();
}

TEST(Scenario, EmptyObjectGivesOnePhaseOfDefaults) {
  Scenario s = Parse("{}");
  EXPECT_EQ("ws://127.0.0.1:8080/ws", s.url);
  EXPECT_EQ(AuthMode::kOpen, s.auth);
  EXPECT_EQ(100, s.message_size);
  ASSERT_EQ(1u, s.phases.size());
  EXPECT_EQ("main", s.phases[0].name);
  EXPECT_EQ(10, s.phases[0].connections);
  EXPECT_EQ(10 * kNsPerSec, s.phases[0].duration_ns);
  EXPECT_EQ(0, s.phases[0].rate);
}

TEST(Scenario, PhasesInheritTopLevelFieldsAndOverrideThem) {
  Scenario s = Parse(R"({
    "url": "wss://example.org:8443/ws", "rooms": 4, "connections": 40, "rate": 200,
    "publishers": 2, "duration": "5s",
    "phases": [{"name": "warm", "warmup": true, "duration": 1.5},
               {"rate": 800, "ramp": "250ms"},
               {"name": "big", "connections": 80, "ping_rate": 10, "file_size": "64KiB"}]
  })");
  ASSERT_EQ(3u, s.phases.size());
  EXPECT_EQ("wss://example.org:8443/ws", s.url);
  EXPECT_TRUE(s.phases[0].warmup);
  EXPECT_EQ(1500 * kNsPerMs, s.phases[0].duration_ns);
  EXPECT_EQ(200, s.phases[0].rate);
  EXPECT_EQ("phase2", s.phases[1].name);
  EXPECT_EQ(800, s.phases[1].rate);
  EXPECT_EQ(250 * kNsPerMs, s.phases[1].ramp_ns);
  EXPECT_EQ(5 * kNsPerSec, s.phases[1].duration_ns);
  EXPECT_FALSE(s.phases[1].warmup);
  EXPECT_EQ(80, s.phases[2].connections);
  EXPECT_EQ(65536, s.phases[2].file_size);
  EXPECT_EQ(2, s.phases[2].publishers);
}

TEST(Scenario, TokenAuthTakesTheSecret) {
  Scenario s = Parse(R"({"auth": {"secret": "0123456789abcdef0123456789abcdef", "ttl": "2h"}})");
  EXPECT_EQ(AuthMode::kToken, s.auth);
  EXPECT_EQ(7200 * kNsPerSec, s.token_ttl_ns);
  EXPECT_EQ(AuthMode::kOpen, Parse(R"({"auth": "open"})").auth);
}

TEST(Scenario, SyntaxErrorsNameLineAndColumn) {
  std::string e = Error("{\n  \"rate\": 10,\n  \"rooms\" 2\n}");
  EXPECT_EQ(0u, e.find("test.json:3:")) << e;
  EXPECT_NE(std::string::npos, e.find("invalid JSON")) << e;
}

TEST(Scenario, UnknownFieldsSuggestTheNearestName) {
  EXPECT_EQ("test.json: rat: unknown field (did you mean 'rate'?)", Error(R"({"rat": 5})"));
  EXPECT_EQ("test.json: phases[0].conections: unknown field (did you mean 'connections'?)",
            Error(R"({"phases": [{"conections": 5}]})"));
  EXPECT_EQ("test.json: colour: unknown field", Error(R"({"colour": "blue"})"));
  // Scenario-wide fields are not phase fields.
  EXPECT_NE(std::string::npos, Error(R"({"phases": [{"url": "ws://x"}]})").find("phases[0].url"));
}

TEST(Scenario, BadValuesSayWhatIsExpected) {
  EXPECT_EQ("test.json: rate: must be a number of operations per second >= 0, not \"fast\"",
            Error(R"({"rate": "fast"})"));
  EXPECT_EQ(
      "test.json: phases[1].duration: must be a duration such as \"500ms\", \"10s\" or 2.5, "
      "not \"10 parsecs\"",
      Error(R"({"phases": [{}, {"duration": "10 parsecs"}]})"));
  EXPECT_EQ("test.json: connections: must be a whole number from 0 to 1000000, not -3",
            Error(R"({"connections": -3})"));
  EXPECT_NE(std::string::npos,
            Error(R"({"message_size": 10})").find("message_size: must be a size"));
  EXPECT_NE(std::string::npos, Error(R"({"warmup": "yes"})").find("must be true or false"));
  EXPECT_EQ("test.json: phases: must be an array of phase objects, not {}",
            Error(R"({"phases": {}})"));
  EXPECT_EQ("test.json: a scenario must be a JSON object, not array", Error("[]"));
}

TEST(Scenario, InconsistentScenariosAreRefused) {
  EXPECT_EQ(
      "test.json: phases[0] (main): rate, typing_rate and file_rate need rooms (set \"rooms\")",
      Error(R"({"rate": 10})"));
  EXPECT_EQ(
      "test.json: phases[0] (main): 3 publishers in each of 5 rooms need 15 connections, "
      "but connections is 10",
      Error(R"({"rooms": 5, "publishers": 3, "rate": 10})"));
  EXPECT_NE(std::string::npos,
            Error(R"({"connections": 1, "direct_rate": 5})").find("at least 2 connections"));
  EXPECT_NE(
      std::string::npos,
      Error(R"({"reconnect": true})").find("reconnect needs connections opened by an earlier"));
  EXPECT_NE(std::string::npos,
            Error(R"({"ramp": "20s", "duration": "10s"})").find("ramp is longer"));
  EXPECT_NE(std::string::npos, Error(R"({"duration": 0})").find("duration must be longer than 0"));
  EXPECT_EQ("test.json: url: must start with ws:// or wss://, not \"http://x\"",
            Error(R"({"url": "http://x"})"));
  EXPECT_EQ("test.json: url: URL has no host: \"ws://\"", Error(R"({"url": "ws://"})"));
  EXPECT_EQ("test.json: url: bad port in URL: \"ws://h:99999/ws\"",
            Error(R"({"url": "ws://h:99999/ws"})"));
  EXPECT_EQ("test.json: \"rate\" is set twice in one object; give each field once",
            Error(R"({"rate": 10, "rooms": 2, "rate": 20})"));
  EXPECT_EQ("test.json: \"duration\" is set twice in one object; give each field once",
            Error(R"({"phases": [{"duration": "1s"}, {"duration": "2s", "duration": "3s"}]})"));
  // The same key in two objects is no duplicate.
  EXPECT_EQ(2u, Parse(R"({"phases": [{"duration": "1s"}, {"duration": "2s"}]})").phases.size());
  EXPECT_NE(std::string::npos, Error(R"({"prefix": "a b"})").find("prefix: must be"));
  EXPECT_NE(std::string::npos,
            Error(R"({"rooms": 2, "rooms_per_connection": 3})").find("rooms_per_connection"));
  EXPECT_NE(std::string::npos, Error(R"({"auth": "token"})").find("at least 32 bytes"));
  EXPECT_NE(std::string::npos, Error(R"({"auth": {"secret": "short"}})").find("auth.secret"));
  EXPECT_NE(std::string::npos, Error(R"({"auth": "basic"})").find("auth.mode: must be"));
}

TEST(Scenario, OverridesChangeTheJsonBeforeParsing) {
  Scenario s =
      Parse(R"({"rooms": 1, "rate": 10, "phases": [{"name": "a"}, {"name": "b"}]})",
            {"rate=5000", "phases.1.duration=30s", "auth.mode=open", "url=\"ws://h:1/ws\""});
  EXPECT_EQ(5000, s.phases[0].rate);
  EXPECT_EQ(30 * kNsPerSec, s.phases[1].duration_ns);
  EXPECT_EQ(10 * kNsPerSec, s.phases[0].duration_ns);
  EXPECT_EQ("ws://h:1/ws", s.url);
  Scenario all =
      Parse(R"({"phases": [{"duration": "1s"}, {"duration": "2s"}]})", {"phases.*.duration=250ms"});
  EXPECT_EQ(250 * kNsPerMs, all.phases[0].duration_ns);
  EXPECT_EQ(250 * kNsPerMs, all.phases[1].duration_ns);
  EXPECT_EQ("--set wants PATH=VALUE, such as rate=5000, not 'rate'", Error("{}", {"rate"}));
  EXPECT_NE(std::string::npos,
            Error(R"({"phases": [{}]})", {"phases.3.rate=1"}).find("no element 3"));
  EXPECT_NE(std::string::npos, Error(R"({"rate": 1})", {"rate.x=1"}).find("inside a number"));
  // An override that would change nothing is refused, saying what would.
  EXPECT_NE(std::string::npos,
            Error(R"({"phases": [{"duration": "1s"}, {"duration": "2s"}]})", {"duration=3s"})
                .find("use --set 'phases.*.duration=3s'"));
  EXPECT_NE(std::string::npos,
            Error(R"({"duration": "1s"})", {"phases.*.duration=3s"}).find("has no phases"));
}

TEST(Scenario, EveryPresetParses) {
  ASSERT_FALSE(Presets().empty());
  for (const Preset& p : Presets()) {
    auto s = LoadScenario(p.json, p.name);
    EXPECT_TRUE(s.ok()) << p.name << ": " << s.status().message();
    if (s.ok()) {
      EXPECT_EQ(p.name, s->name);
    }
  }
  EXPECT_NE(nullptr, FindPreset("fanout"));
  EXPECT_EQ(nullptr, FindPreset("nope"));
}

TEST(Scenario, MembersOfAgreesWithRoomsOf) {
  for (int rooms : {1, 3, 7, 10}) {
    for (int per : {1, 2, 3}) {
      if (per > rooms) continue;
      Scenario s;
      s.rooms = rooms;
      s.rooms_per_connection = per;
      for (int conns : {0, 1, 5, 23, 100}) {
        std::vector<int> count(static_cast<size_t>(rooms), 0);
        for (int c = 0; c < conns; ++c) {
          for (int r : s.RoomsOf(c)) count[static_cast<size_t>(r)]++;
        }
        for (int r = 0; r < rooms; ++r) {
          EXPECT_EQ(count[static_cast<size_t>(r)], s.MembersOf(r, conns))
              << rooms << " rooms, " << per << " per connection, " << conns << " connections";
        }
      }
    }
  }
}

TEST(Scenario, ToJsonRoundTrips) {
  Scenario s = Parse(R"({"rooms": 2, "rate": 50, "connections": 4, "phases": [{"name": "x"}]})");
  auto again = ParseScenario(ScenarioToJson(s), "again");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(ScenarioToJson(s), ScenarioToJson(*again));
}

// A room message to a connection that never joined the room is a membership leak.
TEST(Plan, AFreshUserMayReceiveOnlyTheRoomsItJoined) {
  Plan plan;
  plan.prefix = "slb0123abcd-";
  std::vector<int> rooms = {0, 12};
  EXPECT_TRUE(plan.MayReceive(rooms, "#slb0123abcd-r0"));
  EXPECT_TRUE(plan.MayReceive(rooms, "#slb0123abcd-r12"));
  EXPECT_TRUE(plan.MayReceive(rooms, "@slb0123abcd-u7"));  // direct: anyone may write
  EXPECT_FALSE(plan.MayReceive(rooms, "#slb0123abcd-r1"));
  EXPECT_FALSE(plan.MayReceive(rooms, "#slb0123abcd-r012"));
  EXPECT_FALSE(plan.MayReceive(rooms, "#slb0123abcd-r"));
  EXPECT_FALSE(plan.MayReceive(rooms, "#slb0123abcd-x0"));
  EXPECT_FALSE(plan.MayReceive(rooms, "#slbffffffff-r0"));  // another run's room
  EXPECT_FALSE(plan.MayReceive(rooms, "#lobby"));
  EXPECT_FALSE(plan.MayReceive({}, "#slb0123abcd-r0"));
  // Names that earlier runs used too: their users may be in other rooms.
  plan.fresh_names = false;
  EXPECT_TRUE(plan.MayReceive(rooms, "#lobby"));
}

}  // namespace
}  // namespace slbench
