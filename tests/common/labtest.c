/*
 * labtest.c - the shared test harness: see labtest.h.
 *
 * This file is compiled once per lab with that lab's LAB_NAME, so that the
 * generic messages below point at the right handout.
 */
#include "labtest.h"

#include <criterion/options.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/resource.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define LAB_HAVE_VALGRIND 1
#endif
#endif

#define LAB_MAX_FD 4096
#define LAB_RING_SIZE 16
#define LAB_TEXT_SIZE 1024

/* What a test started with, to compare at its end. */
struct lab_baseline {
    bool open_fds[LAB_MAX_FD];
    unsigned long valgrind_errors;
    unsigned long leaked_blocks;
};

static struct lab_baseline baseline;
bool lab_assertion_failed;

/* Neither ptrace nor /proc/PID/mem reaches the test processes (the runner and
 * every worker run this), so a student call's child cannot reach into them. */
__attribute__((constructor)) static void lab_harden_process(void)
{
    prctl(PR_SET_DUMPABLE, 0);
}

/* Under the fork runner: where the verdict goes (-1 under Criterion). */
static int forked_result_fd = -1;
static double forked_timeout;

/* Sends "P", "F<message>" or "S<reason>", then a NUL: the end of the verdict. */
static void send_verdict(char verdict, const char *text)
{
    char buffer[16 * 1024];
    int len = snprintf(buffer, sizeof buffer, "%c%s", verdict, text);
    size_t left = (len < (int)sizeof buffer ? (size_t)len : sizeof buffer - 1) + 1;
    const char *at = buffer;
    while (left > 0) {
        ssize_t sent = write(forked_result_fd, at, left);
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent <= 0)
            break;
        at += sent;
        left -= (size_t)sent;
    }
}

/* Set while lab_warm_up runs: a failure there returns to it. */
static jmp_buf *warm_up_escape;

/* The verdict is sent: the runner ends this process with SIGKILL as soon as it has
 * read it. Under Valgrind a process's own exit (exit, _exit, even a SIGKILL it
 * sends itself) runs Valgrind's shutdown, about 10 ms; one killed from outside
 * just ends. The exit below is for a runner that is gone. */
static __attribute__((noreturn)) void wait_for_the_end(int status)
{
    for (int tick = 0; tick < 100; tick++)
        poll(NULL, 0, 100);
    _exit(status);
}

void lab_fail_now(const char *message)
{
    lab_assertion_failed = true;
    if (warm_up_escape)
        longjmp(*warm_up_escape, 1);
    if (forked_result_fd != -1) {
        send_verdict('F', message);
        wait_for_the_end(1);
    }
    cr_assert_fail("%s", message);
    abort(); /* not reached: cr_assert_fail ends the test */
}

void lab_skip_now(const char *reason)
{
    if (forked_result_fd != -1) {
        send_verdict('S', reason);
        wait_for_the_end(0);
    }
    cr_skip_test("%s", reason);
    abort(); /* not reached */
}

void lab_setup_failed(const char *what, int err)
{
    lab_fail_now(lab_fmt("Test setup (not your code): %s failed.\n  expected: it works on any "
                         "Linux machine\n  got:      %s\n  read:     %s",
                         what, lab_errno_text(err), lab_see("5.1")));
}

double lab_test_timeout(void)
{
    if (forked_result_fd != -1)
        return forked_timeout;
    double timeout = LAB_TIMEOUT;
    if (criterion_current_test && criterion_current_test->data &&
        criterion_current_test->data->timeout > 0)
        timeout = criterion_current_test->data->timeout;
    /* Criterion's --timeout (make check's cap) lowers it, and ends the test then. */
    if (criterion_options.timeout > 0 && criterion_options.timeout < timeout)
        timeout = criterion_options.timeout;
    return timeout;
}

