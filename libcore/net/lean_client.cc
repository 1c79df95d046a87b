// The ws:// client endpoint: the client side of RFC 6455 written directly on an Asio socket.
//
// Why not websocketpp's client, which the wss:// endpoint still uses: in slbench's
// connection setup workload (connect, upgrade, auth, join, close, 64 at a time) the
// websocketpp connection object (its HTTP parser and header maps, a processor, a
// message manager, a dozen std::function handlers and shared_ptr copies per step) cost
// slbench about as much CPU per handshake as slserver spent serving it, so slbench, not the
// server, set the rate it measured. This endpoint keeps one object per connection, one
// buffer each way, and parses the 101 answer and the server's frames in place.
//
// What it does: the opening handshake (Sec-WebSocket-Key and -Accept, the subprotocol, extra
// headers), text and binary messages (fragmented ones reassembled, text checked as UTF-8),
// masked client frames, pings answered, the closing handshake from either side, and a timeout
// for the opening handshake and for the closing one. Extensions are not offered.

#include <openssl/sha.h>

#include <algorithm>
#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <cstring>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include "client_endpoint.h"
#include "fast_utf8.h"
#include "smartlink/util/crypto.h"

namespace smartlink::net {

namespace {

constexpr char kAcceptGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kReadChunk = 16384;
constexpr size_t kMaxResponseHead = 16384;
constexpr int64_t kCloseTimeoutMs = 5000;

enum class State { kConnecting, kHandshake, kOpen, kClosing, kDone };

struct Conn {
  Conn(asio::io_context& io, ClientId i, ClientHandlers hs)
      : id(i), sock(io), timer(io), h(std::move(hs)) {}
  ClientId id;
  asio::ip::tcp::socket sock;
  asio::steady_timer timer;  // the opening handshake's deadline, then the closing one's
  std::unique_ptr<asio::ip::tcp::resolver> resolver;
  ClientHandlers h;
  State state = State::kConnecting;
  std::string accept;  // the Sec-WebSocket-Accept the server must answer
  std::string subprotocol;
  size_t max_message = 0;
  // Received bytes not yet parsed are in[begin, end).
  std::vector<char> in;
  size_t begin = 0, end = 0;
  bool reading = false;
  // A fragmented message being put together.
  bool in_message = false;
  bool message_binary = false;
  std::string message;
  // Frames queued (out) and being written (writing).
  std::string out, writing;
  bool write_busy = false;
  // The closing handshake.
  bool sent_close = false, got_close = false;
  bool broken = false;        // a protocol error: the rest of the stream is not parsed
  bool write_failed = false;  // the socket refused a write: nothing more is written
  int local_code = 1006, remote_code = 1005;
  std::string local_reason, remote_reason;
};
using ConnPtr = std::shared_ptr<Conn>;

uint16_t Be16(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) << 8 |
                               static_cast<unsigned char>(p[1]));
}

