#include "stats.h"

#include <algorithm>

namespace slbench {

const char* OpName(Op op) {
  switch (op) {
    case Op::kRoomMsg:
      return "room";
    case Op::kDirect:
      return "direct";
    case Op::kPing:
      return "ping";
    case Op::kTyping:
      return "typing";
    case Op::kFile:
      return "file";
  }
  return "?";
}

PhaseStats::PhaseStats() = default;

void PhaseStats::Merge(const PhaseStats& o) {
  conns_attempted += o.conns_attempted;
  conns_made += o.conns_made;
  conns_failed += o.conns_failed;
  conns_ready += o.conns_ready;
  conns_dropped += o.conns_dropped;
  conns_reopened += o.conns_reopened;
  connect.Merge(o.connect);
  setup.Merge(o.setup);
  churn_done += o.churn_done;
  churn_failed += o.churn_failed;
  churn_setup.Merge(o.churn_setup);
  reconnects_started += o.reconnects_started;
  reconnects_done += o.reconnects_done;
  reconnect.Merge(o.reconnect);
  for (int i = 0; i < kOps; ++i) {
    offered[i] += o.offered[i];
    sent[i] += o.sent[i];
    answered[i] += o.answered[i];
    refused[i] += o.refused[i];
  }
  unanswered += o.unanswered;
  unacknowledged += o.unacknowledged;
  expected_deliveries += o.expected_deliveries;
  delivered += o.delivered;
  duplicated += o.duplicated;
  out_of_order += o.out_of_order;
  replayed += o.replayed;
  lost += o.lost;
  typing_events += o.typing_events;
  other_events += o.other_events;
  files_done += o.files_done;
  file_bytes += o.file_bytes;
  downloads_done += o.downloads_done;
  download_bytes += o.download_bytes;
  downloads_corrupt += o.downloads_corrupt;
  ack.Merge(o.ack);
  delivery.Merge(o.delivery);
  ping.Merge(o.ping);
  file.Merge(o.file);
  download.Merge(o.download);
  send_lag.Merge(o.send_lag);
  frames_out += o.frames_out;
  frames_in += o.frames_in;
  bytes_out += o.bytes_out;
  bytes_in += o.bytes_in;
  for (const auto& [k, v] : o.errors) errors[k] += v;
  for (const auto& [k, v] : o.failures) failures[k] += v;
  thread_cpu_ns = std::max(thread_cpu_ns, o.thread_cpu_ns);
  threads_cpu_ns += o.threads_cpu_ns;
}

Percentiles Percentiles::Of(const Histogram& h) {
  Percentiles p;
  p.count = h.count();
  p.p50 = h.Percentile(50);
  p.p90 = h.Percentile(90);
  p.p99 = h.Percentile(99);
  p.p999 = h.Percentile(99.9);
  p.max = h.max();
  return p;
}

std::vector<MergedInterval> MergeIntervals(const std::vector<std::vector<Interval>>& per_thread) {
  std::map<int, std::vector<const Interval*>> by_second;
  for (const auto& list : per_thread) {
    for (const Interval& in : list) by_second[in.second].push_back(&in);
  }
  std::vector<MergedInterval> out;
  Histogram ack, delivery, ping, setup;  // scratch, reused for every second
  for (const auto& [second, parts] : by_second) {
    MergedInterval m;
    m.second = second;
    ack.Reset();
    delivery.Reset();
    ping.Reset();
    setup.Reset();
    int64_t ack_max = 0, delivery_max = 0, ping_max = 0, setup_max = 0;
    for (const Interval* in : parts) {
      m.phase = std::max(m.phase, in->phase);
      m.sent += in->sent;
      m.answered += in->answered;
      m.delivered += in->delivered;
      m.errors += in->errors;
      m.setups += in->setups;
      m.open += in->open;
      ack.AddSparse(in->ack);
      delivery.AddSparse(in->delivery);
      ping.AddSparse(in->ping);
      setup.AddSparse(in->setup);
      setup_max = std::max(setup_max, in->setup_max);
      ack_max = std::max(ack_max, in->ack_max);
      delivery_max = std::max(delivery_max, in->delivery_max);
      ping_max = std::max(ping_max, in->ping_max);
    }
    m.ack = Percentiles::Of(ack);
    m.delivery = Percentiles::Of(delivery);
    m.ping = Percentiles::Of(ping);
    m.setup = Percentiles::Of(setup);
    // The sparse form keeps buckets, not the exact extremes: the exact max replaces the
    // bucket's top, and no percentile is shown above it.
    for (auto [p, exact] : {std::pair{&m.ack, ack_max}, std::pair{&m.delivery, delivery_max},
                            std::pair{&m.ping, ping_max}, std::pair{&m.setup, setup_max}}) {
      if (p->count == 0) continue;
      p->max = exact;
      for (int64_t* v : {&p->p50, &p->p90, &p->p99, &p->p999}) *v = std::min(*v, exact);
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace slbench