void lab_run_forked_test(const struct lab_test_entry *test, int result_fd, double time_scale)
{
    forked_result_fd = result_fd;
    double timeout = test->extra && test->extra->timeout > 0 ? test->extra->timeout : LAB_TIMEOUT;
    forked_timeout = timeout * time_scale;
    test->run();
    send_verdict('P', "");
    wait_for_the_end(0);
}

static char *next_buffer(void)
{
    static char ring[LAB_RING_SIZE][LAB_TEXT_SIZE];
    static unsigned next;
    return ring[next++ % LAB_RING_SIZE];
}

const char *lab_fmt(const char *format, ...)
{
    char *text = next_buffer();
    va_list args;
    va_start(args, format);
    vsnprintf(text, LAB_TEXT_SIZE, format, args);
    va_end(args);
    return text;
}

const char *lab_see(const char *section)
{
    return lab_fmt("handouts/en/%s.md section %s (es: handouts/es/%s.md section %s)", LAB_NAME,
                   section, LAB_NAME, section);
}

const char *lab_errno_text(int err)
{
    if (err == 0)
        return "0 (no error)";
    const char *name = strerrorname_np(err);
    return lab_fmt("%s (%s)", name ? name : "unknown errno", strerror(err));
}

const char *lab_count_text(long long count, const char *unit)
{
    if (unit == NULL || unit[0] == '\0')
        return lab_fmt("%lld", count);
    size_t len = strlen(unit);
    bool singular = count == 1 && len > 1 && unit[len - 1] == 's';
    return lab_fmt("%lld %.*s", count, (int)(singular ? len - 1 : len), unit);
}

const char *lab_result_text(long result, int err)
{
    if (result == -1)
        return lab_fmt("-1 with errno %s", lab_errno_text(err));
    return lab_fmt("%ld", result);
}

const char *lab_bytes_text(const void *bytes, size_t len, size_t max)
{
    const unsigned char *byte = bytes;
    char *text = next_buffer();
    size_t used = 0;
    size_t shown = len < max ? len : max;

    text[used++] = '"';
    for (size_t i = 0; i < shown && used < LAB_TEXT_SIZE - 16; i++) {
        if (byte[i] == '"' || byte[i] == '\\')
            used += (size_t)snprintf(text + used, LAB_TEXT_SIZE - used, "\\%c", byte[i]);
        else if (byte[i] >= 0x20 && byte[i] < 0x7f)
            text[used++] = (char)byte[i];
        else
            used += (size_t)snprintf(text + used, LAB_TEXT_SIZE - used, "\\x%02x", byte[i]);
    }
    snprintf(text + used, LAB_TEXT_SIZE - used, "\"%s", shown < len ? "..." : "");
    return text;
}

const char *lab_family_text(int family)
{
    switch (family) {
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_UNIX: return "AF_UNIX";
    case AF_UNSPEC: return "AF_UNSPEC";
    default: return lab_fmt("%d (not an address family the kit knows)", family);
    }
}

const char *lab_socktype_text(int type)
{
    switch (type) {
    case SOCK_STREAM: return "SOCK_STREAM";
    case SOCK_DGRAM: return "SOCK_DGRAM";
    case SOCK_RAW: return "SOCK_RAW";
    case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
    default: return lab_fmt("%d (not a socket type the kit knows)", type);
    }
}

bool lab_fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* Marks the open descriptors below LAB_MAX_FD, from /proc/self/fd (one directory
 * read: under Valgrind, probing 4096 numbers one by one costs a test tenths of a
 * second); probes each number when /proc cannot be opened (no descriptor left). */
static void mark_open_fds(bool open_fds[LAB_MAX_FD])
{
    memset(open_fds, 0, sizeof(bool) * LAB_MAX_FD);
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) {
        for (int fd = 0; fd < LAB_MAX_FD; fd++)
            open_fds[fd] = lab_fd_is_open(fd);
        return;
    }
    int own = dirfd(dir);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        int fd = atoi(entry->d_name);
        if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9' && fd != own && fd < LAB_MAX_FD)
            open_fds[fd] = true;
    }
    closedir(dir);
}

