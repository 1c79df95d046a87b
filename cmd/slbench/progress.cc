#include "progress.h"

#include <cstdio>
#include <string>

#include "units.h"
#include "worker.h"

namespace slbench {

void Progress::Update(std::vector<std::unique_ptr<Worker>>& workers, int phase, int64_t now_ns,
                      int ready) {
  if (!enabled_) return;
  uint64_t sent = 0, answered = 0, delivered = 0, errors = 0;
  ack_.Reset();
  delivery_.Reset();
  ping_.Reset();
  for (auto& w : workers) {
    auto in = w->LastInterval();
    if (!in) continue;
    sent += in->sent;
    answered += in->answered;
    delivered += in->delivered;
    errors += in->errors;
    ack_.AddSparse(in->ack);
    delivery_.AddSparse(in->delivery);
    ping_.AddSparse(in->ping);
  }
  const auto& phases = plan_.scenario.phases;
  std::string where = "drain";
  if (phase >= 0 && static_cast<size_t>(phase) < phases.size()) {
    size_t p = static_cast<size_t>(phase);
    int64_t into = (now_ns - plan_.phase_start_ns[p]) / kNsPerSec;
    where = phases[p].name + " " + std::to_string(into) + "/" +
            std::to_string(phases[p].duration_ns / kNsPerSec) + "s";
  }
  std::string line = "[" + where + "] conns " + std::to_string(ready) + " | sent " +
                     FormatCount(static_cast<double>(sent)) + "/s";
  if (ack_.count()) line += " | ack p99 " + FormatNs(ack_.Percentile(99));
  if (ping_.count()) line += " | ping p99 " + FormatNs(ping_.Percentile(99));
  if (delivered) {
    line += " | delivered " + FormatCount(static_cast<double>(delivered)) + "/s";
    if (delivery_.count()) line += " p99 " + FormatNs(delivery_.Percentile(99));
  } else if (answered && !ack_.count() && !ping_.count()) {
    line += " | answered " + FormatCount(static_cast<double>(answered)) + "/s";
  }
  line += " | errors " + std::to_string(errors);
  fprintf(stderr, "\r\x1b[2K%s", line.c_str());
  fflush(stderr);
  shown_ = true;
}

void Progress::Clear() {
  if (!shown_) return;
  fprintf(stderr, "\r\x1b[2K");
  fflush(stderr);
  shown_ = false;
}

}  // namespace slbench
