// Files: upload, download over the socket (JSON and binary) and HTTP, access, limits,
// hash checks, resume, expiry.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <thread>

#include "e2e/server_process.h"
#include "e2e/test_certs.h"
#include "smartlink/util/crypto.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

std::string Sha256Hex(const std::string& s) { return crypto::Hex(crypto::Sha256(s)); }

// A binary file.chunk frame: 2-byte header length, JSON header, bytes.
std::string BinaryChunk(const Json& header, const std::string& bytes) {
  std::string h = header.dump();
  std::string f;
  f += static_cast<char>(h.size() >> 8);
  f += static_cast<char>(h.size() & 0xFF);
  return f + h + bytes;
}

class Files : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> args = {}) {
    server_ = ServerProcess::Start(std::move(args));
    ASSERT_TRUE(server_);
    alice_ = Login(*server_, "alice");
    bob_ = Login(*server_, "bob");
    ASSERT_TRUE(alice_ && bob_);
    alice_->Request({{"type", "room.create"}, {"room", "share"}});
    bob_->Request({{"type", "room.join"}, {"room", "share"}});
  }

  // Uploads `data` with JSON chunks; returns the file.end reply.
  Json Upload(net::BlockingClient& c, const std::string& to, const std::string& name,
              const std::string& mime, const std::string& data) {
    Json b = c.Request({{"type", "file.begin"},
                        {"to", to},
                        {"name", name},
                        {"mime", mime},
                        {"size", data.size()}});
    if (b["type"] != "ok") return b;
    std::string id = b["file_id"];
    size_t chunk = b["chunk_size"];
    for (size_t off = 0; off < data.size(); off += chunk) {
      Json r = c.Request({{"type", "file.chunk"},
                          {"file_id", id},
                          {"offset", off},
                          {"data", crypto::Base64Encode(data.substr(off, chunk))}});
      if (r["type"] != "ok") return r;
      EXPECT_EQ(std::min(off + chunk, data.size()), r["received"]);
    }
    return c.Request({{"type", "file.end"}, {"file_id", id}, {"sha256", Sha256Hex(data)}});
  }

  // Downloads over the socket, JSON or binary, checking offsets and `last`.
  std::string Download(net::BlockingClient& c, const std::string& file_id, bool binary) {
    Json r = c.Request({{"type", "file.get"}, {"file_id", file_id}, {"binary", binary}});
    EXPECT_EQ("ok", r["type"]) << r.dump();
    if (r["type"] != "ok") return "";
    std::string out;
    for (;;) {
      Json d = c.WaitForType("file.data");
      if (d.is_null()) {
        ADD_FAILURE() << "no file.data";
        return out;
      }
      EXPECT_EQ(binary, d.value("_binary", false));
      EXPECT_EQ(out.size(), d["offset"].get<size_t>());
      out += *crypto::Base64Decode(binary ? d["_data"].get<std::string>()
                                          : d["data"].get<std::string>());
      if (d["last"] == true) return out;
    }
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<net::BlockingClient> alice_, bob_;
};

TEST_F(Files, UploadThenDownloadOverSocketAndHttp) {
  Start();
  std::string data = RandomBytes(700 * 1024, 1);  // several chunks
  Json end = Upload(*alice_, "#share", "photo.jpg", "image/jpeg", data);
  ASSERT_EQ("ok", end["type"]) << end.dump();
  EXPECT_EQ("#share", end["conv"]);
  EXPECT_EQ(1, end["seq"]);
  std::string file_id = end["file_id"];
  // The message announcing it reaches the room.
  Json msg = bob_->WaitForType("msg");
  EXPECT_EQ(file_id, msg["file"]["file_id"]);
  EXPECT_EQ("photo.jpg", msg["file"]["name"]);
  EXPECT_EQ("image/jpeg", msg["file"]["mime"]);
  EXPECT_EQ(data.size(), msg["file"]["size"].get<size_t>());

  std::string got = Download(*bob_, file_id, false);
  EXPECT_EQ(Sha256Hex(data), Sha256Hex(got));
  got = Download(*bob_, file_id, true);
  EXPECT_EQ(Sha256Hex(data), Sha256Hex(got));

  HttpResult h = HttpRequest(server_->http_url(), "GET", "/files/" + file_id + "?user=bob");
  EXPECT_EQ(200, h.status);
  EXPECT_EQ(Sha256Hex(data), Sha256Hex(h.body));
  EXPECT_NE(std::string::npos, h.headers.find("image/jpeg"));
  EXPECT_NE(std::string::npos, h.headers.find("attachment"));
}

