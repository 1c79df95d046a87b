#include "smartlink/protocol/codec.h"

#include <array>
#include <cctype>
#include <limits>

#include "smartlink/util/crypto.h"

namespace smartlink::protocol {
namespace {

constexpr std::array<const char*, kOpCount> kOpNames = {
    "auth",           "ping",        "room.create", "room.join",   "room.leave",    "room.members",
    "room.list",      "msg.send",    "msg.edit",    "msg.delete",  "msg.read",      "msg.react",
    "history",        "convs",       "search",      "sync",        "typing",        "presence.set",
    "presence.get",   "signal",      "file.begin",  "file.chunk",  "file.end",      "file.get",
    "follow",         "unfollow",    "moment.post", "moment.edit", "moment.delete", "moment.like",
    "moment.comment", "moment.feed", "live.start",  "live.end",    "live.join",     "live.leave",
    "live.chat",      "live.react",
};

constexpr size_t kMaxTitle = 256;
constexpr size_t kMaxPassword = 256;
constexpr size_t kMaxKey = 128;
constexpr size_t kMaxTempId = 64;
constexpr size_t kMaxEmoji = 32;
constexpr size_t kMaxQuery = 256;
constexpr size_t kMaxNote = 256;
constexpr size_t kMaxCallId = 128;
constexpr size_t kMaxFileName = 255;
constexpr size_t kMaxMime = 127;
constexpr int kMaxHistoryLimit = 200;
constexpr int kMaxSearchLimit = 100;
constexpr int kMaxFeedLimit = 100;

// Fields reads typed, validated fields out of a request object. The first failure sticks in
// status(); later reads are no-ops, so decoders read straight through and check once.
class Fields {
 public:
  Fields(const Json& obj, const CodecLimits& limits) : obj_(obj), limits_(limits) {}

  const Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }

  // A string of at most `max` bytes. Required unless `optional`.
  bool Str(const char* name, std::string* out, size_t max, bool optional = false,
           Code too_long = Code::kBadRequest) {
    const Json* v = Find(name, optional);
    if (!v) return false;
    if (!v->is_string()) return Bad(name, "must be a string");
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() > max) {
      return Fail(Status(too_long, std::string("field '") + name + "' is longer than " +
                                       std::to_string(max) + " bytes"));
    }
    *out = s;
    return true;
  }
  bool NonEmpty(const char* name, std::string* out, size_t max, bool optional = false) {
    if (!Str(name, out, max, optional)) return false;
    if (out->empty()) return Bad(name, "must not be empty");
    return true;
  }
  // Message-like text: over the limit is too_large, not bad_request.
  bool Text(const char* name, std::string* out, bool optional = false) {
    return Str(name, out, limits_.max_text_bytes, optional, Code::kTooLarge);
  }
  bool Name(const char* name, std::string* out, bool optional = false) {
    if (!Str(name, out, kMaxNameLength + 1, optional)) return false;
    if (!IsValidName(*out)) return Bad(name, "must be 1-64 characters of A-Z a-z 0-9 _ . -");
    return true;
  }
  bool Conv(const char* name, ConvId* out, bool optional = false) {
    std::string s;
    if (!Str(name, &s, 2 * kMaxNameLength + 2, optional)) return false;
    auto c = ParseConv(s);
    if (!c) return Bad(name, "must be a conversation id (#room or @alice,bob)");
    *out = std::move(*c);
    return true;
  }
  bool Target(const char* name, std::string* out) {
    if (!Str(name, out, 2 * kMaxNameLength + 2)) return false;
    bool ok = out->size() >= 2 && ((*out)[0] == '#' || (*out)[0] == '@');
    if (ok) {
      std::string_view rest = std::string_view(*out).substr(1);
      ok =
          (*out)[0] == '#' ? IsValidName(rest) : (IsValidName(rest) || ParseConv(*out).has_value());
    }
    if (!ok) return Bad(name, "must be #room or @user");
    return true;
  }
  // An integer in [min, INT64_MAX].
  bool Int(const char* name, int64_t* out, int64_t min, bool optional = false) {
    const Json* v = Find(name, optional);
    if (!v) return false;
    int64_t x = 0;
    if (v->is_number_unsigned()) {
      uint64_t u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Bad(name, "is out of range");
      }
      x = static_cast<int64_t>(u);
    } else if (v->is_number_integer()) {
      x = v->get<int64_t>();
    } else {
      return Bad(name, "must be an integer");
    }
    if (x < min) return Bad(name, "must be at least " + std::to_string(min));
    *out = x;
    return true;
  }
  bool OptInt(const char* name, std::optional<int64_t>* out, int64_t min) {
    int64_t x;
    if (!Int(name, &x, min, true)) return false;
    *out = x;
    return true;
  }
  // An id that clients may send as a number or as a string of digits.
  bool Id(const char* name, int64_t* out) {
    const Json* v = Find(name, false);
    if (!v) return false;
    if (v->is_string()) {
      const auto& s = v->get_ref<const std::string&>();
      int64_t x = 0;
      bool ok = !s.empty() && s.size() <= 18;
      for (char c : s) ok = ok && c >= '0' && c <= '9' && ((x = x * 10 + (c - '0')), true);
      if (!ok || x < 1) return Bad(name, "must be a positive integer");
      *out = x;
      return true;
    }
    return Int(name, out, 1);
  }
  bool Bool(const char* name, bool* out, bool optional = false) {
    const Json* v = Find(name, optional);
    if (!v) return false;
    if (!v->is_boolean()) return Bad(name, "must be true or false");
    *out = v->get<bool>();
    return true;
  }
  bool Limit(const char* name, int* out, int max) {
    int64_t x;
    if (!Int(name, &x, 1, true)) return false;
    *out = static_cast<int>(x > max ? max : x);
    return true;
  }
  bool OneOf(const char* name, std::string* out, std::initializer_list<const char*> allowed) {
    if (!Str(name, out, 32)) return false;
    for (const char* a : allowed) {
      if (*out == a) return true;
    }
    std::string list;
    for (const char* a : allowed) list += list.empty() ? a : std::string(", ") + a;
    return Bad(name, "must be one of " + list);
  }
  const Json* Raw(const char* name, bool optional) { return Find(name, optional); }

  bool Bad(const char* name, const std::string& why) {
    return Fail(Status::BadRequest(std::string("field '") + name + "' " + why));
  }
  bool Fail(Status s) {
    if (status_.ok()) status_ = std::move(s);
    return false;
  }

 private:
  const Json* Find(const char* name, bool optional) {
    if (!status_.ok()) return nullptr;
    auto it = obj_.find(name);
    if (it == obj_.end() || it->is_null()) {
      if (!optional) Fail(Status::BadRequest(std::string("missing field '") + name + "'"));
      return nullptr;
    }
    return &*it;
  }

  const Json& obj_;
  const CodecLimits& limits_;
  Status status_;
};

bool IsFileId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

