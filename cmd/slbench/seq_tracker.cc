#include "seq_tracker.h"

namespace slbench {

void SeqTracker::Start(int64_t after_seq) {
  if (started_) return;
  started_ = true;
  start_ = after_seq < 0 ? 0 : after_seq;
  next_ = start_ + 1;
  highest_ = start_;
}

SeqTracker::Outcome SeqTracker::Receive(int64_t seq) {
  if (!started_) Start(seq - 1);
  if (seq <= start_) return Outcome::kBefore;
  if (seq < next_) return Outcome::kDuplicate;
  if (seq == next_) {
    ++next_;
    while (!ahead_.empty() && *ahead_.begin() == next_) {
      ahead_.erase(ahead_.begin());
      ++next_;
    }
    if (seq > highest_) highest_ = seq;
    return seq < highest_ ? Outcome::kOutOfOrder : Outcome::kInOrder;
  }
  if (!ahead_.insert(seq).second) return Outcome::kDuplicate;
  if (seq < highest_) return Outcome::kOutOfOrder;
  highest_ = seq;
  return Outcome::kAhead;
}

uint64_t SeqTracker::Missing(int64_t last) const {
  uint64_t n = 0;
  ForEachMissing(last, [&n](int64_t a, int64_t b) { n += static_cast<uint64_t>(b - a + 1); });
  return n;
}

}  // namespace slbench
