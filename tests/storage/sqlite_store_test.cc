// SqliteStore against ":memory:" and a temporary file: schema, messages, reads, search, and
// recovery after the process died without closing the database.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "smartlink/storage/store.h"
#include "storage/temp_dir.h"

namespace smartlink::storage {
namespace {

SqliteOptions FastOptions() {
  SqliteOptions o;
  o.synchronous = "normal";
  return o;
}

std::unique_ptr<Store> Open(const std::string& path, const SqliteOptions& opts = FastOptions()) {
  auto r = OpenSqlite(path, opts);
  EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
  return r.ok() ? std::move(r.value()) : nullptr;
}

// Reads one integer with a raw SQLite connection (not through the Store under test).
int64_t RawInt(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t v = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return v;
}

std::string RawText(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string v = "<error>";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return v;
}

bool RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  bool ok = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK &&
            sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return ok;
}

RoomRecord Room(const std::string& name, const std::string& owner, bool e2e = false) {
  RoomRecord r;
  r.name = name;
  r.owner = owner;
  r.join_key = "key-" + name;
  r.title = "T " + name;
  r.topic = "topic " + name;
  r.e2e = e2e;
  r.created_ts = 1000;
  return r;
}

NewMessage Msg(const std::string& conv, const std::string& from, const std::string& text,
               const std::string& temp_id = "") {
  static int counter = 0;
  ++counter;
  NewMessage m;
  m.conv = conv;
  m.msg_id = "m" + std::to_string(counter);
  m.from = from;
  m.text = text;
  m.ts = 1'700'000'000'000 + counter;
  m.temp_id = temp_id;
  return m;
}

std::vector<int64_t> Seqs(const std::vector<Message>& msgs) {
  std::vector<int64_t> out;
  for (const auto& m : msgs) out.push_back(m.seq);
  return out;
}

std::vector<std::string> Texts(const std::vector<Message>& msgs) {
  std::vector<std::string> out;
  for (const auto& m : msgs) out.push_back(m.text);
  return out;
}

using Seq = std::vector<int64_t>;
using Strs = std::vector<std::string>;

// Every test runs against ":memory:" and a WAL-mode file.
class SqliteStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    path_ = GetParam() == "memory" ? ":memory:" : dir_.File("chat.db");
    store_ = Open(path_);
    ASSERT_TRUE(store_);
  }

  Store& s() { return *store_; }

  // Each write runs in its own committed transaction, as StorageWorker would run it.
  Status Write(const std::function<Status(Store&)>& fn) {
    Status b = s().Begin();
    if (!b.ok()) return b;
    Status st = fn(s());
    Status c = s().Commit();
    EXPECT_TRUE(c.ok()) << c.ToString();
    return st;
  }
  Result<Appended> Append(const NewMessage& m) {
    EXPECT_TRUE(s().Begin().ok());
    auto r = s().AppendMessage(m);
    EXPECT_TRUE(s().Commit().ok());
    return r;
  }
  int64_t Send(const std::string& conv, const std::string& from, const std::string& text) {
    auto r = Append(Msg(conv, from, text));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->message.seq : -1;
  }
  void CreateRoom(const RoomRecord& r) {
    EXPECT_TRUE(Write([&](Store& st) { return st.CreateRoom(r); }).ok());
  }
  void Join(const std::string& conv, const std::string& user) {
    EXPECT_TRUE(Write([&](Store& st) { return st.AddMember(conv, user, "member", 2000); }).ok());
  }
  std::vector<Message> All(const std::string& conv) {
    auto h = s().History(conv, std::nullopt, std::nullopt, 1000);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : std::vector<Message>{};
  }
  // Brings the full-text index up to date, as the server does before a search.
  void IndexAll() {
    EXPECT_TRUE(s().Begin().ok());
    auto more = s().IndexMessages(1000000);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    EXPECT_FALSE(more.ok() && *more);
    EXPECT_TRUE(s().Commit().ok());
  }
  // Rows the full-text index itself holds for `word`, whatever the messages table says (file
  // databases only: -1 in memory).
  int64_t IndexHits(const std::string& word) {
    if (GetParam() == "memory") return -1;
    return RawInt(path_,
                  "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH '" + word + "'");
  }
  std::vector<Message> Find(const std::string& user, const std::string& query,
                            const std::string& conv = "") {
    IndexAll();
    auto r = s().Search(user, query, conv, 50);
    EXPECT_TRUE(r.ok()) << "query [" << query << "]: " << r.status().ToString();
    return r.ok() ? *r : std::vector<Message>{};
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, SqliteStoreTest, ::testing::Values("memory", "file"),
                         [](const auto& p) { return p.param; });

// --- schema and health ---

TEST_P(SqliteStoreTest, IntegrityCheckAndPingAreOk) {
  EXPECT_TRUE(s().Ping().ok());
  Send("#lobby", "alice", "hello");
  Status st = s().IntegrityCheck();
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_P(SqliteStoreTest, RollbackDiscardsWrites) {
  ASSERT_TRUE(s().Begin().ok());
  ASSERT_TRUE(s().AppendMessage(Msg("#lobby", "alice", "gone")).ok());
  ASSERT_TRUE(s().CreateRoom(Room("lobby", "alice")).ok());
  s().Rollback();
  EXPECT_TRUE(All("#lobby").empty());
  EXPECT_TRUE(s().LoadRooms()->empty());
  EXPECT_EQ(1, Send("#lobby", "alice", "first"));
  s().Rollback();  // outside a transaction: harmless
}

TEST(SqliteStore, RefusesUnknownSynchronousMode) {
  SqliteOptions o;
  o.synchronous = "sometimes";
  auto r = OpenSqlite(":memory:", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Code::kBadRequest, r.status().code());
}

TEST(SqliteStore, FileDatabaseUsesWalAndRecordsSchemaVersion) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.File("v.db");
  ASSERT_TRUE(Open(path));
  EXPECT_GE(RawInt(path, "PRAGMA user_version"), 1) << "every migration bumps user_version";
  EXPECT_EQ("wal", RawText(path, "PRAGMA journal_mode"));
}

TEST(SqliteStore, ReopeningDoesNotRerunMigrations) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.File("reopen.db");
  int64_t version = -1;
  {
    auto st = Open(path);
    ASSERT_TRUE(st);
    ASSERT_TRUE(st->Begin().ok());
    ASSERT_TRUE(st->CreateRoom(Room("lobby", "alice")).ok());
    ASSERT_TRUE(st->AppendMessage(Msg("#lobby", "alice", "kept")).ok());
    ASSERT_TRUE(st->Commit().ok());
    version = RawInt(path, "PRAGMA user_version");
    ASSERT_GE(version, 1);
  }
  // Re-running migration 1 would fail on CREATE TABLE, or lose the data.
  for (int i = 0; i < 2; ++i) {
    auto st = Open(path);
    ASSERT_TRUE(st);
    EXPECT_EQ(1u, st->LoadRooms()->size());
    auto h = st->History("#lobby", std::nullopt, std::nullopt, 10);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(Strs{"kept"}, Texts(*h));
    EXPECT_EQ(version, RawInt(path, "PRAGMA user_version"));
  }
}

