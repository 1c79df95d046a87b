// Request decoding: every op from a valid frame, and every way a frame can be malformed.

#include "smartlink/protocol/codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "smartlink/protocol/names.h"

namespace smartlink::protocol {
namespace {

// Decodes `j` serialised as a text frame.
Decoded D(const Json& j, const CodecLimits& limits = CodecLimits()) {
  return DecodeRequest(j.dump(), limits);
}

// Decodes raw frame text.
Decoded T(std::string_view text, const CodecLimits& limits = CodecLimits()) {
  return DecodeRequest(text, limits);
}

// A binary file.chunk frame: 2-byte big-endian header length, header, data.
std::string Binary(const std::string& header, const std::string& data) {
  std::string f;
  f += static_cast<char>((header.size() >> 8) & 0xFF);
  f += static_cast<char>(header.size() & 0xFF);
  return f + header + data;
}

// Decodes and expects success; the returned Decoded has the request.
#define EXPECT_DECODES(d, expected_op)                     \
  do {                                                     \
    EXPECT_TRUE((d).status.ok()) << (d).status.ToString(); \
    EXPECT_TRUE((d).op_known);                             \
    EXPECT_EQ(expected_op, (d).request.op);                \
  } while (0)

const std::string kSha = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";

// --- Op names ---

TEST(Codec, OpNameRoundTripsForEveryOp) {
  std::set<std::string> names;
  for (int i = 0; i < kOpCount; ++i) {
    Op op = static_cast<Op>(i);
    const char* name = OpName(op);
    ASSERT_NE(nullptr, name);
    names.insert(name);
    auto back = OpFromName(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(op, *back) << name;
  }
  EXPECT_EQ(static_cast<size_t>(kOpCount), names.size()) << "op names must be distinct";
  EXPECT_EQ(38, kOpCount);
}

TEST(Codec, OpNamesAreTheProtocolNames) {
  EXPECT_STREQ("auth", OpName(Op::kAuth));
  EXPECT_STREQ("room.join", OpName(Op::kRoomJoin));
  EXPECT_STREQ("msg.send", OpName(Op::kMsgSend));
  EXPECT_STREQ("presence.get", OpName(Op::kPresenceGet));
  EXPECT_STREQ("file.chunk", OpName(Op::kFileChunk));
  EXPECT_STREQ("moment.comment", OpName(Op::kMomentComment));
  EXPECT_STREQ("live.react", OpName(Op::kLiveReact));
}

TEST(Codec, OpFromNameRejectsUnknownAndCaseVariants) {
  EXPECT_FALSE(OpFromName("").has_value());
  EXPECT_FALSE(OpFromName("PING").has_value());
  EXPECT_FALSE(OpFromName("room").has_value());
  EXPECT_FALSE(OpFromName("room.join ").has_value());
  EXPECT_FALSE(OpFromName(std::string_view("ping\0", 5)).has_value());
}

// Every op has a minimal valid frame: adding an op without teaching the decoder (or this
// table) fails here.
TEST(Codec, EveryOpDecodesFromAMinimalFrame) {
  const std::map<Op, Json> minimal = {
      {Op::kAuth, {{"token", "t"}}},
      {Op::kPing, Json::object()},
      {Op::kRoomCreate, {{"room", "lobby"}}},
      {Op::kRoomJoin, {{"room", "lobby"}}},
      {Op::kRoomLeave, {{"room", "lobby"}}},
      {Op::kRoomMembers, {{"room", "lobby"}}},
      {Op::kRoomList, Json::object()},
      {Op::kMsgSend, {{"to", "#lobby"}, {"text", "hi"}}},
      {Op::kMsgEdit, {{"conv", "#lobby"}, {"seq", 1}, {"text", "x"}}},
      {Op::kMsgDelete, {{"conv", "#lobby"}, {"seq", 1}}},
      {Op::kMsgRead, {{"conv", "#lobby"}, {"seq", 0}}},
      {Op::kMsgReact, {{"conv", "#lobby"}, {"seq", 1}, {"emoji", "+1"}}},
      {Op::kHistory, {{"conv", "#lobby"}}},
      {Op::kConvs, Json::object()},
      {Op::kSearch, {{"query", "q"}}},
      {Op::kSync, {{"positions", Json::object()}}},
      {Op::kTyping, {{"to", "@bob"}}},
      {Op::kPresenceSet, {{"status", "online"}}},
      {Op::kPresenceGet, {{"users", Json::array()}}},
      {Op::kSignal, {{"to", "@bob"}, {"call_id", "c"}, {"kind", "hangup"}}},
      {Op::kFileBegin, {{"to", "#lobby"}, {"name", "a"}, {"mime", "a/b"}, {"size", 0}}},
      {Op::kFileChunk, {{"file_id", "f"}, {"offset", 0}, {"data", ""}}},
      {Op::kFileEnd, {{"file_id", "f"}, {"sha256", kSha}}},
      {Op::kFileGet, {{"file_id", "f"}}},
      {Op::kFollow, {{"user", "bob"}}},
      {Op::kUnfollow, {{"user", "bob"}}},
      {Op::kMomentPost, {{"text", "t"}}},
      {Op::kMomentEdit, {{"moment_id", 1}, {"text", "t"}}},
      {Op::kMomentDelete, {{"moment_id", 1}}},
      {Op::kMomentLike, {{"moment_id", 1}}},
      {Op::kMomentComment, {{"moment_id", 1}, {"text", "t"}}},
      {Op::kMomentFeed, Json::object()},
      {Op::kLiveStart, {{"stream", "s"}}},
      {Op::kLiveEnd, {{"stream", "s"}}},
      {Op::kLiveJoin, {{"stream", "s"}}},
      {Op::kLiveLeave, {{"stream", "s"}}},
      {Op::kLiveChat, {{"stream", "s"}, {"text", "t"}}},
      {Op::kLiveReact, {{"stream", "s"}, {"emoji", "e"}}},
  };
  ASSERT_EQ(static_cast<size_t>(kOpCount), minimal.size());
  for (const auto& [op, fields] : minimal) {
    Json frame = fields;
    frame["type"] = OpName(op);
    Decoded d = D(frame);
    EXPECT_DECODES(d, op);
  }
}

// --- Each op with its fields ---

TEST(Codec, DecodesAuthWithToken) {
  Decoded d = D({{"type", "auth"}, {"token", "aaa.bbb.ccc"}});
  EXPECT_DECODES(d, Op::kAuth);
  EXPECT_EQ("aaa.bbb.ccc", d.request.as<Auth>().token);
  EXPECT_EQ("", d.request.as<Auth>().user);
}

TEST(Codec, DecodesAuthWithUserInOpenMode) {
  Decoded d = D({{"type", "auth"}, {"user", "alice"}});
  EXPECT_DECODES(d, Op::kAuth);
  EXPECT_EQ("alice", d.request.as<Auth>().user);
  EXPECT_EQ("", d.request.as<Auth>().token);
}

TEST(Codec, RejectsAuthWithNeitherTokenNorUser) {
  EXPECT_EQ(Code::kBadRequest, D({{"type", "auth"}}).status.code());
  EXPECT_EQ(Code::kBadRequest, D({{"type", "auth"}, {"token", ""}}).status.code());
  // The backend's sender (POST /api/v1/publish) is no one's name to take.
  Decoded sys = D({{"type", "auth"}, {"user", "system"}});
  EXPECT_EQ(Code::kBadRequest, sys.status.code());
  EXPECT_NE(std::string::npos, sys.status.message().find("reserved")) << sys.status.message();
  EXPECT_TRUE(D({{"type", "auth"}, {"user", "systems"}}).status.ok());
  EXPECT_EQ(Code::kBadRequest, D({{"type", "auth"}, {"user", "not valid"}}).status.code());
}

TEST(Codec, DecodesPing) {
  Decoded d = D({{"type", "ping"}, {"id", 1}});
  EXPECT_DECODES(d, Op::kPing);
  EXPECT_TRUE(std::holds_alternative<Empty>(d.request.body));
}

TEST(Codec, DecodesRoomCreateWithAllFields) {
  Decoded d = D({{"type", "room.create"},
                 {"room", "lobby"},
                 {"title", "The Lobby"},
                 {"topic", "chat"},
                 {"password", "pw"},
                 {"private", true},
                 {"e2e", true}});
  EXPECT_DECODES(d, Op::kRoomCreate);
  const auto& r = d.request.as<RoomCreate>();
  EXPECT_EQ("lobby", r.room);
  EXPECT_EQ("The Lobby", r.title);
  EXPECT_EQ("chat", r.topic);
  EXPECT_EQ("pw", r.password);
  EXPECT_TRUE(r.is_private);
  EXPECT_TRUE(r.e2e);
}

TEST(Codec, RoomCreateOptionalFieldsDefault) {
  Decoded d = D({{"type", "room.create"}, {"room", "lobby"}});
  EXPECT_DECODES(d, Op::kRoomCreate);
  const auto& r = d.request.as<RoomCreate>();
  EXPECT_EQ("", r.title);
  EXPECT_EQ("", r.password);
  EXPECT_FALSE(r.is_private);
  EXPECT_FALSE(r.e2e);
}

TEST(Codec, DecodesRoomJoinByName) {
  Decoded d = D({{"type", "room.join"}, {"room", "lobby"}, {"password", "pw"}, {"since", 5}});
  EXPECT_DECODES(d, Op::kRoomJoin);
  const auto& r = d.request.as<RoomJoin>();
  EXPECT_EQ("lobby", r.room);
  EXPECT_EQ("", r.join_key);
  EXPECT_EQ("pw", r.password);
  ASSERT_TRUE(r.since.has_value());
  EXPECT_EQ(5, *r.since);
}

TEST(Codec, DecodesRoomJoinByKey) {
  Decoded d = D({{"type", "room.join"}, {"join_key", "k3y"}});
  EXPECT_DECODES(d, Op::kRoomJoin);
  const auto& r = d.request.as<RoomJoin>();
  EXPECT_EQ("", r.room);
  EXPECT_EQ("k3y", r.join_key);
  EXPECT_FALSE(r.since.has_value());
}

TEST(Codec, RejectsRoomJoinWithoutRoomOrKey) {
  EXPECT_EQ(Code::kBadRequest, D({{"type", "room.join"}}).status.code());
  EXPECT_EQ(Code::kBadRequest, D({{"type", "room.join"}, {"join_key", ""}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "room.join"}, {"room", "lobby"}, {"since", -1}}).status.code());
}

TEST(Codec, DecodesRoomLeave) {
  Decoded d = D({{"type", "room.leave"}, {"room", "lobby"}});
  EXPECT_DECODES(d, Op::kRoomLeave);
  EXPECT_EQ("lobby", d.request.as<RoomRef>().room);
}

TEST(Codec, DecodesRoomMembers) {
  Decoded d = D({{"type", "room.members"}, {"room", "dev-team_1.x"}});
  EXPECT_DECODES(d, Op::kRoomMembers);
  EXPECT_EQ("dev-team_1.x", d.request.as<RoomRef>().room);
}

TEST(Codec, DecodesRoomList) {
  Decoded d = D({{"type", "room.list"}});
  EXPECT_DECODES(d, Op::kRoomList);
  EXPECT_TRUE(std::holds_alternative<Empty>(d.request.body));
}

TEST(Codec, DecodesMsgSendWithAllFields) {
  Decoded d = D({{"type", "msg.send"},
                 {"to", "#lobby"},
                 {"text", "hello"},
                 {"temp_id", "t-1"},
                 {"reply_to", 3},
                 {"file_id", "f00d"}});
  EXPECT_DECODES(d, Op::kMsgSend);
  const auto& m = d.request.as<MsgSend>();
  EXPECT_EQ("#lobby", m.to);
  EXPECT_EQ("hello", m.text);
  EXPECT_EQ("t-1", m.temp_id);
  ASSERT_TRUE(m.reply_to.has_value());
  EXPECT_EQ(3, *m.reply_to);
  EXPECT_EQ("f00d", m.file_id);
}

TEST(Codec, DecodesMsgSendToUserAndToDirectConv) {
  Decoded a = D({{"type", "msg.send"}, {"to", "@bob"}, {"text", "hi"}});
  EXPECT_DECODES(a, Op::kMsgSend);
  EXPECT_EQ("@bob", a.request.as<MsgSend>().to);
  Decoded b = D({{"type", "msg.send"}, {"to", "@alice,bob"}, {"text", "hi"}});
  EXPECT_DECODES(b, Op::kMsgSend);
  EXPECT_EQ("@alice,bob", b.request.as<MsgSend>().to);
}

TEST(Codec, MsgSendWithFileNeedsNoText) {
  Decoded d = D({{"type", "msg.send"}, {"to", "#lobby"}, {"file_id", "abc"}});
  EXPECT_DECODES(d, Op::kMsgSend);
  EXPECT_EQ("", d.request.as<MsgSend>().text);
  EXPECT_EQ("abc", d.request.as<MsgSend>().file_id);
}

TEST(Codec, RejectsMsgSendWithoutTextOrFile) {
  EXPECT_EQ(Code::kBadRequest, D({{"type", "msg.send"}, {"to", "#lobby"}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "msg.send"}, {"to", "#lobby"}, {"text", ""}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "msg.send"}, {"to", "#lobby"}, {"text", nullptr}}).status.code());
}