// Close codes a peer may send (RFC 6455, 7.4): 1005, 1006 and 1015 never go on the wire.
bool ValidCloseCode(int code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// Whether the comma-separated header value `list` holds `token` (any case).
bool HasToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (EqualsIgnoreCase(Trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

class LeanClientEndpoint final : public ClientEndpoint {
 public:
  explicit LeanClientEndpoint(asio::io_context& io) : io_(io), rng_(Seed()) {}

  ~LeanClientEndpoint() override {
    for (auto& [id, c] : conns_) {
      c->state = State::kDone;
      asio::error_code ec;
      c->sock.close(ec);
      c->timer.cancel();
    }
  }

  bool Connect(ClientId id, const ClientOptions& opt, const WsUrl& url, ClientHandlers h,
               std::string* error) override {
    for (const auto& [k, v] : opt.headers) {
      if (k.empty() || HasLineBreak(k) || HasLineBreak(v) || k.find(':') != std::string::npos) {
        *error = "bad header for the handshake: " + k;
        return false;
      }
    }
    if (HasLineBreak(opt.token) || HasLineBreak(opt.origin) || HasLineBreak(opt.subprotocol) ||
        HasLineBreak(url.resource)) {
      *error = "a line break in the token, origin, subprotocol or path";
      return false;
    }
    auto c = std::make_shared<Conn>(io_, id, std::move(h));
    c->max_message = opt.max_message_bytes;
    c->subprotocol = opt.subprotocol;
    char nonce[16];
    for (size_t i = 0; i < sizeof nonce; i += 8) {
      uint64_t r = rng_();
      std::memcpy(nonce + i, &r, 8);
    }
    std::string key = crypto::Base64Encode(std::string_view(nonce, sizeof nonce));
    std::string keyed = key + kAcceptGuid;
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(keyed.data()), keyed.size(), digest);
    c->accept =
        crypto::Base64Encode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest));

    std::string& r = c->out;  // the opening handshake, written once connected
    r.reserve(256);
    r += "GET ";
    r += url.resource.empty() ? "/" : url.resource;
    r += " HTTP/1.1\r\nHost: ";
    r += HostPort(url.host, url.port);
    r += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Key: ";
    r += key;
    r += "\r\n";
    if (!opt.subprotocol.empty()) r += "Sec-WebSocket-Protocol: " + opt.subprotocol + "\r\n";
    if (!opt.token.empty()) r += "Authorization: Bearer " + opt.token + "\r\n";
    if (!opt.origin.empty()) r += "Origin: " + opt.origin + "\r\n";
    for (const auto& [k, v] : opt.headers) r += k + ": " + v + "\r\n";
    r += "\r\n";

    conns_.emplace(id, c);
    c->timer.expires_after(std::chrono::milliseconds(opt.connect_timeout_ms));
    c->timer.async_wait([this, c](const asio::error_code& ec) {
      if (ec || c->state == State::kDone) return;
      if (c->state == State::kConnecting || c->state == State::kHandshake) {
        Finish(c, 1006, "the opening handshake timed out");
      }
    });

    asio::error_code ec;
    asio::ip::address addr = asio::ip::make_address(url.host, ec);
    if (!ec) {
      c->sock.async_connect(asio::ip::tcp::endpoint(addr, url.port),
                            [this, c](const asio::error_code& cec) { Connected(c, cec); });
      return true;
    }
    // A host name: Asio's resolver (getaddrinfo on a thread of its own).
    c->resolver = std::make_unique<asio::ip::tcp::resolver>(io_);
    c->resolver->async_resolve(
        url.host, std::to_string(url.port),
        [this, c](const asio::error_code& rec, asio::ip::tcp::resolver::results_type results) {
          if (c->state == State::kDone) return;
          if (rec) {
            Finish(c, 1006, rec.message());
            return;
          }
          asio::async_connect(c->sock, results,
                              [this, c](const asio::error_code& cec,
                                        const asio::ip::tcp::endpoint&) { Connected(c, cec); });
        });
    return true;
  }

  void Send(ClientId id, std::string_view payload, bool binary) override {
    auto it = conns_.find(id);
    // A closing connection drops the frame; its close handler reports the end.
    if (it == conns_.end() || it->second->state != State::kOpen) return;
    SendFrame(it->second, binary ? 2 : 1, payload);
  }

  void Close(ClientId id, int code, const std::string& reason) override {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    ConnPtr c = it->second;
    if (c->state == State::kConnecting || c->state == State::kHandshake) {
      // Not open yet: drop the socket, and report it once this call has returned.
      Finish(c, 1006, "closed before the opening handshake finished", /*deferred=*/true);
      return;
    }
    if (c->state != State::kOpen) return;
    c->local_code = code;
    c->local_reason = reason;
    SendClose(c, code, reason);
    c->state = State::kClosing;
    ArmCloseTimer(c);
  }

  size_t Buffered(ClientId id) const override {
    auto it = conns_.find(id);
    return it == conns_.end() ? 0 : it->second->out.size() + it->second->writing.size();
  }

  size_t open() const override { return conns_.size(); }

 private:
  void Connected(const ConnPtr& c, const asio::error_code& ec) {
    if (c->state == State::kDone) return;
    if (ec) {
      Finish(c, 1006, ec.message());
      return;
    }
    asio::error_code ignored;
    c->sock.set_option(asio::ip::tcp::no_delay(true), ignored);
    c->state = State::kHandshake;
    Flush(c);
    Read(c);
  }

  void Read(const ConnPtr& c) {
    if (c->reading || c->state == State::kDone) return;
    if (c->begin == c->end) c->begin = c->end = 0;
    if (c->in.size() - c->end < kReadChunk / 4) {
      // Move what is left to the front, and grow if that is not room enough.
      if (c->begin > 0) {
        std::memmove(c->in.data(), c->in.data() + c->begin, c->end - c->begin);
        c->end -= c->begin;
        c->begin = 0;
      }
      if (c->in.size() - c->end < kReadChunk / 4) c->in.resize(c->end + kReadChunk);
    }
    c->reading = true;
    c->sock.async_read_some(asio::buffer(c->in.data() + c->end, c->in.size() - c->end),
                            [this, c](const asio::error_code& ec, size_t n) {
                              c->reading = false;
                              if (c->state == State::kDone) return;
                              if (ec) {
                                Ended(c, ec);
                                return;
                              }
                              c->end += n;
                              Parse(c);
                              // The 101 may come in pieces; closing, read on for the server's close
                              // or its EOF.
                              if (c->state == State::kHandshake || c->state == State::kOpen ||
                                  (c->state == State::kClosing && !c->got_close)) {
                                Read(c);
                              }
                            });
  }

  // The server closed TCP or the socket failed.
  void Ended(const ConnPtr& c, const asio::error_code& ec) {
    std::string why = ec == asio::error::eof ? "End of File" : ec.message();
    if (c->state == State::kClosing) {
      // We asked to close and the server hung up without answering: our code stands.
      Finish(c, c->local_code, c->local_reason);
    } else {
      Finish(c, 1006, why);
    }
  }

  // Parses what has arrived (the read handler decides from the state whether to read on).
  void Parse(const ConnPtr& c) {
    if (c->broken) {  // after a protocol error nothing more is read into frames
      c->begin = c->end = 0;
      return;
    }
    if (c->state == State::kHandshake && !ParseHandshake(c)) return;
    if (c->state == State::kHandshake) return;  // the head is not all here yet
    while (c->state == State::kOpen || c->state == State::kClosing) {
      const char* p = c->in.data() + c->begin;
      size_t avail = c->end - c->begin;
      if (avail < 2) return;
      unsigned char b0 = static_cast<unsigned char>(p[0]);
      unsigned char b1 = static_cast<unsigned char>(p[1]);
      bool fin = b0 & 0x80;
      int op = b0 & 0x0f;
      uint64_t len = b1 & 0x7f;
      size_t head = 2;
      if (len == 126) {
        if (avail < 4) return;
        len = Be16(p + 2);
        head = 4;
      } else if (len == 127) {
        if (avail < 10) return;
        len = 0;
        for (int i = 0; i < 8; ++i) len = len << 8 | static_cast<unsigned char>(p[2 + i]);
        head = 10;
      }
      bool control = op >= 8;
      const char* bad = (len >> 63)   ? "a frame length over 2^63"
                        : (b0 & 0x70) ? "reserved bits set in a frame"
                        : (b1 & 0x80) ? "a masked frame from the server"
                        : control && (!fin || len > 125 || op > 10) ? "a bad control frame"
                        : !control && (op > 2 || (op == 0) != c->in_message)
                            ? "an unexpected frame opcode"
                            : nullptr;
      if (bad) {
        ProtocolError(c, 1002, bad);
        return;
      }
      if (!control && len > c->max_message - std::min(c->max_message, c->message.size())) {
        ProtocolError(c, 1009, "message too big");
        return;
      }
      if (len > avail - head) {
        size_t need = c->begin + head + len;
        if (c->in.size() < need) c->in.resize(need);
        return;
      }
      const char* payload = p + head;
      c->begin += head + len;
      if (!Frame(c, op, fin, std::string_view(payload, len))) return;
    }
    return;
  }

  // One whole frame; false once the connection is ending.
  bool Frame(const ConnPtr& c, int op, bool fin, std::string_view payload) {
    switch (op) {
      case 8: {  // close
        if (payload.size() == 1) return ProtocolError(c, 1002, "a bad close frame");
        if (payload.size() >= 2) {
          int code = Be16(payload.data());
          websocketpp::utf8_validator::validator v;
          const char* reason = payload.data() + 2;
          if (!ValidCloseCode(code)) return ProtocolError(c, 1002, "a bad close code");
          if (!v.decode(reason, payload.data() + payload.size()) || !v.complete()) {
            return ProtocolError(c, 1007, "a close reason that is not UTF-8");
          }
          c->remote_code = code;
          c->remote_reason.assign(payload.substr(2));
        }
        c->got_close = true;
        if (!c->sent_close) SendClose(c, c->remote_code, "");
        c->state = State::kClosing;
        // Done once our answer is written (at once if nothing is queued); a server that
        // stops reading while our last frames are queued still ends within the limit.
        if (c->write_busy) {
          ArmCloseTimer(c);
        } else {
          FinishClosed(c);
        }
        return false;
      }
      case 9:  // ping
        if (c->state == State::kOpen) SendFrame(c, 10, payload);
        return true;
      case 10:  // pong
        return true;
      default:
        break;
    }
    bool open = c->state == State::kOpen;  // closing: data is dropped, fragments still counted
    if (fin && !c->in_message) return open ? Deliver(c, op == 2, payload) : true;
    if (!c->in_message) {
      c->in_message = true;
      c->message_binary = op == 2;
      c->message.clear();
    }
    if (open) c->message.append(payload);
    if (!fin) return true;
    c->in_message = false;
    if (!open) {
      c->message.clear();
      return true;
    }
    std::string whole = std::move(c->message);
    c->message.clear();
    return Deliver(c, c->message_binary, whole);
  }

  bool Deliver(const ConnPtr& c, bool binary, std::string_view payload) {
    if (!binary) {
      websocketpp::utf8_validator::validator v;
      if (!v.decode(payload.data(), payload.data() + payload.size()) || !v.complete()) {
        return ProtocolError(c, 1007, "a text message that is not UTF-8");
      }
    }
    if (c->h.on_message) c->h.on_message(payload, binary);
    return c->state == State::kOpen || c->state == State::kClosing;
  }

  // The 101 answer; false once the connection is ending.
  bool ParseHandshake(const ConnPtr& c) {
    std::string_view buf(c->in.data() + c->begin, c->end - c->begin);
    size_t head_end = buf.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
      if (buf.size() > kMaxResponseHead) {
        Finish(c, 1006, "the server's handshake answer is too long");
        return false;
      }
      return true;
    }
    std::string_view head = buf.substr(0, head_end + 2);
    c->begin += head_end + 4;
    size_t eol = head.find("\r\n");
    std::string_view status = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    // "HTTP/1.1 101 Switching Protocols"
    int code = 0;
    if (status.size() >= 12 && status.substr(0, 5) == "HTTP/" && status[8] == ' ') {
      for (char ch : status.substr(9, 3))
        code = code * 10 + (ch >= '0' && ch <= '9' ? ch - '0' : -1000);
    }
    if (code != 101) {
      std::string text(status.size() > 13 ? status.substr(13) : std::string_view());
      Finish(c, 1006,
             code > 0 ? "HTTP " + std::to_string(code) + (text.empty() ? "" : " " + text)
                      : "not an HTTP answer: " + std::string(status.substr(0, 64)));
      return false;
    }
    bool upgrade = false, connection = false, accepted = false, extension = false;
    std::string protocol;
    while (!head.empty()) {
      eol = head.find("\r\n");
      std::string_view line = head.substr(0, eol);
      head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view name = line.substr(0, colon);
      std::string value = Trim(line.substr(colon + 1));
      if (EqualsIgnoreCase(name, "upgrade")) upgrade = EqualsIgnoreCase(value, "websocket");
      if (EqualsIgnoreCase(name, "connection")) connection = HasToken(value, "upgrade");
      if (EqualsIgnoreCase(name, "sec-websocket-accept")) accepted = value == c->accept;
      if (EqualsIgnoreCase(name, "sec-websocket-protocol")) protocol = value;
      if (EqualsIgnoreCase(name, "sec-websocket-extensions")) extension = true;
    }
    const char* bad = !upgrade      ? "no Upgrade: websocket"
                      : !connection ? "no Connection: Upgrade"
                      : !accepted   ? "a wrong Sec-WebSocket-Accept"
                      : !protocol.empty() && protocol != c->subprotocol
                          ? "a subprotocol that was not asked for"
                      : extension ? "an extension that was not offered"
                                  : nullptr;
    if (bad) {
      Finish(c, 1006, std::string("the server's handshake answer has ") + bad);
      return false;
    }
    c->state = State::kOpen;
    c->timer.cancel();
    if (c->h.on_open) c->h.on_open();
    return c->state == State::kOpen || c->state == State::kClosing;
  }

  bool ProtocolError(const ConnPtr& c, int code, const std::string& why) {
    c->broken = true;
    if (!c->sent_close) SendClose(c, code, why);
    c->local_code = code;
    c->local_reason = why;
    c->state = State::kClosing;
    ArmCloseTimer(c);
    return false;
  }

  void SendClose(const ConnPtr& c, int code, const std::string& reason) {
    std::string body;
    // 1005 and 1006 are never sent (RFC 6455, 7.4.1): an empty close frame instead.
    if (code != 1005 && code != 1006 && code != 1015) {
      body += static_cast<char>(code >> 8 & 0xff);
      body += static_cast<char>(code & 0xff);
      size_t n = std::min<size_t>(reason.size(), 123);
      while (n > 0 && n < reason.size() && (static_cast<unsigned char>(reason[n]) & 0xc0) == 0x80) {
        --n;  // not inside a UTF-8 sequence
      }
      body += reason.substr(0, n);
    }
    c->sent_close = true;
    SendFrame(c, 8, body);
  }

  void SendFrame(const ConnPtr& c, int op, std::string_view payload) {
    std::string& o = c->out;
    size_t n = payload.size();
    o += FrameHeader(op, n, /*masked=*/true);
    uint32_t mask = static_cast<uint32_t>(rng_());
    char key[4];
    std::memcpy(key, &mask, 4);
    o.append(key, 4);
    size_t at = o.size();
    o.append(payload);
    char* d = o.data() + at;
    uint64_t wide = static_cast<uint64_t>(mask) << 32 | mask;  // the key, repeated
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, d + i, 8);
      w ^= wide;
      std::memcpy(d + i, &w, 8);
    }
    for (; i < n; ++i) d[i] = static_cast<char>(d[i] ^ key[i % 4]);
    if (!c->write_busy) Flush(c);
  }

  void Flush(const ConnPtr& c) {
    if (c->write_failed) c->out.clear();
    if (c->write_busy || c->out.empty() || c->state == State::kDone) return;
    c->writing.swap(c->out);
    c->write_busy = true;
    asio::async_write(c->sock, asio::buffer(c->writing),
                      [this, c](const asio::error_code& ec, size_t) {
                        c->write_busy = false;
                        c->writing.clear();
                        if (c->state == State::kDone) return;
                        if (ec && c->got_close) {
                          // The server closed TCP right after its close frame, before our
                          // answer went out: the closing handshake is as done as it gets.
                          FinishClosed(c);
                          return;
                        }
                        if (ec) {
                          // The read side still holds what the server sent before it went
                          // (its close frame, say) and ends the connection at the end of
                          // the stream. Nothing more is written; the timer is a backstop.
                          c->write_failed = true;
                          c->out.clear();
                          if (c->local_reason.empty()) c->local_reason = ec.message();
                          // (During the opening handshake its own deadline stands.)
                          if (c->state != State::kHandshake) ArmCloseTimer(c);
                          return;
                        }
                        if (!c->out.empty()) {
                          Flush(c);
                        } else if (c->got_close) {
                          FinishClosed(c);
                        }
                      });
  }

  // Both close frames have passed (ours is written): the connection is over.
  void FinishClosed(const ConnPtr& c) {
    if (c->remote_code == 1005 && c->local_code != 1006) {
      Finish(c, c->local_code, c->local_reason);
    } else {
      Finish(c, c->remote_code, c->remote_reason);
    }
  }

  void ArmCloseTimer(const ConnPtr& c) {
    c->timer.expires_after(std::chrono::milliseconds(kCloseTimeoutMs));
    c->timer.async_wait([this, c](const asio::error_code& ec) {
      if (ec || c->state == State::kDone) return;
      Finish(c, c->local_code,
             c->local_reason.empty() ? "the closing handshake timed out" : c->local_reason);
    });
  }

  void Finish(const ConnPtr& c, int code, const std::string& reason, bool deferred = false) {
    if (c->state == State::kDone) return;
    c->state = State::kDone;
    asio::error_code ignored;
    c->timer.cancel();
    if (c->resolver) c->resolver->cancel();
    c->sock.close(ignored);
    conns_.erase(c->id);
    auto on_close = std::move(c->h.on_close);
    c->h = ClientHandlers();
    if (!on_close) return;
    if (deferred) {
      asio::post(io_, [on_close = std::move(on_close), code, reason] { on_close(code, reason); });
    } else {
      on_close(code, reason);
    }
  }

  static std::mt19937_64 Seed() {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }

  asio::io_context& io_;
  std::mt19937_64 rng_;  // handshake nonces and frame masks: unpredictable enough for both
  std::unordered_map<ClientId, ConnPtr> conns_;
};

}  // namespace

std::unique_ptr<ClientEndpoint> MakePlainClientEndpoint(asio::io_context& io) {
  return std::make_unique<LeanClientEndpoint>(io);
}

}  // namespace smartlink::net
