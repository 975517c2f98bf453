#include "runtime/metering.h"

#include <fmt/format.h>

namespace islet::runtime {

std::string_view outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk: return "ok";
    case Outcome::kException: return "exception";
    case Outcome::kCpuLimit: return "exceededCpu";
    case Outcome::kMemoryLimit: return "exceededMemory";
    case Outcome::kWallLimit: return "exceededWallTime";
    case Outcome::kNoResponse: return "noResponse";
    case Outcome::kUnloaded: return "unloaded";
  }
  return "unknown";
}

void Metering::record(const Invocation& inv) {
  outcomes_[static_cast<int>(inv.outcome)]++;
  cpuUs_ += inv.cpuUs;
  wallUs_ += inv.wallUs;
  bytesIn_ += inv.bytesIn;
  bytesOut_ += inv.bytesOut;
  if (inv.accountId.empty()) return;
  store::UsageRecord r;
  r.requests = 1;
  r.errors = inv.outcome == Outcome::kOk ? 0 : 1;
  r.cpuUs = inv.cpuUs;
  r.wallUs = inv.wallUs;
  r.subrequests = inv.subrequests;
  r.bytesIn = inv.bytesIn;
  r.bytesOut = inv.bytesOut;
  r.wallBilledMs = ((inv.wallUs + 99'999) / 100'000) * 100;
  if (r.wallBilledMs == 0) r.wallBilledMs = 100;  // Lambda bills at least one unit
  int64_t minute = inv.endMs / 60'000;
  std::lock_guard lock(mutex_);
  auto& slot = pending_[Key{inv.accountId, inv.scriptName, minute}];
  if (slot.accountId.empty()) {
    slot.accountId = inv.accountId;
    slot.scriptName = inv.scriptName;
    slot.minute = minute;
  }
  slot.add(r);
}

void Metering::recordBackground(const std::string& accountId, const std::string& scriptName, int64_t cpuUs,
                                int64_t endMs) {
  cpuUs_ += cpuUs;
  if (accountId.empty() || cpuUs == 0) return;
  int64_t minute = endMs / 60'000;
  std::lock_guard lock(mutex_);
  auto& slot = pending_[Key{accountId, scriptName, minute}];
  if (slot.accountId.empty()) {
    slot.accountId = accountId;
    slot.scriptName = scriptName;
    slot.minute = minute;
  }
  slot.cpuUs += cpuUs;
}

Status Metering::flush(store::UsageStore& store) {
  std::map<Key, store::UsageRecord> taken;
  {
    std::lock_guard lock(mutex_);
    taken.swap(pending_);
  }
  if (taken.empty()) return Status::ok();
  std::vector<store::UsageRecord> records;
  records.reserve(taken.size());
  for (auto& [key, r] : taken) records.push_back(r);
  Status s = store.add(records);
  if (!s.isOk()) {
    // Put them back so nothing is lost; the next flush retries.
    std::lock_guard lock(mutex_);
    for (auto& [key, r] : taken) {
      auto& slot = pending_[key];
      if (slot.accountId.empty()) {
        slot.accountId = r.accountId;
        slot.scriptName = r.scriptName;
        slot.minute = r.minute;
      }
      slot.add(r);
    }
  }
  return s;
}

std::vector<store::UsageRecord> Metering::unflushed(const std::string& accountId) {
  std::vector<store::UsageRecord> out;
  std::lock_guard lock(mutex_);
  for (const auto& [key, r] : pending_) {
    if (std::get<0>(key) == accountId) out.push_back(r);
  }
  return out;
}

std::string Metering::prometheus() const {
  std::string out;
  out += "# HELP islet_requests_total Invocations by outcome.\n# TYPE islet_requests_total counter\n";
  for (int i = 0; i < 7; i++) {
    out += fmt::format("islet_requests_total{{outcome=\"{}\"}} {}\n", outcomeName(static_cast<Outcome>(i)), outcomes_[i].load());
  }
  out += fmt::format("# HELP islet_cpu_seconds_total CPU time spent running workers' code.\n"
                     "# TYPE islet_cpu_seconds_total counter\nislet_cpu_seconds_total {:.6f}\n",
                     cpuUs_.load() / 1e6);
  out += fmt::format("# HELP islet_wall_seconds_total Wall time of invocations.\n"
                     "# TYPE islet_wall_seconds_total counter\nislet_wall_seconds_total {:.6f}\n",
                     wallUs_.load() / 1e6);
  out += fmt::format("# TYPE islet_request_bytes_total counter\nislet_request_bytes_total {}\n", bytesIn_.load());
  out += fmt::format("# TYPE islet_response_bytes_total counter\nislet_response_bytes_total {}\n", bytesOut_.load());
  out += fmt::format("# HELP islet_workers_loaded Workers (script versions in isolates) loaded now.\n"
                     "# TYPE islet_workers_loaded gauge\nislet_workers_loaded {}\n", workersLoaded_.load());
  out += fmt::format("# TYPE islet_worker_loads_total counter\nislet_worker_loads_total {}\n", workerLoads_.load());
  out += fmt::format("# HELP islet_code_cache_modules_total Modules loaded with a V8 code cache, by what V8 made of it.\n"
                     "# TYPE islet_code_cache_modules_total counter\n"
                     "islet_code_cache_modules_total{{result=\"accepted\"}} {}\n"
                     "islet_code_cache_modules_total{{result=\"rejected\"}} {}\n",
                     codeCacheAccepted_.load(), codeCacheRejected_.load());
  out += fmt::format("# HELP islet_code_caches_made_total V8 code caches made for versions a worker compiled from source.\n"
                     "# TYPE islet_code_caches_made_total counter\nislet_code_caches_made_total {}\n",
                     codeCachesMade_.load());
  out += fmt::format("# HELP islet_worker_load_isolates_total Where each load's isolate came from.\n"
                     "# TYPE islet_worker_load_isolates_total counter\n"
                     "islet_worker_load_isolates_total{{from=\"pool\"}} {}\n"
                     "islet_worker_load_isolates_total{{from=\"waited\"}} {}\n"
                     "islet_worker_load_isolates_total{{from=\"made\"}} {}\n",
                     isolateSources_[0].load(), isolateSources_[1].load(), isolateSources_[2].load());
  return out;
}

}  // namespace islet::runtime
