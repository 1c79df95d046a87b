// StorageWorker: group commit, result delivery through `post`, failure isolation, reads,
// blocking calls, Flush and the queue limit. A temp-file SQLite database backs the writer and
// the reader connection.

#include "smartlink/storage/worker.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/temp_dir.h"

namespace smartlink::storage {
namespace {

using namespace std::chrono_literals;

constexpr auto kTimeout = 10s;

// What the server's event loop is to the worker: closures posted from storage threads, run
// here on the test thread.
class PostQueue {
 public:
  StorageWorker::Post Poster() {
    return [this](std::function<void()> fn) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        q_.push_back(std::move(fn));
      }
      cv_.notify_all();
    };
  }

  // Runs posted closures until `done()` holds; false after kTimeout without it.
  bool RunUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (!done()) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (!cv_.wait_until(lock, deadline, [&] { return !q_.empty(); })) return done();
        fn = std::move(q_.front());
        q_.pop_front();
      }
      fn();
    }
    return true;
  }

  // Runs what is queued now, without waiting. Returns how many closures ran.
  size_t RunPending() {
    std::deque<std::function<void()>> now;
    {
      std::lock_guard<std::mutex> lock(mu_);
      now.swap(q_);
    }
    for (auto& fn : now) fn();
    return now.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
};

// A write that holds the writer thread until released, so the test can queue work behind it
// deterministically.
class Gate {
 public:
  // The job to pass to Write<int>().
  auto Apply() {
    return [this](Store&) -> Result<int> {
      entered_.set_value();
      release_.wait_for(kTimeout);
      return 1;
    };
  }
  bool WaitEntered() { return entered_future_.wait_for(kTimeout) == std::future_status::ready; }
  void Release() { release_promise_.set_value(); }

 private:
  std::promise<void> entered_;
  std::future<void> entered_future_ = entered_.get_future();
  std::promise<void> release_promise_;
  std::shared_future<void> release_ = release_promise_.get_future().share();
};

NewMessage Msg(const std::string& conv, const std::string& text) {
  static int counter = 0;
  NewMessage m;
  m.conv = conv;
  m.msg_id = "w" + std::to_string(++counter);
  m.from = "alice";
  m.text = text;
  m.ts = 1000 + counter;
  return m;
}

class StorageWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    path_ = dir_.File("worker.db");
    SqliteOptions o;
    o.synchronous = "normal";
    auto w = OpenSqlite(path_, o);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    writer_ = std::move(w.value());
    auto r = OpenSqlite(path_, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    reader_ = std::move(r.value());
  }

  void Start(StorageWorker::Options opts = StorageWorker::Options(), bool with_reader = true) {
    worker_ = std::make_unique<StorageWorker>(
        std::move(writer_), with_reader ? std::move(reader_) : nullptr, posts_.Poster(), opts);
  }

  // Queues an append to `conv`; its outcome lands in `out` (seq, or -code) on the test thread.
  bool QueueAppend(const std::string& conv, const std::string& text, std::vector<int64_t>* out) {
    return worker_->Write<Appended>(
        [m = Msg(conv, text)](Store& s) { return s.AppendMessage(m); },
        [out, this](Result<Appended> r) {
          EXPECT_EQ(test_thread_, std::this_thread::get_id()) << "done must run via post";
          out->push_back(r.ok() ? r->message.seq : -static_cast<int64_t>(r.status().code()));
        });
  }

  std::vector<std::string> Texts(const std::string& conv) {
    auto r = worker_->Call<std::vector<Message>>(
        [conv](Store& s) { return s.History(conv, std::nullopt, std::nullopt, 1000); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> out;
    if (r.ok()) {
      for (const auto& m : *r) out.push_back(m.text);
    }
    return out;
  }

  static int64_t Err(Code c) { return -static_cast<int64_t>(c); }

  // Outcomes of an append, a write in the middle and another append, all queued behind a
  // gate that holds the writer, then let go together.
  struct AroundWrite {
    std::vector<int64_t> before, after;  // seq, or -code
    Status middle;
  };
  // `queue_middle(report)` queues the middle write, whose `done` calls report(status).
  template <typename QueueMiddle>
  AroundWrite Around(const std::string& before, QueueMiddle queue_middle,
                     const std::string& after) {
    AroundWrite out;
    bool middle_done = false;
    Gate gate;
    EXPECT_TRUE(worker_->Write<int>(gate.Apply(), [](Result<int>) {}));
    EXPECT_TRUE(gate.WaitEntered());
    EXPECT_TRUE(QueueAppend("#lobby", before, &out.before));
    EXPECT_TRUE(queue_middle([&](const Status& st) {
      out.middle = st;
      middle_done = true;
    }));
    EXPECT_TRUE(QueueAppend("#lobby", after, &out.after));
    gate.Release();
    EXPECT_TRUE(posts_.RunUntil(
        [&] { return out.before.size() == 1 && middle_done && out.after.size() == 1; }));
    return out;
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> writer_, reader_;
  PostQueue posts_;  // outlives the worker, which posts while stopping
  std::unique_ptr<StorageWorker> worker_;
  std::thread::id test_thread_ = std::this_thread::get_id();
};

TEST_F(StorageWorkerTest, WriteResultsArriveInOrderThroughPost) {
  Start();
  std::vector<int64_t> seqs;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(QueueAppend("#lobby", "m", &seqs));
  EXPECT_TRUE(seqs.empty()) << "results come only through post";
  ASSERT_TRUE(posts_.RunUntil([&] { return seqs.size() == 50; }));
  std::vector<int64_t> expected;
  for (int i = 1; i <= 50; ++i) expected.push_back(i);
  EXPECT_EQ(expected, seqs);
}

TEST_F(StorageWorkerTest, WritesQueuedDuringACommitShareOneTransaction) {
  Start();
  Gate gate;
  int gate_result = 0;
  ASSERT_TRUE(worker_->Write<int>(gate.Apply(), [&](Result<int> r) { gate_result = *r; }));
  ASSERT_TRUE(gate.WaitEntered());
  std::vector<int64_t> seqs;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(QueueAppend("#lobby", "m", &seqs));
  gate.Release();
  ASSERT_TRUE(posts_.RunUntil([&] { return seqs.size() == 100 && gate_result == 1; }));
  EXPECT_LT(worker_->stats().commits.load(), 101u);
  EXPECT_EQ(2u, worker_->stats().commits.load()) << "the gate's batch, then all 100 together";
  EXPECT_EQ(101u, worker_->stats().writes.load());
  EXPECT_EQ(0u, worker_->stats().failed_commits.load());
  EXPECT_EQ(100, seqs.back());
}

TEST_F(StorageWorkerTest, MaxBatchSplitsTransactions) {
  StorageWorker::Options opts;
  opts.max_batch = 10;
  Start(opts);
  Gate gate;
  ASSERT_TRUE(worker_->Write<int>(gate.Apply(), [](Result<int>) {}));
  ASSERT_TRUE(gate.WaitEntered());
  std::vector<int64_t> seqs;
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(QueueAppend("#lobby", "m", &seqs));
  gate.Release();
  ASSERT_TRUE(posts_.RunUntil([&] { return seqs.size() == 25; }));
  EXPECT_EQ(4u, worker_->stats().commits.load());  // gate, 10, 10, 5
}

TEST_F(StorageWorkerTest, CommitIntervalGathersWritesOnceTheyQueueUp) {
  StorageWorker::Options opts;
  opts.min_commit_interval_us = 2'000'000;  // far longer than queueing the writes takes
  Start(opts);
  Gate gate;
  int gate_result = 0;
  ASSERT_TRUE(worker_->Write<int>(gate.Apply(), [&](Result<int> r) { gate_result = *r; }));
  ASSERT_TRUE(gate.WaitEntered()) << "the first write after a quiet spell is not paced";
  // Two writes queue up behind the gate's commit: under load from here on.
  std::vector<int64_t> seqs;
  ASSERT_TRUE(QueueAppend("#lobby", "a", &seqs));
  ASSERT_TRUE(QueueAppend("#lobby", "b", &seqs));
  gate.Release();
  ASSERT_TRUE(posts_.RunUntil([&] { return seqs.size() == 2 && gate_result == 1; }));
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(QueueAppend("#lobby", "m", &seqs));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(posts_.RunUntil([&] { return seqs.size() == 22; }));
  EXPECT_EQ(3u, worker_->stats().commits.load()) << "the gate, the two, then the 20 together";
  EXPECT_EQ(22, seqs.back());
}

TEST_F(StorageWorkerTest, CommitIntervalLeavesWritesArrivingOneAtATimeAlone) {
  StorageWorker::Options opts;
  opts.min_commit_interval_us = 5'000'000;
  Start(opts);
  std::vector<int64_t> seqs;
  auto start = std::chrono::steady_clock::now();
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(QueueAppend("#lobby", "m", &seqs));
    ASSERT_TRUE(posts_.RunUntil([&] { return seqs.size() == static_cast<size_t>(i); }));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4))
      << "a write that follows a batch of one is not paced";
  EXPECT_EQ(3u, worker_->stats().commits.load());
}

