// Worker: what it hands back: the one-second time line while running, and after the run
// the highest seq of each conversation, what each receiver was due and what it never got.

#include <algorithm>
#include <unordered_map>

#include "units.h"
#include "worker.h"

namespace slbench {

void Worker::Rotate(int second) {
  Interval in = current_;
  in.second = second;
  // The phase the second began in (the tick that closes a second can come just after the
  // next phase began).
  in.phase = plan_.PhaseAt(plan_.t0_ns + static_cast<int64_t>(second) * kNsPerSec);
  in.open = ready_count_.load(std::memory_order_relaxed);
  in.ack = i_ack_.Sparse();
  in.delivery = i_delivery_.Sparse();
  in.ping = i_ping_.Sparse();
  in.setup = i_setup_.Sparse();
  current_ = Interval();
  i_ack_.Reset();
  i_delivery_.Reset();
  i_ping_.Reset();
  i_setup_.Reset();
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
  // One receiver's conversation: `cs` is what it got (nullptr: nothing at all); `held` holds
  // it only to what came before its highest seq (a session that ended before the run did).
  auto count = [&](const std::string& user, const std::string& conv, const ConvState* cs,
                   bool held) {
    auto last_it = m.last.find(conv);
    int64_t last = last_it == m.last.end() ? 0 : last_it->second;
    SeqTracker none;
    none.Start(0);
    const SeqTracker& seq = cs ? cs->seq : none;
    if (held) last = seq.highest();
    // Seq bounds of each phase: the highest seq acknowledged for a send it offered.
    std::vector<int64_t> bound(phases, 0);
    auto b = m.acked_by_phase.find(conv);
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
    if (last > seq.start()) attribute(seq.start() + 1, last, &PhaseStats::expected_deliveries);
    uint64_t lost = 0;
    seq.ForEachMissing(last, [&](int64_t from, int64_t to) {
      lost += static_cast<uint64_t>(to - from + 1);
      attribute(from, to, &PhaseStats::lost);
    });
    uint64_t duplicated = cs ? cs->duplicated : 0, out_of_order = cs ? cs->out_of_order : 0;
    if (lost || duplicated || out_of_order) {
      ++*receivers_with_issues;
      if (issues->size() < max_issues) {
        issues->push_back(ReceiverIssue{user, conv, lost, duplicated, out_of_order});
      }
    }
  };
  // The direct conversations of each user, to find a receiver that got none of one: with
  // fresh names such a conversation is new, so all of it was due (the peer was ready when
  // it was sent to).
  std::unordered_map<std::string, std::vector<std::string>> direct;
  if (plan_.fresh_names) {
    for (const auto& [conv, last] : m.last) {
      size_t comma = conv.find(',');
      if (conv.empty() || conv[0] != '@' || comma == std::string::npos || last <= 0) continue;
      direct[conv.substr(1, comma - 1)].push_back(conv);
      if (conv.compare(comma + 1, std::string::npos, conv, 1, comma - 1) != 0) {
        direct[conv.substr(comma + 1)].push_back(conv);
      }
    }
  }
  for (const auto& c : conns_) {
    if (!c) continue;
    for (const ConvState& cs : c->convs) {
      if (cs.seq.started()) count(c->user, cs.conv, &cs, c->dropped);
    }
    auto d = direct.find(c->user);
    if (d == direct.end() || c->dropped || c->resumed) continue;
    for (const std::string& conv : d->second) {
      bool seen = std::any_of(c->convs.begin(), c->convs.end(),
                              [&](const ConvState& cs) { return cs.conv == conv; });
      if (!seen) count(c->user, conv, nullptr, false);
    }
  }
  for (const Retired& r : retired_) {
    for (const ConvState& cs : r.convs) {
      if (cs.seq.started()) count(r.user, cs.conv, &cs, true);
    }
  }
}

}  // namespace slbench