TEST(Codec, RejectsMsgSendWithBadTarget) {
  for (const char* to : {"lobby", "#", "@", "", "#bad room", "@bob,alice", "@x,y,z", "!lobby"}) {
    Decoded d = D({{"type", "msg.send"}, {"to", to}, {"text", "hi"}});
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << to;
  }
}

TEST(Codec, DecodesMsgEdit) {
  Decoded d = D({{"type", "msg.edit"}, {"conv", "#lobby"}, {"seq", 2}, {"text", "fixed"}});
  EXPECT_DECODES(d, Op::kMsgEdit);
  const auto& m = d.request.as<MsgEdit>();
  EXPECT_TRUE(m.conv.is_room());
  EXPECT_EQ("lobby", m.conv.room);
  EXPECT_EQ(2, m.seq);
  EXPECT_EQ("fixed", m.text);
}

TEST(Codec, RejectsMsgEditWithEmptyText) {
  Decoded d = D({{"type", "msg.edit"}, {"conv", "#lobby"}, {"seq", 2}, {"text", ""}});
  EXPECT_EQ(Code::kBadRequest, d.status.code());
}

TEST(Codec, DecodesMsgDeleteInDirectConv) {
  Decoded d = D({{"type", "msg.delete"}, {"conv", "@alice,bob"}, {"seq", 7}});
  EXPECT_DECODES(d, Op::kMsgDelete);
  const auto& m = d.request.as<MsgRef>();
  EXPECT_FALSE(m.conv.is_room());
  EXPECT_EQ("alice", m.conv.user_a);
  EXPECT_EQ("bob", m.conv.user_b);
  EXPECT_EQ(7, m.seq);
}

TEST(Codec, MsgDeleteNeedsSeqOfAtLeastOne) {
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "msg.delete"}, {"conv", "#lobby"}, {"seq", 0}}).status.code());
}

TEST(Codec, DecodesMsgReadAllowingSeqZero) {
  Decoded d = D({{"type", "msg.read"}, {"conv", "#lobby"}, {"seq", 0}});
  EXPECT_DECODES(d, Op::kMsgRead);
  EXPECT_EQ(0, d.request.as<MsgRef>().seq);
  EXPECT_EQ("#lobby", d.request.as<MsgRef>().conv.str());
}

TEST(Codec, DecodesMsgReact) {
  Decoded d = D({{"type", "msg.react"},
                 {"conv", "#lobby"},
                 {"seq", 4},
                 {"emoji", "\xF0\x9F\x91\x8D"},
                 {"on", false}});
  EXPECT_DECODES(d, Op::kMsgReact);
  const auto& m = d.request.as<MsgReact>();
  EXPECT_EQ(4, m.seq);
  EXPECT_EQ("\xF0\x9F\x91\x8D", m.emoji);
  EXPECT_FALSE(m.on);
}

