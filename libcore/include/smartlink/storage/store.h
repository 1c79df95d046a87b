#pragma once

#include <atomic>
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

// A file attached to a conversation; its bytes live on disk under their SHA-256.
struct FileRecord {
  std::string file_id;
  std::string conv;
  std::string uploader;
  std::string name;
  std::string mime;
  int64_t size = 0;
  std::string sha256;  // lower-case hex
  int64_t created_ts = 0;
  int64_t expires_ts = 0;  // 0: never
};

struct CommentRecord {
  int64_t comment_id = 0;
  std::string user;
  std::string text;
  int64_t ts = 0;
};

// A moment as a viewer sees it.
struct MomentRecord {
  int64_t moment_id = 0;
  std::string author;
  std::string text;
  std::vector<std::string> file_ids;
  int64_t ts = 0;
  std::optional<int64_t> edited_ts;
  int64_t likes = 0;
  bool liked = false;                   // by the viewer
  std::vector<CommentRecord> comments;  // oldest first
};

// The outcome of a like or a comment: the moment's author (to notify), whether a like
// changed anything, and a new comment's id.
struct MomentTouch {
  std::string author;
  bool changed = false;
  int64_t comment_id = 0;
};

struct NotificationRecord {
  int64_t id = 0;
  std::string user;
  std::string kind;  // mention, like, comment, follow, app
  std::string title;
  std::string body;
  std::string data_json;  // a JSON object, or empty
  int64_t ts = 0;
};

// Counts for GET /api/v1/stats: one user's (user set) or the server's (user empty).
struct Stats {
  int64_t messages = 0;       // sent by the user / stored in all
  int64_t conversations = 0;  // the user's / all with messages
  int64_t rooms = 0;
  int64_t files = 0;
  int64_t moments = 0;
  int64_t users = 0;  // server only: distinct members
};

// A storage backend. An instance is one connection: use it from one thread at a time.
// Writes happen between Begin() and Commit(). Logical refusals come back as Forbidden,
// NotFound, ...; failures of the storage itself (disk full, locked, I/O) as Unavailable or
// Internal, after which the caller must Rollback() the transaction.
class Store {
 public:
  virtual ~Store() = default;

  virtual Status Begin() = 0;
  // A transaction whose Commit need not wait for the disk: a crash of the machine may lose
  // it, never corrupt it, and the next Begin()-Commit() makes it durable with its own. For
  // work that is redone when lost, such as the full-text index.
  virtual Status BeginLazy() { return Begin(); }
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

  // --- files ---
  virtual Status InsertFile(const FileRecord& f) = 0;
  virtual Status DeleteFile(std::string_view file_id) = 0;

  // --- follows, moments, notifications ---
  virtual Status SetFollow(std::string_view follower, std::string_view followee, bool on,
                           int64_t ts) = 0;
  virtual Result<int64_t> InsertMoment(std::string_view author, std::string_view text,
                                       const std::vector<std::string>& file_ids, int64_t ts) = 0;
  // Only the author edits or deletes (Forbidden); NotFound for a missing or deleted moment.
  virtual Status EditMoment(int64_t id, std::string_view author, std::string_view text,
                            int64_t ts) = 0;
  virtual Status DeleteMoment(int64_t id, std::string_view author) = 0;
  // Likes and comments need the moment to be visible to the user (their own, or by someone
  // they follow): Forbidden otherwise, NotFound for a missing or deleted moment.
  virtual Result<MomentTouch> LikeMoment(int64_t id, std::string_view user, bool on,
                                         int64_t ts) = 0;
  virtual Result<MomentTouch> AddComment(int64_t id, std::string_view user, std::string_view text,
                                         int64_t ts) = 0;
  // Stores a notification; `delivered` when it already went to a live session.
  virtual Result<int64_t> InsertNotification(const NotificationRecord& n, bool delivered) = 0;
  // Marks the user's notifications up to `upto_id` delivered.
  virtual Status MarkDelivered(std::string_view user, int64_t upto_id) = 0;
  // Everyone with a notification not yet delivered (read once, at start-up).
  virtual Result<std::vector<std::string>> UsersWithPendingNotifications() = 0;

