#include "api/compression/compression.h"

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>

namespace islet::api::compression {
namespace {

using engine::bind::Args;
using engine::bind::check;
using engine::bind::str;
using engine::bind::throwRangeError;
using engine::bind::throwTypeError;

// `size` bytes from the isolate's ArrayBuffer allocator, or nullptr when it refuses even after a full GC (what V8
// does for its own ArrayBuffers: abandoned buffers and streams give their memory back only when collected).
void* allocate(v8::Isolate* isolate, size_t size) {
  v8::ArrayBuffer::Allocator* allocator = isolate->GetArrayBufferAllocator();
  void* p = allocator->AllocateUninitialized(size);
  if (p == nullptr) {
    isolate->LowMemoryNotification();
    p = allocator->AllocateUninitialized(size);
  }
  return p;
}

// Bytes from the isolate's ArrayBuffer allocator, freed by the destructor (on whichever thread runs it).
class CountedBytes {
 public:
  explicit CountedBytes(v8::ArrayBuffer::Allocator* allocator) : allocator_(allocator) {}
  ~CountedBytes() { reset(); }
  CountedBytes(const CountedBytes&) = delete;
  CountedBytes& operator=(const CountedBytes&) = delete;

  // Makes room for `size` bytes (contents undefined): false when the allocator refuses.
  bool reserve(v8::Isolate* isolate, size_t size) {
    if (size <= capacity_) return true;
    reset();
    data_ = static_cast<uint8_t*>(allocate(isolate, size));
    if (data_ == nullptr) return false;
    capacity_ = size;
    return true;
  }
  void reset() {
    if (data_ != nullptr) allocator_->Free(data_, capacity_);
    data_ = nullptr;
    capacity_ = 0;
  }
  uint8_t* data() const { return data_; }