TEST_F(Files, RefusedToNonMembers) {
  Start();
  Json end = Upload(*alice_, "#share", "a.txt", "text/plain", "secret contents");
  ASSERT_EQ("ok", end["type"]);
  std::string file_id = end["file_id"];
  auto eve = Login(*server_, "eve");
  ASSERT_TRUE(eve);
  Json r = eve->Request({{"type", "file.get"}, {"file_id", file_id}});
  EXPECT_EQ("forbidden", r["code"]);
  for (const Json& e : eve->Drain(200)) EXPECT_NE("file.data", e.value("type", ""));
  HttpResult h = HttpRequest(server_->http_url(), "GET", "/files/" + file_id + "?user=eve");
  EXPECT_EQ(403, h.status);
  EXPECT_EQ(std::string::npos, h.body.find("secret"));
  h = HttpRequest(server_->http_url(), "GET", "/files/" + file_id);
  EXPECT_EQ(401, h.status);
  EXPECT_NE(std::string::npos, h.headers.find("WWW-Authenticate: Bearer")) << h.headers;
  EXPECT_EQ(404, HttpRequest(server_->http_url(), "GET", "/files/nope?user=bob").status);
  // Uploading into a room one is not in is refused too.
  EXPECT_EQ("forbidden", eve->Request({{"type", "file.begin"},
                                       {"to", "#share"},
                                       {"name", "x"},
                                       {"mime", "text/plain"},
                                       {"size", 1}})["code"]);
}

TEST_F(Files, TooLargeWrongTypeAndBadNamesAreRefused) {
  Start({"--max-file", "64KiB", "--file-types", "image/*,text/plain"});
  Json r = alice_->Request({{"type", "file.begin"},
                            {"to", "#share"},
                            {"name", "big.bin"},
                            {"mime", "image/png"},
                            {"size", 65 * 1024}});
  EXPECT_EQ("too_large", r["code"]);
  r = alice_->Request({{"type", "file.begin"},
                       {"to", "#share"},
                       {"name", "x.exe"},
                       {"mime", "application/x-msdownload"},
                       {"size", 10}});
  EXPECT_EQ("bad_request", r["code"]);
  EXPECT_NE(std::string::npos, r.value("message", "").find("not accepted"));
  // Types match without case and parameters; the type is kept as given.
  Json end = Upload(*alice_, "#share", "n.txt", "Text/Plain; charset=utf-8", "note");
  ASSERT_EQ("ok", end["type"]) << end.dump();
  EXPECT_EQ("ok", alice_->Request({{"type", "file.begin"},
                                   {"to", "#share"},
                                   {"name", "p.png"},
                                   {"mime", "IMAGE/PNG"},
                                   {"size", 1}})["type"]);
  HttpResult h = HttpRequest(server_->http_url(), "GET",
                             "/files/" + end["file_id"].get<std::string>() + "?user=bob");
  EXPECT_NE(std::string::npos, h.headers.find("Content-Type: Text/Plain; charset=utf-8\r\n"))
      << h.headers;
  for (const std::string& name :
       std::vector<std::string>{"..", "../etc/passwd", "a/b", std::string("nul\0x", 5)}) {
    r = alice_->Request({{"type", "file.begin"},
                         {"to", "#share"},
                         {"name", name},
                         {"mime", "text/plain"},
                         {"size", 1}});
    EXPECT_EQ("bad_request", r["code"]) << name;
  }
  // Sending more than declared is refused.
  Json b = alice_->Request({{"type", "file.begin"},
                            {"to", "#share"},
                            {"name", "a.txt"},
                            {"mime", "text/plain"},
                            {"size", 3}});
  ASSERT_EQ("ok", b["type"]);
  r = alice_->Request({{"type", "file.chunk"},
                       {"file_id", b["file_id"]},
                       {"offset", 0},
                       {"data", crypto::Base64Encode("abcd")}});
  EXPECT_EQ("bad_request", r["code"]);
}

