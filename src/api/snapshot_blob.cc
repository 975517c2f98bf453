#include "api/snapshot_blob.h"

extern "C" const char islet_snapshot_start[];
extern "C" const char islet_snapshot_end[];

namespace islet::api {
std::string_view snapshotBlob() {
  return {islet_snapshot_start, static_cast<size_t>(islet_snapshot_end - islet_snapshot_start)};
}
}  // namespace islet::api
