#include "e2e/server_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "e2e/test_certs.h"

namespace smartlink::testing {

namespace fs = std::filesystem;

namespace {

// The logs of the servers running now, for LiveServerLogTails().
std::mutex live_mu;
std::map<const ServerProcess*, std::string> live_logs;  // guarded by live_mu

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs argv, feeding `input` on stdin; returns stdout. Status in *exit_status.
std::string Run(const std::vector<std::string>& argv, const std::string& input, int* exit_status) {
  int in_pipe[2], out_pipe[2];
  // Close-on-exec: a process started meanwhile must not hold the pipe open after this child.
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) return "";
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  std::thread writer([&] {
    size_t off = 0;
    while (off < input.size()) {
      ssize_t n = write(in_pipe[1], input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(in_pipe[1]);
  });
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(out_pipe[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(out_pipe[0]);
  writer.join();
  int status = 0;
  waitpid(pid, &status, 0);
  *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

}  // namespace

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/smartlink-test-XXXXXX";
  char* p = mkdtemp(tmpl.data());
  path_ = p ? p : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

ServerProcess::~ServerProcess() {
  // Every test ends with a clean shutdown: exit 0, and no sanitizer report (those exit 1).
  if (pid_ > 0) {
    int code = Stop(SIGTERM);
    if (code != 0) ADD_FAILURE() << "slserver exited with " << code << " on SIGTERM:\n" << log();
  }
  std::lock_guard<std::mutex> lock(live_mu);
  live_logs.erase(this);
}

std::unique_ptr<ServerProcess> ServerProcess::Start(std::vector<std::string> args,
                                                    std::string data_dir) {
  std::unique_ptr<ServerProcess> s(new ServerProcess());
  s->tmp_ = std::make_unique<TempDir>();
  s->data_dir_ = data_dir.empty() ? s->tmp_->File("data") : data_dir;
  s->args_ = std::move(args);
  if (!s->Launch()) return nullptr;
  return s;
}

bool ServerProcess::Launch() {
  std::string ready = tmp_->File("ready");
  unlink(ready.c_str());
  std::vector<std::string> argv = {SLSERVER_PATH, "--listen", "127.0.0.1:0", "--ready-file",
                                   ready,         "--data",   data_dir_,     "--log-level",
                                   "debug",       "--sync",   "normal"};
  argv.insert(argv.end(), args_.begin(), args_.end());
  std::string log_path = tmp_->File("server.log");
  std::vector<char*> a;  // made before fork: the child of a threaded process only execs
  for (auto& x : argv) a.push_back(x.data());
  a.push_back(nullptr);
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // If the test binary dies (ctest's timeout kills it), the server goes with it instead of
    // running on with its port and data directory.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) dup2(fd, 2);
    execv(a[0], a.data());
    _exit(127);
  }
  {
    std::lock_guard<std::mutex> lock(live_mu);
    live_logs[this] = log_path;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string url = ReadAll(ready);
    if (!url.empty() && url.back() == '\n') {
      url_ = url.substr(0, url.size() - 1);
      return true;
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      ADD_FAILURE() << "slserver exited at start:\n" << log();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "slserver did not write its ready file:\n" << log();
  return false;
}

std::string ServerProcess::http_url() const {
  if (url_.rfind("wss://", 0) == 0) return "https://" + url_.substr(6);
  return "http://" + url_.substr(5);
}

double Metric(const ServerProcess& server, const std::string& name) {
  std::istringstream in(HttpRequest(server.http_url(), "GET", "/metrics").body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

std::string LiveServerLogTails() {
  std::lock_guard<std::mutex> lock(live_mu);
  std::string out;
  for (const auto& [server, path] : live_logs) {
    std::string log = ReadAll(path);
    if (log.size() > 4096) log = "..." + log.substr(log.size() - 4096);
    out += "--- slserver log " + path + ":\n" + log + "\n";
  }
  return out;
}

std::string ServerProcess::log() const { return ReadAll(tmp_->File("server.log")); }

int ServerProcess::Stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  {
    std::lock_guard<std::mutex> lock(live_mu);
    live_logs.erase(this);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

bool ServerProcess::Restart() { return Launch(); }

std::unique_ptr<net::BlockingClient> Connect(const std::string& url, net::ClientOptions options) {
  options.url = url;
  if (options.url.rfind("wss://", 0) == 0 && options.ca_file.empty()) options.insecure = true;
  auto c = net::BlockingClient::Connect(options);
  if (!c.ok()) {
    ADD_FAILURE() << c.status().ToString();
    return nullptr;
  }
  return std::move(*c);
}

std::unique_ptr<ServerProcess> StartTlsServer(const TempDir& dir, std::vector<std::string> args) {
  Certificate cert = MakeSelfSignedCert();
  WriteFile(dir.File("cert.pem"), cert.cert_pem);
  WriteFile(dir.File("key.pem"), cert.key_pem);
  args.insert(args.begin(), {"--tls-cert", dir.File("cert.pem"), "--tls-key", dir.File("key.pem")});
  return ServerProcess::Start(std::move(args));
}

std::unique_ptr<net::BlockingClient> Login(const ServerProcess& server, const std::string& user,
                                           net::ClientOptions options) {
  auto c = Connect(server.ws_url(), std::move(options));
  if (!c) return nullptr;
  auto w = c->Request({{"type", "auth"}, {"user", user}});
  if (w.value("type", "") != "welcome") {
    ADD_FAILURE() << "auth as " << user << " failed: " << w.dump();
    return nullptr;
  }
  return c;
}

HttpResult HttpRequest(const std::string& base_url, const std::string& method,
                       const std::string& path, const std::string& body,
                       const std::vector<std::string>& headers) {
  std::vector<std::string> argv = {"curl", "-s", "-k", "-i", "-X", method, "--max-time", "10"};
  for (const auto& h : headers) {
    argv.push_back("-H");
    argv.push_back(h);
  }
  if (!body.empty()) {
    argv.push_back("--data-binary");
    argv.push_back("@-");
  }
  argv.push_back(base_url + path);
  int status = 0;
  std::string out = Run(argv, body, &status);
  HttpResult r;
  size_t split = out.find("\r\n\r\n");
  r.headers = out.substr(0, split);
  r.body = split == std::string::npos ? "" : out.substr(split + 4);
  size_t sp = out.find(' ');
  if (sp != std::string::npos) r.status = atoi(out.c_str() + sp + 1);
  return r;
}

}  // namespace smartlink::testing
