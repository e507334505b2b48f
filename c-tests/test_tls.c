/*
 * TLS: tls:// URLs and natsOptions_SetSecure, server verification against
 * the given CA (files or memory), host name checks and
 * natsOptions_SetExpectedHostname, SkipServerVerification, client
 * certificates (mutual TLS), cipher settings, servers that require TLS
 * (the client upgrades, as nats.c does) and servers without TLS
 * (NATS_SECURE_CONNECTION_WANTED), and traffic over TLS: many messages,
 * large payloads, requests, flushes.
 *
 * Certificates are made at run time with openssl (security_fixtures.h).
 */
#include "security_fixtures.h"

static const char *pem(const char *name)
{
    static char bufs[4][400];
    static int next = 0;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof(bufs[0]), "%s.pem", fx_path(name));
    return b;
}

static const char *key(const char *name)
{
    static char bufs[4][400];
    static int next = 0;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof(bufs[0]), "%s.key", fx_path(name));
    return b;
}

static void start_tls_server(test_server *s, const char *cert, const char *extra)
{
    char conf[2048];
    /* timeout: the server's TLS handshake limit (0.5 s by default), which a
     * client running under valgrind can exceed. */
    snprintf(conf, sizeof(conf),
             "tls {\n  cert_file: \"%s\"\n  key_file: \"%s\"\n  timeout: 10\n%s}\n",
             pem(cert), key(cert), extra ? extra : "");
    server_start_conf(s, conf, NULL);
}

static natsOptions *opts_for(const char *url)
{
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_SetTimeout(o, 3000));
    CHECK_OK(natsOptions_SetAllowReconnect(o, false));
    return o;
}

static natsOptions *secure_opts(const char *url)
{
    natsOptions *o = opts_for(url);
    CHECK_OK(natsOptions_SetSecure(o, true));
    CHECK_OK(natsOptions_LoadCATrustedCertificates(o, pem("ca")));
    return o;
}

static void expect_ok(natsOptions *o)
{
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    CHECK_OK(natsConnection_PublishString(nc, "tls.test", "hello"));
    CHECK_OK(natsConnection_Flush(nc));
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
}

static void expect_fail(natsOptions *o, natsStatus expected)
{
    natsConnection *nc = NULL;
    CHECK_STATUS(natsConnection_Connect(&nc, o), expected);
    CHECK(nc == NULL);
    natsStatus ls = NATS_OK;
    const char *le = nats_GetLastError(&ls);
    CHECK_EQ(ls, expected);
    CHECK(le != NULL && le[0] != '\0');
    natsOptions_Destroy(o);
}

/* ------------------------------------------------------------------------ */

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    /* Echo service: reply with the payload. */
    if (natsMsg_GetReply(msg) != NULL)
        natsConnection_Publish(nc, natsMsg_GetReply(msg), natsMsg_GetData(msg),
                               natsMsg_GetDataLength(msg));
    else
        atomic_fetch_add((atomic_int *)closure, 1);
    natsMsg_Destroy(msg);
}

/* Traffic over TLS through the event loop: many small messages, payloads far
 * larger than a TLS record, requests and flushes. */
