// slchat's interactive REPL in a real terminal: tmux runs it in a pseudo-terminal, the
// test types with send-keys and reads the screen with capture-pane. Each test has its own
// tmux server (its own socket), killed at the end.

#ifdef SLCHAT_PATH

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "e2e/server_process.h"
#include "e2e/slchat_process.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

// Runs argv with stdin from /dev/null; returns its exit code and fills *out with its
// stdout. A command still running after timeout_ms is killed and gives -1, so a tmux
// client that never answers fails a wait instead of hanging the test.
int Run(std::vector<std::string> argv, std::string* out = nullptr, int timeout_ms = 20000) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  // Everything the child needs is made before fork: the child of a threaded process may
  // only make async-signal-safe calls (a malloc can wait forever on a lock another thread
  // held at the fork, and then this read never ends).
  std::vector<char*> a;
  for (auto& s : argv) a.push_back(s.data());
  a.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int null_in = open("/dev/null", O_RDONLY);
    dup2(null_in, 0);
    dup2(fds[1], 1);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    execvp(a[0], a.data());
    _exit(127);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  bool timed_out = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    pollfd p{fds[0], POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) == 0) {
      timed_out = true;
      break;
    }
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (out) *out = text;
  if (timed_out) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool HaveTmux() { return Run({"tmux", "-V"}) == 0; }

// One tmux server running one command in a 100x30 terminal.
class Terminal {
 public:
  Terminal(const TempDir& dir, const std::string& command)
      : socket_(dir.File("tmux-" + std::to_string(++count_) + ".sock")) {
    Tmux({"-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "100", "-y", "30",
          command + "; echo EXITED:$?; sleep 600"});
  }
  ~Terminal() { Tmux({"kill-server"}); }

  void Type(const std::string& text) { Tmux({"send-keys", "-t", "t", "-l", text}); }
  void Key(const std::string& key) { Tmux({"send-keys", "-t", "t", key}); }
  void Resize(int cols) {
    Tmux({"resize-window", "-t", "t", "-x", std::to_string(cols), "-y", "30"});
  }

  std::string Screen() {
    std::string out;
    Tmux({"capture-pane", "-p", "-t", "t"}, &out);
    return out;
  }
  // The last line with something on it, without trailing blanks.
  std::string LastLine() {
    std::istringstream in(Screen());
    std::string line, last;
    while (std::getline(in, line)) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      if (!line.empty()) last = line;
    }
    return last;
  }
  bool WaitFor(const std::string& text, int64_t timeout_ms = 10000) {
    return WaitUntil([&] { return Screen().find(text) != std::string::npos; }, timeout_ms);
  }
  bool WaitForLastLine(const std::string& line, int64_t timeout_ms = 10000) {
    return WaitUntil([&] { return LastLine() == line; }, timeout_ms);
  }

 private:
  int Tmux(std::vector<std::string> args, std::string* out = nullptr) {
    args.insert(args.begin(), {"tmux", "-S", socket_});
    return Run(args, out);
  }

  std::string socket_;
  static inline int count_ = 0;
};

class SlchatRepl : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTmux()) GTEST_SKIP() << "tmux is not installed";
    server_ = ServerProcess::Start();
    ASSERT_TRUE(server_);
    alice_ = Login(*server_, "alice");
    ASSERT_TRUE(alice_);
    ASSERT_EQ("ok", alice_->Request({{"type", "room.create"}, {"room", "lobby"}})["type"]);
  }

  // slchat as `user` in a terminal, with a home of its own for the history file.
  std::unique_ptr<Terminal> Start(const std::string& user) {
    auto t = std::make_unique<Terminal>(dir_, "env -u XDG_STATE_HOME HOME=" + dir_.path() +
                                                  " NO_COLOR=1 LC_ALL=C.UTF-8 " + SLCHAT_PATH +
                                                  " " + server_->url() + " -u " + user);
    EXPECT_TRUE(t->WaitFor("connected as " + user)) << t->Screen();
    return t;
  }

  // What slchat's history file holds (HOME is the test's directory).
  std::string HistoryFile() const {
    std::ifstream hist(dir_.path() + "/.local/state/slchat/history");
    std::stringstream saved;
    saved << hist.rdbuf();
    return saved.str();
  }

  Json WaitForEvent(const std::string& type, const std::string& text = "") {
    return alice_->WaitFor([&](const Json& j) {
      return j.value("type", "") == type && (text.empty() || j.value("text", "") == text);
    });
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<net::BlockingClient> alice_;
};

