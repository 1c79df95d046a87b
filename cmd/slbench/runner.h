#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "plan.h"
#include "smartlink/util/status.h"
#include "stats.h"

namespace slbench {

struct RunOptions {
  int threads = 1;                          // event-loop threads
  bool progress = false;                    // a live line on stderr
  pid_t server_pid = 0;                     // sample this process's RSS and CPU time
  const std::atomic<bool>* stop = nullptr;  // set by SIGINT: end early, keep what was measured
};

// RSS and CPU time of the server process, from /proc.
struct ServerSample {
  bool ok = false;
  int64_t rss_bytes = 0;
  double cpu_s = 0;
};
ServerSample SampleProcess(pid_t pid);

struct PhaseResult {
  PhaseStats stats;
  bool ran = false;          // false: the run was interrupted or stopped before it
  int64_t duration_ns = 0;   // as run (shorter if interrupted)
  double self_cpu_s = 0;     // the whole slbench process (getrusage), during the phase
  int connections_open = 0;  // ready at the end of the phase
  ServerSample server_begin, server_end;
};

struct RunResult {
  Plan plan;
  int64_t started_ms = 0;  // wall clock
  std::vector<PhaseResult> phases;
  PhaseStats drain;  // what arrived after the last phase
  int64_t drain_ns = 0;
  // False when the drain ran out of time with replies or deliveries still coming: then
  // messages on their way count as lost.
  bool drain_complete = false;
  int64_t drain_outstanding = 0;  // requests, sends and setups still open at that point
  std::vector<MergedInterval> timeline;
  std::vector<ReceiverIssue> issues;
  uint64_t receivers_with_issues = 0;
  bool interrupted = false;
  // True when the run stopped early because every connection it had tried (at least one, for
  // a second or more) failed its setup and none ever got through: a server that refuses them
  // all is not waited out phase by phase.
  bool abandoned = false;
  double self_cpu_s = 0;
  int cpus = 0;  // CPUs slbench may run on (its affinity); 0: unknown
};

// Runs `scenario` to the end (or until *options.stop) and returns what was measured.
// Fails only when the run cannot start (too few file descriptors, threads).
smartlink::Result<RunResult> Run(const Scenario& scenario, const RunOptions& options);

}  // namespace slbench
