#include "api/crypto/crypto.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <climits>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace islet::api::crypto {
namespace {

using engine::bind::Args;
using engine::bind::check;
using engine::bind::ErrorType;
using engine::bind::JsError;
using engine::bind::throwTypeError;

using Bytes = std::vector<uint8_t>;
using View = std::span<const uint8_t>;

// ---- errors ----

// A DOMException for the JS half to raise: see crypto.h. Drops whatever OpenSSL queued for this failure.
[[noreturn]] void fail(const char* name, std::string_view message) {
  ERR_clear_error();
  throw JsError{ErrorType::kError, fmt::format("{}: {}", name, message)};
}
[[noreturn]] void operationError(std::string_view message) { fail("OperationError", message); }
[[noreturn]] void dataError(std::string_view message) { fail("DataError", message); }
[[noreturn]] void notSupported(std::string_view message) { fail("NotSupportedError", message); }

// ---- OpenSSL ownership ----

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

using PkeyPtr = Owned<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = Owned<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtxPtr = Owned<EVP_MD_CTX, EVP_MD_CTX_free>;
using CipherCtxPtr = Owned<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using KdfPtr = Owned<EVP_KDF, EVP_KDF_free>;
using KdfCtxPtr = Owned<EVP_KDF_CTX, EVP_KDF_CTX_free>;
using BnPtr = Owned<BIGNUM, BN_clear_free>;
using ParamBldPtr = Owned<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamsPtr = Owned<OSSL_PARAM, OSSL_PARAM_free>;
using EcdsaSigPtr = Owned<ECDSA_SIG, ECDSA_SIG_free>;
using Pkcs8Ptr = Owned<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;

// OpenSSL wants a non-null pointer even for an empty input.
const uint8_t* ptr(View v) {
  static const uint8_t kEmpty = 0;
  return v.empty() ? &kEmpty : v.data();
}

// Secret bytes that pass through C++: wiped when they go out of scope.
class SecretBytes {
 public:
  explicit SecretBytes(size_t n) : bytes_(n) {}
  ~SecretBytes() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  uint8_t* data() { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  View view() const { return bytes_; }

 private:
  Bytes bytes_;
};

// ---- values to and from JS ----

v8::Local<v8::ArrayBuffer> toArrayBuffer(v8::Isolate* isolate, View bytes) {
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(isolate, bytes.size());
  if (!bytes.empty()) memcpy(store->Data(), bytes.data(), bytes.size());
  return v8::ArrayBuffer::New(isolate, std::move(store));
}

void returnBytes(Args& args, View bytes) { args.returnValue(toArrayBuffer(args.isolate(), bytes)); }

bool isAbsent(Args& args, int i) { return i >= args.length() || args[i]->IsUndefined() || args[i]->IsNull(); }

// ---- algorithms by name ----

struct Hash {
  const EVP_MD* md;
  const char* name;  // OpenSSL's name, for the EVP_MAC / EVP_KDF parameters
};

Hash hashOf(const std::string& name) {
  if (name == "SHA-1") return {EVP_sha1(), "SHA1"};
  if (name == "SHA-256") return {EVP_sha256(), "SHA256"};
  if (name == "SHA-384") return {EVP_sha384(), "SHA384"};
  if (name == "SHA-512") return {EVP_sha512(), "SHA512"};
  notSupported(fmt::format("unsupported hash '{}'", name));
}

enum class Kind { kEc, kEd25519, kRsa };

Kind kindOf(const std::string& name) {
  if (name == "EC") return Kind::kEc;
  if (name == "Ed25519") return Kind::kEd25519;
  if (name == "RSA") return Kind::kRsa;
  throwTypeError("unknown key kind");
}

struct Curve {
  const char* groupName;  // OpenSSL's
  size_t fieldBytes;
};

Curve curveOf(const std::string& name) {
  if (name == "P-256") return {"prime256v1", 32};
  if (name == "P-384") return {"secp384r1", 48};
  notSupported(fmt::format("unsupported named curve '{}'", name));
}

// ---- keys: parsing, encoding, checks ----

// The key in a SubjectPublicKeyInfo that fills `der` exactly, or null.
PkeyPtr parsePublic(View der) {
  if (der.empty()) return nullptr;
  const uint8_t* p = der.data();
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key || p != der.data() + der.size()) return nullptr;
  return key;
}

// The key in a PKCS #8 PrivateKeyInfo that fills `der` exactly, or null.
PkeyPtr parsePrivate(View der) {
  if (der.empty()) return nullptr;
  const uint8_t* p = der.data();
  Pkcs8Ptr info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  if (!info || p != der.data() + der.size()) return nullptr;
  return PkeyPtr(EVP_PKCS82PKEY(info.get()));
}

Bytes encodePublic(EVP_PKEY* key) {
  int n = i2d_PUBKEY(key, nullptr);
  if (n <= 0) operationError("cannot encode the public key");
  Bytes out(n);
  uint8_t* p = out.data();
  i2d_PUBKEY(key, &p);
  return out;
}

// The PKCS #8 encoding; wiped when the caller is done with it.
std::unique_ptr<SecretBytes> encodePrivate(EVP_PKEY* key) {
  Pkcs8Ptr info(EVP_PKEY2PKCS8(key));
  if (!info) operationError("cannot encode the private key");
  int n = i2d_PKCS8_PRIV_KEY_INFO(info.get(), nullptr);
  if (n <= 0) operationError("cannot encode the private key");
  auto out = std::make_unique<SecretBytes>(n);
  uint8_t* p = out->data();
  i2d_PKCS8_PRIV_KEY_INFO(info.get(), &p);
  return out;
}

std::string groupNameOf(EVP_PKEY* key) {
  char name[80];
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1) return "";
  return std::string(name, len);
}

