#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include "smartlink/storage/store.h"
#include "sqlite_internal.h"

namespace smartlink::storage {
namespace {

// Schema migrations, applied in order at start-up; PRAGMA user_version records how many ran.
// Never edit a migration that has shipped: add a new one.
const char* const kMigrations[] = {
    // 1: rooms, members, messages with full-text search, reactions.
    R"sql(
CREATE TABLE rooms (
  conv TEXT PRIMARY KEY,            -- '#' || name
  name TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  topic TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL DEFAULT '',
  join_key TEXT NOT NULL UNIQUE,
  private INTEGER NOT NULL DEFAULT 0,
  e2e INTEGER NOT NULL DEFAULT 0,
  owner TEXT NOT NULL,
  created_ts INTEGER NOT NULL
);
CREATE TABLE members (
  conv TEXT NOT NULL,
  user TEXT NOT NULL,
  role TEXT NOT NULL,
  joined_ts INTEGER NOT NULL,
  read_seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (conv, user)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members(user, conv);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  conv TEXT NOT NULL,
  seq INTEGER NOT NULL,
  msg_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  text TEXT NOT NULL,
  ts INTEGER NOT NULL,
  temp_id TEXT,
  reply_to INTEGER,
  file_id TEXT,
  file_name TEXT,
  file_mime TEXT,
  file_size INTEGER,
  edited_ts INTEGER,
  deleted INTEGER NOT NULL DEFAULT 0,
  UNIQUE (conv, seq)
);
CREATE UNIQUE INDEX messages_temp_id ON messages(conv, sender, temp_id) WHERE temp_id IS NOT NULL;
CREATE TABLE reactions (
  conv TEXT NOT NULL,
  seq INTEGER NOT NULL,
  user TEXT NOT NULL,
  emoji TEXT NOT NULL,
  ts INTEGER NOT NULL,
  PRIMARY KEY (conv, seq, emoji, user)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id');
CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;
)sql",
    // 2: files, follows, moments, notifications.
    R"sql(
CREATE TABLE files (
  file_id TEXT PRIMARY KEY,
  conv TEXT NOT NULL,
  uploader TEXT NOT NULL,
  name TEXT NOT NULL,
  mime TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  expires_ts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX files_by_hash ON files(sha256);
CREATE INDEX files_by_expiry ON files(expires_ts) WHERE expires_ts > 0;
CREATE TABLE follows (
  follower TEXT NOT NULL,
  followee TEXT NOT NULL,
  ts INTEGER NOT NULL,
  PRIMARY KEY (follower, followee)
) WITHOUT ROWID;
CREATE INDEX follows_by_followee ON follows(followee, follower);
CREATE TABLE moments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  author TEXT NOT NULL,
  text TEXT NOT NULL,
  file_ids TEXT NOT NULL DEFAULT '',  -- comma-separated
  ts INTEGER NOT NULL,
  edited_ts INTEGER,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX moments_by_author ON moments(author, id);
CREATE TABLE moment_likes (
  moment_id INTEGER NOT NULL,
  user TEXT NOT NULL,
  ts INTEGER NOT NULL,
  PRIMARY KEY (moment_id, user)
) WITHOUT ROWID;
CREATE TABLE moment_comments (
  id INTEGER PRIMARY KEY,
  moment_id INTEGER NOT NULL,
  user TEXT NOT NULL,
  text TEXT NOT NULL,
  ts INTEGER NOT NULL
);
CREATE INDEX comments_by_moment ON moment_comments(moment_id, id);
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  user TEXT NOT NULL,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '',
  ts INTEGER NOT NULL,
  delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_pending ON notifications(user, id) WHERE delivered = 0;
)sql",
    // 3: messages reach the full-text index in batches, outside the transaction that stores
    // them (IndexMessages); fts_progress.indexed_upto is the last message id indexed. Message
    // rows are never deleted (a deleted message keeps its row), so ids only grow and every id
    // above the mark is unindexed. An edit or delete touches the index only below the mark.
    R"sql(
DROP TRIGGER messages_ai;
DROP TRIGGER messages_ad;
DROP TRIGGER messages_au;
CREATE TABLE fts_progress (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_upto INTEGER NOT NULL
);
INSERT INTO fts_progress (id, indexed_upto) SELECT 1, COALESCE(MAX(id), 0) FROM messages;
CREATE TRIGGER messages_ad AFTER DELETE ON messages
WHEN old.id <= (SELECT indexed_upto FROM fts_progress) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages
WHEN old.id <= (SELECT indexed_upto FROM fts_progress) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;
)sql",
    // 4: FTS5 merges its index segments only when IndexMessages asks, a bounded amount each
    // time. Its own automerge does its work in lumps, once every 64 leaf pages written and
    // then as many pages again times the number of levels: a 35 ms index step now and then
    // while 3,000 messages a second came in, and every commit (and so every broadcast) waited
    // behind it (docs/benchmarks.md, fan-out).
    R"sql(
INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 0);
)sql",
};