int lab_open_fd_count(void)
{
    bool open_fds[LAB_MAX_FD];
    mark_open_fds(open_fds);
    int count = 0;
    for (int fd = 0; fd < LAB_MAX_FD; fd++)
        count += open_fds[fd] && !lab_is_harness_fd(fd);
    return count;
}

long lab_exhaust_fd_limit(void)
{
    struct rlimit limit;
    lab_require(getrlimit(RLIMIT_NOFILE, &limit) == 0, "getrlimit()");
    long previous = (long)limit.rlim_cur;

    int lowest_free = 0;
    while (lab_fd_is_open(lowest_free))
        lowest_free++;
    limit.rlim_cur = (rlim_t)lowest_free;
    lab_require(setrlimit(RLIMIT_NOFILE, &limit) == 0, "setrlimit()");
    lab_call_exhaust_fds(true); /* the student's calls run out of descriptors too */
    return previous;
}

void lab_restore_fd_limit(long previous_soft_limit)
{
    lab_call_exhaust_fds(false);
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = (rlim_t)previous_soft_limit;
    setrlimit(RLIMIT_NOFILE, &limit);
}

/* ---- capturing stdout and stderr ---- */

static int saved_stdout = -1;
static int saved_stderr = -1;
static int capture_fd = -1;

void lab_capture_begin(void)
{
    char path[] = "/tmp/labtest-capture-XXXXXX";
    fflush(NULL);
    capture_fd = mkstemp(path);
    lab_require(capture_fd != -1, "mkstemp()");
    unlink(path);
    saved_stdout = dup(STDOUT_FILENO);
    saved_stderr = dup(STDERR_FILENO);
    dup2(capture_fd, STDOUT_FILENO);
    dup2(capture_fd, STDERR_FILENO);
}

const char *lab_capture_end(void)
{
    char bytes[256];
    fflush(NULL);
    dup2(saved_stdout, STDOUT_FILENO);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stdout);
    close(saved_stderr);
    ssize_t got = pread(capture_fd, bytes, sizeof bytes, 0);
    close(capture_fd);
    capture_fd = saved_stdout = saved_stderr = -1;
    if (got <= 0)
        return "";
    return lab_bytes_text(bytes, (size_t)got, 120);
}

const char *lab_build_dir(void)
{
    const char *dir = getenv("LAB_BUILD_DIR");
    return dir && *dir ? dir : "build";
}

/* ---- time ---- */

#define VALGRIND_SLOWDOWN 10
#define VALGRIND_WAIT_STRETCH 4 /* lab_wait_ms */

long long lab_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

bool lab_under_memcheck(void)
{
    const char *dir = getenv("LAB_VALGRIND_LOG_DIR");
    return dir != NULL && *dir != '\0';
}

bool lab_running_on_valgrind(void)
{
#if defined(LAB_HAVE_VALGRIND)
    return RUNNING_ON_VALGRIND != 0;
#else
    return false;
#endif
}

int lab_deadline_ms(int ms)
{
    return lab_under_memcheck() ? ms * VALGRIND_SLOWDOWN : ms;
}

int lab_wait_ms(int ms)
{
    return lab_under_memcheck() ? ms * VALGRIND_WAIT_STRETCH : ms;
}

/* ---- the checks around every test ---- */

static const char *fd_target(int fd)
{
    char link[64];
    char *target = next_buffer();
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t len = readlink(link, target, LAB_TEXT_SIZE - 1);
    target[len > 0 ? len : 0] = '\0';
    return target;
}