Status DecodeBody(Op op, const Json& obj, const CodecLimits& lim, Body* body) {
  Fields f(obj, lim);
  switch (op) {
    case Op::kAuth: {
      Auth a;
      f.Str("token", &a.token, 8192, true);
      f.Name("user", &a.user, true);
      if (f.ok() && IsReservedUserId(a.user)) {
        f.Bad("user", "is reserved for the server's own messages");
      }
      if (f.ok() && a.token.empty() && a.user.empty()) {
        f.Fail(Status::BadRequest("auth needs 'token' (or 'user' on an open-auth server)"));
      }
      *body = std::move(a);
      break;
    }
    case Op::kPing:
    case Op::kRoomList:
    case Op::kConvs:
      *body = Empty{};
      break;
    case Op::kRoomCreate: {
      RoomCreate r;
      f.Name("room", &r.room);
      f.Str("title", &r.title, kMaxTitle, true);
      f.Str("topic", &r.topic, kMaxTitle, true);
      f.Str("password", &r.password, kMaxPassword, true);
      f.Bool("private", &r.is_private, true);
      f.Bool("e2e", &r.e2e, true);
      *body = std::move(r);
      break;
    }
    case Op::kRoomJoin: {
      RoomJoin r;
      f.Name("room", &r.room, true);
      f.NonEmpty("join_key", &r.join_key, kMaxKey, true);
      f.Str("password", &r.password, kMaxPassword, true);
      f.OptInt("since", &r.since, 0);
      if (f.ok() && r.room.empty() && r.join_key.empty()) {
        f.Fail(Status::BadRequest("room.join needs 'room' or 'join_key'"));
      }
      *body = std::move(r);
      break;
    }
    case Op::kRoomLeave:
    case Op::kRoomMembers: {
      RoomRef r;
      f.Name("room", &r.room);
      *body = std::move(r);
      break;
    }
    case Op::kMsgSend: {
      MsgSend m;
      f.Target("to", &m.to);
      f.Text("text", &m.text, true);
      f.NonEmpty("temp_id", &m.temp_id, kMaxTempId, true);
      f.OptInt("reply_to", &m.reply_to, 1);
      f.NonEmpty("file_id", &m.file_id, 64, true);
      if (f.ok() && !f.Raw("text", true) && m.file_id.empty()) f.Bad("text", "is missing");
      if (f.ok() && m.text.empty() && m.file_id.empty()) f.Bad("text", "must not be empty");
      *body = std::move(m);
      break;
    }
    case Op::kMsgEdit: {
      MsgEdit m;
      f.Conv("conv", &m.conv);
      f.Int("seq", &m.seq, 1);
      f.Text("text", &m.text);
      if (f.ok() && m.text.empty()) f.Bad("text", "must not be empty");
      *body = std::move(m);
      break;
    }
    case Op::kMsgDelete:
    case Op::kMsgRead: {
      MsgRef m;
      f.Conv("conv", &m.conv);
      f.Int("seq", &m.seq, op == Op::kMsgRead ? 0 : 1);
      *body = std::move(m);
      break;
    }
    case Op::kMsgReact: {
      MsgReact m;
      f.Conv("conv", &m.conv);
      f.Int("seq", &m.seq, 1);
      f.NonEmpty("emoji", &m.emoji, kMaxEmoji);
      f.Bool("on", &m.on, true);
      *body = std::move(m);
      break;
    }
    case Op::kHistory: {
      History h;
      f.Conv("conv", &h.conv);
      f.OptInt("before", &h.before, 1);
      f.OptInt("after", &h.after, 0);
      f.Limit("limit", &h.limit, kMaxHistoryLimit);
      *body = std::move(h);
      break;
    }
    case Op::kSearch: {
      Search s;
      f.NonEmpty("query", &s.query, kMaxQuery);
      ConvId c;
      if (f.Conv("conv", &c, true)) s.conv = std::move(c);
      f.Limit("limit", &s.limit, kMaxSearchLimit);
      *body = std::move(s);
      break;
    }
    case Op::kSync: {
      Sync s;
      const Json* p = f.Raw("positions", false);
      if (p && !p->is_object()) f.Bad("positions", "must be an object of conv: seq");
      if (p && f.ok() && p->size() > lim.max_list) f.Bad("positions", "has too many entries");
      if (p && f.ok()) {
        for (auto it = p->begin(); it != p->end() && f.ok(); ++it) {
          auto conv = ParseConv(it.key());
          if (!conv) {
            f.Bad("positions", "has an invalid conversation id");
            break;
          }
          Json one = {{"seq", it.value()}};
          Fields inner(one, lim);
          int64_t seq = 0;
          if (!inner.Int("seq", &seq, 0)) {
            f.Bad("positions", "must map each conversation to a seq of 0 or more");
            break;
          }
          s.positions.emplace_back(std::move(*conv), seq);
        }
      }
      *body = std::move(s);
      break;
    }
    case Op::kTyping: {
      Typing t;
      f.Target("to", &t.to);
      f.Bool("on", &t.on, true);
      *body = std::move(t);
      break;
    }
    case Op::kPresenceSet: {
      PresenceSet p;
      f.OneOf("status", &p.status, {"online", "away", "busy"});
      std::string note;
      if (f.Str("note", &note, kMaxNote, true)) p.note = std::move(note);
      *body = std::move(p);
      break;
    }
    case Op::kPresenceGet: {
      PresenceGet p;
      const Json* u = f.Raw("users", false);
      if (u && (!u->is_array() || u->size() > lim.max_list)) {
        f.Bad("users", "must be an array of at most " + std::to_string(lim.max_list) + " ids");
      }
      if (u && f.ok()) {
        for (const auto& x : *u) {
          if (!x.is_string() || !IsValidUserId(x.get_ref<const std::string&>())) {
            f.Bad("users", "must hold valid user ids");
            break;
          }
          p.users.push_back(x.get<std::string>());
        }
      }
      *body = std::move(p);
      break;
    }
    case Op::kSignal: {
      Signal s;
      std::string to;
      if (f.Str("to", &to, kMaxNameLength + 1)) {
        std::string_view u = to;
        if (!u.empty() && u[0] == '@') u.remove_prefix(1);
        if (!IsValidUserId(u)) f.Bad("to", "must be @user");
        s.to_user = std::string(u);
      }
      f.NonEmpty("call_id", &s.call_id, kMaxCallId);
      f.OneOf("kind", &s.kind, {"offer", "answer", "ice", "hangup"});
      if (const Json* p = f.Raw("payload", s.kind == "hangup")) {
        if (p->dump().size() > lim.max_payload_bytes) {
          f.Fail(Status::TooLarge("signal payload is too large"));
        }
        s.payload = *p;
      }
      *body = std::move(s);
      break;
    }
    case Op::kFileBegin: {
      FileBegin b;
      if (f.Str("file_id", &b.file_id, 64, true) && !IsFileId(b.file_id)) {
        f.Bad("file_id", "is invalid");
      }
      bool resume = !b.file_id.empty();
      if (!resume || f.Raw("to", true)) f.Target("to", &b.to);
      if (f.NonEmpty("name", &b.name, kMaxFileName, resume) && !IsValidFileName(b.name)) {
        f.Bad("name", "must not be . or .. or hold slashes or control characters");
      }
      if (f.Str("mime", &b.mime, kMaxMime, resume) && !IsValidMime(b.mime)) {
        f.Bad("mime", "must be a MIME type such as text/plain");
      }
      f.Int("size", &b.size, 0, resume);
      *body = std::move(b);
      break;
    }
    case Op::kFileChunk: {
      FileChunk c;
      if (f.Str("file_id", &c.file_id, 64) && !IsFileId(c.file_id)) f.Bad("file_id", "is invalid");
      f.Int("offset", &c.offset, 0);
      std::string b64;
      if (f.Str("data", &b64, lim.max_chunk_bytes / 3 * 4 + 8, false, Code::kTooLarge)) {
        auto raw = crypto::Base64Decode(b64);
        if (!raw) {
          f.Bad("data", "is not valid base64");
        } else if (raw->size() > lim.max_chunk_bytes) {
          f.Fail(Status::TooLarge("chunk is larger than chunk_size"));
        } else {
          c.data = std::move(*raw);
        }
      }
      *body = std::move(c);
      break;
    }
    case Op::kFileEnd: {
      FileEnd e;
      if (f.Str("file_id", &e.file_id, 64) && !IsFileId(e.file_id)) f.Bad("file_id", "is invalid");
      if (f.Str("sha256", &e.sha256, 64)) {
        auto raw = crypto::Unhex(e.sha256);
        if (!raw || raw->size() != 32) f.Bad("sha256", "must be 64 hex digits");
        for (char& ch : e.sha256)
          ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
      *body = std::move(e);
      break;
    }
    case Op::kFileGet: {
      FileGet g;
      if (f.Str("file_id", &g.file_id, 64) && !IsFileId(g.file_id)) f.Bad("file_id", "is invalid");
      f.Int("offset", &g.offset, 0, true);
      f.Bool("binary", &g.binary, true);
      *body = std::move(g);
      break;
    }
    case Op::kFollow:
    case Op::kUnfollow: {
      UserRef u;
      std::string s;
      if (f.Str("user", &s, kMaxNameLength + 1)) {
        if (!s.empty() && s[0] == '@') s.erase(0, 1);
        if (!IsValidUserId(s)) f.Bad("user", "must be a valid user id");
        u.user = std::move(s);
      }
      *body = std::move(u);
      break;
    }
    case Op::kMomentPost: {
      MomentPost m;
      f.Text("text", &m.text);
      if (const Json* ids = f.Raw("file_ids", true)) {
        if (!ids->is_array() || ids->size() > 16) {
          f.Bad("file_ids", "must be an array of at most 16 file ids");
        } else {
          for (const auto& x : *ids) {
            if (!x.is_string() || !IsFileId(x.get_ref<const std::string&>())) {
              f.Bad("file_ids", "must hold file ids");
              break;
            }
            m.file_ids.push_back(x.get<std::string>());
          }
        }
      }
      if (f.ok() && m.text.empty() && m.file_ids.empty()) f.Bad("text", "must not be empty");
      *body = std::move(m);
      break;
    }
    case Op::kMomentEdit: {
      MomentEdit m;
      f.Id("moment_id", &m.moment_id);
      f.Text("text", &m.text);
      *body = std::move(m);
      break;
    }
    case Op::kMomentDelete: {
      MomentRef m;
      f.Id("moment_id", &m.moment_id);
      *body = std::move(m);
      break;
    }
    case Op::kMomentLike: {
      MomentLike m;
      f.Id("moment_id", &m.moment_id);
      f.Bool("on", &m.on, true);
      *body = std::move(m);
      break;
    }
    case Op::kMomentComment: {
      MomentComment m;
      f.Id("moment_id", &m.moment_id);
      f.Text("text", &m.text);
      if (f.ok() && m.text.empty()) f.Bad("text", "must not be empty");
      *body = std::move(m);
      break;
    }
    case Op::kMomentFeed: {
      MomentFeed m;
      f.OptInt("before", &m.before, 1);
      f.Limit("limit", &m.limit, kMaxFeedLimit);
      *body = std::move(m);
      break;
    }
    case Op::kLiveStart: {
      LiveStart l;
      f.Name("stream", &l.stream);
      f.Str("title", &l.title, kMaxTitle, true);
      *body = std::move(l);
      break;
    }
    case Op::kLiveEnd:
    case Op::kLiveJoin:
    case Op::kLiveLeave: {
      LiveRef l;
      f.Name("stream", &l.stream);
      *body = std::move(l);
      break;
    }
    case Op::kLiveChat: {
      LiveChat l;
      f.Name("stream", &l.stream);
      f.Text("text", &l.text);
      if (f.ok() && l.text.empty()) f.Bad("text", "must not be empty");
      *body = std::move(l);
      break;
    }
    case Op::kLiveReact: {
      LiveReact l;
      f.Name("stream", &l.stream);
      f.NonEmpty("emoji", &l.emoji, kMaxEmoji);
      *body = std::move(l);
      break;
    }
  }
  return f.status();
}

// Parses the envelope (`type`, `id`) and then the body.
Decoded DecodeObject(Json& obj, const CodecLimits& limits) {
  Decoded d;
  if (!obj.is_object()) {
    d.status = Status::BadRequest("a request must be a JSON object");
    return d;
  }
  if (auto id = obj.find("id"); id != obj.end() && !id->is_null()) {
    d.request.id = std::move(*id);
    if (d.request.id.dump().size() > limits.max_id_bytes) {
      // Refused, but answered with its `re` like any other bad request (a client waits for
      // exactly one reply to a request with an id); it is held no longer than that reply.
      d.status =
          Status::BadRequest("id is longer than " + std::to_string(limits.max_id_bytes) + " bytes");
      return d;
    }
  }
  auto type = obj.find("type");
  if (type == obj.end() || !type->is_string()) {
    d.status = Status::BadRequest("missing field 'type'");
    return d;
  }
  auto op = OpFromName(type->get_ref<const std::string&>());
  if (!op) {
    std::string name = type->get<std::string>().substr(0, 40);
    d.status = Status::BadRequest("unknown type '" + name + "'");
    return d;
  }
  d.op_known = true;
  d.request.op = *op;
  d.status = DecodeBody(*op, obj, limits, &d.request.body);
  return d;
}

}  // namespace

