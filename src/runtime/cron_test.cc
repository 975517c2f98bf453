#include "runtime/cron.h"

#include <gtest/gtest.h>

#include <ctime>

namespace islet::runtime {
namespace {

int64_t minuteOf(int year, int month, int day, int hour, int minute) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  return timegm(&tm) / 60;
}

Cron parse(const char* s) {
  auto c = Cron::parse(s);
  EXPECT_TRUE(c.isOk()) << s << ": " << c.status().message();
  return c.value();
}

TEST(Cron, EveryFiveMinutes) {
  Cron c = parse("*/5 * * * *");
  EXPECT_TRUE(c.matches(minuteOf(2026, 11, 26, 14, 55)));
  EXPECT_FALSE(c.matches(minuteOf(2026, 11, 26, 14, 56)));
  EXPECT_EQ(c.next(minuteOf(2026, 11, 26, 14, 56)), minuteOf(2026, 11, 26, 15, 0));
}

TEST(Cron, ListsRangesNamesAndSteps) {
  Cron c = parse("0,30 9-17/2 * JAN-MAR,dec mon-fri");
  EXPECT_TRUE(c.matches(minuteOf(2026, 12, 1, 9, 30)));    // Tuesday
  EXPECT_TRUE(c.matches(minuteOf(2026, 1, 2, 11, 0)));     // Friday
  EXPECT_FALSE(c.matches(minuteOf(2026, 1, 3, 11, 0)));    // Saturday
  EXPECT_FALSE(c.matches(minuteOf(2026, 12, 1, 10, 0)));   // 10 is not in 9-17/2
  EXPECT_FALSE(c.matches(minuteOf(2026, 6, 1, 9, 0)));     // June
}

TEST(Cron, SundayIsZeroOrSeven) {
  EXPECT_TRUE(parse("0 0 * * 7").matches(minuteOf(2026, 11, 29, 0, 0)));  // a Sunday
  EXPECT_TRUE(parse("0 0 * * 0").matches(minuteOf(2026, 11, 29, 0, 0)));
  EXPECT_FALSE(parse("0 0 * * 0").matches(minuteOf(2026, 11, 30, 0, 0)));
}

TEST(Cron, BothDayFieldsRestrictedMeansEither) {
  Cron c = parse("0 12 1 * MON");
  EXPECT_TRUE(c.matches(minuteOf(2026, 11, 30, 12, 0)));  // a Monday, not the 1st
  EXPECT_TRUE(c.matches(minuteOf(2026, 12, 1, 12, 0)));   // the 1st, a Tuesday
  EXPECT_FALSE(c.matches(minuteOf(2026, 12, 2, 12, 0)));
}

TEST(Cron, LeapDay) {
  Cron c = parse("0 0 29 2 *");
  EXPECT_EQ(c.next(minuteOf(2026, 3, 1, 0, 0)), minuteOf(2028, 2, 29, 0, 0));
}

TEST(Cron, RejectsMalformed) {
  for (const char* bad : {"* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8",
                          "*/0 * * * *", "a * * * *", "5-1 * * * *", "1,,2 * * * *", "* * * * * *"}) {
    EXPECT_FALSE(Cron::parse(bad).isOk()) << bad;
  }
}

}  // namespace
}  // namespace islet::runtime
