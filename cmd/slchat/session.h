#pragma once

// Session speaks the SmartLink protocol over one Connection: it authenticates, matches
// replies to requests, keeps the connection alive, and reconnects with backoff after the
// close codes PROTOCOL.md allows, telling its owner so that it can catch up (`sync`).
// Main thread only.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "connection.h"
#include "event_loop.h"
#include "reconnect.h"

namespace slchat {

using Json = nlohmann::json;

struct SessionOptions {
  std::string url;
  std::string user;   // open auth
  std::string token;  // JWT (wins over user)
  std::string ca_file;
  bool insecure = false;
  bool reconnect = true;
};

class Session {
 public:
  using ReplyFn = std::function<void(const Json& reply)>;  // "ok" or "error"

  struct Handlers {
    // After `welcome`; `again` on a reconnect.
    std::function<void(const Json& welcome, bool again)> on_ready;
    // Every text frame, before the reply callback of a reply. May change the frame (decrypt).
    std::function<void(Json& frame, bool quiet)> on_frame;
    // A binary frame: its JSON header and the bytes after it.
    std::function<void(const Json& header, std::string data)> on_binary;
    // The connection dropped; it is retried in `retry_ms`.
    std::function<void(int code, const std::string& reason, int64_t retry_ms)> on_down;
    // Gave up: the first connection or authentication failed, or the server closed with a
    // code that forbids retrying.
    std::function<void(const std::string& error)> on_fatal;
    // A frame that could not be handled (a field of the wrong type) was dropped.
    std::function<void(const std::string& what)> on_bad_frame;
  };

  Session(EventLoop* loop, SessionOptions options, Handlers handlers);
  ~Session();

  void Start();
  // Closes the connection for good (no reconnect).
  void Stop();

  // Sends `req` with a fresh id and calls `fn` with its reply. Requests made before the
  // session is ready wait for it. When the connection drops, a request with `retry` (safe to
  // repeat, such as msg.send with a temp_id) is sent again after the reconnect; the others
  // get an "unavailable" error reply.
  void Request(Json req, ReplyFn fn, bool retry = false);
  // As Request, for a request written by the user (/raw): its own `id`, if it has one, is
  // what the reply's `re` shows (the session still routes it by an id of its own).
  void RequestAsWritten(Json req, ReplyFn fn);
  // The same as a binary frame: `header` (which gets the id) followed by `data`. Quiet,
  // like Internal().
  void RequestBinary(Json header, std::string data, ReplyFn fn);
  // A request of slchat's own bookkeeping (catch-up, keepalive): its reply reaches on_frame
  // with `quiet` set, so --json output leaves it out.
  void Internal(Json req, ReplyFn fn);
  // Sends without expecting a reply; dropped while not connected.
  void Send(const Json& event);

  bool ready() const { return ready_; }
  const std::string& user() const { return user_; }
  const std::string& url() const { return options_.url; }
  // The server's `limits` from welcome.
  const Json& limits() const { return limits_; }

 private:
  struct Pending {
    Json req;
    ReplyFn fn;
    bool retry = false;
    bool binary = false;
    std::string data;  // after the header of a binary frame
    bool quiet = false;
    int attempts = 0;  // rate_limited replies so far
    Json own_id;       // the id the user gave (/raw): put back as the reply's `re`
  };
  void Enqueue(Json req, Pending p);

  void Connect();
  void OnOpen();
  void OnMessage(std::string payload, bool binary);
  void Receive(std::string payload, bool binary);
  void OnClose(int code, const std::string& reason);
  void SendNow(const std::string& id, Pending& p);
  // Sends what is queued as fast as the client-side rate allows.
  void Flush();
  bool TakeToken();
  void StartKeepalive();
  void Fail(const std::string& error);

  EventLoop* loop_;
  SessionOptions options_;
  Handlers handlers_;
  Connection conn_;
  Backoff backoff_;
  bool started_ = false;
  bool stopped_ = false;
  bool ready_ = false;
  bool ever_ready_ = false;
  std::string user_;
  Json limits_ = Json::object();
  uint64_t next_id_ = 0;
  std::string auth_id_;
  std::map<std::string, Pending> in_flight_;  // by request id
  // Not sent yet: waiting for the session to be ready, or for the rate limit.
  std::deque<std::pair<std::string, Pending>> queued_;
  // A client-side token bucket below the server's default (50/s, burst 200), so scripts
  // and uploads are paced instead of refused; a rate_limited reply pauses sending.
  double tokens_ = 0;
  int64_t tokens_ms_ = 0;
  int64_t paused_until_ms_ = 0;
  uint64_t flush_timer_ = 0;
  uint64_t keepalive_timer_ = 0;
  uint64_t reconnect_timer_ = 0;
  int64_t last_rx_ms_ = 0;
};

// Splits a binary frame (2-byte big-endian header length, JSON header, bytes).
bool ParseBinaryFrame(const std::string& frame, Json* header, std::string* data);
// Builds one.
std::string MakeBinaryFrame(const Json& header, std::string_view data);

}  // namespace slchat