TEST(Codec, MsgReactOnDefaultsToTrue) {
  Decoded d = D({{"type", "msg.react"}, {"conv", "#lobby"}, {"seq", 4}, {"emoji", "x"}});
  EXPECT_DECODES(d, Op::kMsgReact);
  EXPECT_TRUE(d.request.as<MsgReact>().on);
}

TEST(Codec, DecodesHistoryWithBounds) {
  Decoded d =
      D({{"type", "history"}, {"conv", "@alice,bob"}, {"before", 10}, {"after", 2}, {"limit", 30}});
  EXPECT_DECODES(d, Op::kHistory);
  const auto& h = d.request.as<History>();
  EXPECT_EQ("@alice,bob", h.conv.str());
  ASSERT_TRUE(h.before && h.after);
  EXPECT_EQ(10, *h.before);
  EXPECT_EQ(2, *h.after);
  EXPECT_EQ(30, h.limit);
}

TEST(Codec, HistoryDefaultsAndClampsLimit) {
  Decoded d = D({{"type", "history"}, {"conv", "#lobby"}});
  EXPECT_DECODES(d, Op::kHistory);
  EXPECT_EQ(50, d.request.as<History>().limit);
  EXPECT_FALSE(d.request.as<History>().before.has_value());
  EXPECT_FALSE(d.request.as<History>().after.has_value());
  Decoded big = D({{"type", "history"}, {"conv", "#lobby"}, {"limit", 100000}});
  EXPECT_DECODES(big, Op::kHistory);
  EXPECT_EQ(200, big.request.as<History>().limit);  // PROTOCOL.md: limit <= 200
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "history"}, {"conv", "#lobby"}, {"limit", 0}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "history"}, {"conv", "#lobby"}, {"before", 0}}).status.code());
}

TEST(Codec, DecodesConvs) {
  Decoded d = D({{"type", "convs"}});
  EXPECT_DECODES(d, Op::kConvs);
  EXPECT_TRUE(std::holds_alternative<Empty>(d.request.body));
}

TEST(Codec, DecodesSearch) {
  Decoded d = D({{"type", "search"}, {"query", "hello world"}, {"conv", "#lobby"}, {"limit", 5}});
  EXPECT_DECODES(d, Op::kSearch);
  const auto& s = d.request.as<Search>();
  EXPECT_EQ("hello world", s.query);
  ASSERT_TRUE(s.conv.has_value());
  EXPECT_EQ("#lobby", s.conv->str());
  EXPECT_EQ(5, s.limit);
}

TEST(Codec, SearchDefaultsAndRejectsEmptyQuery) {
  Decoded d = D({{"type", "search"}, {"query", "x"}});
  EXPECT_DECODES(d, Op::kSearch);
  EXPECT_FALSE(d.request.as<Search>().conv.has_value());
  EXPECT_EQ(20, d.request.as<Search>().limit);
  EXPECT_EQ(Code::kBadRequest, D({{"type", "search"}, {"query", ""}}).status.code());
}

TEST(Codec, DecodesSync) {
  Decoded d = D({{"type", "sync"}, {"positions", {{"#lobby", 3}, {"@alice,bob", 0}}}});
  EXPECT_DECODES(d, Op::kSync);
  const auto& s = d.request.as<Sync>();
  ASSERT_EQ(2u, s.positions.size());
  std::map<std::string, int64_t> got;
  for (const auto& [conv, seq] : s.positions) got[conv.str()] = seq;
  EXPECT_EQ((std::map<std::string, int64_t>{{"#lobby", 3}, {"@alice,bob", 0}}), got);
}

TEST(Codec, RejectsSyncWithBadPositions) {
  EXPECT_EQ(Code::kBadRequest, D({{"type", "sync"}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "sync"}, {"positions", Json::array({1})}}).status.code());
  EXPECT_EQ(Code::kBadRequest, D({{"type", "sync"}, {"positions", {{"lobby", 1}}}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "sync"}, {"positions", {{"#lobby", -1}}}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "sync"}, {"positions", {{"#lobby", "3"}}}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "sync"}, {"positions", {{"#lobby", 1.5}}}}).status.code());
}

TEST(Codec, RejectsSyncWithTooManyPositions) {
  CodecLimits lim;
  lim.max_list = 2;
  Json pos = {{"#a", 1}, {"#b", 1}, {"#c", 1}};
  EXPECT_EQ(Code::kBadRequest, D({{"type", "sync"}, {"positions", pos}}, lim).status.code());
  pos.erase("#c");
  EXPECT_TRUE(D({{"type", "sync"}, {"positions", pos}}, lim).status.ok());
}

TEST(Codec, DecodesTyping) {
  Decoded d = D({{"type", "typing"}, {"to", "#lobby"}, {"on", false}});
  EXPECT_DECODES(d, Op::kTyping);
  EXPECT_EQ("#lobby", d.request.as<Typing>().to);
  EXPECT_FALSE(d.request.as<Typing>().on);
  Decoded dflt = D({{"type", "typing"}, {"to", "@bob"}});
  EXPECT_DECODES(dflt, Op::kTyping);
  EXPECT_TRUE(dflt.request.as<Typing>().on);
}

TEST(Codec, DecodesPresenceSet) {
  Decoded d = D({{"type", "presence.set"}, {"status", "away"}, {"note", "lunch"}});
  EXPECT_DECODES(d, Op::kPresenceSet);
  EXPECT_EQ("away", d.request.as<PresenceSet>().status);
  ASSERT_TRUE(d.request.as<PresenceSet>().note.has_value());
  EXPECT_EQ("lunch", *d.request.as<PresenceSet>().note);
  Decoded busy = D({{"type", "presence.set"}, {"status", "busy"}});
  EXPECT_DECODES(busy, Op::kPresenceSet);
  EXPECT_FALSE(busy.request.as<PresenceSet>().note.has_value());
}

TEST(Codec, RejectsPresenceSetWithUnknownStatus) {
  for (const char* s : {"offline", "Online", "", "invisible"}) {
    EXPECT_EQ(Code::kBadRequest, D({{"type", "presence.set"}, {"status", s}}).status.code()) << s;
  }
}

TEST(Codec, DecodesPresenceGet) {
  Decoded d = D({{"type", "presence.get"}, {"users", {"alice", "bob"}}});
  EXPECT_DECODES(d, Op::kPresenceGet);
  EXPECT_EQ((std::vector<std::string>{"alice", "bob"}), d.request.as<PresenceGet>().users);
}

TEST(Codec, RejectsPresenceGetWithBadUsers) {
  EXPECT_EQ(Code::kBadRequest, D({{"type", "presence.get"}, {"users", "alice"}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "presence.get"}, {"users", {"alice", 3}}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "presence.get"}, {"users", {"alice", "no spaces"}}}).status.code());
  CodecLimits lim;
  lim.max_list = 2;
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "presence.get"}, {"users", {"a", "b", "c"}}}, lim).status.code());
}

TEST(Codec, DecodesSignal) {
  Decoded d = D({{"type", "signal"},
                 {"to", "@bob"},
                 {"call_id", "call-1"},
                 {"kind", "offer"},
                 {"payload", {{"sdp", "v=0"}}}});
  EXPECT_DECODES(d, Op::kSignal);
  const auto& s = d.request.as<Signal>();
  EXPECT_EQ("bob", s.to_user);
  EXPECT_EQ("call-1", s.call_id);
  EXPECT_EQ("offer", s.kind);
  EXPECT_EQ((Json{{"sdp", "v=0"}}), s.payload);
}

