#include "reconnect.h"

#include <algorithm>

namespace slchat {

bool ShouldReconnect(int close_code) {
  switch (close_code) {
    case 1001:
    case 1006:
    case 1011:
    case 1012:
    case 1013:
    case 1014:
    case 4008:
      return true;
    default:
      return false;
  }
}

Backoff::Backoff(int64_t base_ms, int64_t max_ms, std::function<double()> random)
    : base_ms_(base_ms), max_ms_(max_ms), random_(std::move(random)) {}

int64_t Backoff::Next() {
  int64_t d = base_ms_;
  for (int i = 0; i < attempt_ && d < max_ms_; ++i) d *= 2;
  d = std::min(d, max_ms_);
  if (attempt_ < 62) ++attempt_;
  double r = std::clamp(random_(), 0.0, 1.0);
  return d / 2 + static_cast<int64_t>(static_cast<double>(d - d / 2) * r);
}

}  // namespace slchat
