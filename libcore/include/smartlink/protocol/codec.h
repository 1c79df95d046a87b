#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "smartlink/protocol/names.h"
#include "smartlink/protocol/types.h"
#include "smartlink/util/status.h"

// Decoding and validation of client requests (PROTOCOL.md's "Envelope" and every section's
// requests). Pure: no I/O. Every rule a request can break is checked here, so handlers see
// only well-formed values.
namespace smartlink::protocol {

enum class Op {
  kAuth,
  kPing,
  kRoomCreate,
  kRoomJoin,
  kRoomLeave,
  kRoomMembers,
  kRoomList,
  kMsgSend,
  kMsgEdit,
  kMsgDelete,
  kMsgRead,
  kMsgReact,
  kHistory,
  kConvs,
  kSearch,
  kSync,
  kTyping,
  kPresenceSet,
  kPresenceGet,
  kSignal,
  kFileBegin,
  kFileChunk,
  kFileEnd,
  kFileGet,
  kFollow,
  kUnfollow,
  kMomentPost,
  kMomentEdit,
  kMomentDelete,
  kMomentLike,
  kMomentComment,
  kMomentFeed,
  kLiveStart,
  kLiveEnd,
  kLiveJoin,
  kLiveLeave,
  kLiveChat,
  kLiveReact,
};

// The wire name of an op ("room.join") and the reverse lookup.
const char* OpName(Op op);
std::optional<Op> OpFromName(std::string_view name);
constexpr int kOpCount = static_cast<int>(Op::kLiveReact) + 1;

// Limits the decoder enforces. The server fills them from its configuration.
struct CodecLimits {
  size_t max_text_bytes = 4000;      // msg.send / msg.edit / live.chat / comments
  size_t max_depth = 16;             // JSON nesting
  size_t max_id_bytes = 128;         // the request `id`, serialised
  size_t max_chunk_bytes = 262144;   // decoded file.chunk data
  size_t max_payload_bytes = 65536;  // signal payload, serialised
  size_t max_list = 1000;            // presence.get users, sync positions, file_ids
};

struct Auth {
  std::string token;  // a JWT, or
  std::string user;   // open mode
};
struct Empty {};  // ping, room.list, convs
struct RoomCreate {
  std::string room, title, topic, password;
  bool is_private = false;
  bool e2e = false;
};
struct RoomJoin {
  std::string room;  // or
  std::string join_key;
  std::string password;
  std::optional<int64_t> since;
};
struct RoomRef {  // room.leave, room.members
  std::string room;
};
struct MsgSend {
  std::string to;  // "#room" or "@user" (resolved against the sender later)
  std::string text;
  std::string temp_id;
  std::optional<int64_t> reply_to;
  std::string file_id;
};
struct MsgRef {  // msg.delete, msg.read
  ConvId conv;
  int64_t seq = 0;
};
struct MsgEdit {
  ConvId conv;
  int64_t seq = 0;
  std::string text;
};
struct MsgReact {
  ConvId conv;
  int64_t seq = 0;
  std::string emoji;
  bool on = true;
};
struct History {
  ConvId conv;
  std::optional<int64_t> before, after;
  int limit = 50;
};
struct Search {
  std::string query;
  std::optional<ConvId> conv;
  int limit = 20;
};
struct Sync {
  std::vector<std::pair<ConvId, int64_t>> positions;
};
struct Typing {
  std::string to;
  bool on = true;
};
struct PresenceSet {
  std::string status;  // online / away / busy
  std::optional<std::string> note;
};
struct PresenceGet {
  std::vector<std::string> users;
};
struct Signal {
  std::string to_user;  // without '@'
  std::string call_id;
  std::string kind;  // offer / answer / ice / hangup
  Json payload;
};
struct FileBegin {
  std::string to, name, mime;
  int64_t size = 0;
  std::string file_id;  // set: resume this upload (the other fields are then optional)
};
struct FileChunk {
  std::string file_id;
  int64_t offset = 0;
  std::string data;  // decoded bytes
};
struct FileEnd {
  std::string file_id;
  std::string sha256;  // lower-case hex
};
struct FileGet {
  std::string file_id;
  int64_t offset = 0;
  bool binary = false;
};
struct UserRef {  // follow, unfollow
  std::string user;
};
struct MomentPost {
  std::string text;
  std::vector<std::string> file_ids;
};
struct MomentEdit {
  int64_t moment_id = 0;
  std::string text;
};
struct MomentRef {  // moment.delete
  int64_t moment_id = 0;
};
struct MomentLike {
  int64_t moment_id = 0;
  bool on = true;
};
struct MomentComment {
  int64_t moment_id = 0;
  std::string text;
};
struct MomentFeed {
  std::optional<int64_t> before;  // a moment_id
  int limit = 20;
};
struct LiveStart {
  std::string stream, title;
};
struct LiveRef {  // live.end, live.join, live.leave
  std::string stream;
};
struct LiveChat {
  std::string stream, text;
};
struct LiveReact {
  std::string stream, emoji;
};

using Body =
    std::variant<Auth, Empty, RoomCreate, RoomJoin, RoomRef, MsgSend, MsgRef, MsgEdit, MsgReact,
                 History, Search, Sync, Typing, PresenceSet, PresenceGet, Signal, FileBegin,
                 FileChunk, FileEnd, FileGet, UserRef, MomentPost, MomentEdit, MomentRef,
                 MomentLike, MomentComment, MomentFeed, LiveStart, LiveRef, LiveChat, LiveReact>;

// A decoded request. `id` is null when the client sent none.
struct Request {
  Op op = Op::kPing;
  Json id;
  Body body;

  bool has_id() const { return !id.is_null(); }
  template <typename T>
  const T& as() const {
    return std::get<T>(body);
  }
};

// The outcome of decoding one text frame. When `status` is not ok, `request.id` still holds
// the client's id if it could be read, so the error can carry `re`; `request.op` is valid
// only when `op_known`.
struct Decoded {
  Status status;
  Request request;
  bool op_known = false;
};

Decoded DecodeRequest(std::string_view frame, const CodecLimits& limits);

// Decodes the JSON header of a binary file.chunk frame (2-byte big-endian length H, H bytes
// of JSON, then raw bytes). On success `request.body` is a FileChunk holding the raw bytes.
Decoded DecodeBinaryChunk(std::string_view frame, const CodecLimits& limits);

// Nesting depth of a JSON text (brackets outside strings), without parsing it.
size_t JsonDepth(std::string_view text);

}  // namespace smartlink::protocol
