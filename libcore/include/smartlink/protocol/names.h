#pragma once

#include <optional>
#include <string>
#include <string_view>

// Names as PROTOCOL.md defines them: user ids, room names, conversation ids and send targets.
namespace smartlink::protocol {

constexpr size_t kMaxNameLength = 64;

// 1 to 64 characters of A-Z a-z 0-9 _ . -
bool IsValidName(std::string_view name);
inline bool IsValidUserId(std::string_view id) { return IsValidName(id); }
inline bool IsValidRoomName(std::string_view room) { return IsValidName(room); }

// The sender of what the application's backend publishes without a `from`
// (POST /api/v1/publish). No client signs in under it, by token or in open mode: it would
// read and write the direct conversations the backend starts with every user.
constexpr std::string_view kSystemUser = "system";
inline bool IsReservedUserId(std::string_view id) { return id == kSystemUser; }

// A file name as a client gives it: 1 to 255 bytes, not "." or "..", no '/', '\\', NUL or
// other control characters. It is only ever shown, never used as a path.
bool IsValidFileName(std::string_view name);

// A media type as RFC 9110 (section 8.3.1) writes it: type "/" subtype, then parameters
// ("; charset=utf-8"), each name=token or name="quoted string"; no control characters.
bool IsValidMime(std::string_view mime);
// The type/subtype of a valid media type, lowercased and without its parameters: what is
// compared against --file-types ("Text/Plain; charset=utf-8" is "text/plain").
std::string MimeEssence(std::string_view mime);

// A conversation: a room ("#lobby") or a direct conversation ("@alice,bob", ids sorted).
struct ConvId {
  enum class Kind { kRoom, kDirect };
  Kind kind;
  std::string room;    // kRoom
  std::string user_a;  // kDirect: user_a <= user_b
  std::string user_b;

  bool is_room() const { return kind == Kind::kRoom; }
  std::string str() const;
  // The other party of a direct conversation, seen from `me`.
  const std::string& Peer(std::string_view me) const { return me == user_a ? user_b : user_a; }
  bool HasUser(std::string_view u) const { return u == user_a || u == user_b; }
};

// Parses "#room" or "@a,b" (strict: the ids must be sorted and valid).
std::optional<ConvId> ParseConv(std::string_view s);

// The direct conversation between two users.
ConvId DirectConv(std::string_view a, std::string_view b);
std::string DirectConvId(std::string_view a, std::string_view b);
inline std::string RoomConvId(std::string_view room) { return "#" + std::string(room); }

// Parses a send target, "#room" or "@user", into the conversation it addresses as seen by
// `sender`.
std::optional<ConvId> ParseTarget(std::string_view to, std::string_view sender);

}  // namespace smartlink::protocol
