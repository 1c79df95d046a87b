#include "event_loop.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <vector>

namespace slchat {

namespace {

int g_signal_pipe[2] = {-1, -1};

void OnSignalHandler(int signo) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(signo);
  if (g_signal_pipe[1] >= 0) (void)!write(g_signal_pipe[1], &b, 1);
  errno = saved;
}

void MakePipe(int fds[2]) {
  if (pipe(fds) != 0) {
    fds[0] = fds[1] = -1;
    return;
  }
  for (int i = 0; i < 2; ++i) {
    fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    fcntl(fds[i], F_SETFD, FD_CLOEXEC);
  }
}

void DrainFd(int fd, std::vector<unsigned char>* out) {
  unsigned char buf[64];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    if (out) out->insert(out->end(), buf, buf + n);
  }
}

}  // namespace

EventLoop::EventLoop() {
  MakePipe(wake_);
  if (g_signal_pipe[0] < 0) MakePipe(g_signal_pipe);
}

EventLoop::~EventLoop() {
  for (const auto& [signo, fn] : signals_) signal(signo, SIG_DFL);
  close(wake_[0]);
  close(wake_[1]);
}

void EventLoop::Post(Fn fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
  }
  char b = 1;
  (void)!write(wake_[1], &b, 1);
}

uint64_t EventLoop::After(int64_t delay_ms, Fn fn) {
  uint64_t id = ++next_timer_;
  int64_t deadline = NowMs() + delay_ms;
  timers_.emplace(std::make_pair(deadline, id), std::move(fn));
  timer_deadline_[id] = deadline;
  return id;
}

void EventLoop::Cancel(uint64_t timer) {
  auto it = timer_deadline_.find(timer);
  if (it == timer_deadline_.end()) return;
  timers_.erase(std::make_pair(it->second, timer));
  timer_deadline_.erase(it);
}

void EventLoop::Watch(int fd, Fn fn) { watches_[fd] = std::move(fn); }
void EventLoop::Unwatch(int fd) { watches_.erase(fd); }

void EventLoop::OnSignal(int signo, Fn fn) {
  signals_[signo] = std::move(fn);
  struct sigaction sa = {};
  sa.sa_handler = OnSignalHandler;
  sigemptyset(&sa.sa_mask);
  sigaction(signo, &sa, nullptr);
}

void EventLoop::Quit(int code) {
  if (!quit_) code_ = code;
  quit_ = true;
}

int64_t EventLoop::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void EventLoop::RunPosted() {
  std::deque<Fn> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(posted_);
  }
  for (Fn& fn : batch) {
    if (quit_) return;
    fn();
  }
}

void EventLoop::RunTimers() {
  int64_t now = NowMs();
  while (!quit_ && !timers_.empty() && timers_.begin()->first.first <= now) {
    auto it = timers_.begin();
    Fn fn = std::move(it->second);
    timer_deadline_.erase(it->first.second);
    timers_.erase(it);
    fn();
  }
}

int EventLoop::Run() {
  while (!quit_) {
    RunPosted();
    RunTimers();
    if (quit_) break;
    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({g_signal_pipe[0], POLLIN, 0});
    for (const auto& [fd, fn] : watches_) fds.push_back({fd, POLLIN, 0});
    int timeout = -1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!posted_.empty()) timeout = 0;
    }
    if (timeout < 0 && !timers_.empty()) {
      int64_t left = timers_.begin()->first.first - NowMs();
      timeout = static_cast<int>(left < 0 ? 0 : left > 60000 ? 60000 : left);
    }
    int n = poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    if (fds[0].revents) DrainFd(wake_[0], nullptr);
    if (fds[1].revents) {
      std::vector<unsigned char> sigs;
      DrainFd(g_signal_pipe[0], &sigs);
      for (unsigned char s : sigs) {
        auto it = signals_.find(s);
        if (it != signals_.end() && !quit_) it->second();
      }
    }
    for (size_t i = 2; i < fds.size() && !quit_; ++i) {
      if (!fds[i].revents) continue;
      auto it = watches_.find(fds[i].fd);
      if (it == watches_.end()) continue;
      Fn fn = it->second;  // the callback may Unwatch itself
      fn();
    }
  }
  return code_;
}

}  // namespace slchat