TEST(Codec, SignalNeedsPayloadExceptForHangup) {
  EXPECT_EQ(
      Code::kBadRequest,
      D({{"type", "signal"}, {"to", "@bob"}, {"call_id", "c"}, {"kind", "ice"}}).status.code());
  Decoded hangup = D({{"type", "signal"}, {"to", "@bob"}, {"call_id", "c"}, {"kind", "hangup"}});
  EXPECT_DECODES(hangup, Op::kSignal);
  EXPECT_EQ("bob", hangup.request.as<Signal>().to_user);
  EXPECT_EQ(
      Code::kBadRequest,
      D({{"type", "signal"}, {"to", "@bob"}, {"call_id", "c"}, {"kind", "ring"}, {"payload", 1}})
          .status.code());
  EXPECT_EQ(
      Code::kBadRequest,
      D({{"type", "signal"}, {"to", "#room"}, {"call_id", "c"}, {"kind", "hangup"}}).status.code());
}

TEST(Codec, SignalPayloadOverTheLimitIsTooLarge) {
  CodecLimits lim;
  lim.max_payload_bytes = 32;
  Json frame = {{"type", "signal"},
                {"to", "@bob"},
                {"call_id", "c"},
                {"kind", "offer"},
                {"payload", std::string(64, 'x')}};
  EXPECT_EQ(Code::kTooLarge, D(frame, lim).status.code());
}

TEST(Codec, DecodesFileBegin) {
  Decoded d = D({{"type", "file.begin"},
                 {"to", "@bob"},
                 {"name", "report v2.pdf"},
                 {"mime", "application/pdf"},
                 {"size", 123456}});
  EXPECT_DECODES(d, Op::kFileBegin);
  const auto& b = d.request.as<FileBegin>();
  EXPECT_EQ("@bob", b.to);
  EXPECT_EQ("report v2.pdf", b.name);
  EXPECT_EQ("application/pdf", b.mime);
  EXPECT_EQ(123456, b.size);
}

TEST(Codec, AcceptsMimeTypesWithParametersAndAnyCase) {
  for (const char* mime :
       {"text/plain; charset=utf-8", "Image/PNG", "text/plain;charset=UTF-8",
        "multipart/mixed; boundary=\"a b;c\"", "a/b; x=\"q\\\"\"", "application/vnd.api+json"}) {
    Decoded d =
        D({{"type", "file.begin"}, {"to", "#lobby"}, {"name", "a"}, {"mime", mime}, {"size", 1}});
    EXPECT_DECODES(d, Op::kFileBegin);
    EXPECT_EQ(mime, d.request.as<FileBegin>().mime);
  }
  EXPECT_EQ("text/plain", MimeEssence("Text/Plain; charset=utf-8"));
  EXPECT_EQ("image/png", MimeEssence("image/PNG"));
  EXPECT_EQ("a/b", MimeEssence("a/b ;x=y"));
}

TEST(Codec, RejectsFileBeginWithBadMime) {
  for (const char* mime :
       {"", "text", "/plain", "text/", "text/plain/x", "text/pl ain", "text/plain ", " text/plain",
        "text/plain;", "text/plain; charset", "text/plain; charset=", "text/plain; a=\"open",
        "text/plain; a=\"x\r\ny\"", "text/plain\r\nX-Evil: 1", "text/plain; a=b c",
        "t\xc3\xa9xt/plain"}) {
    Decoded d =
        D({{"type", "file.begin"}, {"to", "#lobby"}, {"name", "a"}, {"mime", mime}, {"size", 1}});
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << mime;
  }
}

TEST(Codec, RejectsFileNamesThatEscapeOrHoldControlCharacters) {
  const std::string names[] = {"..",    ".", "../etc/passwd",        "a/b",       "/abs",    "a\\b",
                               "..\\x", "",  std::string("a\0b", 3), "tab\there", "bell\x7f"};
  for (const auto& name : names) {
    Decoded d =
        D({{"type", "file.begin"}, {"to", "#lobby"}, {"name", name}, {"mime", "a/b"}, {"size", 1}});
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << "name: " << name;
  }
}

TEST(Codec, AcceptsFileNamesWithDotsInside) {
  for (const char* name : {"a..b", "...txt", "x.tar.gz"}) {
    Decoded d =
        D({{"type", "file.begin"}, {"to", "#lobby"}, {"name", name}, {"mime", "a/b"}, {"size", 1}});
    EXPECT_TRUE(d.status.ok()) << name << ": " << d.status.ToString();
  }
}

TEST(Codec, DecodesFileChunk) {
  Decoded d = D({{"type", "file.chunk"}, {"file_id", "f1"}, {"offset", 10}, {"data", "aGVsbG8="}});
  EXPECT_DECODES(d, Op::kFileChunk);
  const auto& c = d.request.as<FileChunk>();
  EXPECT_EQ("f1", c.file_id);
  EXPECT_EQ(10, c.offset);
  EXPECT_EQ("hello", c.data);
}

TEST(Codec, RejectsFileChunkWithBadBase64) {
  for (const char* data :
       {"aGVsbG8", "aGVs bG8=", "aGVsbG8=\n", "a!==", "aGVsbG9=", "====", "aGVsbG8-"}) {
    Decoded d = D({{"type", "file.chunk"}, {"file_id", "f1"}, {"offset", 0}, {"data", data}});
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << data;
  }
}

TEST(Codec, RejectsFileChunkWithBadFileId) {
  for (const char* id : {"", "F1", "f-1", "../x"}) {
    Decoded d = D({{"type", "file.chunk"}, {"file_id", id}, {"offset", 0}, {"data", ""}});
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << id;
  }
}

TEST(Codec, FileChunkLargerThanMaxChunkBytesIsTooLarge) {
  CodecLimits lim;
  lim.max_chunk_bytes = 6;
  // 6 bytes fit; 7 bytes ("aGVsbG8hIQ==" is "hello!!") do not.
  Decoded fits =
      D({{"type", "file.chunk"}, {"file_id", "f"}, {"offset", 0}, {"data", "aGVsbG8h"}}, lim);
  EXPECT_TRUE(fits.status.ok()) << fits.status.ToString();
  EXPECT_EQ("hello!", fits.request.as<FileChunk>().data);
  Decoded over =
      D({{"type", "file.chunk"}, {"file_id", "f"}, {"offset", 0}, {"data", "aGVsbG8hIQ=="}}, lim);
  EXPECT_EQ(Code::kTooLarge, over.status.code());
  // Far over: the base64 text itself is too long.
  Decoded far =
      D({{"type", "file.chunk"}, {"file_id", "f"}, {"offset", 0}, {"data", std::string(400, 'A')}},
        lim);
  EXPECT_EQ(Code::kTooLarge, far.status.code());
}

TEST(Codec, DecodesFileEndAndLowercasesSha) {
  Decoded d = D({{"type", "file.end"}, {"file_id", "f1"}, {"sha256", kSha}});
  EXPECT_DECODES(d, Op::kFileEnd);
  EXPECT_EQ("f1", d.request.as<FileEnd>().file_id);
  EXPECT_EQ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            d.request.as<FileEnd>().sha256);
}

TEST(Codec, RejectsSha256ThatIsNot64HexDigits) {
  const std::string bad[] = {"",
                             "abc",
                             kSha.substr(0, 62),
                             kSha.substr(0, 63),
                             kSha + "00",
                             kSha.substr(0, 63) + "g",
                             kSha.substr(0, 62) + " 0"};
  for (const auto& sha : bad) {
    Decoded d = D({{"type", "file.end"}, {"file_id", "f1"}, {"sha256", sha}});
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << sha;
  }
}

TEST(Codec, DecodesFileGet) {
  Decoded d = D({{"type", "file.get"}, {"file_id", "abc123"}, {"offset", 5}, {"binary", true}});
  EXPECT_DECODES(d, Op::kFileGet);
  const auto& g = d.request.as<FileGet>();
  EXPECT_EQ("abc123", g.file_id);
  EXPECT_EQ(5, g.offset);
  EXPECT_TRUE(g.binary);
  Decoded dflt = D({{"type", "file.get"}, {"file_id", "abc123"}});
  EXPECT_DECODES(dflt, Op::kFileGet);
  EXPECT_EQ(0, dflt.request.as<FileGet>().offset);
  EXPECT_FALSE(dflt.request.as<FileGet>().binary);
}

