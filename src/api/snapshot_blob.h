// The startup snapshot linked into the binary (built by islet_snapshot from api::definition()).
#pragma once

#include <string_view>

namespace islet::api {
std::string_view snapshotBlob();
}
