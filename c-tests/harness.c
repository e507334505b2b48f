/*
 * Test harness implementation: life cycle, assertions, nats-server child
 * processes and the in-process fake server. See harness.h.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Life cycle                                                               */
/* ------------------------------------------------------------------------ */

#define MAX_CHILDREN 32

static const char *g_name = "unnamed";
static volatile pid_t g_children[MAX_CHILDREN];
static char g_conf_files[MAX_CHILDREN][256];
static pthread_mutex_t g_children_mu = PTHREAD_MUTEX_INITIALIZER;

static void register_child(pid_t pid)
{
    pthread_mutex_lock(&g_children_mu);
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (g_children[i] == 0) {
            g_children[i] = pid;
            break;
        }
    }
    pthread_mutex_unlock(&g_children_mu);
}

static void unregister_child(pid_t pid)
{
    pthread_mutex_lock(&g_children_mu);
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (g_children[i] == pid)
            g_children[i] = 0;
    }
    pthread_mutex_unlock(&g_children_mu);
}

static void register_conf(const char *path)
{
    pthread_mutex_lock(&g_children_mu);
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (g_conf_files[i][0] == '\0') {
            snprintf(g_conf_files[i], sizeof(g_conf_files[i]), "%s", path);
            break;
        }
    }
    pthread_mutex_unlock(&g_children_mu);
}

static void unregister_conf(const char *path)
{
    pthread_mutex_lock(&g_children_mu);
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (strcmp(g_conf_files[i], path) == 0)
            g_conf_files[i][0] = '\0';
    }
    pthread_mutex_unlock(&g_children_mu);
}

/* Async-signal-safe: only kill(2) and unlink(2). */
static void kill_all_children(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        pid_t p = g_children[i];
        if (p > 0)
            kill(p, SIGKILL);
        if (g_conf_files[i][0] != '\0')
            unlink(g_conf_files[i]);
    }
}

static void at_exit_handler(void)
{
    kill_all_children();
    for (int i = 0; i < MAX_CHILDREN; i++) {
        pid_t p = g_children[i];
        if (p > 0) {
            waitpid(p, NULL, 0);
            g_children[i] = 0;
        }
    }
}

static void watchdog_handler(int sig)
{
    (void)sig;
    static const char msg1[] = "FAIL ";
    static const char msg2[] = ": watchdog expired, the test hung\n";
    if (write(2, msg1, sizeof(msg1) - 1) < 0) { /* nothing to do */ }
    if (write(2, g_name, strlen(g_name)) < 0) { /* nothing to do */ }
    if (write(2, msg2, sizeof(msg2) - 1) < 0) { /* nothing to do */ }
    kill_all_children();
    _exit(3);
}

void test_init(const char *name)
{
    g_name = name;
    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);

    int secs = 50;
    const char *env = getenv("RNATS_TEST_WATCHDOG");
    if (env != NULL && atoi(env) > 0)
        secs = atoi(env);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = watchdog_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    alarm((unsigned)secs);

    atexit(at_exit_handler);
}

const char *test_name(void)
{
    return g_name;
}

int test_done(void)
{
    printf("PASS %s\n", g_name);
    fflush(stdout);
    return 0;
}

void test_log(const char *fmt, ...)
{
    va_list ap;
    char buf[1024];
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, "[%s] %s\n", g_name, buf);
}

static void print_last_error(void)
{
    natsStatus ls = NATS_OK;
    const char *txt = nats_GetLastError(&ls);
    fprintf(stderr, "  last library error: %d (%s) \"%s\"\n", (int)ls,
            natsStatus_GetText(ls), txt ? txt : "(null)");
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    print_last_error();
    fprintf(stderr, "FAIL %s\n", g_name);
    exit(1);
}

