#include "e2e/raw_ws.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

namespace smartlink::testing {

RawWs::~RawWs() {
  if (fd_ >= 0) close(fd_);
}

int RawWs::Open(const std::string& ws_url, const std::string& extra_headers) {
  // ws://127.0.0.1:PORT/ws
  size_t colon = ws_url.rfind(':');
  int port = atoi(ws_url.c_str() + colon + 1);
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (small_rcvbuf_) {
    int size = 4096;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  std::string req =
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n" +
      extra_headers + "\r\n";
  if (write(fd_, req.data(), req.size()) != static_cast<ssize_t>(req.size())) return -1;
  // Read the response head.
  while (buf_.find("\r\n\r\n") == std::string::npos) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) return -1;
    char tmp[4096];
    ssize_t r = read(fd_, tmp, sizeof tmp);
    if (r <= 0) return -1;
    buf_.append(tmp, static_cast<size_t>(r));
  }
  std::string head = buf_.substr(0, buf_.find("\r\n\r\n"));
  buf_.erase(0, head.size() + 4);
  return atoi(head.c_str() + head.find(' ') + 1);
}

std::string RawWs::Frame(int opcode, const std::string& payload, bool fin) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | opcode);
  size_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(0x80 | n);
  } else if (n < 65536) {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xFF);
  } else {
    f += static_cast<char>(0x80 | 127);
    for (int s = 56; s >= 0; s -= 8) f += static_cast<char>((static_cast<uint64_t>(n) >> s) & 0xFF);
  }
  static std::mt19937 rng(std::random_device{}());
  char mask[4];
  for (char& m : mask) m = static_cast<char>(rng() & 0xFF);
  f.append(mask, 4);
  for (size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
  return f;
}

bool RawWs::SendBytes(const std::string& f) {
  size_t off = 0;
  while (off < f.size()) {
    ssize_t w = write(fd_, f.data() + off, f.size() - off);
    if (w <= 0) return false;
    off += static_cast<size_t>(w);
  }
  return true;
}

bool RawWs::ReadN(std::string* out, size_t n, int timeout_ms) {
  while (buf_.size() < n) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char tmp[65536];
    ssize_t r = read(fd_, tmp, sizeof tmp);
    if (r <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(r));
  }
  *out = buf_.substr(0, n);
  buf_.erase(0, n);
  return true;
}

bool RawWs::ReadFrame(int* opcode, std::string* payload, int timeout_ms) {
  std::string h;
  if (!ReadN(&h, 2, timeout_ms)) return false;
  *opcode = h[0] & 0x0F;
  uint64_t n = static_cast<unsigned char>(h[1]) & 0x7F;
  std::string ext;
  if (n == 126) {
    if (!ReadN(&ext, 2, timeout_ms)) return false;
    n = static_cast<uint64_t>(static_cast<unsigned char>(ext[0])) << 8 |
        static_cast<unsigned char>(ext[1]);
  } else if (n == 127) {
    if (!ReadN(&ext, 8, timeout_ms)) return false;
    n = 0;
    for (char c : ext) n = n << 8 | static_cast<unsigned char>(c);
  }
  return ReadN(payload, static_cast<size_t>(n), timeout_ms);
}

}  // namespace smartlink::testing