// With checkpoint_in_background the WAL is checkpointed by the store's own thread once it
// passes checkpoint_pages (SQLite's own hook, which it replaces, would wait for 1,000 pages
// and run in a commit); nothing written is lost.
TEST(SqliteStore, BackgroundCheckpointsRunOnTheirOwnThread) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.File("ckpt.db");
  CheckpointStats stats;
  SqliteOptions o = FastOptions();
  o.checkpoint_in_background = true;
  o.checkpoint_pages = 32;
  o.checkpoint_stats = &stats;
  const int kCommits = 1500;
  {
    auto st = Open(path, o);
    ASSERT_TRUE(st);
    ASSERT_TRUE(st->Begin().ok());
    ASSERT_TRUE(st->CreateRoom(Room("lobby", "alice")).ok());
    ASSERT_TRUE(st->Commit().ok());
    for (int i = 1; i <= kCommits; ++i) {
      ASSERT_TRUE(st->Begin().ok());
      ASSERT_TRUE(st->AppendMessage(Msg("#lobby", "alice", std::string(600, 'a' + i % 26))).ok());
      ASSERT_TRUE(st->Commit().ok());
    }
    // The thread runs when it gets the CPU; the store's close waits for it.
    for (int i = 0; i < 500 && stats.background.load() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GT(stats.background.load(), 0u) << "the checkpoint thread never ran";
    EXPECT_EQ(0u, stats.failed.load());
  }
  auto st = Open(path);
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->IntegrityCheck().ok());
  auto h = st->History("#lobby", std::nullopt, std::nullopt, 200);
  ASSERT_TRUE(h.ok());
  ASSERT_FALSE(h->empty());
  EXPECT_EQ(kCommits, h->back().seq);
}

// Counts the syncs of every file SQLite opens while installed as the default VFS (one at a
// time): the real VFS opens each file, and its method table is swapped for a copy whose
// xSync counts and calls the real one.
class SyncCountingVfs {
 public:
  SyncCountingVfs() {
    instance_ = this;
    real_ = sqlite3_vfs_find(nullptr);
    vfs_ = *real_;
    vfs_.zName = "sync-counting";
    vfs_.xOpen = &Open;
    sqlite3_vfs_register(&vfs_, /*makeDflt=*/1);
  }
  ~SyncCountingVfs() {
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(real_, 1);
    instance_ = nullptr;
  }
  int syncs() const { return syncs_.load(); }

 private:
  // A copy of a real method table; `io` first, so a file's pMethods points at the whole.
  struct Methods {
    sqlite3_io_methods io;
    const sqlite3_io_methods* real;
  };

  static int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out) {
    SyncCountingVfs* self = instance_;
    int rc = self->real_->xOpen(self->real_, name, file, flags, out);
    if (rc == SQLITE_OK && file->pMethods) {
      std::lock_guard<std::mutex> lock(self->mu_);
      auto& copy = self->copies_[file->pMethods];
      if (!copy) {
        copy = std::make_unique<Methods>(Methods{*file->pMethods, file->pMethods});
        copy->io.xSync = &Sync;
      }
      file->pMethods = &copy->io;
    }
    return rc;
  }
  static int Sync(sqlite3_file* file, int flags) {
    instance_->syncs_++;
    return reinterpret_cast<const Methods*>(file->pMethods)->real->xSync(file, flags);
  }

  static SyncCountingVfs* instance_;
  sqlite3_vfs* real_;
  sqlite3_vfs vfs_;
  std::atomic<int> syncs_{0};
  std::mutex mu_;
  std::map<const sqlite3_io_methods*, std::unique_ptr<Methods>> copies_;  // by real table
};
SyncCountingVfs* SyncCountingVfs::instance_ = nullptr;

// With synchronous=full every commit syncs the WAL, except a BeginLazy transaction's; the
// next durable commit syncs again (the connection is back at full), taking the lazy one's
// pages with it.
TEST(SqliteStore, LazyTransactionsCommitWithoutASync) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  SyncCountingVfs vfs;
  SqliteOptions o;
  o.synchronous = "full";
  std::string path = dir.File("lazy.db");
  {
    auto st = Open(path, o);
    ASSERT_TRUE(st);
    auto commit = [&](bool lazy, const std::string& text) {
      ASSERT_TRUE((lazy ? st->BeginLazy() : st->Begin()).ok());
      ASSERT_TRUE(st->AppendMessage(Msg("#lobby", "alice", text)).ok());
      ASSERT_TRUE(st->Commit().ok());
    };
    int before = vfs.syncs();
    commit(false, "durable");
    EXPECT_GT(vfs.syncs(), before) << "a commit at synchronous=full syncs";
    before = vfs.syncs();
    commit(true, "lazy");
    commit(true, "lazy too");
    EXPECT_EQ(before, vfs.syncs()) << "lazy commits do not";
    commit(false, "durable again");
    EXPECT_GT(vfs.syncs(), before) << "back to full after a lazy transaction";
    // After a rolled-back lazy transaction too.
    ASSERT_TRUE(st->BeginLazy().ok());
    st->Rollback();
    before = vfs.syncs();
    commit(false, "after a rollback");
    EXPECT_GT(vfs.syncs(), before);
  }
  auto st = Open(path);
  ASSERT_TRUE(st);
  auto h = st->History("#lobby", std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((Strs{"durable", "lazy", "lazy too", "durable again", "after a rollback"}), Texts(*h));
}

// wal_restart_pages bounds the WAL file: once it is that long, a commit copies what is left
// into the database so that the WAL starts over. Here the checkpoint thread is never asked
// (a threshold far above what is written), so only those commits keep the WAL short; with
// the default (4 times the threshold) it would hold every page written.
TEST(SqliteStore, WalStartsOverAtTheRestartLength) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.File("restart.db");
  CheckpointStats stats;
  SqliteOptions o = FastOptions();
  o.checkpoint_in_background = true;
  o.checkpoint_pages = 1 << 20;
  o.wal_restart_pages = 64;
  o.checkpoint_stats = &stats;
  const int kCommits = 1500;
  {
    auto st = Open(path, o);
    ASSERT_TRUE(st);
    ASSERT_TRUE(st->Begin().ok());
    ASSERT_TRUE(st->CreateRoom(Room("lobby", "alice")).ok());
    ASSERT_TRUE(st->Commit().ok());
    for (int i = 1; i <= kCommits; ++i) {
      ASSERT_TRUE(st->Begin().ok());
      ASSERT_TRUE(st->AppendMessage(Msg("#lobby", "alice", std::string(600, 'a' + i % 26))).ok());
      ASSERT_TRUE(st->Commit().ok());
    }
    // A frame is a page and a 24-byte header, after the WAL's 32-byte header. The file
    // keeps its greatest length: twice the restart length, and one commit's pages, at most.
    const int64_t page = RawInt(path, "PRAGMA page_size");
    const int kSlack = 16;
    std::error_code ec;
    auto wal = std::filesystem::file_size(path + "-wal", ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_LE(wal, 32u + (2 * 64 + kSlack) * static_cast<uint64_t>(page + 24));
    EXPECT_EQ(0u, stats.background.load());
    // Each message takes a page or more, so the WAL started over again and again.
    EXPECT_GE(stats.in_commit.load(), static_cast<uint64_t>(kCommits / (2 * 64)));
    EXPECT_EQ(0u, stats.failed.load());
  }
  auto st = Open(path);
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->IntegrityCheck().ok());
  auto h = st->History("#lobby", std::nullopt, std::nullopt, 200);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(200u, h->size());
  EXPECT_EQ(kCommits, h->back().seq);
}