void test_fail_status(const char *file, int line, const char *expr,
                      natsStatus got, natsStatus expected)
{
    fprintf(stderr, "%s:%d: %s\n  returned %d (%s), expected %d (%s)\n",
            file, line, expr, (int)got, natsStatus_GetText(got),
            (int)expected, natsStatus_GetText(expected));
    print_last_error();
    fprintf(stderr, "FAIL %s\n", g_name);
    exit(1);
}

bool test_str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

bool test_under_valgrind(void)
{
    return getenv("RNATS_TEST_VALGRIND") != NULL;
}

natsConnection *test_connect_delivery(const char *url, bool global)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_UseGlobalMessageDelivery(o, global));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    return nc;
}

void test_publish_n(natsConnection *nc, const char *subj, int n, const char *payload)
{
    for (int i = 0; i < n; i++)
        CHECK_OK(natsConnection_PublishString(nc, subj, payload));
    CHECK_OK(natsConnection_Flush(nc));
}

natsConnection *test_connect(const char *url)
{
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, url));
    return nc;
}

void test_noop_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    natsMsg_Destroy(msg);
}

void *test_flood_main(void *arg)
{
    test_flooder *f = arg;
    int i = 0;
    while (!atomic_load(&f->stop)) {
        if (natsConnection_PublishString(f->nc, f->subject, "x") != NATS_OK)
            break;
        if (++i % 100 == 0)
            natsConnection_Flush(f->nc);
        atomic_fetch_add(&f->sent, 1);
    }
    return NULL;
}

void test_counting_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    test_counter *st = closure;
    atomic_store(&st->in_handler, 1);
    if (st->gated) {
        while (!atomic_load(&st->gate))
            test_sleep_ms(1);
    }
    if (st->sleep_ms > 0)
        test_sleep_ms(st->sleep_ms);
    natsMsg_Destroy(msg);
    atomic_fetch_add(&st->calls, 1);
    atomic_store(&st->in_handler, 0);
}

void test_counting_complete(void *closure)
{
    test_counter *st = closure;
    if (atomic_load(&st->in_handler))
        atomic_fetch_add(&st->complete_in_handler, 1);
    atomic_store(&st->calls_at_complete, atomic_load(&st->calls));
    atomic_fetch_add(&st->completes, 1);
}

