#pragma once

// Chat is slchat's client state and the commands of its grammar on top of a Session: rooms,
// the current conversation, read positions (for catching up after a reconnect), end-to-end
// keys, typing, calls and file transfers. Front ends (REPL, scripts, one-shot commands)
// feed it Commands and show what it prints through a Ui. Main thread only.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "command.h"
#include "event_loop.h"
#include "render.h"
#include "sequencer.h"
#include "session.h"
#include "transfer.h"
#include "ui.h"

namespace slchat {

struct ChatOptions {
  bool json = false;           // print every frame as JSON instead of text
  bool color = false;          // ANSI colours in text
  bool interactive = false;    // REPL: show recent messages on join/switch, mark shown ones read
  bool lines_on_stdin = true;  // '-' for SDP: the following input lines (else: all of stdin)
  bool print = true;           // show events as they come (one-shot commands print only results)
  std::map<std::string, std::string> passphrases;  // room -> e2e passphrase (--key)
};

class Chat {
 public:
  using Done = std::function<void(bool ok)>;

  Chat(EventLoop* loop, SessionOptions session, ChatOptions options, Ui* ui);
  ~Chat();

  // Connects. `on_ready` runs once the session is authenticated and slchat knows the rooms
  // and read positions; `on_fatal` when the session gives up (the front end exits 1).
  void Start(std::function<void()> on_ready, std::function<void(const std::string&)> on_fatal);
  void Stop() { session_.Stop(); }

  // Runs one command (or sends a text line); `done` tells whether it succeeded, after the
  // error (if any) was shown. /quit is the front end's business and never reaches here.
  void Execute(const Command& cmd, Done done);

  // Input lines for a command waiting for them ("/call @bob -"): true when consumed.
  bool FeedLine(const std::string& line);
  bool collecting() const { return static_cast<bool>(heredoc_); }
  // The REPL's input line changed: sends typing indicators.
  void OnInputChanged(const std::string& line);

  // Calls `match` with every event (and its text line) until it returns true.
  uint64_t Watch(std::function<bool(const Json& ev, const std::string& line)> match);
  void Unwatch(uint64_t id);

  // For the prompt and tab completion.
  const std::string& current() const { return current_; }
  // Whether a line holds a secret that must not be kept in the history file: a passphrase
  // or a room password, or text for an end-to-end encrypted room.
  bool HoldsSecret(const Command& cmd) const;
  const std::string& self() const { return session_.user(); }
  std::vector<std::string> TypingIn(const std::string& conv) const;
  std::string TransferStatus() const { return transfers_->Status(); }
  std::vector<std::string> RoomNames() const;
  std::vector<std::string> UserNames() const;
  std::vector<std::string> StreamNames() const;

  // The conversation id of a target ("#room", "room", "@bob", "@alice,bob") seen from us.
  std::string ConvOf(const std::string& target) const;
  // The send target of a conversation: "#room" or "@peer".
  std::string TargetOf(const std::string& conv) const;
  // Encrypts for e2e rooms; nullopt (with the error shown) when the key is missing.
  std::optional<std::string> SealText(const std::string& conv, const std::string& text);
  // Replaces encrypted texts in a frame (event or reply) by their plain text.
  void OpenFrame(Json& frame);
  bool SetPassphrase(const std::string& room, const std::string& passphrase);
  // Replays the messages of `conv` after `since` (sync), then keeps it in order; `done`
  // gets the sync's reply.
  void Replay(const std::string& conv, int64_t since, std::function<void(const Json&)> done);

  Session& session() { return session_; }
  Transfers& transfers() { return *transfers_; }
  Ui& ui() { return *ui_; }
  const ChatOptions& options() const { return options_; }
  RenderContext Context(bool color) const;

 private:
  struct RoomInfo {
    bool joined = false;
    bool e2e = false;
  };
  struct Call {
    std::string peer;
    bool outgoing = false;
    bool active = false;
  };

