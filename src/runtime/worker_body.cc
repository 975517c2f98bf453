// Worker: bodies that stream between sockets and JS.
//
// A request body that did not arrive whole (net::ServerLimits::bufferBodiesUpTo) and a fetch() response body that
// is long or of unknown length (net::ClientOptions::bufferResponsesUpTo) are native bodies: JS sees a ReadableStream
// whose pulls become bodyRead(id), answered by internal.bodyChunk in an entry of its own. Nothing is read from a
// socket until JS asks, so a slow consumer slows the sender (TCP flow control) instead of filling memory.
//
// A native body JS has not touched can be handed on whole — as a subrequest's body (`fetch(url, {body:
// request.body})`) or as the response (`new Response(upstream.body)`): the reader then moves from JS's table to
// the HTTP client, or to pipeBody, and the bytes never enter the isolate. A ReadableStream made in JS and sent as a
// subrequest body is a JsBody: the client pulls it a piece at a time through internal.bodyPull / bodyPush.
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <cstring>

#include "engine/bind/bind.h"
#include "runtime/worker.h"

namespace islet::runtime {

namespace asio = boost::asio;

// An upload produced by the worker's JS, read by the HTTP client. Lives as long as the client holds it; the
// Worker reaches it by id (uploads_) to answer a pull, and fails its outstanding read if the Worker goes first.
class Worker::JsBody final : public net::BodyReader, public std::enable_shared_from_this<JsBody> {
 public:
  JsBody(Worker* worker, std::shared_ptr<bool> alive, asio::io_context& io, uint32_t id, uint32_t requestId)
      : worker_(worker), alive_(std::move(alive)), io_(io), id_(id), requestId_(requestId) {}

  void read(ReadCallback done) override {
    if (ended_) {
      asio::post(io_, [done = std::move(done)] { done(Status::unavailable("the request body has ended")); });
      return;
    }
    pending_ = std::move(done);
    asio::post(io_, [self = shared_from_this()] {
      if (!*self->alive_) return self->answer(Status::unavailable("the worker was unloaded"));
      self->worker_->pullUpload(self->id_, self->requestId_, false);
    });
  }

  void cancel() override {
    if (ended_) return;
    ended_ = true;
    asio::post(io_, [self = shared_from_this()] {
      if (*self->alive_) self->worker_->pullUpload(self->id_, self->requestId_, true);
    });
  }

  // JS's answer to a pull (or the worker's end): delivered on the loop, never inside the caller.
  void answer(Result<std::string> piece) {
    if (!piece.isOk() || piece.value().empty()) ended_ = true;
    if (!pending_) return;
    auto done = std::move(pending_);
    pending_ = nullptr;
    asio::post(io_, [done = std::move(done), piece = std::move(piece)]() mutable { done(std::move(piece)); });
  }