int64_t test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void test_sleep_ms(int64_t ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        FAIL("socket: %s", strerror(errno));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        FAIL("bind: %s", strerror(errno));
    socklen_t len = sizeof(a);
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        FAIL("getsockname: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

int test_closed_port(void)
{
    /* Bound but never listening: connecting is refused, and as long as the
     * socket stays open no other process (a parallel test's server) can
     * take the port. Kept open until exit. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        FAIL("socket: %s", strerror(errno));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        FAIL("bind: %s", strerror(errno));
    socklen_t len = sizeof(a);
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        FAIL("getsockname: %s", strerror(errno));
    return ntohs(a.sin_port);
}

static bool port_accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

int test_run_in_child(int (*fn)(void *), void *arg, int timeout_s)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        FAIL("fork: %s", strerror(errno));
    if (pid == 0) {
        /* Expected crashes leave no core files behind. */
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core);
        alarm((unsigned)timeout_s);
        signal(SIGALRM, SIG_DFL);
        int rc = fn(arg);
        fflush(stdout);
        _exit(rc);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 255;
}

/* ------------------------------------------------------------------------ */
/* Real nats-server                                                         */
/* ------------------------------------------------------------------------ */

static const char *server_binary(void)
{
    const char *env = getenv("NATS_SERVER");
    if (env != NULL && env[0] != '\0')
        return env;
    return "nats-server";
}

/* Launches the process once; returns true when the port accepts. */
static bool server_launch(test_server *s)
{
    char port_str[16];
    snprintf(port_str, sizeof(port_str), "%d", s->port);

    const char *argv[TEST_SERVER_MAX_ARGS + 10];
    int n = 0;
    argv[n++] = server_binary();
    argv[n++] = "-a";
    argv[n++] = "127.0.0.1";
    argv[n++] = "-p";
    argv[n++] = port_str;
    if (s->conf_path[0] != '\0') {
        argv[n++] = "-c";
        argv[n++] = s->conf_path;
    }
    for (int i = 0; i < s->nargs; i++)
        argv[n++] = s->args[i];
    argv[n] = NULL;

    bool keep_log = getenv("RNATS_TEST_SERVER_LOG") != NULL;
    pid_t parent = getpid();

    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        FAIL("fork: %s", strerror(errno));
    if (pid == 0) {
        /* Die with the test, even when it crashes. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        signal(SIGALRM, SIG_DFL);
        alarm(0);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            if (!keep_log)
                dup2(devnull, 2);
        }
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    s->pid = pid;
    register_child(pid);

    int64_t deadline = test_now_ms() + 10000;
    while (test_now_ms() < deadline) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            unregister_child(pid);
            s->pid = 0;
            return false;
        }
        if (port_accepts(s->port))
            return true;
        test_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unregister_child(pid);
    s->pid = 0;
    return false;
}

static void server_init(test_server *s, const char *const *extra_args)
{
    memset(s, 0, sizeof(*s));
    if (extra_args != NULL) {
        for (int i = 0; extra_args[i] != NULL; i++) {
            if (s->nargs >= TEST_SERVER_MAX_ARGS)
                FAIL("too many server arguments");
            s->args[s->nargs++] = strdup(extra_args[i]);
        }
    }
}

static void server_launch_new_port(test_server *s)
{
    /* The free port may be taken by a parallel test between probe and
     * bind; a few attempts with fresh ports make that harmless. */
    for (int attempt = 0; attempt < 5; attempt++) {
        s->port = test_free_port();
        snprintf(s->url, sizeof(s->url), "nats://127.0.0.1:%d", s->port);
        if (server_launch(s))
            return;
    }
    FAIL("could not start %s (set NATS_SERVER or RNATS_TEST_SERVER_LOG=1 "
         "to see its output)", server_binary());
}

void server_start(test_server *s, const char *const *extra_args)
{
    server_init(s, extra_args);
    server_launch_new_port(s);
}

void server_start_conf(test_server *s, const char *config_text,
                       const char *const *extra_args)
{
    server_init(s, extra_args);
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    snprintf(s->conf_path, sizeof(s->conf_path), "%s/rnats-test-XXXXXX", tmp);
    int fd = mkstemp(s->conf_path);
    if (fd < 0)
        FAIL("mkstemp: %s", strerror(errno));
    size_t len = strlen(config_text);
    if (write(fd, config_text, len) != (ssize_t)len)
        FAIL("write config: %s", strerror(errno));
    close(fd);
    register_conf(s->conf_path);
    server_launch_new_port(s);
}

void server_kill(test_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR) {
        }
        unregister_child(s->pid);
        s->pid = 0;
    }
}

void server_restart(test_server *s)
{
    server_kill(s);
    int64_t deadline = test_now_ms() + 10000;
    while (test_now_ms() < deadline) {
        if (server_launch(s))
            return;
        test_sleep_ms(50);
    }
    FAIL("could not restart nats-server on port %d", s->port);
}

void server_stop(test_server *s)
{
    server_kill(s);
    for (int i = 0; i < s->nargs; i++)
        free(s->args[i]);
    s->nargs = 0;
    if (s->conf_path[0] != '\0') {
        unlink(s->conf_path);
        unregister_conf(s->conf_path);
        s->conf_path[0] = '\0';
    }
}

/* ------------------------------------------------------------------------ */
/* Fake server                                                              */
/* ------------------------------------------------------------------------ */

const char *const FAKE_DEFAULT_INFO =
    "{\"server_id\":\"FAKE\",\"version\":\"2.10.0\",\"proto\":1,"
    "\"headers\":true,\"max_payload\":1048576}";

