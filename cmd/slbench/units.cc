#include "units.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

#include "smartlink/util/duration.h"

namespace slbench {

std::optional<int64_t> ParseDurationNs(std::string_view text, int64_t bare_unit_ns) {
  double v;
  std::string_view unit;
  if (!smartlink::SplitNumber(text, &v, &unit)) return std::nullopt;
  double scale;
  if (unit.empty()) {
    scale = static_cast<double>(bare_unit_ns);
  } else if (unit == "ns") {
    scale = 1;
  } else if (unit == "us" || unit == "\xC2\xB5s") {  // us or µs
    scale = kNsPerUs;
  } else if (unit == "ms") {
    scale = kNsPerMs;
  } else if (unit == "s") {
    scale = kNsPerSec;
  } else if (unit == "m" || unit == "min") {
    scale = 60.0 * kNsPerSec;
  } else if (unit == "h") {
    scale = 3600.0 * kNsPerSec;
  } else {
    return std::nullopt;
  }
  double r = v * scale;
  if (!(r >= 0) || r > static_cast<double>(std::numeric_limits<int64_t>::max() / 4)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(std::llround(r));
}

std::string FormatNs(int64_t ns) {
  char buf[32];
  double v = static_cast<double>(ns);
  if (ns < 1000) {
    snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
  } else if (ns < 1000 * kNsPerUs) {
    snprintf(buf, sizeof buf, "%.0fus", v / kNsPerUs);
  } else if (ns < 10 * kNsPerMs) {
    snprintf(buf, sizeof buf, "%.2fms", v / kNsPerMs);
  } else if (ns < 100 * kNsPerMs) {
    snprintf(buf, sizeof buf, "%.1fms", v / kNsPerMs);
  } else if (ns < kNsPerSec) {
    snprintf(buf, sizeof buf, "%.0fms", v / kNsPerMs);
  } else {
    snprintf(buf, sizeof buf, "%.2fs", v / kNsPerSec);
  }
  return buf;
}

double NsToMs(int64_t ns) { return std::round(static_cast<double>(ns) / 1000.0) / 1000.0; }

std::string FormatCount(double n) {
  char buf[32];
  if (n < 1000) {
    snprintf(buf, sizeof buf, "%.0f", n);
  } else if (n < 1e6) {
    snprintf(buf, sizeof buf, n < 1e4 ? "%.2fk" : n < 1e5 ? "%.1fk" : "%.0fk", n / 1e3);
  } else {
    snprintf(buf, sizeof buf, n < 1e7 ? "%.2fM" : "%.1fM", n / 1e6);
  }
  return buf;
}

int64_t MonoNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string IsoTime(int64_t wall_ms) {
  time_t secs = static_cast<time_t>(wall_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace slbench
