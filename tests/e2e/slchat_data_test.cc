// slchat against a real slserver: file transfers with SHA-256 checks, end-to-end encrypted
// rooms (the server stores only ciphertext), and reconnecting after a server restart
// without missing a message.

#ifdef SLCHAT_PATH

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <sstream>

#include "e2e/server_process.h"
#include "e2e/slchat_process.h"
#include "e2e/test_certs.h"
#include "smartlink/util/crypto.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

class SlchatData : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start();
    ASSERT_TRUE(server_);
    url_ = server_->url();
    alice_ = Login(*server_, "alice");
    ASSERT_TRUE(alice_);
    ASSERT_EQ("ok", alice_->Request({{"type", "room.create"}, {"room", "lobby"}})["type"]);
  }

  std::unique_ptr<ServerProcess> server_;
  std::string url_;
  std::unique_ptr<net::BlockingClient> alice_;
  TempDir dir_;
};

TEST_F(SlchatData, UploadAndDownloadCheckTheHash) {
  std::string bytes = RandomBytes(700 * 1024 + 17, 42);  // several chunks and a partial one
  std::string sha = crypto::Hex(crypto::Sha256(bytes));
  WriteFile(dir_.File("photo.jpg"), bytes);
  SlchatResult up =
      RunSlchat({"upload", url_, "#lobby", dir_.File("photo.jpg"), "--json", "-u", "alice"});
  ASSERT_EQ(0, up.code) << up.err;
  EXPECT_EQ("", up.err);  // no progress bar off a terminal
  Json result = Json::parse(up.out);
  std::string id = result["file_id"];
  EXPECT_EQ(sha, result["sha256"]);
  EXPECT_EQ("#lobby", result["conv"]);
  Json get = alice_->Request({{"type", "file.get"}, {"file_id", id}});
  EXPECT_EQ(sha, get["sha256"]);  // the server computed the same
  EXPECT_EQ("image/jpeg", get["mime"]);
  EXPECT_EQ(static_cast<int64_t>(bytes.size()), get["size"]);

  SlchatResult down =
      RunSlchat({"download", url_, id, dir_.File("copy.jpg"), "--json", "-u", "alice"});
  ASSERT_EQ(0, down.code) << down.err;
  EXPECT_EQ(sha, Json::parse(down.out)["sha256"]);
  EXPECT_EQ(bytes, ReadFile(dir_.File("copy.jpg")));
  EXPECT_EQ("", ReadFile(dir_.File("copy.jpg.part")));
  // Into a directory: under the file's own name, which is then not written over.
  mkdir(dir_.File("into").c_str(), 0700);
  ASSERT_EQ(0, RunSlchat({"download", url_, id, dir_.File("into"), "-u", "alice"}).code);
  EXPECT_EQ(bytes, ReadFile(dir_.File("into") + "/" + result.value("name", "photo.jpg")));
  SlchatResult again = RunSlchat({"download", url_, id, dir_.File("into") + "/", "-u", "alice"});
  EXPECT_EQ(1, again.code);
  EXPECT_NE(std::string::npos, again.err.find("exists")) << again.err;
  EXPECT_EQ("", ReadFile(dir_.File("into") + "/.part"));

  // Only members get it; an unknown id is an error too.
  SlchatResult eve = RunSlchat({"download", url_, id, dir_.File("eve.jpg"), "-u", "eve"});
  EXPECT_EQ(1, eve.code);
  EXPECT_NE(std::string::npos, eve.err.find("forbidden")) << eve.err;
  EXPECT_EQ(1, RunSlchat({"download", url_, "000000000000000000000000", "-u", "alice"}).code);
}

