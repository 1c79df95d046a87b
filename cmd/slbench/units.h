#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Parsing and printing of durations, counts and rates for slbench's flags, scenarios and
// reports.
namespace slbench {

constexpr int64_t kNsPerUs = 1000;
constexpr int64_t kNsPerMs = 1000 * 1000;
constexpr int64_t kNsPerSec = 1000 * 1000 * 1000;

// "250us", "1.5ms", "10s", "2m", "1h", or a bare number of `bare_unit_ns`. Nullopt for
// anything else (negative, unknown unit, overflow).
std::optional<int64_t> ParseDurationNs(std::string_view text, int64_t bare_unit_ns);

// "812us", "1.23ms", "45.6ms", "2.50s" (three significant digits, as recorded).
std::string FormatNs(int64_t ns);
// Milliseconds with three decimals for machine-readable reports: 1.234.
double NsToMs(int64_t ns);
// "950", "12.3k", "4.56M".
std::string FormatCount(double n);

// steady_clock (CLOCK_MONOTONIC) in nanoseconds: the same clock in every thread and process
// of the machine, so a message stamped by one connection is timed by another.
int64_t MonoNs();
// Wall time in milliseconds since the Unix epoch.
int64_t WallMs();
// "2025-01-31T12:00:00Z".
std::string IsoTime(int64_t wall_ms);

}  // namespace slbench
