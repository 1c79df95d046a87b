#pragma once

// Sequencer delivers each conversation's `msg` events in seq order, without gaps or
// repeats. Seqs are gapless per conversation (PROTOCOL.md), so a message past the next
// expected seq means some were missed (typically sent while slchat was reconnecting): it
// is held, the caller asks the server for the missed ones (`sync` from position()), and
// the held message goes out once the gap is filled or `caught_up` says nothing more is
// coming. Pure; not thread-safe.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace slchat {

class Sequencer {
 public:
  using Json = nlohmann::json;

  // Everything of `conv` up to `seq` has been seen (moves forward only).
  void SetPosition(const std::string& conv, int64_t seq);
  // Starts `conv` over at `seq` (even backwards), forgetting what is held: a replay asked
  // for (join or sync with since) is then shown again.
  void Reset(const std::string& conv, int64_t seq);
  // The last seq seen without a gap; 0 when unknown.
  int64_t position(const std::string& conv) const;
  bool knows(const std::string& conv) const { return pos_.count(conv) > 0; }
  const std::map<std::string, int64_t>& positions() const { return pos_; }

  // A `msg` event of `conv` with `seq`: the events to deliver now, in order (empty when it
  // is a repeat or is held). `*gap` is set when messages before it are missing.
  std::vector<Json> Add(const std::string& conv, int64_t seq, Json ev, bool* gap);
  // `caught_up {conv, last_seq}`: releases everything held, in order.
  std::vector<Json> CaughtUp(const std::string& conv, int64_t last_seq);
  size_t held(const std::string& conv) const;

 private:
  std::map<std::string, int64_t> pos_;
  std::map<std::string, std::map<int64_t, Json>> held_;
};

}  // namespace slchat
