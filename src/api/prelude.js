// Loaded first: helpers every API file uses.
(function (g, native, internal) {
  'use strict';
  const defineProperty = Object.defineProperty;
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const hasOwnProperty = Object.prototype.hasOwnProperty;
  const apply = Reflect.apply;
  // Descriptors without a prototype: a worker's getters on Object.prototype cannot add to them.
  internal.defineGlobal = (obj, name, value) => {
    defineProperty(obj, name, { __proto__: null, value, writable: true, configurable: true, enumerable: false });
  };
  // WebIDL-style helpers the API classes share: a class's Symbol.toStringTag, and accessors made enumerable on
  // the prototype as WebIDL attributes are.
  internal.webidl = {
    defineTag: (C, tag) => Object.defineProperty(C.prototype, Symbol.toStringTag, {
      value: tag, writable: false, enumerable: false, configurable: true,
    }),
    enumerableMembers: (C, names) => {
      for (const name of names) {
        const d = Object.getOwnPropertyDescriptor(C.prototype, name);
        d.enumerable = true;
        Object.defineProperty(C.prototype, name, d);
      }
    },
  };
  // Files of rarely used APIs are left out of the snapshot (engine::LazyApi): each global such a file defines is
  // an accessor until first read, which runs the file and then reads what it defined. A value a worker assigns
  // first stays (the file's definitions do not overwrite it). Built-ins are taken now, at snapshot time, so a
  // worker that replaces one cannot change what these do; the file itself takes the built-ins it keeps when it
  // runs (docs/security.md).
  const loaders = { __proto__: null };
  internal.defineLazy = (names, index, file) => {
    let state = 'absent';
    const assigned = [];  // [name, value] a worker set before the file ran
    const load = () => {
      if (state !== 'absent') return;
      state = 'loading';
      try {
        internal.compileApi(index)(g, native, internal);
      } catch (e) {
        state = 'absent';
        throw e;
      }
      state = 'loaded';
      internal.compileApi(index, true);  // the process's code cache of the file, if none is made yet
      for (let i = 0; i < assigned.length; i++) internal.defineGlobal(g, assigned[i][0], assigned[i][1]);
    };
    loaders[file] = load;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      defineProperty(g, name, {
        __proto__: null,
        get() {
          load();
          const d = getOwnPropertyDescriptor(g, name);
          if (d === undefined || !apply(hasOwnProperty, d, ['value'])) throw new ReferenceError(name + ' is not defined yet');
          return d.value;
        },
        set(value) {
          assigned[assigned.length] = [name, value];
          internal.defineGlobal(g, name, value);
        },
        enumerable: false,
        configurable: true,
      });
    }
  };
  // For API code that needs what a lazy file adds to `internal`.
  internal.requireApi = (file) => {
    const load = loaders[file];
    if (load !== undefined) load();
  };
  // The Uint8Arrays `chunks` one after another in a new Uint8Array of `total` bytes (bodies read whole, Blob parts).
  const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
  const U8 = Uint8Array;
  const u8Set = Function.prototype.call.bind(TypedArrayProto.set);
  const u8ByteLength = Function.prototype.call.bind(getOwnPropertyDescriptor(TypedArrayProto, 'byteLength').get);
  internal.concatBytes = (chunks, total) => {
    const out = new U8(total);
    let at = 0;
    for (let i = 0; i < chunks.length; i++) {
      u8Set(out, chunks[i], at);
      at += u8ByteLength(chunks[i]);
    }
    return out;
  };
  // For `islet test` only: the host refuses it everywhere else.
  internal.readTestFile = (path) => native.testReadFile(path);
})
