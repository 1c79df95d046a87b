#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runner.h"

// What a run's results say, for people (the summary) and machines (JSON, CSV, SVG).
namespace slbench {

// Figures worked out from one phase's counts.
struct Derived {
  double seconds = 0;
  uint64_t msgs_offered = 0, msgs_sent = 0, msgs_acked = 0, msgs_refused = 0;  // room + direct
  uint64_t requests_offered = 0, responses = 0;  // every scheduled request but files
  double offered_rate = 0, achieved_rate = 0;    // requests per second
  double delivery_rate = 0, expected_delivery_rate = 0;
  double ratio = -1;       // achieved / offered (the lower of requests and deliveries); -1: none
  bool saturated = false;  // ratio below 99 %
  uint64_t errors = 0;
  // CPU shares, of one core. A phase shorter than kMinCpuSeconds has none: its CPU time is
  // too coarse a sample (the server's is counted in 10 ms ticks) to divide by its length.
  bool cpu_measured = false;
  double cpu_percent = 0;       // slbench
  double loop_cpu_percent = 0;  // the busiest event-loop thread
};
constexpr double kMinCpuSeconds = 0.5;
Derived Derive(const PhaseResult& p);
// True when slbench was near the limit of the CPU it had in a phase (its busiest event loop
// over 90 % of a core, or the whole process over 90 % of the `cpus` it may use): then the
// phase's figures may describe the generator rather than the server.
// False when the phase was too short to tell.
bool GeneratorBusy(const Derived& d, int cpus);

// Limits that make the run fail (exit 1), for CI.
struct Thresholds {
  int64_t max_p99_ns = -1;      // ack, ping and delivery p99 of every measured phase
  int64_t max_lost = -1;        // messages lost in the whole run
  int64_t max_errors = -1;      // error replies, dropped and failed connections in the run
  int64_t max_disorder = -1;    // deliveries duplicated or out of order in the whole run
  bool fail_saturated = false;  // a measured phase achieved below 99 % of its offered rate
  bool any() const {
    return max_p99_ns >= 0 || max_lost >= 0 || max_errors >= 0 || max_disorder >= 0 ||
           fail_saturated;
  }
};

struct Check {
  std::string what;  // "p99 delivery (main)"
  double limit = 0;
  double value = 0;
  bool passed = true;
  std::string text;  // "p99 delivery in main: 25.1ms > 20ms"
};
std::vector<Check> Evaluate(const RunResult& r, const Thresholds& t);

// Totals over the phases and the drain. Lost: deliveries that never came, and message sends
// never acknowledged.
uint64_t TotalLost(const RunResult& r);
uint64_t TotalErrors(const RunResult& r);
uint64_t TotalDisorder(const RunResult& r);  // duplicated + out of order

void PrintSummary(FILE* out, const RunResult& r, const std::vector<Check>& checks, bool color);
nlohmann::json ReportJson(const RunResult& r, const std::vector<Check>& checks);
std::string ReportCsv(const RunResult& r);
// Latency percentiles and throughput over time, one point a second, phases marked.
std::string PlotSvg(const RunResult& r);

}  // namespace slbench
