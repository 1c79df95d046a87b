#pragma once

// End-to-end encryption of message text in rooms created with `e2e`.
//
// A room's 32-byte key is scrypt(passphrase, salt = "smartlink-e2e-v1:" + room name,
// N = 32768, r = 8, p = 1). A text is sent as
//   "sl-e2e1:" + base64(nonce[12] || AES-256-GCM ciphertext || tag[16])
// with a random nonce and the conversation id ("#room") as additional data, so a ciphertext
// cannot be replayed into another room. docs/protocol.md describes the format.
// Pure functions over OpenSSL's libcrypto; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace slchat {

inline constexpr std::string_view kE2ePrefix = "sl-e2e1:";

// The key of `room` (a name without '#'). Empty on an OpenSSL failure.
std::string DeriveRoomKey(std::string_view passphrase, std::string_view room);

// Encrypts `text` for `conv` ("#room"). Empty on an OpenSSL failure.
std::string EncryptText(const std::string& key, std::string_view conv, std::string_view text);

// True when `text` looks like EncryptText's output.
bool IsEncrypted(std::string_view text);

// The plain text, or nullopt when `text` is not ours, was altered, or used another key or
// conversation.
std::optional<std::string> DecryptText(const std::string& key, std::string_view conv,
                                       std::string_view text);

}  // namespace slchat