// Pages of FTS5 segment merging each index step owes at least (IndexMessages), and the
// most a connection owes: past it, FTS5's crisis merge takes over.
constexpr int64_t kMinMergePages = 64;
constexpr int64_t kMaxMergeOwed = 1 << 16;

constexpr const char* kMessageColumns =
    "conv, seq, msg_id, sender, text, ts, temp_id, reply_to, file_id, file_name, file_mime, "
    "file_size, edited_ts, deleted";

// Checkpoints a database's WAL on its own thread and connection when the writer's commit
// hook (SqliteStore::OnWal) asks. A PASSIVE checkpoint copies committed pages into the
// database file and syncs it while the writer goes on appending to the WAL; the writer
// starts the WAL over at its next transaction once everything in it has been copied.
// Opens one connection (used by one thread at a time: no SQLite mutex).
Result<sqlite3*> OpenConnection(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqlError(db, rc, "open " + path);
    sqlite3_close_v2(db);
    return s;
  }
  return db;
}

class Checkpointer {
 public:
  static Result<std::unique_ptr<Checkpointer>> Start(const std::string& path,
                                                     const SqliteOptions& opts) {
    auto opened = OpenConnection(path, SQLITE_OPEN_READWRITE);
    if (!opened.ok()) return opened.status();
    sqlite3* db = *opened;
    sqlite3_busy_timeout(db, opts.busy_timeout_ms);
    // The checkpoint syncs the database file before the WAL can be started over: with
    // synchronous=off it would not, and a crash could lose what the WAL held.
    std::string sync = "PRAGMA synchronous=" + opts.synchronous + ";";
    int rc = sqlite3_exec(db, sync.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      Status s = SqlError(db, rc, "set up the checkpoint connection");
      sqlite3_close_v2(db);
      return s;
    }
    return std::unique_ptr<Checkpointer>(new Checkpointer(db, opts.checkpoint_stats));
  }

  ~Checkpointer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
    sqlite3_close_v2(db_);
  }

  // Asks for a checkpoint of WAL generation `generation` (SqliteStore counts the times the
  // WAL started over); the thread runs one when it is free. Cheap: called at commits.
  void Kick(uint32_t generation) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      generation_ = generation;
      if (kicked_) return;
      kicked_ = true;
      running_.store(true, std::memory_order_relaxed);
    }
    cv_.notify_one();
  }

  // Whether a checkpoint is asked for or running.
  bool running() const { return running_.load(std::memory_order_relaxed); }

  // Frames of the WAL the last checkpoint has copied into the database, if it was of WAL
  // generation `generation` (0 otherwise: the WAL has started over since).
  int Backfilled(uint32_t generation) const {
    uint64_t p = progress_.load(std::memory_order_acquire);
    return static_cast<uint32_t>(p >> 32) == generation ? static_cast<int>(p & 0xffffffffu) : 0;
  }

 private:
  Checkpointer(sqlite3* db, CheckpointStats* stats)
      : db_(db), stats_(stats), thread_([this] { Run(); }) {}

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return kicked_ || stop_; });
      if (stop_) return;
      kicked_ = false;
      uint32_t generation = generation_;
      lock.unlock();
      int log = 0;
      int copied = 0;
      int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
      if (rc == SQLITE_OK && copied > 0) {
        progress_.store((uint64_t{generation} << 32) | static_cast<uint32_t>(copied),
                        std::memory_order_release);
      }
      if (stats_) {
        if (rc == SQLITE_OK) {
          stats_->background.fetch_add(1, std::memory_order_relaxed);
        } else if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
          stats_->failed.fetch_add(1, std::memory_order_relaxed);
        }
      }
      lock.lock();
      if (!kicked_) running_.store(false, std::memory_order_relaxed);
    }
  }

  sqlite3* db_;
  CheckpointStats* stats_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool kicked_ = false;
  bool stop_ = false;
  uint32_t generation_ = 0;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> progress_{0};  // generation << 32 | frames copied
  std::thread thread_;                 // last: starts once the rest is set up
};

class SqliteStore final : public Store, private SqlConn {
 public:
  explicit SqliteStore(sqlite3* db) : SqlConn(db) {}
  ~SqliteStore() override {
    if (checkpointer_) sqlite3_wal_hook(db_, nullptr, nullptr);
  }

