#pragma once

// SQLite plumbing shared by the files of the SQLite store. Private to libcore/storage.

#include <sqlite3.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smartlink/storage/store.h"
#include "smartlink/util/status.h"

namespace smartlink::storage {

// Maps an SQLite result code to a Status: resource problems are Unavailable (the caller may
// retry later), anything else Internal.
Status SqlError(sqlite3* db, int rc, std::string_view what);

// A prepared statement in use: bind, step, read columns; reset when it goes out of scope.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s, int prepare_rc) : db_(db), s_(s), rc_(prepare_rc) {}
  ~Stmt() {
    if (s_) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(std::string_view v) {
    if (s_) sqlite3_bind_text(s_, ++i_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(const std::string& v) { return Bind(std::string_view(v)); }
  Stmt& Bind(const char* v) { return Bind(std::string_view(v)); }
  Stmt& Bind(int64_t v) {
    if (s_) sqlite3_bind_int64(s_, ++i_, v);
    return *this;
  }
  Stmt& Bind(int v) { return Bind(static_cast<int64_t>(v)); }
  Stmt& Bind(bool v) { return Bind(static_cast<int64_t>(v ? 1 : 0)); }
  template <typename T>
  Stmt& Bind(const std::optional<T>& v) {
    if (v) return Bind(*v);
    if (s_) sqlite3_bind_null(s_, ++i_);
    return *this;
  }
  Stmt& BindNullIfEmpty(std::string_view v) {
    if (!v.empty()) return Bind(v);
    if (s_) sqlite3_bind_null(s_, ++i_);
    return *this;
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return s_ ? (rc_ = sqlite3_step(s_)) : rc_; }
  int rc() const { return rc_; }
  // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  int Changes() const { return sqlite3_changes(db_); }
  Status Error(std::string_view what) const { return SqlError(db_, rc_, what); }

  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : "";
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
  int i_ = 0;
  int rc_ = SQLITE_OK;
};

// One SQLite connection with its cache of prepared statements. One thread at a time.
class SqlConn {
 public:
  explicit SqlConn(sqlite3* db) : db_(db) {}
  ~SqlConn();
  SqlConn(const SqlConn&) = delete;
  SqlConn& operator=(const SqlConn&) = delete;

  // Prepared once per connection and cached. A statement that fails to prepare (the database
  // is unreadable) yields a Stmt whose Step() reports that error.
  Stmt Prepare(const std::string& sql);
  // Runs one or more statements without results.
  Status ExecScript(const std::string& sql);

 protected:
  sqlite3* db_;

 private:
  std::map<std::string, sqlite3_stmt*> cache_;
};

// The SQLite side of files, follows, moments, notifications and statistics
// (sqlite_social.cc), used by SqliteStore.
namespace sql {
Status InsertFile(SqlConn& c, const FileRecord& f);
Status DeleteFile(SqlConn& c, std::string_view file_id);
Result<FileRecord> GetFile(SqlConn& c, std::string_view file_id);
Result<std::vector<FileRecord>> ExpiredFiles(SqlConn& c, int64_t now, int limit);
Result<int64_t> CountFilesWithHash(SqlConn& c, std::string_view sha256);
Status SetFollow(SqlConn& c, std::string_view follower, std::string_view followee, bool on,
                 int64_t ts);
Result<std::vector<std::pair<std::string, std::string>>> LoadFollows(SqlConn& c);
Result<int64_t> InsertMoment(SqlConn& c, std::string_view author, std::string_view text,
                             const std::vector<std::string>& file_ids, int64_t ts);
Status EditMoment(SqlConn& c, int64_t id, std::string_view author, std::string_view text,
                  int64_t ts);
Status DeleteMoment(SqlConn& c, int64_t id, std::string_view author);
Result<MomentTouch> LikeMoment(SqlConn& c, int64_t id, std::string_view user, bool on, int64_t ts);
Result<MomentTouch> AddComment(SqlConn& c, int64_t id, std::string_view user, std::string_view text,
                               int64_t ts);
Result<MomentRecord> GetMoment(SqlConn& c, int64_t id, std::string_view viewer);
Result<std::vector<MomentRecord>> Feed(SqlConn& c, std::string_view viewer,
                                       std::optional<int64_t> before, int limit);
Result<bool> FileInVisibleMoment(SqlConn& c, std::string_view file_id, std::string_view viewer);
Result<int64_t> InsertNotification(SqlConn& c, const NotificationRecord& n, bool delivered);
Result<std::vector<std::string>> UsersWithPendingNotifications(SqlConn& c);
Result<std::vector<NotificationRecord>> PendingNotifications(SqlConn& c, std::string_view user,
                                                             int limit);
Status MarkDelivered(SqlConn& c, std::string_view user, int64_t upto_id);
Result<Stats> GetStats(SqlConn& c, std::string_view user);
}  // namespace sql

}  // namespace smartlink::storage