// Checks that an imported key is of `kind` (and, for EC, on `curve`): DataError otherwise.
void checkKind(EVP_PKEY* key, Kind kind, const std::string& curve) {
  switch (kind) {
    case Kind::kEc:
      if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) dataError("the key is not an EC key");
      if (groupNameOf(key) != curveOf(curve).groupName) dataError(fmt::format("the key is not on {}", curve));
      return;
    case Kind::kEd25519:
      if (EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) dataError("the key is not an Ed25519 key");
      return;
    case Kind::kRsa: {
      if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) dataError("the key is not an RSA key");
      BIGNUM* third = nullptr;  // a stored key holds two primes
      if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_FACTOR3, &third) == 1) {
        BN_clear_free(third);
        notSupported("multi-prime RSA keys are not supported");
      }
      ERR_clear_error();
      return;
    }
  }
}

// OpenSSL's full key check (public point on the curve and of the right order; for a key pair, that they match).
void validateEc(EVP_PKEY* key, bool isPrivate) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx) operationError("EVP_PKEY_CTX_new_from_pkey failed");
  int ok = isPrivate ? EVP_PKEY_check(ctx.get()) : EVP_PKEY_public_check(ctx.get());
  if (ok != 1) dataError("invalid EC key");
}

BnPtr bnParam(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) operationError(fmt::format("cannot read key parameter {}", name));
  return BnPtr(bn);
}

Bytes bnBytes(const BIGNUM* bn) {
  Bytes out(BN_num_bytes(bn));
  BN_bn2bin(bn, out.data());
  return out;
}

Bytes bnBytesPadded(const BIGNUM* bn, size_t size) {
  Bytes out(size);
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(size)) < 0) operationError("integer too large");
  return out;
}

// Size in bytes of a coordinate, a private scalar, and of r and s in a signature, for an EC key.
size_t coordinateBytes(EVP_PKEY* key) { return (static_cast<size_t>(EVP_PKEY_get_bits(key)) + 7) / 8; }

PkeyPtr fromParams(const char* type, int selection, const OSSL_PARAM* params) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, selection, const_cast<OSSL_PARAM*>(params)) != 1) {
    dataError("invalid key data");
  }
  return PkeyPtr(key);
}

// An EC public key from an encoded point (uncompressed or compressed); a point off the curve is a DataError.
PkeyPtr ecPublicFromPoint(const std::string& curve, View point) {
  if (point.empty()) dataError("empty EC point");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(curveOf(curve).groupName), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<uint8_t*>(point.data()), point.size()),
      OSSL_PARAM_construct_end(),
  };
  return fromParams("EC", EVP_PKEY_PUBLIC_KEY, params);
}

// The RSA components a stored key and a JWK hold, in JWK order: n, e, d, p, q, dp, dq, qi.
const char* const kRsaParams[] = {
    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,         OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

// ---- stored keys ----
//
// What the JS half keeps for an asymmetric key: a kind byte, a private-key flag byte, then the key's components,
// each as a 4-byte big-endian length and its bytes (integers big-endian):
//   EC:      OpenSSL's group name, the uncompressed public point, [the private scalar, padded to the field size]
//   Ed25519: the public key, [the private key]
//   RSA:     n, e, [d, p, q, dp, dq, qi]
// Each operation rebuilds the EVP_PKEY from these with EVP_PKEY_fromdata, which takes microseconds; OpenSSL 3's DER
// decoders take hundreds of them, too slow to run per operation.

struct StoredKey {
  Kind kind;
  bool isPrivate;
  std::vector<View> parts;
};

// The components of a key just imported or generated; private ones only when isPrivate. Wiped by the caller.
std::vector<Bytes> componentsOf(EVP_PKEY* key, Kind kind, bool isPrivate) {
  std::vector<Bytes> parts;
  switch (kind) {
    case Kind::kEc: {
      std::string group = groupNameOf(key);
      size_t size = coordinateBytes(key);
      Bytes point{0x04};
      Bytes x = bnBytesPadded(bnParam(key, OSSL_PKEY_PARAM_EC_PUB_X).get(), size);
      Bytes y = bnBytesPadded(bnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y).get(), size);
      point.insert(point.end(), x.begin(), x.end());
      point.insert(point.end(), y.begin(), y.end());
      parts.emplace_back(group.begin(), group.end());
      parts.push_back(std::move(point));
      if (isPrivate) parts.push_back(bnBytesPadded(bnParam(key, OSSL_PKEY_PARAM_PRIV_KEY).get(), size));
      break;
    }
    case Kind::kEd25519: {
      Bytes pub(32);
      size_t len = pub.size();
      if (EVP_PKEY_get_raw_public_key(key, pub.data(), &len) != 1 || len != 32) operationError("cannot read the key");
      parts.push_back(std::move(pub));
      if (isPrivate) {
        Bytes priv(32);
        len = priv.size();
        if (EVP_PKEY_get_raw_private_key(key, priv.data(), &len) != 1 || len != 32) {
          operationError("cannot read the key");
        }
        parts.push_back(std::move(priv));
      }
      break;
    }
    case Kind::kRsa:
      for (size_t i = 0; i < (isPrivate ? 8u : 2u); i++) parts.push_back(bnBytes(bnParam(key, kRsaParams[i]).get()));
      break;
  }
  return parts;
}

