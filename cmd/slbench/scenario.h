#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "smartlink/util/status.h"

// A scenario is what slbench runs: who connects where, which rooms they are in, and a list
// of phases, each with its own connection count and offered rates. It comes from a JSON file
// or a built-in preset; docs/benchmarks.md describes the format.
namespace slbench {

// What one phase does. Every field may also be given at the top level of the scenario,
// where it is the default for every phase.
struct Phase {
  std::string name;
  bool warmup = false;  // measured, but left out of thresholds and the verdict
  int64_t duration_ns = 0;
  int connections = 0;     // persistent connections open at the end of the ramp
  int64_t ramp_ns = 0;     // new connections are opened evenly over this time
  double rate = 0;         // room messages per second, all publishers together
  int publishers = 1;      // publishers per room
  double direct_rate = 0;  // direct messages per second, all connections together
  double ping_rate = 0;    // pings per second, all connections together
  double typing_rate = 0;  // typing signals per second, all publishers together
  double file_rate = 0;    // file uploads per second, all publishers together
  int64_t file_size = 1 << 20;
  int churn = 0;           // concurrent connect-auth-join-close loops
  bool reconnect = false;  // drop every connection at the start and catch up with sync
};

enum class AuthMode { kOpen, kToken };

struct Scenario {
  std::string name;
  std::string description;
  std::string url;  // ws://host:port/ws or wss://...
  AuthMode auth = AuthMode::kOpen;
  std::string secret;        // HS256 secret for kToken
  int64_t token_ttl_ns = 0;  // lifetime of minted tokens
  bool insecure = false;     // wss: do not verify the certificate
  std::string ca_file;       // wss: verify against this CA
  std::string prefix;        // user and room name prefix; empty: random per run
  int rooms = 0;
  int rooms_per_connection = 1;
  int message_size = 100;  // bytes of message text
  int64_t drain_ns = 0;    // after the last phase, wait this long at most for stragglers
  std::vector<Phase> phases;

  int MaxConnections() const;
  // How many of the first `connections` connections are members of `room`.
  int MembersOf(int room, int connections) const;
  // The rooms connection `index` is in (index, index+1, ... modulo rooms).
  std::vector<int> RoomsOf(int index) const;
};

// Parses and checks a scenario. `source` names it in error messages ("fanout.json").
// Errors are BadRequest with a message such as
//   fanout.json: phases[1].rate: must be a number >= 0, not "fast".
smartlink::Result<Scenario> ParseScenario(const nlohmann::json& j, const std::string& source);

// Parses JSON text (syntax errors name the line and column), applies `overrides` (see
// ApplyOverride), then ParseScenario.
smartlink::Result<Scenario> LoadScenario(const std::string& text, const std::string& source,
                                         const std::vector<std::string>& overrides = {});

// Applies "path=value" to `j`: path is dotted ("rate", "phases.1.duration", "auth.mode"),
// and "*" stands for every element of an array ("phases.*.duration"); value is JSON when it
// parses as JSON, else a string. Creates objects on the way.
smartlink::Status ApplyOverride(nlohmann::json& j, const std::string& assignment);

// The scenario as JSON, with every default filled in (for reports and --print-scenario).
nlohmann::json ScenarioToJson(const Scenario& s);

// Built-in scenarios for the workloads of BENCHMARKS.md.
struct Preset {
  const char* name;
  const char* summary;
  const char* json;
};
const std::vector<Preset>& Presets();
const Preset* FindPreset(const std::string& name);

}  // namespace slbench