  Status Init(const std::string& path, const SqliteOptions& opts) {
    bool memory = path == ":memory:";
    sqlite3_busy_timeout(db_, opts.busy_timeout_ms);
    sqlite3_extended_result_codes(db_, 1);
    if (!memory) {
      if (Status s = ExecScript("PRAGMA journal_mode=WAL;"); !s.ok()) return s;
    }
    std::string sync = opts.synchronous;
    if (sync != "full" && sync != "normal" && sync != "off") {
      return Status::BadRequest("synchronous must be full, normal or off");
    }
    if (Status s = ExecScript("PRAGMA synchronous=" + sync + ";"); !s.ok()) return s;
    full_sync_ = sync == "full" && !memory;
    if (Status s = ExecScript("PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY;"); !s.ok()) {
      return s;
    }
    if (Status s = Migrate(); !s.ok()) return s;
    if (opts.checkpoint_in_background && !memory) {
      if (opts.checkpoint_pages < 1 || opts.checkpoint_pages > (1 << 20)) {
        return Status::BadRequest("checkpoint_pages must be 1 to 1048576");
      }
      if (opts.wal_restart_pages < 0 || opts.wal_restart_pages > (1 << 24)) {
        return Status::BadRequest("wal_restart_pages must be 0 (default) to 16777216");
      }
      auto c = Checkpointer::Start(path, opts);
      if (!c.ok()) return c.status();
      checkpointer_ = std::move(*c);
      checkpoint_pages_ = opts.checkpoint_pages;
      restart_pages_ =
          opts.wal_restart_pages > 0 ? opts.wal_restart_pages : 4 * opts.checkpoint_pages;
      checkpoint_stats_ = opts.checkpoint_stats;
      // Replaces SQLite's own hook (wal_autocheckpoint), which checkpoints in the commit.
      sqlite3_wal_hook(db_, &SqliteStore::OnWal, this);
    }
    return Status::Ok();
  }

