#pragma once

// A bare WebSocket client on a blocking socket, for tests that must misbehave: stop reading,
// or write frames a proper library would refuse to.

#include <string>

namespace smartlink::testing {

class RawWs {
 public:
  ~RawWs();
  // Connects to ws://127.0.0.1:port/ws (plain only) and completes the handshake.
  // `extra_headers` are added as-is ("Name: value\r\n" each). Returns the HTTP status.
  int Open(const std::string& ws_url, const std::string& extra_headers = "");
  // One masked frame, encoded (to send several in one write).
  static std::string Frame(int opcode, const std::string& payload, bool fin = true);
  // Writes `bytes` as they are, in one write() where the socket takes them.
  bool SendBytes(const std::string& bytes);
  // Sends one masked frame.
  bool SendFrame(int opcode, const std::string& payload, bool fin = true) {
    return SendBytes(Frame(opcode, payload, fin));
  }
  bool SendText(const std::string& text) { return SendFrame(0x1, text); }
  // Reads one frame (blocking up to timeout_ms); returns false on timeout or EOF.
  bool ReadFrame(int* opcode, std::string* payload, int timeout_ms);
  // Shrinks the socket's receive buffer (call before Open) so the server's writes back up.
  void set_small_receive_buffer(bool v) { small_rcvbuf_ = v; }
  int fd() const { return fd_; }

 private:
  bool ReadN(std::string* out, size_t n, int timeout_ms);
  int fd_ = -1;
  bool small_rcvbuf_ = false;
  std::string buf_;
};

}  // namespace smartlink::testing
