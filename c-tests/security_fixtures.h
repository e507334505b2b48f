/*
 * Fixtures for the authentication and TLS tests, made at run time in a
 * private temporary directory (removed at exit): no key or certificate is
 * kept in the repository.
 *
 *   - NKEYs: ed25519 keys from the `openssl` command, encoded as NATS seeds
 *     and public keys (base32 with a type prefix and a CRC16 trailer).
 *   - JWTs: operator/account/user claims signed with those keys by the
 *     `openssl` command (independent of the library under test).
 *   - Certificates: a CA, server certificates and a client certificate from
 *     the `openssl` command (EC P-256 keys).
 *
 * Header-only: each test program includes it once.
 */
#ifndef RNATS_C_TESTS_SECURITY_FIXTURES_H
#define RNATS_C_TESTS_SECURITY_FIXTURES_H

#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Not every test uses every fixture. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wformat-truncation"

static char fx_dir_path[256];

static void fx_cleanup(void)
{
    if (fx_dir_path[0] != '\0') {
        char cmd[320];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx_dir_path);
        if (system(cmd) != 0) { /* nothing more to do */ }
        fx_dir_path[0] = '\0';
    }
}

/* The private directory of this test run (created on first use). */
static const char *fx_dir(void)
{
    if (fx_dir_path[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        if (tmp == NULL || tmp[0] == '\0')
            tmp = "/tmp";
        snprintf(fx_dir_path, sizeof(fx_dir_path), "%s/rnats-sec-XXXXXX", tmp);
        if (mkdtemp(fx_dir_path) == NULL)
            FAIL("mkdtemp: %s", strerror(errno));
        atexit(fx_cleanup);
    }
    return fx_dir_path;
}

/* "<dir>/<name>" in a static rotating buffer (8 slots). */
static const char *fx_path(const char *name)
{
    static char bufs[8][320];
    static int next = 0;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof(bufs[0]), "%s/%s", fx_dir(), name);
    return b;
}

static void fx_run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        FAIL("command failed (%d): %s", rc, cmd);
}

static void fx_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        FAIL("cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

/* Whole file, malloc'd and NUL-terminated; *len gets its size. */
static char *fx_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        FAIL("cannot read %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
        FAIL("cannot read %s", path);
    buf[n] = '\0';
    fclose(f);
    if (len != NULL)
        *len = (size_t)n;
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Encodings                                                                */
/* ------------------------------------------------------------------------ */

static void fx_base32(const unsigned char *in, size_t len, char *out)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned int acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = alpha[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = alpha[(acc << (5 - bits)) & 31];
    out[o] = '\0';
}

/* base64url without padding, as JWTs use. `out` needs 4*len/3+4 bytes. */
static void fx_base64url(const unsigned char *in, size_t len, char *out)
{
    static const char alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        out[o++] = alpha[v & 63];
    }
    if (len - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
    } else if (len - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
    }
    out[o] = '\0';
}

/* CRC-16/XMODEM, the checksum trailing every encoded NKEY. */
static unsigned fx_crc16(const unsigned char *p, size_t len)
{
    unsigned crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (unsigned)p[i] << 8;
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc;
}

/* ------------------------------------------------------------------------ */
/* NKEYs                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct fx_nkey {
    char seed[64];      /* "S" + type letter + ... */
    char pub[64];       /* type letter + ... */
    char pub_pem[320];  /* path of the public key as PEM (for openssl) */
    char key_pem[320];  /* path of the private key as PEM (for openssl) */
} fx_nkey;

/* Type letters: 'U' user, 'A' account, 'O' operator. */
static unsigned char fx_prefix_byte(char type)
{
    switch (type) {
    case 'U': return 20 << 3;
    case 'A': return 0;
    case 'O': return 14 << 3;
    default: FAIL("unknown NKEY type %c", type);
    }
}

/* Last 32 bytes of a DER file written by openssl. */
static void fx_der_tail32(const char *path, unsigned char out[32])
{
    size_t len = 0;
    char *der = fx_read_file(path, &len);
    if (len < 32)
        FAIL("%s: DER too short", path);
    memcpy(out, der + len - 32, 32);
    free(der);
}