TEST(Codec, DecodesFollowStrippingAt) {
  Decoded d = D({{"type", "follow"}, {"user", "@bob"}});
  EXPECT_DECODES(d, Op::kFollow);
  EXPECT_EQ("bob", d.request.as<UserRef>().user);
  EXPECT_EQ(Code::kBadRequest, D({{"type", "follow"}, {"user", "@"}}).status.code());
}

TEST(Codec, DecodesUnfollow) {
  Decoded d = D({{"type", "unfollow"}, {"user", "bob"}});
  EXPECT_DECODES(d, Op::kUnfollow);
  EXPECT_EQ("bob", d.request.as<UserRef>().user);
}

TEST(Codec, DecodesMomentPost) {
  Decoded d = D({{"type", "moment.post"}, {"text", "sunset"}, {"file_ids", {"f1", "f2"}}});
  EXPECT_DECODES(d, Op::kMomentPost);
  EXPECT_EQ("sunset", d.request.as<MomentPost>().text);
  EXPECT_EQ((std::vector<std::string>{"f1", "f2"}), d.request.as<MomentPost>().file_ids);
}

TEST(Codec, RejectsMomentPostWithBadFileIdsOrNothing) {
  EXPECT_EQ(Code::kBadRequest, D({{"type", "moment.post"}, {"text", ""}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "moment.post"}, {"text", "x"}, {"file_ids", "f1"}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "moment.post"}, {"text", "x"}, {"file_ids", {"BAD!"}}}).status.code());
  Json many = Json::array();
  for (int i = 0; i < 17; ++i) many.push_back("f" + std::to_string(i));
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "moment.post"}, {"text", "x"}, {"file_ids", many}}).status.code());
}

TEST(Codec, DecodesMomentEditWithIdAsDigitString) {
  Decoded d = D({{"type", "moment.edit"}, {"moment_id", "12"}, {"text", "new"}});
  EXPECT_DECODES(d, Op::kMomentEdit);
  EXPECT_EQ(12, d.request.as<MomentEdit>().moment_id);
  EXPECT_EQ("new", d.request.as<MomentEdit>().text);
}

TEST(Codec, RejectsBadMomentIds) {
  for (const Json& id : {Json("0"), Json("-1"), Json("1x"), Json(""), Json("1234567890123456789"),
                         Json(0), Json(-3), Json(1.5), Json(true)}) {
    Decoded d = D({{"type", "moment.delete"}, {"moment_id", id}});
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << id.dump();
  }
}

TEST(Codec, DecodesMomentDelete) {
  Decoded d = D({{"type", "moment.delete"}, {"moment_id", 7}});
  EXPECT_DECODES(d, Op::kMomentDelete);
  EXPECT_EQ(7, d.request.as<MomentRef>().moment_id);
}

TEST(Codec, DecodesMomentLike) {
  Decoded d = D({{"type", "moment.like"}, {"moment_id", 7}, {"on", false}});
  EXPECT_DECODES(d, Op::kMomentLike);
  EXPECT_EQ(7, d.request.as<MomentLike>().moment_id);
  EXPECT_FALSE(d.request.as<MomentLike>().on);
}

TEST(Codec, DecodesMomentComment) {
  Decoded d = D({{"type", "moment.comment"}, {"moment_id", "9"}, {"text", "nice"}});
  EXPECT_DECODES(d, Op::kMomentComment);
  EXPECT_EQ(9, d.request.as<MomentComment>().moment_id);
  EXPECT_EQ("nice", d.request.as<MomentComment>().text);
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "moment.comment"}, {"moment_id", 9}, {"text", ""}}).status.code());
}

TEST(Codec, DecodesMomentFeed) {
  Decoded d = D({{"type", "moment.feed"}, {"before", 100}, {"limit", 500}});
  EXPECT_DECODES(d, Op::kMomentFeed);
  ASSERT_TRUE(d.request.as<MomentFeed>().before.has_value());
  EXPECT_EQ(100, *d.request.as<MomentFeed>().before);
  EXPECT_EQ(100, d.request.as<MomentFeed>().limit);  // clamped
  Decoded dflt = D({{"type", "moment.feed"}});
  EXPECT_DECODES(dflt, Op::kMomentFeed);
  EXPECT_EQ(20, dflt.request.as<MomentFeed>().limit);
  EXPECT_FALSE(dflt.request.as<MomentFeed>().before.has_value());
}

TEST(Codec, DecodesLiveStart) {
  Decoded d = D({{"type", "live.start"}, {"stream", "concert"}, {"title", "Live!"}});
  EXPECT_DECODES(d, Op::kLiveStart);
  EXPECT_EQ("concert", d.request.as<LiveStart>().stream);
  EXPECT_EQ("Live!", d.request.as<LiveStart>().title);
}

TEST(Codec, DecodesLiveEndJoinLeave) {
  for (Op op : {Op::kLiveEnd, Op::kLiveJoin, Op::kLiveLeave}) {
    Decoded d = D({{"type", OpName(op)}, {"stream", "concert"}});
    EXPECT_DECODES(d, op);
    EXPECT_EQ("concert", d.request.as<LiveRef>().stream);
    EXPECT_EQ(Code::kBadRequest, D({{"type", OpName(op)}, {"stream", "a b"}}).status.code());
  }
}

TEST(Codec, DecodesLiveChat) {
  Decoded d = D({{"type", "live.chat"}, {"stream", "concert"}, {"text", "wow"}});
  EXPECT_DECODES(d, Op::kLiveChat);
  EXPECT_EQ("concert", d.request.as<LiveChat>().stream);
  EXPECT_EQ("wow", d.request.as<LiveChat>().text);
}

TEST(Codec, DecodesLiveReact) {
  Decoded d = D({{"type", "live.react"}, {"stream", "concert"}, {"emoji", "fire"}});
  EXPECT_DECODES(d, Op::kLiveReact);
  EXPECT_EQ("concert", d.request.as<LiveReact>().stream);
  EXPECT_EQ("fire", d.request.as<LiveReact>().emoji);
}

// --- Envelope ---

TEST(Codec, RejectsNotJson) {
  for (const char* text : {"", "{", "hello", "{\"type\":\"ping\",}", "{'type':'ping'}",
                           "{\"type\":\"ping\"} trailing"}) {
    Decoded d = T(text);
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << text;
    EXPECT_FALSE(d.op_known) << text;
  }
}

TEST(Codec, RejectsNonObjectJson) {
  for (const char* text : {"[]", "[{\"type\":\"ping\"}]", "\"ping\"", "42", "null", "true"}) {
    Decoded d = T(text);
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << text;
    EXPECT_FALSE(d.op_known) << text;
  }
}

TEST(Codec, RejectsMissingType) {
  Decoded d = D({{"id", 1}, {"room", "lobby"}});
  EXPECT_EQ(Code::kBadRequest, d.status.code());
  EXPECT_FALSE(d.op_known);
  EXPECT_EQ(Json(1), d.request.id);
}

TEST(Codec, RejectsUnknownType) {
  Decoded d = D({{"type", "room.explode"}, {"id", "r1"}});
  EXPECT_EQ(Code::kBadRequest, d.status.code());
  EXPECT_FALSE(d.op_known);
  EXPECT_EQ(Json("r1"), d.request.id);
  EXPECT_EQ(Code::kBadRequest, D({{"type", "Ping"}}).status.code());
}

TEST(Codec, RejectsNonStringType) {
  for (const Json& type : {Json(5), Json(true), Json::array({"ping"}), Json(nullptr),
                           Json::object({{"op", "ping"}})}) {
    Decoded d = D({{"type", type}});
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << type.dump();
    EXPECT_FALSE(d.op_known);
  }
}

TEST(Codec, UnknownFieldsAreIgnored) {
  Decoded d = D({{"type", "room.leave"}, {"room", "lobby"}, {"future_field", {1, 2, 3}}});
  EXPECT_DECODES(d, Op::kRoomLeave);
}

