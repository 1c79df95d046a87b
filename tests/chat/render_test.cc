#include "render.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

namespace slchat {
namespace {

// 2026-11-20 14:05:00 UTC.
constexpr int64_t kTs = 1795183500000;

class Render : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = getenv("TZ");
    saved_tz_ = tz ? tz : "";
    had_tz_ = tz != nullptr;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_tz_) {
      setenv("TZ", saved_tz_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  RenderContext Ctx(bool color = false) const { return RenderContext{color, "alice", kTs + 60000}; }
  static Json Msg() {
    return {{"type", "msg"}, {"conv", "#lobby"}, {"seq", 5},
            {"from", "bob"}, {"text", "hello"},  {"ts", kTs}};
  }

 private:
  std::string saved_tz_;
  bool had_tz_ = false;
};

TEST_F(Render, MessageLine) {
  EXPECT_EQ("14:05 #lobby [5] <bob> hello", RenderEvent(Msg(), Ctx()));
  Json dm = Msg();
  dm["conv"] = "@alice,bob";
  EXPECT_EQ("14:05 @bob [5] <bob> hello", RenderMessage(dm, Ctx()));
  Json multi = Msg();
  multi["text"] = "one\ntwo";
  EXPECT_EQ("14:05 #lobby [5] <bob> one\n    two", RenderMessage(multi, Ctx()));
}

TEST_F(Render, MessageDecorations) {
  Json m = Msg();
  m["edited_ts"] = kTs + 1;
  m["reply_to"] = 2;
  m["reactions"] = {{"+1", {"alice", "carol"}}};
  EXPECT_EQ("14:05 #lobby [5] <bob> re [2] hello (edited) {+12}", RenderMessage(m, Ctx()));
  Json d = Msg();
  d["deleted"] = true;
  d["text"] = "";
  EXPECT_EQ("14:05 #lobby [5] <bob> (deleted)", RenderMessage(d, Ctx()));
  Json f = Msg();
  f["text"] = "";
  f["file"] = {{"file_id", "abc"}, {"name", "cat.jpg"}, {"size", 49152}, {"mime", "image/jpeg"}};
  EXPECT_EQ("14:05 #lobby [5] <bob> [file cat.jpg, 48.0 KiB: /get abc]", RenderMessage(f, Ctx()));
  Json e = Msg();
  e["e2e_error"] = "no passphrase";
  EXPECT_EQ("14:05 #lobby [5] <bob> [encrypted: no passphrase]", RenderMessage(e, Ctx()));
}

TEST_F(Render, ColoursOnlyWhenAsked) {
  EXPECT_EQ(std::string::npos, RenderEvent(Msg(), Ctx(false)).find('\033'));
  std::string colored = RenderEvent(Msg(), Ctx(true));
  EXPECT_NE(std::string::npos, colored.find("\033[36m#lobby\033[0m"));
  EXPECT_NE(std::string::npos, colored.find("hello"));
}

TEST_F(Render, UntrustedTextCannotDriveTheTerminal) {
  Json m = Msg();
  m["from"] = "ev\033]0;x\007il";
  m["text"] =
      "a\033[2Jb\x7f\xc2\x9b"
      "c\xff";
  EXPECT_EQ("14:05 #lobby [5] <ev?]0;x?il> a?[2Jb??c\xef\xbf\xbd", RenderMessage(m, Ctx()));
  EXPECT_EQ("tab\there", Sanitize("tab\there"));
  EXPECT_EQ("tab?here", Sanitize("tab\there", false));
  EXPECT_EQ("caf\xc3\xa9 \xe2\x9c\x93", Sanitize("caf\xc3\xa9 \xe2\x9c\x93"));
}

TEST_F(Render, OtherEvents) {
  RenderContext c = Ctx();
  EXPECT_EQ("#lobby bob joined",
            RenderEvent({{"type", "member.joined"}, {"conv", "#lobby"}, {"user", "bob"}}, c));
  EXPECT_EQ("bob is away (lunch)",
            RenderEvent(
                {{"type", "presence"}, {"user", "bob"}, {"status", "away"}, {"note", "lunch"}}, c));
  EXPECT_EQ("bob went offline",
            RenderEvent({{"type", "presence"}, {"user", "bob"}, {"status", "offline"}}, c));
  EXPECT_EQ("14:06 #lobby [5] (edited) new", RenderEvent({{"type", "msg.edited"},
                                                          {"conv", "#lobby"},
                                                          {"seq", 5},
                                                          {"text", "new"},
                                                          {"edited_ts", kTs + 60000}},
                                                         c));
  EXPECT_EQ("#lobby [3] bob reacted +1", RenderEvent({{"type", "reaction"},
                                                      {"conv", "#lobby"},
                                                      {"seq", 3},
                                                      {"user", "bob"},
                                                      {"emoji", "+1"},
                                                      {"on", true}},
                                                     c));
  EXPECT_EQ(
      "! Mention: bob mentioned you",
      RenderEvent({{"type", "notification"}, {"title", "Mention"}, {"body", "bob mentioned you"}},
                  c));
  EXPECT_EQ("! bob liked your moment [moment 12]", RenderEvent({{"type", "notification"},
                                                                {"kind", "like"},
                                                                {"title", "bob liked your moment"},
                                                                {"data", {{"moment_id", 12}}}},
                                                               c));
  for (const char* hidden : {"typing", "receipt", "pong", "caught_up", "welcome", "file.data"}) {
    EXPECT_EQ("", RenderEvent({{"type", hidden}, {"conv", "#lobby"}}, c)) << hidden;
  }
}

TEST_F(Render, CallSignalsShowTheSdp) {
  Json offer = {{"type", "signal"},
                {"from", "bob"},
                {"call_id", "c1"},
                {"kind", "offer"},
                {"payload", {{"sdp", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"}}}};
  EXPECT_EQ(
      "call from bob (call c1): /answer [SDP_FILE|-] to take it, /hangup to refuse\n"
      "  | v=0\n  | o=- 1 1 IN IP4 0.0.0.0",
      RenderEvent(offer, Ctx()));
  EXPECT_EQ("ice from bob (call c1): candidate:1 1 UDP 1 10.0.0.1 9 typ host",
            RenderEvent({{"type", "signal"},
                         {"from", "bob"},
                         {"call_id", "c1"},
                         {"kind", "ice"},
                         {"payload", {{"candidate", "candidate:1 1 UDP 1 10.0.0.1 9 typ host"}}}},
                        Ctx()));
  EXPECT_EQ("call c1 ended by bob (disconnected)",
            RenderEvent({{"type", "signal"},
                         {"from", "bob"},
                         {"call_id", "c1"},
                         {"kind", "hangup"},
                         {"payload", {{"reason", "disconnected"}}}},
                        Ctx()));
}

TEST_F(Render, MomentsAndLive) {
  Json m = {{"moment_id", 12},
            {"author", "bob"},
            {"text", "sunset"},
            {"ts", kTs},
            {"likes", 2},
            {"liked", true},
            {"comments", {{{"user", "carol"}, {"text", "wow"}}}}};
  EXPECT_EQ("[moment 12] 14:05 <bob> sunset (2 likes, you like it)\n    <carol> wow",
            RenderMoment(m, Ctx()));
  EXPECT_EQ("live:gig bob is live: Friday (/live join gig)", RenderEvent({{"type", "live.status"},
                                                                          {"stream", "gig"},
                                                                          {"status", "live"},
                                                                          {"host", "bob"},
                                                                          {"title", "Friday"}},
                                                                         Ctx()));
  EXPECT_EQ("14:05 live:gig <carol> encore", RenderEvent({{"type", "live.chat"},
                                                          {"stream", "gig"},
                                                          {"user", "carol"},
                                                          {"text", "encore"},
                                                          {"ts", kTs}},
                                                         Ctx()));
}

TEST_F(Render, TimesSizesAndProgress) {
  EXPECT_EQ("14:05", FormatTime(kTs, kTs));
  EXPECT_EQ("11-20 14:05", FormatTime(kTs, kTs + 86400000LL * 3));
  EXPECT_EQ("2026-11-20 14:05", FormatTime(kTs, kTs + 86400000LL * 400));
  EXPECT_EQ("512 B", FormatSize(512));
  EXPECT_EQ("1.5 KiB", FormatSize(1536));
  EXPECT_EQ("3.0 MiB", FormatSize(3 << 20));
  EXPECT_EQ("cat.jpg [###########...........] 50%  1.0 KiB/2.0 KiB",
            ProgressLine("cat.jpg", 1024, 2048, 53));
  EXPECT_EQ("f 100%  0 B/0 B", ProgressLine("f", 0, 0, 10));
}

TEST_F(Render, FieldsOfTheWrongTypeAreIgnored) {
  Json m = {{"type", "msg"},  {"conv", 5},      {"seq", "x"},       {"from", nullptr},
            {"text", {1, 2}}, {"ts", 1.5e300},  {"deleted", "yes"}, {"reactions", "lots"},
            {"file", "f"},    {"reply_to", "r"}};
  EXPECT_NO_THROW(RenderEvent(m, Ctx()));
  for (const char* type : {"reaction", "presence", "signal", "moment", "live.status",
                           "notification", "member.joined", "msg.edited"}) {
    Json e = {{"type", type}, {"on", "no"}, {"user", 1},     {"payload", 7},
              {"likes", "x"}, {"liked", 1}, {"comments", 3}, {"moment_id", nullptr}};
    EXPECT_NO_THROW(RenderEvent(e, Ctx())) << type;
  }
}

TEST_F(Render, ConversationLabels) {
  EXPECT_EQ("@bob", ConvLabel("@alice,bob", "alice"));
  EXPECT_EQ("@alice", ConvLabel("@alice,bob", "bob"));
  EXPECT_EQ("@alice", ConvLabel("@alice,alice", "alice"));
  EXPECT_EQ("@bob,carol", ConvLabel("@bob,carol", "alice"));
  EXPECT_EQ("#lobby", ConvLabel("#lobby", "alice"));
}

}  // namespace
}  // namespace slchat