TEST_F(Files, WrongHashKeepsNothing) {
  Start();
  std::string data = "the real bytes";
  Json b = alice_->Request({{"type", "file.begin"},
                            {"to", "#share"},
                            {"name", "a.txt"},
                            {"mime", "text/plain"},
                            {"size", data.size()}});
  std::string id = b["file_id"];
  alice_->Request({{"type", "file.chunk"},
                   {"file_id", id},
                   {"offset", 0},
                   {"data", crypto::Base64Encode(data)}});
  Json r = alice_->Request(
      {{"type", "file.end"}, {"file_id", id}, {"sha256", Sha256Hex("other bytes")}});
  EXPECT_EQ("bad_request", r["code"]);
  EXPECT_NE(std::string::npos, r.value("message", "").find("sha256"));
  // Nothing was posted or stored, and the upload is gone.
  EXPECT_EQ(0u, bob_->Request({{"type", "history"}, {"conv", "#share"}})["messages"].size());
  EXPECT_EQ("not_found", alice_->Request({{"type", "file.get"}, {"file_id", id}})["code"]);
  EXPECT_EQ("not_found",
            alice_->Request(
                {{"type", "file.end"}, {"file_id", id}, {"sha256", Sha256Hex(data)}})["code"]);
}

TEST_F(Files, BinaryUploadResumesAfterReconnect) {
  Start();
  std::string data = RandomBytes(300 * 1024, 2);
  Json b = alice_->Request({{"type", "file.begin"},
                            {"to", "@bob"},
                            {"name", "clip.bin"},
                            {"mime", "application/octet-stream"},
                            {"size", data.size()}});
  ASSERT_EQ("ok", b["type"]);
  std::string id = b["file_id"];
  size_t chunk = b["chunk_size"];
  alice_->SendBinary(
      BinaryChunk({{"type", "file.chunk"}, {"id", "c0"}, {"file_id", id}, {"offset", 0}},
                  data.substr(0, chunk)));
  Json ack = alice_->WaitFor([](const Json& j) { return j.value("re", "") == "c0"; });
  EXPECT_EQ(chunk, ack["received"].get<size_t>());
  alice_.reset();  // the connection drops mid-upload
  alice_ = Login(*server_, "alice");
  ASSERT_TRUE(alice_);
  Json resume = alice_->Request({{"type", "file.begin"}, {"file_id", id}});
  ASSERT_EQ("ok", resume["type"]) << resume.dump();
  EXPECT_EQ(chunk, resume["received"].get<size_t>());
  // A chunk at the wrong offset says where to continue.
  Json wrong = alice_->Request({{"type", "file.chunk"},
                                {"file_id", id},
                                {"offset", 0},
                                {"data", crypto::Base64Encode("x")}});
  EXPECT_EQ("conflict", wrong["code"]);
  EXPECT_EQ(chunk, wrong["received"].get<size_t>());
  for (size_t off = chunk; off < data.size(); off += chunk) {
    alice_->SendBinary(BinaryChunk({{"type", "file.chunk"},
                                    {"id", "c" + std::to_string(off)},
                                    {"file_id", id},
                                    {"offset", off}},
                                   data.substr(off, chunk)));
    std::string re = "c" + std::to_string(off);
    EXPECT_EQ("ok",
              alice_->WaitFor([&](const Json& j) { return j.value("re", "") == re; })["type"]);
  }
  Json end = alice_->Request({{"type", "file.end"}, {"file_id", id}, {"sha256", Sha256Hex(data)}});
  ASSERT_EQ("ok", end["type"]) << end.dump();
  EXPECT_EQ("@alice,bob", end["conv"]);
  EXPECT_EQ(Sha256Hex(data), Sha256Hex(Download(*bob_, id, true)));
}

