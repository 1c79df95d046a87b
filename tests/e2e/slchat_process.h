#pragma once

// Runs the slchat binary for end-to-end tests: to completion with some stdin, or in the
// background with its output collected; and drives it in a terminal through tmux.
// Header-only so that the tests that use it need no extra source file.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace smartlink::testing {

inline int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Polls `cond` every 20 ms until it holds or `timeout_ms` passes.
inline bool WaitUntil(const std::function<bool()>& cond, int64_t timeout_ms) {
  int64_t deadline = SteadyMs() + timeout_ms;
  for (;;) {
    if (cond()) return true;
    if (SteadyMs() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// One slchat process with pipes on stdin, stdout and stderr.
class SlchatProcess {
 public:
  // `env` entries ("NAME=value") are added to the environment; NO_COLOR is always set.
  SlchatProcess(std::vector<std::string> args, std::vector<std::string> env = {}) {
    int in[2], out[2], err[2];
    // Close-on-exec, so that processes started later (a restarted server) do not hold them.
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      return;
    }
    // The arguments and environment are made before fork: the child of a threaded process
    // only makes async-signal-safe calls (a malloc there can wait forever on a lock that
    // another thread held at the fork).
    std::vector<char*> argv = {const_cast<char*>(SLCHAT_PATH)};
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    env.insert(env.begin(), "NO_COLOR=1");
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) {
      std::string_view name = std::string_view(*e).substr(0, std::string_view(*e).find('='));
      bool replaced = false;
      for (const std::string& mine : env) {
        replaced =
            replaced || (mine.size() > name.size() && mine.compare(0, name.size(), name) == 0 &&
                         mine[name.size()] == '=');
      }
      if (!replaced) envp.push_back(*e);
    }
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    stdin_ = in[1];
    reader_ = std::thread([this, o = out[0], e = err[0]] { Read(o, e); });
  }

  ~SlchatProcess() {
    CloseStdin();
    if (pid_ > 0 && exit_code_ < 0) {
      kill(pid_, SIGKILL);
      Wait(5000);
    }
    if (reader_.joinable()) reader_.join();
  }

  void Write(const std::string& s) {
    size_t off = 0;
    while (stdin_ >= 0 && off < s.size()) {
      ssize_t n = write(stdin_, s.data() + off, s.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  }
  void CloseStdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }
  void Signal(int sig) {
    if (pid_ > 0 && exit_code_ < 0) kill(pid_, sig);
  }

  // Waits for the exit; returns the exit code (128+signal when killed, -1 on timeout).
  int Wait(int64_t timeout_ms) {
    if (exit_code_ >= 0 || pid_ <= 0) return exit_code_;
    int status = 0;
    bool done = WaitUntil([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout_ms);
    if (!done) return -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (reader_.joinable()) reader_.join();
    return exit_code_;
  }

  std::string out() const {
    std::lock_guard<std::mutex> lock(mu_);
    return out_;
  }
  std::string err() const {
    std::lock_guard<std::mutex> lock(mu_);
    return err_;
  }
  bool WaitForOutput(const std::string& needle, int64_t timeout_ms) const {
    return WaitUntil([&] { return out().find(needle) != std::string::npos; }, timeout_ms);
  }
  bool WaitForErr(const std::string& needle, int64_t timeout_ms) const {
    return WaitUntil([&] { return err().find(needle) != std::string::npos; }, timeout_ms);
  }

  // Stdout as JSON objects, one per line (a line that is not JSON fails the test).
  std::vector<nlohmann::json> JsonLines() const {
    std::vector<nlohmann::json> lines;
    std::string all = out();
    size_t start = 0, nl;
    while ((nl = all.find('\n', start)) != std::string::npos) {
      std::string line = all.substr(start, nl - start);
      start = nl + 1;
      auto j = nlohmann::json::parse(line, nullptr, false);
      EXPECT_TRUE(j.is_object()) << "not a JSON object: " << line;
      if (j.is_object()) lines.push_back(std::move(j));
    }
    return lines;
  }

 private:
  void Read(int out_fd, int err_fd) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    int open = 2;
    char buf[65536];
    while (open > 0) {
      if (poll(fds, 2, 1000) < 0 && errno != EINTR) break;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || !fds[i].revents) continue;
        ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          close(fds[i].fd);
          fds[i].fd = -1;
          --open;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu_);
        (i == 0 ? out_ : err_).append(buf, static_cast<size_t>(n));
      }
    }
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int exit_code_ = -1;
  std::thread reader_;
  mutable std::mutex mu_;
  std::string out_, err_;
};

// Runs slchat to completion with `input` on stdin.
struct SlchatResult {
  int code = -1;
  std::string out, err;
};
inline SlchatResult RunSlchat(std::vector<std::string> args, const std::string& input = "",
                              std::vector<std::string> env = {}, int64_t timeout_ms = 30000) {
  SlchatProcess p(std::move(args), std::move(env));
  p.Write(input);
  p.CloseStdin();
  SlchatResult r;
  r.code = p.Wait(timeout_ms);
  r.out = p.out();
  r.err = p.err();
  return r;
}

}  // namespace smartlink::testing
