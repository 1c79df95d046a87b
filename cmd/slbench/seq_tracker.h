#pragma once

#include <cstdint>
#include <set>

namespace slbench {

// SeqTracker checks what one receiver got of one conversation against the protocol's
// promise: `seq` numbers a conversation's messages 1, 2, 3, ... without gaps, and every
// session receives them in order. A seq that arrives twice is a duplicate; one that arrives
// after a higher one is out of order; one that never arrives is lost (known only at the end,
// from the last seq the conversation reached). Owned by one connection; not thread-safe.
class SeqTracker {
 public:
  enum class Outcome {
    kInOrder,     // the next expected seq
    kAhead,       // beyond a gap: the seqs in between are missing so far
    kOutOfOrder,  // fills a gap, after a higher seq arrived
    kDuplicate,   // already received
    kBefore,      // at or before the starting point: not expected, ignored
  };

  bool started() const { return started_; }
  int64_t start() const { return start_; }  // seqs after this one are expected
  // Expects every seq after `after_seq` (the join's last_seq, or 0 for a new conversation).
  // Does nothing if already started.
  void Start(int64_t after_seq);
  Outcome Receive(int64_t seq);

  // Every seq up to position() has arrived: what `sync` should be asked to resume from.
  int64_t position() const { return next_ - 1; }
  int64_t highest() const { return highest_; }
  // Before resuming with sync from position(): forget what arrived beyond the first gap, as
  // the server sends it again.
  void ForgetAhead() {
    ahead_.clear();
    highest_ = position();
  }

  // Calls fn(first, last) for each run of seqs in (start, `last`] that never arrived.
  template <typename Fn>
  void ForEachMissing(int64_t last, Fn&& fn) const;
  uint64_t Missing(int64_t last) const;

 private:
  bool started_ = false;
  int64_t start_ = 0;        // seqs at or below this are not expected
  int64_t next_ = 1;         // the lowest seq not yet received
  int64_t highest_ = 0;      // the highest seq received
  std::set<int64_t> ahead_;  // received seqs above next_ (normally empty)
};

template <typename Fn>
void SeqTracker::ForEachMissing(int64_t last, Fn&& fn) const {
  int64_t from = next_;
  for (int64_t got : ahead_) {
    if (got > last) break;
    if (got > from) fn(from, got - 1);
    from = got + 1;
  }
  if (from <= last) fn(from, last);
}

}  // namespace slbench
