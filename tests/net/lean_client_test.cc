// The ws:// client (net/lean_client.cc) against a scripted server on a loopback socket: what
// slserver never sends (fragments, pings, masked or oversized frames, bad handshakes) and
// the closing handshake from both sides. Every end-to-end test exercises it too.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "smartlink/net/ws_client.h"
#include "smartlink/util/crypto.h"

namespace {

using smartlink::net::BlockingClient;
using smartlink::net::ClientOptions;

// Reads exactly n bytes (false on EOF or after 5 s without data).
bool ReadN(int fd, std::string* out, size_t n) {
  out->clear();
  while (out->size() < n) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) return false;
    char buf[65536];
    ssize_t r = read(fd, buf, std::min(sizeof buf, n - out->size()));
    if (r <= 0) return false;
    out->append(buf, static_cast<size_t>(r));
  }
  return true;
}

void WriteAll(int fd, const std::string& bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    ssize_t w = write(fd, bytes.data() + at, bytes.size() - at);
    if (w <= 0) return;
    at += static_cast<size_t>(w);
  }
}

// A server frame: unmasked unless `mask` is set.
std::string ServerFrame(int op, const std::string& payload, bool fin = true, bool mask = false) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | op);
  size_t n = payload.size();
  char m = mask ? static_cast<char>(0x80) : 0;
  if (n < 126) {
    f += static_cast<char>(m | static_cast<char>(n));
  } else if (n < 65536) {
    f += static_cast<char>(m | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xff);
  } else {
    f += static_cast<char>(m | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>(n >> (8 * i) & 0xff);
  }
  if (mask) f += std::string(4, '\0');  // a zero key: the payload reads the same
  return f + payload;
}

// Reads one client frame, which must be masked, and unmasks it.
bool ReadClientFrame(int fd, int* op, std::string* payload) {
  std::string h;
  if (!ReadN(fd, &h, 2)) return false;
  *op = h[0] & 0x0f;
  if (!(h[1] & 0x80)) {
    ADD_FAILURE() << "an unmasked client frame";
    return false;
  }
  uint64_t n = h[1] & 0x7f;
  std::string ext;
  if (n == 126) {
    if (!ReadN(fd, &ext, 2)) return false;
    n = static_cast<unsigned char>(ext[0]) << 8 | static_cast<unsigned char>(ext[1]);
  } else if (n == 127) {
    if (!ReadN(fd, &ext, 8)) return false;
    n = 0;
    for (char ch : ext) n = n << 8 | static_cast<unsigned char>(ch);
  }
  std::string key;
  if (!ReadN(fd, &key, 4) || !ReadN(fd, payload, n)) return false;
  for (size_t i = 0; i < payload->size(); ++i) (*payload)[i] ^= key[i % 4];
  return true;
}

// Reads the client's answer to the server's close, whatever it is.
void ReadCloseAnswer(int fd) {
  int op = 0;
  std::string answer;
  ReadClientFrame(fd, &op, &answer);
}

std::string CloseBody(int code, const std::string& reason) {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)} + reason;
}

// Accepts one connection and runs `script` on it, on a thread of its own.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<void(int fd, const std::string& request)> script) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(listen_fd_, 4);
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, script] {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::string request, ch;
      while (request.find("\r\n\r\n") == std::string::npos && ReadN(fd, &ch, 1)) request += ch;
      script(fd, request);
      close(fd);
    });
  }
  ~ScriptedServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/ws"; }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string HeaderValue(const std::string& request, const std::string& name) {
  size_t at = request.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  at += name.size() + 4;
  return request.substr(at, request.find("\r\n", at) - at);
}

std::string AcceptFor(const std::string& key) {
  std::string keyed = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(keyed.data()), keyed.size(), d);
  return smartlink::crypto::Base64Encode(std::string_view(reinterpret_cast<char*>(d), sizeof d));
}

// The 101 answer to `request`, with `extra` header lines.
std::string Upgrade(const std::string& request, const std::string& extra = "") {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         AcceptFor(HeaderValue(request, "Sec-WebSocket-Key")) + "\r\n" + extra + "\r\n";
}