const char* OpName(Op op) { return kOpNames[static_cast<size_t>(op)]; }

std::optional<Op> OpFromName(std::string_view name) {
  for (size_t i = 0; i < kOpNames.size(); ++i) {
    if (name == kOpNames[i]) return static_cast<Op>(i);
  }
  return std::nullopt;
}

size_t JsonDepth(std::string_view text) {
  size_t depth = 0, max = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max) max = depth;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return max;
}

namespace {

// Reads the top-level "id" of a frame nested too deeply to be parsed into a tree, so that
// its error can still carry `re`. SAX builds no tree, and nlohmann's parser keeps its own
// stack rather than recursing, so any depth is safe. An id that is an object or an array is
// not kept.
class TopLevelId final : public nlohmann::json_sax<Json> {
 public:
  Json id;

  bool null() override { return Value(Json()); }
  bool boolean(bool v) override { return Value(v); }
  bool number_integer(number_integer_t v) override { return Value(v); }
  bool number_unsigned(number_unsigned_t v) override { return Value(v); }
  bool number_float(number_float_t v, const string_t&) override { return Value(v); }
  bool string(string_t& v) override { return Value(v); }
  bool binary(binary_t&) override { return Value(Json()); }
  bool start_object(std::size_t) override { return Open(); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(); }
  bool end_array() override { return Close(); }
  bool key(string_t& k) override {
    id_next_ = depth_ == 1 && k == "id";
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Value(Json v) {
    if (id_next_) id = std::move(v);
    id_next_ = false;
    return true;
  }
  bool Open() {
    id_next_ = false;
    ++depth_;
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }

  size_t depth_ = 0;
  bool id_next_ = false;
};

}  // namespace

Decoded DecodeRequest(std::string_view frame, const CodecLimits& limits) {
  if (JsonDepth(frame) > limits.max_depth) {
    Decoded d;
    d.status = Status::BadRequest("JSON nested deeper than " + std::to_string(limits.max_depth));
    TopLevelId sax;
    if (Json::sax_parse(frame, &sax)) d.request.id = std::move(sax.id);
    return d;
  }
  Json obj = Json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded()) {
    Decoded d;
    d.status = Status::BadRequest("malformed JSON");
    return d;
  }
  return DecodeObject(obj, limits);
}