static void check_descriptors(void)
{
    static bool open_at_end[LAB_MAX_FD];
    mark_open_fds(open_at_end);
    for (int fd = 0; fd < LAB_MAX_FD; fd++) {
        bool open_now = open_at_end[fd];
        if (open_now && !baseline.open_fds[fd])
            lab_fail_now(lab_fmt("A descriptor was left open.\n"
                                 "  expected: every descriptor your functions create is closed "
                                 "on every path, or returned to the caller\n"
                                 "  got:      descriptor %d (%s) still open at the end of the "
                                 "test\n  read:     %s",
                                 fd, fd_target(fd), lab_see("5.1")));
        if (!open_now && baseline.open_fds[fd])
            lab_fail_now(lab_fmt("A descriptor that did not belong to your code was closed.\n"
                                 "  expected: your functions close only the descriptors they "
                                 "are given to close, or that they created\n"
                                 "  got:      descriptor %d, open before the test, is closed\n"
                                 "  read:     %s",
                                 fd, lab_see("5.1")));
    }
}

#ifdef LAB_HAVE_VALGRIND
const char *lab_valgrind_log(long pid)
{
    const char *dir = getenv("LAB_VALGRIND_LOG_DIR");
    if (!dir)
        return lab_fmt("Valgrind's output, process %ld", pid);
    return lab_fmt("%s/vg.log, process %ld", dir, pid);
}

/* The test's own process runs no student code (that runs in its session, which
 * counts its own findings): an error here is the test's. Errors only: a leak
 * check of the test process would cost every test and judge only the kit. */
static void check_memory(void)
{
    if (!RUNNING_ON_VALGRIND)
        return;
    unsigned long errors = (unsigned long)VALGRIND_COUNT_ERRORS - baseline.valgrind_errors;
    if (errors != 0)
        lab_fail_now(lab_fmt("Test setup (not your code): Valgrind found a memory error in the "
                             "test itself.\n  expected: none\n  got:      %lu error(s); "
                             "[valgrind log: %s]\n  read:     %s",
                             errors, lab_valgrind_log((long)getpid()), lab_see("5.1")));
}

static void record_memory_baseline(void)
{
    if (!RUNNING_ON_VALGRIND)
        return;
    baseline.valgrind_errors = (unsigned long)VALGRIND_COUNT_ERRORS;
}
#else
static void check_memory(void) {}
static void record_memory_baseline(void) {}
#endif

void lab_test_begin(void)
{
    lab_assertion_failed = false;
    signal(SIGPIPE, SIG_DFL);
    mark_open_fds(baseline.open_fds);
    record_memory_baseline();
    lab_calls_begin(); /* its own descriptors are closed again by lab_calls_end */
}

void lab_test_end(void)
{
    lab_calls_end();
    check_descriptors();
    check_memory();
    fflush(NULL);
}

/* What the tests and the labs' functions call most of the C library: sockets on
 * loopback (TCP and UDP), names, memory, the formatting of messages. Run once in
 * the runner, it is translated once for every test and every session. */
static void warm_libc(void)
{
    char text[256];
    (void)lab_fmt("%s %d %zu %ld %lu %lld %u %x %02x %c %.*s %p %.1f", "text", -1, (size_t)2, 3L,
                  4UL, 5LL, 6u, 7u, 8u, 'c', 2, "ab", (void *)text, 1.5);
    (void)lab_result_text(-1, ECONNREFUSED);
    (void)lab_bytes_text("a\x01\"", 3, 10);
    (void)strsignal(SIGPIPE);
    char *block = calloc(4, 256);
    free(realloc(block, 70000));
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof address;
    int one = 1;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) == 0 &&
        listen(listener, 4) == 0 &&
        getsockname(listener, (struct sockaddr *)&address, &len) == 0) {
        int client = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(client, (struct sockaddr *)&address, sizeof address) == 0) {
            int served = accept(listener, NULL, NULL);
            send(client, "warm", 4, MSG_NOSIGNAL);
            struct pollfd ready = {.fd = served, .events = POLLIN};
            poll(&ready, 1, 1000);
            recv(served, text, sizeof text, 0);
            fcntl(served, F_SETFL, fcntl(served, F_GETFL) | O_NONBLOCK);
            recv(served, text, 1, 0);
            shutdown(client, SHUT_WR);
            close(served);
        }
        close(client);
    }
    close(listener);
    int datagram = socket(AF_INET, SOCK_DGRAM, 0);
    address.sin_port = 0;
    len = sizeof address;
    if (bind(datagram, (struct sockaddr *)&address, sizeof address) == 0 &&
        getsockname(datagram, (struct sockaddr *)&address, &len) == 0 &&
        sendto(datagram, "warm", 4, 0, (struct sockaddr *)&address, sizeof address) == 4)
        recvfrom(datagram, text, sizeof text, 0, (struct sockaddr *)&address, &len);
    close(datagram);
    inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
    inet_pton(AF_INET6, "::1", text);
}

