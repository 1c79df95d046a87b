#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "histogram.h"
#include "plan.h"
#include "seq_tracker.h"
#include "smartlink/net/ws_client.h"
#include "stats.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, for the files' running SHA-256

namespace slbench {

// The highest seq of every conversation, gathered from all workers after a run.
struct SeqMaxima {
  // conv -> the highest seq acknowledged for a send offered in each phase (phases + 1).
  std::unordered_map<std::string, std::vector<int64_t>> acked_by_phase;
  // conv -> the highest seq any sender or receiver saw: the conversation's last message.
  std::unordered_map<std::string, int64_t> last;
};

// Worker owns one ClientLoop (one event loop, run on one thread) and the connections the
// runner assigns to it (conn % threads). It opens and sets them up (connect, auth, join),
// sends what the runner schedules, and times and checks everything received.
//
// Threads: the runner calls the "loop thread" methods only through loop().Post(); busy(),
// last_rx_ns(), ready() and LastInterval() may be called from any thread; the results may be
// read once the loop has stopped.
class Worker {
 public:
  Worker(int index, const Plan& plan);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  smartlink::net::ClientLoop& loop() { return *loop_; }

  // --- loop thread ---
  void Start();                // starts the housekeeping timer
  void BeginPhase(int phase);  // also drops and reconnects if the phase says so
  void Open(int conn);
  void CloseConn(int conn);
  void Fire(const std::vector<Action>& actions);
  void SetChurn(const std::vector<int>& slots);  // the churn loops this worker runs now
  void Rotate(int second);                       // closes one second of the time line
  void Finish(int64_t grace_ns);                 // closes every connection, then stops the loop

  // --- any thread ---
  // Requests awaiting a reply, sends waiting to be written, connections being set up.
  int64_t busy() const { return busy_.load(std::memory_order_relaxed); }
  int64_t last_rx_ns() const { return last_rx_ns_.load(std::memory_order_relaxed); }
  int ready() const { return ready_count_.load(std::memory_order_relaxed); }
  // Setups (ramp, churn or reconnect) that got through, and that failed, since the start.
  int64_t setups_done() const { return setups_done_.load(std::memory_order_relaxed); }
  int64_t setups_failed() const { return setups_failed_.load(std::memory_order_relaxed); }
  // Ramp connections in setup (churn loops retry at once, so there is nearly always one).
  int64_t setups_open() const { return setups_open_.load(std::memory_order_relaxed); }
  std::optional<Interval> LastInterval() const;

  // --- after the loop has stopped ---
  std::vector<PhaseStats>& stats() { return stats_; }  // phases, then the drain
  std::vector<Interval> TakeIntervals();
  void CollectSeqs(SeqMaxima* m) const;
  // Counts what each receiver was due (expected_deliveries) and never got (lost) into the
  // phase that sent it; lists the receivers with anything lost, duplicated or out of order
  // (up to `max_issues`).
  void CountLost(const SeqMaxima& m, std::vector<ReceiverIssue>* issues, size_t max_issues,
                 uint64_t* receivers_with_issues);

 private:
  enum class Req : uint8_t {
    kRoomMsg,
    kDirect,
    kPing,
    kTyping,
    kFileBegin,
    kFileChunk,
    kFileEnd,
    kFileGet,
    kAuth,
    kJoin,
    kCreate,
    kSync,
  };
  struct Pending {
    uint64_t id;
    Req kind;
    int64_t intended_ns;
    int aux;  // room index for joins
    bool done;
  };
  struct ConvState {
    std::string conv;
    SeqTracker seq;
    uint64_t duplicated = 0, out_of_order = 0;
    // Between a reconnect's welcome and this conversation's caught_up, live messages may
    // arrive before sync starts and again from the catch-up: a client drops such repeats by
    // seq, so they are counted apart (PhaseStats::replayed), not as duplicates.
    bool recovering = false;
  };
  struct Upload {
    Upload();
    ~Upload();
    evp_md_ctx_st* sha;       // of the bytes sent
    evp_md_ctx_st* down_sha;  // of the bytes downloaded back
    std::string digest;       // hex SHA-256 of the file
    bool downloading = false;
    int64_t get_ns = 0;    // when file.get was sent
    int64_t received = 0;  // bytes downloaded
    int64_t intended_ns = 0;
    std::string file_id;
    int64_t size = 0, offset = 0, acked = 0, chunk = 0;
    int in_flight = 0;
    int room = 0;
    bool end_sent = false;
  };
  enum class State : uint8_t { kIdle, kConnecting, kSetup, kReady, kClosing, kClosed };
  struct Conn {
    int index = 0;  // connection number (or churn slot)
    bool churn = false;
    bool churn_active = false;
    std::string user;
    std::vector<int> rooms;
    smartlink::net::ClientId id = 0;
    uint32_t gen = 0;  // bumped per connection attempt; stale callbacks are ignored
    State state = State::kIdle;
    bool in_setup = false;  // counted in busy_
    bool reconnecting = false;
    bool dropped = false;  // stopped receiving before the end: held to what came before
    bool shed = false;     // closed by slbench (a phase with fewer connections)
    bool failed = false;   // the last attempt failed (churn waits before the next)
    // Opened more than once, or reconnected: its conversations are not all from seq 1.
    bool resumed = false;
    int sessions = 0;
    int64_t start_ns = 0, drop_ns = 0;
    int joins_left = 0, catchups_left = 0, retries = 0;
    uint64_t next_id = 1;
    std::deque<Pending> pending;
    std::deque<Action> backlog;
    bool in_backlog_list = false;
    int ready_pos = -1;  // position in ready_, or -1
    std::vector<ConvState> convs;
    std::unique_ptr<Upload> upload;
    std::deque<int64_t> files_waiting;
  };
  // What OnMessage reads from a frame: raw JSON values (see json_scan.h), empty if absent.
  struct Fields {
    std::string_view type, re, conv, seq, text, code, last_seq, file_id, chunk_size, forbidden;
  };
  // room.join / room.create attempts before a connection gives up on its rooms (the waits
  // between them add up to about 5 s).
  static constexpr int kMaxSetupRetries = 10;
  // Connect to ready (or back and caught up after a reconnect) takes at most this long.
  static constexpr int64_t kSetupTimeoutMs = 60000;