TEST_F(SlchatData, SendAndGetCommandsInAScript) {
  std::string bytes = RandomBytes(300 * 1024, 42);
  WriteFile(dir_.File("notes.txt"), bytes);
  SlchatResult r = RunSlchat(
      {url_, "-u", "alice", "-e", "/switch #lobby", "-e", "/send " + dir_.File("notes.txt")});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("sent notes.txt to #lobby")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("<alice> [file notes.txt, 300.0 KiB: /get ")) << r.out;
  Json h = alice_->Request({{"type", "history"}, {"conv", "#lobby"}});
  std::string id = h["messages"][0]["file"]["file_id"];

  SlchatResult get =
      RunSlchat({url_, "-u", "alice", "-e", "/get " + id + " " + dir_.File("got.txt")});
  ASSERT_EQ(0, get.code) << get.err;
  EXPECT_NE(std::string::npos, get.out.find("saved " + dir_.File("got.txt"))) << get.out;
  EXPECT_NE(std::string::npos, get.out.find("sha256 ok")) << get.out;
  EXPECT_EQ(bytes, ReadFile(dir_.File("got.txt")));
  // To stdout.
  SlchatResult cat = RunSlchat({"download", url_, id, "-", "-u", "alice"});
  ASSERT_EQ(0, cat.code);
  EXPECT_EQ(bytes, cat.out);
  // A missing file to send fails the command.
  EXPECT_EQ(1, RunSlchat({url_, "-u", "alice", "-e", "/send --to #lobby /no/such/file"}).code);
}

// Ignores SIGPIPE while it lives, so that feeding a slchat that exited early fails the test
// instead of killing the test binary.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() { old_ = signal(SIGPIPE, SIG_IGN); }
  ~IgnoreSigpipe() { signal(SIGPIPE, old_); }

 private:
  void (*old_)(int);
};

// A pipe or character device is read to its end first, then uploaded as a file is.
TEST_F(SlchatData, UploadReadsPipesAndDevices) {
  IgnoreSigpipe ignore;
  std::string bytes = RandomBytes(600 * 1024 + 5, 42);  // several chunks
  std::string sha = crypto::Hex(crypto::Sha256(bytes));
  SlchatResult up =
      RunSlchat({"upload", url_, "#lobby", "/dev/stdin", "--json", "-u", "alice"}, bytes);
  ASSERT_EQ(0, up.code) << up.err;
  Json result = Json::parse(up.out);
  EXPECT_EQ(sha, result["sha256"]);
  std::string id = result["file_id"];
  Json get = alice_->Request({{"type", "file.get"}, {"file_id", id}});
  EXPECT_EQ(sha, get["sha256"]);
  EXPECT_EQ(static_cast<int64_t>(bytes.size()), get["size"]);
  EXPECT_EQ("stdin", get["name"]);
  SlchatResult down = RunSlchat({"download", url_, id, "-", "-u", "alice"});
  ASSERT_EQ(0, down.code) << down.err;
  EXPECT_EQ(bytes, down.out);

  // /send in a script too; /dev/null is an empty character device.
  SlchatResult empty = RunSlchat({url_, "-u", "alice", "-e", "/send --to #lobby /dev/null"});
  ASSERT_EQ(0, empty.code) << empty.err;
  EXPECT_NE(std::string::npos, empty.out.find("sent null to #lobby")) << empty.out;
  EXPECT_NE(std::string::npos, empty.out.find(crypto::Hex(crypto::Sha256("")))) << empty.out;

  // A device that never ends stops at the largest file the server takes, which its welcome
  // says (limits.max_file_bytes).
  auto small = ServerProcess::Start({"--max-file", "1MiB"});
  ASSERT_TRUE(small);
  auto owner = Login(*small, "alice");
  ASSERT_TRUE(owner);
  ASSERT_EQ("ok", owner->Request({{"type", "room.create"}, {"room", "lobby"}})["type"]);
  SlchatResult endless =
      RunSlchat({"upload", small->ws_url(), "#lobby", "/dev/zero", "-u", "alice"});
  EXPECT_EQ(1, endless.code);
  EXPECT_NE(std::string::npos, endless.err.find("cannot upload /dev/zero: it holds more than "
                                                "1.0 MiB, the server's largest file"))
      << endless.err;

  // A directory is still refused: by the command line's check, and by /send.
  SlchatResult dir = RunSlchat({"upload", url_, "#lobby", dir_.path(), "-u", "alice"});
  EXPECT_EQ(2, dir.code);
  EXPECT_NE(std::string::npos, dir.err.find("directory")) << dir.err;
  SlchatResult send = RunSlchat({url_, "-u", "alice", "-e", "/send --to #lobby " + dir_.path()});
  EXPECT_EQ(1, send.code);
  EXPECT_NE(std::string::npos,
            send.err.find("cannot upload " + dir_.path() + ": it is a directory"))
      << send.err;
  Json h = alice_->Request({{"type", "history"}, {"conv", "#lobby"}});
  EXPECT_EQ(2u, h["messages"].size()) << h.dump();
}

