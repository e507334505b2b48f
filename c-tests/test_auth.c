/*
 * Authentication: user/password and token (options, URL, handler), NKEY
 * (callback and seed file), user JWT (.creds file, separate files,
 * callbacks), nats_Sign and natsConnection_Sign. Failures report
 * NATS_CONNECTION_AUTH_FAILED with the server's text, at once (no retry
 * loop), or the status of the failing callback or file.
 *
 * Keys, JWTs and the operator setup are made at run time (see
 * security_fixtures.h); signatures are checked with openssl.
 */
#include "security_fixtures.h"

static natsOptions *opts_for(const char *url)
{
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_SetTimeout(o, 3000));
    return o;
}

/* Connects, publishes and flushes; destroys the options. */
static void expect_ok(natsOptions *o)
{
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    CHECK_OK(natsConnection_PublishString(nc, "auth.test", "hello"));
    CHECK_OK(natsConnection_Flush(nc));
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
}

/* The connect fails with `expected` and a last error containing `text`
 * (when not NULL), promptly; destroys the options. */
static void expect_fail(natsOptions *o, natsStatus expected, const char *text)
{
    natsConnection *nc = NULL;
    int64_t start = test_now_ms();
    CHECK_STATUS(natsConnection_Connect(&nc, o), expected);
    CHECK(nc == NULL);
    /* One attempt, no reconnect loop. */
    CHECK_MSG(test_now_ms() - start < 2000, "connect took %lld ms",
              (long long)(test_now_ms() - start));
    natsStatus ls = NATS_OK;
    const char *le = nats_GetLastError(&ls);
    CHECK_EQ(ls, expected);
    if (text != NULL)
        CHECK_MSG(le != NULL && strstr(le, text) != NULL,
                  "last error \"%s\" lacks \"%s\"", le ? le : "(null)", text);
    natsOptions_Destroy(o);
}

/* ------------------------------------------------------------------------ */

static void check_user_password(void)
{
    test_server srv;
    server_start_conf(&srv,
        "authorization { users = [ {user: \"alice\", password: \"wonder\"},"
        " {user: \"bob\", password: \"builder\"} ] }\n", NULL);
    char url[256];

    expect_fail(opts_for(srv.url), NATS_CONNECTION_AUTH_FAILED, "Authorization Violation");

    natsOptions *o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserInfo(o, "alice", "wonder"));
    expect_ok(o);

    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserInfo(o, "alice", "wrong"));
    expect_fail(o, NATS_CONNECTION_AUTH_FAILED, "Authorization Violation");

    /* A user without password. */
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserInfo(o, "alice", NULL));
    expect_fail(o, NATS_CONNECTION_AUTH_FAILED, "Authorization Violation");

    /* In the URL. */
    snprintf(url, sizeof(url), "nats://bob:builder@127.0.0.1:%d", srv.port);
    expect_ok(opts_for(url));
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, url));
    /* Nothing to sign with. */
    unsigned char sig[64];
    CHECK_STATUS(natsConnection_Sign(nc, (const unsigned char *)"abc", 3, sig), NATS_ERR);
    CHECK_STATUS(natsConnection_Sign(nc, (const unsigned char *)"abc", -1, sig), NATS_INVALID_ARG);
    natsConnection_Destroy(nc);
    nc = NULL;
    snprintf(url, sizeof(url), "nats://bob:nope@127.0.0.1:%d", srv.port);
    CHECK_STATUS(natsConnection_ConnectTo(&nc, url), NATS_CONNECTION_AUTH_FAILED);

    /* Credentials in the URL win over the options'. */
    snprintf(url, sizeof(url), "nats://bob:builder@127.0.0.1:%d", srv.port);
    o = opts_for(url);
    CHECK_OK(natsOptions_SetUserInfo(o, "alice", "wrong"));
    expect_ok(o);
    snprintf(url, sizeof(url), "nats://bob:nope@127.0.0.1:%d", srv.port);
    o = opts_for(url);
    CHECK_OK(natsOptions_SetUserInfo(o, "alice", "wonder"));
    expect_fail(o, NATS_CONNECTION_AUTH_FAILED, "Authorization Violation");

    /* NULL clears. */
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserInfo(o, "alice", "wonder"));
    CHECK_OK(natsOptions_SetUserInfo(o, NULL, NULL));
    expect_fail(o, NATS_CONNECTION_AUTH_FAILED, NULL);

    CHECK_STATUS(natsOptions_SetUserInfo(NULL, "a", "b"), NATS_INVALID_ARG);
    server_stop(&srv);
}

/* ------------------------------------------------------------------------ */

