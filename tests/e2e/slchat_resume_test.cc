// slchat's transfers across a dropped connection: a TCP proxy between slchat and a real
// slserver cuts the connection once, mid-transfer; slchat must reconnect (through the
// proxy again) and resume where the server's copy stopped, not start over.

#ifdef SLCHAT_PATH

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "e2e/server_process.h"
#include "e2e/slchat_process.h"
#include "e2e/test_certs.h"
#include "smartlink/util/crypto.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

// A TCP proxy on 127.0.0.1 in front of a local server port. The first connection to pass
// `cut_after` bytes in `direction` is cut there, abruptly (RST to the client, close to the
// server); every other connection is relayed untouched. One thread accepts, one relays each
// connection. Counters are safe to read from any thread.
class CuttingProxy {
 public:
  enum Direction { kUp = 0, kDown = 1 };  // up: client to server

  CuttingProxy(int server_port, Direction direction, int64_t cut_after)
      : server_port_(server_port), direction_(direction), cut_after_(cut_after) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Loopback(0);
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listen_fd_, 16) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    accepter_ = std::thread([this] { AcceptLoop(); });
  }

  ~CuttingProxy() {
    stop_ = true;
    if (accepter_.joinable()) accepter_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : open_) shutdown(fd, SHUT_RDWR);  // wakes a relay blocked in send()
    }
    for (std::thread& t : relays_) t.join();
    if (listen_fd_ >= 0) close(listen_fd_);
  }

  bool ok() const { return port_ > 0; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_); }
  int accepts() const { return accepts_; }
  int cuts() const { return cut_ ? 1 : 0; }
  // Bytes relayed in `d`, over every connection.
  int64_t bytes(Direction d) const { return bytes_[d]; }

 private:
  static sockaddr_in Loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
  }

  static bool SendAll(int fd, const char* p, size_t n) {
    while (n > 0) {
      ssize_t sent = send(fd, p, n, MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) return false;
      p += sent;
      n -= static_cast<size_t>(sent);
    }
    return true;
  }

  void AcceptLoop() {
    while (!stop_) {
      pollfd p = {listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;  // the timeout only bounds the wait for stop_
      int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr = Loopback(server_port_);
      if (server < 0 || connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(client);
        if (server >= 0) close(server);
        continue;
      }
      ++accepts_;
      {
        std::lock_guard<std::mutex> lock(mu_);
        open_.push_back(client);
        open_.push_back(server);
      }
      relays_.emplace_back([this, client, server] { Relay(client, server); });
    }
  }

  void Relay(int client, int server) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    std::vector<char> buf(64 * 1024);
    int64_t passed = 0;  // in direction_, on this connection
    bool cut = false;
    while (!stop_ && !cut) {
      int n = poll(fds, 2, 50);  // the timeout only bounds the wait for stop_
      if (n < 0 && errno != EINTR) break;
      bool closed = false;
      for (int i = 0; i < 2 && n > 0 && !closed && !cut; ++i) {
        if (!fds[i].revents) continue;
        ssize_t got = recv(fds[i].fd, buf.data(), buf.size(), 0);
        if (got <= 0 || !SendAll(fds[1 - i].fd, buf.data(), static_cast<size_t>(got))) {
          closed = true;
          break;
        }
        bytes_[i] += got;
        if (i == direction_) passed += got;
        cut = passed >= cut_after_ && !cut_.exchange(true);
      }
      if (closed) break;
    }
    if (cut) {
      linger hard = {1, 0};  // close with a reset, as a dropped link or NAT timeout would
      setsockopt(client, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : {client, server}) {
      open_.erase(std::find(open_.begin(), open_.end(), fd));
      close(fd);
    }
  }

  const int server_port_;
  const Direction direction_;
  const int64_t cut_after_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_{false};
  std::atomic<int> accepts_{0};
  std::atomic<int64_t> bytes_[2] = {0, 0};
  std::thread accepter_;
  std::vector<std::thread> relays_;  // accepter_ only, until it is joined
  std::mutex mu_;
  std::vector<int> open_;  // guarded by mu_: the relays' sockets not yet closed
};

