/*
 * Test harness for the rnats C test suite.
 *
 * Every test program:
 *   - calls test_init("name") first: arms a watchdog alarm, registers an
 *     atexit handler that kills every server the test started;
 *   - uses CHECK* macros, which print file:line, the expression and (for
 *     statuses) the status names plus the thread's last library error, then
 *     exit(1);
 *   - ends with `return test_done();`, which prints "PASS <name>".
 *
 * Servers:
 *   - test_server: a real nats-server child process ($NATS_SERVER or
 *     `nats-server` on PATH) bound to 127.0.0.1 on a free port.
 *   - fake_server: a scripted protocol peer on a thread inside the test
 *     process, used to produce misbehaviour a real server never shows.
 */
#ifndef RNATS_C_TESTS_HARNESS_H
#define RNATS_C_TESTS_HARNESS_H

#include <nats/nats.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ------------------------------------------------------------------------ */
/* Test life cycle                                                          */
/* ------------------------------------------------------------------------ */

/* Arms the watchdog (default 50 s, env RNATS_TEST_WATCHDOG overrides) and
 * the exit handler. Call first, from main. */
void test_init(const char *name);

/* Prints "PASS <name>" and returns 0 (use as `return test_done();`). */
int test_done(void);

/* Name given to test_init. */
const char *test_name(void);

/* Prints a progress line "[name] ..." on stderr (not a failure). */
void test_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Failure reporting: print and exit(1). */
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
void test_fail_status(const char *file, int line, const char *expr,
                      natsStatus got, natsStatus expected)
    __attribute__((noreturn));

#define FAIL(...) test_fail(__FILE__, __LINE__, __VA_ARGS__)

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond))                                                        \
            test_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond);       \
    } while (0)

#define CHECK_MSG(cond, ...)                                                \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,          \
                    __LINE__, #cond);                                       \
            test_fail(__FILE__, __LINE__, __VA_ARGS__);                     \
        }                                                                   \
    } while (0)

#define CHECK_STATUS(expr, expected)                                        \
    do {                                                                    \
        natsStatus check_got_ = (expr);                                     \
        natsStatus check_exp_ = (expected);                                 \
        if (check_got_ != check_exp_)                                       \
            test_fail_status(__FILE__, __LINE__, #expr, check_got_,         \
                             check_exp_);                                   \
    } while (0)

#define CHECK_OK(expr) CHECK_STATUS((expr), NATS_OK)

/* Integers compared as long long; both values are printed on failure. */
#define CHECK_EQ(a, b)                                                      \
    do {                                                                    \
        long long check_a_ = (long long)(a);                                \
        long long check_b_ = (long long)(b);                                \
        if (check_a_ != check_b_)                                           \
            test_fail(__FILE__, __LINE__, "CHECK_EQ(%s, %s): %lld != %lld", \
                      #a, #b, check_a_, check_b_);                          \
    } while (0)

/* Strings, NULL-safe. */
#define CHECK_STR(a, b)                                                     \
    do {                                                                    \
        const char *check_a_ = (a);                                         \
        const char *check_b_ = (b);                                         \
        if (!test_str_eq(check_a_, check_b_))                               \
            test_fail(__FILE__, __LINE__,                                   \
                      "CHECK_STR(%s, %s): \"%s\" != \"%s\"", #a, #b,        \
                      check_a_ ? check_a_ : "(null)",                       \
                      check_b_ ? check_b_ : "(null)");                      \
    } while (0)

bool test_str_eq(const char *a, const char *b);

/* Poll `cond` every 2 ms for up to timeout_ms; evaluates to its final truth. */
#define WAIT_FOR(cond, timeout_ms)                                          \
    ({                                                                      \
        int64_t wait_deadline_ = test_now_ms() + (timeout_ms);              \
        bool wait_ok_ = false;                                              \
        for (;;) {                                                          \
            if (cond) { wait_ok_ = true; break; }                           \
            if (test_now_ms() >= wait_deadline_) break;                     \
            test_sleep_ms(2);                                               \
        }                                                                   \
        wait_ok_;                                                           \
    })

/* Monotonic clock in ms, independent of the library under test. */
int64_t test_now_ms(void);
void test_sleep_ms(int64_t ms);

/* True when the test runs under valgrind (counts are then scaled down). */
bool test_under_valgrind(void);

/* A connection to url, with UseGlobalMessageDelivery set to global. */
natsConnection *test_connect_delivery(const char *url, bool global);

/* Publishes payload n times on subj, then flushes. */
void test_publish_n(natsConnection *nc, const char *subj, int n, const char *payload);

/* A message handler that counts its calls (optionally waiting for a gate or
 * sleeping first), and a subscription completion callback that records how
 * many calls had finished and whether a handler was still running. Both
 * take a test_counter as closure. */
typedef struct {
    atomic_int calls;
    atomic_int in_handler;
    atomic_int completes;
    atomic_int calls_at_complete;
    atomic_int complete_in_handler;
    atomic_int gate;          /* when gated: the handler waits until set */
    bool gated;
    int sleep_ms;
} test_counter;

void test_counting_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure);
void test_counting_complete(void *closure);

/* Plain connection to url (natsConnection_ConnectTo). */
natsConnection *test_connect(const char *url);

/* A message handler that only destroys the message. */
void test_noop_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure);

/* A publisher thread (start test_flood_main with a test_flooder): publishes
 * "x" on subject as fast as it can, flushing every 100 messages, until stop is
 * set or a publish fails; sent counts the messages. */
typedef struct {
    natsConnection *nc;
    const char *subject;
    atomic_int stop;
    atomic_int sent;
} test_flooder;