static void check_traffic(test_server *srv)
{
    natsConnection *nc = NULL;
    natsOptions *o = secure_opts(srv->url);
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);

    atomic_int count = 0;
    natsSubscription *async_sub = NULL, *echo = NULL, *sync_sub = NULL;
    CHECK_OK(natsConnection_Subscribe(&async_sub, nc, "bulk", on_msg, &count));
    CHECK_OK(natsConnection_Subscribe(&echo, nc, "echo", on_msg, NULL));
    CHECK_OK(natsConnection_SubscribeSync(&sync_sub, nc, "big"));
    CHECK_OK(natsSubscription_SetPendingLimits(async_sub, -1, -1));
    CHECK_OK(natsConnection_Flush(nc));

    enum { N = 20000 };
    char payload[100];
    memset(payload, 'x', sizeof(payload));
    for (int i = 0; i < N; i++)
        CHECK_OK(natsConnection_Publish(nc, "bulk", payload, sizeof(payload)));
    CHECK_OK(natsConnection_FlushTimeout(nc, 10000));
    CHECK_MSG(WAIT_FOR(atomic_load(&count) == N, 10000), "got %d of %d",
              atomic_load(&count), N);

    /* Payloads of many TLS records each, checked byte for byte. */
    size_t big_len = 700 * 1024;
    char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)('a' + (i * 7) % 26);
    for (int i = 0; i < 5; i++)
        CHECK_OK(natsConnection_Publish(nc, "big", big, (int)big_len));
    for (int i = 0; i < 5; i++) {
        natsMsg *m = NULL;
        CHECK_OK(natsSubscription_NextMsg(&m, sync_sub, 5000));
        CHECK_EQ(natsMsg_GetDataLength(m), big_len);
        CHECK(memcmp(natsMsg_GetData(m), big, big_len) == 0);
        natsMsg_Destroy(m);
    }
    free(big);

    for (int i = 0; i < 50; i++) {
        natsMsg *reply = NULL;
        char req[32];
        snprintf(req, sizeof(req), "req-%d", i);
        CHECK_OK(natsConnection_RequestString(&reply, nc, "echo", req, 3000));
        CHECK_STR(natsMsg_GetData(reply), req);
        natsMsg_Destroy(reply);
    }
    CHECK_OK(natsConnection_Flush(nc));

    natsSubscription_Destroy(async_sub);
    natsSubscription_Destroy(echo);
    natsSubscription_Destroy(sync_sub);
    natsConnection_Destroy(nc);
}

/* A server that requires TLS, with a certificate for localhost/127.0.0.1. */
static void check_tls_server(void)
{
    test_server srv;
    start_tls_server(&srv, "server", NULL);
    char url[128];

    expect_ok(secure_opts(srv.url));

    /* tls:// asks for TLS without SetSecure. */
    snprintf(url, sizeof(url), "tls://127.0.0.1:%d", srv.port);
    natsOptions *o = opts_for(url);
    CHECK_OK(natsOptions_LoadCATrustedCertificates(o, pem("ca")));
    expect_ok(o);

    /* The server requires TLS: the client upgrades without being asked... */
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_LoadCATrustedCertificates(o, pem("ca")));
    expect_ok(o);
    /* ...and still verifies the server: its CA is not among the system's. */
    expect_fail(opts_for(srv.url), NATS_SSL_ERROR);
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetSecure(o, true));
    expect_fail(o, NATS_SSL_ERROR);

    /* A CA that did not sign the server's certificate. */
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetSecure(o, true));
    CHECK_OK(natsOptions_LoadCATrustedCertificates(o, pem("rogue_ca")));
    expect_fail(o, NATS_SSL_ERROR);

    /* The CA from memory. */
    char *ca_text = fx_read_file(pem("ca"), NULL);
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetSecure(o, true));
    CHECK_OK(natsOptions_SetCATrustedCertificates(o, ca_text));
    expect_ok(o);
    free(ca_text);

    /* No verification when asked. */
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetSecure(o, true));
    CHECK_OK(natsOptions_SkipServerVerification(o, true));
    expect_ok(o);

    /* Host names: the certificate is for localhost and 127.0.0.1. */
    snprintf(url, sizeof(url), "nats://localhost:%d", srv.port);
    expect_ok(secure_opts(url));
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SetExpectedHostname(o, "localhost"));
    expect_ok(o);
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SetExpectedHostname(o, "wrong.example"));
    expect_fail(o, NATS_SSL_ERROR);
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SetExpectedHostname(o, "wrong.example"));
    CHECK_OK(natsOptions_SkipServerVerification(o, true));
    expect_ok(o);

    /* Cipher settings that leave something to negotiate. */
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SetCipherSuites(o, "TLS_AES_256_GCM_SHA384"));
    expect_ok(o);
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SetCipherSuites(o, "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"));
    CHECK_OK(natsOptions_SetCiphers(o, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"));
    expect_ok(o);
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SetCiphers(o, "-ALL:HIGH"));
    expect_ok(o);

    /* A client certificate the server does not ask for is harmless. */
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_LoadCertificatesChain(o, pem("client"), key("client")));
    expect_ok(o);

    check_traffic(&srv);
    server_stop(&srv);
}

