// The limits a Worker of one account (tenant) runs under: the operator's process defaults (WorkerLimits, from the
// `islet serve` flags) with that account's overrides (store::AccountLimits, set through the management API) in
// their place. Used where a Worker is loaded (server/) and where an upload is validated (control/), so both apply
// the same limits. Pure functions; any thread.
#pragma once

#include <algorithm>

#include "runtime/worker.h"
#include "store/store.h"

namespace islet::runtime {

// `defaults` with every field `overrides` sets replaced. A script's own `limits.cpu_ms` then applies on top, as
// everywhere (Worker: min(script's cpu_ms, maxCpuMicrosPerRequest)). When the account sets cpu_ms or max_cpu_ms, the
// cap is never below the account's default CPU limit, so a script that asks for its own limit can always get at
// least what it would get by asking for nothing.
inline WorkerLimits withAccountOverrides(WorkerLimits limits, const store::AccountLimits& overrides) {
  if (overrides.cpuMs) limits.cpuMicrosPerRequest = *overrides.cpuMs * 1000;
  if (overrides.maxCpuMs) limits.maxCpuMicrosPerRequest = *overrides.maxCpuMs * 1000;
  if (overrides.cpuMs || overrides.maxCpuMs) {
    limits.maxCpuMicrosPerRequest = std::max(limits.maxCpuMicrosPerRequest, limits.cpuMicrosPerRequest);
  }
  if (overrides.wallMs) limits.wallMsPerRequest = static_cast<double>(*overrides.wallMs);
  if (overrides.heapMb) limits.heapBytes = static_cast<size_t>(*overrides.heapMb) << 20;
  if (overrides.subrequests) limits.maxSubrequests = *overrides.subrequests;
  if (overrides.connections) limits.maxConnections = static_cast<size_t>(*overrides.connections);
  return limits;
}

}  // namespace islet::runtime