TEST_F(Files, GoneAfterExpiry) {
  Start({"--file-ttl", "1s"});
  Json end = Upload(*alice_, "#share", "brief.txt", "text/plain", "here for a second");
  ASSERT_EQ("ok", end["type"]);
  std::string id = end["file_id"];
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ("not_found", bob_->Request({{"type", "file.get"}, {"file_id", id}})["code"]);
  EXPECT_EQ(404, HttpRequest(server_->http_url(), "GET", "/files/" + id + "?user=bob").status);
}

// A file attached to a moment is readable by the author's followers (who see the moment),
// over the socket and HTTP, until the moment is deleted; others still get forbidden.
TEST_F(Files, AMomentsFileIsReadableByTheAuthorsFollowers) {
  Start();
  ASSERT_EQ("ok", alice_->Request({{"type", "room.create"}, {"room", "mine"}})["type"]);
  Json end = Upload(*alice_, "#mine", "p.png", "image/png", "moment picture");
  ASSERT_EQ("ok", end["type"]) << end.dump();
  std::string id = end["file_id"];
  auto carol = Login(*server_, "carol");
  auto eve = Login(*server_, "eve");
  ASSERT_TRUE(carol && eve);
  ASSERT_EQ("ok", carol->Request({{"type", "follow"}, {"user", "alice"}})["type"]);
  // Following alone does not open her room's files.
  EXPECT_EQ("forbidden", carol->Request({{"type", "file.get"}, {"file_id", id}})["code"]);

  Json posted =
      alice_->Request({{"type", "moment.post"}, {"text", "look"}, {"file_ids", Json::array({id})}});
  ASSERT_EQ("ok", posted["type"]) << posted.dump();
  EXPECT_EQ("moment picture", Download(*carol, id, false));
  HttpResult h = HttpRequest(server_->http_url(), "GET", "/files/" + id + "?user=carol");
  EXPECT_EQ(200, h.status);
  EXPECT_EQ("moment picture", h.body);
  EXPECT_EQ("forbidden", eve->Request({{"type", "file.get"}, {"file_id", id}})["code"]);
  EXPECT_EQ(403, HttpRequest(server_->http_url(), "GET", "/files/" + id + "?user=eve").status);

  ASSERT_EQ("ok", alice_->Request(
                      {{"type", "moment.delete"}, {"moment_id", posted["moment_id"]}})["type"]);
  EXPECT_EQ("forbidden", carol->Request({{"type", "file.get"}, {"file_id", id}})["code"]);
  EXPECT_EQ(403, HttpRequest(server_->http_url(), "GET", "/files/" + id + "?user=carol").status);
}

// An expired file cannot be sent again or attached to a moment.
TEST_F(Files, AnExpiredFileCannotBeSentOrPosted) {
  Start({"--file-ttl", "1s"});
  Json end = Upload(*alice_, "#share", "brief.txt", "text/plain", "here for a second");
  ASSERT_EQ("ok", end["type"]);
  std::string id = end["file_id"];
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Json r =
      alice_->Request({{"type", "msg.send"}, {"to", "#share"}, {"text", "again"}, {"file_id", id}});
  EXPECT_EQ("not_found", r["code"]) << r.dump();
  r = alice_->Request({{"type", "moment.post"}, {"text", "x"}, {"file_ids", Json::array({id})}});
  EXPECT_EQ("not_found", r["code"]) << r.dump();
  // Only the upload's own message is in the room.
  Json hist = bob_->Request({{"type", "history"}, {"conv", "#share"}});
  EXPECT_EQ(1u, hist["messages"].size()) << hist.dump();
}