/* A certificate for nats.example only: reached by IP, the name does not match. */
static void check_hostname_server(void)
{
    test_server srv;
    start_tls_server(&srv, "other", NULL);

    expect_fail(secure_opts(srv.url), NATS_SSL_ERROR);
    natsOptions *o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SetExpectedHostname(o, "nats.example"));
    expect_ok(o);
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SkipServerVerification(o, true));
    expect_ok(o);
    /* NULL restores the URL's host. */
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SetExpectedHostname(o, "nats.example"));
    CHECK_OK(natsOptions_SetExpectedHostname(o, NULL));
    expect_fail(o, NATS_SSL_ERROR);
    server_stop(&srv);
}

/* Mutual TLS: the server verifies client certificates against the CA. */
static void check_mutual_tls(void)
{
    char extra[512];
    snprintf(extra, sizeof(extra), "  ca_file: \"%s\"\n  verify: true\n", pem("ca"));
    test_server srv;
    start_tls_server(&srv, "server", extra);

    natsOptions *o = secure_opts(srv.url);
    CHECK_OK(natsOptions_LoadCertificatesChain(o, pem("client"), key("client")));
    expect_ok(o);

    char *cert = fx_read_file(pem("client"), NULL);
    char *k = fx_read_file(key("client"), NULL);
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SetCertificatesChain(o, cert, k));
    expect_ok(o);
    free(cert);
    free(k);

    /* Without a certificate the server ends the session after the TLS
     * handshake. rnats reports the server's TLS alert (NATS_SSL_ERROR);
     * nats.c 3.4.1 reports NATS_PROTOCOL_ERROR ("Expected 'PONG', got ''"),
     * or NATS_IO_ERROR when the close reaches it while it writes CONNECT. */
    o = secure_opts(srv.url);
    natsConnection *nc = NULL;
    natsStatus s = natsConnection_Connect(&nc, o);
    CHECK_MSG(s == NATS_SSL_ERROR || s == NATS_PROTOCOL_ERROR || s == NATS_IO_ERROR,
              "connect without client certificate: %d (%s)", (int)s, natsStatus_GetText(s));
    test_log("without client certificate: %s: %s", natsStatus_GetText(s), nats_GetLastError(NULL));
    CHECK(nc == NULL);
    natsOptions_Destroy(o);

    /* A certificate from a CA the server does not trust. */
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_LoadCertificatesChain(o, pem("rogue"), key("rogue")));
    nc = NULL;
    s = natsConnection_Connect(&nc, o);
    CHECK_MSG(s == NATS_SSL_ERROR || s == NATS_PROTOCOL_ERROR || s == NATS_IO_ERROR,
              "connect with an untrusted client certificate: %d (%s)", (int)s,
              natsStatus_GetText(s));
    CHECK(nc == NULL);
    natsOptions_Destroy(o);
    server_stop(&srv);
}

/* TLS and a password together. */
static void check_tls_with_auth(void)
{
    char conf[2048];
    snprintf(conf, sizeof(conf),
             "tls { cert_file: \"%s\", key_file: \"%s\" }\n"
             "authorization { user: \"carol\", password: \"s3cret\" }\n",
             pem("server"), key("server"));
    test_server srv;
    server_start_conf(&srv, conf, NULL);

    natsOptions *o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SetUserInfo(o, "carol", "s3cret"));
    expect_ok(o);
    char url[128];
    snprintf(url, sizeof(url), "tls://carol:s3cret@127.0.0.1:%d", srv.port);
    o = opts_for(url);
    CHECK_OK(natsOptions_LoadCATrustedCertificates(o, pem("ca")));
    expect_ok(o);
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SetUserInfo(o, "carol", "wrong"));
    expect_fail(o, NATS_CONNECTION_AUTH_FAILED);
    CHECK(strstr(nats_GetLastError(NULL), "Authorization Violation") != NULL);
    server_stop(&srv);
}