static atomic_int g_token_calls;

static const char *token_cb(void *closure)
{
    atomic_fetch_add(&g_token_calls, 1);
    return (const char *)closure;
}

static void check_token(void)
{
    test_server srv;
    server_start_conf(&srv, "authorization { token: \"t0k3n\" }\n", NULL);
    char url[256];

    expect_fail(opts_for(srv.url), NATS_CONNECTION_AUTH_FAILED, "Authorization Violation");

    natsOptions *o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetToken(o, "t0k3n"));
    expect_ok(o);

    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetToken(o, "wrong"));
    expect_fail(o, NATS_CONNECTION_AUTH_FAILED, "Authorization Violation");

    /* nats://token@host */
    snprintf(url, sizeof(url), "nats://t0k3n@127.0.0.1:%d", srv.port);
    expect_ok(opts_for(url));
    /* The URL's token wins. */
    o = opts_for(url);
    CHECK_OK(natsOptions_SetToken(o, "wrong"));
    expect_ok(o);
    snprintf(url, sizeof(url), "nats://wrong@127.0.0.1:%d", srv.port);
    o = opts_for(url);
    CHECK_OK(natsOptions_SetToken(o, "t0k3n"));
    expect_fail(o, NATS_CONNECTION_AUTH_FAILED, NULL);

    /* Token handler, called at each connect. */
    atomic_store(&g_token_calls, 0);
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetTokenHandler(o, token_cb, (void *)"t0k3n"));
    natsConnection *nc1 = NULL, *nc2 = NULL;
    CHECK_OK(natsConnection_Connect(&nc1, o));
    CHECK_OK(natsConnection_Connect(&nc2, o));
    CHECK_EQ(atomic_load(&g_token_calls), 2);
    CHECK_OK(natsConnection_Flush(nc1));
    natsConnection_Destroy(nc1);
    natsConnection_Destroy(nc2);
    natsOptions_Destroy(o);

    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetTokenHandler(o, token_cb, (void *)"nope"));
    expect_fail(o, NATS_CONNECTION_AUTH_FAILED, NULL);

    /* Token and token handler exclude each other. */
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetToken(o, "x"));
    CHECK_STATUS(natsOptions_SetTokenHandler(o, token_cb, NULL), NATS_ILLEGAL_STATE);
    CHECK_OK(natsOptions_SetToken(o, NULL));
    CHECK_OK(natsOptions_SetTokenHandler(o, token_cb, NULL));
    CHECK_STATUS(natsOptions_SetToken(o, "x"), NATS_ILLEGAL_STATE);
    CHECK_OK(natsOptions_SetTokenHandler(o, NULL, NULL));
    CHECK_OK(natsOptions_SetToken(o, "x"));
    natsOptions_Destroy(o);
    CHECK_STATUS(natsOptions_SetToken(NULL, "x"), NATS_INVALID_ARG);
    server_stop(&srv);
}

/* ------------------------------------------------------------------------ */

static atomic_int g_sig_calls;
static char g_last_nonce[128];

static natsStatus sign_cb(char **customErrTxt, unsigned char **signature,
                          int *signatureLength, const char *nonce, void *closure)
{
    (void)customErrTxt;
    fx_nkey *k = closure;
    atomic_fetch_add(&g_sig_calls, 1);
    snprintf(g_last_nonce, sizeof(g_last_nonce), "%s", nonce);
    return nats_Sign(k->seed, nonce, signature, signatureLength);
}

static natsStatus refuse_sign_cb(char **customErrTxt, unsigned char **signature,
                                 int *signatureLength, const char *nonce, void *closure)
{
    (void)signature; (void)signatureLength; (void)nonce; (void)closure;
    *customErrTxt = strdup("signing refused by the test");
    return NATS_NOT_PERMITTED;
}

static void check_sig_with_openssl(const fx_nkey *k, const char *msg,
                                   const unsigned char *sig, int len)
{
    CHECK_EQ(len, 64);
    CHECK_MSG(fx_verify(k, (const unsigned char *)msg, strlen(msg), sig, (size_t)len),
              "openssl does not verify the signature of \"%s\"", msg);
}

