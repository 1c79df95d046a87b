#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smartlink {

// Splits "12.5ms" into 12.5 and "ms" (spaces between them skipped). False if `text` does
// not start with a plain decimal number (no sign, no exponent, at most 24 characters).
bool SplitNumber(std::string_view text, double* value, std::string_view* unit);

// Parses "250ms", "10s", "5m", "1h", "2d" or a bare number of `bare_unit_ms` into
// milliseconds. Returns nullopt for anything else (negative, overflow, unknown unit).
std::optional<int64_t> ParseDurationMs(std::string_view text, int64_t bare_unit_ms = 1000);

// Parses "64KiB", "1MiB", "500k", "2M", "1G" or a bare number of bytes.
std::optional<int64_t> ParseBytes(std::string_view text);

// "1.5s", "250ms", "2h" for people.
std::string FormatDurationMs(int64_t ms);

}  // namespace smartlink
