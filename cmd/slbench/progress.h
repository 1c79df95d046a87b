#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "histogram.h"
#include "plan.h"

namespace slbench {

class Worker;

// The live line on stderr, rewritten once a second while a run goes on:
//   [main  4/10s] conns 100 | sent 1.00k/s | ack p99 1.21ms | delivered 10.0k/s p99 3.40ms | errors
//   0
// Shown only when enabled (stderr is a terminal). Used from the runner's thread only.
class Progress {
 public:
  Progress(const Plan& plan, bool enabled) : plan_(plan), enabled_(enabled) {}
  void Update(std::vector<std::unique_ptr<Worker>>& workers, int phase, int64_t now_ns, int ready);
  void Clear();  // erases the line before the summary is printed

 private:
  const Plan& plan_;
  bool enabled_;
  bool shown_ = false;
  Histogram ack_, delivery_, ping_;
};

}  // namespace slbench
