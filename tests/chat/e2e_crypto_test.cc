#include <gtest/gtest.h>

#include "e2e.h"
#include "smartlink/util/crypto.h"

namespace slchat {
namespace {

class E2eCrypto : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { key_ = new std::string(DeriveRoomKey("correct horse", "vault")); }
  static void TearDownTestSuite() { delete key_; }
  static std::string* key_;
};
std::string* E2eCrypto::key_ = nullptr;

TEST_F(E2eCrypto, KeysDependOnPassphraseAndRoom) {
  ASSERT_EQ(32u, key_->size());
  EXPECT_EQ(*key_, DeriveRoomKey("correct horse", "vault"));
  EXPECT_NE(*key_, DeriveRoomKey("correct horse", "other"));
  EXPECT_NE(*key_, DeriveRoomKey("wrong horse", "vault"));
}

TEST_F(E2eCrypto, RoundTripsAndHidesTheText) {
  std::string text = "meet at 9 \xf0\x9f\x95\x98 \n second line";
  std::string sealed = EncryptText(*key_, "#vault", text);
  ASSERT_TRUE(IsEncrypted(sealed));
  EXPECT_EQ(0u, sealed.rfind("sl-e2e1:", 0));
  EXPECT_EQ(std::string::npos, sealed.find("meet"));
  EXPECT_EQ(text, DecryptText(*key_, "#vault", sealed).value_or("FAILED"));
  // A fresh nonce every time.
  EXPECT_NE(sealed, EncryptText(*key_, "#vault", text));
  EXPECT_EQ("", DecryptText(*key_, "#vault", EncryptText(*key_, "#vault", "")).value_or("X"));
}

TEST_F(E2eCrypto, LayoutIsNonceCiphertextTag) {
  std::string sealed = EncryptText(*key_, "#vault", "12345");
  auto raw = smartlink::crypto::Base64Decode(sealed.substr(8));
  ASSERT_TRUE(raw);
  EXPECT_EQ(12u + 5u + 16u, raw->size());
}

TEST_F(E2eCrypto, DetectsTampering) {
  std::string sealed = EncryptText(*key_, "#vault", "pay bob 10");
  auto raw = *smartlink::crypto::Base64Decode(sealed.substr(8));
  for (size_t i : {size_t{0}, size_t{13}, raw.size() - 1}) {  // nonce, ciphertext, tag
    std::string bad = raw;
    bad[i] = static_cast<char>(bad[i] ^ 1);
    EXPECT_FALSE(DecryptText(*key_, "#vault", "sl-e2e1:" + smartlink::crypto::Base64Encode(bad)))
        << "byte " << i;
  }
  EXPECT_FALSE(DecryptText(*key_, "#vault", sealed.substr(0, sealed.size() - 4)));
}

TEST_F(E2eCrypto, RefusesOtherKeysConversationsAndPlainText) {
  std::string sealed = EncryptText(*key_, "#vault", "secret");
  EXPECT_FALSE(DecryptText(DeriveRoomKey("nope", "vault"), "#vault", sealed));
  EXPECT_FALSE(DecryptText(*key_, "#other", sealed));  // bound to its conversation
  EXPECT_FALSE(DecryptText(*key_, "#vault", "just text"));
  EXPECT_FALSE(DecryptText(*key_, "#vault", "sl-e2e1:!!!"));
  EXPECT_FALSE(DecryptText(*key_, "#vault", "sl-e2e1:AAAA"));
  EXPECT_FALSE(IsEncrypted("hello"));
  EXPECT_EQ("", EncryptText("short key", "#vault", "x"));
}

}  // namespace
}  // namespace slchat