Decoded DecodeBinaryChunk(std::string_view frame, const CodecLimits& limits) {
  Decoded d;
  if (frame.size() < 2) {
    d.status = Status::BadRequest("binary frame shorter than its header length");
    return d;
  }
  size_t h = static_cast<size_t>(static_cast<unsigned char>(frame[0])) << 8 |
             static_cast<unsigned char>(frame[1]);
  if (h == 0 || frame.size() < 2 + h) {
    d.status = Status::BadRequest("binary frame header length is out of bounds");
    return d;
  }
  std::string_view header = frame.substr(2, h);
  std::string_view data = frame.substr(2 + h);
  if (JsonDepth(header) > limits.max_depth) {
    d.status = Status::BadRequest("binary header nested too deep");
    return d;
  }
  Json obj = Json::parse(header, nullptr, false);
  if (obj.is_discarded() || !obj.is_object()) {
    d.status = Status::BadRequest("binary frame header is not a JSON object");
    return d;
  }
  auto type = obj.find("type");
  if (type == obj.end() || *type != "file.chunk") {
    if (auto id = obj.find("id"); id != obj.end()) d.request.id = *id;
    d.status = Status::BadRequest("binary frames carry only file.chunk");
    return d;
  }
  obj["data"] = "";  // the bytes follow the header; validate the rest as usual
  d = DecodeObject(obj, limits);
  if (!d.status.ok()) return d;
  if (data.size() > limits.max_chunk_bytes) {  // checked after the id is read, for `re`
    d.status = Status::TooLarge("chunk is larger than chunk_size");
    return d;
  }
  std::get<FileChunk>(d.request.body).data = std::string(data);
  return d;
}

}  // namespace smartlink::protocol
