#pragma once

// Where slchat's output goes. The REPL prints above its prompt; scripts and one-shot
// commands print data to stdout and diagnostics to stderr. Main thread only.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace slchat {

class Ui {
 public:
  virtual ~Ui() = default;
  // Text for people and scripts (events, command results): stdout.
  virtual void Print(const std::string& text) = 0;
  // One JSON object per line (--json): stdout.
  virtual void PrintJson(const nlohmann::json& j) = 0;
  // Connection status and hints: stderr (or above the prompt).
  virtual void Notice(const std::string& text) = 0;
  // "slchat: error: ..." on stderr (or above the prompt, in red).
  virtual void Error(const std::string& text) = 0;
  // A file transfer moved on; `finished` once at the end.
  virtual void Progress(const std::string& label, uint64_t done, uint64_t total, bool finished) = 0;
  // The prompt's decorations changed (current conversation, typing, transfers).
  virtual void Refresh() {}
};

// Ui on stdout/stderr for scripts and one-shot commands. Progress bars only when
// `progress` (stderr is a terminal and this is a one-shot transfer).
class StdUi : public Ui {
 public:
  explicit StdUi(bool progress) : progress_(progress) {}
  void Print(const std::string& text) override;
  void PrintJson(const nlohmann::json& j) override;
  void Notice(const std::string& text) override;
  void Error(const std::string& text) override;
  void Progress(const std::string& label, uint64_t done, uint64_t total, bool finished) override;

 private:
  bool progress_;
  int64_t last_progress_ms_ = 0;
};

// The JSON of a frame as one line; invalid UTF-8 is replaced rather than thrown on.
std::string DumpJson(const nlohmann::json& j);

}  // namespace slchat