TEST(Codec, IdMayBeStringOrNumberOrAbsent) {
  Decoded s = D({{"type", "ping"}, {"id", "abc"}});
  ASSERT_TRUE(s.status.ok());
  EXPECT_TRUE(s.request.has_id());
  EXPECT_EQ(Json("abc"), s.request.id);

  Decoded n = D({{"type", "ping"}, {"id", 42}});
  ASSERT_TRUE(n.status.ok());
  EXPECT_EQ(Json(42), n.request.id);

  Decoded none = D({{"type", "ping"}});
  ASSERT_TRUE(none.status.ok());
  EXPECT_FALSE(none.request.has_id());

  Decoded null_id = D({{"type", "ping"}, {"id", nullptr}});
  ASSERT_TRUE(null_id.status.ok());
  EXPECT_FALSE(null_id.request.has_id());
}

TEST(Codec, IdIsKeptWhenTheBodyIsInvalid) {
  Decoded d = D({{"type", "msg.send"}, {"id", "x1"}, {"to", "nowhere"}, {"text", "hi"}});
  EXPECT_EQ(Code::kBadRequest, d.status.code());
  EXPECT_TRUE(d.op_known);
  EXPECT_EQ(Op::kMsgSend, d.request.op);
  EXPECT_EQ(Json("x1"), d.request.id);

  Decoded n = D({{"type", "room.join"}, {"id", 17}});
  EXPECT_EQ(Code::kBadRequest, n.status.code());
  EXPECT_EQ(Json(17), n.request.id);

  CodecLimits lim;
  lim.max_text_bytes = 3;
  Decoded big = D({{"type", "msg.send"}, {"id", 5}, {"to", "#a"}, {"text", "four"}}, lim);
  EXPECT_EQ(Code::kTooLarge, big.status.code());
  EXPECT_EQ(Json(5), big.request.id);
}

TEST(Codec, RejectsOversizedId) {
  CodecLimits lim;
  Decoded d = D({{"type", "ping"}, {"id", std::string(lim.max_id_bytes, 'x')}});
  EXPECT_EQ(Code::kBadRequest, d.status.code());
  // Still echoed in the error's `re`: a client waits for exactly one reply to it.
  EXPECT_EQ(Json(std::string(lim.max_id_bytes, 'x')), d.request.id);
  // Exactly at the limit, serialised (with its quotes): accepted.
  Decoded ok = D({{"type", "ping"}, {"id", std::string(lim.max_id_bytes - 2, 'x')}});
  EXPECT_TRUE(ok.status.ok()) << ok.status.ToString();
}

TEST(Codec, RejectsMissingRequiredFields) {
  const Json frames[] = {
      {{"type", "room.create"}},
      {{"type", "room.leave"}},
      {{"type", "room.members"}},
      {{"type", "msg.send"}, {"text", "hi"}},
      {{"type", "msg.edit"}, {"conv", "#a"}, {"text", "x"}},
      {{"type", "msg.edit"}, {"seq", 1}, {"text", "x"}},
      {{"type", "msg.edit"}, {"conv", "#a"}, {"seq", 1}},
      {{"type", "msg.delete"}, {"conv", "#a"}},
      {{"type", "msg.read"}, {"seq", 1}},
      {{"type", "msg.react"}, {"conv", "#a"}, {"seq", 1}},
      {{"type", "history"}},
      {{"type", "search"}},
      {{"type", "typing"}},
      {{"type", "presence.set"}},
      {{"type", "presence.get"}},
      {{"type", "signal"}, {"call_id", "c"}, {"kind", "hangup"}},
      {{"type", "signal"}, {"to", "@b"}, {"kind", "hangup"}},
      {{"type", "signal"}, {"to", "@b"}, {"call_id", "c"}},
      {{"type", "file.begin"}, {"to", "#a"}, {"name", "n"}, {"mime", "a/b"}},
      {{"type", "file.begin"}, {"to", "#a"}, {"name", "n"}, {"size", 1}},
      {{"type", "file.begin"}, {"to", "#a"}, {"mime", "a/b"}, {"size", 1}},
      {{"type", "file.begin"}, {"name", "n"}, {"mime", "a/b"}, {"size", 1}},
      {{"type", "file.chunk"}, {"file_id", "f"}, {"offset", 0}},
      {{"type", "file.chunk"}, {"file_id", "f"}, {"data", ""}},
      {{"type", "file.chunk"}, {"offset", 0}, {"data", ""}},
      {{"type", "file.end"}, {"file_id", "f"}},
      {{"type", "file.end"}, {"sha256", kSha}},
      {{"type", "file.get"}},
      {{"type", "follow"}},
      {{"type", "unfollow"}},
      {{"type", "moment.post"}},
      {{"type", "moment.edit"}, {"moment_id", 1}},
      {{"type", "moment.edit"}, {"text", "t"}},
      {{"type", "moment.delete"}},
      {{"type", "moment.like"}},
      {{"type", "moment.comment"}, {"moment_id", 1}},
      {{"type", "live.start"}},
      {{"type", "live.end"}},
      {{"type", "live.join"}},
      {{"type", "live.leave"}},
      {{"type", "live.chat"}, {"stream", "s"}},
      {{"type", "live.chat"}, {"text", "t"}},
      {{"type", "live.react"}, {"stream", "s"}},
  };
  for (const Json& frame : frames) {
    Decoded d = D(frame);
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << frame.dump();
    EXPECT_TRUE(d.op_known) << frame.dump();
  }
}

TEST(Codec, RejectsWrongFieldTypes) {
  const Json frames[] = {
      // number or bool where a string belongs
      {{"type", "room.create"}, {"room", 5}},
      {{"type", "room.create"}, {"room", "a"}, {"title", 1}},
      {{"type", "room.join"}, {"room", true}},
      {{"type", "msg.send"}, {"to", "#a"}, {"text", 42}},
      {{"type", "msg.send"}, {"to", "#a"}, {"text", Json::array({"hi"})}},
      {{"type", "msg.send"}, {"to", 1}, {"text", "hi"}},
      {{"type", "msg.send"}, {"to", "#a"}, {"text", "hi"}, {"temp_id", 7}},
      {{"type", "auth"}, {"token", 123}},
      {{"type", "search"}, {"query", false}},
      {{"type", "live.chat"}, {"stream", "s"}, {"text", {{"t", 1}}}},
      // string or bool where a number belongs
      {{"type", "msg.edit"}, {"conv", "#a"}, {"seq", "1"}, {"text", "x"}},
      {{"type", "msg.delete"}, {"conv", "#a"}, {"seq", true}},
      {{"type", "room.join"}, {"room", "a"}, {"since", "0"}},
      {{"type", "history"}, {"conv", "#a"}, {"limit", "10"}},
      {{"type", "file.begin"}, {"to", "#a"}, {"name", "n"}, {"mime", "a/b"}, {"size", "10"}},
      {{"type", "msg.send"}, {"to", "#a"}, {"text", "hi"}, {"reply_to", "2"}},
      // string or number where a bool belongs
      {{"type", "room.create"}, {"room", "a"}, {"private", "true"}},
      {{"type", "room.create"}, {"room", "a"}, {"e2e", 1}},
      {{"type", "typing"}, {"to", "#a"}, {"on", "false"}},
      {{"type", "msg.react"}, {"conv", "#a"}, {"seq", 1}, {"emoji", "x"}, {"on", 0}},
      {{"type", "file.get"}, {"file_id", "f"}, {"binary", "yes"}},
      // a conversation id that is not a string
      {{"type", "history"}, {"conv", Json::object({{"room", "a"}})}},
  };
  for (const Json& frame : frames) {
    Decoded d = D(frame);
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << frame.dump();
  }
}

TEST(Codec, RejectsInvalidNames) {
  const std::string bad[] = {"",
                             "a b",
                             "a/b",
                             "#lobby",
                             "@bob",
                             "caf\xC3\xA9",
                             "a,b",
                             "tab\t",
                             std::string("nul\0", 4),
                             std::string(65, 'a')};
  for (const auto& name : bad) {
    EXPECT_EQ(Code::kBadRequest, D({{"type", "room.create"}, {"room", name}}).status.code())
        << name;
    EXPECT_EQ(Code::kBadRequest, D({{"type", "auth"}, {"user", name}}).status.code()) << name;
    EXPECT_EQ(Code::kBadRequest, D({{"type", "live.join"}, {"stream", name}}).status.code())
        << name;
  }
}