ClientOptions Options(const std::string& url) {
  ClientOptions o;
  o.url = url;
  o.connect_timeout_ms = 2000;
  return o;
}

TEST(LeanClient, SendsAProperHandshakeAndReassemblesFragmentsAroundAPing) {
  std::string pong;
  std::string client_text;
  std::string request_seen;
  auto server = std::make_unique<ScriptedServer>([&](int fd, const std::string& request) {
    request_seen = request;
    WriteAll(fd, Upgrade(request, "Sec-WebSocket-Protocol: smartlink.v1\r\n") +
                     ServerFrame(1, "hel", false) + ServerFrame(9, "are you there") +
                     ServerFrame(0, "lo ", false) + ServerFrame(0, "w\xc3\xb6rld"));
    int op = 0;
    if (ReadClientFrame(fd, &op, &pong) && op != 10) pong = "opcode " + std::to_string(op);
    // A client message over 64 KiB: a 64-bit length, masked with a key that must be undone.
    if (!ReadClientFrame(fd, &op, &client_text) || op != 1) client_text = "nothing";
    WriteAll(fd, ServerFrame(8, CloseBody(1000, "")));
    std::string rest;
    ReadClientFrame(fd, &op, &rest);
  });
  ClientOptions o = Options(server->url());
  o.token = "tok";
  o.origin = "https://app.example";
  o.headers = {{"X-Extra", "1"}};
  auto c = BlockingClient::Connect(o);
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto frame = (*c)->RecvFrame(3000);
  ASSERT_TRUE(frame);
  EXPECT_EQ("hello w\xc3\xb6rld", frame->payload);
  EXPECT_FALSE(frame->binary);
  std::string big(70000, 'x');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  (*c)->SendText(big);
  EXPECT_EQ(1000, (*c)->WaitClosed(3000));
  server.reset();  // its thread is done with what it read
  EXPECT_EQ("are you there", pong);
  EXPECT_EQ(big, client_text);
  EXPECT_EQ(0u, request_seen.rfind("GET /ws HTTP/1.1\r\n", 0)) << request_seen;
  EXPECT_EQ("websocket", HeaderValue(request_seen, "Upgrade"));
  EXPECT_EQ("13", HeaderValue(request_seen, "Sec-WebSocket-Version"));
  EXPECT_EQ("smartlink.v1", HeaderValue(request_seen, "Sec-WebSocket-Protocol"));
  EXPECT_EQ("Bearer tok", HeaderValue(request_seen, "Authorization"));
  EXPECT_EQ("https://app.example", HeaderValue(request_seen, "Origin"));
  EXPECT_EQ("1", HeaderValue(request_seen, "X-Extra"));
  EXPECT_EQ(24u, HeaderValue(request_seen, "Sec-WebSocket-Key").size());
}

