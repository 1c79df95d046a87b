#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

// The boundary between the chat logic (Hub) and the network (net/, websocketpp). The Hub sees
// connections only as ConnIds and frames only as shared, already-encoded payloads.
namespace smartlink::server {

using ConnId = uint64_t;

// An encoded frame, shared by every connection it goes to: a broadcast is encoded once.
// The transport may cache its own wire form in `prepared` the first time it sends the frame
// (shared_ptr<void>: the type belongs to the transport, and the cache lives exactly as long
// as the frame does).
struct Frame {
  explicit Frame(std::string p, bool bin = false) : payload(std::move(p)), binary(bin) {}
  std::string payload;
  bool binary = false;
  mutable std::shared_ptr<void> prepared;
};
using FramePtr = std::shared_ptr<const Frame>;

inline FramePtr MakeFrame(std::string payload, bool binary = false) {
  return std::make_shared<const Frame>(std::move(payload), binary);
}

// What the transport learned from a WebSocket handshake.
struct HandshakeInfo {
  std::string token;  // ?token= or Authorization: Bearer
  std::string user;   // ?user= (open auth only)
  std::string origin;
  bool tls = false;
};

struct HttpRequest {
  std::string method;
  std::string path;                            // without the query
  std::map<std::string, std::string> query;    // decoded parameters
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};
using HttpResponder = std::function<void(HttpResponse)>;

// Implemented by the network layer. All calls happen on the event-loop thread.
class Transport {
 public:
  virtual ~Transport() = default;
  // Queues a frame; ignored if the connection is gone or closing. An event (`reply` false)
  // may wait a little so that a busy connection gets several frames in one write; a reply
  // is written at once, after everything queued before it.
  virtual void Send(ConnId conn, const FramePtr& frame, bool reply) = 0;
  // Starts the closing handshake with `code`.
  virtual void Close(ConnId conn, int code, const std::string& reason) = 0;
  // Bytes queued for the connection and not yet written to the socket.
  virtual size_t BufferedBytes(ConnId conn) const = 0;
  // Sends a WebSocket ping.
  virtual void Ping(ConnId conn) = 0;
  // The peer's address, "ip:port" ("?" if unknown), asked of the socket only when a log
  // line needs it: a system call and a string per connection that most never use.
  virtual std::string Remote(ConnId conn) const = 0;
  // Runs `fn` on the loop after `delay_ms` (0: as soon as possible, after the current
  // handler returns).
  virtual void After(int64_t delay_ms, std::function<void()> fn) = 0;
};

}  // namespace smartlink::server
