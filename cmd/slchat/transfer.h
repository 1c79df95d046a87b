#pragma once

// File uploads and downloads over the session: binary chunk frames with a few in flight,
// SHA-256 checked on both sides, progress through the Ui, and resumption after a reconnect
// (file.begin {file_id} / file.get {offset}). A pipe or character device to upload is
// first copied to an unlinked temporary file, read as the event loop sees it ready. Main
// thread only.

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "event_loop.h"
#include "session.h"
#include "smartlink/util/crypto.h"
#include "ui.h"

namespace slchat {

// A MIME type from a file name's extension; application/octet-stream when unknown.
std::string GuessMime(const std::string& name);
// The last path component.
std::string BaseName(const std::string& path);

class Transfers {
 public:
  // `result`: the final reply (upload: file.end's ok; download: {path, size, sha256}).
  using Done = std::function<void(bool ok, const Json& result)>;

  Transfers(EventLoop* loop, Session* session, Ui* ui) : loop_(loop), session_(session), ui_(ui) {}
  ~Transfers();

  // Uploads the file at `path` to `to` ("#room" or "@user"). A pipe or character device
  // (/dev/stdin, <(cmd)) is read to its end first, up to the server's largest file.
  void Upload(const std::string& path, const std::string& to, Done done);
  // Downloads `file_id` to `path`: empty for its own name in the current directory (an
  // existing file is not overwritten), "-" for stdout.
  void Download(const std::string& file_id, const std::string& path, Done done);

  void OnBinary(const Json& header, std::string data);  // binary file.data
  void OnFileData(const Json& ev);                      // text file.data (base64)
  void OnReconnect();                                   // resumes what was cut off
  // "up cat.jpg 45%" for the prompt; empty when idle.
  std::string Status() const;

 private:
  struct UploadJob;
  struct DownloadJob;

  void Spool(const std::shared_ptr<UploadJob>& u);
  void ReadSpool(const std::shared_ptr<UploadJob>& u);
  void EndSpool(const std::shared_ptr<UploadJob>& u, const std::string& error);
  void StartUpload(const std::shared_ptr<UploadJob>& u);
  void BeginUpload(const std::shared_ptr<UploadJob>& u);
  void Pump(const std::shared_ptr<UploadJob>& u);
  void FinishUpload(const std::shared_ptr<UploadJob>& u);
  void FailUpload(const std::shared_ptr<UploadJob>& u, const std::string& error);
  void RequestData(const std::shared_ptr<DownloadJob>& d);
  void Write(const std::shared_ptr<DownloadJob>& d, int64_t offset, const std::string& bytes,
             bool last);
  void FailDownload(const std::shared_ptr<DownloadJob>& d, const std::string& error);

  EventLoop* loop_;
  Session* session_;
  Ui* ui_;
  std::map<std::string, std::shared_ptr<UploadJob>> uploads_;      // by path until file_id is known
  std::map<int, std::shared_ptr<UploadJob>> spools_;               // being copied, by input fd
  std::map<std::string, std::shared_ptr<DownloadJob>> downloads_;  // by file_id
};

}  // namespace slchat
