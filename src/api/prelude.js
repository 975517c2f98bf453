// Loaded first: helpers every API file uses.
(function (g, native, internal) {
  'use strict';
  internal.defineGlobal = (obj, name, value) => {
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
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
  // For `islet test` only: the host refuses it everywhere else.
  internal.readTestFile = (path) => native.testReadFile(path);
})
