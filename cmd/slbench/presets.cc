// Built-in scenarios: one per workload of BENCHMARKS.md, plus a small smoke test. Each is
// parsed by the same code as a scenario file (tests check that they all parse), and each can
// be changed from the command line with --set (for example --set rate=50000).

#include "scenario.h"

namespace slbench {

namespace {

const char kSmoke[] = R"({
  "name": "smoke",
  "description": "A small mixed load to check a server: rooms, direct messages and pings",
  "rooms": 2, "connections": 20, "publishers": 2,
  "rate": 100, "direct_rate": 10, "ping_rate": 10,
  "phases": [{"name": "main", "duration": "3s"}]
})";

const char kEcho[] = R"({
  "name": "echo",
  "description": "Workload 1: ping round trips on 10 connections at an offered rate",
  "connections": 10, "ping_rate": 10000,
  "phases": [{"name": "warmup", "duration": "2s", "warmup": true},
             {"name": "main", "duration": "10s"}]
})";

const char kEchoMsg[] = R"({
  "name": "echo-msg",
  "description": "Workload 1, variant: 100-character msg.send to one-member rooms",
  "connections": 10, "rooms": 10, "publishers": 1, "rate": 10000,
  "phases": [{"name": "warmup", "duration": "2s", "warmup": true},
             {"name": "main", "duration": "10s"}]
})";

const char kFanout[] = R"({
  "name": "fanout",
  "description": "Workload 2: one room of 100 members, 10 publishers, 10k deliveries/s",
  "connections": 100, "rooms": 1, "publishers": 10, "rate": 100,
  "phases": [{"name": "connect", "duration": "3s", "ramp": "1s", "rate": 0, "warmup": true},
             {"name": "warmup", "duration": "2s", "warmup": true},
             {"name": "main", "duration": "10s"}]
})";

const char kFanoutRooms[] = R"({
  "name": "fanout-rooms",
  "description": "Workload 2, variant: 100 rooms of 10 members, one publisher each",
  "connections": 1000, "rooms": 100, "publishers": 1, "rate": 1000,
  "phases": [{"name": "connect", "duration": "4s", "ramp": "2s", "rate": 0, "warmup": true},
             {"name": "warmup", "duration": "2s", "warmup": true},
             {"name": "main", "duration": "10s"}]
})";

const char kIdle[] = R"({
  "name": "idle",
  "description": "Workload 3: 10k authenticated connections in 100 rooms, holding still",
  "connections": 10000, "rooms": 100,
  "phases": [{"name": "connect", "duration": "25s", "ramp": "20s", "warmup": true},
             {"name": "idle", "duration": "10s"}]
})";

// One room per connector: with a shared room every login and logout is also announced to
// the other 63 (presence), a fan-out of up to 126 frames a cycle that would then be most of
// what is measured. bench/run measures that too, as setup-shared (--set rooms=1).
const char kSetup[] = R"({
  "name": "setup",
  "description": "Workload 4: 64 concurrent connect-upgrade-auth-join-close loops, a room each",
  "connections": 0, "rooms": 64, "churn": 64,
  "phases": [{"name": "warmup", "duration": "2s", "warmup": true},
             {"name": "main", "duration": "10s"}]
})";

const char kDurable[] = R"({
  "name": "durable",
  "description": "Workload 5: sends into 100 rooms, timed to the ok that follows the commit",
  "connections": 100, "rooms": 100, "publishers": 1, "rate": 1000,
  "phases": [{"name": "connect", "duration": "3s", "ramp": "1s", "rate": 0, "warmup": true},
             {"name": "warmup", "duration": "2s", "warmup": true},
             {"name": "main", "duration": "10s"}]
})";

const char kFiles[] = R"({
  "name": "files",
  "description": "Workload 6: one 256 MiB file uploaded into a room",
  "connections": 1, "rooms": 1, "file_size": "256MiB", "file_rate": 0.01,
  "drain": "60s",
  "phases": [{"name": "main", "duration": "10s"}]
})";

const char kReconnect[] = R"({
  "name": "reconnect",
  "description": "Workload 7: 5000 clients in 100 rooms drop at once and catch up with sync",
  "connections": 5000, "rooms": 100, "publishers": 1, "rate": 500,
  "phases": [{"name": "connect", "duration": "12s", "ramp": "10s", "rate": 0, "warmup": true},
             {"name": "steady", "duration": "3s"},
             {"name": "storm", "duration": "10s", "reconnect": true}]
})";

const char kChat[] = R"({
  "name": "chat",
  "description": "A chat-like mix: room messages, direct messages, typing and pings",
  "connections": 500, "rooms": 50, "rooms_per_connection": 2, "publishers": 2,
  "rate": 500, "direct_rate": 100, "typing_rate": 200, "ping_rate": 50,
  "phases": [{"name": "connect", "duration": "4s", "ramp": "3s", "rate": 0, "direct_rate": 0,
              "typing_rate": 0, "warmup": true},
             {"name": "main", "duration": "10s"}]
})";

}  // namespace

const std::vector<Preset>& Presets() {
  static const std::vector<Preset> presets = {
      {"smoke", "20 connections, 2 rooms, 100 msg/s, 3 s", kSmoke},
      {"echo", "workload 1: 10 connections, 10k pings/s", kEcho},
      {"echo-msg", "workload 1: 10 one-member rooms, 10k msg/s", kEchoMsg},
      {"fanout", "workload 2: 1 room x 100 members, 10 publishers, 100 msg/s", kFanout},
      {"fanout-rooms", "workload 2: 100 rooms x 10 members, 1000 msg/s", kFanoutRooms},
      {"idle", "workload 3: 10k idle connections in 100 rooms", kIdle},
      {"setup", "workload 4: 64 concurrent connect/auth/join/close loops", kSetup},
      {"durable", "workload 5: 100 rooms, 1000 msg/s, ack after commit", kDurable},
      {"files", "workload 6: one 256 MiB upload", kFiles},
      {"reconnect", "workload 7: 5000 clients drop and catch up", kReconnect},
      {"chat", "a mix of rooms, direct messages, typing and pings", kChat},
  };
  return presets;
}

const Preset* FindPreset(const std::string& name) {
  for (const auto& p : Presets()) {
    if (name == p.name) return &p;
  }
  return nullptr;
}

}  // namespace slbench