v8::Local<v8::ArrayBuffer> storedKeyBuffer(v8::Isolate* isolate, EVP_PKEY* key, Kind kind, bool isPrivate) {
  std::vector<Bytes> parts = componentsOf(key, kind, isPrivate);
  size_t size = 2;
  for (const Bytes& part : parts) size += 4 + part.size();
  SecretBytes out(size);
  uint8_t* p = out.data();
  *p++ = static_cast<uint8_t>(kind);
  *p++ = isPrivate ? 1 : 0;
  for (Bytes& part : parts) {
    uint32_t n = static_cast<uint32_t>(part.size());
    for (int shift = 24; shift >= 0; shift -= 8) *p++ = static_cast<uint8_t>(n >> shift);
    if (n > 0) memcpy(p, part.data(), n);
    p += n;
    OPENSSL_cleanse(part.data(), part.size());
  }
  return toArrayBuffer(isolate, out.view());
}

// The JS half only ever passes what storedKeyBuffer made, so a malformed one is an OperationError.
StoredKey parseStored(View blob) {
  if (blob.size() < 2 || blob[0] > static_cast<uint8_t>(Kind::kRsa) || blob[1] > 1) operationError("invalid key");
  StoredKey key{static_cast<Kind>(blob[0]), blob[1] == 1, {}};
  size_t i = 2;
  while (i < blob.size()) {
    if (blob.size() - i < 4) operationError("invalid key");
    size_t n = (size_t{blob[i]} << 24) | (size_t{blob[i + 1]} << 16) | (size_t{blob[i + 2]} << 8) | blob[i + 3];
    i += 4;
    if (blob.size() - i < n) operationError("invalid key");
    key.parts.push_back(blob.subspan(i, n));
    i += n;
  }
  size_t expected = key.kind == Kind::kEc ? (key.isPrivate ? 3 : 2)
                    : key.kind == Kind::kEd25519 ? (key.isPrivate ? 2 : 1)
                                                 : (key.isPrivate ? 8 : 2);
  if (key.parts.size() != expected) operationError("invalid key");
  return key;
}

PkeyPtr loadStored(const StoredKey& stored) {
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) throw std::bad_alloc();
  std::vector<BnPtr> numbers;
  auto pushBn = [&](const char* name, View bytes) {
    numbers.emplace_back(BN_bin2bn(ptr(bytes), static_cast<int>(bytes.size()), nullptr));
    if (!numbers.back() || OSSL_PARAM_BLD_push_BN(bld.get(), name, numbers.back().get()) != 1) {
      throw std::bad_alloc();
    }
  };
  auto pushOctets = [&](const char* name, View bytes) {
    if (OSSL_PARAM_BLD_push_octet_string(bld.get(), name, bytes.data(), bytes.size()) != 1) throw std::bad_alloc();
  };
  const char* type = "";
  switch (stored.kind) {
    case Kind::kEc: {
      type = "EC";
      std::string group(stored.parts[0].begin(), stored.parts[0].end());
      if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0) != 1) {
        throw std::bad_alloc();
      }
      pushOctets(OSSL_PKEY_PARAM_PUB_KEY, stored.parts[1]);
      if (stored.isPrivate) pushBn(OSSL_PKEY_PARAM_PRIV_KEY, stored.parts[2]);
      break;
    }
    case Kind::kEd25519:
      type = "ED25519";
      pushOctets(OSSL_PKEY_PARAM_PUB_KEY, stored.parts[0]);
      if (stored.isPrivate) pushOctets(OSSL_PKEY_PARAM_PRIV_KEY, stored.parts[1]);
      break;
    case Kind::kRsa:
      type = "RSA";
      for (size_t i = 0; i < stored.parts.size(); i++) pushBn(kRsaParams[i], stored.parts[i]);
      break;
  }
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) throw std::bad_alloc();
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  int selection = stored.isPrivate ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, selection, params.get()) != 1) {
    operationError("cannot load the key");
  }
  return PkeyPtr(key);
}

// The stored key `blob` as an EVP_PKEY; OperationError unless it is private when `needPrivate`.
PkeyPtr loadKey(View blob, bool needPrivate) {
  StoredKey stored = parseStored(blob);
  if (needPrivate && !stored.isPrivate) operationError("the operation needs a private key");
  return loadStored(stored);
}