/* A server without TLS. */
static void check_plain_server(void)
{
    test_server srv;
    server_start(&srv, NULL);

    expect_fail(secure_opts(srv.url), NATS_SECURE_CONNECTION_WANTED);

    /* TLS material alone does not ask for TLS. */
    natsOptions *o = opts_for(srv.url);
    CHECK_OK(natsOptions_LoadCATrustedCertificates(o, pem("ca")));
    CHECK_OK(natsOptions_LoadCertificatesChain(o, pem("client"), key("client")));
    expect_ok(o);

    /* SetSecure(false) takes it back. */
    o = secure_opts(srv.url);
    CHECK_OK(natsOptions_SetSecure(o, false));
    expect_ok(o);
    server_stop(&srv);
}

/* Errors reported by the setters themselves. */
static void check_setter_errors(void)
{
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));

    CHECK_STATUS(natsOptions_LoadCATrustedCertificates(o, fx_path("missing.pem")), NATS_SSL_ERROR);
    const char *garbage = fx_path("garbage.pem");
    fx_write_file(garbage, "this is no certificate\n");
    CHECK_STATUS(natsOptions_LoadCATrustedCertificates(o, garbage), NATS_SSL_ERROR);
    CHECK_STATUS(natsOptions_LoadCATrustedCertificates(o, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_LoadCATrustedCertificates(o, ""), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetCATrustedCertificates(o, "garbage"), NATS_SSL_ERROR);
    CHECK_STATUS(natsOptions_SetCATrustedCertificates(o, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetCATrustedCertificates(o, ""), NATS_INVALID_ARG);

    /* A key that is not the certificate's. */
    CHECK_STATUS(natsOptions_LoadCertificatesChain(o, pem("client"), key("server")), NATS_SSL_ERROR);
    CHECK_STATUS(natsOptions_LoadCertificatesChain(o, fx_path("missing.pem"), key("client")), NATS_SSL_ERROR);
    CHECK_STATUS(natsOptions_LoadCertificatesChain(o, pem("client"), fx_path("missing.key")), NATS_SSL_ERROR);
    CHECK_STATUS(natsOptions_LoadCertificatesChain(o, pem("client"), NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_LoadCertificatesChain(o, NULL, key("client")), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetCertificatesChain(o, "garbage", "garbage"), NATS_SSL_ERROR);
    CHECK_STATUS(natsOptions_SetCertificatesChain(o, NULL, "garbage"), NATS_INVALID_ARG);

    /* Cipher names that select nothing. */
    CHECK_STATUS(natsOptions_SetCiphers(o, "BOGUS"), NATS_SSL_ERROR);
    CHECK(strstr(nats_GetLastError(NULL), "BOGUS") != NULL);
    CHECK_STATUS(natsOptions_SetCipherSuites(o, "BOGUS"), NATS_SSL_ERROR);
    CHECK_STATUS(natsOptions_SetCiphers(o, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetCiphers(o, ""), NATS_INVALID_ARG);
    /* SetCipherSuites(NULL): bug_cipher_suites_null (nats.c crashes). */
    /* Lists with some unknown names are accepted, as OpenSSL does. */
    CHECK_OK(natsOptions_SetCiphers(o, "ECDHE-RSA-AES128-GCM-SHA256:BOGUS"));
    CHECK_OK(natsOptions_SetCipherSuites(o, "TLS_AES_128_GCM_SHA256:BOGUS"));

    CHECK_OK(natsOptions_SetExpectedHostname(o, NULL));
    CHECK_OK(natsOptions_SkipServerVerification(o, false));
    CHECK_OK(natsOptions_SetSecure(o, false));
    natsOptions_Destroy(o);

    CHECK_STATUS(natsOptions_SetSecure(NULL, true), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_LoadCATrustedCertificates(NULL, pem("ca")), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SkipServerVerification(NULL, true), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetExpectedHostname(NULL, "x"), NATS_INVALID_ARG);
}

int main(void)
{
    test_init("test_tls");
    fx_tls_make();

    check_setter_errors();
    test_log("setter errors ok");
    check_plain_server();
    test_log("plain server ok");
    check_tls_server();
    test_log("tls server ok");
    check_hostname_server();
    test_log("host names ok");
    check_mutual_tls();
    test_log("mutual tls ok");
    check_tls_with_auth();
    test_log("tls with auth ok");
    return test_done();
}
