// The SQLite store's files, follows, moments, notifications and statistics.

#include "sqlite_internal.h"

namespace smartlink::storage::sql {

namespace {

constexpr const char* kFileColumns =
    "file_id, conv, uploader, name, mime, size, sha256, created_ts, expires_ts";

FileRecord ReadFile(const Stmt& q) {
  FileRecord f;
  f.file_id = q.Text(0);
  f.conv = q.Text(1);
  f.uploader = q.Text(2);
  f.name = q.Text(3);
  f.mime = q.Text(4);
  f.size = q.Int(5);
  f.sha256 = q.Text(6);
  f.created_ts = q.Int(7);
  f.expires_ts = q.Int(8);
  return f;
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

std::vector<std::string> SplitIds(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Returns the author of a live moment, NotFound otherwise.
Result<std::string> MomentAuthor(SqlConn& c, int64_t id) {
  Stmt q = c.Prepare("SELECT author FROM moments WHERE id = ? AND deleted = 0");
  q.Bind(id);
  int rc = q.Step();
  if (rc == SQLITE_DONE) return Status::NotFound("no moment " + std::to_string(id));
  if (rc != SQLITE_ROW) return q.Error("find moment");
  return q.Text(0);
}

// The author of a moment `viewer` may see (their own, or by someone they follow).
Result<std::string> VisibleAuthor(SqlConn& c, int64_t id, std::string_view viewer) {
  auto author = MomentAuthor(c, id);
  if (!author.ok() || *author == viewer) return author;
  Stmt q = c.Prepare("SELECT 1 FROM follows WHERE follower = ? AND followee = ?");
  q.Bind(viewer).Bind(*author);
  int rc = q.Step();
  if (rc == SQLITE_DONE) return Status::Forbidden("moments are for the author's followers");
  if (rc != SQLITE_ROW) return q.Error("follows");
  return author;
}

// Fills likes, liked and comments of `m`.
Status Decorate(SqlConn& c, MomentRecord* m, std::string_view viewer) {
  {
    Stmt q = c.Prepare(
        "SELECT COUNT(*), COALESCE(SUM(user = ?), 0) FROM moment_likes WHERE moment_id = ?");
    q.Bind(viewer).Bind(m->moment_id);
    if (q.Step() != SQLITE_ROW) return q.Error("likes");
    m->likes = q.Int(0);
    m->liked = q.Int(1) > 0;
  }
  Stmt q = c.Prepare(
      "SELECT id, user, text, ts FROM moment_comments WHERE moment_id = ? ORDER BY id LIMIT 100");
  q.Bind(m->moment_id);
  while (q.Step() == SQLITE_ROW) {
    m->comments.push_back(CommentRecord{q.Int(0), q.Text(1), q.Text(2), q.Int(3)});
  }
  if (q.rc() != SQLITE_DONE) return q.Error("comments");
  return Status::Ok();
}

MomentRecord ReadMoment(const Stmt& q) {
  MomentRecord m;
  m.moment_id = q.Int(0);
  m.author = q.Text(1);
  m.text = q.Text(2);
  m.file_ids = SplitIds(q.Text(3));
  m.ts = q.Int(4);
  if (!q.IsNull(5)) m.edited_ts = q.Int(5);
  return m;
}

Result<int64_t> CountOne(SqlConn& c, const std::string& sql, std::string_view arg) {
  Stmt q = c.Prepare(sql);
  if (!arg.empty()) q.Bind(arg);
  if (q.Step() != SQLITE_ROW) return q.Error("count");
  return q.Int(0);
}

}  // namespace

Status InsertFile(SqlConn& c, const FileRecord& f) {
  Stmt q =
      c.Prepare(std::string("INSERT INTO files (") + kFileColumns + ") VALUES (?,?,?,?,?,?,?,?,?)");
  q.Bind(f.file_id).Bind(f.conv).Bind(f.uploader).Bind(f.name).Bind(f.mime).Bind(f.size);
  q.Bind(f.sha256).Bind(f.created_ts).Bind(f.expires_ts);
  if (q.Step() != SQLITE_DONE) return q.Error("insert file");
  return Status::Ok();
}

Status DeleteFile(SqlConn& c, std::string_view file_id) {
  Stmt q = c.Prepare("DELETE FROM files WHERE file_id = ?");
  q.Bind(file_id);
  if (q.Step() != SQLITE_DONE) return q.Error("delete file");
  return Status::Ok();
}

Result<FileRecord> GetFile(SqlConn& c, std::string_view file_id) {
  Stmt q = c.Prepare(std::string("SELECT ") + kFileColumns + " FROM files WHERE file_id = ?");
  q.Bind(file_id);
  int rc = q.Step();
  if (rc == SQLITE_DONE) return Status::NotFound("no file " + std::string(file_id));
  if (rc != SQLITE_ROW) return q.Error("get file");
  return ReadFile(q);
}

Result<std::vector<FileRecord>> ExpiredFiles(SqlConn& c, int64_t now, int limit) {
  Stmt q = c.Prepare(std::string("SELECT ") + kFileColumns +
                     " FROM files WHERE expires_ts > 0 AND expires_ts <= ? LIMIT ?");
  q.Bind(now).Bind(limit);
  std::vector<FileRecord> out;
  while (q.Step() == SQLITE_ROW) out.push_back(ReadFile(q));
  if (q.rc() != SQLITE_DONE) return q.Error("expired files");
  return out;
}

Result<int64_t> CountFilesWithHash(SqlConn& c, std::string_view sha256) {
  return CountOne(c, "SELECT COUNT(*) FROM files WHERE sha256 = ?", sha256);
}

Status SetFollow(SqlConn& c, std::string_view follower, std::string_view followee, bool on,
                 int64_t ts) {
  Stmt q = c.Prepare(on ? "INSERT OR IGNORE INTO follows (follower, followee, ts) VALUES (?,?,?)"
                        : "DELETE FROM follows WHERE follower = ? AND followee = ?");
  q.Bind(follower).Bind(followee);
  if (on) q.Bind(ts);
  if (q.Step() != SQLITE_DONE) return q.Error("follow");
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> LoadFollows(SqlConn& c) {
  Stmt q = c.Prepare("SELECT follower, followee FROM follows");
  std::vector<std::pair<std::string, std::string>> out;
  while (q.Step() == SQLITE_ROW) out.emplace_back(q.Text(0), q.Text(1));
  if (q.rc() != SQLITE_DONE) return q.Error("load follows");
  return out;
}

Result<int64_t> InsertMoment(SqlConn& c, std::string_view author, std::string_view text,
                             const std::vector<std::string>& file_ids, int64_t ts) {
  Stmt q =
      c.Prepare("INSERT INTO moments (author, text, file_ids, ts) VALUES (?,?,?,?) RETURNING id");
  q.Bind(author).Bind(text).Bind(JoinIds(file_ids)).Bind(ts);
  if (q.Step() != SQLITE_ROW) return q.Error("insert moment");
  int64_t id = q.Int(0);
  q.Step();
  return id;
}

Status EditMoment(SqlConn& c, int64_t id, std::string_view author, std::string_view text,
                  int64_t ts) {
  auto owner = MomentAuthor(c, id);
  if (!owner.ok()) return owner.status();
  if (*owner != author) return Status::Forbidden("only the author may edit a moment");
  Stmt q = c.Prepare("UPDATE moments SET text = ?, edited_ts = ? WHERE id = ?");
  q.Bind(text).Bind(ts).Bind(id);
  if (q.Step() != SQLITE_DONE) return q.Error("edit moment");
  return Status::Ok();
}

Status DeleteMoment(SqlConn& c, int64_t id, std::string_view author) {
  auto owner = MomentAuthor(c, id);
  if (!owner.ok()) return owner.status();
  if (*owner != author) return Status::Forbidden("only the author may delete a moment");
  for (const char* sql : {"UPDATE moments SET deleted = 1, text = '', file_ids = '' WHERE id = ?",
                          "DELETE FROM moment_likes WHERE moment_id = ?",
                          "DELETE FROM moment_comments WHERE moment_id = ?"}) {
    Stmt q = c.Prepare(sql);
    q.Bind(id);
    if (q.Step() != SQLITE_DONE) return q.Error("delete moment");
  }
  return Status::Ok();
}

Result<MomentTouch> LikeMoment(SqlConn& c, int64_t id, std::string_view user, bool on, int64_t ts) {
  auto author = VisibleAuthor(c, id, user);
  if (!author.ok()) return author.status();
  Stmt q = c.Prepare(on ? "INSERT OR IGNORE INTO moment_likes (moment_id, user, ts) VALUES (?,?,?)"
                        : "DELETE FROM moment_likes WHERE moment_id = ? AND user = ?");
  q.Bind(id).Bind(user);
  if (on) q.Bind(ts);
  if (q.Step() != SQLITE_DONE) return q.Error("like");
  MomentTouch t;
  t.author = *author;
  t.changed = q.Changes() > 0;
  return t;
}

Result<MomentTouch> AddComment(SqlConn& c, int64_t id, std::string_view user, std::string_view text,
                               int64_t ts) {
  auto author = VisibleAuthor(c, id, user);
  if (!author.ok()) return author.status();
  Stmt q = c.Prepare(
      "INSERT INTO moment_comments (moment_id, user, text, ts) VALUES (?,?,?,?) RETURNING id");
  q.Bind(id).Bind(user).Bind(text).Bind(ts);
  if (q.Step() != SQLITE_ROW) return q.Error("comment");
  MomentTouch t;
  t.author = *author;
  t.changed = true;
  t.comment_id = q.Int(0);
  q.Step();
  return t;
}

Result<MomentRecord> GetMoment(SqlConn& c, int64_t id, std::string_view viewer) {
  Stmt q = c.Prepare(
      "SELECT id, author, text, file_ids, ts, edited_ts FROM moments WHERE id = ? AND "
      "deleted = 0");
  q.Bind(id);
  int rc = q.Step();
  if (rc == SQLITE_DONE) return Status::NotFound("no moment " + std::to_string(id));
  if (rc != SQLITE_ROW) return q.Error("get moment");
  MomentRecord m = ReadMoment(q);
  if (Status s = Decorate(c, &m, viewer); !s.ok()) return s;
  return m;
}

Result<std::vector<MomentRecord>> Feed(SqlConn& c, std::string_view viewer,
                                       std::optional<int64_t> before, int limit) {
  Stmt q = c.Prepare(
      "SELECT id, author, text, file_ids, ts, edited_ts FROM moments "
      "WHERE deleted = 0 AND id < ? AND (author = ? OR author IN "
      "  (SELECT followee FROM follows WHERE follower = ?)) "
      "ORDER BY id DESC LIMIT ?");
  q.Bind(before.value_or(INT64_MAX)).Bind(viewer).Bind(viewer).Bind(limit);
  std::vector<MomentRecord> out;
  while (q.Step() == SQLITE_ROW) out.push_back(ReadMoment(q));
  if (q.rc() != SQLITE_DONE) return q.Error("feed");
  for (auto& m : out) {
    if (Status s = Decorate(c, &m, viewer); !s.ok()) return s;
  }
  return out;
}

Result<bool> FileInVisibleMoment(SqlConn& c, std::string_view file_id, std::string_view viewer) {
  Stmt q = c.Prepare(
      "SELECT 1 FROM moments m WHERE m.deleted = 0 "
      // A moment carries only its author's uploads: the author's moments are all it reads
      // (moments_by_author).
      "AND m.author = (SELECT uploader FROM files WHERE file_id = ?1) "
      "AND (',' || m.file_ids || ',') LIKE ('%,' || ?1 || ',%') "
      "AND (m.author = ?2 OR EXISTS (SELECT 1 FROM follows f WHERE f.follower = ?2 "
      "     AND f.followee = m.author)) LIMIT 1");
  q.Bind(file_id).Bind(viewer);
  int rc = q.Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return q.Error("moment files");
  return rc == SQLITE_ROW;
}

Result<int64_t> InsertNotification(SqlConn& c, const NotificationRecord& n, bool delivered) {
  Stmt q = c.Prepare(
      "INSERT INTO notifications (user, kind, title, body, data, ts, delivered) "
      "VALUES (?,?,?,?,?,?,?) RETURNING id");
  q.Bind(n.user).Bind(n.kind).Bind(n.title).Bind(n.body).Bind(n.data_json).Bind(n.ts);
  q.Bind(delivered);
  if (q.Step() != SQLITE_ROW) return q.Error("insert notification");
  int64_t id = q.Int(0);
  q.Step();
  return id;
}

Result<std::vector<NotificationRecord>> PendingNotifications(SqlConn& c, std::string_view user,
                                                             int limit) {
  Stmt q = c.Prepare(
      "SELECT id, user, kind, title, body, data, ts FROM notifications "
      "WHERE user = ? AND delivered = 0 ORDER BY id LIMIT ?");
  q.Bind(user).Bind(limit);
  std::vector<NotificationRecord> out;
  while (q.Step() == SQLITE_ROW) {
    out.push_back(NotificationRecord{q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4),
                                     q.Text(5), q.Int(6)});
  }
  if (q.rc() != SQLITE_DONE) return q.Error("pending notifications");
  return out;
}

Result<std::vector<std::string>> UsersWithPendingNotifications(SqlConn& c) {
  Stmt q = c.Prepare("SELECT DISTINCT user FROM notifications WHERE delivered = 0");
  std::vector<std::string> out;
  while (q.Step() == SQLITE_ROW) out.push_back(q.Text(0));
  if (q.rc() != SQLITE_DONE) return q.Error("users with pending notifications");
  return out;
}

Status MarkDelivered(SqlConn& c, std::string_view user, int64_t upto_id) {
  Stmt q = c.Prepare(
      "UPDATE notifications SET delivered = 1 WHERE user = ? AND id <= ? AND delivered = 0");
  q.Bind(user).Bind(upto_id);
  if (q.Step() != SQLITE_DONE) return q.Error("mark delivered");
  return Status::Ok();
}

Result<Stats> GetStats(SqlConn& c, std::string_view user) {
  Stats s;
  auto get = [&](const char* user_sql, const char* all_sql, int64_t* out) -> Status {
    auto n = user.empty() ? CountOne(c, all_sql, "") : CountOne(c, user_sql, user);
    if (!n.ok()) return n.status();
    *out = *n;
    return Status::Ok();
  };
  Status st = get("SELECT COUNT(*) FROM messages WHERE sender = ?", "SELECT COUNT(*) FROM messages",
                  &s.messages);
  if (st.ok()) {
    st = get("SELECT COUNT(*) FROM members WHERE user = ?",
             "SELECT COUNT(DISTINCT conv) FROM messages", &s.conversations);
  }
  if (st.ok()) {
    st = get("SELECT COUNT(*) FROM members WHERE user = ? AND conv LIKE '#%'",
             "SELECT COUNT(*) FROM rooms", &s.rooms);
  }
  if (st.ok()) {
    st = get("SELECT COUNT(*) FROM files WHERE uploader = ?", "SELECT COUNT(*) FROM files",
             &s.files);
  }
  if (st.ok()) {
    st = get("SELECT COUNT(*) FROM moments WHERE author = ? AND deleted = 0",
             "SELECT COUNT(*) FROM moments WHERE deleted = 0", &s.moments);
  }
  if (st.ok() && user.empty()) {
    st = get("", "SELECT COUNT(DISTINCT user) FROM members", &s.users);
  }
  if (!st.ok()) return st;
  return s;
}

}  // namespace smartlink::storage::sql