// Returns [isPrivate, storedKey] (+ [modulusBits, publicExponent] for RSA) for a key just imported.
void returnImported(Args& args, Kind kind, EVP_PKEY* key, bool isPrivate) {
  v8::Isolate* isolate = args.isolate();
  std::vector<v8::Local<v8::Value>> out;
  out.push_back(v8::Boolean::New(isolate, isPrivate));
  out.push_back(storedKeyBuffer(isolate, key, kind, isPrivate));
  if (kind == Kind::kRsa) {
    out.push_back(v8::Number::New(isolate, EVP_PKEY_get_bits(key)));
    out.push_back(toArrayBuffer(isolate, bnBytes(bnParam(key, OSSL_PKEY_PARAM_RSA_E).get())));
  }
  args.returnValue(v8::Array::New(isolate, out.data(), out.size()));
}

// ---- symmetric ciphers ----

const EVP_CIPHER* aesCipher(size_t keyBytes, const EVP_CIPHER* (*k128)(), const EVP_CIPHER* (*k192)(),
                            const EVP_CIPHER* (*k256)()) {
  switch (keyBytes) {
    case 16: return k128();
    case 24: return k192();
    case 32: return k256();
    default: operationError("invalid AES key length");
  }
}

// EVP_CipherUpdate over `in` in chunks (its length is an int); returns the bytes written at `out`.
size_t cipherUpdate(EVP_CIPHER_CTX* ctx, uint8_t* out, View in) {
  constexpr size_t kChunk = size_t{1} << 30;
  size_t written = 0;
  for (size_t offset = 0; offset < in.size(); offset += kChunk) {
    size_t len = std::min(kChunk, in.size() - offset);
    int n = 0;
    if (EVP_CipherUpdate(ctx, out + written, &n, in.data() + offset, static_cast<int>(len)) != 1) {
      operationError("the cipher operation failed");
    }
    written += n;
  }
  return written;
}

CipherCtxPtr newCipherCtx() {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw std::bad_alloc();
  return ctx;
}

// ---- sign / verify helpers ----

bool isRsa(const std::string& algorithm) { return algorithm == "RSASSA-PKCS1-v1_5" || algorithm == "RSA-PSS"; }

void setRsaSignaturePadding(EVP_PKEY_CTX* pctx, const std::string& algorithm, const EVP_MD* md, uint32_t saltLength) {
  if (algorithm == "RSA-PSS") {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
        saltLength > INT_MAX || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(saltLength)) != 1) {
      operationError("cannot set up RSA-PSS");
    }
  } else if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    operationError("cannot set up RSASSA-PKCS1-v1_5");
  }
}

Bytes derToP1363(View der, size_t half) {
  const uint8_t* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) operationError("bad ECDSA signature from OpenSSL");
  Bytes out(2 * half);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out.data(), static_cast<int>(half)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out.data() + half, static_cast<int>(half)) < 0) {
    operationError("bad ECDSA signature from OpenSSL");
  }
  return out;
}

// The DER form of an r||s signature, or nullopt when it is not 2 * half bytes.
std::optional<Bytes> p1363ToDer(View sig, size_t half) {
  if (sig.size() != 2 * half) return std::nullopt;
  EcdsaSigPtr ecdsa(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(sig.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(sig.data() + half, static_cast<int>(half), nullptr);
  if (!ecdsa || !r || !s || ECDSA_SIG_set0(ecdsa.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    throw std::bad_alloc();
  }
  int n = i2d_ECDSA_SIG(ecdsa.get(), nullptr);
  if (n <= 0) return std::nullopt;
  Bytes out(n);
  uint8_t* p = out.data();
  i2d_ECDSA_SIG(ecdsa.get(), &p);
  return out;
}

// ---- KDF helper ----

void kdfDerive(const char* name, OSSL_PARAM* params, uint8_t* out, size_t len) {
  KdfPtr kdf(EVP_KDF_fetch(nullptr, name, nullptr));
  if (!kdf) operationError(fmt::format("{} is not available", name));
  KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx || EVP_KDF_derive(ctx.get(), out, len, params) != 1) operationError(fmt::format("{} failed", name));
}

void hmacInto(const Hash& hash, View key, View data, uint8_t* out, size_t* len) {
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, hash.name, nullptr, ptr(key), key.size(), ptr(data), data.size(), out,
                EVP_MAX_MD_SIZE, len) == nullptr) {
    operationError("HMAC failed");
  }
}

}  // namespace

// ---- digest, HMAC ----

void digest(Args& args) {
  Hash hash = hashOf(args.string(0));
  View data = args.bytes(1);
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(ptr(data), data.size(), out, &len, hash.md, nullptr) != 1) operationError("digest failed");
  returnBytes(args, View(out, len));
}

void hmacSign(Args& args) {
  Hash hash = hashOf(args.string(0));
  View key = args.bytes(1);
  View data = args.bytes(2);
  uint8_t out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  hmacInto(hash, key, data, out, &len);
  returnBytes(args, View(out, len));
}

void hmacVerify(Args& args) {
  Hash hash = hashOf(args.string(0));
  View key = args.bytes(1);
  View signature = args.bytes(2);
  View data = args.bytes(3);
  uint8_t out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  hmacInto(hash, key, data, out, &len);
  args.returnBool(signature.size() == len && CRYPTO_memcmp(out, signature.data(), len) == 0);
}

