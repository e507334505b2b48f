/*
 * nats_Sign works as the first call into the library. nats.c 3.4.1 fails
 * with NATS_ERR ("invalid seed") for a valid seed until something else has
 * initialised the library (nats_Open, natsOptions_Create...).
 */
#include "security_fixtures.h"

int main(void)
{
    test_init("bug_sign_before_open");
    fx_nkey k;
    fx_nkey_new('U', &k);

    unsigned char *sig = NULL;
    int len = 0;
    CHECK_OK(nats_Sign(k.seed, "nonce", &sig, &len));
    CHECK_EQ(len, 64);
    CHECK(fx_verify(&k, (const unsigned char *)"nonce", 5, sig, 64));
    free(sig);
    return test_done();
}
