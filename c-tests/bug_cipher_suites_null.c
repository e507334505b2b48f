/*
 * natsOptions_SetCipherSuites with NULL or "" is an invalid argument, as it
 * is for natsOptions_SetCiphers. nats.c 3.4.1 passes NULL on to OpenSSL and
 * crashes (SIGSEGV in SSL_CTX_set_ciphersuites).
 */
#include "harness.h"

static int set_null(void *arg)
{
    (void)arg;
    natsOptions *o = NULL;
    if (natsOptions_Create(&o) != NATS_OK)
        return 2;
    natsStatus s = natsOptions_SetCipherSuites(o, NULL);
    natsStatus e = natsOptions_SetCipherSuites(o, "");
    natsOptions_Destroy(o);
    return (s == NATS_INVALID_ARG && e == NATS_INVALID_ARG) ? 0 : 1;
}

int main(void)
{
    test_init("bug_cipher_suites_null");
    int rc = test_run_in_child(set_null, NULL, 20);
    CHECK_MSG(rc == 0, "natsOptions_SetCipherSuites(NULL or \"\"): child ended with %d", rc);
    return test_done();
}
