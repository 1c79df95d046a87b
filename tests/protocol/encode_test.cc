// Server frames: ok / error replies, events, and the message JSON.

#include "smartlink/protocol/encode.h"

#include <gtest/gtest.h>

#include <string>

namespace smartlink::protocol {
namespace {

Json Parse(const std::string& s) {
  Json j = Json::parse(s, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << s;
  return j;
}

TEST(Encode, OkCarriesReWhenIdGiven) {
  // "type" first, then "re", then the fields (nlohmann::json keeps those sorted).
  EXPECT_EQ(R"({"type":"ok","re":"a1"})", EncodeOk(Json("a1")));
  EXPECT_EQ(R"({"type":"ok","re":7})", EncodeOk(Json(7)));
  EXPECT_EQ(R"({"type":"ok","re":7,"a":[1],"b":"\"x\""})",
            EncodeOk(Json(7), {{"b", "\"x\""}, {"a", {1}}}));
}

TEST(Encode, OkOmitsReWhenIdIsNull) {
  std::string s = EncodeOk(Json(nullptr));
  EXPECT_EQ(R"({"type":"ok"})", s);
  EXPECT_FALSE(Parse(s).contains("re"));
}

TEST(Encode, OkMergesResultFields) {
  Json j = Parse(EncodeOk(Json("x"), {{"conv", "#lobby"}, {"seq", 3}, {"members", {"a", "b"}}}));
  EXPECT_EQ("ok", j["type"]);
  EXPECT_EQ("x", j["re"]);
  EXPECT_EQ("#lobby", j["conv"]);
  EXPECT_EQ(3, j["seq"]);
  EXPECT_EQ((Json{"a", "b"}), j["members"]);
  EXPECT_EQ(5u, j.size());
}

TEST(Encode, OkIgnoresNonObjectFields) {
  EXPECT_EQ(R"({"type":"ok","re":1})", EncodeOk(Json(1), Json::array({1, 2})));
  EXPECT_EQ(R"({"type":"ok","re":1})", EncodeOk(Json(1), Json::object()));
}

TEST(Encode, FieldsNamedTypeOrReWinOnce) {
  Json j = Parse(EncodeOk(Json(1), {{"re", 2}, {"x", 3}}));
  EXPECT_EQ(2, j["re"]);
  EXPECT_EQ(3u, j.size());
  std::string s = EncodeEvent("a", {{"type", "b"}});
  EXPECT_EQ(R"({"type":"b"})", s);
  // Without an id, a field named "re" is an ordinary field.
  EXPECT_EQ(R"({"type":"ok","re":5})", EncodeOk(Json(nullptr), {{"re", 5}}));
}

TEST(Encode, ErrorCarriesCodeMessageAndRe) {
  std::string s = EncodeError(Json("q"), Status::NotFound("no room lobby"));
  EXPECT_EQ(R"({"code":"not_found","message":"no room lobby","re":"q","type":"error"})", s);
}

TEST(Encode, ErrorOmitsReWhenIdIsNull) {
  Json j = Parse(EncodeError(Json(nullptr), Status::BadRequest("malformed JSON")));
  EXPECT_EQ("error", j["type"]);
  EXPECT_EQ("bad_request", j["code"]);
  EXPECT_EQ("malformed JSON", j["message"]);
  EXPECT_FALSE(j.contains("re"));
}

TEST(Encode, ErrorMergesExtraFields) {
  Json j = Parse(EncodeError(Json(4), Status::RateLimited("slow down"), {{"retry_ms", 250}}));
  EXPECT_EQ("rate_limited", j["code"]);
  EXPECT_EQ(250, j["retry_ms"]);
  EXPECT_EQ(4, j["re"]);
  EXPECT_EQ(5u, j.size());
}

TEST(Encode, ErrorUsesProtocolCodeNames) {
  const std::pair<Status, const char*> cases[] = {
      {Status::BadRequest(""), "bad_request"},   {Status::Unauthenticated(""), "unauthenticated"},
      {Status::Forbidden(""), "forbidden"},      {Status::NotFound(""), "not_found"},
      {Status::Conflict(""), "conflict"},        {Status::TooLarge(""), "too_large"},
      {Status::RateLimited(""), "rate_limited"}, {Status::Unavailable(""), "unavailable"},
      {Status::Internal(""), "internal"},
  };
  for (const auto& [status, name] : cases) {
    EXPECT_EQ(name, Parse(EncodeError(Json(nullptr), status))["code"]);
  }
}

TEST(Encode, ErrorWithInvalidUtf8MessageStillEncodes) {
  // A message quoting untrusted bytes must not make encoding throw.
  std::string s = EncodeError(Json(1), Status::BadRequest("bad \xFF byte"));
  Json j = Parse(s);
  EXPECT_EQ("bad_request", j["code"]);
  EXPECT_EQ("bad \xEF\xBF\xBD byte", j["message"]);  // U+FFFD
}

TEST(Encode, EventHasTypeAndFields) {
  EXPECT_EQ(R"({"type":"member.joined","conv":"#lobby","user":"bob"})",
            EncodeEvent("member.joined", {{"conv", "#lobby"}, {"user", "bob"}}));
  EXPECT_EQ(R"({"type":"pong"})", EncodeEvent("pong", nullptr));
}

TEST(Encode, EventNeverCarriesRe) {
  Json j = Parse(EncodeEvent("typing", {{"conv", "#a"}, {"user", "bob"}, {"on", true}}));
  EXPECT_FALSE(j.contains("re"));
  EXPECT_EQ("typing", j["type"]);
  EXPECT_EQ(true, j["on"]);
}

Message Basic() {
  Message m;
  m.conv = "#lobby";
  m.seq = 3;
  m.msg_id = "m-3";
  m.from = "alice";
  m.text = "hello";
  m.ts = 1700000000123;
  return m;
}

TEST(Encode, MessageToJsonHasOnlyRequiredFieldsByDefault) {
  Json j = MessageToJson(Basic(), false);
  EXPECT_EQ((Json{{"conv", "#lobby"},
                  {"seq", 3},
                  {"msg_id", "m-3"},
                  {"from", "alice"},
                  {"text", "hello"},
                  {"ts", 1700000000123}}),
            j);
}

TEST(Encode, MessageToJsonEventFormAddsType) {
  Json j = MessageToJson(Basic(), true);
  EXPECT_EQ("msg", j["type"]);
  EXPECT_EQ(7u, j.size());
}

TEST(Encode, MessageToJsonIncludesOptionalFieldsWhenSet) {
  Message m = Basic();
  m.temp_id = "t1";
  m.reply_to = 2;
  m.file = FileRef{"f1", "a.txt", "text/plain", 42};
  m.edited_ts = 1700000000999;
  m.deleted = true;
  m.reactions["+1"] = {"bob", "carol"};
  Json j = MessageToJson(m, false);
  EXPECT_EQ("t1", j["temp_id"]);
  EXPECT_EQ(2, j["reply_to"]);
  EXPECT_EQ((Json{{"file_id", "f1"}, {"name", "a.txt"}, {"mime", "text/plain"}, {"size", 42}}),
            j["file"]);
  EXPECT_EQ(1700000000999, j["edited_ts"]);
  EXPECT_EQ(true, j["deleted"]);
  EXPECT_EQ((Json{{"+1", {"bob", "carol"}}}), j["reactions"]);
  EXPECT_EQ(12u, j.size());
}

TEST(Encode, MessageToJsonOmitsEachUnsetOptionalField) {
  Json j = MessageToJson(Basic(), false);
  for (const char* key :
       {"type", "temp_id", "reply_to", "file", "edited_ts", "deleted", "reactions"}) {
    EXPECT_FALSE(j.contains(key)) << key;
  }
}

TEST(Encode, MessageToJsonKeepsReplyToZeroAndNulBytes) {
  Message m = Basic();
  m.reply_to = 0;  // set, even though zero
  m.text = std::string("a\0b", 3);
  Json j = MessageToJson(m, true);
  ASSERT_TRUE(j.contains("reply_to"));
  EXPECT_EQ(0, j["reply_to"]);
  EXPECT_EQ(std::string("a\0b", 3), j["text"].get<std::string>());
  // And it survives the wire.
  EXPECT_EQ(std::string("a\0b", 3), Parse(EncodeEvent("msg", j))["text"].get<std::string>());
}

}  // namespace
}  // namespace smartlink::protocol