static void check_nkey(void)
{
    fx_nkey user, other;
    fx_nkey_new('U', &user);
    fx_nkey_new('U', &other);
    char conf[512];
    snprintf(conf, sizeof(conf), "authorization { users = [ {nkey: %s} ] }\n", user.pub);
    test_server srv;
    server_start_conf(&srv, conf, NULL);

    expect_fail(opts_for(srv.url), NATS_CONNECTION_AUTH_FAILED, "Authorization Violation");

    /* Callback signing the nonce. */
    atomic_store(&g_sig_calls, 0);
    natsOptions *o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetNKey(o, user.pub, sign_cb, &user));
    expect_ok(o);
    CHECK_EQ(atomic_load(&g_sig_calls), 1);
    CHECK(strlen(g_last_nonce) > 0);

    /* Seed file: plain, and decorated as nsc writes it. */
    const char *seed_file = fx_path("user.nk");
    fx_write_file(seed_file, user.seed);
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetNKeyFromSeed(o, user.pub, seed_file));
    expect_ok(o);

    char text[512];
    snprintf(text, sizeof(text),
             "-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n", user.seed);
    const char *decorated = fx_path("user-decorated.nk");
    fx_write_file(decorated, text);
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetNKeyFromSeed(o, user.pub, decorated));
    expect_ok(o);

    /* natsConnection_Sign with the seed file. */
    natsConnection *nc = NULL;
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetNKeyFromSeed(o, user.pub, seed_file));
    CHECK_OK(natsConnection_Connect(&nc, o));
    unsigned char sig[64];
    CHECK_OK(natsConnection_Sign(nc, (const unsigned char *)"to sign", 7, sig));
    check_sig_with_openssl(&user, "to sign", sig, 64);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);

    /* Another key, a missing file, a refusing callback. */
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetNKey(o, other.pub, sign_cb, &other));
    expect_fail(o, NATS_CONNECTION_AUTH_FAILED, "Authorization Violation");

    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetNKeyFromSeed(o, user.pub, fx_path("missing.nk")));
    expect_fail(o, NATS_ERR, "missing.nk");

    /* A seed file holding no seed; the error text must not echo the file. */
    const char *bad_seed = fx_path("bad.nk");
    fx_write_file(bad_seed, "SUNOTAREALSEED\n");
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetNKeyFromSeed(o, user.pub, bad_seed));
    expect_fail(o, NATS_ERR, NULL);
    CHECK(strstr(nats_GetLastError(NULL), "SUNOTAREALSEED") == NULL);

    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetNKey(o, user.pub, refuse_sign_cb, NULL));
    expect_fail(o, NATS_NOT_PERMITTED, "signing refused by the test");

    CHECK_OK(natsOptions_Create(&o));
    CHECK_STATUS(natsOptions_SetNKey(o, user.pub, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetNKeyFromSeed(o, user.pub, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetNKey(NULL, user.pub, sign_cb, &user), NATS_INVALID_ARG);
    natsOptions_Destroy(o);
    server_stop(&srv);
}

/* ------------------------------------------------------------------------ */

static natsStatus jwt_cb(char **userJWT, char **customErrTxt, void *closure)
{
    (void)customErrTxt;
    *userJWT = strdup((const char *)closure);
    return NATS_OK;
}

static natsStatus refuse_jwt_cb(char **userJWT, char **customErrTxt, void *closure)
{
    (void)userJWT; (void)closure;
    *customErrTxt = strdup("no JWT today");
    return NATS_NOT_FOUND;
}

static void check_jwt(void)
{
    fx_jwt_setup j;
    fx_jwt_setup_make(&j);
    test_server srv;
    server_start_conf(&srv, j.config, NULL);

    expect_fail(opts_for(srv.url), NATS_CONNECTION_AUTH_FAILED, "Authorization Violation");

    /* .creds file. */
    const char *creds = fx_write_creds("user.creds", j.user_jwt, j.user.seed);
    natsOptions *o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserCredentialsFromFiles(o, creds, NULL));
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "jwt.>"));
    CHECK_OK(natsConnection_PublishString(nc, "jwt.x", "payload"));
    natsMsg *m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&m, sub, 2000));
    CHECK_STR(natsMsg_GetData(m), "payload");
    natsMsg_Destroy(m);
    natsSubscription_Destroy(sub);

    /* natsConnection_Sign uses the seed of the credentials. */
    unsigned char sig[64];
    CHECK_OK(natsConnection_Sign(nc, (const unsigned char *)"message", 7, sig));
    check_sig_with_openssl(&j.user, "message", sig, 64);
    CHECK_STATUS(natsConnection_Sign(nc, (const unsigned char *)"x", 1, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_Sign(NULL, (const unsigned char *)"x", 1, sig), NATS_INVALID_ARG);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);

    /* JWT and seed in separate files. */
    const char *jwt_file = fx_path("user.jwt");
    fx_write_file(jwt_file, j.user_jwt);
    const char *seed_file = fx_path("user.seed");
    fx_write_file(seed_file, j.user.seed);
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserCredentialsFromFiles(o, jwt_file, seed_file));
    expect_ok(o);

    /* Files missing things. */
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserCredentialsFromFiles(o, jwt_file, NULL));
    expect_fail(o, NATS_ERR, "seed");
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserCredentialsFromFiles(o, fx_path("missing.creds"), NULL));
    expect_fail(o, NATS_ERR, "missing.creds");

    /* The JWT signed with another seed. */
    fx_nkey other;
    fx_nkey_new('U', &other);
    const char *wrong = fx_write_creds("wrong.creds", j.user_jwt, other.seed);
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserCredentialsFromFiles(o, wrong, NULL));
    expect_fail(o, NATS_CONNECTION_AUTH_FAILED, NULL);

    /* Callbacks. */
    atomic_store(&g_sig_calls, 0);
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserCredentialsCallbacks(o, jwt_cb, j.user_jwt, sign_cb, &j.user));
    expect_ok(o);
    CHECK_EQ(atomic_load(&g_sig_calls), 1);

    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserCredentialsCallbacks(o, refuse_jwt_cb, NULL, sign_cb, &j.user));
    expect_fail(o, NATS_NOT_FOUND, "no JWT today");

    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserCredentialsCallbacks(o, jwt_cb, j.user_jwt, refuse_sign_cb, NULL));
    expect_fail(o, NATS_NOT_PERMITTED, "signing refused by the test");

    /* The NKEY and the user credentials replace each other. */
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetNKey(o, j.user.pub, sign_cb, &j.user));
    CHECK_OK(natsOptions_SetUserCredentialsFromFiles(o, creds, NULL));
    expect_ok(o);
    o = opts_for(srv.url);
    CHECK_OK(natsOptions_SetUserCredentialsFromFiles(o, creds, NULL));
    CHECK_OK(natsOptions_SetNKey(o, j.user.pub, sign_cb, &j.user));
    expect_fail(o, NATS_CONNECTION_AUTH_FAILED, NULL);

    CHECK_OK(natsOptions_Create(&o));
    CHECK_STATUS(natsOptions_SetUserCredentialsCallbacks(o, jwt_cb, NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetUserCredentialsFromFiles(NULL, creds, NULL), NATS_INVALID_ARG);
    natsOptions_Destroy(o);

    server_stop(&srv);
    fx_jwt_setup_free(&j);
}