#define FAKE_RECORD_CAP (1024 * 1024)

static bool fake_write_locked(fake_server *f, const char *data, size_t len)
{
    if (f->client_fd < 0)
        return false;
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(f->client_fd, data + off, len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd p = { .fd = f->client_fd, .events = POLLOUT };
                poll(&p, 1, 100);
                continue;
            }
            return false;
        }
        off += (size_t)n;
    }
    return true;
}

bool fake_send(fake_server *f, const char *data, size_t len)
{
    pthread_mutex_lock(&f->mu);
    bool ok = fake_write_locked(f, data, len);
    pthread_mutex_unlock(&f->mu);
    return ok;
}

bool fake_send_str(fake_server *f, const char *s)
{
    return fake_send(f, s, strlen(s));
}

void fake_close_client(fake_server *f)
{
    pthread_mutex_lock(&f->mu);
    if (f->client_fd >= 0)
        shutdown(f->client_fd, SHUT_RDWR);
    pthread_mutex_unlock(&f->mu);
}

void fake_trigger(fake_server *f)
{
    atomic_store(&f->trigger, true);
}

static void fake_record(fake_server *f, const char *data, size_t len)
{
    pthread_mutex_lock(&f->mu);
    size_t room = FAKE_RECORD_CAP - f->received_len;
    if (len > room)
        len = room;
    memcpy(f->received + f->received_len, data, len);
    f->received_len += len;
    f->received[f->received_len] = '\0';
    pthread_mutex_unlock(&f->mu);
}

bool fake_received_contains(fake_server *f, const char *needle)
{
    pthread_mutex_lock(&f->mu);
    bool found = strstr(f->received, needle) != NULL;
    pthread_mutex_unlock(&f->mu);
    return found;
}

int fake_sid_for(fake_server *f, const char *subject)
{
    char *all = fake_received_copy(f);
    int sid = -1;
    size_t slen = strlen(subject);
    for (char *p = all; (p = strstr(p, "SUB ")) != NULL; p += 4) {
        if (p != all && p[-1] != '\n')
            continue;   /* "UNSUB " or inside a payload */
        char *end = strstr(p, "\r\n");
        if (end == NULL)
            break;
        if (strncmp(p + 4, subject, slen) != 0 || p[4 + slen] != ' ')
            continue;
        char *last = end;
        while (last > p && last[-1] != ' ')
            last--;
        sid = atoi(last);
    }
    free(all);
    return sid;
}

char *fake_received_copy(fake_server *f)
{
    pthread_mutex_lock(&f->mu);
    char *c = strdup(f->received);
    pthread_mutex_unlock(&f->mu);
    return c;
}

/* Performs the scripted action; returns true when the socket must close. */
static bool fake_do_action(fake_server *f)
{
    char buf[512];
    const char *text = f->cfg.text;
    switch (f->cfg.mode) {
    case FAKE_SEND_ERR:
        snprintf(buf, sizeof(buf), "-ERR '%s'\r\n", text ? text : "some text");
        fake_send_str(f, buf);
        return false;
    case FAKE_SEND_GARBAGE:
        fake_send_str(f, text ? text : "FOO BAR\r\n");
        return false;
    case FAKE_PARTIAL_MSG: {
        const char *subj = text ? text : "foo";
        int sid = fake_sid_for(f, subj);
        snprintf(buf, sizeof(buf), "MSG %s %d 100\r\n0123456789", subj,
                 sid > 0 ? sid : 1);
        fake_send_str(f, buf);
        test_sleep_ms(20);
        return true;
    }
    case FAKE_CLOSE:
        return true;
    default:
        return false;
    }
}

/* Number of payload bytes (incl. CRLF) that follow a PUB/HPUB line. */
static long fake_payload_after(const char *line)
{
    bool pub = strncmp(line, "PUB ", 4) == 0;
    bool hpub = strncmp(line, "HPUB ", 5) == 0;
    if (!pub && !hpub)
        return -1;
    const char *last = strrchr(line, ' ');
    if (last == NULL)
        return -1;
    return strtol(last + 1, NULL, 10) + 2;
}

