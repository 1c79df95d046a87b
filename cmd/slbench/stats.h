#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "histogram.h"

// What slbench counts. Each event-loop thread fills its own PhaseStats and Intervals; the
// runner merges them once the threads have stopped.
namespace slbench {

// The kinds of scheduled traffic.
enum class Op : uint8_t { kRoomMsg, kDirect, kPing, kTyping, kFile };
constexpr int kOps = 5;
const char* OpName(Op op);

// Counts for one phase. Rates count by the time things happened; latencies go to the phase
// of the intended send time, so a phase's percentiles describe the load it offered.
struct PhaseStats {
  PhaseStats();
  void Merge(const PhaseStats& o);

  // Persistent connections.
  uint64_t conns_attempted = 0, conns_made = 0, conns_failed = 0, conns_ready = 0;
  uint64_t conns_dropped = 0;  // closed by the server or the network, not by slbench
  // Opened again at the start of the phase, after a drop or a failed setup in an earlier one
  // (also counted in conns_attempted).
  uint64_t conns_reopened = 0;
  Histogram connect;  // start to WebSocket open
  Histogram setup;    // start to authenticated and in every room
  // Churn: connect, upgrade, auth, join, close.
  uint64_t churn_done = 0, churn_failed = 0;
  Histogram churn_setup;
  // Reconnect storm: dropped, back, and caught up.
  uint64_t reconnects_started = 0, reconnects_done = 0;
  Histogram reconnect;  // drop to the last caught_up

  // Scheduled traffic, by Op.
  uint64_t offered[kOps] = {};   // scheduled to start in this phase
  uint64_t sent[kOps] = {};      // written to the socket in this phase
  uint64_t answered[kOps] = {};  // ok (or pong) received in this phase
  uint64_t refused[kOps] = {};   // error received in this phase
  uint64_t unanswered = 0;       // requests whose connection went away before the reply
  // Message sends never answered, ok or error: cut off by the server or the network, or
  // still open when the run ended. Counted as lost (by the phase that offered them).
  uint64_t unacknowledged = 0;
  uint64_t expected_deliveries = 0;  // members due the messages sent (from the seqs, at the end)
  uint64_t delivered = 0;            // msg events received (first copies)
  uint64_t duplicated = 0, out_of_order = 0;
  uint64_t replayed = 0;  // repeats while catching up after a reconnect (see ConvState)
  uint64_t lost = 0;      // filled in at the end from the trackers
  uint64_t typing_events = 0, other_events = 0;
  uint64_t files_done = 0, file_bytes = 0;  // uploaded
  uint64_t downloads_done = 0, download_bytes = 0, downloads_corrupt = 0;
  Histogram ack;       // msg.send to its ok
  Histogram delivery;  // msg.send to each msg event
  Histogram ping;      // ping to pong
  Histogram file;      // file.begin to the ok of file.end
  Histogram download;  // file.get to the last byte of file.data
  Histogram send_lag;  // intended send time to the actual write: the generator's lateness

  uint64_t frames_out = 0, frames_in = 0, bytes_out = 0, bytes_in = 0;
  std::map<std::string, uint64_t> errors;    // by protocol error code or close code
  std::map<std::string, uint64_t> failures;  // connection failures by reason
  int64_t thread_cpu_ns = 0;                 // the busiest event-loop thread
  int64_t threads_cpu_ns = 0;                // all event-loop threads
};

// One second of one thread's activity, for the progress line and the plot.
struct Interval {
  int second = 0;
  int phase = 0;
  uint64_t sent = 0, answered = 0, delivered = 0, errors = 0;
  uint64_t setups = 0;  // connections (ramp, churn or reconnect) that got through setup
  int open = 0;
  int64_t ack_max = 0, delivery_max = 0, ping_max = 0, setup_max = 0;
  std::vector<std::pair<uint32_t, uint64_t>> ack, delivery, ping, setup;  // Histogram::Sparse()
};

// Intervals of all threads for one second, merged, with the percentiles worked out.
struct Percentiles {
  uint64_t count = 0;
  int64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
  static Percentiles Of(const Histogram& h);
};
struct MergedInterval {
  int second = 0;
  int phase = 0;
  uint64_t sent = 0, answered = 0, delivered = 0, errors = 0, setups = 0;
  int open = 0;
  Percentiles ack, delivery, ping, setup;
};
std::vector<MergedInterval> MergeIntervals(const std::vector<std::vector<Interval>>& per_thread);

// One receiver's anomalies in one conversation, for the report.
struct ReceiverIssue {
  std::string user;
  std::string conv;
  uint64_t lost = 0, duplicated = 0, out_of_order = 0;
};

}  // namespace slbench