/* ------------------------------------------------------------------------ */

static void check_nats_sign(void)
{
    fx_nkey k;
    fx_nkey_new('U', &k);
    unsigned char *sig = NULL;
    int len = 0;
    CHECK_OK(nats_Sign(k.seed, "the nonce", &sig, &len));
    CHECK(sig != NULL);
    check_sig_with_openssl(&k, "the nonce", sig, len);
    free(sig);

    /* Account keys sign too. */
    fx_nkey acc;
    fx_nkey_new('A', &acc);
    sig = NULL;
    CHECK_OK(nats_Sign(acc.seed, "abc", &sig, &len));
    check_sig_with_openssl(&acc, "abc", sig, len);
    free(sig);

    /* A public key or garbage is no seed; the text does not echo it. */
    CHECK_STATUS(nats_Sign(k.pub, "abc", &sig, &len), NATS_ERR);
    CHECK(strstr(nats_GetLastError(NULL), k.pub) == NULL);
    CHECK_STATUS(nats_Sign("SUXXXXXXXX", "abc", &sig, &len), NATS_ERR);

    CHECK_STATUS(nats_Sign(NULL, "abc", &sig, &len), NATS_INVALID_ARG);
    CHECK_STATUS(nats_Sign("", "abc", &sig, &len), NATS_INVALID_ARG);
    CHECK_STATUS(nats_Sign(k.seed, NULL, &sig, &len), NATS_INVALID_ARG);
    CHECK_STATUS(nats_Sign(k.seed, "", &sig, &len), NATS_INVALID_ARG);
    CHECK_STATUS(nats_Sign(k.seed, "abc", NULL, &len), NATS_INVALID_ARG);
    CHECK_STATUS(nats_Sign(k.seed, "abc", &sig, NULL), NATS_INVALID_ARG);
}

int main(void)
{
    test_init("test_auth");
    /* nats.c needs the library opened before nats_Sign (bug_sign_before_open). */
    CHECK_OK(nats_Open(-1));

    check_nats_sign();
    test_log("nats_Sign ok");
    check_user_password();
    test_log("user/password ok");
    check_token();
    test_log("token ok");
    check_nkey();
    test_log("nkey ok");
    check_jwt();
    test_log("jwt ok");

    nats_Close();
    return test_done();
}
