// The native half of the Cache API (`caches`): the JS half (cache.js) decides what may be stored and for how long;
// these natives store and find responses in the node's HttpCache, in the partition of the isolate's account
// (engine::Host::cacheNamespace) and the named cache. A host without a namespace has no cache: the natives throw.
#pragma once

#include "engine/bind/bind.h"

namespace islet::api::cache {

// cacheMatch(cacheName, url) → [status, statusText, headers[name, value, ...], Uint8Array body, ageSeconds] or null
void match(engine::bind::Args& args);
// cachePut(cacheName, url, status, statusText, headers[], body bytes, ttlSeconds); RangeError if too large
void put(engine::bind::Args& args);
// cacheDelete(cacheName, url) → whether a fresh entry was deleted
void remove(engine::bind::Args& args);

}  // namespace islet::api::cache
