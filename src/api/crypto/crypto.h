// The native half of crypto.subtle (WebCrypto), on OpenSSL 3's EVP interfaces.
//
// These functions keep no state. Key material is owned by the JS half: each CryptoKey holds its bytes in a private
// Uint8Array that worker code cannot reach and passes them here for each operation; the garbage collector frees them
// with the CryptoKey. For HMAC/AES/PBKDF2/HKDF keys the bytes are the raw secret. For EC, Ed25519 and RSA keys they
// are a "stored key": this file's own encoding of the key's components (see crypto.cc), made by generateKeyPair,
// importKey and importJwk, from which each operation rebuilds the EVP_PKEY (EVP_PKEY_fromdata: microseconds, where
// re-parsing DER through OpenSSL 3's decoders would cost hundreds of them). The JS half never looks inside one.
//
// Errors: a failure the spec gives a DOMException name throws a plain JS Error whose message starts with that name
// ("OperationError: ...", "DataError: ...", "NotSupportedError: ..."); the JS half turns it into the DOMException.
// Arguments of the wrong type are TypeErrors. The JS half has validated everything the spec checks before the
// algorithm runs (usages, key types, lengths it can see). All functions run on the isolate's thread.
#pragma once

#include "engine/bind/bind.h"

namespace islet::api::crypto {

// hash names are WebCrypto's: "SHA-1", "SHA-256", "SHA-384", "SHA-512". Byte results are ArrayBuffers.

// digest(hash, data) → the digest.
void digest(engine::bind::Args& args);
// hmacSign(hash, key, data) → the MAC; hmacVerify(hash, key, signature, data) → boolean (constant-time compare).
void hmacSign(engine::bind::Args& args);
void hmacVerify(engine::bind::Args& args);

// aesGcm(encrypt, key, iv, additionalData, tagBytes, data) → ciphertext||tag, or the plaintext (OperationError when
// the tag does not verify).
void aesGcm(engine::bind::Args& args);
// aesCbc(encrypt, key, iv, data): PKCS #7 padding; bad padding on decrypt is an OperationError.
void aesCbc(engine::bind::Args& args);
// aesCtr(key, counter, lengthBits, data): the low lengthBits bits of the 16-byte counter block increment and wrap;
// OperationError when the data would reuse a counter value.
void aesCtr(engine::bind::Args& args);
// aesKw(wrap, key, data): RFC 3394 key wrap / unwrap (OperationError on an integrity failure).
void aesKw(engine::bind::Args& args);

// pbkdf2(hash, password, salt, iterations, bytes) and hkdf(hash, ikm, salt, info, bytes) → `bytes` derived bytes.
void pbkdf2(engine::bind::Args& args);
void hkdf(engine::bind::Args& args);

// Asymmetric keys. `kind` is "EC", "Ed25519" or "RSA"; `curve` is "P-256" or "P-384".
//
// generateKeyPair("EC", curve) / ("Ed25519") / ("RSA", modulusBits, publicExponentBytes) → [public, private] stored
// keys.
void generateKeyPair(engine::bind::Args& args);
// importKey(kind, format, data, curve) with format "raw" (EC and Ed25519 public keys), "spki" or "pkcs8";
// importJwk(kind, curve, fields) with the decoded JWK members in order — EC [x, y, d?], Ed25519 [x, d?],
// RSA [n, e, d?, p?, q?, dp?, dq?, qi?] (undefined when absent).
// Both → [isPrivate, storedKey], and for RSA also modulusBits and the public exponent: [isPrivate, storedKey,
// modulusBits, publicExponent]. Malformed data, a key of another type or curve, an EC point off the curve or an EC
// private key that does not match its public key: DataError.
void importKey(engine::bind::Args& args);
void importJwk(engine::bind::Args& args);
// exportKey(format, storedKey): "spki" (of any key), "pkcs8" (of a private key), "raw" (an EC point, uncompressed, or
// an Ed25519 public key) → ArrayBuffer; "jwk" → the JWK members as ArrayBuffers, in importJwk's order (private ones
// only for a private key; EC coordinates and scalars padded to the field size, RSA integers minimal).
void exportKey(engine::bind::Args& args);

// sign(algorithm, hash, privateKey, data, saltLength) → signature;
// verify(algorithm, hash, publicKey, signature, data, saltLength) → boolean (keys are stored keys).
// algorithm: "ECDSA" (IEEE P1363 r||s signatures), "Ed25519", "RSASSA-PKCS1-v1_5", "RSA-PSS" (saltLength used only
// here). hash is ignored for Ed25519.
void sign(engine::bind::Args& args);
void verify(engine::bind::Args& args);
// rsaOaep(encrypt, hash, storedKey, label, data): a public key to encrypt, a private one to decrypt.
void rsaOaep(engine::bind::Args& args);
// ecdh(privateKey, publicKey) → the shared secret (the x coordinate, field-size bytes).
void ecdh(engine::bind::Args& args);

}  // namespace islet::api::crypto
