// A watchdog for the end-to-end tests: a test still running after kHangSeconds (below
// ctest's 180 s TIMEOUT, which kills the binary without a word) prints the stack of every
// thread of the test binary and the end of each live slserver's log to stderr, then aborts.
// A hang seen once on a CI machine can then be read from the CI output instead of guessed.

#include <execinfo.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "e2e/server_process.h"

namespace smartlink::testing {

namespace {

constexpr int kHangSeconds = 150;

void PrintStack(int) {
  void* frames[64];
  int n = backtrace(frames, 64);
  char line[64];
  int len =
      snprintf(line, sizeof line, "--- thread %ld:\n", static_cast<long>(syscall(SYS_gettid)));
  if (write(2, line, static_cast<size_t>(len)) < 0) return;
  backtrace_symbols_fd(frames, n, 2);
}

class Watchdog : public ::testing::Environment {
 public:
  void SetUp() override {
    void* warm[1];
    backtrace(warm, 1);  // loads libgcc now: the signal handler must not
    signal(SIGUSR2, PrintStack);
    thread_ = std::thread([this] { Watch(); });
  }
  void TearDown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Watch() {
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::seconds(kHangSeconds), [this] { return done_; })) return;
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    fprintf(stderr, "\nwatchdog: %s.%s still running after %d s; stacks:\n",
            test ? test->test_suite_name() : "?", test ? test->name() : "?", kHangSeconds);
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      long tid = std::stol(task.path().filename().string());
      syscall(SYS_tgkill, getpid(), tid, SIGUSR2);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    fprintf(stderr, "%s", LiveServerLogTails().c_str());
    fflush(stderr);
    abort();
  }

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

[[maybe_unused]] ::testing::Environment* const kWatchdog =
    ::testing::AddGlobalTestEnvironment(new Watchdog);

}  // namespace

}  // namespace smartlink::testing