 private:
  Worker* worker_;
  std::shared_ptr<bool> alive_;
  asio::io_context& io_;
  uint32_t id_;
  uint32_t requestId_;
  ReadCallback pending_;
  bool ended_ = false;
};

uint32_t Worker::addBody(std::shared_ptr<net::BodyReader> reader, uint32_t requestId, bool incoming) {
  uint32_t id = nextBodyId_++;
  if (nextBodyId_ == 0) nextBodyId_ = 1;
  bodies_[id] = NativeBody{std::move(reader), requestId, incoming, false};
  return id;
}

std::shared_ptr<net::BodyReader> Worker::takeBody(uint32_t id) {
  auto it = bodies_.find(id);
  if (it == bodies_.end() || it->second.reading) return nullptr;
  auto reader = std::move(it->second.reader);
  bodies_.erase(it);
  return reader;
}

void Worker::bodyRead(uint32_t id) {
  auto it = bodies_.find(id);
  if (it == bodies_.end()) engine::bind::throwTypeError("This body is no longer available");
  if (it->second.reading) engine::bind::throwTypeError("This body is already being read");
  it->second.reading = true;
  bodyReads_++;
  auto alive = alive_;
  it->second.reader->read([this, alive, id](Result<std::string> piece) {
    if (!*alive) return;
    bodyReads_--;
    deliverBody(id, std::move(piece));
  });
}

void Worker::bodyCancel(uint32_t id) {
  auto it = bodies_.find(id);
  if (it == bodies_.end()) return;
  it->second.reader->cancel();
  if (!it->second.reading) bodies_.erase(it);  // a read outstanding ends with an error and erases it
}

void Worker::deliverBody(uint32_t id, Result<std::string> piece) {
  auto it = bodies_.find(id);
  if (it == bodies_.end()) return;
  it->second.reading = false;
  uint32_t requestId = it->second.requestId;
  bool last = !piece.isOk() || piece.value().empty();
  if (piece.isOk() && it->second.incoming) {
    if (auto p = pending_.find(requestId); p != pending_.end()) p->second.bytesIn += static_cast<int64_t>(piece.value().size());
  }
  if (last) bodies_.erase(it);
  if (broken()) return;
  runEntry(pending_.count(requestId) ? requestId : 0, [&](v8::Isolate* iso, v8::Local<v8::Context> context) {
    v8::TryCatch tryCatch(iso);
    v8::Local<v8::Function> chunk = isolate_->internalFunction("bodyChunk");
    if (chunk.IsEmpty()) return;
    v8::Local<v8::Value> bytes = v8::Null(iso);
    v8::Local<v8::Value> error = v8::Undefined(iso);
    if (!piece.isOk()) {
      std::string_view message = piece.status().message();
      v8::Local<v8::String> text;
      if (!v8::String::NewFromUtf8(iso, message.data(), v8::NewStringType::kNormal, static_cast<int>(message.size()))
               .ToLocal(&text)) {
        return;
      }
      error = text;
    } else if (!piece.value().empty()) {
      const std::string& data = piece.value();
      auto store = v8::ArrayBuffer::NewBackingStore(iso, data.size());
      memcpy(store->Data(), data.data(), data.size());
      bytes = v8::Uint8Array::New(v8::ArrayBuffer::New(iso, std::move(store)), 0, data.size());
    }
    v8::Local<v8::Value> args[] = {v8::Integer::NewFromUnsigned(iso, id), bytes, error};
    if (chunk->Call(context, v8::Undefined(iso), 3, args).IsEmpty() && !tryCatch.HasTerminated()) {
      consoleLog("error", fmt::format("Uncaught {}", engine::describeException(iso, tryCatch)));
    }
  });
}

uint32_t Worker::bodyOpen() {
  uint32_t requestId = currentRequest_;
  if (requestId == 0 && pending_.size() == 1) requestId = pending_.begin()->first;
  uint32_t id = nextBodyId_;
  auto body = std::make_shared<JsBody>(this, alive_, io_, id, requestId);
  uploads_[id] = body;
  uint32_t added = addBody(std::move(body), requestId, false);
  (void)added;  // == id
  return id;
}

void Worker::bodyPush(uint32_t id, std::string bytes, bool end, std::string error) {
  auto it = uploads_.find(id);
  if (it == uploads_.end()) return;
  auto body = it->second.lock();
  if (!body) {
    uploads_.erase(it);
    return;
  }
  if (!error.empty() || end) uploads_.erase(it);
  if (!error.empty()) return body->answer(Status::unavailable(fmt::format("the request body failed: {}", error)));
  body->answer(end ? std::string() : std::move(bytes));
}

void Worker::pullUpload(uint32_t id, uint32_t requestId, bool cancel) {
  if (broken()) {
    if (auto it = uploads_.find(id); it != uploads_.end()) {
      if (auto body = it->second.lock()) body->answer(Status::unavailable("the worker exceeded a limit"));
      uploads_.erase(it);
    }
    return;
  }
  if (cancel) uploads_.erase(id);
  runEntry(pending_.count(requestId) ? requestId : 0, [&](v8::Isolate* iso, v8::Local<v8::Context> context) {
    v8::TryCatch tryCatch(iso);
    v8::Local<v8::Function> pull = isolate_->internalFunction("bodyPull");
    if (pull.IsEmpty()) return;
    v8::Local<v8::Value> args[] = {v8::Integer::NewFromUnsigned(iso, id), v8::Boolean::New(iso, cancel)};
    if (pull->Call(context, v8::Undefined(iso), 2, args).IsEmpty() && !tryCatch.HasTerminated()) {
      consoleLog("error", fmt::format("Uncaught {}", engine::describeException(iso, tryCatch)));
    }
  });
}

void Worker::pipeBody(uint32_t requestId, std::shared_ptr<net::BodyReader> reader) {
  auto alive = alive_;
  bodyReads_++;
  reader->read([this, alive, requestId, reader](Result<std::string> piece) {
    if (!*alive) return;
    bodyReads_--;
    auto it = pending_.find(requestId);
    if (it == pending_.end() || !it->second.writer) return reader->cancel();  // ended meanwhile (e.g. wall time)
    if (!piece.isOk()) {
      consoleLog("error", fmt::format("Uncaught (in response body) TypeError: {}", piece.status().message()));
      return complete(it, net::Response{}, Outcome::kException);
    }
    if (piece.value().empty()) return complete(it, net::Response{}, Outcome::kOk);
    it->second.bytesOut += static_cast<int64_t>(piece.value().size());
    bodyReads_++;
    it->second.writer->write(std::move(piece.value()), [this, alive, requestId, reader](bool ok) {
      // Posted: a writer may answer inside write().
      asio::post(io_, [this, alive, requestId, reader, ok] {
        if (!*alive) return;
        bodyReads_--;
        if (ok) return pipeBody(requestId, reader);
        reader->cancel();
        auto it = pending_.find(requestId);
        if (it != pending_.end() && it->second.writer) complete(it, net::Response{}, Outcome::kException);
      });
    });
  });
}

void Worker::dropIncomingBodies(uint32_t requestId) {
  for (auto it = bodies_.begin(); it != bodies_.end();) {
    if (it->second.incoming && it->second.requestId == requestId && !it->second.reading) {
      it->second.reader->cancel();
      it = bodies_.erase(it);
    } else {
      ++it;
    }
  }
}

void Worker::endBodies() {
  for (auto& [id, body] : bodies_) body.reader->cancel();
  bodies_.clear();
  for (auto& [id, weak] : uploads_) {
    if (auto body = weak.lock()) body->answer(Status::unavailable("the worker was unloaded"));
  }
  uploads_.clear();
}

}  // namespace islet::runtime