TEST_F(SlchatData, EncryptedRoomStoresOnlyCiphertext) {
  SlchatResult create = RunSlchat({url_, "-u", "alice", "-e", "/create vault --e2e 'open sesame'",
                                   "-e", "top secret plan", "-e", "/edit 1 revised secret plan"});
  ASSERT_EQ(0, create.code) << create.err;
  // What the server holds: ciphertext in history...
  Json h = alice_->Request({{"type", "history"}, {"conv", "#vault"}});
  ASSERT_EQ(1u, h["messages"].size()) << h.dump();
  std::string stored = h["messages"][0]["text"];
  EXPECT_EQ(0u, stored.rfind("sl-e2e1:", 0)) << stored;
  EXPECT_EQ(std::string::npos, stored.find("secret"));
  // ...and on disk.
  std::string db = ReadFile(server_->data_dir() + "/smartlink.db") +
                   ReadFile(server_->data_dir() + "/smartlink.db-wal");
  ASSERT_FALSE(db.empty());
  EXPECT_NE(std::string::npos, db.find("sl-e2e1:"));
  EXPECT_EQ(std::string::npos, db.find("secret plan"));

  // A member with the passphrase reads it; a wrong one cannot; without one nothing is sent.
  SlchatResult bob = RunSlchat({url_, "-u", "bob", "-e", "/join vault --e2e 'open sesame'", "-e",
                                "/history", "-e", "my reply"});
  ASSERT_EQ(0, bob.code) << bob.err;
  EXPECT_NE(std::string::npos, bob.out.find("<alice> revised secret plan (edited)")) << bob.out;
  SlchatResult carol =
      RunSlchat({url_, "-u", "carol", "-e", "/join vault --e2e wrong", "-e", "/history"});
  EXPECT_NE(std::string::npos, carol.out.find("<alice> [encrypted: cannot decrypt")) << carol.out;
  EXPECT_EQ(std::string::npos, carol.out.find("secret plan"));
  SlchatResult dave = RunSlchat({url_, "-u", "dave", "-e", "/join vault", "-e", "in the clear"});
  EXPECT_EQ(1, dave.code);
  EXPECT_NE(std::string::npos, dave.err.find("end-to-end encrypted")) << dave.err;

  // One-shot commands take --key; --json shows the plain text, marked.
  SlchatResult send = RunSlchat(
      {"send", url_, "#vault", "via one-shot", "-u", "bob", "--key", "vault=open sesame"});
  ASSERT_EQ(0, send.code) << send.err;
  SlchatResult hist =
      RunSlchat({"history", url_, "#vault", "--json", "-u", "bob", "--key", "#vault=open sesame"});
  ASSERT_EQ(0, hist.code) << hist.err;
  std::vector<std::string> texts;
  std::istringstream lines(hist.out);
  for (std::string line; std::getline(lines, line);) {
    Json m = Json::parse(line);
    EXPECT_EQ(true, m["e2e"]);
    texts.push_back(m["text"]);
  }
  EXPECT_EQ((std::vector<std::string>{"revised secret plan", "my reply", "via one-shot"}), texts);
  // Without the passphrase, or with a wrong one, no ciphertext comes out as the text.
  for (std::vector<std::string> key :
       {std::vector<std::string>{}, std::vector<std::string>{"--key", "vault=wrong"}}) {
    std::vector<std::string> args = {"history", url_, "#vault", "--json", "-u", "bob"};
    args.insert(args.end(), key.begin(), key.end());
    SlchatResult blind = RunSlchat(args);
    ASSERT_EQ(0, blind.code) << blind.err;
    std::istringstream out(blind.out);
    int seen = 0;
    for (std::string line; std::getline(out, line); ++seen) {
      Json m = Json::parse(line);
      EXPECT_EQ("", m["text"]) << line;
      EXPECT_TRUE(m.contains("e2e_error")) << line;
    }
    EXPECT_EQ(3, seen) << blind.out;
  }
  h = alice_->Request({{"type", "history"}, {"conv", "#vault"}});
  for (const Json& m : h["messages"]) {
    EXPECT_EQ(0u, m["text"].get<std::string>().rfind("sl-e2e1:", 0)) << m.dump();
  }
}

