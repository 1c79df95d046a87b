#pragma once

// slchat's exit codes (documented in --help, man/slchat.1 and README.md).
namespace slchat {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;        // runtime failure; wait-for: timed out
inline constexpr int kExitUsage = 2;          // bad command line
inline constexpr int kExitInterrupted = 130;  // SIGINT
inline constexpr int kExitTerminated = 143;   // SIGTERM

}  // namespace slchat
