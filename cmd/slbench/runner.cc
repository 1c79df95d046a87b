// The runner: starts the event-loop threads, then plays the scenario's time line from the
// calling thread. It sleeps until the next intended time (a send, a connection of a ramp, a
// phase change, a one-second tick), hands what is due to each worker in one posted batch,
// and sleeps again. Intended times come from the schedule alone, never from when the last
// reply came back: that is what makes the load open-loop.

#include "runner.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <memory>
#include <queue>
#include <thread>

#include "progress.h"
#include "smartlink/util/crypto.h"
#include "units.h"
#include "worker.h"

namespace slbench {

using smartlink::Result;
using smartlink::Status;

namespace {

double SelfCpuS() {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

void SleepUntil(int64_t mono_ns) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(mono_ns / kNsPerSec);
  ts.tv_nsec = static_cast<long>(mono_ns % kNsPerSec);
  // CLOCK_MONOTONIC is steady_clock's clock on Linux. EINTR (a signal) just wakes us early.
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

// Every connection needs a descriptor; raise the soft limit as far as the hard one allows.
Status EnsureFileLimit(const Scenario& s) {
  int churn = 0;
  for (const auto& p : s.phases) churn = std::max(churn, p.churn);
  rlim_t need = static_cast<rlim_t>(s.MaxConnections()) + static_cast<rlim_t>(churn) + 64;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return Status::Ok();
  if (rl.rlim_cur >= need) return Status::Ok();
  rl.rlim_cur = std::min(rl.rlim_max, std::max(need, rl.rlim_cur));
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < need) {
    return Status::Unavailable(
        "the scenario needs about " + std::to_string(need) + " file descriptors but the limit is " +
        std::to_string(rl.rlim_cur) +
        " (ulimit -n); split the connections over several slbench processes");
  }
  return Status::Ok();
}

// A stream of sends from one connection at a fixed interval.
struct Stream {
  Op op;
  int conn;
  int64_t next;
  int64_t interval;
};

class Timeline {
 public:
  Timeline(const Plan& plan, std::vector<std::unique_ptr<Worker>>& workers, const RunOptions& o)
      : plan_(plan), workers_(workers), options_(o), batches_(workers.size()) {}

  RunResult Play();

 private:
  void BeginPhase(int p);
  void AddStreams(Op op, double rate, int count, int64_t start, int64_t end);
  int64_t OpenTime(int conn) const;
  // Intended send times are on a grid of kGridNs from t0: the sends of one grid point go out
  // in one batch, so the runner and the event loops wake at most 10,000 times a second
  // (each wake costs several microseconds of kernel time, much more in a VM) however high
  // the rate. Latency is timed from the grid point, when the send was meant to go.
  int64_t OnGrid(int64_t ns) const {
    int64_t k = (ns - plan_.t0_ns + kGridNs - 1) / kGridNs;
    return plan_.t0_ns + k * kGridNs;
  }
  static constexpr int64_t kGridNs = 100 * 1000;
  void Flush();
  template <typename Fn>
  void PostAll(Fn fn) {
    for (auto& w : workers_) {
      Worker* wp = w.get();
      wp->loop().Post([wp, fn] { fn(*wp); });
    }
  }
  int Ready() const {
    int n = 0;
    for (auto& w : workers_) n += w->ready();
    return n;
  }
  // Every setup tried so far failed, none is still under way, none ever got through, and
  // that has lasted a second since the first failure.
  bool NothingGetsThrough(int64_t now) {
    int64_t done = 0, failed = 0, open = 0;
    for (auto& w : workers_) {
      done += w->setups_done();
      failed += w->setups_failed();
      open += w->setups_open();
    }
    if (done > 0 || failed == 0) return false;
    if (first_failure_ns_ == 0) first_failure_ns_ = now;
    return open == 0 && failed >= opened_ && now - first_failure_ns_ >= kNsPerSec;
  }
  int64_t first_failure_ns_ = 0;

