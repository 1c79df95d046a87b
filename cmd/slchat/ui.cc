#include "ui.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

#include "event_loop.h"
#include "render.h"

namespace slchat {

std::string DumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void StdUi::Print(const std::string& text) {
  fwrite(text.data(), 1, text.size(), stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

void StdUi::PrintJson(const nlohmann::json& j) { Print(DumpJson(j)); }

void StdUi::Notice(const std::string& text) {
  fprintf(stderr, "slchat: %s\n", text.c_str());
  fflush(stderr);
}

void StdUi::Error(const std::string& text) {
  fprintf(stderr, "slchat: error: %s\n", text.c_str());
  fflush(stderr);
}

void StdUi::Progress(const std::string& label, uint64_t done, uint64_t total, bool finished) {
  if (!progress_) return;
  int64_t now = EventLoop::NowMs();
  if (!finished && now - last_progress_ms_ < 100) return;
  last_progress_ms_ = now;
  struct winsize ws = {};
  int cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
  std::string line = ProgressLine(label, done, total, cols - 1);
  fprintf(stderr, "\r%s\033[K%s", line.c_str(), finished ? "\n" : "");
  fflush(stderr);
}

}  // namespace slchat
