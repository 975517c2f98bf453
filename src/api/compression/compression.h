// The native half of CompressionStream and DecompressionStream (https://compression.spec.whatwg.org/), on zlib.
//
// Each JS stream owns one zlib stream through a handle: an object only these functions can read. The stream lives
// in one block from the isolate's ArrayBuffer allocator (with its output chunk and an arena for zlib's own
// allocations), held by the handle under a V8 private key as the backing store of an ArrayBuffer that no JS can
// reach. So the block counts against the isolate's memory limit, V8's GC sees its size, and it is freed by the
// backing store's deleter when the handle is collected or the isolate is disposed; end() releases zlib's state
// earlier. Pending input and output chunks also come from the allocator; a refused allocation is a RangeError.
//
// Output is bounded per call: push() returns at most kChunkBytes, and the JS half calls it again until it returns
// null, so a small input that expands enormously never allocates more than one chunk in one call. Corrupt,
// truncated or trailing data is a TypeError, never a crash. All functions run on the isolate's thread; the block's
// deleter may run on a GC thread and touches no V8 object.
#pragma once

#include <cstddef>

#include "engine/bind/bind.h"

namespace islet::api::compression {

// The largest output chunk push() returns.
constexpr size_t kChunkBytes = 64 * 1024;

// zlibCreate(format, compress) → a handle. format: "deflate", "deflate-raw" or "gzip" (else TypeError).
void create(engine::bind::Args& args);
// zlibPush(handle, bytes, finish) → the next output chunk (a Uint8Array of 1..kChunkBytes bytes), or null when no
// more output comes without more input (or, once finish is set, when the stream is complete). `bytes` (a
// BufferSource) is new input, or undefined to go on with the input already given; new input is only accepted once
// the previous input has been drained (push returned null). With finish set, a compressor writes its trailer and a
// decompressor checks that the compressed data ended (TypeError when it is truncated).
void push(engine::bind::Args& args);
// zlibEnd(handle): releases zlib's state now; later pushes throw a TypeError. Idempotent.
void end(engine::bind::Args& args);

}  // namespace islet::api::compression
