#include "smartlink/storage/worker.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

namespace smartlink::storage {

StorageWorker::StorageWorker(std::unique_ptr<Store> writer, std::unique_ptr<Store> reader,
                             Post post, Options options)
    : writer_(std::move(writer)),
      reader_(std::move(reader)),
      post_(std::move(post)),
      options_(options) {
  writer_thread_ = std::thread([this] { WriterLoop(); });
  if (reader_) reader_thread_ = std::thread([this] { ReaderLoop(); });
}

StorageWorker::~StorageWorker() { Stop(); }

bool StorageWorker::Enqueue(std::unique_ptr<Job> job, bool write) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || writes_.size() + reads_.size() >= options_.max_queue) return false;
    if (write) {
      job->ticket = writes_queued_.load(std::memory_order_relaxed) + 1;
      writes_queued_.store(job->ticket, std::memory_order_relaxed);
    }
    (write ? writes_ : reads_).push_back(std::move(job));
    stats_.queue_depth = writes_.size() + reads_.size();
  }
  if (write || !reader_) {
    cv_writer_.notify_one();
  } else {
    cv_reader_.notify_one();
  }
  return true;
}

void StorageWorker::Deliver(std::shared_ptr<Batch> batch, Status txn) {
  // One post per batch keeps the loop's wake-ups low under load.
  uint64_t last = 0;
  for (const auto& job : *batch) last = std::max(last, job->ticket);
  post_([answered = writes_answered_, batch = std::move(batch), txn = std::move(txn), last] {
    // Answered before the `done`s run: a read one of them queues sees every write of the
    // batch.
    if (last > answered->load(std::memory_order_relaxed)) {
      answered->store(last, std::memory_order_relaxed);
    }
    for (auto& job : *batch) job->Finish(txn);
  });
}

