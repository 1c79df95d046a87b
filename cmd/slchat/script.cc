// Scripted mode: the command grammar from --exec or from stdin (not a terminal), one line
// at a time, each command finishing before the next starts.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <deque>

#include "exit_codes.h"
#include "modes.h"

namespace slchat {

namespace {

class ScriptRunner {
 public:
  ScriptRunner(EventLoop* loop, Chat* chat, Ui* ui) : loop_(loop), chat_(chat), ui_(ui) {}

  int Run(const std::vector<std::string>& exec) {
    if (!exec.empty()) {
      lines_.assign(exec.begin(), exec.end());
      input_done_ = true;
    } else {
      fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
      loop_->Watch(STDIN_FILENO, [this] { OnStdin(); });
    }
    loop_->OnSignal(SIGINT, [this] { loop_->Quit(kExitInterrupted); });
    loop_->OnSignal(SIGTERM, [this] { loop_->Quit(kExitTerminated); });
    chat_->Start(
        [this] {
          ready_ = true;
          Next();
        },
        [this](const std::string& error) {
          ui_->Error(error);
          loop_->Quit(kExitFailure);
        });
    int code = loop_->Run();
    chat_->Stop();
    return code;
  }

 private:
  void OnStdin() {
    char buf[65536];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
      if (!partial_.empty()) lines_.push_back(std::move(partial_));
      partial_.clear();
      input_done_ = true;
      loop_->Unwatch(STDIN_FILENO);
    } else {
      partial_.append(buf, static_cast<size_t>(n));
      size_t start = 0, nl;
      while ((nl = partial_.find('\n', start)) != std::string::npos) {
        lines_.push_back(partial_.substr(start, nl - start));
        start = nl + 1;
      }
      partial_.erase(0, start);
    }
    Next();
  }

  void Next() {
    if (!ready_ || finishing_) return;
    while (!lines_.empty()) {
      // A command collecting input lines ("/answer -") gets them while it runs.
      if (busy_ && !chat_->collecting()) return;
      std::string line = std::move(lines_.front());
      lines_.pop_front();
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (chat_->FeedLine(line)) continue;
      if (line.find_first_not_of(" \t") == std::string::npos) continue;  // as the REPL does
      std::string error;
      auto cmd = ParseCommand(line, &error);
      if (!cmd) {
        ui_->Error(error);
        failed_ = true;
        continue;
      }
      if (cmd->name == "quit") return Finish();
      busy_ = true;
      chat_->Execute(*cmd, [this](bool ok) {
        busy_ = false;
        if (!ok) failed_ = true;
        Next();
      });
    }
    if (input_done_ && !busy_) Finish();
  }

  // Lets the events that follow the last reply arrive (a ping's pong comes after them),
  // then exits.
  void Finish() {
    if (finishing_) return;
    finishing_ = true;
    if (chat_->collecting()) {
      ui_->Error("input ended inside an SDP (end it with a line holding '.')");
      failed_ = true;
    }
    chat_->session().Internal(
        {{"type", "ping"}}, [this](const Json&) { loop_->Quit(failed_ ? kExitFailure : kExitOk); });
  }

  EventLoop* loop_;
  Chat* chat_;
  Ui* ui_;
  std::deque<std::string> lines_;
  std::string partial_;
  bool input_done_ = false;
  bool ready_ = false;
  bool busy_ = false;
  bool finishing_ = false;
  bool failed_ = false;
};

}  // namespace

int RunScript(const Setup& setup) {
  EventLoop loop;
  StdUi ui(/*progress=*/false);
  ChatOptions co;
  co.json = setup.options.json;
  co.color = setup.color;
  co.lines_on_stdin = setup.options.exec.empty();
  co.passphrases = setup.passphrases;
  Chat chat(&loop, setup.session, co, &ui);
  ScriptRunner runner(&loop, &chat, &ui);
  return runner.Run(setup.options.exec);
}

}  // namespace slchat