  Conn* Find(int conn);
  PhaseStats& Now() { return stats_[static_cast<size_t>(phase_)]; }
  PhaseStats& At(int64_t intended_ns) {
    return stats_[static_cast<size_t>(plan_.PhaseAt(intended_ns))];
  }
  void AddBusy(int64_t n) { busy_.fetch_add(n, std::memory_order_relaxed); }

  // Connections (worker.cc).
  void StartConnect(Conn& c);
  void OnOpen(Conn& c, uint32_t gen);
  void OnClose(Conn& c, uint32_t gen, int code, const std::string& reason);
  void SetupDone(Conn& c);
  void SetupFailed(Conn& c, const std::string& why);
  void BecomeReady(Conn& c);
  void Unready(Conn& c);
  void LeaveSetup(Conn& c);
  // Forgets the requests awaiting a reply. `unacknowledged`: the server or the network cut
  // them off (or the run ended first), so message sends among them count as lost.
  void DropPending(Conn& c, bool unacknowledged);
  void CountUnacknowledged(const Conn& c);
  void Reconnect(Conn& c);
  void ChurnNext(Conn& c);
  void Housekeeping();
  void AwaitClosed(int64_t deadline_ns);
  void OnWelcome(Conn& c);
  void SendJoin(Conn& c, int room);
  void SendSync(Conn& c);

  // Requests and replies (traffic.cc).
  // Registers a request awaiting its reply; returns its id.
  uint64_t Request(Conn& c, Req kind, int64_t intended_ns, int aux);
  void Write(Conn& c, const std::string& frame, bool binary = false);
  bool TrySend(Conn& c, const Action& a);
  void FlushBacklog(Conn& c);
  void SendMessage(Conn& c, const Action& a);
  void OnMessage(Conn& c, uint32_t gen, std::string_view payload, bool binary);
  void OnReply(Conn& c, const Fields& f, bool ok);
  void OnSetupReply(Conn& c, const Pending& p, const Fields& f, bool ok);
  void OnMsg(Conn& c, const Fields& f);
  ConvState& ConvOf(Conn& c, std::string_view conv, bool* created);
  void RecordAckedSeq(std::string_view conv, int64_t seq, int64_t intended_ns);
  void CountError(std::string_view code);

  // Files (files.cc).
  void StartUpload(Conn& c, int64_t intended_ns);
  void PumpUpload(Conn& c);
  void OnUploadReply(Conn& c, const Pending& p, const Fields& f, bool ok);
  void NextUpload(Conn& c);
  void OnFileData(Conn& c, std::string_view payload);

  const Plan& plan_;
  int index_;
  std::unique_ptr<smartlink::net::ClientLoop> loop_;
  std::vector<std::unique_ptr<Conn>> conns_;  // by conn / threads
  std::vector<std::unique_ptr<Conn>> churn_;  // by churn slot
  std::vector<Conn*> ready_;                  // ready persistent connections
  std::vector<Conn*> backlogged_;             // connections with a backlog to flush
  int phase_ = 0;
  bool finishing_ = false;
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
  std::string text_tail_;    // message text after the timing marker
  std::string upload_data_;  // bytes sent in file chunks
  int64_t cpu_mark_ns_ = 0;

  std::vector<PhaseStats> stats_;
  std::unordered_map<std::string, std::vector<int64_t>> acked_by_phase_;
  // What the sessions before a connection was opened again received, kept for CountLost:
  // a later session starts its conversations afresh, and must not wipe out the earlier
  // one's gaps. Each is held to what it got before it closed (as a dropped receiver is).
  struct Retired {
    std::string user;
    std::vector<ConvState> convs;
  };
  std::vector<Retired> retired_;

  // The second being recorded for the time line.
  Interval current_;
  Histogram i_ack_, i_delivery_, i_ping_, i_setup_;
  mutable std::mutex mu_;
  std::vector<Interval> intervals_;  // GUARDED_BY(mu_)

  std::atomic<int64_t> busy_{0};
  std::atomic<int64_t> last_rx_ns_{0};
  std::atomic<int> ready_count_{0};
  std::atomic<int64_t> setups_done_{0}, setups_failed_{0}, setups_open_{0};
};

}  // namespace slbench
