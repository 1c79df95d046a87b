#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "smartlink/storage/store.h"

namespace smartlink::storage {

// StorageWorker runs Store work off the event loop.
//
// A writer thread applies writes in group-committed batches: everything queued while the
// previous commit was running goes into the next transaction, so durability costs one commit
// per batch, not per message. A reader thread (with its own connection) answers queries.
// Results come back through `post`, which the server points at its event loop, in the order
// the writes were committed. Write() and Read() may be called from any thread.
class StorageWorker {
 public:
  using Post = std::function<void(std::function<void()>)>;

  struct Options {
    size_t max_batch = 1024;    // writes per transaction
    size_t max_queue = 100000;  // queued jobs beyond which Write/Read refuse
    // Under load, commits start at most this often (0: as soon as a write is queued).
    // "Under load": the last batch held two writes or more, that is writes queued up while
    // the commit before it ran. Writes arriving during the pause join the next batch, so
    // each commit's fixed cost (WAL writes, fsync, locks, thread hand-offs) is shared by
    // more of them; a write that finds the writer idle, or that follows a batch of one, is
    // committed at once.
    int64_t min_commit_interval_us = 0;
    // Between batches, at most this often, the writer adds newly stored messages to the
    // full-text index (Store::IndexMessages) in a transaction of its own: one index update
    // for many messages instead of one per commit, and none inside an acknowledged commit.
    int64_t index_interval_us = 50000;
    // The merging of index segments each index step makes owing (Store::MergeIndex, at
    // least 64 pages) is done in steps of at most `merge_pages` pages, at most one every
    // `merge_interval_us`, each in a transaction of its own: a write waits behind one short
    // step, not behind all of it. At 5,000 messages/s on the machine of docs/benchmarks.md
    // a step of 8 pages took 1.2 ms at p90 and 3.3 ms at p99, where the 64 pages in the
    // index step took 7-15 ms at p90. More than 32 steps behind (a backlog indexed at
    // start-up, or more messages than the steps keep up with), a step follows each batch of
    // writes without waiting for the interval.
    int64_t merge_pages = 8;
    int64_t merge_interval_us = 2500;
  };

  struct Stats {
    std::atomic<uint64_t> commits{0};
    std::atomic<uint64_t> writes{0};
    std::atomic<uint64_t> failed_commits{0};
    std::atomic<uint64_t> reads{0};
    // Commit latency histogram: bucket i counts commits of < kBucketsMs[i] ms.
    static constexpr double kBucketsMs[] = {0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000};
    static constexpr size_t kBuckets = std::size(kBucketsMs);
    std::atomic<uint64_t> commit_hist[kBuckets + 1] = {};
    std::atomic<uint64_t> commit_us_total{0};
    std::atomic<uint64_t> queue_depth{0};
    std::atomic<uint64_t> index_steps{0};
    std::atomic<uint64_t> failed_index_steps{0};  // index and merge steps
    std::atomic<uint64_t> merge_steps{0};
  };

  // `reader` may be null: reads then run on the writer thread between batches.
  StorageWorker(std::unique_ptr<Store> writer, std::unique_ptr<Store> reader, Post post,
                Options options);
  StorageWorker(std::unique_ptr<Store> writer, std::unique_ptr<Store> reader, Post post)
      : StorageWorker(std::move(writer), std::move(reader), std::move(post), Options()) {}
  ~StorageWorker();  // finishes queued work, then stops

  // Queues `apply(Store&) -> Result<T>` for the next transaction; `done(Result<T>)` runs via
  // `post` after the commit, or with Unavailable when the transaction failed. Returns false
  // (and drops both) when the queue is full.
  template <typename T, typename Apply, typename Done>
  bool Write(Apply apply, Done done) {
    return Enqueue(
        std::make_unique<TypedJob<T, Apply, Done>>(std::move(apply), std::move(done), false), true);
  }

  // Like Write, but `apply` gets a transaction of its own: it runs after every write queued
  // before it has committed, and neither its work nor its failure joins anyone else's commit.
  // For maintenance that a request needs done first (a search indexing what is left).
  template <typename T, typename Apply, typename Done>
  bool WriteAlone(Apply apply, Done done) {
    return Enqueue(
        std::make_unique<TypedJob<T, Apply, Done>>(std::move(apply), std::move(done), true), true);
  }

  // Queues a query against the reader connection.
  template <typename T, typename Apply, typename Done>
  bool Read(Apply apply, Done done) {
    return Enqueue(
        std::make_unique<TypedJob<T, Apply, Done>>(std::move(apply), std::move(done), false),
        false);
  }

  // Runs `fn(Store&) -> Result<T>` on the writer connection outside any batch and waits for
  // its result. For start-up and tests, never from the event loop while it serves clients.
  template <typename T, typename Fn>
  Result<T> Call(Fn fn) {
    std::promise<Result<T>> promise;
    auto future = promise.get_future();
    auto job = std::make_unique<CallJob<T, Fn>>(std::move(fn), std::move(promise));
    if (!Enqueue(std::move(job), true)) return Status::Unavailable("storage is stopping");
    return future.get();
  }