TEST_F(StorageWorkerTest, UnavailableFailsTheWholeBatch) {
  Start();
  AroundWrite r = Around(
      "before the failure",
      [&](auto report) {
        return worker_->Write<int>(
            [](Store&) -> Result<int> { return Status::Unavailable("disk"); },
            [report](Result<int> res) { report(res.status()); });
      },
      "after the failure");
  EXPECT_EQ(std::vector<int64_t>{Err(Code::kUnavailable)}, r.before);
  EXPECT_EQ(Code::kUnavailable, r.middle.code());
  EXPECT_EQ(std::vector<int64_t>{Err(Code::kUnavailable)}, r.after);
  EXPECT_EQ(1u, worker_->stats().failed_commits.load());
  EXPECT_TRUE(Texts("#lobby").empty()) << "the batch was rolled back";
  // The worker carries on.
  std::vector<int64_t> d;
  ASSERT_TRUE(QueueAppend("#lobby", "later", &d));
  ASSERT_TRUE(posts_.RunUntil([&] { return d.size() == 1; }));
  EXPECT_EQ(std::vector<int64_t>{1}, d);
}

TEST_F(StorageWorkerTest, InternalErrorFailsTheWholeBatchToo) {
  Start();
  Gate gate;
  ASSERT_TRUE(worker_->Write<int>(gate.Apply(), [](Result<int>) {}));
  ASSERT_TRUE(gate.WaitEntered());
  std::vector<int64_t> a;
  bool b_done = false;
  ASSERT_TRUE(QueueAppend("#lobby", "x", &a));
  ASSERT_TRUE(worker_->Write<int>([](Store&) -> Result<int> { return Status::Internal("bug"); },
                                  [&](Result<int> r) {
                                    EXPECT_EQ(Code::kUnavailable, r.status().code());
                                    b_done = true;
                                  }));
  gate.Release();
  ASSERT_TRUE(posts_.RunUntil([&] { return a.size() == 1 && b_done; }));
  EXPECT_EQ(std::vector<int64_t>{Err(Code::kUnavailable)}, a);
  EXPECT_TRUE(Texts("#lobby").empty());
}

TEST_F(StorageWorkerTest, LogicalErrorFailsOnlyThatJob) {
  Start();
  AroundWrite r = Around(
      "one",
      [&](auto report) {
        return worker_->Write<bool>(
            [](Store& s) -> Result<bool> {
              Status st = s.EditMessage("#lobby", 99, "alice", "x", 1);
              if (!st.ok()) return st;
              return true;
            },
            [report](Result<bool> res) { report(res.status()); });
      },
      "two");
  EXPECT_EQ(std::vector<int64_t>{1}, r.before);
  EXPECT_EQ(Code::kNotFound, r.middle.code());
  EXPECT_EQ(std::vector<int64_t>{2}, r.after);
  EXPECT_EQ(0u, worker_->stats().failed_commits.load());
  EXPECT_EQ((std::vector<std::string>{"one", "two"}), Texts("#lobby"));
}

TEST_F(StorageWorkerTest, WriteAloneGetsATransactionOfItsOwn) {
  Start();
  Gate gate;
  ASSERT_TRUE(worker_->Write<int>(gate.Apply(), [](Result<int>) {}));
  ASSERT_TRUE(gate.WaitEntered());
  std::vector<int64_t> seqs;
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(QueueAppend("#lobby", "before", &seqs));
  ASSERT_TRUE(worker_->WriteAlone<int>([](Store&) -> Result<int> { return 7; },
                                       [&](Result<int> r) {
                                         EXPECT_EQ(7, r.ok() ? *r : -1);
                                         EXPECT_EQ(3u, seqs.size()) << "answered after them";
                                         order.push_back("alone");
                                       }));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(QueueAppend("#lobby", "after", &seqs));
  gate.Release();
  ASSERT_TRUE(posts_.RunUntil([&] { return seqs.size() == 6 && order.size() == 1; }));
  EXPECT_EQ(4u, worker_->stats().commits.load()) << "the gate, three, the lone write, three";
  EXPECT_EQ(6, seqs.back());
}

