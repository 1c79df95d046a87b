#include "smartlink/util/duration.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace smartlink {

bool SplitNumber(std::string_view text, double* value, std::string_view* unit) {
  size_t i = 0;
  bool digits = false, dot = false;
  while (i < text.size()) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
    ++i;
  }
  if (!digits || i > 24) return false;
  *value = std::stod(std::string(text.substr(0, i)));
  *unit = text.substr(i);
  while (!unit->empty() && unit->front() == ' ') unit->remove_prefix(1);
  return true;
}

namespace {

std::optional<int64_t> Scale(double v, double factor) {
  double r = v * factor;
  if (!(r >= 0) || r > static_cast<double>(std::numeric_limits<int64_t>::max() / 2)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(r + 0.5);
}

}  // namespace

std::optional<int64_t> ParseDurationMs(std::string_view text, int64_t bare_unit_ms) {
  double v;
  std::string_view unit;
  if (!SplitNumber(text, &v, &unit)) return std::nullopt;
  if (unit.empty()) return Scale(v, static_cast<double>(bare_unit_ms));
  if (unit == "ms") return Scale(v, 1);
  if (unit == "s") return Scale(v, 1000);
  if (unit == "m" || unit == "min") return Scale(v, 60 * 1000);
  if (unit == "h") return Scale(v, 3600 * 1000);
  if (unit == "d") return Scale(v, 86400 * 1000.0);
  return std::nullopt;
}

std::optional<int64_t> ParseBytes(std::string_view text) {
  double v;
  std::string_view unit;
  if (!SplitNumber(text, &v, &unit)) return std::nullopt;
  if (unit.empty() || unit == "B") return Scale(v, 1);
  if (unit == "k" || unit == "K" || unit == "KB" || unit == "kB") return Scale(v, 1000);
  if (unit == "KiB" || unit == "Ki") return Scale(v, 1024);
  if (unit == "M" || unit == "MB") return Scale(v, 1e6);
  if (unit == "MiB" || unit == "Mi") return Scale(v, 1024.0 * 1024);
  if (unit == "G" || unit == "GB") return Scale(v, 1e9);
  if (unit == "GiB" || unit == "Gi") return Scale(v, 1024.0 * 1024 * 1024);
  if (unit == "T" || unit == "TB") return Scale(v, 1e12);
  if (unit == "TiB" || unit == "Ti") return Scale(v, 1024.0 * 1024 * 1024 * 1024);
  return std::nullopt;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + "ms";
  struct Unit {
    const char* name;
    double ms;
  };
  static const Unit kUnits[] = {{"h", 3600000.0}, {"m", 60000.0}, {"s", 1000.0}};
  for (const Unit& u : kUnits) {
    if (static_cast<double>(ms) < u.ms) continue;
    double v = std::round(static_cast<double>(ms) / u.ms * 10) / 10;
    char buf[32];
    snprintf(buf, sizeof buf, v == std::floor(v) ? "%.0f%s" : "%.1f%s", v, u.name);
    return buf;
  }
  return std::to_string(ms) + "ms";
}

}  // namespace smartlink