/* A fresh NKEY of the given type; files live in the fixture directory. */
static void fx_nkey_new(char type, fx_nkey *k)
{
    static int counter = 0;
    char name[64], cmd[1024];
    snprintf(name, sizeof(name), "nkey%d", counter++);
    const char *key = fx_path(name);
    char priv_der[320], pub_der[320];
    char *key_pem = k->key_pem;
    snprintf(k->key_pem, sizeof(k->key_pem), "%s.pem", key);
    snprintf(priv_der, sizeof(priv_der), "%s.der", key);
    snprintf(pub_der, sizeof(pub_der), "%s.pub.der", key);
    snprintf(k->pub_pem, sizeof(k->pub_pem), "%s.pub.pem", key);
    snprintf(cmd, sizeof(cmd),
             "openssl genpkey -algorithm ed25519 -out '%s' 2>/dev/null && "
             "openssl pkey -in '%s' -outform DER -out '%s' 2>/dev/null && "
             "openssl pkey -in '%s' -pubout -outform DER -out '%s' 2>/dev/null && "
             "openssl pkey -in '%s' -pubout -out '%s' 2>/dev/null",
             key_pem, key_pem, priv_der, key_pem, pub_der, key_pem, k->pub_pem);
    fx_run(cmd);

    unsigned char raw[32 + 2 + 2];
    unsigned char prefix = fx_prefix_byte(type);

    /* Seed: two prefix bytes (seed marker and key type), 32 bytes, CRC. */
    unsigned char seed_prefix = 18 << 3;
    raw[0] = (unsigned char)(seed_prefix | (prefix >> 5));
    raw[1] = (unsigned char)((prefix & 31) << 3);
    fx_der_tail32(priv_der, raw + 2);
    unsigned crc = fx_crc16(raw, 34);
    raw[34] = (unsigned char)(crc & 0xff);
    raw[35] = (unsigned char)(crc >> 8);
    fx_base32(raw, 36, k->seed);

    /* Public key: one prefix byte, 32 bytes, CRC. */
    raw[0] = prefix;
    fx_der_tail32(pub_der, raw + 1);
    crc = fx_crc16(raw, 33);
    raw[33] = (unsigned char)(crc & 0xff);
    raw[34] = (unsigned char)(crc >> 8);
    fx_base32(raw, 35, k->pub);

    memset(raw, 0, sizeof(raw));
    unlink(priv_der);
}

static void fx_write_bytes(const char *path, const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, len, f) != len)
        FAIL("cannot write %s", path);
    fclose(f);
}

/* Signs with openssl (ed25519); returns the 64-byte signature length. */
static void fx_sign(const fx_nkey *k, const char *msg, unsigned char sig[64])
{
    const char *msg_path = fx_path("sign.msg");
    const char *sig_path = fx_path("sign.sig");
    fx_write_bytes(msg_path, msg, strlen(msg));
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "openssl pkeyutl -sign -inkey '%s' -rawin -in '%s' -out '%s' 2>/dev/null",
             k->key_pem, msg_path, sig_path);
    fx_run(cmd);
    size_t len = 0;
    char *s = fx_read_file(sig_path, &len);
    if (len != 64)
        FAIL("openssl produced a %zu-byte signature", len);
    memcpy(sig, s, 64);
    free(s);
}

/* Checks an ed25519 signature with openssl, independently of the library. */
static bool fx_verify(const fx_nkey *k, const unsigned char *msg, size_t msg_len,
                      const unsigned char *sig, size_t sig_len)
{
    const char *msg_path = fx_path("verify.msg");
    const char *sig_path = fx_path("verify.sig");
    fx_write_bytes(msg_path, msg, msg_len);
    fx_write_bytes(sig_path, sig, sig_len);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' -sigfile '%s' >/dev/null 2>&1",
             k->pub_pem, msg_path, sig_path);
    return system(cmd) == 0;
}

/* ------------------------------------------------------------------------ */
/* JWTs                                                                     */
/* ------------------------------------------------------------------------ */

/* A JWT for `subject` issued (signed) by `issuer`; `nats_json` is the
 * "nats" claim object. malloc'd. */
static char *fx_jwt(const fx_nkey *issuer, const char *subject, const char *name,
                    const char *nats_json)
{
    static const char header[] = "{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}";
    static int jti = 0;
    char claims[4096];
    snprintf(claims, sizeof(claims),
             "{\"jti\":\"FIXTUREJTI%06d%08ld\",\"iat\":%ld,\"iss\":\"%s\","
             "\"name\":\"%s\",\"sub\":\"%s\",\"nats\":%s}",
             jti++, (long)getpid(), (long)time(NULL), issuer->pub, name, subject, nats_json);

    size_t cap = 2 * (sizeof(header) + strlen(claims)) + 256;
    char *out = malloc(cap);
    char *h64 = malloc(cap), *c64 = malloc(cap);
    fx_base64url((const unsigned char *)header, strlen(header), h64);
    fx_base64url((const unsigned char *)claims, strlen(claims), c64);
    snprintf(out, cap, "%s.%s", h64, c64);

    unsigned char sig[64];
    fx_sign(issuer, out, sig);
    char s64[128];
    fx_base64url(sig, sizeof(sig), s64);
    strcat(out, ".");
    strcat(out, s64);
    free(h64);
    free(c64);
    return out;
}

/* An operator, an account and a user with their JWTs, and the server
 * configuration trusting them (resolver MEMORY). */
typedef struct fx_jwt_setup {
    fx_nkey op, acc, user;
    char *op_jwt, *acc_jwt, *user_jwt;
    char config[8192];
} fx_jwt_setup;