TEST(SqliteStore, RefusesABadWalRestartLength) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  for (int pages : {-1, (1 << 24) + 1}) {
    SqliteOptions o = FastOptions();
    o.checkpoint_in_background = true;
    o.wal_restart_pages = pages;
    auto r = OpenSqlite(dir.File("bad.db"), o);
    ASSERT_FALSE(r.ok()) << pages;
    EXPECT_EQ(Code::kBadRequest, r.status().code());
    EXPECT_NE(std::string::npos, r.status().message().find("wal_restart_pages")) << pages;
  }
}

TEST(SqliteStore, RefusesANonPositiveCheckpointThreshold) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  SqliteOptions o = FastOptions();
  o.checkpoint_in_background = true;
  o.checkpoint_pages = 0;
  auto r = OpenSqlite(dir.File("bad.db"), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Code::kBadRequest, r.status().code());
}

TEST(SqliteStore, UpgradeFromTriggerIndexedSearchKeepsOldMessagesSearchable) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.File("v2.db");
  {
    auto st = Open(path);
    ASSERT_TRUE(st);
    ASSERT_TRUE(st->Begin().ok());
    ASSERT_TRUE(st->CreateRoom(Room("lobby", "alice")).ok());
    ASSERT_TRUE(st->Commit().ok());
  }
  // Schema version 2 as it shipped: the index filled by an insert trigger.
  ASSERT_TRUE(RawExec(path,
                      "DROP TRIGGER messages_ad; DROP TRIGGER messages_au; DROP TABLE fts_progress;"
                      "CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN"
                      "  INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END;"
                      "CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN"
                      "  INSERT INTO messages_fts(messages_fts, rowid, text)"
                      "  VALUES ('delete', old.id, old.text); END;"
                      "CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN"
                      "  INSERT INTO messages_fts(messages_fts, rowid, text)"
                      "  VALUES ('delete', old.id, old.text);"
                      "  INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END;"
                      "INSERT INTO messages (conv, seq, msg_id, sender, text, ts)"
                      "  VALUES ('#lobby', 1, 'a', 'alice', 'quince one', 1),"
                      "         ('#lobby', 2, 'b', 'alice', 'quince two', 2);"
                      "PRAGMA user_version = 2;"));
  auto st = Open(path);
  ASSERT_TRUE(st);
  EXPECT_EQ(4, RawInt(path, "PRAGMA user_version"));
  EXPECT_EQ(2, RawInt(path, "SELECT indexed_upto FROM fts_progress"));
  ASSERT_TRUE(st->Begin().ok());
  ASSERT_TRUE(st->EditMessage("#lobby", 2, "alice", "medlar two", 3).ok());
  ASSERT_TRUE(st->AppendMessage(Msg("#lobby", "alice", "quince three")).ok());
  auto more = st->IndexMessages(100);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
  ASSERT_TRUE(st->Commit().ok());
  auto r = st->Search("alice", "quince", "", 10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((Strs{"quince three", "quince one"}), Texts(*r));
  r = st->Search("alice", "medlar", "", 10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strs{"medlar two"}, Texts(*r));
  EXPECT_EQ(2, RawInt(path, "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'quince'"))
      << "the edited message left the index under its old text, the others are in it once";
}

TEST(SqliteStore, RefusesSchemaNewerThanTheCode) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.File("newer.db");
  ASSERT_TRUE(Open(path));
  ASSERT_TRUE(RawExec(path, "PRAGMA user_version = 99"));
  auto r = OpenSqlite(path, FastOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Code::kInternal, r.status().code());
}

// --- rooms and members ---

TEST_P(SqliteStoreTest, CreateRoomStoresEveryFieldAndTheOwner) {
  RoomRecord r = Room("lobby", "alice");
  r.password_hash = "pbkdf2$1$00$00";
  r.is_private = true;
  r.e2e = true;
  CreateRoom(r);
  auto rooms = s().LoadRooms();
  ASSERT_TRUE(rooms.ok());
  ASSERT_EQ(1u, rooms->size());
  const RoomRecord& got = (*rooms)[0];
  EXPECT_EQ("lobby", got.name);
  EXPECT_EQ("T lobby", got.title);
  EXPECT_EQ("topic lobby", got.topic);
  EXPECT_EQ("pbkdf2$1$00$00", got.password_hash);
  EXPECT_EQ("key-lobby", got.join_key);
  EXPECT_EQ("alice", got.owner);
  EXPECT_TRUE(got.is_private);
  EXPECT_TRUE(got.e2e);
  EXPECT_EQ(1000, got.created_ts);
  auto members = s().LoadMembers();
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(1u, members->size());
  EXPECT_EQ("#lobby", (*members)[0].conv);
  EXPECT_EQ("alice", (*members)[0].user);
  EXPECT_EQ("owner", (*members)[0].role);
  EXPECT_EQ(0, (*members)[0].read_seq);
}

TEST_P(SqliteStoreTest, CreateRoomThatExistsIsConflict) {
  CreateRoom(Room("lobby", "alice"));
  Status st = Write([&](Store& x) { return x.CreateRoom(Room("lobby", "bob")); });
  EXPECT_EQ(Code::kConflict, st.code()) << st.ToString();
  auto rooms = s().LoadRooms();
  ASSERT_EQ(1u, rooms->size());
  EXPECT_EQ("alice", (*rooms)[0].owner);
  EXPECT_EQ(1u, s().LoadMembers()->size()) << "bob did not become a member";
}

TEST_P(SqliteStoreTest, AddMemberIsIdempotent) {
  CreateRoom(Room("lobby", "alice"));
  Join("#lobby", "bob");
  Join("#lobby", "bob");
  EXPECT_TRUE(Write([&](Store& x) { return x.AddMember("#lobby", "alice", "member", 3); }).ok());
  auto members = s().LoadMembers();
  ASSERT_TRUE(members.ok());
  std::map<std::string, std::string> roles;
  for (const auto& m : *members) roles[m.user] = m.role;
  EXPECT_EQ((std::map<std::string, std::string>{{"alice", "owner"}, {"bob", "member"}}), roles);
}

TEST_P(SqliteStoreTest, RemoveMember) {
  CreateRoom(Room("lobby", "alice"));
  Join("#lobby", "bob");
  EXPECT_TRUE(Write([&](Store& x) { return x.RemoveMember("#lobby", "bob"); }).ok());
  EXPECT_TRUE(Write([&](Store& x) { return x.RemoveMember("#lobby", "nobody"); }).ok());
  auto members = s().LoadMembers();
  ASSERT_EQ(1u, members->size());
  EXPECT_EQ("alice", (*members)[0].user);
}

// --- messages ---

TEST_P(SqliteStoreTest, AppendAssignsSeqPerConversation) {
  EXPECT_EQ(1, Send("#a", "alice", "a1"));
  EXPECT_EQ(2, Send("#a", "bob", "a2"));
  EXPECT_EQ(1, Send("#b", "alice", "b1"));
  EXPECT_EQ(3, Send("#a", "alice", "a3"));
  EXPECT_EQ(1, Send("@alice,bob", "bob", "d1"));
  EXPECT_EQ(2, Send("#b", "carol", "b2"));
  EXPECT_EQ((Seq{1, 2, 3}), Seqs(All("#a")));
  EXPECT_EQ((Strs{"a1", "a2", "a3"}), Texts(All("#a")));
  EXPECT_EQ((Seq{1, 2}), Seqs(All("#b")));
}

