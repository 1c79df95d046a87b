// Durations and sizes as flags spell them: "250ms", "10s", "64KiB", ...

#include "smartlink/util/duration.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

namespace smartlink {
namespace {

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(std::optional<int64_t>(250), ParseDurationMs("250ms"));
  EXPECT_EQ(std::optional<int64_t>(10'000), ParseDurationMs("10s"));
  EXPECT_EQ(std::optional<int64_t>(300'000), ParseDurationMs("5m"));
  EXPECT_EQ(std::optional<int64_t>(300'000), ParseDurationMs("5min"));
  EXPECT_EQ(std::optional<int64_t>(3'600'000), ParseDurationMs("1h"));
  EXPECT_EQ(std::optional<int64_t>(172'800'000), ParseDurationMs("2d"));
}

TEST(Duration, ParsesFractions) {
  EXPECT_EQ(std::optional<int64_t>(1'500), ParseDurationMs("1.5s"));
  EXPECT_EQ(std::optional<int64_t>(500), ParseDurationMs("0.5s"));
  EXPECT_EQ(std::optional<int64_t>(500), ParseDurationMs(".5s"));
  EXPECT_EQ(std::optional<int64_t>(90'000), ParseDurationMs("1.5m"));
  EXPECT_EQ(std::optional<int64_t>(0), ParseDurationMs("0s"));
}

TEST(Duration, BareNumberUsesTheBareUnit) {
  EXPECT_EQ(std::optional<int64_t>(30'000), ParseDurationMs("30"));  // seconds by default
  EXPECT_EQ(std::optional<int64_t>(30), ParseDurationMs("30", 1));
  EXPECT_EQ(std::optional<int64_t>(120'000), ParseDurationMs("2", 60'000));
}

TEST(Duration, AllowsSpaceBeforeTheUnit) {
  EXPECT_EQ(std::optional<int64_t>(5'000), ParseDurationMs("5 s"));
}

TEST(Duration, RejectsMalformed) {
  for (const char* s : {"", "s", "ms", "-5s", "+5s", "5x", "5S", "5sec", " 5s", "5s ", "1e3s",
                        "5ms5", "1.2.3s", ".", ".s", "abc", "0x10s", "5s5s"}) {
    EXPECT_FALSE(ParseDurationMs(s).has_value()) << "'" << s << "'";
  }
}

TEST(Duration, RejectsOverflow) {
  EXPECT_FALSE(ParseDurationMs("9999999999999999d").has_value());
  EXPECT_FALSE(ParseDurationMs("99999999999999999999h").has_value());
  EXPECT_FALSE(ParseDurationMs(std::string(30, '9') + "ms").has_value());
}

TEST(Bytes, ParsesDecimalAndBinaryUnits) {
  EXPECT_EQ(std::optional<int64_t>(123), ParseBytes("123"));
  EXPECT_EQ(std::optional<int64_t>(10), ParseBytes("10B"));
  EXPECT_EQ(std::optional<int64_t>(500'000), ParseBytes("500k"));
  EXPECT_EQ(std::optional<int64_t>(500'000), ParseBytes("500K"));
  EXPECT_EQ(std::optional<int64_t>(500'000), ParseBytes("500KB"));
  EXPECT_EQ(std::optional<int64_t>(65'536), ParseBytes("64KiB"));
  EXPECT_EQ(std::optional<int64_t>(65'536), ParseBytes("64Ki"));
  EXPECT_EQ(std::optional<int64_t>(2'000'000), ParseBytes("2M"));
  EXPECT_EQ(std::optional<int64_t>(2'000'000), ParseBytes("2MB"));
  EXPECT_EQ(std::optional<int64_t>(1'048'576), ParseBytes("1MiB"));
  EXPECT_EQ(std::optional<int64_t>(1'000'000'000), ParseBytes("1G"));
  EXPECT_EQ(std::optional<int64_t>(1'073'741'824), ParseBytes("1GiB"));
  EXPECT_EQ(std::optional<int64_t>(1'536), ParseBytes("1.5KiB"));
  EXPECT_EQ(std::optional<int64_t>(1'099'511'627'776), ParseBytes("1TiB"));
  EXPECT_EQ(std::optional<int64_t>(2'000'000'000'000), ParseBytes("2TB"));
}

TEST(Bytes, RejectsMalformed) {
  for (const char* s :
       {"", "KiB", "-1", "-1K", "1P", "1PB", "1kib", "1 X", "1e6", "1,000", "1KiB ", " 1"}) {
    EXPECT_FALSE(ParseBytes(s).has_value()) << "'" << s << "'";
  }
  EXPECT_FALSE(ParseBytes("99999999999GiB").has_value());
}

TEST(Duration, FormatsMillisecondsBelowOneSecond) {
  EXPECT_EQ("0ms", FormatDurationMs(0));
  EXPECT_EQ("250ms", FormatDurationMs(250));
  EXPECT_EQ("999ms", FormatDurationMs(999));
}

TEST(Duration, FormatsSecondsMinutesHoursWithAtMostOneDecimal) {
  EXPECT_EQ("1s", FormatDurationMs(1'000));
  EXPECT_EQ("1.5s", FormatDurationMs(1'500));
  EXPECT_EQ("60s", FormatDurationMs(59'999));
  EXPECT_EQ("1m", FormatDurationMs(60'000));
  EXPECT_EQ("1.5m", FormatDurationMs(90'000));
  EXPECT_EQ("1.5h", FormatDurationMs(5'400'000));
  EXPECT_EQ("2h", FormatDurationMs(7'200'000));
  EXPECT_EQ("48h", FormatDurationMs(172'800'000));
}

TEST(Duration, FormattedDurationsParseBack) {
  for (int64_t ms : {int64_t{0}, int64_t{7}, int64_t{250}, int64_t{1'500}, int64_t{42'000},
                     int64_t{90'000}, int64_t{5'400'000}, int64_t{7'200'000}}) {
    std::string text = FormatDurationMs(ms);
    EXPECT_EQ(std::optional<int64_t>(ms), ParseDurationMs(text)) << text;
  }
}

}  // namespace
}  // namespace smartlink