TEST(LeanClient, ABinaryMessageWithA64BitLengthArrivesWhole) {
  std::string big(300000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
  ScriptedServer server([&](int fd, const std::string& request) {
    WriteAll(fd, Upgrade(request) + ServerFrame(2, big) + ServerFrame(8, CloseBody(4001, "bye")));
    ReadCloseAnswer(fd);
  });
  auto c = BlockingClient::Connect(Options(server.url()));
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto frame = (*c)->RecvFrame(3000);
  ASSERT_TRUE(frame);
  EXPECT_TRUE(frame->binary);
  EXPECT_EQ(big, frame->payload);
  EXPECT_EQ(4001, (*c)->WaitClosed(3000));
  EXPECT_EQ("bye", (*c)->close_reason());
}

TEST(LeanClient, TheServersCloseIsEchoedWithItsCode) {
  int echoed_op = 0;
  std::string echoed;
  auto server = std::make_unique<ScriptedServer>([&](int fd, const std::string& request) {
    WriteAll(fd, Upgrade(request) + ServerFrame(8, CloseBody(4002, "go away")));
    ReadClientFrame(fd, &echoed_op, &echoed);
  });
  {
    auto c = BlockingClient::Connect(Options(server->url()));
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(4002, (*c)->WaitClosed(3000));
    EXPECT_EQ("go away", (*c)->close_reason());
  }
  server.reset();  // its thread is done with what it read
  EXPECT_EQ(8, echoed_op);
  ASSERT_GE(echoed.size(), 2u);
  EXPECT_EQ(CloseBody(4002, ""), echoed.substr(0, 2));
}

// slserver over its connection cap does this: a close frame and at once the end of TCP, so
// the client's answer (or a request it sends meanwhile) meets a reset socket.
TEST(LeanClient, AServerThatHangsUpRightAfterItsCloseFrameIsStillHeard) {
  int heard = 0;
  for (int i = 0; i < 20; ++i) {
    ScriptedServer server([](int fd, const std::string& request) {
      WriteAll(fd, Upgrade(request) + ServerFrame(8, CloseBody(1008, "full")));
      linger l{1, 0};  // close with RST
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    });
    auto c = BlockingClient::Connect(Options(server.url()));
    if (!c.ok()) continue;  // the reset can come before the 101 is read: nothing to check
    (*c)->SendText("{\"type\":\"auth\"}");
    EXPECT_EQ(1008, (*c)->WaitClosed(3000)) << "round " << i;
    EXPECT_EQ("full", (*c)->close_reason());
    heard++;
  }
  EXPECT_GT(heard, 0);
  RecordProperty("heard", heard);
}

TEST(LeanClient, AHandshakeAnswerInPiecesIsPutTogether) {
  ScriptedServer server([](int fd, const std::string& request) {
    std::string answer = Upgrade(request);
    for (size_t at = 0; at < answer.size(); at += 20) {
      WriteAll(fd, answer.substr(at, 20));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    WriteAll(fd, ServerFrame(1, "after") + ServerFrame(8, CloseBody(1000, "")));
    ReadCloseAnswer(fd);
  });
  auto c = BlockingClient::Connect(Options(server.url()));
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto frame = (*c)->RecvFrame(3000);
  ASSERT_TRUE(frame);
  EXPECT_EQ("after", frame->payload);
  EXPECT_EQ(1000, (*c)->WaitClosed(3000));
}

// After our close the server may still send a fragmented message it had begun: its pieces
// are dropped without being taken for a protocol error.
TEST(LeanClient, FragmentsAfterOurCloseAreDroppedQuietly) {
  std::string close_body;
  auto server = std::make_unique<ScriptedServer>([&](int fd, const std::string& request) {
    WriteAll(fd, Upgrade(request));
    int op = 0;
    if (!ReadClientFrame(fd, &op, &close_body) || op != 8) return;
    WriteAll(fd, ServerFrame(1, "par", false) + ServerFrame(0, "ts") +
                     ServerFrame(8, close_body.substr(0, 2)));
  });
  auto c = BlockingClient::Connect(Options(server->url()));
  ASSERT_TRUE(c.ok()) << c.status().message();
  (*c)->Close(1000, "bye");
  EXPECT_EQ(1000, (*c)->WaitClosed(3000));  // not 1002
  EXPECT_FALSE((*c)->RecvFrame(0));
  server.reset();
  EXPECT_EQ(CloseBody(1000, "bye"), close_body);
}

TEST(LeanClient, ClosingSendsACloseFrameAndWaitsForTheAnswer) {
  std::string close_body;
  auto server = std::make_unique<ScriptedServer>([&](int fd, const std::string& request) {
    WriteAll(fd, Upgrade(request));
    int op = 0;
    if (ReadClientFrame(fd, &op, &close_body) && op == 8) {
      WriteAll(fd, ServerFrame(8, close_body.substr(0, 2)));
    }
  });
  auto c = BlockingClient::Connect(Options(server->url()));
  ASSERT_TRUE(c.ok()) << c.status().message();
  (*c)->Close(1000, "done");
  EXPECT_EQ(1000, (*c)->WaitClosed(3000));
  server.reset();
  EXPECT_EQ(CloseBody(1000, "done"), close_body);
}

struct BadServerCase {
  const char* name;
  std::string frames;  // after the 101
  int code;            // the close code the client must send
};

TEST(LeanClient, AServerThatBreaksTheProtocolIsClosedWithTheRightCode) {
  std::string too_big(2000, 'x');
  const BadServerCase cases[] = {
      {"masked", ServerFrame(1, "hi", true, true), 1002},
      {"reserved bits", std::string("\xc1\x02hi", 4), 1002},
      {"continuation first", ServerFrame(0, "hi"), 1002},
      {"fragmented ping", ServerFrame(9, "x", false), 1002},
      {"unknown opcode", ServerFrame(3, "x"), 1002},
      {"bad UTF-8", ServerFrame(1, "\xc3\x28"), 1007},
      {"over the size limit", ServerFrame(1, too_big), 1009},
      {"a close code that is never sent", ServerFrame(8, CloseBody(1006, "")), 1002},
      {"a close code below 1000", ServerFrame(8, CloseBody(999, "")), 1002},
      {"a close reason that is not UTF-8", ServerFrame(8, CloseBody(1000, "\xff")), 1007},
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.name);
    int op = 0;
    std::string body;
    {
      ScriptedServer server([&](int fd, const std::string& request) {
        WriteAll(fd, Upgrade(request) + k.frames);
        if (ReadClientFrame(fd, &op, &body)) WriteAll(fd, ServerFrame(8, body.substr(0, 2)));
      });
      ClientOptions o = Options(server.url());
      o.max_message_bytes = 1000;
      auto c = BlockingClient::Connect(o);
      ASSERT_TRUE(c.ok()) << c.status().message();
      EXPECT_EQ(k.code, (*c)->WaitClosed(3000));
      EXPECT_FALSE((*c)->RecvFrame(0));
    }
    EXPECT_EQ(8, op);
    ASSERT_GE(body.size(), 2u);
    EXPECT_EQ(k.code,
              static_cast<unsigned char>(body[0]) << 8 | static_cast<unsigned char>(body[1]));
  }
}

TEST(LeanClient, ARefusedOrWrongHandshakeSaysWhy) {
  struct Case {
    std::function<std::string(const std::string&)> answer;
    const char* says;
  };
  const Case cases[] = {
      {[](const std::string&) {
         return std::string("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
       },
       "HTTP 403 Forbidden"},
      {[](const std::string&) {
         return std::string(
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: bm90IHRoZSByaWdodCBvbmU=\r\n\r\n");
       },
       "Sec-WebSocket-Accept"},
      {[](const std::string& r) { return Upgrade(r, "Sec-WebSocket-Protocol: other\r\n"); },
       "subprotocol"},
      {[](const std::string& r) {
         return Upgrade(r, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
       },
       "extension"},
      {[](const std::string&) { return std::string("SSH-2.0-OpenSSH\r\n\r\n"); },
       "not an HTTP answer"},
      {[](const std::string&) { return std::string(); }, "End of File"},
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.says);
    ScriptedServer server(
        [&](int fd, const std::string& request) { WriteAll(fd, k.answer(request)); });
    auto c = BlockingClient::Connect(Options(server.url()));
    ASSERT_FALSE(c.ok());
    EXPECT_NE(std::string::npos, c.status().message().find(k.says)) << c.status().message();
  }
}

TEST(LeanClient, AServerThatNeverAnswersTimesOut) {
  ScriptedServer server([](int fd, const std::string&) {
    std::string rest;
    ReadN(fd, &rest, 1);  // until the client gives up and closes
  });
  ClientOptions o = Options(server.url());
  o.connect_timeout_ms = 300;
  auto c = BlockingClient::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string::npos, c.status().message().find("timed out")) << c.status().message();
}

TEST(LeanClient, ARefusedConnectionAndABadHeaderAreErrors) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  std::string url = "ws://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/ws";
  close(fd);  // bound, never listening: nothing is there
  auto refused = BlockingClient::Connect(Options(url));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(std::string::npos, refused.status().message().find("refused"))
      << refused.status().message();

  ClientOptions o = Options(url);
  o.headers = {{"X-Evil", "a\r\nInjected: 1"}};
  auto bad = BlockingClient::Connect(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string::npos, bad.status().message().find("X-Evil")) << bad.status().message();
}

}  // namespace
