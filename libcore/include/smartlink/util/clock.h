#pragma once

#include <atomic>
#include <cstdint>

namespace smartlink {

// Clock gives wall time in milliseconds since the Unix epoch (`ts` on the wire) and a
// monotonic time for timeouts. Injected so tests control time (FakeClock).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;        // wall clock, ms since epoch
  virtual int64_t MonotonicMs() const = 0;  // for deadlines and intervals
};

// The real clock. Thread-safe.
class SystemClock : public Clock {
 public:
  int64_t NowMs() const override;
  int64_t MonotonicMs() const override;
  static const SystemClock& Get();
};

// A clock tests move by hand. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1700000000000) : now_(now_ms) {}
  int64_t NowMs() const override { return now_.load(); }
  int64_t MonotonicMs() const override { return now_.load(); }
  void Advance(int64_t ms) { now_ += ms; }
  void Set(int64_t ms) { now_ = ms; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace smartlink
