#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
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
  // Whether a connection that joined `rooms` may get a message of `conv`. Users of a fixed
  // prefix may be members of rooms from earlier runs, so then any; fresh users are members
  // only of the rooms this run joined them to. A direct conversation (@user) always.
  bool MayReceive(const std::vector<int>& rooms, std::string_view conv) const {
    if (!fresh_names || conv.empty() || conv.front() != '#') return true;
    std::string_view name = conv.substr(1);
    std::string_view head = prefix;
    if (name.substr(0, head.size()) != head || name.size() < head.size() + 2 ||
        name[head.size()] != 'r') {
      return false;
    }
    std::string_view digits = name.substr(head.size() + 1);
    if (digits.size() > 9 || (digits.size() > 1 && digits[0] == '0')) return false;
    int room = 0;
    for (char ch : digits) {
      if (ch < '0' || ch > '9') return false;
      room = room * 10 + (ch - '0');
    }
    return std::find(rooms.begin(), rooms.end(), room) != rooms.end();
  }
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