// ---- AES ----

void aesGcm(Args& args) {
  bool encrypt = args.boolean(0);
  uint32_t tagBytes = args.uint32(4);
  View key = args.bytes(1);
  View iv = args.bytes(2);
  View aad = args.bytes(3);
  View data = args.bytes(5);
  if (tagBytes < 4 || tagBytes > 16) operationError("invalid tag length");
  if (iv.empty() || iv.size() > INT_MAX) operationError("invalid iv length");
  if (!encrypt && data.size() < tagBytes) operationError("the data is shorter than the tag");
  const EVP_CIPHER* cipher = aesCipher(key.size(), EVP_aes_128_gcm, EVP_aes_192_gcm, EVP_aes_256_gcm);
  CipherCtxPtr ctx = newCipherCtx();
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr, encrypt) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data(), encrypt) != 1) {
    operationError("cannot set up AES-GCM");
  }
  constexpr size_t kChunk = size_t{1} << 30;
  for (size_t offset = 0; offset < aad.size(); offset += kChunk) {
    int n = 0;
    size_t len = std::min(kChunk, aad.size() - offset);
    if (EVP_CipherUpdate(ctx.get(), nullptr, &n, aad.data() + offset, static_cast<int>(len)) != 1) {
      operationError("AES-GCM failed");
    }
  }
  View text = encrypt ? data : data.first(data.size() - tagBytes);
  Bytes out(text.size() + 16);  // room for the tag
  size_t written = cipherUpdate(ctx.get(), out.data(), text);
  if (!encrypt) {
    // The tag is an input here; OpenSSL only reads it.
    auto* tag = const_cast<uint8_t*>(data.data() + text.size());
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tagBytes), tag) != 1) {
      operationError("AES-GCM failed");
    }
  }
  int n = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + written, &n) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    operationError(encrypt ? "AES-GCM failed" : "the ciphertext does not authenticate");
  }
  written += n;
  if (encrypt) {
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tagBytes), out.data() + written) != 1) {
      operationError("AES-GCM failed");
    }
    written += tagBytes;
  }
  returnBytes(args, View(out).first(written));
}

void aesCbc(Args& args) {
  bool encrypt = args.boolean(0);
  View key = args.bytes(1);
  View iv = args.bytes(2);
  View data = args.bytes(3);
  if (iv.size() != 16) operationError("the iv must be 16 bytes");
  const EVP_CIPHER* cipher = aesCipher(key.size(), EVP_aes_128_cbc, EVP_aes_192_cbc, EVP_aes_256_cbc);
  CipherCtxPtr ctx = newCipherCtx();
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), iv.data(), encrypt) != 1) {
    operationError("cannot set up AES-CBC");
  }
  Bytes out(data.size() + 16);
  size_t written = cipherUpdate(ctx.get(), out.data(), data);
  int n = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + written, &n) != 1) {
    operationError(encrypt ? "AES-CBC failed" : "bad padding or length");
  }
  written += n;
  returnBytes(args, View(out).first(written));
}

void aesCtr(Args& args) {
  uint32_t lengthBits = args.uint32(2);
  View key = args.bytes(0);
  View counter = args.bytes(1);
  View data = args.bytes(3);
  if (counter.size() != 16) operationError("the counter must be 16 bytes");
  if (lengthBits == 0 || lengthBits > 128) operationError("the counter length must be between 1 and 128");
  const EVP_CIPHER* cipher = aesCipher(key.size(), EVP_aes_128_ctr, EVP_aes_192_ctr, EVP_aes_256_ctr);

  // OpenSSL increments the whole 128-bit block; WebCrypto only the low `lengthBits` bits, which wrap to zero. So run
  // up to the wrap, then go on from the block with those bits cleared.
  std::array<uint8_t, 16> block;
  memcpy(block.data(), counter.data(), 16);
  uint64_t blocks = (data.size() + 15) / 16;
  uint64_t low = 0;
  for (int i = 8; i < 16; i++) low = (low << 8) | block[i];
  uint64_t beforeWrap;  // blocks left before the counter wraps; UINT64_MAX when no input can reach it
  if (lengthBits < 64) {
    uint64_t mask = (uint64_t{1} << lengthBits) - 1;
    if (blocks > mask + 1) operationError("the data is too long for the counter length");
    beforeWrap = mask + 1 - (low & mask);
  } else {
    bool highOnes = true;  // bits [64, lengthBits) of the counter all set
    for (uint32_t bit = 64; bit < lengthBits && highOnes; bit++) highOnes = (block[15 - bit / 8] >> (bit % 8)) & 1;
    beforeWrap = (!highOnes || low == 0) ? UINT64_MAX : ~low + 1;
  }
  size_t first = blocks > beforeWrap ? static_cast<size_t>(beforeWrap) * 16 : data.size();

  Bytes out(data.size());
  auto run = [&](View in, uint8_t* dest) {
    CipherCtxPtr ctx = newCipherCtx();
    if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), block.data(), 1) != 1) {
      operationError("cannot set up AES-CTR");
    }
    cipherUpdate(ctx.get(), dest, in);
  };
  run(data.first(first), out.data());
  if (first < data.size()) {
    for (uint32_t bit = 0; bit < lengthBits; bit++) block[15 - bit / 8] &= static_cast<uint8_t>(~(1u << (bit % 8)));
    run(data.subspan(first), out.data() + first);
  }
  returnBytes(args, out);
}

