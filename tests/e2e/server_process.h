#pragma once

// Starts the real slserver binary on an ephemeral port for end-to-end tests.

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "smartlink/net/ws_client.h"

namespace smartlink::testing {

// A temporary directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// One slserver process: `slserver --listen 127.0.0.1:0 --ready-file F --data DIR ARGS...`.
// Stopped with SIGTERM (and reaped) on destruction.
class ServerProcess {
 public:
  ~ServerProcess();

  // Starts the server with `args` and waits for its ready file. `data_dir` empty: a fresh
  // temporary directory. Fails the current test (and returns null) if it does not start.
  static std::unique_ptr<ServerProcess> Start(std::vector<std::string> args = {},
                                              std::string data_dir = "");

  const std::string& url() const { return url_; }  // ws://127.0.0.1:PORT
  std::string ws_url() const { return url_ + "/ws"; }
  std::string http_url() const;  // http(s)://127.0.0.1:PORT
  const std::string& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }
  std::string log() const;  // what the server wrote to stderr

  // Sends `sig` and waits for the exit; returns the exit status (or 128+signal).
  int Stop(int sig);
  // Starts it again with the same arguments and data (after Stop).
  bool Restart();

 private:
  ServerProcess() = default;
  bool Launch();

  std::vector<std::string> args_;
  std::unique_ptr<TempDir> tmp_;
  std::string data_dir_;
  std::string url_;
  pid_t pid_ = -1;
};

// Starts slserver on wss:// with a self-signed certificate made for the test, written to
// `dir` as cert.pem (also the CA to verify it with) and key.pem; `args` are added.
std::unique_ptr<ServerProcess> StartTlsServer(const TempDir& dir,
                                              std::vector<std::string> args = {});

// Connects and authenticates in open mode as `user`; fails the test on error.
std::unique_ptr<net::BlockingClient> Login(const ServerProcess& server, const std::string& user,
                                           net::ClientOptions options = {});

// Connects without authenticating.
std::unique_ptr<net::BlockingClient> Connect(const std::string& url,
                                             net::ClientOptions options = {});

// An HTTP request with curl-like simplicity, over a plain socket (or TLS, insecure).
struct HttpResult {
  int status = 0;
  std::string body;
  std::string headers;
};
HttpResult HttpRequest(const std::string& base_url, const std::string& method,
                       const std::string& path, const std::string& body = "",
                       const std::vector<std::string>& headers = {});

// One value from the server's /metrics (`name` with its labels); -1 when it is not there.
double Metric(const ServerProcess& server, const std::string& name);

// The last few KiB of the log of every slserver running now, each under a heading (for the
// watchdog in watchdog.cc). Thread-safe.
std::string LiveServerLogTails();

}  // namespace smartlink::testing