  Status Begin() override {
    EndLazy();
    if (lazy_) return Status::Unavailable("storage: cannot set synchronous=full again");
    return ExecScript("BEGIN IMMEDIATE");
  }
  Status BeginLazy() override {
    // synchronous=normal for one transaction (it cannot change inside one): in WAL mode its
    // commit writes the WAL without an fsync, and the next full commit's fsync of the WAL
    // takes these pages with its own. A checkpoint syncs the WAL before copying from it, so a
    // crash loses at most this transaction, and SQLite documents WAL mode with
    // synchronous=normal as safe from corruption.
    if (full_sync_) {
      if (Status s = ExecScript("PRAGMA synchronous=NORMAL"); !s.ok()) return s;
      lazy_ = true;
    }
    Status s = ExecScript("BEGIN IMMEDIATE");
    if (!s.ok()) EndLazy();
    return s;
  }
  Status Commit() override {
    Status s = ExecScript("COMMIT");
    if (s.ok()) EndLazy();
    return s;
  }
  void Rollback() override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    EndLazy();
  }

  Status CreateRoom(const RoomRecord& r) override {
    Stmt q = Prepare(
        "INSERT OR IGNORE INTO rooms (conv, name, title, topic, password_hash, join_key, "
        "private, e2e, owner, created_ts) VALUES (?,?,?,?,?,?,?,?,?,?)");
    q.Bind("#" + r.name).Bind(r.name).Bind(r.title).Bind(r.topic).Bind(r.password_hash);
    q.Bind(r.join_key).Bind(r.is_private).Bind(r.e2e).Bind(r.owner).Bind(r.created_ts);
    if (q.Step() != SQLITE_DONE) return q.Error("create room");
    if (sqlite3_changes(db_) == 0) return Status::Conflict("room " + r.name + " exists");
    return AddMember("#" + r.name, r.owner, "owner", r.created_ts);
  }

  Status AddMember(std::string_view conv, std::string_view user, std::string_view role,
                   int64_t ts) override {
    Stmt q =
        Prepare("INSERT OR IGNORE INTO members (conv, user, role, joined_ts) VALUES (?,?,?,?)");
    q.Bind(conv).Bind(user).Bind(role).Bind(ts);
    if (q.Step() != SQLITE_DONE) return q.Error("add member");
    return Status::Ok();
  }

  Status RemoveMember(std::string_view conv, std::string_view user) override {
    Stmt q = Prepare("DELETE FROM members WHERE conv = ? AND user = ?");
    q.Bind(conv).Bind(user);
    if (q.Step() != SQLITE_DONE) return q.Error("remove member");
    return Status::Ok();
  }

  Result<Appended> AppendMessage(const NewMessage& m) override {
    if (!m.temp_id.empty()) {
      Stmt q = Prepare(std::string("SELECT ") + kMessageColumns +
                       " FROM messages WHERE conv = ? AND sender = ? AND temp_id = ?");
      q.Bind(m.conv).Bind(m.from).Bind(m.temp_id);
      int rc = q.Step();
      if (rc == SQLITE_ROW) return Appended{ReadMessage(q), true};
      if (rc != SQLITE_DONE) return q.Error("find temp_id");
    }
    int64_t seq = 0;
    {
      Stmt q = Prepare("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conv = ?");
      q.Bind(m.conv);
      if (q.Step() != SQLITE_ROW) return q.Error("last seq");
      seq = q.Int(0) + 1;
    }
    Stmt q = Prepare(std::string("INSERT INTO messages (") + kMessageColumns +
                     ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL,0)");
    q.Bind(m.conv).Bind(seq).Bind(m.msg_id).Bind(m.from).Bind(m.text).Bind(m.ts);
    q.BindNullIfEmpty(m.temp_id).Bind(m.reply_to);
    if (m.file) {
      q.Bind(m.file->file_id).Bind(m.file->name).Bind(m.file->mime).Bind(m.file->size);
    } else {
      q.Bind(std::optional<int64_t>()).Bind(std::optional<int64_t>());
      q.Bind(std::optional<int64_t>()).Bind(std::optional<int64_t>());
    }
    if (q.Step() != SQLITE_DONE) return q.Error("append message");
    Appended a;
    a.message.conv = m.conv;
    a.message.seq = seq;
    a.message.msg_id = m.msg_id;
    a.message.from = m.from;
    a.message.text = m.text;
    a.message.ts = m.ts;
    a.message.temp_id = m.temp_id;
    a.message.reply_to = m.reply_to;
    a.message.file = m.file;
    return a;
  }

  Status EditMessage(std::string_view conv, int64_t seq, std::string_view editor,
                     std::string_view text, int64_t ts) override {
    auto author = Author(conv, seq);
    if (!author.ok()) return author.status();
    if (*author != editor) return Status::Forbidden("only the author may edit a message");
    Stmt q = Prepare("UPDATE messages SET text = ?, edited_ts = ? WHERE conv = ? AND seq = ?");
    q.Bind(text).Bind(ts).Bind(conv).Bind(seq);
    if (q.Step() != SQLITE_DONE) return q.Error("edit message");
    return Status::Ok();
  }

  Status DeleteMessage(std::string_view conv, int64_t seq, std::string_view user,
                       bool moderator) override {
    auto author = Author(conv, seq);
    if (!author.ok()) return author.status();
    if (*author != user && !moderator) {
      return Status::Forbidden("only the author or a room owner may delete a message");
    }
    // The row stays so that seq numbers keep no gaps; its content goes.
    Stmt q = Prepare(
        "UPDATE messages SET text = '', deleted = 1, file_id = NULL, file_name = NULL, "
        "file_mime = NULL, file_size = NULL WHERE conv = ? AND seq = ?");
    q.Bind(conv).Bind(seq);
    if (q.Step() != SQLITE_DONE) return q.Error("delete message");
    Stmt r = Prepare("DELETE FROM reactions WHERE conv = ? AND seq = ?");
    r.Bind(conv).Bind(seq);
    if (r.Step() != SQLITE_DONE) return r.Error("delete reactions");
    return Status::Ok();
  }

  Result<int64_t> MarkRead(std::string_view conv, std::string_view user, int64_t seq) override {
    Stmt q = Prepare(
        "UPDATE members SET read_seq = MAX(read_seq, ?) WHERE conv = ? AND user = ? "
        "RETURNING read_seq");
    q.Bind(seq).Bind(conv).Bind(user);
    int rc = q.Step();
    if (rc == SQLITE_ROW) {
      int64_t v = q.Int(0);
      q.Step();  // finish the statement
      return v;
    }
    if (rc == SQLITE_DONE) return Status::Forbidden("not a member of " + std::string(conv));
    return q.Error("mark read");
  }

  Status React(std::string_view conv, int64_t seq, std::string_view user, std::string_view emoji,
               bool on, int64_t ts) override {
    if (auto author = Author(conv, seq); !author.ok()) return author.status();
    Stmt q = Prepare(on ? "INSERT OR IGNORE INTO reactions (conv, seq, user, emoji, ts) "
                          "VALUES (?,?,?,?,?)"
                        : "DELETE FROM reactions WHERE conv = ? AND seq = ? AND user = ? AND "
                          "emoji = ?");
    q.Bind(conv).Bind(seq).Bind(user).Bind(emoji);
    if (on) q.Bind(ts);
    if (q.Step() != SQLITE_DONE) return q.Error("react");
    return Status::Ok();
  }

  Result<std::vector<RoomRecord>> LoadRooms() override {
    Stmt q = Prepare(
        "SELECT name, title, topic, password_hash, join_key, private, e2e, owner, created_ts "
        "FROM rooms");
    std::vector<RoomRecord> out;
    while (q.Step() == SQLITE_ROW) {
      RoomRecord r;
      r.name = q.Text(0);
      r.title = q.Text(1);
      r.topic = q.Text(2);
      r.password_hash = q.Text(3);
      r.join_key = q.Text(4);
      r.is_private = q.Int(5) != 0;
      r.e2e = q.Int(6) != 0;
      r.owner = q.Text(7);
      r.created_ts = q.Int(8);
      out.push_back(std::move(r));
    }
    if (q.rc() != SQLITE_DONE) return q.Error("load rooms");
    return out;
  }

  Result<std::vector<MemberRecord>> LoadMembers() override {
    Stmt q = Prepare("SELECT conv, user, role, read_seq FROM members");
    std::vector<MemberRecord> out;
    while (q.Step() == SQLITE_ROW) {
      out.push_back(MemberRecord{q.Text(0), q.Text(1), q.Text(2), q.Int(3)});
    }
    if (q.rc() != SQLITE_DONE) return q.Error("load members");
    return out;
  }

  Result<std::vector<ConvRecord>> LoadConvs() override {
    Stmt q = Prepare("SELECT conv, MAX(seq) FROM messages GROUP BY conv");
    std::vector<ConvRecord> out;
    while (q.Step() == SQLITE_ROW) out.push_back(ConvRecord{q.Text(0), q.Int(1)});
    if (q.rc() != SQLITE_DONE) return q.Error("load conversations");
    return out;
  }

  Result<std::vector<Message>> History(std::string_view conv, std::optional<int64_t> before,
                                       std::optional<int64_t> after, int limit) override {
    std::string sql = std::string("SELECT ") + kMessageColumns +
                      " FROM messages WHERE conv = ? AND seq < ? AND seq > ? ORDER BY seq " +
                      (after ? "ASC" : "DESC") + " LIMIT ?";
    Stmt q = Prepare(sql);
    q.Bind(conv).Bind(before.value_or(INT64_MAX)).Bind(after.value_or(0)).Bind(limit);
    std::vector<Message> out;
    while (q.Step() == SQLITE_ROW) out.push_back(ReadMessage(q));
    if (q.rc() != SQLITE_DONE) return q.Error("history");
    if (!after) std::reverse(out.begin(), out.end());
    if (Status s = AttachReactions(conv, &out); !s.ok()) return s;
    return out;
  }

  Result<bool> IndexMessages(int64_t limit) override {
    int64_t from = 0;
    {
      Stmt q = Prepare("SELECT indexed_upto FROM fts_progress");
      if (q.Step() != SQLITE_ROW) return q.Error("index progress");
      from = q.Int(0);
    }
    // The last id of the next `limit` messages after the mark.
    int64_t upto = 0;
    {
      Stmt q = Prepare(
          "SELECT COALESCE(MAX(id), ?) FROM (SELECT id FROM messages WHERE id > ? ORDER BY id "
          "LIMIT ?)");
      q.Bind(from).Bind(from).Bind(std::max<int64_t>(limit, 1));
      if (q.Step() != SQLITE_ROW) return q.Error("index range");
      upto = q.Int(0);
    }
    if (upto == from) return false;
    Stmt add = Prepare(
        "INSERT INTO messages_fts(rowid, text) SELECT id, text FROM messages "
        "WHERE id > ? AND id <= ?");
    add.Bind(from).Bind(upto);
    if (add.Step() != SQLITE_DONE) return add.Error("index messages");
    // Merge work for what was just added (migration 4), done by MergeIndex: enough pages
    // that the segments keep up (each entry is rewritten about once per level, and the
    // entries of eight messages fill well under a page).
    merge_owed_ =
        std::min(merge_owed_ + std::max(kMinMergePages, (upto - from) / 8), kMaxMergeOwed);
    Stmt mark = Prepare("UPDATE fts_progress SET indexed_upto = ?");
    mark.Bind(upto);
    if (mark.Step() != SQLITE_DONE) return mark.Error("index progress");
    Stmt rest = Prepare("SELECT EXISTS (SELECT 1 FROM messages WHERE id > ?)");
    rest.Bind(upto);
    if (rest.Step() != SQLITE_ROW) return rest.Error("index backlog");
    return rest.Int(0) != 0;
  }

  Result<int64_t> MergeIndex(int64_t pages) override {
    int64_t n = std::min(merge_owed_, std::max<int64_t>(pages, 1));
    if (n <= 0) return int64_t{0};
    Stmt merge = Prepare("INSERT INTO messages_fts(messages_fts, rank) VALUES ('merge', ?)");
    merge.Bind(n);
    if (merge.Step() != SQLITE_DONE) return merge.Error("index merge");
    // Counted as done even if the transaction is rolled back after: the count only paces the
    // work, and FTS5's crisis merge (16 segments on a level) stays the backstop.
    merge_owed_ -= n;
    return merge_owed_;
  }

  Result<std::vector<Message>> Search(std::string_view user, std::string_view query,
                                      std::string_view conv, int limit) override {
    std::string match = FtsQuery(query);
    if (match.empty()) return std::vector<Message>{};
    std::string sql = std::string("SELECT ") + Prefixed("m.") +
                      " FROM messages_fts f JOIN messages m ON m.id = f.rowid"
                      " JOIN members mb ON mb.conv = m.conv AND mb.user = ?"
                      " LEFT JOIN rooms r ON r.conv = m.conv"
                      " WHERE messages_fts MATCH ? AND m.deleted = 0 AND COALESCE(r.e2e, 0) = 0"
                      " AND (? = '' OR m.conv = ?) ORDER BY m.id DESC LIMIT ?";
    Stmt q = Prepare(sql);
    q.Bind(user).Bind(match).Bind(conv).Bind(conv).Bind(limit);
    std::vector<Message> out;
    while (q.Step() == SQLITE_ROW) out.push_back(ReadMessage(q));
    if (q.rc() != SQLITE_DONE) return q.Error("search");
    return out;
  }

  Result<std::vector<ConvSummary>> Convs(std::string_view user) override {
    Stmt q = Prepare(
        "SELECT mb.conv, mb.read_seq, "
        " (SELECT COALESCE(MAX(seq), 0) FROM messages m WHERE m.conv = mb.conv), "
        " (SELECT COUNT(*) FROM messages m WHERE m.conv = mb.conv AND m.seq > mb.read_seq "
        "    AND m.sender != mb.user AND m.deleted = 0) "
        "FROM members mb WHERE mb.user = ? ORDER BY mb.conv");
    q.Bind(user);
    std::vector<ConvSummary> out;
    while (q.Step() == SQLITE_ROW) {
      ConvSummary c;
      c.conv = q.Text(0);
      c.read_seq = q.Int(1);
      c.last_seq = q.Int(2);
      c.unread = q.Int(3);
      out.push_back(std::move(c));
    }
    if (q.rc() != SQLITE_DONE) return q.Error("convs");
    for (auto& c : out) {
      if (c.last_seq == 0) continue;
      Stmt m = Prepare(std::string("SELECT ") + kMessageColumns +
                       " FROM messages WHERE conv = ? AND seq = ?");
      m.Bind(c.conv).Bind(c.last_seq);
      if (m.Step() == SQLITE_ROW) c.last = ReadMessage(m);
      if (m.rc() != SQLITE_ROW && m.rc() != SQLITE_DONE) return m.Error("last message");
    }
    return out;
  }

  // Files, follows, moments, notifications and statistics: sqlite_social.cc.
  Status InsertFile(const FileRecord& f) override { return sql::InsertFile(*this, f); }
  Status DeleteFile(std::string_view id) override { return sql::DeleteFile(*this, id); }
  Result<FileRecord> GetFile(std::string_view id) override { return sql::GetFile(*this, id); }
  Result<std::vector<FileRecord>> ExpiredFiles(int64_t now, int limit) override {
    return sql::ExpiredFiles(*this, now, limit);
  }
  Result<int64_t> CountFilesWithHash(std::string_view sha256) override {
    return sql::CountFilesWithHash(*this, sha256);
  }
  Status SetFollow(std::string_view follower, std::string_view followee, bool on,
                   int64_t ts) override {
    return sql::SetFollow(*this, follower, followee, on, ts);
  }
  Result<std::vector<std::pair<std::string, std::string>>> LoadFollows() override {
    return sql::LoadFollows(*this);
  }
  Result<int64_t> InsertMoment(std::string_view author, std::string_view text,
                               const std::vector<std::string>& file_ids, int64_t ts) override {
    return sql::InsertMoment(*this, author, text, file_ids, ts);
  }
  Status EditMoment(int64_t id, std::string_view author, std::string_view text,
                    int64_t ts) override {
    return sql::EditMoment(*this, id, author, text, ts);
  }
  Status DeleteMoment(int64_t id, std::string_view author) override {
    return sql::DeleteMoment(*this, id, author);
  }
  Result<MomentTouch> LikeMoment(int64_t id, std::string_view user, bool on, int64_t ts) override {
    return sql::LikeMoment(*this, id, user, on, ts);
  }
  Result<MomentTouch> AddComment(int64_t id, std::string_view user, std::string_view text,
                                 int64_t ts) override {
    return sql::AddComment(*this, id, user, text, ts);
  }
  Result<MomentRecord> GetMoment(int64_t id, std::string_view viewer) override {
    return sql::GetMoment(*this, id, viewer);
  }
  Result<std::vector<MomentRecord>> Feed(std::string_view viewer, std::optional<int64_t> before,
                                         int limit) override {
    return sql::Feed(*this, viewer, before, limit);
  }
  Result<bool> FileInVisibleMoment(std::string_view file_id, std::string_view viewer) override {
    return sql::FileInVisibleMoment(*this, file_id, viewer);
  }
  Result<int64_t> InsertNotification(const NotificationRecord& n, bool delivered) override {
    return sql::InsertNotification(*this, n, delivered);
  }
  Result<std::vector<NotificationRecord>> PendingNotifications(std::string_view user,
                                                               int limit) override {
    return sql::PendingNotifications(*this, user, limit);
  }
  Result<std::vector<std::string>> UsersWithPendingNotifications() override {
    return sql::UsersWithPendingNotifications(*this);
  }
  Status MarkDelivered(std::string_view user, int64_t upto_id) override {
    return sql::MarkDelivered(*this, user, upto_id);
  }
  Result<Stats> GetStats(std::string_view user) override { return sql::GetStats(*this, user); }

  Status Ping() override {
    Stmt q = Prepare("SELECT 1");
    if (q.Step() != SQLITE_ROW) return q.Error("ping");
    return Status::Ok();
  }

  Status IntegrityCheck() override {
    Stmt q = Prepare("PRAGMA integrity_check");
    std::string problems;
    while (q.Step() == SQLITE_ROW) {
      std::string line = q.Text(0);
      if (line != "ok") problems += line + "; ";
    }
    if (q.rc() != SQLITE_DONE) return q.Error("integrity check");
    if (!problems.empty()) return Status::Internal("integrity check: " + problems);
    return Status::Ok();
  }

 private:
  // Runs after each commit on the writer's connection with the number of frames now in the
  // WAL. The WAL starts over (at the writer's next transaction) only once every frame in it
  // has been copied into the database; under a steady stream of commits the thread's
  // checkpoints never quite catch up, so the WAL would only grow. Once it is
  // `restart_pages_` long, the first commit that finds the thread idle and fewer than 1/16
  // of the threshold left to copy copies those itself, which lets the WAL start over: a
  // short checkpoint in a commit every so many pages instead of a full one every
  // `checkpoint_pages`. At twice that, a commit checkpoints whatever is left, as SQLite would
  // (unless the thread is in the middle of one: then it finds the WAL busy and does nothing,
  // and the WAL goes on growing only while the thread copies). A restart is seen when the
  // WAL is shorter than at the last commit; one missed (a first transaction longer than
  // the whole WAL was) only makes `pending` look smaller until the next.
  static int OnWal(void* arg, sqlite3* db, const char*, int pages) {
    auto* self = static_cast<SqliteStore*>(arg);
    const int t = self->checkpoint_pages_;
    if (pages < self->wal_pages_) self->wal_generation_++;  // the WAL started over
    self->wal_pages_ = pages;
    if (self->checkpoint_stats_) {
      self->checkpoint_stats_->wal_frames.store(pages, std::memory_order_relaxed);
    }
    int pending = pages - self->checkpointer_->Backfilled(self->wal_generation_);
    bool idle = !self->checkpointer_->running();
    const int r = self->restart_pages_;
    if (pages >= 2 * r || (pages >= r && idle && pending <= std::max(1, t / 16))) {
      // Whatever this returns, the commit stands; an error here must not report it failed.
      int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      if (self->checkpoint_stats_ && rc == SQLITE_OK) {
        self->checkpoint_stats_->in_commit.fetch_add(1, std::memory_order_relaxed);
      }
    } else if (pending >= t && idle) {
      self->checkpointer_->Kick(self->wal_generation_);
    }
    return SQLITE_OK;
  }

  // Back to synchronous=full after a BeginLazy transaction (Commit, Rollback); outside a
  // transaction that cannot fail short of running out of memory, and should it, Begin tries
  // again and refuses to start a durable transaction without it.
  void EndLazy() {
    if (!lazy_) return;
    if (sqlite3_exec(db_, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr) == SQLITE_OK) {
      lazy_ = false;
    }
  }

  int64_t merge_owed_ = 0;  // pages of index merging IndexMessages asked for (MergeIndex)
  bool full_sync_ = false;  // opened with synchronous=full
  bool lazy_ = false;       // synchronous lowered to normal for a BeginLazy transaction
  std::unique_ptr<Checkpointer> checkpointer_;
  int checkpoint_pages_ = 0;
  int restart_pages_ = 0;        // WAL length at which a commit lets it start over (OnWal)
  int wal_pages_ = 0;            // frames in the WAL at the last commit
  uint32_t wal_generation_ = 0;  // times the WAL has started over
  CheckpointStats* checkpoint_stats_ = nullptr;

  Status Migrate() {
    int64_t version = 0;
    {
      Stmt q = Prepare("PRAGMA user_version");
      if (q.Step() != SQLITE_ROW) return q.Error("read schema version");
      version = q.Int(0);
    }
    const int64_t latest = static_cast<int64_t>(std::size(kMigrations));
    if (version > latest) {
      return Status::Internal("database schema version " + std::to_string(version) +
                              " is newer than this slserver (" + std::to_string(latest) + ")");
    }
    for (int64_t v = version; v < latest; ++v) {
      std::string script = std::string("BEGIN IMMEDIATE;") + kMigrations[v] +
                           "PRAGMA user_version=" + std::to_string(v + 1) + ";COMMIT;";
      if (Status s = ExecScript(script); !s.ok()) {
        Rollback();
        return Status(s.code(), "migration " + std::to_string(v + 1) + ": " + s.message());
      }
    }
    return Status::Ok();
  }

  Result<std::string> Author(std::string_view conv, int64_t seq) {
    Stmt q = Prepare("SELECT sender, deleted FROM messages WHERE conv = ? AND seq = ?");
    q.Bind(conv).Bind(seq);
    int rc = q.Step();
    if (rc == SQLITE_DONE || (rc == SQLITE_ROW && q.Int(1) != 0)) {
      return Status::NotFound("no message " + std::to_string(seq) + " in " + std::string(conv));
    }
    if (rc != SQLITE_ROW) return q.Error("find message");
    return q.Text(0);
  }

  Status AttachReactions(std::string_view conv, std::vector<Message>* msgs) {
    if (msgs->empty()) return Status::Ok();
    Stmt q = Prepare(
        "SELECT seq, emoji, user FROM reactions WHERE conv = ? AND seq BETWEEN ? AND ? "
        "ORDER BY seq, emoji, ts");
    q.Bind(conv).Bind(msgs->front().seq).Bind(msgs->back().seq);
    std::map<int64_t, Message*> by_seq;
    for (auto& m : *msgs) by_seq[m.seq] = &m;
    while (q.Step() == SQLITE_ROW) {
      auto it = by_seq.find(q.Int(0));
      if (it != by_seq.end()) it->second->reactions[q.Text(1)].push_back(q.Text(2));
    }
    if (q.rc() != SQLITE_DONE) return q.Error("reactions");
    return Status::Ok();
  }

  static std::string Prefixed(const char* prefix) {
    std::string cols = kMessageColumns, out = prefix;
    for (char c : cols) {
      out += c;
      if (c == ' ') out += prefix;
    }
    return out;
  }

  // Turns what a person typed into a safe FTS5 query: each word becomes a quoted phrase
  // (a trailing '*' keeps prefix matching), all of them required.
  static std::string FtsQuery(std::string_view query) {
    std::string out;
    size_t i = 0;
    while (i < query.size()) {
      while (i < query.size() && isspace(static_cast<unsigned char>(query[i]))) ++i;
      size_t start = i;
      while (i < query.size() && !isspace(static_cast<unsigned char>(query[i]))) ++i;
      std::string_view word = query.substr(start, i - start);
      if (word.empty()) continue;
      bool prefix = word.size() > 1 && word.back() == '*';
      if (prefix) word.remove_suffix(1);
      std::string phrase = "\"";
      for (char c : word) {
        if (c == '"') phrase += '"';
        if (c != '\0') phrase += c;
      }
      phrase += '"';
      if (prefix) phrase += '*';
      if (!out.empty()) out += ' ';
      out += phrase;
    }
    return out;
  }

  static Message ReadMessage(const Stmt& q) {
    Message m;
    m.conv = q.Text(0);
    m.seq = q.Int(1);
    m.msg_id = q.Text(2);
    m.from = q.Text(3);
    m.text = q.Text(4);
    m.ts = q.Int(5);
    m.temp_id = q.Text(6);
    if (!q.IsNull(7)) m.reply_to = q.Int(7);
    if (!q.IsNull(8)) m.file = FileRef{q.Text(8), q.Text(9), q.Text(10), q.Int(11)};
    if (!q.IsNull(12)) m.edited_ts = q.Int(12);
    m.deleted = q.Int(13) != 0;
    return m;
  }
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path, const SqliteOptions& opts) {
  auto db = OpenConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db.ok()) return db.status();
  auto store = std::make_unique<SqliteStore>(*db);
  if (Status s = store->Init(path, opts); !s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace smartlink::storage
