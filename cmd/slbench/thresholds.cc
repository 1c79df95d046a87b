// Derived figures and the thresholds that gate CI.

#include <algorithm>

#include "report.h"
#include "units.h"

namespace slbench {

Derived Derive(const PhaseResult& p) {
  const PhaseStats& s = p.stats;
  Derived d;
  d.seconds = static_cast<double>(p.duration_ns) / kNsPerSec;
  auto room = static_cast<int>(Op::kRoomMsg);
  auto direct = static_cast<int>(Op::kDirect);
  d.msgs_offered = s.offered[room] + s.offered[direct];
  d.msgs_sent = s.sent[room] + s.sent[direct];
  d.msgs_acked = s.answered[room] + s.answered[direct];
  d.msgs_refused = s.refused[room] + s.refused[direct];
  for (int op = 0; op < kOps; ++op) {
    if (op == static_cast<int>(Op::kFile)) continue;  // bulk transfers have no rate to keep
    d.requests_offered += s.offered[op];
    d.responses += s.answered[op] + s.refused[op];
  }
  if (d.seconds > 0) {
    d.offered_rate = static_cast<double>(d.requests_offered) / d.seconds;
    d.achieved_rate = static_cast<double>(d.responses) / d.seconds;
    d.delivery_rate = static_cast<double>(s.delivered) / d.seconds;
    d.expected_delivery_rate = static_cast<double>(s.expected_deliveries) / d.seconds;
  }
  if (d.seconds >= kMinCpuSeconds) {
    d.cpu_measured = true;
    d.cpu_percent = 100 * p.self_cpu_s / d.seconds;
    d.loop_cpu_percent = 100 * static_cast<double>(s.thread_cpu_ns) / kNsPerSec / d.seconds;
  }
  if (d.requests_offered > 0) {
    d.ratio = static_cast<double>(d.responses) / static_cast<double>(d.requests_offered);
    if (s.expected_deliveries > 0) {
      d.ratio = std::min(
          d.ratio, static_cast<double>(s.delivered) / static_cast<double>(s.expected_deliveries));
    }
    d.saturated = d.ratio < 0.99;
  }
  for (const auto& [code, n] : s.errors) d.errors += n;
  return d;
}

bool GeneratorBusy(const Derived& d, int cpus) {
  if (!d.cpu_measured) return false;
  return d.loop_cpu_percent > 90 || (cpus > 0 && d.cpu_percent > 90.0 * cpus);
}

uint64_t TotalLost(const RunResult& r) {
  uint64_t n = r.drain.lost + r.drain.unacknowledged;
  for (const auto& p : r.phases) n += p.stats.lost + p.stats.unacknowledged;
  return n;
}

uint64_t TotalDisorder(const RunResult& r) {
  uint64_t n = r.drain.duplicated + r.drain.out_of_order;
  for (const auto& p : r.phases) n += p.stats.duplicated + p.stats.out_of_order;
  return n;
}

uint64_t TotalErrors(const RunResult& r) {
  auto count = [](const PhaseStats& s) {
    uint64_t n = s.conns_failed + s.churn_failed;
    for (const auto& [code, k] : s.errors) n += k;
    return n;
  };
  uint64_t n = count(r.drain);
  for (const auto& p : r.phases) n += count(p.stats);
  return n;
}

std::vector<Check> Evaluate(const RunResult& r, const Thresholds& t) {
  std::vector<Check> out;
  const auto& phases = r.plan.scenario.phases;
  bool measured = false;  // a p99 check was made
  for (size_t i = 0; i < r.phases.size(); ++i) {
    if (phases[i].warmup) continue;
    const PhaseStats& s = r.phases[i].stats;
    const std::string& name = phases[i].name;
    if (t.max_p99_ns >= 0) {
      auto room = static_cast<int>(Op::kRoomMsg), direct = static_cast<int>(Op::kDirect);
      struct Measured {
        const char* label;
        const Histogram* h;
        bool due;  // the phase offered what this times: no sample at all then fails
      };
      const Measured hists[] = {{"ack", &s.ack, s.offered[room] + s.offered[direct] > 0},
                                {"ping", &s.ping, s.offered[static_cast<int>(Op::kPing)] > 0},
                                {"delivery", &s.delivery, s.expected_deliveries > 0}};
      for (const auto& [label, h, due] : hists) {
        if (h->count() == 0 && !due) continue;
        Check c;
        c.what = std::string("p99 ") + label + " (" + name + ")";
        c.limit = NsToMs(t.max_p99_ns);
        if (h->count() == 0) {
          c.value = -1;
          c.passed = false;
          c.text = std::string("p99 ") + label + " in " + name +
                   ": nothing to measure (none of what was offered was answered)";
        } else {
          int64_t v = h->Percentile(99);
          c.value = NsToMs(v);
          c.passed = v <= t.max_p99_ns;
          c.text = std::string("p99 ") + label + " in " + name + ": " + FormatNs(v) +
                   (c.passed ? " <= " : " > ") + FormatNs(t.max_p99_ns);
        }
        measured = true;
        out.push_back(c);
      }
    }
    if (t.fail_saturated) {
      Derived d = Derive(r.phases[i]);
      if (d.ratio >= 0) {
        Check c;
        c.what = "achieved rate (" + name + ")";
        c.limit = 99;
        c.value = 100 * d.ratio;
        c.passed = !d.saturated;
        char buf[128];
        snprintf(buf, sizeof buf, "achieved %.1f %% of the offered rate in %s%s", c.value,
                 name.c_str(), c.passed ? "" : " (saturated: below 99 %)");
        c.text = buf;
        out.push_back(c);
      }
    }
  }
  if (t.max_p99_ns >= 0 && !measured) {
    // Asked to gate on latency, with nothing timed outside warm-up phases: not a pass.
    Check c;
    c.what = "p99";
    c.limit = NsToMs(t.max_p99_ns);
    c.value = -1;
    c.passed = false;
    c.text = "p99: nothing was timed outside warm-up phases (no sends, pings or deliveries)";
    out.push_back(c);
  }
  // The run-wide counts: at most `limit` of each (when a limit is set).
  auto at_most = [&out](const char* what, const std::string& label, uint64_t n, int64_t limit,
                        const char* note) {
    if (limit < 0) return;
    Check c;
    c.what = what;
    c.limit = static_cast<double>(limit);
    c.value = static_cast<double>(n);
    c.passed = n <= static_cast<uint64_t>(limit);
    c.text = label + ": " + std::to_string(n) + (c.passed ? " <= " : " > ") +
             std::to_string(limit) + note;
    out.push_back(c);
  };
  at_most("lost", "messages lost", TotalLost(r), t.max_lost,
          " (deliveries missing and sends never acknowledged)");
  at_most("disorder", "deliveries duplicated or out of order", TotalDisorder(r), t.max_disorder,
          "");
  at_most("errors", "errors", TotalErrors(r), t.max_errors, "");
  return out;
}

}  // namespace slbench