TEST_P(SqliteStoreTest, AppendReturnsAndStoresEveryField) {
  NewMessage m = Msg("#lobby", "alice", "see file", "tmp-1");
  m.reply_to = 1;
  m.file = FileRef{"f1", "a.txt", "text/plain", 12};
  auto r = Append(m);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->duplicate);
  auto h = All("#lobby");
  ASSERT_EQ(1u, h.size());
  for (const Message& got : {r->message, h[0]}) {
    EXPECT_EQ("#lobby", got.conv);
    EXPECT_EQ(1, got.seq);
    EXPECT_EQ(m.msg_id, got.msg_id);
    EXPECT_EQ("alice", got.from);
    EXPECT_EQ("see file", got.text);
    EXPECT_EQ(m.ts, got.ts);
    EXPECT_EQ("tmp-1", got.temp_id);
    EXPECT_EQ(std::optional<int64_t>(1), got.reply_to);
    ASSERT_TRUE(got.file.has_value());
    EXPECT_EQ("f1", got.file->file_id);
    EXPECT_EQ("a.txt", got.file->name);
    EXPECT_EQ("text/plain", got.file->mime);
    EXPECT_EQ(12, got.file->size);
    EXPECT_FALSE(got.edited_ts.has_value());
    EXPECT_FALSE(got.deleted);
  }
}

TEST_P(SqliteStoreTest, TextWithNulBytesIsStoredByteForByte) {
  std::string text("a\0b\xF0\x9F\x98\x80", 7);
  Send("#lobby", "alice", text);
  auto h = All("#lobby");
  ASSERT_EQ(1u, h.size());
  EXPECT_EQ(text, h[0].text);
}

TEST_P(SqliteStoreTest, DuplicateTempIdReturnsTheFirstMessage) {
  auto first = Append(Msg("#lobby", "alice", "hello", "t1"));
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->duplicate);
  Send("#lobby", "bob", "in between");
  auto again = Append(Msg("#lobby", "alice", "hello (resent)", "t1"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(1, again->message.seq);
  EXPECT_EQ(first->message.msg_id, again->message.msg_id);
  EXPECT_EQ("hello", again->message.text);
  EXPECT_EQ((Strs{"hello", "in between"}), Texts(All("#lobby"))) << "nothing new stored";
  EXPECT_EQ(3, Send("#lobby", "alice", "next"));
}

TEST_P(SqliteStoreTest, SameTempIdInAnotherConversationIsANewMessage) {
  ASSERT_TRUE(Append(Msg("#a", "alice", "one", "t1")).ok());
  Send("#b", "bob", "b1");
  auto other = Append(Msg("#b", "alice", "two", "t1"));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->duplicate);
  EXPECT_EQ(2, other->message.seq);
  EXPECT_EQ((Strs{"b1", "two"}), Texts(All("#b")));
}

TEST_P(SqliteStoreTest, SameTempIdFromAnotherSenderIsANewMessage) {
  ASSERT_TRUE(Append(Msg("#a", "alice", "mine", "t1")).ok());
  auto bobs = Append(Msg("#a", "bob", "his", "t1"));
  ASSERT_TRUE(bobs.ok());
  EXPECT_FALSE(bobs->duplicate);
  EXPECT_EQ(2, bobs->message.seq);
}

TEST_P(SqliteStoreTest, EditByAuthor) {
  Send("#lobby", "alice", "tpyo");
  EXPECT_TRUE(
      Write([&](Store& x) { return x.EditMessage("#lobby", 1, "alice", "typo", 5555); }).ok());
  auto h = All("#lobby");
  ASSERT_EQ(1u, h.size());
  EXPECT_EQ("typo", h[0].text);
  EXPECT_EQ(std::optional<int64_t>(5555), h[0].edited_ts);
}

TEST_P(SqliteStoreTest, EditByOthersIsForbidden) {
  Send("#lobby", "alice", "mine");
  Status st = Write([&](Store& x) { return x.EditMessage("#lobby", 1, "bob", "hacked", 1); });
  EXPECT_EQ(Code::kForbidden, st.code()) << st.ToString();
  EXPECT_EQ(Strs{"mine"}, Texts(All("#lobby")));
}

TEST_P(SqliteStoreTest, EditMissingOrDeletedIsNotFound) {
  Send("#lobby", "alice", "one");
  EXPECT_EQ(Code::kNotFound,
            Write([&](Store& x) { return x.EditMessage("#lobby", 2, "alice", "x", 1); }).code());
  EXPECT_EQ(Code::kNotFound,
            Write([&](Store& x) { return x.EditMessage("#other", 1, "alice", "x", 1); }).code());
  ASSERT_TRUE(Write([&](Store& x) { return x.DeleteMessage("#lobby", 1, "alice", false); }).ok());
  EXPECT_EQ(Code::kNotFound,
            Write([&](Store& x) { return x.EditMessage("#lobby", 1, "alice", "x", 1); }).code());
}

TEST_P(SqliteStoreTest, DeleteByAuthorKeepsTheRowWithoutContent) {
  NewMessage m = Msg("#lobby", "alice", "secret");
  m.file = FileRef{"f1", "a.txt", "text/plain", 3};
  ASSERT_TRUE(Append(m).ok());
  Send("#lobby", "bob", "reply");
  EXPECT_TRUE(Write([&](Store& x) { return x.DeleteMessage("#lobby", 1, "alice", false); }).ok());
  auto h = All("#lobby");
  ASSERT_EQ(2u, h.size());
  EXPECT_EQ(1, h[0].seq);
  EXPECT_TRUE(h[0].deleted);
  EXPECT_EQ("", h[0].text);
  EXPECT_FALSE(h[0].file.has_value());
  EXPECT_FALSE(h[1].deleted);
  // seq has no gaps and is not reused.
  EXPECT_EQ(3, Send("#lobby", "alice", "after"));
  EXPECT_EQ((Seq{1, 2, 3}), Seqs(All("#lobby")));
}

TEST_P(SqliteStoreTest, DeleteOfTheLastMessageDoesNotReuseItsSeq) {
  Send("#lobby", "alice", "one");
  Send("#lobby", "alice", "two");
  ASSERT_TRUE(Write([&](Store& x) { return x.DeleteMessage("#lobby", 2, "alice", false); }).ok());
  EXPECT_EQ(3, Send("#lobby", "alice", "three"));
}

TEST_P(SqliteStoreTest, DeleteByModerator) {
  Send("#lobby", "bob", "spam");
  EXPECT_TRUE(Write([&](Store& x) { return x.DeleteMessage("#lobby", 1, "alice", true); }).ok());
  EXPECT_TRUE(All("#lobby")[0].deleted);
}

TEST_P(SqliteStoreTest, DeleteByOthersIsForbidden) {
  Send("#lobby", "bob", "mine");
  Status st = Write([&](Store& x) { return x.DeleteMessage("#lobby", 1, "carol", false); });
  EXPECT_EQ(Code::kForbidden, st.code()) << st.ToString();
  auto h = All("#lobby");
  EXPECT_FALSE(h[0].deleted);
  EXPECT_EQ("mine", h[0].text);
}

TEST_P(SqliteStoreTest, DeleteMissingOrAlreadyDeletedIsNotFound) {
  Send("#lobby", "bob", "x");
  EXPECT_EQ(Code::kNotFound,
            Write([&](Store& x) { return x.DeleteMessage("#lobby", 9, "bob", true); }).code());
  ASSERT_TRUE(Write([&](Store& x) { return x.DeleteMessage("#lobby", 1, "bob", false); }).ok());
  EXPECT_EQ(Code::kNotFound,
            Write([&](Store& x) { return x.DeleteMessage("#lobby", 1, "bob", false); }).code());
}