// Restarts the server on the same port and data while bob's slchat runs; bob must end up
// with every message exactly once, including those sent while he was away and the one he
// typed while offline.
void RestartTest(int signal) {
  TempDir dir;
  auto server = ServerProcess::Start({}, dir.File("data"));
  ASSERT_TRUE(server);
  std::string url = server->url();
  std::string port = url.substr(url.rfind(':') + 1);
  {
    auto alice = Login(*server, "alice");
    ASSERT_TRUE(alice);
    ASSERT_EQ("ok", alice->Request({{"type", "room.create"}, {"room", "lobby"}})["type"]);
  }
  SlchatProcess bob({url, "-u", "bob", "--json"});
  bob.Write("/join lobby\n");
  ASSERT_TRUE(bob.WaitForOutput("\"members\"", 10000)) << bob.err();
  {
    auto alice = Login(*server, "alice");
    ASSERT_EQ("ok",
              alice->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", "m1"}})["type"]);
  }
  ASSERT_TRUE(bob.WaitForOutput("\"m1\"", 10000));

  server->Stop(signal);
  ASSERT_TRUE(bob.WaitForOutput("slchat.disconnected", 10000)) << bob.err();
  bob.Write("/msg #lobby typed while offline\n");
  server = ServerProcess::Start({"--listen", "127.0.0.1:" + port}, dir.File("data"));
  ASSERT_TRUE(server);
  ASSERT_EQ(url, server->url());
  auto alice = Login(*server, "alice");
  ASSERT_TRUE(alice);
  for (const char* t : {"m2", "m3", "m4"}) {
    ASSERT_EQ("ok", alice->Request({{"type", "msg.send"}, {"to", "#lobby"}, {"text", t}})["type"]);
  }
  ASSERT_TRUE(bob.WaitForOutput("\"m4\"", 15000)) << bob.out() << bob.err();
  ASSERT_TRUE(bob.WaitForOutput("\"typed while offline\"", 15000)) << bob.out();
  EXPECT_TRUE(bob.WaitForOutput("slchat.reconnected", 1000));
  EXPECT_TRUE(bob.WaitForErr("caught up", 5000)) << bob.err();
  Json sent = alice->WaitFor([](const Json& j) {
    return j.value("type", "") == "msg" && j.value("text", "") == "typed while offline";
  });
  EXPECT_EQ("bob", sent["from"]);

  std::map<int64_t, std::string> seen;
  for (const Json& j : bob.JsonLines()) {
    if (j.value("type", "") != "msg" || j.value("conv", "") != "#lobby") continue;
    int64_t seq = j["seq"];
    EXPECT_EQ(0u, seen.count(seq)) << "seq " << seq << " twice";
    seen[seq] = j["text"];
  }
  std::vector<std::string> texts;
  for (const auto& [seq, text] : seen) texts.push_back(text);
  std::sort(texts.begin() + 1, texts.end());  // "typed while offline" may land anywhere
  EXPECT_EQ((std::vector<std::string>{"m1", "m2", "m3", "m4", "typed while offline"}), texts);
  EXPECT_EQ(5, seen.rbegin()->first);
  std::string err = bob.err();
  EXPECT_NE(std::string::npos,
            err.find("connection lost (" + std::string(signal == SIGKILL ? "1006" : "1001")))
      << err;
  EXPECT_NE(std::string::npos, err.find("reconnected to " + url)) << err;
  Json h = alice->Request({{"type", "history"}, {"conv", "#lobby"}, {"limit", 50}});
  EXPECT_EQ(5u, h["messages"].size()) << h.dump();  // the offline message stored once
  bob.CloseStdin();
  EXPECT_EQ(0, bob.Wait(10000)) << bob.out() << bob.err();
}

TEST(SlchatReconnect, AfterAGracefulRestartNothingIsMissed) { RestartTest(SIGTERM); }
TEST(SlchatReconnect, AfterAKilledServerNothingIsMissed) { RestartTest(SIGKILL); }

}  // namespace
}  // namespace smartlink::testing

#endif  // SLCHAT_PATH
