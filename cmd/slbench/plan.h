#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenario.h"
#include "stats.h"

namespace slbench {

// Plan is a scenario made concrete for one run: names, the run's marker and the time line.
// Built by the runner before any thread starts and read-only afterwards, so every thread may
// read it.
struct Plan {
  Scenario scenario;
  std::string run_id;  // 8 hex digits that mark this run's message texts
  std::string prefix;  // user and room name prefix ("slb3f2a1c0-" unless the scenario sets one)
  bool fresh_names = true;  // names are new to the server (so conversations start at seq 1)
  int threads = 1;
  int64_t t0_ns = 0;                    // when the first phase starts (MonoNs())
  std::vector<int64_t> phase_start_ns;  // one per phase, then the end of the last

  std::string UserName(int conn) const { return prefix + "u" + std::to_string(conn); }
  std::string ChurnUserName(int slot) const { return prefix + "c" + std::to_string(slot); }
  std::string RoomName(int room) const { return prefix + "r" + std::to_string(room); }
  int WorkerOf(int conn) const { return conn % threads; }
  // The phase whose time span holds `ns`; phases.size() after the last one.
  int PhaseAt(int64_t ns) const {
    int n = static_cast<int>(scenario.phases.size());
    for (int i = n - 1; i >= 0; --i) {
      if (ns >= phase_start_ns[static_cast<size_t>(i)]) {
        return ns >= phase_start_ns[static_cast<size_t>(n)] ? n : i;
      }
    }
    return 0;
  }
};

// One scheduled send, handed from the runner to the worker that owns the connection.
struct Action {
  Op op;
  int conn;
  int64_t intended_ns;
};

}  // namespace slbench