TEST_F(StorageWorkerTest, AFailingWriteAloneFailsNoOtherWrite) {
  Start();
  AroundWrite r = Around(
      "before the failure",
      [&](auto report) {
        return worker_->WriteAlone<int>(
            [](Store&) -> Result<int> { return Status::Unavailable("disk"); },
            [report](Result<int> res) { report(res.status()); });
      },
      "after the failure");
  EXPECT_EQ(std::vector<int64_t>{1}, r.before);
  EXPECT_EQ(Code::kUnavailable, r.middle.code());
  EXPECT_EQ(std::vector<int64_t>{2}, r.after);
  EXPECT_EQ(1u, worker_->stats().failed_commits.load()) << "its own transaction only";
  EXPECT_EQ((std::vector<std::string>{"before the failure", "after the failure"}), Texts("#lobby"));
}

TEST_F(StorageWorkerTest, WritesAreNumberedAndCountAsAnsweredBeforeTheirDoneRuns) {
  Start();
  EXPECT_EQ(0u, worker_->WritesQueued());
  Gate gate;
  ASSERT_TRUE(worker_->Write<int>(gate.Apply(), [](Result<int>) {}));
  ASSERT_TRUE(gate.WaitEntered());
  std::vector<uint64_t> answered_in_done;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(worker_->Write<int>(
        [](Store&) -> Result<int> { return 1; },
        [&](Result<int>) { answered_in_done.push_back(worker_->WritesAnswered()); }));
  }
  bool read_done = false;
  ASSERT_TRUE(worker_->Read<int>([](Store&) -> Result<int> { return 1; },
                                 [&](Result<int>) { read_done = true; }));
  EXPECT_EQ(4u, worker_->WritesQueued()) << "reads take no number";
  ASSERT_TRUE(posts_.RunUntil([&] { return read_done; }));
  EXPECT_EQ(0u, worker_->WritesAnswered()) << "nothing answered while the gate holds the writer";
  gate.Release();
  ASSERT_TRUE(posts_.RunUntil([&] { return answered_in_done.size() == 3; }));
  EXPECT_EQ((std::vector<uint64_t>{4, 4, 4}), answered_in_done) << "one batch, answered at once";
  EXPECT_EQ(4u, worker_->WritesAnswered());
}

TEST_F(StorageWorkerTest, ReadSeesCommittedWrites) {
  Start();
  std::vector<int64_t> seqs;
  ASSERT_TRUE(QueueAppend("#lobby", "visible", &seqs));
  ASSERT_TRUE(posts_.RunUntil([&] { return seqs.size() == 1; }));
  std::vector<std::string> texts;
  bool done = false;
  std::thread::id ran_on;
  ASSERT_TRUE(worker_->Read<std::vector<Message>>(
      [&ran_on](Store& s) {
        ran_on = std::this_thread::get_id();
        return s.History("#lobby", std::nullopt, std::nullopt, 10);
      },
      [&](Result<std::vector<Message>> r) {
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        for (const auto& m : *r) texts.push_back(m.text);
        done = true;
      }));
  ASSERT_TRUE(posts_.RunUntil([&] { return done; }));
  EXPECT_EQ(std::vector<std::string>{"visible"}, texts);
  EXPECT_NE(test_thread_, ran_on);
  EXPECT_EQ(1u, worker_->stats().reads.load());
}

// What a search on the reader connection finds, without bringing the index up to date first.
std::vector<std::string> SearchNow(StorageWorker& worker, PostQueue& posts,
                                   const std::string& word) {
  std::vector<std::string> texts;
  bool done = false;
  EXPECT_TRUE(worker.Read<std::vector<Message>>(
      [word](Store& s) { return s.Search("alice", word, "", 100); },
      [&](Result<std::vector<Message>> r) {
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        if (r.ok()) {
          for (const auto& m : *r) texts.push_back(m.text);
        }
        done = true;
      }));
  EXPECT_TRUE(posts.RunUntil([&] { return done; }));
  return texts;
}