TEST_F(Files, SendingAStoredFileAgainStaysInItsConversation) {
  Start();
  Json end = Upload(*alice_, "#share", "a.txt", "text/plain", "abc");
  std::string id = end["file_id"];
  Json r =
      alice_->Request({{"type", "msg.send"}, {"to", "#share"}, {"text", "again"}, {"file_id", id}});
  ASSERT_EQ("ok", r["type"]) << r.dump();
  Json h = bob_->Request({{"type", "history"}, {"conv", "#share"}});
  EXPECT_EQ(id, h["messages"][1]["file"]["file_id"]);
  r = alice_->Request({{"type", "msg.send"}, {"to", "@bob"}, {"text", "leak"}, {"file_id", id}});
  EXPECT_EQ("forbidden", r["code"]);
}

// Requests sent right behind file.end, before its ok, find the file: they wait for it.
TEST_F(Files, RequestsPipelinedBehindFileEndSeeTheFile) {
  Start();
  std::string data = RandomBytes(300000, 7);
  Json b = alice_->Request({{"type", "file.begin"},
                            {"to", "#share"},
                            {"name", "p.bin"},
                            {"mime", "application/octet-stream"},
                            {"size", data.size()}});
  ASSERT_EQ("ok", b["type"]) << b.dump();
  std::string id = b["file_id"];
  size_t chunk = b["chunk_size"];
  for (size_t off = 0; off < data.size(); off += chunk) {
    Json r = alice_->Request({{"type", "file.chunk"},
                              {"file_id", id},
                              {"offset", off},
                              {"data", crypto::Base64Encode(data.substr(off, chunk))}});
    ASSERT_EQ("ok", r["type"]) << r.dump();
  }
  alice_->Send({{"type", "file.end"}, {"id", "end"}, {"file_id", id}, {"sha256", Sha256Hex(data)}});
  alice_->Send({{"type", "file.get"}, {"id", "get"}, {"file_id", id}});
  alice_->Send({{"type", "msg.send"},
                {"id", "again"},
                {"to", "#share"},
                {"text", "again"},
                {"file_id", id}});
  alice_->Send({{"type", "history"}, {"id", "hist"}, {"conv", "#share"}});
  std::map<std::string, Json> replies;
  std::vector<std::string> order;
  std::string got;
  bool last = false;
  while (replies.size() < 4 || !last) {
    Json j = alice_->WaitFor(
        [](const Json& m) { return m.contains("re") || m.value("type", "") == "file.data"; },
        10000);
    ASSERT_FALSE(j.is_null()) << "replies so far: " << replies.size();
    if (j["type"] == "file.data") {
      got += crypto::Base64Decode(j["data"].get<std::string>()).value_or("");
      last = j.value("last", false);
      continue;
    }
    order.push_back(j["re"]);
    replies[j["re"]] = j;
  }
  ASSERT_EQ(4u, order.size());
  EXPECT_EQ("end", order[0]) << "what came behind file.end waited for it";
  EXPECT_LT(std::find(order.begin(), order.end(), "again"),
            std::find(order.begin(), order.end(), "hist"));
  EXPECT_EQ("ok", replies["end"]["type"]) << replies["end"];
  EXPECT_EQ("ok", replies["get"]["type"]) << replies["get"];
  EXPECT_EQ("ok", replies["again"]["type"]) << replies["again"];
  EXPECT_TRUE(got == data) << "downloaded " << got.size() << " of " << data.size() << " bytes";
  const Json& msgs = replies["hist"]["messages"];
  ASSERT_EQ(2u, msgs.size()) << replies["hist"];
  EXPECT_EQ(id, msgs[0]["file"]["file_id"]);
  EXPECT_EQ("again", msgs[1]["text"]);
}

}  // namespace
}  // namespace smartlink::testing
