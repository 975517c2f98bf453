// CompressionStream and DecompressionStream (https://compression.spec.whatwg.org/): TransformStreams whose
// algorithms run zlib through native.zlibCreate / zlibPush / zlibEnd (compression.cc). Each push returns at most
// one 64 KiB chunk, and the transform loops, enqueueing each chunk as it comes.
(function (g, native, internal) {
  'use strict';

  internal.requireApi('streams/streams.js');
  const TransformStream = internal.TransformStream;
  const ReflectApply = Reflect.apply;
  const getter = (proto, name) => Reflect.getOwnPropertyDescriptor(proto, name).get;
  const tsReadable = getter(TransformStream.prototype, 'readable');
  const tsWritable = getter(TransformStream.prototype, 'writable');
  // The controller's own enqueue, not one a worker put on the prototype later.
  const enqueue = internal.TransformStreamDefaultController.prototype.enqueue;
  const abByteLength = getter(ArrayBuffer.prototype, 'byteLength');
  const typedArrayBuffer = getter(Object.getPrototypeOf(Uint8Array.prototype), 'buffer');
  const dataViewBuffer = getter(DataView.prototype, 'buffer');
  const isView = ArrayBuffer.isView;

  const FORMATS = ['deflate', 'deflate-raw', 'gzip'];

  // An ArrayBuffer, or a view on one (not on a SharedArrayBuffer).
  function isBufferSource(v) {
    let buffer = v;
    if (isView(v)) {
      try {
        buffer = ReflectApply(typedArrayBuffer, v, []);
      } catch {
        buffer = ReflectApply(dataViewBuffer, v, []);
      }
    }
    try {
      ReflectApply(abByteLength, buffer, []);
      return true;
    } catch {
      return false;
    }
  }

  // WebIDL's CompressionFormat enum.
  function toFormat(args, what) {
    if (args.length < 1) throw new TypeError(`Failed to construct '${what}': 1 argument required, but only 0 present.`);
    const format = `${args[0]}`;
    if (!FORMATS.includes(format)) {
      throw new TypeError(`Failed to construct '${what}': Unsupported compression format: '${format}'`);
    }
    return format;
  }

  // Runs zlib over `chunk` (undefined: only what is pending; finish: the end of the data) and enqueues every
  // output chunk.
  function pump(handle, chunk, finish, controller) {
    let input = chunk;
    for (;;) {
      const out = native.zlibPush(handle, input, finish);
      input = undefined;
      if (out === null) return;
      ReflectApply(enqueue, controller, [out]);
    }
  }

  // The transform of a (de)compression stream; zlib's state is released when the stream finishes, errors or is
  // cancelled, and otherwise when the handle is collected.
  function newTransform(format, compress) {
    const handle = native.zlibCreate(format, compress);
    const fail = (e) => {
      native.zlibEnd(handle);
      throw e;
    };
    return new TransformStream({
      __proto__: null,
      transform(chunk, controller) {
        if (!isBufferSource(chunk)) fail(new TypeError('The chunk is not an ArrayBuffer or an ArrayBufferView'));
        try {
          pump(handle, chunk, false, controller);
        } catch (e) {
          fail(e);
        }
      },
      flush(controller) {
        try {
          pump(handle, undefined, true, controller);
        } catch (e) {
          fail(e);
        }
        native.zlibEnd(handle);
      },
      cancel() {
        native.zlibEnd(handle);
      },
    });
  }

  function finish(cls, tag) {
    for (const key of ['readable', 'writable']) {
      const d = Reflect.getOwnPropertyDescriptor(cls.prototype, key);
      d.enumerable = true;
      Reflect.defineProperty(cls.prototype, key, d);
    }
    Reflect.defineProperty(cls.prototype, Symbol.toStringTag,
      { value: tag, writable: false, enumerable: false, configurable: true });
    internal.defineGlobal(g, tag, cls);
  }

  class CompressionStream {
    #transform;
    constructor(format) {
      this.#transform = newTransform(toFormat(arguments, 'CompressionStream'), true);
    }
    static #of(self) {
      if (self === null || typeof self !== 'object' || !(#transform in self)) {
        throw new TypeError('Illegal invocation: not a CompressionStream');
      }
      return self.#transform;
    }
    get readable() { return ReflectApply(tsReadable, CompressionStream.#of(this), []); }
    get writable() { return ReflectApply(tsWritable, CompressionStream.#of(this), []); }
  }
  finish(CompressionStream, 'CompressionStream');

  class DecompressionStream {
    #transform;
    constructor(format) {
      this.#transform = newTransform(toFormat(arguments, 'DecompressionStream'), false);
    }
    static #of(self) {
      if (self === null || typeof self !== 'object' || !(#transform in self)) {
        throw new TypeError('Illegal invocation: not a DecompressionStream');
      }
      return self.#transform;
    }
    get readable() { return ReflectApply(tsReadable, DecompressionStream.#of(this), []); }
    get writable() { return ReflectApply(tsWritable, DecompressionStream.#of(this), []); }
  }
  finish(DecompressionStream, 'DecompressionStream');
})