std::string Sha(const std::string& bytes) { return crypto::Hex(crypto::Sha256(bytes)); }

// 4 MiB is 16 chunks of 256 KiB. The cut comes after 2.5 MiB, well into the transfer: more
// than slchat keeps in flight (4 chunks) past what the server confirmed, so starting over
// would relay at least kFileBytes + kCutAfter bytes, and resuming clearly fewer.
constexpr int64_t kFileBytes = 4 << 20;
constexpr int64_t kCutAfter = 5 << 19;

class SlchatResume : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start();
    ASSERT_TRUE(server_);
    url_ = server_->url();
    port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
    alice_ = Login(*server_, "alice");
    ASSERT_TRUE(alice_);
    ASSERT_EQ("ok", alice_->Request({{"type", "room.create"}, {"room", "lobby"}})["type"]);
    bytes_ = RandomBytes(kFileBytes, 7);
    WriteFile(dir_.File("big.bin"), bytes_);
  }

  std::unique_ptr<ServerProcess> server_;
  std::string url_;
  int port_ = 0;
  std::unique_ptr<net::BlockingClient> alice_;
  TempDir dir_;
  std::string bytes_;
};

TEST_F(SlchatResume, UploadCutMidwayResumes) {
  CuttingProxy proxy(port_, CuttingProxy::kUp, kCutAfter);
  ASSERT_TRUE(proxy.ok());
  SlchatResult up =
      RunSlchat({"upload", proxy.url(), "#lobby", dir_.File("big.bin"), "--json", "-u", "alice"});
  ASSERT_EQ(0, up.code) << up.err;
  EXPECT_EQ(1, proxy.cuts());
  EXPECT_GE(proxy.accepts(), 2);                                      // slchat came back
  EXPECT_LT(proxy.bytes(CuttingProxy::kUp), kFileBytes + kCutAfter);  // resumed, not restarted
  Json result = Json::parse(up.out);
  EXPECT_EQ(Sha(bytes_), result["sha256"]);
  std::string id = result["file_id"];

  // The server's copy, fetched directly: the same bytes.
  Json get = alice_->Request({{"type", "file.get"}, {"file_id", id}});
  EXPECT_EQ(Sha(bytes_), get["sha256"]);
  EXPECT_EQ(kFileBytes, get["size"]);
  SlchatResult down = RunSlchat({"download", url_, id, "-", "-u", "alice"});
  ASSERT_EQ(0, down.code) << down.err;
  EXPECT_EQ(kFileBytes, static_cast<int64_t>(down.out.size()));
  EXPECT_EQ(Sha(bytes_), Sha(down.out));
}

TEST_F(SlchatResume, DownloadCutMidwayResumes) {
  SlchatResult up =
      RunSlchat({"upload", url_, "#lobby", dir_.File("big.bin"), "--json", "-u", "alice"});
  ASSERT_EQ(0, up.code) << up.err;
  std::string id = Json::parse(up.out)["file_id"];

  CuttingProxy proxy(port_, CuttingProxy::kDown, kCutAfter);
  ASSERT_TRUE(proxy.ok());
  SlchatResult down =
      RunSlchat({"download", proxy.url(), id, dir_.File("copy.bin"), "--json", "-u", "alice"});
  ASSERT_EQ(0, down.code) << down.err;
  EXPECT_EQ(1, proxy.cuts());
  EXPECT_GE(proxy.accepts(), 2);
  EXPECT_LT(proxy.bytes(CuttingProxy::kDown), kFileBytes + kCutAfter);
  EXPECT_EQ(Sha(bytes_), Json::parse(down.out)["sha256"]);
  std::string copy = ReadFile(dir_.File("copy.bin"));
  EXPECT_EQ(kFileBytes, static_cast<int64_t>(copy.size()));
  EXPECT_EQ(Sha(bytes_), Sha(copy));
  EXPECT_EQ("", ReadFile(dir_.File("copy.bin.part")));
}

}  // namespace
}  // namespace smartlink::testing

#endif  // SLCHAT_PATH