typedef struct {
    int64_t due;
} fake_pong;

static void fake_serve_client(fake_server *f, int fd)
{
    char line[65536];
    size_t line_len = 0;
    long skip = 0;          /* payload bytes still to skip */
    int pings_here = 0;
    int64_t pong_due[256];
    int npong = 0;
    int64_t act_at = -1;
    char buf[16384];

    pthread_mutex_lock(&f->mu);
    f->client_fd = fd;
    pthread_mutex_unlock(&f->mu);
    atomic_store(&f->handshake_done, false);
    atomic_store(&f->trigger, false);

    if (f->cfg.mode != FAKE_SILENT) {
        char info[4096];
        snprintf(info, sizeof(info), "INFO %s\r\n",
                 f->cfg.info ? f->cfg.info : FAKE_DEFAULT_INFO);
        fake_send_str(f, info);
    }

    while (!atomic_load(&f->stop)) {
        int64_t now = test_now_ms();

        /* Scheduled PONGs. */
        int k = 0;
        for (int i = 0; i < npong; i++) {
            if (pong_due[i] <= now) {
                /* Counted before sending: once the client sees it, the
                 * counter already includes it. */
                atomic_fetch_add(&f->pongs_sent, 1);
                fake_send_str(f, "PONG\r\n");
            } else {
                pong_due[k++] = pong_due[i];
            }
        }
        npong = k;

        /* Scripted action. */
        if (!atomic_load(&f->acted) && atomic_load(&f->handshake_done)) {
            bool go = atomic_load(&f->trigger) || (act_at >= 0 && now >= act_at);
            if (go) {
                atomic_store(&f->acted, true);
                if (fake_do_action(f))
                    break;
            }
        }

        if (f->cfg.mode == FAKE_NO_READ && atomic_load(&f->handshake_done)) {
            /* Keep the socket open but never read again. */
            test_sleep_ms(5);
            continue;
        }

        struct pollfd p = { .fd = fd, .events = POLLIN };
        int pr = poll(&p, 1, 5);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        fake_record(f, buf, (size_t)n);

        for (ssize_t i = 0; i < n; i++) {
            if (skip > 0) {
                long take = (long)(n - i) < skip ? (long)(n - i) : skip;
                skip -= take;
                i += take - 1;
                continue;
            }
            char c = buf[i];
            if (c != '\n') {
                if (line_len < sizeof(line) - 1)
                    line[line_len++] = c;
                continue;
            }
            if (line_len > 0 && line[line_len - 1] == '\r')
                line_len--;
            line[line_len] = '\0';
            line_len = 0;

            if (strncmp(line, "CONNECT", 7) == 0) {
                atomic_fetch_add(&f->connects, 1);
            } else if (strcmp(line, "PING") == 0) {
                atomic_fetch_add(&f->pings, 1);
                pings_here++;
                bool first = pings_here == 1;
                bool answer = false;
                int64_t delay = 0;
                switch (f->cfg.mode) {
                case FAKE_NEVER_PONG:
                case FAKE_SILENT:
                    answer = false;
                    break;
                case FAKE_NO_PONG:
                    answer = first;
                    break;
                case FAKE_DELAYED_PONG:
                    answer = true;
                    delay = first ? 0 : f->cfg.delay_ms;
                    break;
                default:
                    answer = true;
                    break;
                }
                if (answer && delay == 0) {
                    atomic_fetch_add(&f->pongs_sent, 1);
                    fake_send_str(f, "PONG\r\n");
                } else if (answer && npong < 256) {
                    pong_due[npong++] = test_now_ms() + delay;
                }
                if (first && answer) {
                    atomic_store(&f->handshake_done, true);
                    if (f->cfg.trigger_after_ms > 0)
                        act_at = test_now_ms() + f->cfg.trigger_after_ms;
                }
            } else {
                long pl = fake_payload_after(line);
                if (pl >= 0) {
                    atomic_fetch_add(&f->pubs, 1);
                    skip = pl;
                }
            }
        }
    }

    pthread_mutex_lock(&f->mu);
    f->client_fd = -1;
    pthread_mutex_unlock(&f->mu);
    close(fd);
    atomic_store(&f->handshake_done, false);
    atomic_fetch_add(&f->client_closed, 1);
}

