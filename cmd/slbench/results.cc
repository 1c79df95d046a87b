// Worker: what it hands back: the one-second time line while running, and after the run
// the highest seq of each conversation, what each receiver was due and what it never got.

#include <algorithm>

#include "worker.h"

namespace slbench {

void Worker::Rotate(int second) {
  Interval in = current_;
  in.second = second;
  in.phase = phase_;
  in.open = ready_count_.load(std::memory_order_relaxed);
  in.ack = i_ack_.Sparse();
  in.delivery = i_delivery_.Sparse();
  in.ping = i_ping_.Sparse();
  current_ = Interval();
  i_ack_.Reset();
  i_delivery_.Reset();
  i_ping_.Reset();
  std::lock_guard<std::mutex> lock(mu_);
  intervals_.push_back(std::move(in));
}

std::optional<Interval> Worker::LastInterval() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (intervals_.empty()) return std::nullopt;
  return intervals_.back();
}

std::vector<Interval> Worker::TakeIntervals() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(intervals_);
}

void Worker::CollectSeqs(SeqMaxima* m) const {
  for (const auto& [conv, v] : acked_by_phase_) {
    auto& dst = m->acked_by_phase[conv];
    if (dst.size() < v.size()) dst.resize(v.size(), 0);
    for (size_t i = 0; i < v.size(); ++i) dst[i] = std::max(dst[i], v[i]);
    auto& last = m->last[conv];
    last = std::max(last, *std::max_element(v.begin(), v.end()));
  }
  for (const auto& c : conns_) {
    if (!c) continue;
    for (const ConvState& cs : c->convs) {
      auto& last = m->last[cs.conv];
      last = std::max(last, cs.seq.highest());
    }
  }
}

void Worker::CountLost(const SeqMaxima& m, std::vector<ReceiverIssue>* issues, size_t max_issues,
                       uint64_t* receivers_with_issues) {
  size_t phases = plan_.scenario.phases.size();
  for (const auto& c : conns_) {
    if (!c) continue;
    for (const ConvState& cs : c->convs) {
      if (!cs.seq.started()) continue;
      auto last_it = m.last.find(cs.conv);
      int64_t last = last_it == m.last.end() ? 0 : last_it->second;
      // A receiver the server dropped is only held to the gaps below what it got.
      if (c->dropped) last = cs.seq.highest();
      // Seq bounds of each phase: the highest seq acknowledged for a send it offered.
      std::vector<int64_t> bound(phases, 0);
      auto b = m.acked_by_phase.find(cs.conv);
      int64_t running = 0;
      for (size_t p = 0; p < phases; ++p) {
        if (b != m.acked_by_phase.end() && p < b->second.size()) {
          running = std::max(running, b->second[p]);
        }
        bound[p] = running;
      }
      // Adds the seqs from..to to `field` of the phases that sent them.
      auto attribute = [&](int64_t from, int64_t to, uint64_t PhaseStats::*field) {
        int64_t lo = from;
        for (size_t p = 0; p < phases && lo <= to; ++p) {
          int64_t hi = p + 1 == phases ? to : std::min(to, bound[p]);
          if (hi >= lo) {
            stats_[p].*field += static_cast<uint64_t>(hi - lo + 1);
            lo = hi + 1;
          }
        }
      };
      // Everything after the starting point was due to this receiver.
      if (last > cs.seq.start())
        attribute(cs.seq.start() + 1, last, &PhaseStats::expected_deliveries);
      uint64_t lost = 0;
      cs.seq.ForEachMissing(last, [&](int64_t from, int64_t to) {
        lost += static_cast<uint64_t>(to - from + 1);
        attribute(from, to, &PhaseStats::lost);
      });
      if (lost || cs.duplicated || cs.out_of_order) {
        ++*receivers_with_issues;
        if (issues->size() < max_issues) {
          issues->push_back(ReceiverIssue{c->user, cs.conv, lost, cs.duplicated, cs.out_of_order});
        }
      }
    }
  }
}

}  // namespace slbench