TEST_F(SlchatRepl, IncomingMessagesPrintAboveTheLineBeingTyped) {
  auto t = Start("carol");
  t->Type("/join lobby");
  t->Key("Enter");
  ASSERT_TRUE(t->WaitFor("joined #lobby: 2 members (alice, carol)")) << t->Screen();
  ASSERT_TRUE(t->WaitForLastLine("#lobby>")) << t->Screen();
  t->Type("half typed");
  ASSERT_TRUE(t->WaitForLastLine("#lobby> half typed")) << t->Screen();
  // Typing is announced to the room.
  Json typing = WaitForEvent("typing");
  EXPECT_EQ("carol", typing["user"]);
  EXPECT_EQ(true, typing["on"]);

  ASSERT_EQ("ok",
            alice_->Request(
                {{"type", "msg.send"}, {"to", "#lobby"}, {"text", "ping from alice"}})["type"]);
  ASSERT_TRUE(t->WaitFor("<alice> ping from alice")) << t->Screen();
  EXPECT_EQ("#lobby> half typed", t->LastLine()) << t->Screen();
  std::string screen = t->Screen();
  EXPECT_LT(screen.find("<alice> ping from alice"), screen.find("#lobby> half typed"));
  // What is shown in the current conversation is marked read.
  Json receipt = alice_->WaitFor([](const Json& j) {
    return j.value("type", "") == "receipt" && j.value("user", "") == "carol";
  });
  EXPECT_EQ(1, receipt["seq"]);

  t->Type(" and finished");
  t->Key("Enter");
  Json m = WaitForEvent("msg", "half typed and finished");
  EXPECT_EQ("carol", m["from"]);
  ASSERT_TRUE(t->WaitFor("<carol> half typed and finished")) << t->Screen();
  EXPECT_TRUE(t->WaitForLastLine("#lobby>")) << t->Screen();
  Json stopped = alice_->WaitFor([](const Json& j) {
    return j.value("type", "") == "typing" && j.value("on", true) == false;
  });
  EXPECT_EQ("carol", stopped["user"]);
}

TEST_F(SlchatRepl, CompletionKeysAndHistoryAcrossRuns) {
  {
    auto t = Start("bob");
    t->Type("/jo");
    t->Key("Tab");
    ASSERT_TRUE(t->WaitForLastLine("slchat> /join")) << t->Screen();
    t->Type("lob");
    t->Key("Tab");
    ASSERT_TRUE(t->WaitForLastLine("slchat> /join lobby")) << t->Screen();
    t->Key("Enter");
    ASSERT_TRUE(t->WaitFor("joined #lobby")) << t->Screen();
    t->Type("/msg @al");
    t->Key("Tab");
    ASSERT_TRUE(t->WaitForLastLine("#lobby> /msg @alice")) << t->Screen();
    t->Key("C-c");  // clears the line, does not quit
    ASSERT_TRUE(t->WaitForLastLine("#lobby>")) << t->Screen();
    // Emptying the line by editing does not quit either.
    t->Type("x");
    t->Key("BSpace");
    t->Type("abc");
    t->Key("C-u");
    t->Type("/he");
    ASSERT_TRUE(t->WaitForLastLine("#lobby> /he")) << t->Screen();
    t->Key("C-u");
    ASSERT_TRUE(t->WaitForLastLine("#lobby>")) << t->Screen();
    t->Type("/rooms");
    t->Key("Enter");
    ASSERT_TRUE(t->WaitFor("#lobby  2 members, joined")) << t->Screen();
    t->Type("/nosuch");
    t->Key("Enter");
    ASSERT_TRUE(t->WaitFor("error: unknown command /nosuch")) << t->Screen();
    t->Key("C-d");
    ASSERT_TRUE(t->WaitFor("EXITED:0")) << t->Screen();
  }
  std::string saved = HistoryFile();
  EXPECT_NE(std::string::npos, saved.find("/rooms")) << saved;

  auto t = Start("bob");
  t->Key("Up");
  t->Key("Up");
  EXPECT_TRUE(t->WaitForLastLine("slchat> /rooms")) << t->Screen();
  t->Key("C-u");
  t->Type("/quit");
  t->Key("Enter");
  EXPECT_TRUE(t->WaitFor("EXITED:0")) << t->Screen();
}

// Two sessions at once keep both their lines in the history file (each appends), and no
// passphrase, password or end-to-end text is written there.
TEST_F(SlchatRepl, HistoryKeepsConcurrentSessionsAndNoSecrets) {
  auto a = Start("bob");
  auto b = Start("carol");
  a->Type("/create vault --e2e hunter2");
  a->Key("Enter");
  ASSERT_TRUE(a->WaitForLastLine("#vault>")) << a->Screen();
  a->Type("the plans are in the garden");
  a->Key("Enter");
  ASSERT_TRUE(a->WaitFor("<bob> the plans are in the garden")) << a->Screen();
  a->Type("/key lobby sesame");
  a->Key("Enter");
  a->Type("/rooms");
  a->Key("Enter");
  ASSERT_TRUE(a->WaitFor("#vault")) << a->Screen();
  b->Type("/convs");
  b->Key("Enter");
  for (auto* t : {a.get(), b.get()}) {
    t->Key("C-d");
    ASSERT_TRUE(t->WaitFor("EXITED:0")) << t->Screen();
  }
  std::string saved = HistoryFile();
  EXPECT_NE(std::string::npos, saved.find("/rooms")) << saved;
  EXPECT_NE(std::string::npos, saved.find("/convs")) << saved;
  for (const char* secret : {"hunter2", "sesame", "garden"}) {
    EXPECT_EQ(std::string::npos, saved.find(secret)) << saved;
  }
}

