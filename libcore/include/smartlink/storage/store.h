#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smartlink/protocol/types.h"
#include "smartlink/util/status.h"

// The storage interface. slserver talks only to Store, so a PostgreSQL backend can sit beside
// SqliteStore without touching the server.
namespace smartlink::storage {

using protocol::FileRef;
using protocol::Message;

struct RoomRecord {
  std::string name;  // without '#'
  std::string title, topic;
  std::string password_hash;  // empty: no password (crypto::HashPassword format)
  std::string join_key;
  std::string owner;
  bool is_private = false;
  bool e2e = false;
  int64_t created_ts = 0;
};

struct MemberRecord {
  std::string conv;  // "#room" or "@a,b"
  std::string user;
  std::string role;  // "owner" or "member"
  int64_t read_seq = 0;
};

struct ConvRecord {
  std::string conv;
  int64_t last_seq = 0;
};

struct NewMessage {
  std::string conv;
  std::string msg_id;
  std::string from;
  std::string text;
  int64_t ts = 0;
  std::string temp_id;
  std::optional<int64_t> reply_to;
  std::optional<FileRef> file;
};

// The result of appending: the stored message, or the earlier one with the same temp_id.
struct Appended {
  Message message;
  bool duplicate = false;
};

struct ConvSummary {
  std::string conv;
  int64_t last_seq = 0;
  int64_t read_seq = 0;
  int64_t unread = 0;  // messages after read_seq from others, not deleted
  std::optional<Message> last;
};

// A storage backend. An instance is one connection: use it from one thread at a time.
// Writes happen between Begin() and Commit(). Logical refusals come back as Forbidden,
// NotFound, ...; failures of the storage itself (disk full, locked, I/O) as Unavailable or
// Internal, after which the caller must Rollback() the transaction.
class Store {
 public:
  virtual ~Store() = default;

  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  // --- writes (inside a transaction) ---
  // Conflict if a room with that name exists.
  virtual Status CreateRoom(const RoomRecord& room) = 0;
  // Adds the user; a no-op if already a member.
  virtual Status AddMember(std::string_view conv, std::string_view user, std::string_view role,
                           int64_t ts) = 0;
  virtual Status RemoveMember(std::string_view conv, std::string_view user) = 0;
  // Assigns the next seq of the conversation, or returns the earlier message when the same
  // sender already stored `temp_id` in this conversation.
  virtual Result<Appended> AppendMessage(const NewMessage& m) = 0;
  // Only the author may edit (Forbidden otherwise); NotFound for a missing or deleted message.
  virtual Status EditMessage(std::string_view conv, int64_t seq, std::string_view editor,
                             std::string_view text, int64_t ts) = 0;
  // The author, or anyone when `moderator` is true, may delete.
  virtual Status DeleteMessage(std::string_view conv, int64_t seq, std::string_view user,
                               bool moderator) = 0;
  // Moves the read position forward (never back). Returns the position now stored.
  virtual Result<int64_t> MarkRead(std::string_view conv, std::string_view user, int64_t seq) = 0;
  // NotFound if the message does not exist or is deleted.
  virtual Status React(std::string_view conv, int64_t seq, std::string_view user,
                       std::string_view emoji, bool on, int64_t ts) = 0;

  // --- reads ---
  virtual Result<std::vector<RoomRecord>> LoadRooms() = 0;
  virtual Result<std::vector<MemberRecord>> LoadMembers() = 0;
  // The last seq of every conversation that has messages.
  virtual Result<std::vector<ConvRecord>> LoadConvs() = 0;
  // Oldest first. With neither bound, the latest `limit` messages; with `after`, the first
  // `limit` after it; with only `before`, the latest `limit` before it.
  virtual Result<std::vector<Message>> History(std::string_view conv, std::optional<int64_t> before,
                                               std::optional<int64_t> after, int limit) = 0;
  // Full-text search over the conversations `user` belongs to (or just `conv`), newest first,
  // leaving out e2e rooms and deleted messages.
  virtual Result<std::vector<Message>> Search(std::string_view user, std::string_view query,
                                              std::string_view conv, int limit) = 0;
  virtual Result<std::vector<ConvSummary>> Convs(std::string_view user) = 0;
  // A quick health probe (a trivial query).
  virtual Status Ping() = 0;
  // PRAGMA integrity_check (or the backend's equivalent): ok or the problems found.
  virtual Status IntegrityCheck() = 0;
};

struct SqliteOptions {
  // "full": fsync at every commit (acknowledged messages survive power loss);
  // "normal": survive a crash of the process but maybe not of the machine; "off": tests only.
  std::string synchronous = "full";
  int busy_timeout_ms = 2000;
};

// Opens (creating if needed) the SQLite database at `path` and applies schema migrations.
// ":memory:" gives a private in-memory database.
Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path, const SqliteOptions& opts);

}  // namespace smartlink::storage