class StorageWorkerSearchTest : public StorageWorkerTest {
 protected:
  // Search reads only the conversations of the user: alice must be in #lobby.
  void StartWithAliceInLobby(StorageWorker::Options opts) {
    Start(opts);
    auto added = worker_->Call<bool>([](Store& s) -> Result<bool> {
      if (Status st = s.AddMember("#lobby", "alice", "owner", 1); !st.ok()) return st;
      return true;
    });
    ASSERT_TRUE(added.ok()) << added.status().ToString();
  }
  // Waits (up to kTimeout) until the writer has run `n` merge steps; returns how many it ran.
  uint64_t WaitForMergeSteps(uint64_t n) {
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (worker_->stats().merge_steps.load() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    return worker_->stats().merge_steps.load();
  }
};

TEST_F(StorageWorkerSearchTest, MessagesAreIndexedForSearchAfterTheirCommitNotInIt) {
  StorageWorker::Options opts;
  opts.index_interval_us = 3600LL * 1000 * 1000;  // one step at start-up, then none for an hour
  StartWithAliceInLobby(opts);
  std::vector<int64_t> seqs;
  ASSERT_TRUE(QueueAppend("#lobby", "walnut", &seqs));
  ASSERT_TRUE(posts_.RunUntil([&] { return seqs.size() == 1; }));
  EXPECT_TRUE(SearchNow(*worker_, posts_, "walnut").empty()) << "acknowledged before indexing";
  // A write queued behind the message (as the server's search does) indexes it.
  bool indexed = false;
  ASSERT_TRUE(worker_->WriteAlone<bool>([](Store& s) { return s.IndexMessages(1000); },
                                        [&](Result<bool> r) { indexed = r.ok() && !*r; }));
  ASSERT_TRUE(posts_.RunUntil([&] { return indexed; }));
  EXPECT_EQ(std::vector<std::string>{"walnut"}, SearchNow(*worker_, posts_, "walnut"));
}

TEST_F(StorageWorkerSearchTest, TheWriterIndexesNewMessagesByItself) {
  StorageWorker::Options opts;
  opts.index_interval_us = 1000;
  StartWithAliceInLobby(opts);
  std::vector<int64_t> seqs;
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(QueueAppend("#lobby", "hazel", &seqs));
  ASSERT_TRUE(posts_.RunUntil([&] { return seqs.size() == 30; }));
  auto deadline = std::chrono::steady_clock::now() + kTimeout;
  size_t found = 0;
  while ((found = SearchNow(*worker_, posts_, "hazel").size()) < 30 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(30u, found);
  EXPECT_GE(worker_->stats().index_steps.load(), 1u);
  EXPECT_EQ(0u, worker_->stats().failed_index_steps.load());
}

// The merging an index step owes (64 pages at least) is done in steps of merge_pages, each a
// transaction of its own, and stops once it is paid.
TEST_F(StorageWorkerSearchTest, IndexMergingIsSpreadOverShortSteps) {
  StorageWorker::Options opts;
  opts.index_interval_us = 1000;
  opts.merge_pages = 8;
  opts.merge_interval_us = 1000;
  StartWithAliceInLobby(opts);
  std::vector<int64_t> seqs;
  ASSERT_TRUE(QueueAppend("#lobby", "almond", &seqs));
  ASSERT_TRUE(posts_.RunUntil([&] { return seqs.size() == 1; }));
  auto deadline = std::chrono::steady_clock::now() + kTimeout;
  EXPECT_GE(WaitForMergeSteps(8), 8u) << "64 pages in steps of 8";
  // Paid: the steps stop (one would run every millisecond if they did not).
  uint64_t steps = worker_->stats().merge_steps.load();
  for (;;) {
    std::this_thread::sleep_for(50ms);
    uint64_t now = worker_->stats().merge_steps.load();
    if (now == steps || std::chrono::steady_clock::now() > deadline) break;
    steps = now;
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(steps, worker_->stats().merge_steps.load()) << "merge steps go on";
  EXPECT_EQ(std::vector<std::string>{"almond"}, SearchNow(*worker_, posts_, "almond"));
  EXPECT_EQ(0u, worker_->stats().failed_index_steps.load());
}

// Far behind (more than 32 steps owed), merge steps run one after another instead of one
// per interval; once no longer far behind they wait for it again.
TEST_F(StorageWorkerSearchTest, MergingFarBehindDoesNotWaitForTheInterval) {
  StorageWorker::Options opts;
  opts.index_interval_us = 1000;
  opts.merge_pages = 1;                           // 64 steps owed for one index step
  opts.merge_interval_us = 3600LL * 1000 * 1000;  // an hour
  StartWithAliceInLobby(opts);
  std::vector<int64_t> seqs;
  ASSERT_TRUE(QueueAppend("#lobby", "cashew", &seqs));
  ASSERT_TRUE(posts_.RunUntil([&] { return seqs.size() == 1; }));
  EXPECT_GE(WaitForMergeSteps(32), 32u) << "steps waited for the interval";
  std::this_thread::sleep_for(200ms);
  EXPECT_LT(worker_->stats().merge_steps.load(), 40u) << "32 pages left go at the interval";
}

TEST_F(StorageWorkerTest, ReadsWithoutAReaderRunOnTheWriterConnection) {
  Start(StorageWorker::Options(), /*with_reader=*/false);
  std::vector<int64_t> seqs;
  ASSERT_TRUE(QueueAppend("#lobby", "x", &seqs));
  size_t n = 0;
  bool done = false;
  ASSERT_TRUE(worker_->Read<std::vector<Message>>(
      [](Store& s) { return s.History("#lobby", std::nullopt, std::nullopt, 10); },
      [&](Result<std::vector<Message>> r) {
        n = r.ok() ? r->size() : 999;
        done = true;
      }));
  ASSERT_TRUE(posts_.RunUntil([&] { return done && seqs.size() == 1; }));
  EXPECT_EQ(1u, n);
}

TEST_F(StorageWorkerTest, CallReturnsSynchronouslyWithoutPost) {
  Start();
  auto r = worker_->Call<int64_t>([](Store& s) -> Result<int64_t> {
    if (Status b = s.Begin(); !b.ok()) return b;
    auto a = s.AppendMessage(Msg("#lobby", "direct"));
    if (Status c = s.Commit(); !c.ok()) return c;
    if (!a.ok()) return a.status();
    return a->message.seq;
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(1, *r);
  EXPECT_EQ(0u, posts_.RunPending());
  EXPECT_EQ(std::vector<std::string>{"direct"}, Texts("#lobby"));
}

TEST_F(StorageWorkerTest, CallPassesErrorsBack) {
  Start();
  auto r = worker_->Call<int>([](Store&) -> Result<int> { return Status::NotFound("nope"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Code::kNotFound, r.status().code());
}

TEST_F(StorageWorkerTest, FlushWaitsUntilEverythingWasPosted) {
  Start();
  std::vector<int64_t> seqs;
  int reads_done = 0;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(QueueAppend(i % 2 ? "#a" : "#b", "m", &seqs));
    ASSERT_TRUE(worker_->Read<std::vector<Message>>(
        [](Store& s) { return s.History("#a", std::nullopt, std::nullopt, 1); },
        [&](Result<std::vector<Message>>) { ++reads_done; }));
  }
  worker_->Flush();
  posts_.RunPending();  // no waiting: everything must be here already
  EXPECT_EQ(20u, seqs.size());
  EXPECT_EQ(20, reads_done);
  EXPECT_EQ(0u, worker_->stats().queue_depth.load());
}

TEST_F(StorageWorkerTest, FullQueueRefusesWork) {
  StorageWorker::Options opts;
  opts.max_queue = 2;
  Start(opts);
  Gate gate;
  ASSERT_TRUE(worker_->Write<int>(gate.Apply(), [](Result<int>) {}));
  ASSERT_TRUE(gate.WaitEntered());  // the gate left the queue: it is empty now
  std::vector<int64_t> a, b, refused;
  bool read_ran = false;
  EXPECT_TRUE(QueueAppend("#lobby", "a", &a));
  EXPECT_TRUE(QueueAppend("#lobby", "b", &b));
  EXPECT_FALSE(QueueAppend("#lobby", "refused", &refused));
  EXPECT_FALSE(worker_->Read<std::vector<Message>>(
      [](Store& s) { return s.History("#lobby", std::nullopt, std::nullopt, 1); },
      [&](Result<std::vector<Message>>) { read_ran = true; }));
  gate.Release();
  ASSERT_TRUE(posts_.RunUntil([&] { return a.size() == 1 && b.size() == 1; }));
  worker_->Flush();
  posts_.RunPending();
  EXPECT_TRUE(refused.empty()) << "a refused job is dropped, never answered";
  EXPECT_FALSE(read_ran);
  EXPECT_EQ((std::vector<std::string>{"a", "b"}), Texts("#lobby"));
  // Room again once the queue drained.
  EXPECT_TRUE(QueueAppend("#lobby", "c", &a));
}

TEST_F(StorageWorkerTest, StopFinishesQueuedWorkThenRefuses) {
  Start();
  std::vector<int64_t> seqs;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(QueueAppend("#lobby", "m", &seqs));
  worker_->Stop();
  posts_.RunPending();
  EXPECT_EQ(10u, seqs.size());
  EXPECT_FALSE(QueueAppend("#lobby", "late", &seqs));
  auto r = worker_->Call<int>([](Store&) -> Result<int> { return 1; });
  EXPECT_EQ(Code::kUnavailable, r.status().code());
  worker_->Stop();  // twice is fine
}

}  // namespace
}  // namespace smartlink::storage