static void fx_jwt_setup_make(fx_jwt_setup *j)
{
    fx_nkey_new('O', &j->op);
    fx_nkey_new('A', &j->acc);
    fx_nkey_new('U', &j->user);
    j->op_jwt = fx_jwt(&j->op, j->op.pub, "op",
                       "{\"type\":\"operator\",\"version\":2}");
    j->acc_jwt = fx_jwt(&j->op, j->acc.pub, "acc",
                        "{\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,"
                        "\"imports\":-1,\"exports\":-1,\"wildcards\":true,"
                        "\"conn\":-1,\"leaf\":-1},"
                        "\"default_permissions\":{\"pub\":{},\"sub\":{}},"
                        "\"type\":\"account\",\"version\":2}");
    j->user_jwt = fx_jwt(&j->acc, j->user.pub, "user",
                         "{\"pub\":{},\"sub\":{},\"subs\":-1,\"data\":-1,"
                         "\"payload\":-1,\"type\":\"user\",\"version\":2}");
    snprintf(j->config, sizeof(j->config),
             "operator: %s\nresolver: MEMORY\nresolver_preload: {\n  %s: %s\n}\n",
             j->op_jwt, j->acc.pub, j->acc_jwt);
}

static void fx_jwt_setup_free(fx_jwt_setup *j)
{
    free(j->op_jwt);
    free(j->acc_jwt);
    free(j->user_jwt);
}

/* Writes a .creds file (JWT and seed) and returns its path. */
static const char *fx_write_creds(const char *name, const char *jwt, const char *seed)
{
    char text[8192];
    snprintf(text, sizeof(text),
             "-----BEGIN NATS USER JWT-----\n%s\n------END NATS USER JWT------\n\n"
             "************************* IMPORTANT *************************\n"
             "NKEY Seed printed below can be used to sign and prove identity.\n"
             "NKEYs are sensitive and should be treated as secrets.\n\n"
             "-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n\n"
             "*************************************************************\n",
             jwt, seed);
    const char *p = fx_path(name);
    fx_write_file(p, text);
    return p;
}

/* ------------------------------------------------------------------------ */
/* Certificates                                                             */
/* ------------------------------------------------------------------------ */

/* Issues "<name>.pem"/"<name>.key" signed by the CA "<ca>.pem"/"<ca>.key". */
static void fx_cert(const char *ca, const char *name, const char *san)
{
    char cmd[4096];
    char key[320], csr[320], pem[320], ext[320], cap[320], cak[320];
    snprintf(key, sizeof(key), "%s.key", fx_path(name));
    snprintf(csr, sizeof(csr), "%s.csr", fx_path(name));
    snprintf(pem, sizeof(pem), "%s.pem", fx_path(name));
    snprintf(ext, sizeof(ext), "%s.ext", fx_path(name));
    snprintf(cap, sizeof(cap), "%s.pem", fx_path(ca));
    snprintf(cak, sizeof(cak), "%s.key", fx_path(ca));
    char ext_text[512];
    snprintf(ext_text, sizeof(ext_text),
             "subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
             "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n", san);
    fx_write_file(ext, ext_text);
    snprintf(cmd, sizeof(cmd),
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-keyout '%s' -out '%s' -subj '/CN=%s' >/dev/null 2>&1 && "
             "openssl x509 -req -in '%s' -CA '%s' -CAkey '%s' -CAcreateserial "
             "-out '%s' -days 2 -extfile '%s' >/dev/null 2>&1",
             key, csr, name, csr, cap, cak, pem, ext);
    fx_run(cmd);
}

/* A self-signed CA "<name>.pem"/"<name>.key". */
static void fx_ca(const char *name)
{
    char cmd[2048];
    char key[320], pem[320];
    snprintf(key, sizeof(key), "%s.key", fx_path(name));
    snprintf(pem, sizeof(pem), "%s.pem", fx_path(name));
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-keyout '%s' -out '%s' -days 2 -subj '/CN=%s' "
             "-addext basicConstraints=critical,CA:TRUE "
             "-addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1",
             key, pem, name);
    fx_run(cmd);
}

/* The TLS fixture set:
 *   ca        the trusted CA
 *   server    for localhost and 127.0.0.1
 *   other     for nats.example only (hostname checks)
 *   client    a client certificate (mutual TLS)
 *   rogue_ca + rogue   a certificate from a CA nobody trusts */
static void fx_tls_make(void)
{
    fx_ca("ca");
    fx_cert("ca", "server", "DNS:localhost,IP:127.0.0.1");
    fx_cert("ca", "other", "DNS:nats.example");
    fx_cert("ca", "client", "DNS:client.example");
    fx_ca("rogue_ca");
    fx_cert("rogue_ca", "rogue", "DNS:localhost,IP:127.0.0.1");
}

#endif /* RNATS_C_TESTS_SECURITY_FIXTURES_H */
