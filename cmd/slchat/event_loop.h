#pragma once

// The main thread's event loop: poll() over a few file descriptors (the terminal or stdin,
// a wake-up pipe), timers, functions posted from other threads, and signals turned into
// callbacks. Everything slchat does outside the network thread runs here, so the chat state
// needs no locks. Only Post() is thread-safe.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>

namespace slchat {

class EventLoop {
 public:
  using Fn = std::function<void()>;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs `fn` on the loop thread. Thread-safe.
  void Post(Fn fn);
  // Runs `fn` once after `delay_ms`. Returns an id for Cancel().
  uint64_t After(int64_t delay_ms, Fn fn);
  void Cancel(uint64_t timer);
  // Calls `fn` whenever `fd` is readable (or at EOF / error) until Unwatch(fd).
  void Watch(int fd, Fn fn);
  void Unwatch(int fd);
  // Calls `fn` on the loop thread when `signo` arrives (SIGINT, SIGTERM, SIGWINCH, ...).
  void OnSignal(int signo, Fn fn);

  // Runs until Quit(); returns its code.
  int Run();
  void Quit(int code);
  bool quitting() const { return quit_; }

  static int64_t NowMs();  // monotonic

 private:
  void RunPosted();
  void RunTimers();

  int wake_[2] = {-1, -1};
  std::mutex mu_;
  std::deque<Fn> posted_;                              // guarded by mu_
  std::map<std::pair<int64_t, uint64_t>, Fn> timers_;  // (deadline, id)
  std::map<uint64_t, int64_t> timer_deadline_;
  uint64_t next_timer_ = 0;
  std::map<int, Fn> watches_;
  std::map<int, Fn> signals_;
  bool quit_ = false;
  int code_ = 0;
};

}  // namespace slchat