/* The labs' own warm-ups (LAB_WARM_UP); none in most labs. */
extern void (*const __start_lab_warm_ups[])(void) __attribute__((weak));
extern void (*const __stop_lab_warm_ups[])(void) __attribute__((weak));

bool lab_warm_up(void)
{
#ifdef LAB_HAVE_VALGRIND
    if (!RUNNING_ON_VALGRIND)
        return false;
    static jmp_buf escape;
    static volatile bool whole;
    whole = false;
    if (setjmp(escape) == 0) {
        warm_up_escape = &escape;
        lab_test_begin();
        warm_libc();
        for (void (*const *warm)(void) = __start_lab_warm_ups; warm && warm < __stop_lab_warm_ups;
             warm++)
            (*warm)();
        lab_calls_warm_up();
        lab_test_end();
        whole = true;
    }
    warm_up_escape = NULL;
    lab_calls_after_warm_up();
    return whole;
#else
    return false;
#endif
}

/* ---- running the code under test in a child process ---- */

struct child_report {
    long result;
    int err;
};

static char child_failure[256];

const char *lab_child_failure(void)
{
    return child_failure;
}

static void describe_child_end(int status)
{
    if (WIFEXITED(status))
        snprintf(child_failure, sizeof child_failure,
                 "the process exited with status %d instead of returning",
                 WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(child_failure, sizeof child_failure, "the process was killed by signal %d (%s)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
}

bool lab_call_in_child(long (*call)(void *context), void *context, long *result, int *err)
{
    int report_pipe[2];
    int piped = pipe(report_pipe);
    lab_expect(piped == 0, "Setting up the test (pipe).", "success", strerror(errno), "5.1");
    fflush(NULL);
    pid_t child = fork();
    lab_expect(child != -1, "Setting up the test (fork).", "success", strerror(errno), "5.1");
    if (child == 0) {
        close(report_pipe[0]);
        struct child_report report;
        memset(&report, 0, sizeof report); /* no padding bytes left uninitialised */
        errno = 0;
        report.result = call(context);
        report.err = errno;
        ssize_t written = write(report_pipe[1], &report, sizeof report);
        _exit(written == (ssize_t)sizeof report ? 0 : 1);
    }
    close(report_pipe[1]);

    struct child_report report;
    struct pollfd waiting = {.fd = report_pipe[0], .events = POLLIN};
    bool reported = poll(&waiting, 1, (int)(LAB_TIMEOUT * 500)) == 1 &&
                    read(report_pipe[0], &report, sizeof report) == (ssize_t)sizeof report;
    close(report_pipe[0]);
    if (!reported) {
        snprintf(child_failure, sizeof child_failure, "the call did not return in %.0f s",
                 LAB_TIMEOUT / 2);
        kill(child, SIGKILL);
    }
    int status;
    waitpid(child, &status, 0);
    if (!reported) {
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
            describe_child_end(status);
        return false;
    }
    *result = report.result;
    *err = report.err;
    return true;
}