  // chat.cc: events and connection.
  void OnReady(const Json& welcome, bool again);
  void OnFrame(Json& frame, bool quiet);
  void Deliver(Json& frame, bool quiet);
  void SyncConv(const std::string& conv);
  void OnDown(int code, const std::string& reason, int64_t retry_ms);
  void CatchUp();
  void CaughtUp(const std::string& conv);
  void MaybeDoneCatchingUp();
  void NoteEvent(const Json& ev);
  void OpenMessage(Json& msg);
  void ScheduleRead(const std::string& conv);
  void RefreshRooms(std::function<void()> then);
  void Show(const Json& ev);

  // chat_commands.cc: rooms and messages.
  void Req(Json req, std::function<void(const Json& ok)> on_ok, Done done, bool retry = false);
  void SendText(const std::string& target, const std::string& text, const std::string& reply_to,
                Done done);
  void CmdCreate(const Command& c, Done done);
  void CmdJoin(const Command& c, Done done);
  void CmdLeave(const Command& c, Done done);
  void CmdRooms(Done done);
  void CmdWho(const Command& c, Done done);
  void CmdConvs(Done done);
  void CmdSwitch(const Command& c, Done done);
  void CmdHistory(const Command& c, Done done);
  void CmdSearch(const Command& c, Done done);
  void CmdMessageOp(const Command& c, Done done);  // edit, delete, react, read
  void CmdWait(const Command& c, Done done);
  void CmdRaw(const Command& c, Done done);
  void ShowRecent(const std::string& conv, int limit, Done done);
  std::string ConvArg(const Command& c, Done& done);  // --conv or the current one

  // chat_social.cc: presence, calls, moments, live streams, files.
  void CmdStatus(const Command& c, Done done);
  void CmdPresence(const Command& c, Done done);
  void CmdCall(const Command& c, Done done);
  void CmdAnswer(const Command& c, Done done);
  void CmdIce(const Command& c, Done done);
  void CmdHangup(const Command& c, Done done);
  void CmdSocial(const Command& c, Done done);  // follow, unfollow, moment, feed, like, comment
  void CmdLive(const Command& c, Done done);
  void CmdSend(const Command& c, Done done);
  void CmdGet(const Command& c, Done done);
  void NoteSignal(const Json& ev);
  // The SDP named by `arg`: a file, '-' (lines or stdin), or none when empty. An SDP that
  // is given but empty fails as a usage error of /`command`: `then` gets nullopt.
  void ReadSdp(const std::string& command, const std::string& arg,
               std::function<void(std::optional<std::string>)> then);

  EventLoop* loop_;
  ChatOptions options_;
  Ui* ui_;
  Session session_;
  std::unique_ptr<Transfers> transfers_;
  std::function<void()> on_ready_;
  std::function<void(const std::string&)> on_fatal_;

  std::string current_;
  std::map<std::string, RoomInfo> rooms_;
  std::set<std::string> users_;
  std::set<std::string> streams_;
  Sequencer seq_;                             // where each conversation stands; msg order
  std::set<std::string> syncing_;             // conversations with a sync under way
  std::map<std::string, int64_t> read_sent_;  // conv -> last seq marked read
  std::map<std::string, uint64_t> read_timers_;
  std::map<std::string, std::string> keys_;                       // room -> e2e key
  std::map<std::string, std::map<std::string, int64_t>> typing_;  // conv -> user -> until
  uint64_t typing_timer_ = 0;
  int64_t typing_sent_ms_ = 0;
  std::string typing_conv_;
  uint64_t typing_idle_timer_ = 0;
  std::map<std::string, Call> calls_;  // by call_id
  std::string last_call_;
  std::map<uint64_t, std::function<bool(const Json&, const std::string&)>> watchers_;
  uint64_t next_watcher_ = 0;
  std::function<void(const std::string&)> heredoc_;  // collecting lines; "." ends
  std::string heredoc_text_;
  bool catching_up_ = false;        // after a reconnect, until every conversation is
  std::set<std::string> catch_up_;  // caught up: the ones still to come
  int missed_ = 0;                  // messages delivered meanwhile
};

}  // namespace slchat