void aesKw(Args& args) {
  bool wrap = args.boolean(0);
  View key = args.bytes(1);
  View data = args.bytes(2);
  if (data.size() % 8 != 0 || data.size() < (wrap ? 16u : 24u) || data.size() > INT_MAX - 8) {
    operationError("AES-KW data must be a multiple of 8 bytes, at least 16 (or 24 to unwrap)");
  }
  const EVP_CIPHER* cipher = aesCipher(key.size(), EVP_aes_128_wrap, EVP_aes_192_wrap, EVP_aes_256_wrap);
  CipherCtxPtr ctx = newCipherCtx();
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), nullptr, wrap) != 1) {
    operationError("cannot set up AES-KW");
  }
  SecretBytes out(data.size() + 8);
  int n = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &n, data.data(), static_cast<int>(data.size())) != 1 || n <= 0) {
    operationError(wrap ? "AES-KW failed" : "the wrapped key does not authenticate");
  }
  returnBytes(args, out.view().first(n));
}

// ---- KDFs ----

void pbkdf2(Args& args) {
  Hash hash = hashOf(args.string(0));
  uint64_t iterations = args.uint32(3);
  uint32_t bytes = args.uint32(4);
  View password = args.bytes(1);
  View salt = args.bytes(2);
  if (iterations == 0) operationError("iterations must not be zero");
  if (bytes == 0) return returnBytes(args, {});
  int pkcs5 = 1;  // no SP 800-132 minimums: WebCrypto allows short salts and keys
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(hash.name), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<uint8_t*>(ptr(password)), password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(ptr(salt)), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iterations),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(bytes);
  kdfDerive("PBKDF2", params, out.data(), out.size());
  returnBytes(args, out.view());
}

// HKDF-Extract is done here with HMAC (OpenSSL's HKDF refuses an empty input key, which WebCrypto allows), then
// OpenSSL's HKDF-Expand.
void hkdf(Args& args) {
  Hash hash = hashOf(args.string(0));
  uint32_t bytes = args.uint32(4);
  View ikm = args.bytes(1);
  View salt = args.bytes(2);
  View info = args.bytes(3);
  size_t hashLen = EVP_MD_get_size(hash.md);
  if (bytes > 255 * hashLen) operationError("HKDF cannot derive that many bits with this hash");
  if (bytes == 0) return returnBytes(args, {});
  std::array<uint8_t, EVP_MAX_MD_SIZE> zeros{};
  View saltOrZeros = salt.empty() ? View(zeros.data(), hashLen) : salt;
  SecretBytes prk(EVP_MAX_MD_SIZE);
  size_t prkLen = 0;
  hmacInto(hash, saltOrZeros, ikm, prk.data(), &prkLen);
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(hash.name), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, prk.data(), prkLen),
      info.empty() ? OSSL_PARAM_construct_end()
                   : OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()),
                                                       info.size()),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(bytes);
  kdfDerive("HKDF", params, out.data(), out.size());
  returnBytes(args, out.view());
}

// ---- asymmetric keys ----

void generateKeyPair(Args& args) {
  Kind kind = kindOf(args.string(0));
  PkeyCtxPtr ctx;
  switch (kind) {
    case Kind::kEc: {
      Curve curve = curveOf(args.string(1));
      ctx.reset(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
      OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(curve.groupName), 0),
          OSSL_PARAM_construct_end(),
      };
      if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_params(ctx.get(), params) != 1) {
        operationError("cannot set up EC key generation");
      }
      break;
    }
    case Kind::kEd25519:
      ctx.reset(EVP_PKEY_CTX_new_from_name(nullptr, "ED25519", nullptr));
      if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) operationError("cannot set up Ed25519 key generation");
      break;
    case Kind::kRsa: {
      uint32_t bits = args.uint32(1);
      View exponent = args.bytes(2);
      BnPtr e(BN_bin2bn(ptr(exponent), static_cast<int>(exponent.size()), nullptr));
      ctx.reset(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
      if (!e || !ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
          EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(bits)) != 1 ||
          EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()) != 1) {
        operationError("cannot set up RSA key generation");
      }
      break;
    }
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1) operationError("key generation failed");
  PkeyPtr key(raw);
  v8::Isolate* isolate = args.isolate();
  v8::Local<v8::Value> pair[] = {
      storedKeyBuffer(isolate, key.get(), kind, false),
      storedKeyBuffer(isolate, key.get(), kind, true),
  };
  args.returnValue(v8::Array::New(isolate, pair, 2));
}