  // --- reads ---
  virtual Result<std::vector<RoomRecord>> LoadRooms() = 0;
  virtual Result<std::vector<MemberRecord>> LoadMembers() = 0;
  // The last seq of every conversation that has messages.
  virtual Result<std::vector<ConvRecord>> LoadConvs() = 0;
  // Oldest first. With neither bound, the latest `limit` messages; with `after`, the first
  // `limit` after it; with only `before`, the latest `limit` before it.
  virtual Result<std::vector<Message>> History(std::string_view conv, std::optional<int64_t> before,
                                               std::optional<int64_t> after, int limit) = 0;
  // Adds up to `limit` stored messages that are not in the full-text index yet to it, oldest
  // first; true while more remain. A write: messages are indexed in batches, apart from the
  // transaction that stores them, so that each acknowledged commit stays small. Each call
  // adds to the merging of index segments owed (MergeIndex).
  virtual Result<bool> IndexMessages(int64_t limit) = 0;
  // A write: does up to `pages` pages of the merging of full-text index segments that the
  // IndexMessages calls on this connection have made owing, and returns how many pages are
  // still owed (0: none). Apart from IndexMessages so that a caller can spread the work over
  // short transactions.
  virtual Result<int64_t> MergeIndex(int64_t pages) = 0;
  // Full-text search over the conversations `user` belongs to (or just `conv`), newest first,
  // leaving out e2e rooms and deleted messages. It sees the messages IndexMessages has indexed.
  virtual Result<std::vector<Message>> Search(std::string_view user, std::string_view query,
                                              std::string_view conv, int limit) = 0;
  virtual Result<std::vector<ConvSummary>> Convs(std::string_view user) = 0;
  virtual Result<FileRecord> GetFile(std::string_view file_id) = 0;
  // Files whose expiry is at or before `now`, at most `limit`.
  virtual Result<std::vector<FileRecord>> ExpiredFiles(int64_t now, int limit) = 0;
  // How many file records share the bytes with this hash.
  virtual Result<int64_t> CountFilesWithHash(std::string_view sha256) = 0;
  // (follower, followee) pairs.
  virtual Result<std::vector<std::pair<std::string, std::string>>> LoadFollows() = 0;
  // A moment as `viewer` sees it (likes, liked, comments). NotFound if missing or deleted.
  virtual Result<MomentRecord> GetMoment(int64_t id, std::string_view viewer) = 0;
  // Moments of the people `viewer` follows and the viewer's own, newest first, with ids
  // below `before`.
  virtual Result<std::vector<MomentRecord>> Feed(std::string_view viewer,
                                                 std::optional<int64_t> before, int limit) = 0;
  // Whether the file is attached to a moment `viewer` may see.
  virtual Result<bool> FileInVisibleMoment(std::string_view file_id, std::string_view viewer) = 0;
  // Undelivered notifications of `user`, oldest first.
  virtual Result<std::vector<NotificationRecord>> PendingNotifications(std::string_view user,
                                                                       int limit) = 0;
  virtual Result<Stats> GetStats(std::string_view user) = 0;
  // A quick health probe (a trivial query).
  virtual Status Ping() = 0;
  // PRAGMA integrity_check (or the backend's equivalent): ok or the problems found.
  virtual Status IntegrityCheck() = 0;
};

// What the checkpoint thread of a SQLite writer did (SqliteOptions::checkpoint_in_background).
struct CheckpointStats {
  std::atomic<uint64_t> background{0};  // checkpoints run by the thread
  std::atomic<uint64_t> in_commit{0};   // run inside a commit, so that the WAL starts over
  std::atomic<uint64_t> failed{0};      // errors other than "busy"
  std::atomic<int64_t> wal_frames{0};   // frames (pages) in the WAL at the last commit
};

struct SqliteOptions {
  // "full": fsync at every commit (acknowledged messages survive power loss);
  // "normal": survive a crash of the process but maybe not of the machine; "off": tests only.
  std::string synchronous = "full";
  int busy_timeout_ms = 2000;
  // For the connection that writes: checkpoint the WAL on a thread of its own, with a
  // connection of its own, whenever `checkpoint_pages` more pages wait to be copied, instead
  // of inside the commit that took the WAL past that (SQLite's way): copying the WAL into
  // the database and its fsync then delay no commit. The WAL starts over only once all of
  // it is copied, which a thread racing a stream of commits seldom sees: once the WAL is
  // `wal_restart_pages` long, a commit that finds little left to copy copies it (a short
  // checkpoint, but one that syncs the WAL and the database: a few milliseconds that the
  // commit waits for), and at twice that one copies whatever is left (if the thread is not
  // copying just then), as SQLite would. A longer WAL makes those commits rarer and the
  // file bigger: it can reach twice `wal_restart_pages` pages. Each at most 1,048,576 and
  // 16,777,216 pages. Ignored for ":memory:".
  bool checkpoint_in_background = false;
  int checkpoint_pages = 1000;                  // SQLite's default wal_autocheckpoint
  int wal_restart_pages = 0;                    // 0: 4 times checkpoint_pages
  CheckpointStats* checkpoint_stats = nullptr;  // optional; must outlive the store
};

// Opens (creating if needed) the SQLite database at `path` and applies schema migrations.
// ":memory:" gives a private in-memory database.
Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path, const SqliteOptions& opts);

}  // namespace smartlink::storage
