// OpenSSL's low-level SHA-256 (SHA-NI accelerated, no provider lookup per call).
// The one-shot EVP path costs ~1 us per call in OpenSSL 3; these cost ~80 ns
// for one block. They are deprecated in OpenSSL 3 but supported; the inline
// wrappers keep the deprecation inside this header.
#ifndef BILLING_CLIBCRYPTO_SHIM_H
#define BILLING_CLIBCRYPTO_SHIM_H
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>

static inline void billing_sha256_init(SHA256_CTX *context) { SHA256_Init(context); }
static inline void billing_sha256_update(SHA256_CTX *context, const void *bytes, size_t count) {
    SHA256_Update(context, bytes, count);
}
static inline void billing_sha256_final(SHA256_CTX *context, unsigned char *digest) {
    SHA256_Final(digest, context);
}
#endif