TEST_P(SqliteStoreTest, DeleteRemovesReactions) {
  Send("#lobby", "bob", "x");
  ASSERT_TRUE(Write([&](Store& x) { return x.React("#lobby", 1, "alice", "+1", true, 1); }).ok());
  ASSERT_TRUE(Write([&](Store& x) { return x.DeleteMessage("#lobby", 1, "bob", false); }).ok());
  EXPECT_TRUE(All("#lobby")[0].reactions.empty());
}

TEST_P(SqliteStoreTest, MarkReadMovesForwardOnly) {
  CreateRoom(Room("lobby", "alice"));
  for (int i = 0; i < 5; ++i) Send("#lobby", "bob", "m");
  auto mark = [&](int64_t seq) {
    EXPECT_TRUE(s().Begin().ok());
    auto r = s().MarkRead("#lobby", "alice", seq);
    EXPECT_TRUE(s().Commit().ok());
    return r;
  };
  EXPECT_EQ(3, mark(3).value());
  EXPECT_EQ(3, mark(1).value()) << "never moves back";
  EXPECT_EQ(3, mark(0).value());
  EXPECT_EQ(5, mark(5).value());
  auto members = s().LoadMembers();
  ASSERT_EQ(1u, members->size());
  EXPECT_EQ(5, (*members)[0].read_seq);
}

TEST_P(SqliteStoreTest, MarkReadByNonMemberIsForbidden) {
  CreateRoom(Room("lobby", "alice"));
  Send("#lobby", "alice", "m");
  ASSERT_TRUE(s().Begin().ok());
  auto r = s().MarkRead("#lobby", "mallory", 1);
  ASSERT_TRUE(s().Commit().ok());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Code::kForbidden, r.status().code());
}

TEST_P(SqliteStoreTest, ReactOnAndOff) {
  Send("#lobby", "alice", "x");
  auto react = [&](const std::string& user, const std::string& emoji, bool on) {
    return Write([&](Store& st) { return st.React("#lobby", 1, user, emoji, on, 10); });
  };
  ASSERT_TRUE(react("bob", "+1", true).ok());
  ASSERT_TRUE(react("carol", "+1", true).ok());
  ASSERT_TRUE(react("bob", "+1", true).ok());  // again: no duplicate
  ASSERT_TRUE(react("carol", "heart", true).ok());
  auto h = All("#lobby");
  EXPECT_EQ((std::map<std::string, std::vector<std::string>>{{"+1", {"bob", "carol"}},
                                                             {"heart", {"carol"}}}),
            h[0].reactions);
  ASSERT_TRUE(react("bob", "+1", false).ok());
  ASSERT_TRUE(react("carol", "heart", false).ok());
  ASSERT_TRUE(react("dave", "heart", false).ok());  // never reacted: harmless
  EXPECT_EQ((std::map<std::string, std::vector<std::string>>{{"+1", {"carol"}}}),
            All("#lobby")[0].reactions);
}

TEST_P(SqliteStoreTest, ReactToMissingOrDeletedMessageIsNotFound) {
  EXPECT_EQ(Code::kNotFound,
            Write([&](Store& x) { return x.React("#lobby", 1, "bob", "+1", true, 1); }).code());
  Send("#lobby", "alice", "x");
  ASSERT_TRUE(Write([&](Store& x) { return x.DeleteMessage("#lobby", 1, "alice", false); }).ok());
  EXPECT_EQ(Code::kNotFound,
            Write([&](Store& x) { return x.React("#lobby", 1, "bob", "+1", true, 1); }).code());
}

// --- history ---

