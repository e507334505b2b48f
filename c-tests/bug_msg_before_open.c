/*
 * nats.c 3.4.1 defect pinned here: natsMsg_Destroy crashes when no other
 * library call initialized the library first.
 *
 * natsMsg_Create works on a fresh process, but natsMsg_Destroy hands the
 * message to a garbage collector that only exists after nats_Open (or the
 * first connection), and dereferences a NULL mutex (SIGSEGV). Creating and
 * destroying a message must work as the very first library calls.
 *
 * Runs in a child process, which starts from a library nobody touched.
 *
 * Expected to FAIL (the child crashes) against nats.c.
 */
#include "harness.h"

#include <string.h>

static int fresh_process(void *arg)
{
    (void)arg;
    natsMsg *m = NULL;
    if (natsMsg_Create(&m, "first.call", "reply", "data", 4) != NATS_OK)
        return 1;
    if (strcmp(natsMsg_GetSubject(m), "first.call") != 0)
        return 1;
    natsMsg_Destroy(m);
    return 0;
}

int main(void)
{
    test_init("bug_msg_before_open");
    int rc = test_run_in_child(fresh_process, NULL, 20);
    CHECK_MSG(rc == 0, "create/destroy a message as first library calls: child exit %d%s", rc,
              rc > 128 ? " (killed by a signal)" : "");
    return test_done();
}