TEST(Codec, AcceptsNamesAtTheLengthLimitAndEveryAllowedCharacter) {
  Decoded d64 = D({{"type", "room.create"}, {"room", std::string(64, 'z')}});
  EXPECT_TRUE(d64.status.ok()) << d64.status.ToString();
  Decoded chars = D({{"type", "room.create"}, {"room", "AZaz09_.-"}});
  EXPECT_TRUE(chars.status.ok()) << chars.status.ToString();
  EXPECT_EQ("AZaz09_.-", chars.request.as<RoomCreate>().room);
}

TEST(Codec, RejectsInvalidConvIds) {
  for (const char* conv : {"@bob,alice", "#", "@a", "@", "", "lobby", "@alice,", "@,bob",
                           "@alice,bob,carol", "#a b", "@alice bob", "##lobby", "@alice;bob"}) {
    Decoded d = D({{"type", "history"}, {"conv", conv}});
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << conv;
    Decoded m = D({{"type", "msg.read"}, {"conv", conv}, {"seq", 1}});
    EXPECT_EQ(Code::kBadRequest, m.status.code()) << conv;
  }
}

TEST(Codec, RejectsNegativeIntegers) {
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "msg.read"}, {"conv", "#a"}, {"seq", -1}}).status.code());
  EXPECT_EQ(
      Code::kBadRequest,
      D({{"type", "file.chunk"}, {"file_id", "f"}, {"offset", -5}, {"data", ""}}).status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "file.begin"}, {"to", "#a"}, {"name", "n"}, {"mime", "a/b"}, {"size", -1}})
                .status.code());
  EXPECT_EQ(Code::kBadRequest,
            D({{"type", "history"}, {"conv", "#a"}, {"after", -1}}).status.code());
}