class HistoryTest : public SqliteStoreTest {
 protected:
  void SetUp() override {
    SqliteStoreTest::SetUp();
    for (int i = 1; i <= 10; ++i) Send("#lobby", "alice", "m" + std::to_string(i));
    Send("#other", "bob", "elsewhere");
  }
  Seq H(std::optional<int64_t> before, std::optional<int64_t> after, int limit) {
    auto r = s().History("#lobby", before, after, limit);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Seqs(*r) : Seq{};
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, HistoryTest, ::testing::Values("memory", "file"),
                         [](const auto& p) { return p.param; });

TEST_P(HistoryTest, NeitherBoundGivesTheLatestOldestFirst) {
  EXPECT_EQ((Seq{8, 9, 10}), H(std::nullopt, std::nullopt, 3));
  EXPECT_EQ((Seq{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), H(std::nullopt, std::nullopt, 100));
}

TEST_P(HistoryTest, AfterGivesTheFirstAfterIt) {
  EXPECT_EQ((Seq{3, 4, 5}), H(std::nullopt, 2, 3));
  EXPECT_EQ((Seq{1, 2}), H(std::nullopt, 0, 2));
  EXPECT_EQ((Seq{10}), H(std::nullopt, 9, 3));
  EXPECT_EQ(Seq{}, H(std::nullopt, 10, 3));
}

TEST_P(HistoryTest, BeforeGivesTheLatestBeforeIt) {
  EXPECT_EQ((Seq{2, 3, 4}), H(5, std::nullopt, 3));
  EXPECT_EQ((Seq{1, 2}), H(3, std::nullopt, 10));
  EXPECT_EQ(Seq{}, H(1, std::nullopt, 10));
}

TEST_P(HistoryTest, BothBoundsGiveTheFirstInBetween) {
  EXPECT_EQ((Seq{3, 4, 5}), H(8, 2, 3));
  EXPECT_EQ((Seq{3, 4}), H(5, 2, 10));
  EXPECT_EQ(Seq{}, H(3, 2, 10));
}

TEST_P(HistoryTest, UnknownConversationIsEmpty) {
  auto r = s().History("#nope", std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST_P(HistoryTest, AttachesReactionsToTheRightMessages) {
  ASSERT_TRUE(Write([&](Store& x) { return x.React("#lobby", 9, "bob", "+1", true, 1); }).ok());
  ASSERT_TRUE(Write([&](Store& x) { return x.React("#lobby", 2, "bob", "x", true, 1); }).ok());
  ASSERT_TRUE(Write([&](Store& x) { return x.React("#other", 1, "bob", "y", true, 1); }).ok());
  auto r = s().History("#lobby", std::nullopt, std::nullopt, 3);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(3u, r->size());
  EXPECT_TRUE((*r)[0].reactions.empty());  // seq 8
  EXPECT_EQ((std::map<std::string, std::vector<std::string>>{{"+1", {"bob"}}}), (*r)[1].reactions);
  EXPECT_TRUE((*r)[2].reactions.empty());  // seq 10
  auto early = s().History("#lobby", 4, std::nullopt, 10);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ((std::map<std::string, std::vector<std::string>>{{"x", {"bob"}}}),
            (*early)[1].reactions);
}

// --- search ---

TEST_P(SqliteStoreTest, SearchFindsWordsInTheUsersConversationsNewestFirst) {
  CreateRoom(Room("lobby", "alice"));
  Join("#lobby", "bob");
  Send("#lobby", "alice", "Hello world");
  Send("#lobby", "bob", "nothing here");
  Send("#lobby", "bob", "well hello again");
  auto r = Find("bob", "hello");
  EXPECT_EQ((Strs{"well hello again", "Hello world"}), Texts(r));
  EXPECT_EQ((Seq{3, 1}), Seqs(r));
  EXPECT_EQ((Strs{"Hello world"}), Texts(Find("bob", "hello world")));
}

TEST_P(SqliteStoreTest, SearchOnlyCoversConversationsTheUserBelongsTo) {
  CreateRoom(Room("lobby", "alice"));
  CreateRoom(Room("secret", "eve"));
  Join("@alice,bob", "alice");
  Join("@alice,bob", "bob");
  Send("#lobby", "alice", "banana in lobby");
  Send("#secret", "eve", "banana in secret");
  Send("@alice,bob", "bob", "banana in direct");
  EXPECT_EQ((Strs{"banana in direct", "banana in lobby"}), Texts(Find("alice", "banana")));
  EXPECT_EQ((Strs{"banana in secret"}), Texts(Find("eve", "banana")));
  EXPECT_EQ((Strs{"banana in direct"}), Texts(Find("bob", "banana")));
  EXPECT_TRUE(Find("mallory", "banana").empty());
}

TEST_P(SqliteStoreTest, SearchCanBeLimitedToOneConversation) {
  CreateRoom(Room("a", "alice"));
  CreateRoom(Room("b", "alice"));
  Send("#a", "alice", "apple one");
  Send("#b", "alice", "apple two");
  EXPECT_EQ((Strs{"apple two"}), Texts(Find("alice", "apple", "#b")));
  EXPECT_TRUE(Find("alice", "apple", "#c").empty());
}

TEST_P(SqliteStoreTest, SearchLeavesOutE2eRooms) {
  CreateRoom(Room("plain", "alice"));
  CreateRoom(Room("crypt", "alice", /*e2e=*/true));
  Send("#plain", "alice", "ciphertext plain");
  Send("#crypt", "alice", "ciphertext crypt");
  EXPECT_EQ((Strs{"ciphertext plain"}), Texts(Find("alice", "ciphertext")));
  EXPECT_TRUE(Find("alice", "ciphertext", "#crypt").empty());
}

TEST_P(SqliteStoreTest, SearchLeavesOutDeletedMessages) {
  CreateRoom(Room("lobby", "alice"));
  Send("#lobby", "alice", "cherry one");
  Send("#lobby", "alice", "cherry two");
  ASSERT_TRUE(Write([&](Store& x) { return x.DeleteMessage("#lobby", 1, "alice", false); }).ok());
  EXPECT_EQ((Strs{"cherry two"}), Texts(Find("alice", "cherry")));
}

TEST_P(SqliteStoreTest, SearchFollowsEdits) {
  CreateRoom(Room("lobby", "alice"));
  Send("#lobby", "alice", "old words");
  ASSERT_TRUE(
      Write([&](Store& x) { return x.EditMessage("#lobby", 1, "alice", "new words", 2); }).ok());
  EXPECT_TRUE(Find("alice", "old").empty());
  EXPECT_EQ((Strs{"new words"}), Texts(Find("alice", "new")));
}

TEST_P(SqliteStoreTest, EditsAndDeletesAfterIndexingReachTheIndex) {
  CreateRoom(Room("lobby", "alice"));
  Send("#lobby", "alice", "plum first");
  Send("#lobby", "alice", "plum second");
  Send("#lobby", "alice", "plum third");
  IndexAll();
  ASSERT_TRUE(
      Write([&](Store& x) { return x.EditMessage("#lobby", 1, "alice", "pear first", 2); }).ok());
  ASSERT_TRUE(Write([&](Store& x) { return x.DeleteMessage("#lobby", 2, "alice", false); }).ok());
  EXPECT_EQ((Strs{"plum third"}), Texts(Find("alice", "plum")));
  EXPECT_EQ((Strs{"pear first"}), Texts(Find("alice", "pear")));
  EXPECT_TRUE(Find("alice", "second").empty());
  if (GetParam() != "memory") {
    EXPECT_EQ(0, IndexHits("second")) << "a deleted message leaves the index";
    EXPECT_EQ(1, IndexHits("plum"));
    EXPECT_EQ(1, IndexHits("pear"));
  }
}

TEST_P(SqliteStoreTest, MessagesAreIndexedOldestFirstInSteps) {
  CreateRoom(Room("lobby", "alice"));
  for (int i = 0; i < 5; ++i) Send("#lobby", "alice", "fig " + std::to_string(i));
  // Edited before it is indexed: the index gets the new text only.
  ASSERT_TRUE(
      Write([&](Store& x) { return x.EditMessage("#lobby", 4, "alice", "fig three", 2); }).ok());
  auto search = [&] {
    auto r = s().Search("alice", "fig", "", 50);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Seqs(*r) : Seq{};
  };
  EXPECT_TRUE(search().empty());
  auto step = [&] {
    EXPECT_TRUE(s().Begin().ok());
    auto more = s().IndexMessages(2);
    EXPECT_TRUE(s().Commit().ok());
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    return more.ok() && *more;
  };
  EXPECT_TRUE(step());
  EXPECT_EQ((Seq{2, 1}), search());
  EXPECT_TRUE(step());
  EXPECT_EQ((Seq{4, 3, 2, 1}), search());
  EXPECT_FALSE(step());
  EXPECT_EQ((Seq{5, 4, 3, 2, 1}), search());
  EXPECT_FALSE(step());  // nothing left: no change
  EXPECT_EQ((Strs{"fig three"}), Texts(Find("alice", "three")));
  EXPECT_TRUE(Find("alice", "3").empty());
  if (GetParam() != "memory") {
    EXPECT_EQ(5, IndexHits("fig")) << "each message indexed once";
  }
}

// Many small index steps, as a busy server takes them: the segments FTS5 makes (one a step)
// are merged as they come (migration 4: each IndexMessages owes merge work that MergeIndex
// does in short steps, FTS5's own automerge is off), so their number stays small, and every
// message is still found.
TEST_P(SqliteStoreTest, ManySmallIndexStepsKeepTheSegmentsMerged) {
  if (GetParam() == "memory") GTEST_SKIP() << "segments are counted in the database file";
  CreateRoom(Room("lobby", "alice"));
  for (int step = 0; step < 300; ++step) {
    for (int i = 0; i < 3; ++i) {
      Send("#lobby", "alice", "step" + std::to_string(step) + " word" + std::to_string(i));
    }
    ASSERT_TRUE(s().Begin().ok());
    auto more = s().IndexMessages(3);
    ASSERT_TRUE(s().Commit().ok());
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    for (int merges = 0;; ++merges) {
      ASSERT_LT(merges, 100) << "the merging owed never ends";
      ASSERT_TRUE(s().BeginLazy().ok());
      auto owed = s().MergeIndex(8);
      ASSERT_TRUE(s().Commit().ok());
      ASSERT_TRUE(owed.ok()) << owed.status().ToString();
      if (*owed == 0) break;
    }
  }
  int64_t segments = RawInt(path_, "SELECT COUNT(DISTINCT segid) FROM messages_fts_idx");
  EXPECT_GT(segments, 0);
  EXPECT_LE(segments, 10) << "300 steps left this many segments unmerged";
  EXPECT_EQ(300, IndexHits("word1"));
  EXPECT_EQ((Strs{"step0 word2"}), Texts(Find("alice", "step0 word2")));
  EXPECT_EQ((Strs{"step299 word0"}), Texts(Find("alice", "step299 word0")));
}

// What an index step owes: at least 64 pages of merging, an eighth of a page a message
// beyond that; MergeIndex does it in pieces and says what is left.
TEST_P(SqliteStoreTest, MergeIndexDoesTheMergingIndexStepsOwe) {
  auto merge = [&](int64_t pages) {
    EXPECT_TRUE(s().Begin().ok());
    auto owed = s().MergeIndex(pages);
    EXPECT_TRUE(s().Commit().ok());
    EXPECT_TRUE(owed.ok()) << owed.status().ToString();
    return owed.ok() ? *owed : -1;
  };
  EXPECT_EQ(0, merge(8)) << "nothing indexed, nothing owed";
  CreateRoom(Room("lobby", "alice"));
  for (int i = 0; i < 3; ++i) Send("#lobby", "alice", "walnut " + std::to_string(i));
  IndexAll();
  EXPECT_EQ(56, merge(8));
  EXPECT_EQ(0, merge(1000));
  IndexAll();  // nothing new: owes nothing
  EXPECT_EQ(0, merge(8));
  ASSERT_TRUE(s().Begin().ok());
  for (int i = 0; i < 800; ++i) {
    ASSERT_TRUE(s().AppendMessage(Msg("#lobby", "alice", "pecan " + std::to_string(i))).ok());
  }
  ASSERT_TRUE(s().Commit().ok());
  IndexAll();
  EXPECT_EQ(99, merge(1));
  EXPECT_EQ(0, merge(99));
  if (GetParam() != "memory") {
    EXPECT_EQ(800, IndexHits("pecan"));
  }
}

TEST_P(SqliteStoreTest, SearchPrefixWithTrailingStar) {
  CreateRoom(Room("lobby", "alice"));
  Send("#lobby", "alice", "international");
  Send("#lobby", "alice", "inter");
  Send("#lobby", "alice", "intern");
  Send("#lobby", "alice", "winter");
  EXPECT_EQ((Strs{"intern", "inter", "international"}), Texts(Find("alice", "inter*")));
  EXPECT_EQ((Strs{"inter"}), Texts(Find("alice", "inter")));
}

TEST_P(SqliteStoreTest, SearchTreatsQuotesAndOperatorsAsText) {
  CreateRoom(Room("lobby", "alice"));
  Send("#lobby", "alice", "cats and dogs");
  Send("#lobby", "alice", "cats or birds");
  const char* queries[] = {"\"",
                           "\"\"",
                           "cats\"",
                           "\"cats",
                           "'",
                           "AND",
                           "OR",
                           "NOT",
                           "cats AND",
                           "OR cats",
                           "NOT cats",
                           "NEAR(",
                           "NEAR(cats dogs)",
                           "cats -dogs",
                           "text:cats",
                           "^cats",
                           "(",
                           ")",
                           "cats)",
                           "{cats}",
                           "*",
                           "**",
                           "cats**",
                           "*cats",
                           "+",
                           "c\"a\"t\"s",
                           "col:",
                           "a:b:c",
                           "\\",
                           "dogs;DROP"};
  for (const char* q : queries) Find("alice", q);  // Find expects ok
  // Operators are words: "OR" matches the word "or", not a boolean operator.
  EXPECT_EQ((Strs{"cats or birds"}), Texts(Find("alice", "cats OR")));
  // "NOT" is a word no message holds, not negation; "-" does not negate either.
  EXPECT_TRUE(Find("alice", "NOT dogs").empty());
  EXPECT_EQ((Strs{"cats and dogs"}), Texts(Find("alice", "cats -dogs")));
  EXPECT_EQ((Strs{"cats and dogs"}), Texts(Find("alice", "\"dogs\"")));
}

TEST_P(SqliteStoreTest, SearchWithBlankQueryFindsNothing) {
  CreateRoom(Room("lobby", "alice"));
  Send("#lobby", "alice", "text");
  EXPECT_TRUE(Find("alice", "").empty());
  EXPECT_TRUE(Find("alice", "   \t ").empty());
}

TEST_P(SqliteStoreTest, SearchRespectsLimit) {
  CreateRoom(Room("lobby", "alice"));
  for (int i = 0; i < 5; ++i) Send("#lobby", "alice", "same word");
  IndexAll();
  auto r = s().Search("alice", "word", "", 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((Seq{5, 4}), Seqs(*r));
}

// --- conversation summaries and start-up loads ---

TEST_P(SqliteStoreTest, ConvsCountUnreadFromOthersExcludingDeleted) {
  CreateRoom(Room("lobby", "alice"));
  Join("#lobby", "bob");
  Send("#lobby", "alice", "a1");  // 1: own
  Send("#lobby", "bob", "b1");    // 2
  Send("#lobby", "bob", "b2");    // 3: deleted below
  Send("#lobby", "bob", "b3");    // 4
  Send("#lobby", "alice", "a2");  // 5: own
  ASSERT_TRUE(Write([&](Store& x) { return x.DeleteMessage("#lobby", 3, "bob", false); }).ok());
  auto c = s().Convs("alice");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(1u, c->size());
  const ConvSummary& lobby = (*c)[0];
  EXPECT_EQ("#lobby", lobby.conv);
  EXPECT_EQ(5, lobby.last_seq);
  EXPECT_EQ(0, lobby.read_seq);
  EXPECT_EQ(2, lobby.unread);  // seq 2 and 4
  ASSERT_TRUE(lobby.last.has_value());
  EXPECT_EQ(5, lobby.last->seq);
  EXPECT_EQ("a2", lobby.last->text);

  ASSERT_TRUE(s().Begin().ok());
  ASSERT_TRUE(s().MarkRead("#lobby", "alice", 2).ok());
  ASSERT_TRUE(s().Commit().ok());
  auto after = s().Convs("alice");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(2, (*after)[0].read_seq);
  EXPECT_EQ(1, (*after)[0].unread);  // seq 4

  auto bobs = s().Convs("bob");
  ASSERT_TRUE(bobs.ok());
  EXPECT_EQ(2, (*bobs)[0].unread);  // alice's 1 and 5
}

TEST_P(SqliteStoreTest, ConvsListsEveryConversationOfTheUserInOrder) {
  CreateRoom(Room("zeta", "alice"));
  CreateRoom(Room("alpha", "alice"));
  CreateRoom(Room("other", "bob"));
  Join("@alice,bob", "alice");
  Send("@alice,bob", "bob", "hi");
  auto c = s().Convs("alice");
  ASSERT_TRUE(c.ok());
  std::vector<std::string> convs;
  for (const auto& x : *c) convs.push_back(x.conv);
  EXPECT_EQ((Strs{"#alpha", "#zeta", "@alice,bob"}), convs);
  // A conversation without messages has no last message.
  EXPECT_EQ(0, (*c)[0].last_seq);
  EXPECT_FALSE((*c)[0].last.has_value());
  EXPECT_EQ(1, (*c)[2].unread);
  EXPECT_TRUE(s().Convs("nobody")->empty());
}

TEST_P(SqliteStoreTest, LoadConvsGivesTheLastSeqOfEachConversation) {
  Send("#a", "alice", "1");
  Send("#a", "alice", "2");
  Send("#b", "alice", "1");
  Send("@alice,bob", "bob", "1");
  Send("@alice,bob", "bob", "2");
  Send("@alice,bob", "bob", "3");
  ASSERT_TRUE(Write([&](Store& x) { return x.DeleteMessage("@alice,bob", 3, "bob", false); }).ok());
  auto c = s().LoadConvs();
  ASSERT_TRUE(c.ok());
  std::map<std::string, int64_t> got;
  for (const auto& r : *c) got[r.conv] = r.last_seq;
  EXPECT_EQ((std::map<std::string, int64_t>{{"#a", 2}, {"#b", 1}, {"@alice,bob", 3}}), got);
}

TEST_P(SqliteStoreTest, LoadMembersIncludesReadPositions) {
  CreateRoom(Room("lobby", "alice"));
  Join("#lobby", "bob");
  Join("@bob,carol", "carol");
  Send("#lobby", "alice", "x");
  ASSERT_TRUE(s().Begin().ok());
  ASSERT_TRUE(s().MarkRead("#lobby", "bob", 1).ok());
  ASSERT_TRUE(s().Commit().ok());
  auto m = s().LoadMembers();
  ASSERT_TRUE(m.ok());
  std::map<std::string, std::string> got;
  for (const auto& r : *m) {
    got[r.conv + " " + r.user] = r.role + " " + std::to_string(r.read_seq);
  }
  EXPECT_EQ((std::map<std::string, std::string>{{"#lobby alice", "owner 0"},
                                                {"#lobby bob", "member 1"},
                                                {"@bob,carol carol", "member 0"}}),
            got);
}

// --- crash recovery ---

// Runs `child` in a forked process that exits with its return value via _exit() (no
// destructors, no close). Returns the exit status, or -1.
template <typename Fn>
int RunInChild(Fn child) {
  pid_t pid = fork();
  if (pid == 0) _exit(child());
  if (pid < 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// In a child process: opens `path` with `opts` (synchronous=full unless they say otherwise,
// as slserver runs), commits messages "m1".."m<commits>" to #lobby one per transaction and
// exits without closing anything. Returns the child's exit status (0: all committed).
int CommitInChildAndDie(const std::string& path, const SqliteOptions& opts, int commits) {
  return RunInChild([&] {
    auto r = OpenSqlite(path, opts);
    if (!r.ok()) return 2;
    Store* st = r.value().release();  // never closed
    for (int i = 1; i <= commits; ++i) {
      if (!st->Begin().ok()) return 3;
      if (!st->AppendMessage(Msg("#lobby", "alice", "m" + std::to_string(i))).ok()) return 4;
      if (!st->Commit().ok()) return 5;
    }
    return 0;
  });
}

TEST(SqliteStoreCrash, CommittedMessagesSurviveExitWithoutClose) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.File("crash.db");
  ASSERT_EQ(0, CommitInChildAndDie(path, SqliteOptions{}, 3));
  auto st = Open(path);
  ASSERT_TRUE(st);
  Status ic = st->IntegrityCheck();
  EXPECT_TRUE(ic.ok()) << ic.ToString();
  auto h = st->History("#lobby", std::nullopt, std::nullopt, 100);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((Strs{"m1", "m2", "m3"}), Texts(*h));
  EXPECT_EQ((Seq{1, 2, 3}), Seqs(*h));
}

// The same with checkpoints running on their own thread while commits go on: a process
// that dies at any point keeps every committed message.
TEST(SqliteStoreCrash, CommittedMessagesSurviveExitWhileCheckpointingInBackground) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.File("crash.db");
  const int kCommits = 400;
  SqliteOptions o;
  o.checkpoint_in_background = true;
  o.checkpoint_pages = 16;
  ASSERT_EQ(0, CommitInChildAndDie(path, o, kCommits));
  auto st = Open(path);
  ASSERT_TRUE(st);
  Status ic = st->IntegrityCheck();
  EXPECT_TRUE(ic.ok()) << ic.ToString();
  auto h = st->History("#lobby", std::nullopt, std::nullopt, 200);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(200u, h->size());
  EXPECT_EQ(kCommits, h->back().seq);
  EXPECT_EQ("m" + std::to_string(kCommits), h->back().text);
}

TEST(SqliteStoreCrash, UncommittedTransactionIsGoneAfterExitMidTransaction) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.File("crash.db");
  int rc = RunInChild([&] {
    auto r = OpenSqlite(path, SqliteOptions{});
    if (!r.ok()) return 2;
    Store* st = r.value().release();
    for (int i = 1; i <= 2; ++i) {
      if (!st->Begin().ok()) return 3;
      if (!st->AppendMessage(Msg("#lobby", "alice", "kept" + std::to_string(i))).ok()) return 4;
      if (!st->Commit().ok()) return 5;
    }
    if (!st->Begin().ok()) return 6;
    // Enough data that SQLite spills uncommitted pages to the WAL before we die.
    std::string big(8192, 'x');
    for (int i = 0; i < 600; ++i) {
      if (!st->AppendMessage(Msg("#lobby", "alice", big)).ok()) return 7;
      if (!st->AppendMessage(Msg("#other", "bob", big)).ok()) return 8;
    }
    if (!st->CreateRoom(Room("ghost", "alice")).ok()) return 9;
    return 0;  // _exit in the middle of the transaction
  });
  ASSERT_EQ(0, rc);
  auto st = Open(path);
  ASSERT_TRUE(st);
  Status ic = st->IntegrityCheck();
  EXPECT_TRUE(ic.ok()) << ic.ToString();
  auto h = st->History("#lobby", std::nullopt, std::nullopt, 1000);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((Strs{"kept1", "kept2"}), Texts(*h));
  EXPECT_TRUE(st->History("#other", std::nullopt, std::nullopt, 10)->empty());
  EXPECT_TRUE(st->LoadRooms()->empty());
  // Writing goes on from where the committed state left off.
  ASSERT_TRUE(st->Begin().ok());
  auto next = st->AppendMessage(Msg("#lobby", "alice", "after"));
  ASSERT_TRUE(st->Commit().ok());
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(3, next->message.seq);
}

// --- moments ---

// A file is seen through a moment by the moment's author and their followers, only while
// the moment is there, and only through a moment of the file's uploader.
TEST_P(SqliteStoreTest, FileInVisibleMomentFollowsAuthorFollowersAndDeletion) {
  FileRecord f;
  f.file_id = "f1";
  f.conv = "#priv";
  f.uploader = "alice";
  f.name = "p.png";
  f.mime = "image/png";
  f.size = 3;
  f.sha256 = std::string(64, 'a');
  ASSERT_TRUE(Write([&](Store& st) { return st.InsertFile(f); }).ok());
  ASSERT_TRUE(Write([](Store& st) { return st.SetFollow("bob", "alice", true, 1000); }).ok());
  ASSERT_TRUE(Write([](Store& st) { return st.SetFollow("carol", "mallory", true, 1000); }).ok());
  auto seen = [&](const std::string& file, const std::string& viewer) {
    auto r = s().FileInVisibleMoment(file, viewer);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  };
  EXPECT_FALSE(seen("f1", "bob"));  // no moment yet

  // A moment of someone else naming the file does not open it (moments carry only their
  // author's uploads; the server refuses such a moment before it gets here).
  int64_t other = 0;
  ASSERT_TRUE(Write([&](Store& st) {
                auto r = st.InsertMoment("mallory", "x", {"f1"}, 1500);
                if (r.ok()) other = *r;
                return r.status();
              }).ok());
  EXPECT_FALSE(seen("f1", "carol"));

  int64_t id = 0;
  ASSERT_TRUE(Write([&](Store& st) {
                auto r = st.InsertMoment("alice", "look", {"f0", "f1", "f10"}, 2000);
                if (r.ok()) id = *r;
                return r.status();
              }).ok());
  EXPECT_TRUE(seen("f1", "bob"));
  EXPECT_TRUE(seen("f1", "alice"));
  EXPECT_FALSE(seen("f1", "carol"));
  EXPECT_FALSE(seen("f", "bob"));  // ids are matched whole
  EXPECT_FALSE(seen("nope", "bob"));

  ASSERT_TRUE(Write([&](Store& st) { return st.DeleteMoment(id, "alice"); }).ok());
  EXPECT_FALSE(seen("f1", "bob"));
  EXPECT_NE(0, other);
}

}  // namespace
}  // namespace smartlink::storage
