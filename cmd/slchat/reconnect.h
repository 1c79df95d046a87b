#pragma once

// When and how soon slchat reconnects (PROTOCOL.md "Close codes"). Pure; not thread-safe.

#include <cstdint>
#include <functional>

namespace slchat {

// True for close codes after which a client reconnects: 1001 (server going away), 1006
// (dropped), 4008 (slow reader), and 1011-1014 (server error, restart, try again later).
// False after 1000, 1008 (policy), 4001 (no auth in time), 4003 (token expired or revoked),
// 4029 (abuse) and anything else: retrying unchanged would not help.
bool ShouldReconnect(int close_code);

// Exponential backoff with jitter: attempt n waits a random time in [d/2, d] with
// d = min(max_ms, base_ms * 2^n). Reset() after a successful session.
class Backoff {
 public:
  // `random` returns a value in [0, 1); injectable for tests.
  Backoff(int64_t base_ms, int64_t max_ms, std::function<double()> random);

  int64_t Next();  // the delay before the next attempt
  void Reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  int64_t base_ms_;
  int64_t max_ms_;
  std::function<double()> random_;
  int attempt_ = 0;
};

}  // namespace slchat