void StorageWorker::CommitBatch(Batch& batch) {
  auto start = std::chrono::steady_clock::now();
  Status txn = writer_->Begin();
  if (txn.ok()) {
    for (auto& job : batch) {
      if (!job->Run(*writer_)) {
        txn = Status::Unavailable("storage failed; the batch was rolled back");
        break;
      }
    }
  }
  if (txn.ok()) txn = writer_->Commit();
  if (!txn.ok()) {
    writer_->Rollback();
    if (txn.code() != Code::kUnavailable) txn = Status::Unavailable(txn.message());
    stats_.failed_commits++;
    std::lock_guard<std::mutex> lock(failure_mu_);
    write_failure_ = txn.message();
  } else {
    if (stats_.failed_commits.load(std::memory_order_relaxed) > 0) {  // ever: cheap to ask
      std::lock_guard<std::mutex> lock(failure_mu_);
      write_failure_.clear();
    }
    stats_.commits++;
    stats_.writes += batch.size();
    index_pending_ = true;
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  size_t b = 0;
  while (b < Stats::kBuckets && ms >= Stats::kBucketsMs[b]) ++b;
  stats_.commit_hist[b]++;
  stats_.commit_us_total += static_cast<uint64_t>(ms * 1000);
  Deliver(std::make_shared<Batch>(std::move(batch)), txn);
}

// Index and merge steps are lazy transactions: one that is lost is done again (the index
// mark moves with it), and their pages reach the disk with the next commit's fsync instead
// of costing one of their own. A failed one is rolled back and counted.
template <typename T>
Result<T> StorageWorker::LazyStep(const std::function<Result<T>(Store&)>& fn) {
  Status txn = writer_->BeginLazy();
  Result<T> r = txn.ok() ? fn(*writer_) : Result<T>(txn);
  if (r.ok()) txn = writer_->Commit();
  if (r.ok() && txn.ok()) return r;
  writer_->Rollback();
  stats_.failed_index_steps++;
  return r.ok() ? Result<T>(txn) : r;
}

void StorageWorker::IndexStep() {
  last_index_ = std::chrono::steady_clock::now();
  Result<bool> more = LazyStep<bool>([this](Store& s) { return s.IndexMessages(index_rows_); });
  if (!more.ok()) {
    index_pending_ = false;  // left for after the next commit; a search indexes what it needs
    return;
  }
  stats_.index_steps++;
  if (!merge_pending_) {
    merge_pending_ = true;
    next_merge_ = std::chrono::steady_clock::now();  // one may follow at once
  }
  if (*more) {
    index_rows_ = std::min(index_rows_ * 2, kMaxIndexRows);
  } else {
    index_pending_ = false;
    index_rows_ = kMinIndexRows;
  }
}

void StorageWorker::MergeStep() {
  auto start = std::chrono::steady_clock::now();
  Result<int64_t> owed =
      LazyStep<int64_t>([this](Store& s) { return s.MergeIndex(options_.merge_pages); });
  if (!owed.ok()) {
    merge_pending_ = false;  // left for after the next index step
    return;
  }
  stats_.merge_steps++;
  merge_pending_ = *owed > 0;
  // Far behind (a backlog indexed at start-up, or more messages a second than steps every
  // merge_interval_us pay for): one step after each batch of writes, or at once when idle.
  bool hurry = *owed > 32 * options_.merge_pages;
  next_merge_ = hurry ? start : start + std::chrono::microseconds(options_.merge_interval_us);
}

std::chrono::steady_clock::time_point StorageWorker::NextBackgroundStep() const {
  auto next = std::chrono::steady_clock::time_point::max();
  if (index_pending_) next = last_index_ + std::chrono::microseconds(options_.index_interval_us);
  if (merge_pending_) next = std::min(next, next_merge_);
  return next;
}

void StorageWorker::BackgroundStep() {
  auto now = std::chrono::steady_clock::now();
  if (index_pending_ &&
      now >= last_index_ + std::chrono::microseconds(options_.index_interval_us)) {
    IndexStep();
  } else if (merge_pending_ && now >= next_merge_) {
    MergeStep();
  }
}

void StorageWorker::WriterLoop() {
  for (;;) {
    Batch batch;
    Batch reads;
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto has_work = [&] {
        return stopping_ || !writes_.empty() || (!reader_ && !reads_.empty());
      };
      if (index_pending_ || merge_pending_) {
        if (!cv_writer_.wait_until(lock, NextBackgroundStep(), has_work)) {
          lock.unlock();
          BackgroundStep();
          continue;
        }
      } else {
        cv_writer_.wait(lock, has_work);
      }
      if (writes_.empty() && (reader_ || reads_.empty())) {
        if (stopping_) return;
        continue;
      }
      if (!writes_.empty() && options_.min_commit_interval_us > 0 && last_batch_size_ >= 2) {
        // Pace commits under load (the last batch gathered writes that queued up during the
        // commit before it): sleep (without the lock, and without being woken by each new
        // write) until the interval since the last commit is over.
        auto next = last_commit_start_ + std::chrono::microseconds(options_.min_commit_interval_us);
        if (!stopping_ && writes_.size() < options_.max_batch &&
            std::chrono::steady_clock::now() < next) {
          lock.unlock();
          std::this_thread::sleep_until(next);
          lock.lock();
        }
      }
      while (!writes_.empty() && batch.size() < options_.max_batch) {
        // A job that runs alone ends the batch, or is the batch.
        if (writes_.front()->alone() && !batch.empty()) break;
        batch.push_back(std::move(writes_.front()));
        writes_.pop_front();
        if (batch.back()->alone()) break;
      }
      if (!reader_) {
        while (!reads_.empty()) {
          reads.push_back(std::move(reads_.front()));
          reads_.pop_front();
        }
      }
      in_flight_ += batch.size() + reads.size();
      stats_.queue_depth = writes_.size() + reads_.size();
    }
    size_t n = batch.size() + reads.size();
    if (!batch.empty()) {
      last_commit_start_ = std::chrono::steady_clock::now();
      last_batch_size_ = batch.size();
    }
    if (batch.size() == 1 && batch.front()->direct()) {
      batch.front()->Run(*writer_);
    } else if (!batch.empty()) {
      CommitBatch(batch);
    }
    // At most one index or merge step between batches, so that none waits behind several.
    BackgroundStep();
    if (!reads.empty()) {
      for (auto& job : reads) job->Run(*writer_);
      stats_.reads += reads.size();
      Deliver(std::make_shared<Batch>(std::move(reads)), Status::Ok());
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_flight_ -= n;
    }
    cv_idle_.notify_all();
  }
}

void StorageWorker::ReaderLoop() {
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_reader_.wait(lock, [&] { return stopping_ || !reads_.empty(); });
      if (reads_.empty()) return;  // stopping and drained
      job = std::move(reads_.front());
      reads_.pop_front();
      ++in_flight_;
      stats_.queue_depth = writes_.size() + reads_.size();
    }
    job->Run(*reader_);
    stats_.reads++;
    auto batch = std::make_shared<Batch>();
    batch->push_back(std::move(job));
    Deliver(std::move(batch), Status::Ok());
    {
      std::lock_guard<std::mutex> lock(mu_);
      --in_flight_;
    }
    cv_idle_.notify_all();
  }
}

void StorageWorker::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_idle_.wait(lock, [&] { return writes_.empty() && reads_.empty() && in_flight_ == 0; });
}

void StorageWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !writer_thread_.joinable()) return;
    stopping_ = true;
  }
  cv_writer_.notify_all();
  cv_reader_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  if (reader_thread_.joinable()) reader_thread_.join();
}

}  // namespace smartlink::storage
