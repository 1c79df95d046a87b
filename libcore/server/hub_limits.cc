// Limits: the per-connection token bucket, abuse strikes, and the send-queue bounds that keep
// a slow reader from holding memory or slowing anyone else.

#include <algorithm>

#include "hub_impl.h"

namespace smartlink::server {

namespace {
constexpr int64_t kStrikeWindowMs = 10000;
constexpr size_t kBurstFactor = 8;         // past this many times the bound: closed at once
constexpr int64_t kBacklogGraceMs = 1000;  // past the bound this long: closed

// Signals that lose nothing when dropped: a later one supersedes them.
bool Droppable(const char* type) {
  std::string_view t = type;
  return t == "typing" || t == "presence" || t == "live.viewers" || t == "live.react";
}
}  // namespace

bool Hub::Impl::TakeToken(Conn& c) {
  if (opt.rate_per_sec <= 0) return true;
  int64_t now = clock.MonotonicMs();
  if (c.tokens_ms == 0) {
    c.tokens = opt.rate_burst;
  } else {
    c.tokens = std::min(opt.rate_burst, c.tokens + static_cast<double>(now - c.tokens_ms) *
                                                       opt.rate_per_sec / 1000);
  }
  c.tokens_ms = now;
  if (c.tokens < 1) {
    metrics.rate_limited++;
    return false;
  }
  c.tokens -= 1;
  return true;
}

int64_t Hub::Impl::RetryMs(const Conn& c) const {
  double missing = std::max(0.0, 1 - c.tokens);
  return static_cast<int64_t>(missing * 1000 / opt.rate_per_sec) + 1;
}

void Hub::Impl::Strike(Conn& c) {
  int64_t now = clock.MonotonicMs();
  if (now - c.strikes_since_ms > kStrikeWindowMs) {
    c.strikes = 0;
    c.strikes_since_ms = now;
  }
  if (++c.strikes > opt.abuse_strikes && !c.closing) {
    metrics.abuse_closed++;
    LogClosing("warn", c, "repeated abuse");
    CloseConn(c, 4029, "too many refused requests");
  }
}

bool Hub::Impl::HasRoom(Conn& c, size_t bytes, const char* type) {
  size_t queued = transport.BufferedBytes(c.id);
  if (queued > opt.send_queue_soft && Droppable(type)) {
    metrics.dropped[type]++;
    return false;
  }
  // One storage batch can put a burst of broadcasts on a fast reader's queue; a slow
  // reader is one that stays past the bound (CheckBacklog), or goes far past it.
  if (queued + bytes > opt.send_queue_hard) {
    if (c.over_since_ms == 0) c.over_since_ms = clock.MonotonicMs();
    if (queued + bytes > kBurstFactor * opt.send_queue_hard) {
      SlowReader(
          c, "send queue over " + std::to_string(kBurstFactor * opt.send_queue_hard) + " bytes");
      return false;
    }
  }
  return true;
}

void Hub::Impl::CheckBacklog(Conn& c, int64_t now) {
  if (c.over_since_ms == 0 || c.closing) return;
  if (transport.BufferedBytes(c.id) <= opt.send_queue_hard) {
    c.over_since_ms = 0;
  } else if (now - c.over_since_ms >= kBacklogGraceMs) {
    SlowReader(c, "send queue over " + std::to_string(opt.send_queue_hard) + " bytes for " +
                      std::to_string(now - c.over_since_ms) + " ms");
  }
}

void Hub::Impl::SlowReader(Conn& c, const std::string& why) {
  if (c.closing) return;
  metrics.slow_readers++;
  LogClosing("info", c, "slow reader, " + why);
  CloseConn(c, 4008, "slow reader: reconnect and catch up with since");
}

void Hub::Impl::LogClosing(const char* level, const Conn& c, const std::string& why) {
  log(level,
      "closing " + transport.Remote(c.id) + (c.authed() ? " (" + c.user + ")" : "") + ": " + why);
}

}  // namespace smartlink::server
