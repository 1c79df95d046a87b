#include "sequencer.h"

#include <algorithm>

namespace slchat {

void Sequencer::SetPosition(const std::string& conv, int64_t seq) {
  int64_t& p = pos_[conv];
  p = std::max(p, seq);
  auto h = held_.find(conv);
  if (h == held_.end()) return;
  h->second.erase(h->second.begin(), h->second.upper_bound(p));
}

void Sequencer::Reset(const std::string& conv, int64_t seq) {
  pos_[conv] = seq;
  held_.erase(conv);
}

int64_t Sequencer::position(const std::string& conv) const {
  auto it = pos_.find(conv);
  return it == pos_.end() ? 0 : it->second;
}

size_t Sequencer::held(const std::string& conv) const {
  auto it = held_.find(conv);
  return it == held_.end() ? 0 : it->second.size();
}

std::vector<Sequencer::Json> Sequencer::Add(const std::string& conv, int64_t seq, Json ev,
                                            bool* gap) {
  *gap = false;
  std::vector<Json> out;
  auto p = pos_.find(conv);
  if (p == pos_.end()) {  // a conversation new to us starts where its first message is
    p = pos_.emplace(conv, seq - 1).first;
  }
  if (seq <= p->second) return out;  // seen
  std::map<int64_t, Json>& held = held_[conv];
  if (seq > p->second + 1) {
    *gap = true;
    held.emplace(seq, std::move(ev));
    return out;
  }
  out.push_back(std::move(ev));
  p->second = seq;
  for (auto it = held.begin(); it != held.end() && it->first <= p->second + 1;) {
    if (it->first == p->second + 1) {
      out.push_back(std::move(it->second));
      p->second = it->first;
    }
    it = held.erase(it);
  }
  if (held.empty()) held_.erase(conv);
  return out;
}

std::vector<Sequencer::Json> Sequencer::CaughtUp(const std::string& conv, int64_t last_seq) {
  std::vector<Json> out;
  int64_t& p = pos_[conv];
  auto h = held_.find(conv);
  if (h != held_.end()) {
    for (auto& [seq, ev] : h->second) {
      if (seq <= p) continue;
      out.push_back(std::move(ev));
      p = seq;
    }
    held_.erase(h);
  }
  p = std::max(p, last_seq);
  return out;
}

}  // namespace slchat