TEST_F(SlchatRepl, OthersTypingShowsInThePrompt) {
  auto t = Start("bob");
  t->Type("/join lobby");
  t->Key("Enter");
  ASSERT_TRUE(t->WaitForLastLine("#lobby>")) << t->Screen();
  alice_->Send({{"type", "typing"}, {"to", "#lobby"}, {"on", true}});
  ASSERT_TRUE(t->WaitForLastLine("#lobby (alice typing)>")) << t->Screen();
  ASSERT_EQ("ok",
            alice_->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", "done"}})["type"]);
  EXPECT_TRUE(t->WaitForLastLine("#lobby>")) << t->Screen();
  EXPECT_TRUE(t->WaitFor("<alice> done")) << t->Screen();
}

TEST_F(SlchatRepl, ShowsTheReconnectAndWhatWasMissed) {
  TempDir data;
  server_ = ServerProcess::Start({}, data.File("data"));
  ASSERT_TRUE(server_);
  std::string port = server_->url().substr(server_->url().rfind(':') + 1);
  alice_ = Login(*server_, "alice");
  ASSERT_EQ("ok", alice_->Request({{"type", "room.create"}, {"room", "lobby"}})["type"]);
  auto t = Start("bob");
  t->Type("/join lobby");
  t->Key("Enter");
  ASSERT_TRUE(t->WaitForLastLine("#lobby>")) << t->Screen();
  alice_.reset();
  server_->Stop(SIGTERM);
  ASSERT_TRUE(t->WaitFor("-- connection lost (1001")) << t->Screen();
  EXPECT_TRUE(t->WaitForLastLine("[offline] #lobby>")) << t->Screen();
  t->Type("sent later");
  t->Key("Enter");
  EXPECT_TRUE(t->WaitFor("-- offline: the message is queued")) << t->Screen();
  t->Type("draft");
  server_ = ServerProcess::Start({"--listen", "127.0.0.1:" + port}, data.File("data"));
  ASSERT_TRUE(server_);
  alice_ = Login(*server_, "alice");
  ASSERT_EQ("ok",
            alice_->Request(
                {{"type", "msg.send"}, {"to", "#lobby"}, {"text", "while you were out"}})["type"]);
  EXPECT_TRUE(t->WaitFor("<alice> while you were out")) << t->Screen();
  EXPECT_TRUE(t->WaitFor("-- reconnected to " + server_->url())) << t->Screen();
  EXPECT_TRUE(t->WaitFor("-- caught up: ")) << t->Screen();  // 1 new, or none if it came live
  EXPECT_TRUE(t->WaitForLastLine("#lobby> draft")) << t->Screen();
  EXPECT_FALSE(WaitForEvent("msg", "sent later").is_null());
}

// A resized terminal rewraps the line being typed; slchat draws it again at the new width,
// leaving no copies of it on the screen.
TEST_F(SlchatRepl, ResizingRedrawsTheLineOnce) {
  auto t = Start("carol");
  t->Type("/join lobby");
  t->Key("Enter");
  ASSERT_TRUE(t->WaitForLastLine("#lobby>")) << t->Screen();
  std::string line =
      "types a line long enough to wrap over two rows of a terminal a hundred "
      "columns wide, and over three or four of a narrower one, to the end";
  t->Type(line);
  ASSERT_TRUE(t->WaitFor("to the end")) << t->Screen();
  for (int cols : {60, 80, 45, 100}) t->Resize(cols);
  t->Type("!");  // after the resizes: its echo means slchat has seen them
  ASSERT_TRUE(t->WaitFor("the end!")) << t->Screen();
  std::string screen = t->Screen();
  size_t prompts = 0;
  for (size_t at = screen.find("#lobby>"); at != std::string::npos;
       at = screen.find("#lobby>", at + 1)) {
    ++prompts;
  }
  EXPECT_EQ(1u, prompts) << screen;
  EXPECT_NE(std::string::npos, screen.find("joined #lobby")) << screen;  // nothing above cleared
  // It is still the one line: sending it sends all of it.
  t->Key("Enter");
  Json m = WaitForEvent("msg", line + "!");
  EXPECT_EQ("carol", m.value("from", "")) << m;
}

}  // namespace
}  // namespace smartlink::testing

#endif  // SLCHAT_PATH