  // Every write (Write, WriteAlone, Call) gets the next number when it is queued.
  // WritesQueued() is the last number given; WritesAnswered() the last whose batch has been
  // answered via `post` (its `done` has run, on the thread that runs `post`'s closures). A
  // read queued once WritesAnswered() reaches a write's number sees that write. (A Call
  // answers through its promise: only a later write's batch moves WritesAnswered past it.)
  uint64_t WritesQueued() const { return writes_queued_.load(std::memory_order_relaxed); }
  uint64_t WritesAnswered() const { return writes_answered_->load(std::memory_order_relaxed); }

  // Blocks until everything queued so far has been committed and answered via `post`.
  void Flush();
  // Stops accepting work, finishes what is queued and joins the threads.
  void Stop();

  const Stats& stats() const { return stats_; }
  // Why the last commit failed, when it did; empty once one succeeds. /health reports it
  // (503) and the server logs it: with writes failing, every send is refused.
  std::string WriteFailure() const {
    std::lock_guard<std::mutex> lock(failure_mu_);
    return write_failure_;
  }

 private:
  class Job {
   public:
    virtual ~Job() = default;
    // Runs on a storage thread. Returns false when the store failed (abort the batch).
    virtual bool Run(Store& store) = 0;
    // Runs via `post`. `txn` is the transaction's outcome (always ok for reads).
    virtual void Finish(const Status& txn) = 0;
    // True for jobs that get a transaction of their own (a batch of one).
    virtual bool alone() const { return direct(); }
    // True for jobs that run alone, outside any transaction, and answer by themselves.
    virtual bool direct() const { return false; }
    uint64_t ticket = 0;  // a write's number (see WritesQueued); 0 for reads
  };

  template <typename T, typename Apply, typename Done>
  class TypedJob final : public Job {
   public:
    TypedJob(Apply a, Done d, bool alone)
        : apply_(std::move(a)), done_(std::move(d)), alone_(alone) {}
    bool Run(Store& store) override {
      result_.emplace(apply_(store));
      Code c = result_->status().code();
      return c != Code::kUnavailable && c != Code::kInternal;
    }
    void Finish(const Status& txn) override {
      if (!txn.ok() || !result_) {
        done_(Result<T>(txn.ok() ? Status::Internal("job did not run") : txn));
      } else {
        done_(std::move(*result_));
      }
    }
    bool alone() const override { return alone_; }

   private:
    Apply apply_;
    Done done_;
    bool alone_;
    std::optional<Result<T>> result_;
  };

  // A blocking call: runs in its own transaction and answers through a promise, not `post`.
  template <typename T, typename Fn>
  class CallJob final : public Job {
   public:
    CallJob(Fn fn, std::promise<Result<T>> p) : fn_(std::move(fn)), promise_(std::move(p)) {}
    bool Run(Store& store) override {
      promise_.set_value(fn_(store));
      return true;
    }
    void Finish(const Status&) override {}
    bool direct() const override { return true; }

   private:
    Fn fn_;
    std::promise<Result<T>> promise_;
  };

  using Batch = std::vector<std::unique_ptr<Job>>;

  bool Enqueue(std::unique_ptr<Job> job, bool write);
  void WriterLoop();
  void ReaderLoop();
  void CommitBatch(Batch& batch);
  void IndexStep();
  void MergeStep();
  template <typename T>
  Result<T> LazyStep(const std::function<Result<T>(Store&)>& fn);
  // Runs the index step or the merge step that is due, if one is.
  void BackgroundStep();
  std::chrono::steady_clock::time_point NextBackgroundStep() const;
  void Deliver(std::shared_ptr<Batch> batch, Status txn);

  std::unique_ptr<Store> writer_;
  std::unique_ptr<Store> reader_;
  Post post_;
  Options options_;
  Stats stats_;
  mutable std::mutex failure_mu_;
  std::string write_failure_;

  std::mutex mu_;
  std::condition_variable cv_writer_;
  std::condition_variable cv_reader_;
  std::condition_variable cv_idle_;
  std::chrono::steady_clock::time_point last_commit_start_{};  // writer thread only
  size_t last_batch_size_ = 0;                                 // writer thread only
  // Full-text indexing (writer thread only): pending after a commit and at start-up; a step
  // indexes up to index_rows_ messages, doubled while a backlog remains.
  static constexpr int64_t kMinIndexRows = 1024;
  static constexpr int64_t kMaxIndexRows = 16384;
  bool index_pending_ = true;
  int64_t index_rows_ = kMinIndexRows;
  std::chrono::steady_clock::time_point last_index_{};
  bool merge_pending_ = false;  // index merging owed (Store::MergeIndex)
  std::chrono::steady_clock::time_point next_merge_{};
  std::deque<std::unique_ptr<Job>> writes_;  // guarded by mu_
  std::deque<std::unique_ptr<Job>> reads_;   // guarded by mu_
  size_t in_flight_ = 0;                     // guarded by mu_: taken but not yet posted
  bool stopping_ = false;                    // guarded by mu_
  std::atomic<uint64_t> writes_queued_{0};   // written under mu_
  // Shared with the closures given to `post`, which may outlive the worker.
  std::shared_ptr<std::atomic<uint64_t>> writes_answered_ =
      std::make_shared<std::atomic<uint64_t>>(0);
  std::thread writer_thread_;
  std::thread reader_thread_;
};

}  // namespace smartlink::storage