  const Plan& plan_;
  std::vector<std::unique_ptr<Worker>>& workers_;
  const RunOptions& options_;
  std::vector<std::vector<Action>> batches_;
  std::vector<Stream> streams_;
  std::priority_queue<std::pair<int64_t, size_t>, std::vector<std::pair<int64_t, size_t>>,
                      std::greater<>>
      heap_;
  int opened_ = 0;  // connections asked to open so far (the ramp's position)
  int ramp_from_ = 0, ramp_to_ = 0;
  int64_t ramp_start_ = 0, ramp_ns_ = 0;
  int phase_ = -1;
};

int64_t Timeline::OpenTime(int conn) const {
  if (conn < ramp_from_ || ramp_to_ <= ramp_from_) return 0;
  return ramp_start_ + ramp_ns_ * (conn - ramp_from_) / (ramp_to_ - ramp_from_);
}

void Timeline::AddStreams(Op op, double rate, int count, int64_t start, int64_t end) {
  if (rate <= 0 || count <= 0) return;
  double gap = kNsPerSec / rate;  // between two sends of all streams together
  auto interval = static_cast<int64_t>(std::llround(gap * count));
  if (interval <= 0) interval = 1;
  for (int i = 0; i < count; ++i) {
    int64_t first = start + static_cast<int64_t>(std::llround(gap * i));
    int64_t open = OpenTime(i);
    if (first < open) first += (open - first + interval - 1) / interval * interval;
    if (first >= end) continue;
    streams_.push_back(Stream{op, i, first, interval});
    heap_.emplace(first, streams_.size() - 1);
  }
}

void Timeline::BeginPhase(int p) {
  phase_ = p;
  const Phase& ph = plan_.scenario.phases[static_cast<size_t>(p)];
  int64_t start = plan_.phase_start_ns[static_cast<size_t>(p)];
  int64_t end = plan_.phase_start_ns[static_cast<size_t>(p) + 1];
  PostAll([p](Worker& w) { w.BeginPhase(p); });

  // Connections: fewer closes the newest; more starts a ramp.
  if (ph.connections < opened_) {
    for (int c = ph.connections; c < opened_; ++c) {
      Worker* w = workers_[static_cast<size_t>(plan_.WorkerOf(c))].get();
      w->loop().Post([w, c] { w->CloseConn(c); });
    }
    opened_ = ph.connections;
  }
  ramp_from_ = opened_;
  ramp_to_ = std::max(opened_, ph.connections);
  ramp_start_ = start;
  ramp_ns_ = ph.ramp_ns;

  // Churn slots, dealt out like connections.
  for (size_t w = 0; w < workers_.size(); ++w) {
    std::vector<int> slots;
    for (int k = static_cast<int>(w); k < ph.churn; k += plan_.threads) slots.push_back(k);
    Worker* wp = workers_[w].get();
    wp->loop().Post([wp, slots] { wp->SetChurn(slots); });
  }

  // Streams of this phase; those of the last phase stop here.
  streams_.clear();
  heap_ = {};
  int publishers = plan_.scenario.rooms * ph.publishers;
  AddStreams(Op::kRoomMsg, ph.rate, publishers, start, end);
  AddStreams(Op::kTyping, ph.typing_rate, publishers, start, end);
  AddStreams(Op::kFile, ph.file_rate, publishers, start, end);
  AddStreams(Op::kDirect, ph.direct_rate, ph.connections, start, end);
  AddStreams(Op::kPing, ph.ping_rate, ph.connections, start, end);
}

void Timeline::Flush() {
  for (size_t w = 0; w < workers_.size(); ++w) {
    if (batches_[w].empty()) continue;
    Worker* wp = workers_[w].get();
    wp->loop().Post([wp, batch = std::move(batches_[w])] { wp->Fire(batch); });
    batches_[w].clear();
  }
}

RunResult Timeline::Play() {
  RunResult r;
  r.plan = plan_;
  r.started_ms = WallMs();
  size_t n = plan_.scenario.phases.size();
  r.phases.resize(n);
  Progress progress(plan_, options_.progress);
  int64_t end = plan_.phase_start_ns[n];
  int64_t next_tick = plan_.t0_ns + kNsPerSec;
  int second = 0;
  double cpu_mark = SelfCpuS();
  size_t next_phase = 0;
  auto close_phase = [&](size_t p, int64_t now) {
    r.phases[p].self_cpu_s = SelfCpuS() - cpu_mark;
    cpu_mark += r.phases[p].self_cpu_s;
    r.phases[p].duration_ns = now - plan_.phase_start_ns[p];
    r.phases[p].connections_open = Ready();
    if (options_.server_pid > 0) r.phases[p].server_end = SampleProcess(options_.server_pid);
  };
  int64_t show_at = std::numeric_limits<int64_t>::max();  // when to redraw the progress line
  auto tick = [&](int64_t now) {
    while (now >= next_tick) {
      int s = second++;
      PostAll([s](Worker& w) { w.Rotate(s); });
      next_tick += kNsPerSec;
      show_at = now + 50 * kNsPerMs;  // once the workers have closed the second
    }
    if (now >= show_at) {
      progress.Update(workers_, phase_, now, Ready());
      show_at = std::numeric_limits<int64_t>::max();
    }
  };

  // The phases.
  for (;;) {
    int64_t now = MonoNs();
    bool stop = options_.stop && options_.stop->load();
    bool abandon = !stop && NothingGetsThrough(now);
    while (next_phase < n && now >= plan_.phase_start_ns[next_phase] && !stop && !abandon) {
      if (next_phase > 0) close_phase(next_phase - 1, now);
      r.phases[next_phase].ran = true;
      if (options_.server_pid > 0) {
        r.phases[next_phase].server_begin = SampleProcess(options_.server_pid);
      }
      BeginPhase(static_cast<int>(next_phase++));
    }
    // Connections of the ramp that are due (before the end check: a runner woken late, past
    // the end of a short phase, still opens what the phase asked for).
    while (opened_ < ramp_to_ && OpenTime(opened_) <= now && !stop) {
      int c = opened_++;
      Worker* w = workers_[static_cast<size_t>(plan_.WorkerOf(c))].get();
      w->loop().Post([w, c] { w->Open(c); });
    }
    if (now >= end || stop || abandon) {
      if (next_phase > 0) close_phase(next_phase - 1, now);
      r.interrupted = stop;
      r.abandoned = abandon;
      break;
    }
    // Sends that are due.
    int64_t phase_end = plan_.phase_start_ns[static_cast<size_t>(phase_) + 1];
    while (!heap_.empty() && OnGrid(heap_.top().first) <= now) {
      size_t i = heap_.top().second;
      heap_.pop();
      Stream& s = streams_[i];
      batches_[static_cast<size_t>(plan_.WorkerOf(s.conn))].push_back(
          Action{s.op, s.conn, OnGrid(s.next)});
      s.next += s.interval;
      if (s.next < phase_end) heap_.emplace(s.next, i);
    }
    Flush();
    tick(now);
    int64_t wake = std::min({end, next_tick, show_at, now + 100 * kNsPerMs});
    if (next_phase < n) wake = std::min(wake, plan_.phase_start_ns[next_phase]);
    if (!heap_.empty()) wake = std::min(wake, OnGrid(heap_.top().first));
    if (opened_ < ramp_to_) wake = std::min(wake, OpenTime(opened_));
    if (wake > now) SleepUntil(wake);
  }

  // The drain: wait for replies and deliveries still on their way.
  int64_t drain_start = MonoNs();
  PostAll([n](Worker& w) { w.BeginPhase(static_cast<int>(n)); });
  int64_t drain_end =
      drain_start + (r.interrupted || r.abandoned ? kNsPerSec : plan_.scenario.drain_ns);
  for (;;) {
    int64_t now = MonoNs();
    int64_t busy = 0, last_rx = 0;
    for (auto& w : workers_) {
      busy += w->busy();
      last_rx = std::max(last_rx, w->last_rx_ns());
    }
    // Quiet for 200 ms with nothing outstanding: deliveries follow their ok within that.
    if (busy == 0 && now - std::max(last_rx, drain_start) >= 200 * kNsPerMs) {
      r.drain_complete = true;
      break;
    }
    if (now >= drain_end) {
      r.drain_outstanding = busy;
      break;
    }
    if (options_.stop && options_.stop->load() && !r.interrupted) {
      r.interrupted = true;
      drain_end = std::min(drain_end, now + kNsPerSec);
    }
    tick(now);
    SleepUntil(std::min(now + 10 * kNsPerMs, drain_end));
  }
  r.drain_ns = MonoNs() - drain_start;
  progress.Clear();
  PostAll([](Worker& w) { w.Finish(2 * kNsPerSec); });
  return r;
}

}  // namespace

ServerSample SampleProcess(pid_t pid) {
  ServerSample s;
  std::string dir = "/proc/" + std::to_string(pid);
  if (FILE* f = fopen((dir + "/status").c_str(), "r")) {
    char line[256];
    while (fgets(line, sizeof line, f)) {
      long long kb;
      if (sscanf(line, "VmRSS: %lld kB", &kb) == 1) {
        s.rss_bytes = kb * 1024;
        s.ok = true;
      }
    }
    fclose(f);
  }
  if (FILE* f = fopen((dir + "/stat").c_str(), "r")) {
    char buf[1024];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = 0;
    fclose(f);
    // Fields after the command name (which may hold spaces): state is field 3; utime and
    // stime are fields 14 and 15.
    const char* p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    if (p &&
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2) {
      s.cpu_s = static_cast<double>(ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  return s;
}

Result<RunResult> Run(const Scenario& scenario, const RunOptions& options) {
  if (Status s = EnsureFileLimit(scenario); !s.ok()) return s;
  Plan plan;
  plan.scenario = scenario;
  plan.threads = std::max(1, options.threads);
  plan.run_id = smartlink::crypto::RandomHex(4);
  plan.fresh_names = scenario.prefix.empty();
  plan.prefix = plan.fresh_names ? "slb" + plan.run_id + "-" : scenario.prefix;

  // Sub-millisecond sleeps: the default 50 us timer slack would blur the schedule.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  for (int i = 0; i < plan.threads; ++i) workers.push_back(std::make_unique<Worker>(i, plan));

  // The time line, fixed once the workers exist (making their event loops and TLS contexts
  // can take a good part of a second on a loaded machine) and before any thread reads it.
  plan.t0_ns = MonoNs() + 100 * kNsPerMs;
  int64_t t = plan.t0_ns;
  for (const Phase& p : scenario.phases) {
    plan.phase_start_ns.push_back(t);
    t += p.duration_ns;
  }
  plan.phase_start_ns.push_back(t);

  for (auto& w : workers) {
    Worker* wp = w.get();
    wp->loop().Post([wp] { wp->Start(); });
    threads.emplace_back([wp] { wp->loop().Run(); });
  }

  Timeline timeline(plan, workers, options);
  double cpu0 = SelfCpuS();
  RunResult r = timeline.Play();
  for (auto& th : threads) th.join();
  r.self_cpu_s = SelfCpuS() - cpu0;
  cpu_set_t affinity;
  if (sched_getaffinity(0, sizeof affinity, &affinity) == 0) r.cpus = CPU_COUNT(&affinity);

  // Integrity: the highest seq of every conversation, then what each receiver missed.
  SeqMaxima maxima;
  for (auto& w : workers) w->CollectSeqs(&maxima);
  for (auto& w : workers) w->CountLost(maxima, &r.issues, 100, &r.receivers_with_issues);

  std::vector<std::vector<Interval>> intervals;
  for (auto& w : workers) {
    auto& stats = w->stats();
    for (size_t p = 0; p < r.phases.size(); ++p) r.phases[p].stats.Merge(stats[p]);
    r.drain.Merge(stats.back());
    intervals.push_back(w->TakeIntervals());
  }
  r.timeline = MergeIntervals(intervals);
  return r;
}

}  // namespace slbench