void *test_flood_main(void *arg);

/* A free TCP port on 127.0.0.1 (bound then released). */
int test_free_port(void);

/* A loopback port with nothing listening on it (reserved until exit). */
int test_closed_port(void);

/* Runs fn(arg) in a forked child process and returns its wait() status
 * encoded as: exit code (0..255), or 128+signal when killed by a signal.
 * Used by tests that must survive a crash inside the library. The child
 * must not rely on library state created by the parent. */
int test_run_in_child(int (*fn)(void *), void *arg, int timeout_s);

/* ------------------------------------------------------------------------ */
/* Real nats-server                                                         */
/* ------------------------------------------------------------------------ */

#define TEST_SERVER_MAX_ARGS 24

typedef struct test_server {
    pid_t pid;
    int port;
    char url[64];           /* nats://127.0.0.1:PORT */
    char conf_path[256];    /* config file written for this server, or "" */
    int nargs;
    char *args[TEST_SERVER_MAX_ARGS];   /* extra arguments, kept for restart */
} test_server;

/* Starts nats-server on a free loopback port with the extra arguments
 * (NULL-terminated array, may be NULL) and waits until it accepts
 * connections. Fails the test if it cannot. */
void server_start(test_server *s, const char *const *extra_args);

/* Same, with a configuration file holding `config_text`. */
void server_start_conf(test_server *s, const char *config_text,
                       const char *const *extra_args);

/* kill -9 the server and reap it; port stays recorded for restart. */
void server_kill(test_server *s);

/* Starts it again on the same port with the same arguments. */
void server_restart(test_server *s);

/* Kills (if running) and forgets the server, removing its config file. */
void server_stop(test_server *s);

/* Starts nats-server with JetStream (-js) storing in a fresh temporary
 * directory (-sd), removed at exit; server_restart keeps the directory. */
void server_start_js(test_server *s);

/* ------------------------------------------------------------------------ */
/* Fake server                                                              */
/* ------------------------------------------------------------------------ */

typedef enum {
    FAKE_NORMAL = 0,    /* answer every PING with PONG */
    FAKE_NO_PONG,       /* answer only the connect PING, then never again */
    FAKE_DELAYED_PONG,  /* connect PING at once, later PINGs after delay_ms */
    FAKE_NEVER_PONG,    /* send INFO but never PONG, not even on connect */
    FAKE_SILENT,        /* accept the TCP connection and send nothing */
    FAKE_SEND_ERR,      /* on trigger: send "-ERR '<text>'" (text, default
                           "some text"); keeps answering PINGs */
    FAKE_SEND_GARBAGE,  /* on trigger: send text (default "FOO BAR\r\n") */
    FAKE_PARTIAL_MSG,   /* on trigger: send "MSG <subject> <sid> 100\r\n"
                           plus 10 bytes of payload, then close the socket
                           (subject = text, default "foo"; sid from the
                           client's SUB, else 1) */
    FAKE_CLOSE,         /* on trigger: close the client socket */
    FAKE_NO_READ,       /* answer the connect PING, then stop reading from
                           the socket (small receive buffer): the client's
                           writes block once the kernel buffers are full */
} fake_mode;

typedef struct fake_config {
    fake_mode mode;
    const char *info;       /* INFO JSON object; NULL = default FAKE info */
    int delay_ms;           /* FAKE_DELAYED_PONG delay */
    int trigger_after_ms;   /* >0: trigger the action automatically this long
                               after the connect PONG; 0: only fake_trigger() */
    const char *text;       /* -ERR text / garbage bytes / MSG subject */
} fake_config;

typedef struct fake_server {
    int port;
    char url[64];
    fake_config cfg;
    int listen_fd;
    pthread_t thread;
    pthread_mutex_t mu;
    int client_fd;                  /* current client or -1 (under mu) */
    char *received;                 /* everything the client sent (capped) */
    size_t received_len;
    atomic_bool stop;
    atomic_bool trigger;
    atomic_int connections;         /* accepted TCP connections */
    atomic_int connects;            /* CONNECT lines seen */
    atomic_int pings;               /* PING lines seen */
    atomic_int pongs_sent;
    atomic_int pubs;                /* PUB/HPUB seen */
    atomic_int client_closed;       /* connections that ended */
    atomic_int peer_port;           /* client's port of the last accept */
    atomic_bool handshake_done;     /* connect PONG sent on current client */
    atomic_bool acted;              /* the scripted action has run */
} fake_server;

/* Listens on a free loopback port and serves clients one at a time. */
void fake_start(fake_server *f, const fake_config *cfg);

/* Stops the thread, closes sockets, frees memory. */
void fake_stop(fake_server *f);

/* Asks the fake to perform its scripted action now. */
void fake_trigger(fake_server *f);

/* Sends raw bytes to the current client (if any). Returns false if none. */
bool fake_send(fake_server *f, const char *data, size_t len);
bool fake_send_str(fake_server *f, const char *s);

/* Closes the current client's socket. */
void fake_close_client(fake_server *f);

/* True when everything received so far contains `needle`. */
bool fake_received_contains(fake_server *f, const char *needle);

/* The subscription id the client gave `subject` in its last SUB line, or
 * -1 when it has not subscribed to it (yet). */
int fake_sid_for(fake_server *f, const char *subject);

/* Copy (malloc'd, NUL-terminated) of what the client sent. */
char *fake_received_copy(fake_server *f);

/* Default INFO JSON used by the fake. */
extern const char *const FAKE_DEFAULT_INFO;

#endif /* RNATS_C_TESTS_HARNESS_H */
