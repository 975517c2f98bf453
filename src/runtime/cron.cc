#include "runtime/cron.h"

#include <fmt/format.h>

#include <ctime>
#include <sstream>
#include <vector>

namespace islet::runtime {
namespace {

const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* kDays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

bool number(const std::string& s, int field, int* out) {
  if (s.empty()) return false;
  std::string upper;
  for (char c : s) upper += static_cast<char>(toupper(static_cast<unsigned char>(c)));
  if (field == 3 || field == 4) {
    const char** names = field == 3 ? kMonths : kDays;
    int count = field == 3 ? 12 : 7;
    for (int i = 0; i < count; i++) {
      if (upper == names[i]) {
        *out = field == 3 ? i + 1 : i;
        return true;
      }
    }
  }
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
    if (v > 1000) return false;
  }
  *out = v;
  return true;
}

// Parses one field into `bits` over [lo, hi]; sets *any when it is "*".
Status field(const std::string& text, int index, int lo, int hi, std::vector<bool>& bits, bool* any) {
  static const char* kNames[] = {"minute", "hour", "day of month", "month", "day of week"};
  auto bad = [&](const std::string& why) {
    return Status::invalidArgument(fmt::format("cron {} field \"{}\": {}", kNames[index], text, why));
  };
  *any = text == "*";
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) return bad("empty list item");
    int step = 1;
    if (size_t slash = item.find('/'); slash != std::string::npos) {
      if (!number(item.substr(slash + 1), -1, &step) || step < 1) return bad("bad step");
      item = item.substr(0, slash);
    }
    int from, to;
    if (item == "*") {
      from = lo;
      to = hi;
    } else if (size_t dash = item.find('-'); dash != std::string::npos) {
      if (!number(item.substr(0, dash), index, &from) || !number(item.substr(dash + 1), index, &to)) {
        return bad("bad range");
      }
    } else {
      if (!number(item, index, &from)) return bad("not a number or name");
      to = step > 1 ? hi : from;
    }
    if (index == 4 && to == 7) to = 7;  // 7 is Sunday too; folded below
    int max = index == 4 ? 7 : hi;
    if (from < lo || to > max || from > to) return bad(fmt::format("out of range {}-{}", lo, hi));
    for (int v = from; v <= to; v += step) bits[index == 4 && v == 7 ? 0 : v] = true;
  }
  return Status::ok();
}

}  // namespace

Result<Cron> Cron::parse(const std::string& expression) {
  std::stringstream ss(expression);
  std::vector<std::string> parts;
  std::string p;
  while (ss >> p) parts.push_back(p);
  if (parts.size() != 5) {
    return Status::invalidArgument(fmt::format("cron \"{}\": expected 5 fields, got {}", expression, parts.size()));
  }
  Cron c;
  const int lo[] = {0, 0, 1, 1, 0}, hi[] = {59, 23, 31, 12, 6};
  bool any[5];
  std::vector<bool> bits[5];
  for (int i = 0; i < 5; i++) {
    bits[i].assign(64, false);
    Status s = field(parts[i], i, lo[i], hi[i], bits[i], &any[i]);
    if (!s.isOk()) return s;
  }
  for (int i = 0; i < 60; i++) c.minutes_[i] = bits[0][i];
  for (int i = 0; i < 24; i++) c.hours_[i] = bits[1][i];
  for (int i = 1; i <= 31; i++) c.days_[i] = bits[2][i];
  for (int i = 1; i <= 12; i++) c.months_[i] = bits[3][i];
  for (int i = 0; i < 7; i++) c.weekdays_[i] = bits[4][i];
  c.anyDay_ = any[2];
  c.anyWeekday_ = any[4];
  return c;
}

bool Cron::matches(int64_t epochMinute) const {
  std::time_t t = static_cast<std::time_t>(epochMinute) * 60;
  std::tm tm;
  gmtime_r(&t, &tm);
  if (!minutes_[tm.tm_min] || !hours_[tm.tm_hour] || !months_[tm.tm_mon + 1]) return false;
  bool day = days_[tm.tm_mday], weekday = weekdays_[tm.tm_wday];
  if (anyDay_ && anyWeekday_) return true;
  if (anyDay_) return weekday;
  if (anyWeekday_) return day;
  return day || weekday;
}

int64_t Cron::next(int64_t epochMinute) const {
  for (int64_t m = epochMinute + 1; m < epochMinute + 4 * 366 * 24 * 60; m++) {
    if (matches(m)) return m;
  }
  return -1;
}

}  // namespace islet::runtime
