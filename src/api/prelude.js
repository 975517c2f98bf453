// Loaded first: helpers every API file uses.
(function (g, native, internal) {
  'use strict';
  internal.defineGlobal = (obj, name, value) => {
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  };
  // For `islet test` only: the host refuses it everywhere else.
  internal.readTestFile = (path) => native.testReadFile(path);
})
