// The native half of the Workers KV binding. The runtime gives each isolate a KvAccess: the KvStore and the
// namespaces this worker is bound to; the natives refuse any other namespace id.
#pragma once

#include <v8.h>

#include <memory>
#include <set>
#include <string>

#include "engine/bind/bind.h"
#include "store/store.h"

namespace islet::api::kv {

struct KvAccess {
  std::shared_ptr<store::KvStore> store;
  std::set<std::string> namespaceIds;
};

// Attaches `access` (not owned; must outlive the isolate's use of it) to the isolate, or detaches with nullptr.
void setAccess(v8::Isolate* isolate, KvAccess* access);

void get(engine::bind::Args& args);
void put(engine::bind::Args& args);
void remove(engine::bind::Args& args);
void list(engine::bind::Args& args);

}  // namespace islet::api::kv