void importKey(Args& args) {
  Kind kind = kindOf(args.string(0));
  std::string format = args.string(1);
  std::string curve = isAbsent(args, 3) ? "" : args.string(3);
  View data = args.bytes(2);
  PkeyPtr key;
  bool isPrivate = false;
  if (format == "spki") {
    key = parsePublic(data);
  } else if (format == "pkcs8") {
    key = parsePrivate(data);
    isPrivate = true;
  } else if (format == "raw" && kind == Kind::kEc) {
    key = ecPublicFromPoint(curve, data);
  } else if (format == "raw" && kind == Kind::kEd25519) {
    if (data.size() != 32) dataError("an Ed25519 public key is 32 bytes");
    key.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, data.data(), data.size()));
  } else {
    notSupported(fmt::format("cannot import this key from '{}'", format));
  }
  if (!key) dataError(fmt::format("invalid {} key data", format));
  checkKind(key.get(), kind, curve);
  if (kind == Kind::kEc) validateEc(key.get(), isPrivate);
  returnImported(args, kind, key.get(), isPrivate);
}

void importJwk(Args& args) {
  Kind kind = kindOf(args.string(0));
  std::string curve = isAbsent(args, 1) ? "" : args.string(1);
  if (!args[2]->IsArray()) throwTypeError("expected an array of JWK members");
  v8::Local<v8::Array> list = args[2].As<v8::Array>();
  v8::Local<v8::Context> context = args.context();
  // The members' bytes; the JS half made the arrays, so reading them runs no worker code.
  std::vector<std::optional<View>> fields;
  for (uint32_t i = 0; i < list->Length(); i++) {
    v8::Local<v8::Value> v = check(list->Get(context, i));
    if (v->IsUndefined()) {
      fields.emplace_back();
    } else if (v->IsArrayBufferView()) {
      auto view = v.As<v8::ArrayBufferView>();
      auto* base = static_cast<const uint8_t*>(view->Buffer()->GetBackingStore()->Data());
      fields.emplace_back(View(base ? base + view->ByteOffset() : nullptr, view->ByteLength()));
    } else {
      throwTypeError("JWK members must be Uint8Arrays");
    }
  }
  auto field = [&](size_t i) -> std::optional<View> { return i < fields.size() ? fields[i] : std::nullopt; };
  auto required = [&](size_t i) -> View {
    if (!field(i)) dataError("a required JWK member is missing");
    return *field(i);
  };

  PkeyPtr key;
  bool isPrivate = false;
  switch (kind) {
    case Kind::kEc: {
      Curve c = curveOf(curve);
      View x = required(0), y = required(1);
      if (x.size() != c.fieldBytes || y.size() != c.fieldBytes) dataError("EC coordinates have the wrong length");
      Bytes point{0x04};
      point.insert(point.end(), x.begin(), x.end());
      point.insert(point.end(), y.begin(), y.end());
      ParamBldPtr bld(OSSL_PARAM_BLD_new());
      BnPtr d;
      if (auto dBytes = field(2)) {
        if (dBytes->size() != c.fieldBytes) dataError("the EC private key has the wrong length");
        d.reset(BN_bin2bn(dBytes->data(), static_cast<int>(dBytes->size()), nullptr));
        isPrivate = true;
      }
      if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, c.groupName, 0) != 1 ||
          OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1 ||
          (isPrivate && (!d || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1))) {
        throw std::bad_alloc();
      }
      ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
      if (!params) throw std::bad_alloc();
      key = fromParams("EC", isPrivate ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get());
      validateEc(key.get(), isPrivate);
      break;
    }
    case Kind::kEd25519: {
      View x = required(0);
      if (x.size() != 32) dataError("an Ed25519 public key is 32 bytes");
      if (auto d = field(1)) {
        if (d->size() != 32) dataError("an Ed25519 private key is 32 bytes");
        key.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, d->data(), d->size()));
        if (!key) dataError("invalid Ed25519 private key");
        std::array<uint8_t, 32> pub;
        size_t len = pub.size();
        if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != 32 ||
            CRYPTO_memcmp(pub.data(), x.data(), 32) != 0) {
          dataError("the Ed25519 public key does not match the private key");
        }
        isPrivate = true;
      } else {
        key.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, x.data(), x.size()));
      }
      break;
    }
    case Kind::kRsa: {
      required(0);
      required(1);
      isPrivate = field(2).has_value();
      size_t count = isPrivate ? 8 : 2;
      ParamBldPtr bld(OSSL_PARAM_BLD_new());
      if (!bld) throw std::bad_alloc();
      std::vector<BnPtr> numbers;
      for (size_t i = 0; i < count; i++) {
        View bytes = required(i);
        if (bytes.empty()) dataError("an empty RSA JWK member");
        numbers.emplace_back(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
        if (!numbers.back() || OSSL_PARAM_BLD_push_BN(bld.get(), kRsaParams[i], numbers.back().get()) != 1) {
          throw std::bad_alloc();
        }
      }
      ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
      if (!params) throw std::bad_alloc();
      key = fromParams("RSA", isPrivate ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get());
      break;
    }
  }
  if (!key) dataError("invalid JWK");
  returnImported(args, kind, key.get(), isPrivate);
}