static void *fake_main(void *arg)
{
    fake_server *f = arg;
    while (!atomic_load(&f->stop)) {
        struct pollfd p = { .fd = f->listen_fd, .events = POLLIN };
        int pr = poll(&p, 1, 20);
        if (pr <= 0)
            continue;
        struct sockaddr_in peer;
        socklen_t plen = sizeof(peer);
        int fd = accept(f->listen_fd, (struct sockaddr *)&peer, &plen);
        if (fd < 0)
            continue;
        atomic_store(&f->peer_port, ntohs(peer.sin_port));
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        atomic_fetch_add(&f->connections, 1);
        atomic_store(&f->acted, false);
        fake_serve_client(f, fd);
    }
    return NULL;
}

void fake_start(fake_server *f, const fake_config *cfg)
{
    memset(f, 0, sizeof(*f));
    if (cfg != NULL)
        f->cfg = *cfg;
    f->client_fd = -1;
    pthread_mutex_init(&f->mu, NULL);
    f->received = calloc(1, FAKE_RECORD_CAP + 1);
    if (f->received == NULL)
        FAIL("out of memory");

    f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (f->listen_fd < 0)
        FAIL("socket: %s", strerror(errno));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (f->cfg.mode == FAKE_NO_READ) {
        /* Inherited by accepted sockets: keeps the TCP window tiny. */
        int small = 4096;
        setsockopt(f->listen_fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    }
    if (bind(f->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        FAIL("bind: %s", strerror(errno));
    socklen_t len = sizeof(a);
    getsockname(f->listen_fd, (struct sockaddr *)&a, &len);
    if (listen(f->listen_fd, 16) != 0)
        FAIL("listen: %s", strerror(errno));
    f->port = ntohs(a.sin_port);
    snprintf(f->url, sizeof(f->url), "nats://127.0.0.1:%d", f->port);

    if (pthread_create(&f->thread, NULL, fake_main, f) != 0)
        FAIL("pthread_create failed");
}

void fake_stop(fake_server *f)
{
    atomic_store(&f->stop, true);
    pthread_join(f->thread, NULL);
    close(f->listen_fd);
    f->listen_fd = -1;
    free(f->received);
    f->received = NULL;
    pthread_mutex_destroy(&f->mu);
}

/* ------------------------------------------------------------------------ */
/* JetStream server                                                         */
/* ------------------------------------------------------------------------ */

#define JS_MAX_DIRS 8
static char g_js_dirs[JS_MAX_DIRS][256];
static int g_js_ndirs;

static void js_dirs_cleanup(void)
{
    for (int i = 0; i < g_js_ndirs; i++) {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_js_dirs[i]);
        if (system(cmd) != 0) { /* best effort */ }
    }
}

void server_start_js(test_server *s)
{
    if (g_js_ndirs >= JS_MAX_DIRS)
        FAIL("too many JetStream servers");
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    char *dir = g_js_dirs[g_js_ndirs];
    snprintf(dir, sizeof(g_js_dirs[0]), "%s/rnats-js-XXXXXX", tmp);
    if (mkdtemp(dir) == NULL)
        FAIL("mkdtemp: %s", strerror(errno));
    if (g_js_ndirs++ == 0)
        atexit(js_dirs_cleanup);
    const char *args[] = {"-js", "-sd", dir, NULL};
    server_start(s, args);
}
