// slchat's entry point: parse the command line, resolve the settings the modes share, and
// run the REPL, a script or a one-shot subcommand.

#include "app.h"

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "exit_codes.h"
#include "modes.h"
#include "repl.h"
#include "smartlink/net/ws_client.h"
#include "smartlink/version.h"

namespace slchat {

namespace {

std::string UsageFailure(const CLI::App*, const CLI::Error& e) {
  return std::string("slchat: error: ") + e.what() + "\nRun with --help for more information.\n";
}

bool ColorOn(int fd) {
  const char* no_color = getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = getenv("TERM");
  if (term && std::string(term) == "dumb") return false;
  return isatty(fd) == 1;
}

// Why `url` (from the command line or SL_URL) cannot be the server's URL, or empty. Only
// ws:// and wss:// are taken: an http(s):// URL (the same port serves HTTP) is a slip that
// the message corrects.
std::string UrlError(const std::string& url) {
  if (url.empty()) return "give the server URL (ws://HOST:PORT or wss://HOST:PORT)";
  if (url.rfind("ws://", 0) == 0 || url.rfind("wss://", 0) == 0) {
    std::string why;
    if (!smartlink::net::CheckServerUrl(url, &why)) return why + ": '" + url + "'";
    return "";
  }
  std::string error = "the server URL must start with ws:// or wss://, not '" + url + "'";
  if (url.rfind("http://", 0) == 0) return error + " (try ws://" + url.substr(7) + ")";
  if (url.rfind("https://", 0) == 0) return error + " (try wss://" + url.substr(8) + ")";
  return error;
}

// Checks the settings CLI11 cannot; an error message, or empty.
std::string Resolve(const Options& o, Setup* s) {
  s->options = o;
  std::string url_error = UrlError(o.url);
  if (!url_error.empty()) return url_error;
  s->session.url = o.url;
  s->session.token = o.token;
  s->session.user = o.user;
  if (o.token.empty() && o.user.empty()) {
    const char* u = getenv("USER");
    if (!u || !*u) u = getenv("LOGNAME");
    if (!u || !*u) return "give --user NAME or --token JWT";
    s->session.user = u;
  }
  s->session.ca_file = o.ca_file;
  s->session.insecure = o.insecure;
  for (const std::string& k : o.keys) {
    size_t eq = k.find('=');
    if (eq == std::string::npos || eq == 0) return "--key takes ROOM=PASSPHRASE, not '" + k + "'";
    std::string room = k.substr(0, eq);
    if (room[0] == '#') room = room.substr(1);
    s->passphrases[room] = k.substr(eq + 1);
  }
  s->color = !o.json && ColorOn(STDOUT_FILENO);
  return "";
}

}  // namespace

int RunRepl(const Setup& setup) {
  EventLoop loop;
  bool color = ColorOn(STDOUT_FILENO);
  Repl repl(&loop, color);
  ChatOptions co;
  co.json = setup.options.json;
  co.color = color && !co.json;
  co.interactive = true;
  co.passphrases = setup.passphrases;
  Chat chat(&loop, setup.session, co, &repl);
  return repl.Run(&chat);
}

namespace {

// A standard stream that is closed (`slchat ... <&-`) would be taken by the next file slchat
// opens (its event loop's wake-up pipe), which it would then read as input, or write output
// into: each is opened on /dev/null instead.
void OpenClosedStandardStreams() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (null >= 0 && null != fd) {
      dup2(null, fd);
      close(null);
    }
  }
}

int Run(int argc, char** argv) {
  setlocale(LC_ALL, "");
  CLI::App app("slchat: the SmartLink terminal chat client, interactive and scriptable", "slchat");
  app.footer(kHelpFooter);
  app.set_version_flag("-V,--version", "slchat " SMARTLINK_VERSION);
  app.failure_message(UsageFailure);
  Options o;
  AddOptions(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  Setup setup;
  std::string error = Resolve(o, &setup);
  if (!error.empty()) {
    fprintf(stderr, "slchat: error: %s\nRun with --help for more information.\n", error.c_str());
    return kExitUsage;
  }
  if (!o.command.empty()) return RunOneShot(setup);
  if (o.exec.empty() && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) return RunRepl(setup);
  return RunScript(setup);
}

}  // namespace

int Main(int argc, char** argv) {
  OpenClosedStandardStreams();
  int code = Run(argc, argv);
  // Output that could not be written (a full disk, a closed pipe with SIGPIPE ignored) is a
  // failure, not a silent success.
  errno = 0;
  bool flush_failed = fflush(stdout) != 0;
  if (flush_failed || ferror(stdout)) {
    fprintf(stderr, "slchat: error: cannot write to standard output%s%s\n",
            flush_failed ? ": " : "", flush_failed ? strerror(errno) : "");
    if (code == kExitOk) code = kExitFailure;
  }
  return code;
}

}  // namespace slchat