 private:
  v8::ArrayBuffer::Allocator* allocator_;
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
};

enum class Mode { kCompress, kDecompress };

constexpr size_t kAlign = alignof(std::max_align_t);
constexpr size_t alignUp(size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

// What zlib 1.2 allocates at windowBits 15 and memLevel 8: deflate's state (~6 KiB) and four 64 KiB tables;
// inflate's state (~7 KiB) and its 32 KiB window. The arena has some slack; beyond it zlib's allocations go to
// the allocator one by one.
constexpr size_t kCompressArenaBytes = 4 * 64 * 1024 + 16 * 1024;
constexpr size_t kDecompressArenaBytes = 32 * 1024 + 16 * 1024;

// One zlib stream. It lives at the start of one block from the isolate's ArrayBuffer allocator, followed by the
// output chunk and an arena for zlib's allocations; that block is the backing store of the handle's (unreachable)
// ArrayBuffer, so V8 sees the memory a stream holds and collects abandoned streams under memory pressure, and the
// backing store's deleter destroys the stream.
class ZStream {
 public:
  // → a stream in a new block (RangeError when the allocator refuses; then nothing is left allocated).
  static ZStream* create(v8::Isolate* isolate, Mode mode, int windowBits) {
    size_t arenaBytes = mode == Mode::kCompress ? kCompressArenaBytes : kDecompressArenaBytes;
    size_t blockBytes = alignUp(sizeof(ZStream)) + kChunkBytes + arenaBytes;
    void* block = allocate(isolate, blockBytes);
    if (block == nullptr) throwRangeError("Out of memory for a compression stream");
    auto* self = new (block) ZStream(isolate->GetArrayBufferAllocator(), mode, blockBytes, arenaBytes);
    int rc = mode == Mode::kCompress
                 ? deflateInit2(&self->zs_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY)
                 : inflateInit2(&self->zs_, windowBits);
    if (rc != Z_OK) {
      deleter(block, blockBytes, nullptr);
      if (rc == Z_MEM_ERROR) throwRangeError("Out of memory for a compression stream");
      throw std::runtime_error("zlib initialization failed");
    }
    self->initialized_ = true;
    return self;
  }

  // The backing store deleter: destroys the stream and frees its block.
  static void deleter(void* block, size_t blockBytes, void*) {
    auto* self = static_cast<ZStream*>(block);
    v8::ArrayBuffer::Allocator* allocator = self->allocator_;
    self->~ZStream();
    allocator->Free(block, blockBytes);
  }

  size_t blockBytes() const { return blockBytes_; }
  bool open() const { return initialized_; }

  // Takes a copy of the next input; the previous input must have been drained.
  void setInput(v8::Isolate* isolate, std::span<const uint8_t> bytes) {
    if (zs_.avail_in != 0) throwTypeError("The previous chunk has not been processed");
    if (bytes.empty()) return;
    if (bytes.size() > std::numeric_limits<uInt>::max()) throwRangeError("The chunk is too large");
    if (!input_.reserve(isolate, bytes.size())) throwRangeError("Out of memory for a compression stream");
    std::memcpy(input_.data(), bytes.data(), bytes.size());
    zs_.next_in = input_.data();
    zs_.avail_in = static_cast<uInt>(bytes.size());
  }

  // Runs zlib over the pending input until it fills one output chunk, makes no progress, or ends. → the number of
  // bytes now in output() (0: nothing more without more input, or the stream is complete).
  size_t produce(bool finish) {
    if (ended_) {
      if (mode_ == Mode::kDecompress && zs_.avail_in > 0) throwTypeError("Junk found after end of compressed data");
      return 0;
    }
    zs_.next_out = output();
    zs_.avail_out = kChunkBytes;
    for (;;) {
      uInt inBefore = zs_.avail_in;
      uInt outBefore = zs_.avail_out;
      int rc = mode_ == Mode::kCompress ? deflate(&zs_, finish ? Z_FINISH : Z_NO_FLUSH) : inflate(&zs_, Z_NO_FLUSH);
      switch (rc) {
        case Z_OK:
        case Z_BUF_ERROR:   // no progress possible: decided below
          break;
        case Z_STREAM_END:
          ended_ = true;
          break;
        case Z_MEM_ERROR:
          throwRangeError("Out of memory for a compression stream");
        case Z_NEED_DICT:
          throwTypeError("The compressed data needs a preset dictionary");
        default:
          throwTypeError(zs_.msg != nullptr ? std::string("Invalid compressed data: ") + zs_.msg
                                            : std::string("Invalid compressed data"));
      }
      size_t produced = kChunkBytes - zs_.avail_out;
      if (ended_) {
        if (mode_ == Mode::kDecompress && zs_.avail_in > 0) {
          throwTypeError("Junk found after end of compressed data");
        }
        return produced;
      }
      if (zs_.avail_out == 0) return produced;   // a full chunk; zlib may hold more
      if (zs_.avail_in == inBefore && zs_.avail_out == outBefore) {
        if (produced > 0) return produced;
        if (finish && mode_ == Mode::kDecompress) throwTypeError("The compressed data is truncated");
        return 0;
      }
    }
  }

  uint8_t* output() { return reinterpret_cast<uint8_t*>(this) + alignUp(sizeof(ZStream)); }

  // Ends zlib's stream and frees the pending input; the block stays until the handle is collected.
  void release() {
    if (initialized_) {
      if (mode_ == Mode::kCompress) deflateEnd(&zs_);
      else inflateEnd(&zs_);
      initialized_ = false;
    }
    zs_.next_in = nullptr;
    zs_.avail_in = 0;
    input_.reset();
  }

 private:
  ZStream(v8::ArrayBuffer::Allocator* allocator, Mode mode, size_t blockBytes, size_t arenaBytes)
      : allocator_(allocator), mode_(mode), blockBytes_(blockBytes), arenaBytes_(arenaBytes), input_(allocator) {
    std::memset(&zs_, 0, sizeof zs_);
    zs_.zalloc = &ZStream::zAlloc;
    zs_.zfree = &ZStream::zFree;
    zs_.opaque = this;
  }
  ~ZStream() { release(); }
  ZStream(const ZStream&) = delete;
  ZStream& operator=(const ZStream&) = delete;

  uint8_t* arena() { return output() + kChunkBytes; }

  // zlib's allocator: the arena first; past it, the ArrayBuffer allocator with the size in a header.
  static void* zAlloc(void* opaque, uInt items, uInt size) {
    auto* self = static_cast<ZStream*>(opaque);
    size_t bytes = alignUp(static_cast<size_t>(items) * size);   // both 32-bit: no overflow in 64 bits
    if (self->arenaBytes_ - self->arenaUsed_ >= bytes) {
      void* p = self->arena() + self->arenaUsed_;
      self->arenaUsed_ += bytes;
      return p;
    }
    auto* p = static_cast<uint8_t*>(self->allocator_->AllocateUninitialized(bytes + kAlign));
    if (p == nullptr) return Z_NULL;
    std::memcpy(p, &bytes, sizeof bytes);
    return p + kAlign;
  }

  static void zFree(void* opaque, void* address) {
    auto* self = static_cast<ZStream*>(opaque);
    auto* p = static_cast<uint8_t*>(address);
    if (p == nullptr || (p >= self->arena() && p < self->arena() + self->arenaBytes_)) return;   // freed with the block
    p -= kAlign;
    size_t bytes;
    std::memcpy(&bytes, p, sizeof bytes);
    self->allocator_->Free(p, bytes + kAlign);
  }

  v8::ArrayBuffer::Allocator* allocator_;
  Mode mode_;
  size_t blockBytes_;
  size_t arenaBytes_;
  size_t arenaUsed_ = 0;
  z_stream zs_;
  bool initialized_ = false;
  bool ended_ = false;
  CountedBytes input_;
};

v8::Local<v8::Private> stateKey(v8::Isolate* isolate) {
  return v8::Private::ForApi(isolate, str(isolate, "islet.compression.state"));
}

// The state behind a handle; a TypeError for anything else (worker code cannot forge a private property).
ZStream* unwrap(Args& args, int i) {
  v8::Local<v8::Value> handle = args[i];
  if (!handle->IsObject()) throwTypeError("Not a compression stream");
  v8::Local<v8::Value> owner = check(handle.As<v8::Object>()->GetPrivate(args.context(), stateKey(args.isolate())));
  if (!owner->IsArrayBuffer()) throwTypeError("Not a compression stream");
  return static_cast<ZStream*>(owner.As<v8::ArrayBuffer>()->GetBackingStore()->Data());
}

// A Uint8Array holding a copy of bytes, allocated through the isolate's allocator (RangeError when refused).
v8::Local<v8::Uint8Array> newChunk(v8::Isolate* isolate, const uint8_t* bytes, size_t size) {
  void* data = allocate(isolate, size);
  if (data == nullptr) throwRangeError("Array buffer allocation failed");
  std::memcpy(data, bytes, size);
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      data, size, [](void* p, size_t n, void* a) { static_cast<v8::ArrayBuffer::Allocator*>(a)->Free(p, n); },
      isolate->GetArrayBufferAllocator());
  return v8::Uint8Array::New(v8::ArrayBuffer::New(isolate, std::move(store)), 0, size);
}

}  // namespace

void create(Args& args) {
  std::string format = args.string(0);
  Mode mode = args.boolean(1) ? Mode::kCompress : Mode::kDecompress;
  int windowBits;
  if (format == "deflate") windowBits = 15;
  else if (format == "deflate-raw") windowBits = -15;
  else if (format == "gzip") windowBits = 15 + 16;
  else throwTypeError("Unsupported compression format: '" + format + "'");

  v8::Isolate* isolate = args.isolate();
  ZStream* state = ZStream::create(isolate, mode, windowBits);
  // The handle holds the block as an ArrayBuffer under a private key: no JS can reach it, and the GC frees it
  // (through ZStream::deleter) with the handle, or when the isolate is disposed.
  std::unique_ptr<v8::BackingStore> store =
      v8::ArrayBuffer::NewBackingStore(state, state->blockBytes(), &ZStream::deleter, nullptr);
  v8::Local<v8::ArrayBuffer> owner = v8::ArrayBuffer::New(isolate, std::move(store));
  v8::Local<v8::Object> handle = v8::Object::New(isolate);
  check(handle->SetPrivate(args.context(), stateKey(isolate), owner));
  args.returnValue(handle);
}

void push(Args& args) {
  ZStream* state = unwrap(args, 0);
  if (!state->open()) throwTypeError("The compression stream is closed");
  if (!args[1]->IsUndefined()) state->setInput(args.isolate(), args.bytes(1));
  size_t produced = state->produce(args.boolean(2));
  if (produced == 0) return args.returnNull();
  args.returnValue(newChunk(args.isolate(), state->output(), produced));
}

void end(Args& args) { unwrap(args, 0)->release(); }

}  // namespace islet::api::compression
