// DOMException, per WebIDL: https://webidl.spec.whatwg.org/#idl-DOMException
(function (g, native, internal) {
  'use strict';

  // The error names table: name -> legacy code. Names not listed (EncodingError, NotReadableError, ...) get 0.
  const codeOf = {
    __proto__: null,
    IndexSizeError: 1,
    HierarchyRequestError: 3,
    WrongDocumentError: 4,
    InvalidCharacterError: 5,
    NoModificationAllowedError: 7,
    NotFoundError: 8,
    NotSupportedError: 9,
    InUseAttributeError: 10,
    InvalidStateError: 11,
    SyntaxError: 12,
    InvalidModificationError: 13,
    NamespaceError: 14,
    InvalidAccessError: 15,
    TypeMismatchError: 17,
    SecurityError: 18,
    NetworkError: 19,
    AbortError: 20,
    URLMismatchError: 21,
    QuotaExceededError: 22,
    TimeoutError: 23,
    InvalidNodeTypeError: 24,
    DataCloneError: 25,
  };

  const constants = [
    ['INDEX_SIZE_ERR', 1], ['DOMSTRING_SIZE_ERR', 2], ['HIERARCHY_REQUEST_ERR', 3], ['WRONG_DOCUMENT_ERR', 4],
    ['INVALID_CHARACTER_ERR', 5], ['NO_DATA_ALLOWED_ERR', 6], ['NO_MODIFICATION_ALLOWED_ERR', 7],
    ['NOT_FOUND_ERR', 8], ['NOT_SUPPORTED_ERR', 9], ['INUSE_ATTRIBUTE_ERR', 10], ['INVALID_STATE_ERR', 11],
    ['SYNTAX_ERR', 12], ['INVALID_MODIFICATION_ERR', 13], ['NAMESPACE_ERR', 14], ['INVALID_ACCESS_ERR', 15],
    ['VALIDATION_ERR', 16], ['TYPE_MISMATCH_ERR', 17], ['SECURITY_ERR', 18], ['NETWORK_ERR', 19],
    ['ABORT_ERR', 20], ['URL_MISMATCH_ERR', 21], ['QUOTA_EXCEEDED_ERR', 22], ['TIMEOUT_ERR', 23],
    ['INVALID_NODE_TYPE_ERR', 24], ['DATA_CLONE_ERR', 25],
  ];

  const captureStackTrace = typeof Error.captureStackTrace === 'function' ? Error.captureStackTrace : null;

  class DOMException {
    #name;
    #message;

    constructor(message = undefined, name = undefined) {
      // WebIDL DOMString conversion: a template literal throws on a Symbol, as ToString must.
      this.#message = message === undefined ? '' : `${message}`;
      this.#name = name === undefined ? 'Error' : `${name}`;
      if (captureStackTrace !== null) {
        captureStackTrace(this, new.target);
      } else {
        // Without captureStackTrace, borrow the stack of a fresh Error (its first line is replaced).
        const stack = new Error().stack;
        if (typeof stack === 'string') {
          const nl = stack.indexOf('\n');
          const head = this.#message === '' ? this.#name : `${this.#name}: ${this.#message}`;
          Object.defineProperty(this, 'stack', {
            value: nl === -1 ? head : head + stack.slice(nl),
            writable: true, configurable: true, enumerable: false,
          });
        }
      }
    }

    get name() {
      if (!(#name in this)) throw new TypeError('Illegal invocation');
      return this.#name;
    }

    get message() {
      if (!(#name in this)) throw new TypeError('Illegal invocation');
      return this.#message;
    }

    get code() {
      if (!(#name in this)) throw new TypeError('Illegal invocation');
      return codeOf[this.#name] || 0;
    }

    static isDOMException(v) {
      return v !== null && typeof v === 'object' && #name in v;
    }
  }

  const isDOMException = DOMException.isDOMException;
  delete DOMException.isDOMException;

  // Like browsers and workerd: DOMException.prototype inherits from Error.prototype, so `e instanceof Error`.
  Object.setPrototypeOf(DOMException.prototype, Error.prototype);

  for (const name of ['name', 'message', 'code']) {
    const d = Object.getOwnPropertyDescriptor(DOMException.prototype, name);
    d.enumerable = true;
    Object.defineProperty(DOMException.prototype, name, d);
  }
  for (const [name, value] of constants) {
    const d = { value, writable: false, enumerable: true, configurable: false };
    Object.defineProperty(DOMException, name, d);
    Object.defineProperty(DOMException.prototype, name, d);
  }
  Object.defineProperty(DOMException.prototype, Symbol.toStringTag, {
    value: 'DOMException', writable: false, enumerable: false, configurable: true,
  });

  internal.DOMException = DOMException;
  internal.isDOMException = isDOMException;
  internal.defineGlobal(g, 'DOMException', DOMException);
});
