// A standard 5-field cron expression (minute hour day-of-month month day-of-week), as Workers' cron triggers use:
// numbers, names (JAN-DEC, SUN-SAT), `*`, lists `a,b`, ranges `a-b` and steps `*/n`, `a-b/n`; day-of-week 0 or 7
// is Sunday. When both day fields are restricted a day matches either (Vixie cron's rule). Times are UTC.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace islet::runtime {

class Cron {
 public:
  static Result<Cron> parse(const std::string& expression);
  // Whether the minute starting at `epochMinute` (minutes since the epoch, UTC) matches.
  bool matches(int64_t epochMinute) const;
  // The first matching minute strictly after `epochMinute` (searches up to 4 years ahead), or -1.
  int64_t next(int64_t epochMinute) const;

 private:
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    // 1..31
  std::bitset<13> months_;  // 1..12
  std::bitset<8> weekdays_; // 0..6, Sunday = 0
  bool anyDay_ = true;
  bool anyWeekday_ = true;
};

}  // namespace islet::runtime