TEST(Codec, RejectsFloatIntegers) {
  // As raw text, so the float spelling reaches the decoder exactly.
  for (const char* seq : {"1.5", "1.0", "1e3", "1e300", "-0.0"}) {
    std::string frame = std::string(R"({"type":"msg.read","conv":"#a","seq":)") + seq + "}";
    EXPECT_EQ(Code::kBadRequest, T(frame).status.code()) << frame;
  }
}

TEST(Codec, RejectsHugeIntegers) {
  for (const char* seq :
       {"18446744073709551615", "9223372036854775808", "100000000000000000000000000"}) {
    std::string frame = std::string(R"({"type":"msg.read","conv":"#a","seq":)") + seq + "}";
    Decoded d = T(frame);
    EXPECT_EQ(Code::kBadRequest, d.status.code()) << frame;
  }
}

TEST(Codec, AcceptsInt64Max) {
  Decoded d = T(R"({"type":"msg.read","conv":"#a","seq":9223372036854775807})");
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_EQ(INT64_MAX, d.request.as<MsgRef>().seq);
}

TEST(Codec, TextOverTheLimitIsTooLarge) {
  CodecLimits lim;
  lim.max_text_bytes = 10;
  std::string at_limit(10, 'x');
  std::string over(11, 'x');
  Decoded ok = D({{"type", "msg.send"}, {"to", "#a"}, {"text", at_limit}}, lim);
  EXPECT_TRUE(ok.status.ok()) << ok.status.ToString();
  EXPECT_EQ(Code::kTooLarge,
            D({{"type", "msg.send"}, {"to", "#a"}, {"text", over}}, lim).status.code());
  EXPECT_EQ(
      Code::kTooLarge,
      D({{"type", "msg.edit"}, {"conv", "#a"}, {"seq", 1}, {"text", over}}, lim).status.code());
  EXPECT_EQ(Code::kTooLarge,
            D({{"type", "live.chat"}, {"stream", "s"}, {"text", over}}, lim).status.code());
  EXPECT_EQ(Code::kTooLarge,
            D({{"type", "moment.comment"}, {"moment_id", 1}, {"text", over}}, lim).status.code());
  EXPECT_EQ(Code::kTooLarge, D({{"type", "moment.post"}, {"text", over}}, lim).status.code());
}

TEST(Codec, TextLimitCountsBytesNotCharacters) {
  CodecLimits lim;
  lim.max_text_bytes = 4;
  // Two 2-byte characters fit; three do not.
  EXPECT_TRUE(
      D({{"type", "msg.send"}, {"to", "#a"}, {"text", "\xC3\xA9\xC3\xA9"}}, lim).status.ok());
  EXPECT_EQ(Code::kTooLarge,
            D({{"type", "msg.send"}, {"to", "#a"}, {"text", "\xC3\xA9\xC3\xA9\xC3\xA9"}}, lim)
                .status.code());
}

TEST(Codec, DefaultTextLimitIs4000Bytes) {
  EXPECT_TRUE(
      D({{"type", "msg.send"}, {"to", "#a"}, {"text", std::string(4000, 'x')}}).status.ok());
  EXPECT_EQ(
      Code::kTooLarge,
      D({{"type", "msg.send"}, {"to", "#a"}, {"text", std::string(4001, 'x')}}).status.code());
}

TEST(Codec, NulBytesInTextArePreserved) {
  Decoded d = T(R"({"type":"msg.send","to":"#a","text":"a\u0000b"})");
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_EQ(std::string("a\0b", 3), d.request.as<MsgSend>().text);
  EXPECT_EQ(3u, d.request.as<MsgSend>().text.size());
}

TEST(Codec, RejectsRawControlCharactersAndInvalidUtf8InStrings) {
  std::string raw_nul = R"({"type":"msg.send","to":"#a","text":"a)";
  raw_nul += '\0';
  raw_nul += R"(b"})";
  EXPECT_EQ(Code::kBadRequest, T(raw_nul).status.code());
  EXPECT_EQ(Code::kBadRequest,
            T("{\"type\":\"msg.send\",\"to\":\"#a\",\"text\":\"\xFF\xFE\"}").status.code());
}

TEST(Codec, RejectsNestingDeeperThanTheLimit) {
  CodecLimits lim;  // max_depth 16: the request object is level 1
  auto frame = [](size_t extra_levels) {
    std::string nest = std::string(extra_levels, '[') + std::string(extra_levels, ']');
    return R"({"type":"ping","x":)" + nest + "}";
  };
  Decoded at = T(frame(lim.max_depth - 1), lim);
  EXPECT_TRUE(at.status.ok()) << at.status.ToString();
  Decoded over = T(frame(lim.max_depth), lim);
  EXPECT_EQ(Code::kBadRequest, over.status.code());
  Decoded deep = T(frame(100000), lim);
  EXPECT_EQ(Code::kBadRequest, deep.status.code());
}

// The error for a frame nested too deep still carries `re`: the top-level id is read
// without building the tree, whatever the depth and wherever the id is.
TEST(Codec, RequestNestedTooDeepKeepsItsTopLevelId) {
  CodecLimits lim;
  std::string nest = std::string(100000, '[') + std::string(100000, ']');
  Decoded d = T(R"({"type":"ping","x":)" + nest + R"(,"id":"deep-1"})", lim);
  EXPECT_EQ(Code::kBadRequest, d.status.code());
  EXPECT_EQ(Json("deep-1"), d.request.id);
  d = T(R"({"id":7,"x":)" + nest + "}", lim);
  EXPECT_EQ(Json(7), d.request.id);
  // An "id" inside the nesting is not the request's.
  d = T(R"({"type":"ping","x":[{"id":"inner","y":)" + nest + "}]}", lim);
  EXPECT_TRUE(d.request.id.is_null()) << d.request.id.dump();
  // Nor is one of an object value, or one in a frame that is not JSON at all.
  d = T(R"({"id":{"a":)" + nest + "}}", lim);
  EXPECT_TRUE(d.request.id.is_null()) << d.request.id.dump();
  d = T(R"({"id":"x","x":)" + nest, lim);
  EXPECT_TRUE(d.request.id.is_null()) << d.request.id.dump();
  // An id over max_id_bytes is answered with its `re`, as in a frame of usual depth.
  d = T(R"({"id":")" + std::string(200, 'a') + R"(","x":)" + nest + "}", lim);
  EXPECT_EQ(Json(std::string(200, 'a')), d.request.id);
}

// --- JsonDepth ---

TEST(JsonDepth, CountsNestedBrackets) {
  EXPECT_EQ(0u, JsonDepth(""));
  EXPECT_EQ(0u, JsonDepth("42"));
  EXPECT_EQ(1u, JsonDepth("{}"));
  EXPECT_EQ(1u, JsonDepth("[1,2,3]"));
  EXPECT_EQ(3u, JsonDepth(R"({"a":[{"b":1}]})"));
  EXPECT_EQ(2u, JsonDepth(R"([[1],[2],[3]])"));
}

TEST(JsonDepth, IgnoresBracketsInsideStrings) {
  EXPECT_EQ(1u, JsonDepth(R"({"a":"[[[{{{"})"));
  EXPECT_EQ(1u, JsonDepth(R"({"a":"\"[[[\\"})"));
  EXPECT_EQ(2u, JsonDepth(R"({"a\\":[1]})"));
}

TEST(JsonDepth, UnbalancedClosersDoNotUnderflow) {
  EXPECT_EQ(1u, JsonDepth("]]]}}}{"));
  EXPECT_EQ(2u, JsonDepth("}}[[]]"));
}

// --- Binary frames ---

TEST(Codec, DecodesBinaryChunkWithRawBytes) {
  std::string data("\x00\x01\xFF\xFE binary \x80", 13);
  Decoded d = DecodeBinaryChunk(
      Binary(R"({"type":"file.chunk","id":3,"file_id":"f1","offset":10})", data), CodecLimits());
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_EQ(Op::kFileChunk, d.request.op);
  EXPECT_EQ(Json(3), d.request.id);
  const auto& c = d.request.as<FileChunk>();
  EXPECT_EQ("f1", c.file_id);
  EXPECT_EQ(10, c.offset);
  EXPECT_EQ(data, c.data);
}

TEST(Codec, BinaryChunkMayBeEmpty) {
  Decoded d = DecodeBinaryChunk(Binary(R"({"type":"file.chunk","file_id":"f1","offset":0})", ""),
                                CodecLimits());
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_EQ("", d.request.as<FileChunk>().data);
  EXPECT_FALSE(d.request.has_id());
}

TEST(Codec, BinaryHeaderLengthIsBigEndian) {
  // A header over 255 bytes needs both length bytes.
  std::string header =
      R"({"type":"file.chunk","file_id":"f1","offset":0,"pad":")" + std::string(300, 'p') + "\"}";
  ASSERT_GT(header.size(), 255u);
  std::string frame = Binary(header, "DATA");
  Decoded d = DecodeBinaryChunk(frame, CodecLimits());
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_EQ("DATA", d.request.as<FileChunk>().data);
}

TEST(Codec, BinaryHeaderDataFieldIsReplacedByTheRawBytes) {
  Decoded d = DecodeBinaryChunk(
      Binary(R"({"type":"file.chunk","file_id":"f1","offset":0,"data":"aGVsbG8="})", "raw"),
      CodecLimits());
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_EQ("raw", d.request.as<FileChunk>().data);
}

TEST(Codec, RejectsShortBinaryFrames) {
  EXPECT_EQ(Code::kBadRequest, DecodeBinaryChunk("", CodecLimits()).status.code());
  EXPECT_EQ(Code::kBadRequest,
            DecodeBinaryChunk(std::string(1, '\0'), CodecLimits()).status.code());
  EXPECT_EQ(Code::kBadRequest,
            DecodeBinaryChunk(std::string("\0\0", 2), CodecLimits()).status.code());
}

TEST(Codec, RejectsBinaryHeaderLengthPastTheEnd) {
  std::string header = R"({"type":"file.chunk","file_id":"f1","offset":0})";
  std::string frame = Binary(header, "");
  frame[1] = static_cast<char>(frame[1] + 1);  // one byte longer than what follows
  EXPECT_EQ(Code::kBadRequest, DecodeBinaryChunk(frame, CodecLimits()).status.code());
  std::string huge = std::string("\xFF\xFF", 2) + header;
  EXPECT_EQ(Code::kBadRequest, DecodeBinaryChunk(huge, CodecLimits()).status.code());
}

TEST(Codec, RejectsBinaryHeaderThatIsNotFileChunk) {
  Decoded d =
      DecodeBinaryChunk(Binary(R"({"type":"msg.send","id":9,"to":"#a"})", "x"), CodecLimits());
  EXPECT_EQ(Code::kBadRequest, d.status.code());
  EXPECT_EQ(Json(9), d.request.id) << "the error can still carry re";
  Decoded no_type = DecodeBinaryChunk(Binary(R"({"file_id":"f1","offset":0})", "x"), CodecLimits());
  EXPECT_EQ(Code::kBadRequest, no_type.status.code());
}

TEST(Codec, RejectsBinaryHeaderThatIsNotJson) {
  EXPECT_EQ(Code::kBadRequest,
            DecodeBinaryChunk(Binary("not json at all", "x"), CodecLimits()).status.code());
  EXPECT_EQ(Code::kBadRequest,
            DecodeBinaryChunk(Binary(R"(["file.chunk"])", "x"), CodecLimits()).status.code());
  // Header cut short: the length covers only part of the JSON.
  std::string header = R"({"type":"file.chunk","file_id":"f1","offset":0})";
  std::string frame = Binary(header.substr(0, 20), header.substr(20));
  EXPECT_EQ(Code::kBadRequest, DecodeBinaryChunk(frame, CodecLimits()).status.code());
}

TEST(Codec, RejectsBinaryChunkWithInvalidHeaderFieldsKeepingId) {
  Decoded d = DecodeBinaryChunk(Binary(R"({"type":"file.chunk","id":"c1","file_id":"BAD/ID",)"
                                       R"("offset":0})",
                                       "x"),
                                CodecLimits());
  EXPECT_EQ(Code::kBadRequest, d.status.code());
  EXPECT_EQ(Json("c1"), d.request.id);
  Decoded neg = DecodeBinaryChunk(
      Binary(R"({"type":"file.chunk","file_id":"f1","offset":-1})", "x"), CodecLimits());
  EXPECT_EQ(Code::kBadRequest, neg.status.code());
}

TEST(Codec, BinaryChunkLargerThanMaxChunkBytesIsTooLarge) {
  CodecLimits lim;
  lim.max_chunk_bytes = 4;
  std::string header = R"({"type":"file.chunk","id":11,"file_id":"f1","offset":0})";
  Decoded fits = DecodeBinaryChunk(Binary(header, "1234"), lim);
  EXPECT_TRUE(fits.status.ok()) << fits.status.ToString();
  Decoded over = DecodeBinaryChunk(Binary(header, "12345"), lim);
  EXPECT_EQ(Code::kTooLarge, over.status.code());
}

// PROTOCOL.md: a request that carries an `id` gets exactly one reply, matched by `re`. A
// binary chunk refused as too large must still let the error carry the client's id.
TEST(Codec, BinaryChunkTooLargeKeepsId) {
  CodecLimits lim;
  lim.max_chunk_bytes = 4;
  std::string header = R"({"type":"file.chunk","id":11,"file_id":"f1","offset":0})";
  Decoded over = DecodeBinaryChunk(Binary(header, "12345"), lim);
  EXPECT_EQ(Code::kTooLarge, over.status.code());
  EXPECT_EQ(Json(11), over.request.id);
}

TEST(Codec, RejectsBinaryHeaderNestedTooDeep) {
  CodecLimits lim;
  std::string header = R"({"type":"file.chunk","file_id":"f1","offset":0,"x":)" +
                       std::string(lim.max_depth, '[') + std::string(lim.max_depth, ']') + "}";
  EXPECT_EQ(Code::kBadRequest, DecodeBinaryChunk(Binary(header, "x"), lim).status.code());
}

}  // namespace
}  // namespace smartlink::protocol