void exportKey(Args& args) {
  std::string format = args.string(0);
  StoredKey stored = parseStored(args.bytes(1));
  if (format == "spki") return returnBytes(args, encodePublic(loadStored(stored).get()));
  if (format == "pkcs8") {
    if (!stored.isPrivate) operationError("not a private key");
    return returnBytes(args, encodePrivate(loadStored(stored).get())->view());
  }
  // raw and jwk: the stored components, reshaped.
  std::vector<View> members;
  switch (stored.kind) {
    case Kind::kEc: {
      View point = stored.parts[1];  // 0x04 || x || y
      size_t half = (point.size() - 1) / 2;
      if (format == "raw") return returnBytes(args, point);
      members = {point.subspan(1, half), point.subspan(1 + half, half)};
      if (stored.isPrivate) members.push_back(stored.parts[2]);
      break;
    }
    case Kind::kEd25519:
      if (format == "raw") return returnBytes(args, stored.parts[0]);
      members = stored.parts;
      break;
    case Kind::kRsa:
      if (format == "raw") notSupported("RSA keys have no raw format");
      members = stored.parts;
      break;
  }
  if (format != "jwk") throwTypeError("unknown key format");
  v8::Isolate* isolate = args.isolate();
  std::vector<v8::Local<v8::Value>> out;
  for (View m : members) out.push_back(toArrayBuffer(isolate, m));
  args.returnValue(v8::Array::New(isolate, out.data(), out.size()));
}

// ---- sign, verify, encrypt, derive ----

void sign(Args& args) {
  std::string algorithm = args.string(0);
  std::string hashName = args.string(1);
  uint32_t saltLength = args.uint32(4);
  View stored = args.bytes(2);
  View data = args.bytes(3);
  const EVP_MD* md = algorithm == "Ed25519" ? nullptr : hashOf(hashName).md;
  PkeyPtr key = loadKey(stored, true);
  MdCtxPtr mctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by mctx
  if (!mctx || EVP_DigestSignInit(mctx.get(), &pctx, md, nullptr, key.get()) != 1) operationError("cannot sign");
  if (isRsa(algorithm)) setRsaSignaturePadding(pctx, algorithm, md, saltLength);
  size_t len = 0;
  if (EVP_DigestSign(mctx.get(), nullptr, &len, ptr(data), data.size()) != 1) operationError("signing failed");
  Bytes sig(len);
  if (EVP_DigestSign(mctx.get(), sig.data(), &len, ptr(data), data.size()) != 1) operationError("signing failed");
  sig.resize(len);
  if (algorithm == "ECDSA") sig = derToP1363(sig, coordinateBytes(key.get()));
  returnBytes(args, sig);
}

void verify(Args& args) {
  std::string algorithm = args.string(0);
  std::string hashName = args.string(1);
  uint32_t saltLength = args.uint32(5);
  View stored = args.bytes(2);
  View signature = args.bytes(3);
  View data = args.bytes(4);
  const EVP_MD* md = algorithm == "Ed25519" ? nullptr : hashOf(hashName).md;
  PkeyPtr key = loadKey(stored, false);
  std::optional<Bytes> converted;
  if (algorithm == "ECDSA") {
    converted = p1363ToDer(signature, coordinateBytes(key.get()));
    if (!converted) return args.returnBool(false);
    signature = *converted;
  }
  MdCtxPtr mctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by mctx
  if (!mctx || EVP_DigestVerifyInit(mctx.get(), &pctx, md, nullptr, key.get()) != 1) operationError("cannot verify");
  if (isRsa(algorithm)) setRsaSignaturePadding(pctx, algorithm, md, saltLength);
  bool ok = EVP_DigestVerify(mctx.get(), ptr(signature), signature.size(), ptr(data), data.size()) == 1;
  ERR_clear_error();
  args.returnBool(ok);
}

void rsaOaep(Args& args) {
  bool encrypt = args.boolean(0);
  const EVP_MD* md = hashOf(args.string(1)).md;
  View stored = args.bytes(2);
  View label = args.bytes(3);
  View data = args.bytes(4);
  PkeyPtr key = loadKey(stored, !encrypt);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1) {
    operationError("cannot set up RSA-OAEP");
  }
  if (!label.empty()) {
    // OpenSSL takes ownership of the label copy.
    void* copy = OPENSSL_memdup(label.data(), label.size());
    if (!copy) throw std::bad_alloc();
    if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), copy, static_cast<int>(label.size())) != 1) {
      OPENSSL_free(copy);
      operationError("cannot set the RSA-OAEP label");
    }
  }
  auto run = encrypt ? EVP_PKEY_encrypt : EVP_PKEY_decrypt;
  size_t len = 0;
  if (run(ctx.get(), nullptr, &len, ptr(data), data.size()) != 1) operationError("RSA-OAEP failed");
  SecretBytes out(len);
  if (run(ctx.get(), out.data(), &len, ptr(data), data.size()) != 1) {
    operationError(encrypt ? "RSA-OAEP encryption failed" : "RSA-OAEP decryption failed");
  }
  returnBytes(args, out.view().first(len));
}

void ecdh(Args& args) {
  PkeyPtr key = loadKey(args.bytes(0), true);
  PkeyPtr peer = loadKey(args.bytes(1), false);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    operationError("ECDH failed");
  }
  SecretBytes secret(len);
  if (EVP_PKEY_derive(ctx.get(), secret.data(), &len) != 1) operationError("ECDH failed");
  returnBytes(args, secret.view().first(len));
}

}  // namespace islet::api::crypto
