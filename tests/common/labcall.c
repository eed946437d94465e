/*
 * labcall.c - student sessions: see labcall.h.
 *
 * One call is three messages on the session's channel (a socketpair):
 *
 *   request  (test -> session): which function, its arguments, the bytes behind
 *            its pointers, the numbers the test has open, and as SCM_RIGHTS the
 *            descriptors the call is given (with 0, 1 and 2, which a test may
 *            have redirected to capture output);
 *   reply    (session -> test): result, errno, Valgrind's counts for the call,
 *            the numbers of the descriptors it made (and, as SCM_RIGHTS, those
 *            descriptors), then the bytes it may have written;
 *   ack/done: the test has read /proc/SESSION/fd and checked the claim; the
 *            session drops its copies of every descriptor and says so, so that
 *            nothing of the test's stays open in it between calls.
 *
 * The test process trusts nothing the session says about descriptors: it
 * compares the claim with what /proc shows while the session waits.
 */
#include "labcall.h"
#include "labtest.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define LAB_HAVE_VALGRIND 1
#endif
#endif

#define MAX_TRACKED_FDS 512    /* descriptors a test may hold at once */
#define MAX_NEW_FDS 200        /* descriptors one call may make (SCM_RIGHTS allows 253) */
#define MAX_PASSED_FDS 16      /* 0, 1, 2, the call's descriptors, the shared ones */
#define MAX_SHARED_FDS 4
#define MAX_WATCHES 8
#define MAX_SESSIONS 8
#define REQUEST_MAGIC 0x5e551a11u
#define REPLY_MAGIC 0x1ab5ca11u
#define POLL_TICK_MS 50
#define CHANNEL_FD_BASE 800 /* channels live up here, out of the way of the test's numbers */
#define TEST_THREAD_STACK (256 * 1024) /* the deepest test thread uses about 40 KiB */
#define LAB_SIGNALS 32 /* the standard signals: their dispositions go with each call */

struct fd_identity {
    int fd;
    dev_t dev;
    ino_t ino;
};

struct fd_table {
    size_t count;
    struct fd_identity entries[MAX_TRACKED_FDS];
};

enum { REQUEST_CALL, REQUEST_FINISH };

struct request {
    uint32_t magic;
    int kind;                  /* a call, or the test's end (the session's last leak check) */
    bool stateful;             /* the call's descriptors stay in the session (lab_call) */
    bool exhaust;              /* the call runs with no descriptor left */
    bool check_leaks;          /* after the call too (a thread's session may not see the end) */
    uintptr_t invoke;          /* same binary, same addresses in the session */
    rlim_t fd_limit;           /* the test's descriptor limit: the call runs with it */
    int arg_count;
    struct lab_arg args[LAB_CALL_MAX_ARGS];
    int region_count;
    size_t region_sizes[LAB_CALL_MAX_ARGS];
    bool region_back[LAB_CALL_MAX_ARGS]; /* copied back after the call */
    int passed_count;
    int passed_fds[MAX_PASSED_FDS];      /* where each SCM_RIGHTS descriptor goes */
    int open_count;
    int open_fds[MAX_TRACKED_FDS];       /* every number the test has open */
    struct sigaction actions[LAB_SIGNALS];      /* the test's signal dispositions... */
    sigset_t blocked;                    /* ...and the calling thread's mask */
    size_t data_size;                    /* the test's static data follows the regions... */
    bool data_written;                   /* ...unless the test wrote it in place already */
};

struct reply {
    uint32_t magic;
    int err;
    long result;
    unsigned long valgrind_errors;
    unsigned long leaked_blocks;
    size_t new_count;
    int new_fds[MAX_NEW_FDS];
};

/* The test binary's static data (.data and .bss): sent with every request, so
 * that a call sees the test's variables as they are when it is made (an
 * interposer's plan, a handler's descriptor), and the student's own static
 * variables start from their initial values at every call, as if each call ran
 * in a fresh fork of the test. */
extern char __data_start[];
extern char _end[];

/* What lab_signal_call reads: shared with the sessions. */
struct session_state {
    pid_t pid;
    int in_student_code;
};

/* A session as the test process knows it. */
struct session {
    pid_t pid;
    int channel;        /* the test's end */
    int session_end;    /* the session's end: its number is taken there */
    pid_t creator;      /* the thread that forked it (it dies with that thread) */
    bool busy;
    int slot;           /* index in the shared states */
    struct fd_identity held[MAX_PASSED_FDS]; /* the test's descriptors a stateful call kept */
    int held_count;
    bool shares_memory; /* the warm-up's: a thread of this process (lab_calls_warm_up) */
};

/* Everything kept for the current test. */
static struct {
    pid_t test_pid;
    struct timespec started;
    double timeout_seconds;
    rlim_t fd_limit_at_start;
    int dev_null;
    struct stat dev_null_info;
    int shared_fds[MAX_SHARED_FDS];
    size_t shared_count;
    struct {
        void *at;
        size_t size;
    } watches[MAX_WATCHES];
    size_t watch_count;
    char pending_failure[1024]; /* a call that failed on a thread other than the test's */
    bool exhausted;             /* lab_call_exhaust_fds */
} state = {.dev_null = -1};

#define MAX_SHARED_STATES 16
static struct {
    void **pointer;
    size_t size;
} shared_registry[MAX_SHARED_STATES];
static size_t shared_registered;

static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_attr_t default_thread_attr; /* before lab_calls_use_small_thread_stacks */
static bool thread_attr_changed;
static struct session sessions[MAX_SESSIONS];
static struct session_state *shared_states; /* a shared page, MAX_SESSIONS entries */

/* ---- small helpers ---- */

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static bool under_valgrind(void)
{
#ifdef LAB_HAVE_VALGRIND
    return RUNNING_ON_VALGRIND;
#else
    return false;
#endif
}

/* Valgrind keeps descriptors of its own above the limit it shows the program. */
static bool is_program_fd(int fd)
{
    return !under_valgrind() || (rlim_t)fd < state.fd_limit_at_start;
}

static bool read_exactly(int fd, void *buf, size_t len)
{
    char *at = buf;
    while (len > 0) {
        ssize_t got = read(fd, at, len);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        at += got;
        len -= (size_t)got;
    }
    return true;
}

/* Sends on a channel (a socket): never SIGPIPE, whatever became of the other end. */
static bool write_exactly(int fd, const void *buf, size_t len)
{
    const char *at = buf;
    while (len > 0) {
        ssize_t sent = send(fd, at, len, MSG_NOSIGNAL);
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent <= 0)
            return false;
        at += sent;
        len -= (size_t)sent;
    }
    return true;
}

static rlim_t set_fd_limit(rlim_t soft)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return soft;
    rlim_t previous = limit.rlim_cur;
    limit.rlim_cur = soft < limit.rlim_max ? soft : limit.rlim_max;
    if (limit.rlim_cur != previous)
        setrlimit(RLIMIT_NOFILE, &limit);
    return previous;
}

/* The harness needs descriptors even when a test has used its own up (EMFILE
 * tests), and Valgrind refuses descriptors above the limit: it lifts the limit
 * while it works and puts it back for the call and for the test. */
static rlim_t lift_fd_limit(void)
{
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    rlim_t wanted = state.fd_limit_at_start > limit.rlim_cur + 32 ? state.fd_limit_at_start
                                                                  : limit.rlim_cur + 32;
    return set_fd_limit(wanted);
}

static int move_up_from(int fd, int base)
{
    int moved = fcntl(fd, F_DUPFD, base);
    if (moved == -1)
        return fd;
    close(fd);
    return moved;
}

/* The descriptors of process `pid` (0: this one) and their inodes, from /proc. */
static bool read_fd_table(pid_t pid, struct fd_table *table)
{
    char dir_path[64];
    if (pid == 0)
        snprintf(dir_path, sizeof dir_path, "/proc/thread-self/fd"); /* (see lab_calls_warm_up) */
    else
        snprintf(dir_path, sizeof dir_path, "/proc/%d/fd", (int)pid);
    table->count = 0;
    DIR *dir = opendir(dir_path);
    if (!dir)
        return false;
    int own = dirfd(dir);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && table->count < MAX_TRACKED_FDS) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
            continue;
        int fd = atoi(entry->d_name);
        if ((pid == 0 && fd == own) || !is_program_fd(fd))
            continue;
        struct stat info;
        if (fstatat(own, entry->d_name, &info, 0) == 0)
            table->entries[table->count++] = (struct fd_identity){fd, info.st_dev, info.st_ino};
    }
    closedir(dir);
    return true;
}

static const struct fd_identity *find_fd(const struct fd_table *table, int fd)
{
    for (size_t i = 0; i < table->count; i++)
        if (table->entries[i].fd == fd)
            return &table->entries[i];
    return NULL;
}

static bool listed(const int *fds, int count, int fd)
{
    for (int i = 0; i < count; i++)
        if (fds[i] == fd)
            return true;
    return false;
}

static bool is_dev_null(const struct fd_identity *entry)
{
    return entry->dev == state.dev_null_info.st_dev && entry->ino == state.dev_null_info.st_ino;
}

static bool same_inode(int fd, dev_t dev, ino_t ino)
{
    struct stat info;
    return fstat(fd, &info) == 0 && info.st_dev == dev && info.st_ino == ino;
}

/* ---- arguments ---- */

static struct lab_arg *next_arg(struct lab_call *call, int kind)
{
    if (call->arg_count >= LAB_CALL_MAX_ARGS)
        lab_fail_now("Test setup (not your code): a proxy has too many arguments.");
    struct lab_arg *arg = &call->args[call->arg_count++];
    memset(arg, 0, sizeof *arg);
    arg->kind = kind;
    return arg;
}

void lab_arg_value(struct lab_call *call, long value)
{
    next_arg(call, LAB_ARG_VALUE)->value = value;
}

void lab_arg_fd(struct lab_call *call, int fd)
{
    next_arg(call, LAB_ARG_FD)->value = fd;
}

void lab_arg_in(struct lab_call *call, const void *at, size_t size)
{
    struct lab_arg *arg = next_arg(call, LAB_ARG_IN);
    arg->at = (void *)at;
    arg->size = at ? size : 0;
}

void lab_arg_inout(struct lab_call *call, void *at, size_t size)
{
    struct lab_arg *arg = next_arg(call, LAB_ARG_INOUT);
    arg->at = at;
    arg->size = at ? size : 0;
}

void lab_arg_string(struct lab_call *call, const char *text)
{
    lab_arg_in(call, text, text ? strlen(text) + 1 : 0);
}

void lab_call_watch(void *at, size_t size)
{
    for (size_t i = 0; i < state.watch_count; i++)
        if (state.watches[i].at == at && state.watches[i].size == size)
            return;
    if (at && size > 0 && state.watch_count < MAX_WATCHES) {
        state.watches[state.watch_count].at = at;
        state.watches[state.watch_count].size = size;
        state.watch_count++;
    }
}

void lab_call_share_fd(int fd)
{
    if (fd >= 0 && state.shared_count < MAX_SHARED_FDS)
        state.shared_fds[state.shared_count++] = fd;
}

/* The regions of memory a call's pointers lie in: a watched region when the
 * pointer lies inside one, else the argument's own bytes. */
struct regions {
    int count;
    char *start[LAB_CALL_MAX_ARGS];
    size_t size[LAB_CALL_MAX_ARGS];
    bool back[LAB_CALL_MAX_ARGS];
};

static void plan_regions(struct lab_call *call, struct regions *regions)
{
    regions->count = 0;
    for (int i = 0; i < call->arg_count; i++) {
        struct lab_arg *arg = &call->args[i];
        arg->region = -1;
        if ((arg->kind != LAB_ARG_IN && arg->kind != LAB_ARG_INOUT) || !arg->at)
            continue;
        char *start = arg->at;
        size_t size = arg->size;
        for (size_t w = 0; w < state.watch_count; w++) {
            char *watch = state.watches[w].at;
            if (start >= watch && start + size <= watch + state.watches[w].size) {
                start = watch;
                size = state.watches[w].size;
                break;
            }
        }
        int found = -1;
        for (int r = 0; r < regions->count; r++)
            if (regions->start[r] == start && regions->size[r] == size)
                found = r;
        if (found == -1) {
            found = regions->count++;
            regions->start[found] = start;
            regions->size[found] = size;
            regions->back[found] = start != (char *)arg->at || size != arg->size;
        }
        regions->back[found] |= arg->kind == LAB_ARG_INOUT;
        arg->region = found;
        arg->offset = (size_t)((char *)arg->at - start);
    }
}

/* ---- the session's side ---- */

/* Everything the session keeps for itself, outside the static data that every
 * request overwrites. */
struct session_side {
    int channel;
    struct session_state *my_state;
    unsigned long errors_so_far;
    unsigned long leaks_so_far;
    struct request request;
    struct reply reply;
    struct fd_table before;
    struct fd_table scratch;
    struct sigaction applied[LAB_SIGNALS];
    bool applied_valid;
    bool stateful;      /* has served a stateful call: keeps its own descriptors from now on */
    char *data_image;   /* where the test's static data goes: __data_start (the warm-up:
                           a copy, since its session shares this memory with the test) */
};

#ifdef LAB_HAVE_VALGRIND
static unsigned long leaked_blocks_now(void)
{
    unsigned long leaked = 0, dubious = 0, reachable = 0, suppressed = 0;
    VALGRIND_COUNT_LEAK_BLOCKS(leaked, dubious, reachable, suppressed);
    (void)dubious, (void)reachable, (void)suppressed;
    return leaked;
}

/* Overwrites the dead stack below the caller, so that a pointer the student's code
 * left there does not keep a leaked block "reachable" for the leak check. */
static __attribute__((noinline)) void clear_dead_stack(void)
{
    char dead_stack[16 * 1024];
    explicit_bzero(dead_stack, sizeof dead_stack); /* (a memset here may be optimised away) */
}
#endif

/* Valgrind's counts since the last call: what this call did. Errors are counted
 * after every call (cheap); leaks when asked, which is at the test's end (one
 * leak check per test, not per call: that is most of what a check costs). */
static void count_memory(struct session_side *side, bool check_leaks)
{
#ifdef LAB_HAVE_VALGRIND
    if (!RUNNING_ON_VALGRIND)
        return;
    unsigned long errors = (unsigned long)VALGRIND_COUNT_ERRORS;
    side->reply.valgrind_errors = errors - side->errors_so_far;
    side->errors_so_far = errors;
    if (!check_leaks)
        return;
    clear_dead_stack();
    VALGRIND_DO_ADDED_LEAK_CHECK;
    unsigned long leaked = leaked_blocks_now();
    side->reply.leaked_blocks = leaked > side->leaks_so_far ? leaked - side->leaks_so_far : 0;
    side->leaks_so_far = leaked;
#else
    (void)side, (void)check_leaks;
#endif
}

static void start_counting_memory(struct session_side *side)
{
#ifdef LAB_HAVE_VALGRIND
    if (!RUNNING_ON_VALGRIND)
        return;
    side->errors_so_far = (unsigned long)VALGRIND_COUNT_ERRORS;
    VALGRIND_DO_QUICK_LEAK_CHECK;
    side->leaks_so_far = leaked_blocks_now();
#else
    (void)side;
#endif
}

/* Puts the test's signal dispositions and mask in place (only what changed). */
static void apply_signals(struct session_side *side)
{
    for (int signo = 1; signo < LAB_SIGNALS; signo++) {
        if (signo == SIGKILL || signo == SIGSTOP)
            continue;
        const struct sigaction *wanted = &side->request.actions[signo];
        if (side->applied_valid &&
            memcmp(wanted, &side->applied[signo], sizeof *wanted) == 0)
            continue;
        sigaction(signo, wanted, NULL);
        side->applied[signo] = *wanted;
    }
    side->applied_valid = true;
    sigprocmask(SIG_SETMASK, &side->request.blocked, NULL);
}

/* Receives a request and the descriptors with it (moved above every number the
 * test uses, out of the way). False when the test process has gone. */
static bool receive_request(int channel, struct request *request, int *temps)
{
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * MAX_PASSED_FDS)];
    } control;
    struct iovec iov = {.iov_base = request, .iov_len = sizeof *request};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                             .msg_controllen = sizeof control.bytes};
    ssize_t got;
    do
        got = recvmsg(channel, &message, 0);
    while (got == -1 && errno == EINTR);
    if (got <= 0)
        return false;
    int count = 0;
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message); cmsg; cmsg = CMSG_NXTHDR(&message, cmsg))
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
            int n = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(temps + count, CMSG_DATA(cmsg), sizeof(int) * (size_t)n);
            count += n;
        }
    if (got < (ssize_t)sizeof *request &&
        !read_exactly(channel, (char *)request + got, sizeof *request - (size_t)got))
        return false;
    if (request->magic != REQUEST_MAGIC || count != request->passed_count)
        return false;
    int highest = channel;
    for (int i = 0; i < request->open_count; i++)
        highest = request->open_fds[i] > highest ? request->open_fds[i] : highest;
    for (int i = 0; i < count; i++)
        temps[i] = move_up_from(temps[i], highest + 1 + MAX_PASSED_FDS);
    return true;
}

/* Makes this process's table what the call must see: a /dev/null placeholder at
 * every number the test has open, the passed descriptors at their numbers,
 * nothing else (besides the channel). */
static void arrange_descriptors(int channel, const struct request *request, const int *temps,
                                struct fd_table *scratch)
{
    struct fd_table *mine = scratch;
    read_fd_table(0, mine);
    for (size_t i = 0; i < mine->count; i++) {
        int fd = mine->entries[i].fd;
        if (fd == channel || fd == state.dev_null || listed(temps, request->passed_count, fd))
            continue;
        if (!listed(request->open_fds, request->open_count, fd))
            close(fd);
    }
    for (int i = 0; i < request->open_count; i++) {
        int fd = request->open_fds[i];
        if (fd != channel && fd != state.dev_null &&
            !listed(request->passed_fds, request->passed_count, fd))
            dup2(state.dev_null, fd);
    }
    for (int i = 0; i < request->passed_count; i++) {
        dup2(temps[i], request->passed_fds[i]);
        close(temps[i]);
    }
}

/* A stateful session keeps its own table (the hub's sockets live there): the
 * passed descriptors just go to their numbers. */
static void install_passed(const struct request *request, const int *temps)
{
    for (int i = 0; i < request->passed_count; i++) {
        dup2(temps[i], request->passed_fds[i]);
        close(temps[i]);
    }
}

static int lowest_free_fd(void)
{
    int fd = 0;
    while (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
        fd++;
    return fd;
}

/* The descriptors the call made: open now, neither a placeholder nor passed in
 * (unchanged), nor the channel. */
static void find_new_fds(int channel, const struct fd_table *before, struct fd_table *now,
                         struct reply *reply)
{
    read_fd_table(0, now);
    for (size_t i = 0; i < now->count && reply->new_count < MAX_NEW_FDS; i++) {
        const struct fd_identity *entry = &now->entries[i];
        const struct fd_identity *old = find_fd(before, entry->fd);
        if (entry->fd == channel || is_dev_null(entry) ||
            (old && old->dev == entry->dev && old->ino == entry->ino))
            continue;
        reply->new_fds[reply->new_count++] = entry->fd;
    }
}

static bool send_reply(int channel, struct reply *reply)
{
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * MAX_NEW_FDS)];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = reply, .iov_len = sizeof *reply};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
    if (reply->new_count > 0) {
        message.msg_control = control.bytes;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * reply->new_count);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * reply->new_count);
        memcpy(CMSG_DATA(cmsg), reply->new_fds, sizeof(int) * reply->new_count);
    }
    ssize_t sent;
    do
        sent = sendmsg(channel, &message, MSG_NOSIGNAL);
    while (sent == -1 && errno == EINTR);
    return sent == (ssize_t)sizeof *reply;
}

/* Serves one call; false when the session must end. */
static bool serve_one(struct session_side *side)
{
    struct request *request = &side->request;
    struct reply *reply = &side->reply;
    int channel = side->channel;
    int temps[MAX_PASSED_FDS];
    char *copies[LAB_CALL_MAX_ARGS] = {0};

    lift_fd_limit();
    if (!receive_request(channel, request, temps))
        return false;
    if (request->kind == REQUEST_FINISH) {
        memset(reply, 0, sizeof *reply);
        reply->magic = REPLY_MAGIC;
        count_memory(side, true);
        send_reply(channel, reply);
        /* Then wait to be killed: Valgrind's own exit work is most of what ending a
         * process costs under it, and nothing is left to report. */
        char end;
        while (read(channel, &end, 1) > 0)
            continue;
        return false;
    }
    side->stateful |= request->stateful;
    if (side->stateful)
        install_passed(request, temps);
    else
        arrange_descriptors(channel, request, temps, &side->scratch);
    read_fd_table(0, &side->before);
    bool ok = true;
    for (int r = 0; r < request->region_count && ok; r++) {
        copies[r] = malloc(request->region_sizes[r] ? request->region_sizes[r] : 1);
        ok = copies[r] && read_exactly(channel, copies[r], request->region_sizes[r]);
    }
    ok = ok && request->data_size == (size_t)(_end - __data_start) &&
         (request->data_written || read_exactly(channel, side->data_image, request->data_size));
    struct lab_call call = {.arg_count = request->arg_count};
    memcpy(call.args, request->args, sizeof call.args);
    for (int i = 0; i < call.arg_count; i++)
        if (call.args[i].region >= 0)
            call.args[i].at = copies[call.args[i].region] + call.args[i].offset;
    memset(reply, 0, sizeof *reply);
    reply->magic = REPLY_MAGIC;
#ifdef LAB_HAVE_VALGRIND
    VALGRIND_MAKE_MEM_DEFINED(side->data_image, (size_t)(_end - __data_start));
#endif
    if (ok) {
        long (*invoke)(const struct lab_call *) =
            (long (*)(const struct lab_call *))request->invoke;
        apply_signals(side);
        if (side->my_state)
            side->my_state->in_student_code = 1;
        set_fd_limit(request->exhaust ? (rlim_t)lowest_free_fd() : request->fd_limit);
        errno = 0;
        reply->result = invoke(&call);
        reply->err = errno;
        fflush(NULL); /* what the call printed reaches the test's stdout and stderr now */
        lift_fd_limit();
        if (side->my_state)
            side->my_state->in_student_code = 0;
    }
    count_memory(side, request->check_leaks);
    if (!side->stateful)
        find_new_fds(channel, &side->before, &side->scratch, reply);
    ok = ok && send_reply(channel, reply);
    for (int r = 0; r < request->region_count && ok; r++) {
        if (!request->region_back[r])
            continue;
#ifdef LAB_HAVE_VALGRIND
        /* Bytes the call left unset go back as they came: no error of the call's. */
        VALGRIND_MAKE_MEM_DEFINED(copies[r], request->region_sizes[r]);
#endif
        ok = write_exactly(channel, copies[r], request->region_sizes[r]);
    }
    for (int r = 0; r < request->region_count; r++)
        free(copies[r]);
    char ack;
    ok = ok && read_exactly(channel, &ack, 1);
    for (size_t i = 0; i < reply->new_count; i++)
        close(reply->new_fds[i]);
    for (int i = 0; i < request->passed_count && !side->stateful; i++)
        close(request->passed_fds[i]);
    char done = 1;
    return ok && write_exactly(channel, &done, 1);
}

/* What a session does before it serves: every descriptor it inherited (the test
 * process's, Criterion's, the harness's) becomes a placeholder, so that nothing of
 * them is reachable from here. Shared by real sessions and the fork runner's warm-up. */
static struct session_side *session_setup(int channel, int slot)
{
    struct session_side *side = mmap(NULL, sizeof *side, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (side == MAP_FAILED)
        return NULL;
    side->channel = channel;
    side->my_state = shared_states && slot >= 0 ? &shared_states[slot] : NULL;
    side->data_image = __data_start;
    lift_fd_limit();
    read_fd_table(0, &side->scratch);
    for (size_t i = 0; i < side->scratch.count; i++) {
        int fd = side->scratch.entries[i].fd;
        if (fd > STDERR_FILENO && fd != channel && fd != state.dev_null)
            dup2(state.dev_null, fd);
    }
    start_counting_memory(side);
    return side;
}

static __attribute__((noreturn)) void session_main(int channel, pid_t parent, int slot)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    prctl(PR_SET_DUMPABLE, 1); /* so the test process may read /proc/SESSION/fd */
    if (thread_attr_changed)
        pthread_setattr_default_np(&default_thread_attr);
    struct session_side *side = session_setup(channel, slot);
    if (!side)
        _exit(126);
    while (serve_one(side))
        continue;
    _exit(0);
}

/* ---- the test process's side ---- */

static void forget_sessions_in_child(void)
{
    /* A process forked from the test (a session, or a test's own child) must not
     * talk on the test's channels. */
    for (int i = 0; i < MAX_SESSIONS; i++)
        if (sessions[i].pid > 0)
            close(sessions[i].channel);
    memset(sessions, 0, sizeof sessions);
    pthread_mutex_init(&sessions_lock, NULL);
}

static void end_session(struct session *session)
{
    if (session->pid > 0) {
        kill(session->pid, SIGKILL);
        while (waitpid(session->pid, NULL, 0) == -1 && errno == EINTR)
            continue;
        close(session->channel);
    }
    if (shared_states && session->slot >= 0)
        memset(&shared_states[session->slot], 0, sizeof shared_states[session->slot]);
    memset(session, 0, sizeof *session);
}

/* An idle session this thread made, or a new one; NULL when none can be made. */
static struct session *take_session(void)
{
    pid_t me = gettid();
    pthread_mutex_lock(&sessions_lock);
    struct session *free_slot = NULL;
    for (int i = 0; i < MAX_SESSIONS; i++) {
        struct session *session = &sessions[i];
        if (session->pid > 0 && !session->busy && session->creator == me) {
            session->busy = true;
            pthread_mutex_unlock(&sessions_lock);
            return session;
        }
        if (session->pid == 0 && !free_slot)
            free_slot = session;
    }
    int ends[2];
    if (!free_slot || socketpair(AF_UNIX, SOCK_STREAM, 0, ends) == -1) {
        pthread_mutex_unlock(&sessions_lock);
        return NULL;
    }
    ends[0] = move_up_from(ends[0], CHANNEL_FD_BASE);
    ends[1] = move_up_from(ends[1], CHANNEL_FD_BASE);
    int slot = (int)(free_slot - sessions);
    fflush(NULL);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        close(ends[0]);
        session_main(ends[1], parent, slot);
    }
    close(ends[1]);
    if (child == -1) {
        close(ends[0]);
        pthread_mutex_unlock(&sessions_lock);
        return NULL;
    }
    *free_slot = (struct session){.pid = child, .channel = ends[0], .session_end = ends[1],
                                  .creator = me, .busy = true, .slot = slot};
    if (shared_states)
        shared_states[slot] = (struct session_state){.pid = child};
    pthread_mutex_unlock(&sessions_lock);
    return free_slot;
}

static void give_back(struct session *session)
{
    pthread_mutex_lock(&sessions_lock);
    session->busy = false;
    pthread_mutex_unlock(&sessions_lock);
}

void lab_calls_use_small_thread_stacks(void)
{
    pthread_attr_t small;
    if (thread_attr_changed || pthread_getattr_default_np(&default_thread_attr) != 0 ||
        pthread_attr_init(&small) != 0)
        return;
    if (pthread_attr_setstacksize(&small, TEST_THREAD_STACK) == 0 &&
        pthread_setattr_default_np(&small) == 0)
        thread_attr_changed = true;
    pthread_attr_destroy(&small);
}

void lab_shared_register(void **pointer, size_t size)
{
    if (shared_registered < MAX_SHARED_STATES) {
        shared_registry[shared_registered].pointer = pointer;
        shared_registry[shared_registered].size = size;
        shared_registered++;
    }
}

/* Fresh shared memory for every registered state: the fork runner's tests must
 * not share each other's. */
static void map_shared_states(void)
{
    for (size_t i = 0; i < shared_registered; i++) {
        void *page = mmap(NULL, shared_registry[i].size, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        *shared_registry[i].pointer = page == MAP_FAILED ? NULL : page;
    }
}

void lab_call_exhaust_fds(bool exhausted)
{
    state.exhausted = exhausted;
}

int lab_session_fd_count(void)
{
    static struct fd_table theirs;
    for (int i = 0; i < MAX_SESSIONS; i++) {
        struct session *session = &sessions[i];
        if (session->pid <= 0 || session->creator != state.test_pid ||
            !read_fd_table(session->pid, &theirs))
            continue;
        int count = 0;
        for (size_t k = 0; k < theirs.count; k++)
            count += theirs.entries[k].fd != session->session_end &&
                     !is_dev_null(&theirs.entries[k]) && theirs.entries[k].fd > STDERR_FILENO;
        return count;
    }
    return 0;
}

bool lab_is_harness_fd(int fd)
{
    if (fd < 0)
        return false;
    if (fd == state.dev_null)
        return true;
    for (int i = 0; i < MAX_SESSIONS; i++)
        if (sessions[i].pid > 0 && sessions[i].channel == fd)
            return true;
    return false;
}

void lab_calls_begin(void)
{
    map_shared_states();
    state.test_pid = getpid();
    clock_gettime(CLOCK_MONOTONIC, &state.started);
    state.timeout_seconds = lab_test_timeout();
    state.shared_count = 0;
    state.watch_count = 0;
    state.exhausted = false;
    state.pending_failure[0] = '\0';
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    state.fd_limit_at_start = limit.rlim_cur;
    if (!shared_states) {
        void *page = mmap(NULL, sizeof(struct session_state) * MAX_SESSIONS,
                          PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        shared_states = page == MAP_FAILED ? NULL : page;
    }
    static bool atfork_registered;
    if (!atfork_registered)
        atfork_registered = pthread_atfork(NULL, NULL, forget_sessions_in_child) == 0;
    state.dev_null = move_up_from(open("/dev/null", O_RDWR), CHANNEL_FD_BASE);
    fstat(state.dev_null, &state.dev_null_info);
}

static bool wait_for_session(struct session *session, int *status, bool *timed_out);
static bool receive_reply(struct session *session, struct reply *reply, int *received,
                          size_t *received_count);

/* The session's last word: what was leaked since its last leak check. */
static unsigned long finish_session(struct session *session)
{
    static struct request request;
    static struct reply reply;
    size_t received_count = 0;
    int received[MAX_NEW_FDS];
    memset(&request, 0, sizeof request);
    request.magic = REQUEST_MAGIC;
    request.kind = REQUEST_FINISH;
#ifdef LAB_HAVE_VALGRIND
    VALGRIND_MAKE_MEM_DEFINED(&request, sizeof request);
#endif
    int status;
    bool timed_out;
    if (!write_exactly(session->channel, &request, sizeof request) ||
        !wait_for_session(session, &status, &timed_out) ||
        !receive_reply(session, &reply, received, &received_count))
        return 0;
    return reply.leaked_blocks;
}

void lab_calls_end(void)
{
    unsigned long leaked = 0;
    pid_t leaker = 0;
    for (int i = 0; i < MAX_SESSIONS; i++)
        if (sessions[i].pid > 0) {
            /* A helper thread's session checked its leaks after each call (it dies
             * with its thread); the test thread's checks them now, once. */
            unsigned long blocks = under_valgrind() && !sessions[i].busy &&
                                           sessions[i].creator == state.test_pid
                                       ? finish_session(&sessions[i])
                                       : 0;
            if (blocks > 0 && !leaker)
                leaker = sessions[i].pid;
            leaked += blocks;
            end_session(&sessions[i]);
        }
    if (leaked > 0 && !state.pending_failure[0])
        snprintf(state.pending_failure, sizeof state.pending_failure,
                 "Memory was leaked by the calls of this test: %lu block(s) definitely or "
                 "indirectly lost.\n  expected: every block your functions allocate is freed "
                 "(or handed to the caller to free)\n  got:      what and where: [valgrind "
                 "log: %s]\n  read:     %s",
                 leaked, lab_valgrind_log((long)leaker), lab_see("5.1"));
    if (state.dev_null != -1)
        close(state.dev_null);
    state.dev_null = -1;
    if (state.pending_failure[0])
        lab_fail_now(state.pending_failure);
}

/* Fails the test now (on the test's own thread) or at its end (another thread). */
static long fail_call(const struct lab_call *call, const char *what, const char *got)
{
    const char *message =
        lab_fmt("%s\n  expected: %s returns a value (-1 with errno on failure)\n  got:      %s\n"
                "  read:     %s",
                what, call->name, got, lab_see("5.1"));
    if (gettid() == state.test_pid)
        lab_fail_now(message);
    if (!state.pending_failure[0])
        snprintf(state.pending_failure, sizeof state.pending_failure, "%s", message);
    errno = EIO;
    return -1;
}

static const char *how_session_ended(int status)
{
    if (WIFEXITED(status))
        return lab_fmt("the call ended its process with exit status %d instead of returning "
                       "(a lab function never calls exit())",
                       WEXITSTATUS(status));
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE)
        return "the call was killed by SIGPIPE: it wrote to a connection the peer had closed "
               "(send with MSG_NOSIGNAL)";
    if (WIFSIGNALED(status))
        return lab_fmt("the call crashed: killed by signal %d (%s)", WTERMSIG(status),
                       strsignal(WTERMSIG(status)));
    return "the call's process ended";
}

/* Waits until the session has something to say; false (with *status) when it
 * ended first, or (with *timed_out) when the test's time ran out. */
static bool wait_for_session(struct session *session, int *status, bool *timed_out)
{
    double limit = state.timeout_seconds - 1.0;
    if (limit < 1.0)
        limit = state.timeout_seconds * 0.8;
    *timed_out = false;
    for (;;) {
        struct pollfd ready = {.fd = session->channel, .events = POLLIN};
        char first;
        if (poll(&ready, 1, POLL_TICK_MS) == 1 &&
            recv(session->channel, &first, 1, MSG_PEEK | MSG_DONTWAIT) == 1)
            return true;
        if (waitpid(session->pid, status, ready.revents ? 0 : WNOHANG) == session->pid) {
            close(session->channel);
            session->pid = -1; /* reaped */
            return false;
        }
        if (seconds_since(&state.started) > limit) {
            *timed_out = true;
            return false;
        }
    }
}

/* Writes the test's static data straight into the session's own (process_vm_writev:
 * one copy by the kernel where the socket makes two, and the session reads nothing).
 * The session waits for the request that follows, so nothing of it runs meanwhile
 * but the harness. False when the kernel refuses (a session so new that it is not
 * yet PR_SET_DUMPABLE, a sandbox without the call): the socket carries it then. */
static bool write_data_in_place(const struct session *session, size_t size)
{
    static bool missing;
    if (missing || session->shares_memory)
        return false;
    struct iovec local = {.iov_base = __data_start, .iov_len = size};
    struct iovec remote = {.iov_base = __data_start, .iov_len = size};
    ssize_t written = process_vm_writev(session->pid, &local, 1, &remote, 1, 0);
    missing = written == -1 && errno == ENOSYS;
    return written == (ssize_t)size;
}

static bool send_request(struct session *session, struct request *request,
                         const struct regions *regions)
{
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * MAX_PASSED_FDS)];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = request, .iov_len = sizeof *request};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
    if (request->passed_count > 0) {
        message.msg_control = control.bytes;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)request->passed_count);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)request->passed_count);
        memcpy(CMSG_DATA(cmsg), request->passed_fds, sizeof(int) * (size_t)request->passed_count);
    }
#ifdef LAB_HAVE_VALGRIND
    /* Copied as they are: padding and bytes a test left unset are nobody's error. */
    VALGRIND_MAKE_MEM_DEFINED(request, sizeof *request);
    for (int r = 0; r < regions->count; r++)
        VALGRIND_MAKE_MEM_DEFINED(regions->start[r], regions->size[r]);
    VALGRIND_MAKE_MEM_DEFINED(__data_start, request->data_size);
#endif
    request->data_written = write_data_in_place(session, request->data_size);
    ssize_t sent;
    do
        sent = sendmsg(session->channel, &message, MSG_NOSIGNAL);
    while (sent == -1 && errno == EINTR);
    if (sent != (ssize_t)sizeof *request)
        return false;
    for (int r = 0; r < regions->count; r++)
        if (!write_exactly(session->channel, regions->start[r], regions->size[r]))
            return false;
    return request->data_written ||
           write_exactly(session->channel, __data_start, request->data_size);
}

static bool receive_reply(struct session *session, struct reply *reply, int *received,
                          size_t *received_count)
{
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * MAX_NEW_FDS)];
    } control;
    struct iovec iov = {.iov_base = reply, .iov_len = sizeof *reply};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                             .msg_controllen = sizeof control.bytes};
    ssize_t got;
    do
        got = recvmsg(session->channel, &message, 0);
    while (got == -1 && errno == EINTR);
    *received_count = 0;
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message); cmsg; cmsg = CMSG_NXTHDR(&message, cmsg))
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
            size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(received + *received_count, CMSG_DATA(cmsg), sizeof(int) * count);
            *received_count += count;
        }
    if (got > 0 && got < (ssize_t)sizeof *reply &&
        !read_exactly(session->channel, (char *)reply + got, sizeof *reply - (size_t)got))
        return false;
    return got > 0 && reply->magic == REPLY_MAGIC && reply->new_count <= MAX_NEW_FDS;
}

/* Checks the session's claim against /proc: what it says it made must be exactly
 * what its table shows beyond the placeholders and the passed descriptors, each
 * the same file as the descriptor received. */
static bool claim_matches_table(struct session *session, const struct request *request,
                                const struct fd_table *mine, const struct reply *reply,
                                const int *received, size_t received_count,
                                int *closed, int *closed_count)
{
    static __thread struct fd_table theirs;
    if (received_count != reply->new_count || !read_fd_table(session->pid, &theirs))
        return false;
    size_t new_seen = 0;
    for (size_t i = 0; i < theirs.count && !request->stateful; i++) {
        const struct fd_identity *entry = &theirs.entries[i];
        const struct fd_identity *passed = listed(request->passed_fds, request->passed_count,
                                                  entry->fd)
                                               ? find_fd(mine, entry->fd)
                                               : NULL;
        if (entry->fd == session->session_end || is_dev_null(entry) ||
            (passed && passed->dev == entry->dev && passed->ino == entry->ino))
            continue;
        size_t k = 0;
        while (k < reply->new_count && reply->new_fds[k] != entry->fd)
            k++;
        if (k == reply->new_count || !same_inode(received[k], entry->dev, entry->ino))
            return false;
        new_seen++;
    }
    *closed_count = 0;
    for (int i = 0; i < request->arg_count; i++) {
        if (request->args[i].kind != LAB_ARG_FD)
            continue;
        const struct fd_identity *ours = find_fd(mine, (int)request->args[i].value);
        const struct fd_identity *now = find_fd(&theirs, (int)request->args[i].value);
        if (ours && !(now && now->dev == ours->dev && now->ino == ours->ino))
            closed[(*closed_count)++] = ours->fd;
        else if (ours && request->stateful && session->held_count < MAX_PASSED_FDS) {
            bool known = false;
            for (int h = 0; h < session->held_count; h++)
                known |= session->held[h].fd == ours->fd;
            if (!known)
                session->held[session->held_count++] = *ours;
        }
    }
    /* What a stateful session kept for the test and has now closed: closed by the call. */
    for (int i = 0; i < session->held_count;) {
        const struct fd_identity *held = &session->held[i];
        const struct fd_identity *now = find_fd(&theirs, held->fd);
        if (now && now->dev == held->dev && now->ino == held->ino) {
            i++;
            continue;
        }
        if (*closed_count < MAX_PASSED_FDS)
            closed[(*closed_count)++] = held->fd;
        session->held[i] = session->held[--session->held_count];
    }
    return new_seen == reply->new_count;
}

/* Puts each received descriptor at the number it had in the session when that
 * number is free here; returns where `result_fd` ended up. */
static int install_new(const struct reply *reply, int *received, size_t count, int result_fd)
{
    int highest = 0;
    for (size_t i = 0; i < count; i++) {
        highest = reply->new_fds[i] > highest ? reply->new_fds[i] : highest;
        highest = received[i] > highest ? received[i] : highest;
    }
    for (size_t i = 0; i < count; i++)
        received[i] = move_up_from(received[i], highest + 1);
    int landed = result_fd;
    for (size_t i = 0; i < count; i++) {
        int target = reply->new_fds[i];
        int at = received[i];
        if (fcntl(target, F_GETFD) == -1 && errno == EBADF &&
            dup2(received[i], target) == target) {
            close(received[i]);
            at = target;
        }
        if (target == result_fd)
            landed = at;
    }
    return landed;
}

/* Builds the request: arguments, regions, the test's open numbers, what to pass. */
static void build_request(const struct lab_call *call, const struct regions *regions,
                          const struct fd_table *mine, const struct session *session,
                          rlim_t test_limit, struct request *request)
{
    memset(request, 0, sizeof *request);
    request->magic = REQUEST_MAGIC;
    request->kind = REQUEST_CALL;
    request->check_leaks = gettid() != state.test_pid;
    request->stateful = call->stateful;
    request->exhaust = state.exhausted;
    request->invoke = (uintptr_t)call->invoke;
    request->fd_limit = test_limit;
    request->arg_count = call->arg_count;
    memcpy(request->args, call->args, sizeof request->args);
    request->region_count = regions->count;
    for (int r = 0; r < regions->count; r++) {
        request->region_sizes[r] = regions->size[r];
        request->region_back[r] = regions->back[r];
    }
    for (size_t i = 0; i < mine->count; i++)
        if (mine->entries[i].fd != session->channel)
            request->open_fds[request->open_count++] = mine->entries[i].fd;
    for (int fd = 0; fd <= STDERR_FILENO; fd++)
        if (find_fd(mine, fd))
            request->passed_fds[request->passed_count++] = fd;
    for (int i = 0; i < call->arg_count; i++) {
        int fd = (int)call->args[i].value;
        if (call->args[i].kind == LAB_ARG_FD && find_fd(mine, fd) && fd != session->channel &&
            !listed(request->passed_fds, request->passed_count, fd))
            request->passed_fds[request->passed_count++] = fd;
    }
    for (size_t i = 0; i < state.shared_count; i++)
        if (find_fd(mine, state.shared_fds[i]) &&
            !listed(request->passed_fds, request->passed_count, state.shared_fds[i]))
            request->passed_fds[request->passed_count++] = state.shared_fds[i];
    for (int signo = 1; signo < LAB_SIGNALS; signo++)
        if (signo != SIGKILL && signo != SIGSTOP)
            sigaction(signo, NULL, &request->actions[signo]);
    pthread_sigmask(SIG_SETMASK, NULL, &request->blocked);
    request->data_size = (size_t)(_end - __data_start);
}

static long run_in(struct session *session, struct lab_call *call, rlim_t test_limit)
{
    static __thread struct fd_table mine;
    static __thread struct request request;
    static __thread struct reply reply;
    static __thread int received[MAX_NEW_FDS];
    int closed[MAX_PASSED_FDS];
    int closed_count = 0;
    struct regions regions;

    plan_regions(call, &regions);
    if (!read_fd_table(0, &mine))
        return fail_call(call, lab_fmt("Test setup (not your code): %s could not start.",
                                       call->name), lab_errno_text(errno));
    build_request(call, &regions, &mine, session, test_limit, &request);
    int status = 0;
    bool timed_out = false;
    bool answered = send_request(session, &request, &regions) &&
                    wait_for_session(session, &status, &timed_out);
    if (!answered) {
        if (timed_out)
            return fail_call(call,
                             lab_fmt("%s was still running when the test's time (%.0f s) ran "
                                     "out: it waits for something that never comes.",
                                     call->name, state.timeout_seconds),
                             lab_fmt("%s still waiting after %.1f s", call->name,
                                     seconds_since(&state.started)));
        return fail_call(call, lab_fmt("%s did not return.", call->name),
                         how_session_ended(status));
    }
    size_t received_count = 0;
    bool reported = receive_reply(session, &reply, received, &received_count);
    for (int r = 0; r < regions.count && reported; r++)
        if (regions.back[r])
            reported = read_exactly(session->channel, regions.start[r], regions.size[r]);
    bool honest = reported && claim_matches_table(session, &request, &mine, &reply, received,
                                                  received_count, closed, &closed_count);
    char ack = 1, done = 0;
    honest = honest && write_exactly(session->channel, &ack, 1) &&
             read_exactly(session->channel, &done, 1);
    if (!honest) {
        for (size_t i = 0; i < received_count; i++)
            close(received[i]);
        return fail_call(call, lab_fmt("%s did not return normally.", call->name),
                         "its process sent a report that does not match what it did (it "
                         "wrote on the harness's channel, or ended while reporting)");
    }
    for (int i = 0; i < closed_count; i++) {
        const struct fd_identity *ours = find_fd(&mine, closed[i]);
        if (ours && same_inode(closed[i], ours->dev, ours->ino))
            close(closed[i]);
    }
    int landed = install_new(&reply, received, received_count, (int)reply.result);
    long result = call->returns_fd && reply.result >= 0 ? landed : reply.result;
    if (reply.valgrind_errors > 0 || reply.leaked_blocks > 0) {
        const char *what = reply.valgrind_errors > 0
                               ? lab_fmt("Valgrind found %lu memory error(s) while %s ran.",
                                         reply.valgrind_errors, call->name)
                               : lab_fmt("%s leaked memory: %lu block(s) definitely or "
                                         "indirectly lost.",
                                         call->name, reply.leaked_blocks);
        const char *message =
            lab_fmt("%s\n  expected: no invalid read or write, no use of uninitialised memory, "
                    "every block allocated is freed\n  got:      what and where: [valgrind "
                    "log: %s]\n  read:     %s",
                    what, lab_valgrind_log((long)session->pid), lab_see("5.1"));
        if (gettid() == state.test_pid)
            lab_fail_now(message);
        if (!state.pending_failure[0])
            snprintf(state.pending_failure, sizeof state.pending_failure, "%s", message);
    }
    errno = reply.err;
    return result;
}

long lab_call_run(struct lab_call *call)
{
    rlim_t test_limit = lift_fd_limit();
    struct session *session = take_session();
    long result;
    if (!session) {
        result = fail_call(call, lab_fmt("Test setup (not your code): %s could not start.",
                                         call->name), lab_errno_text(errno));
    } else {
        result = run_in(session, call, test_limit);
        int err = errno;
        if (result == -1 && err == EIO && state.pending_failure[0])
            end_session(session);
        else if (session->pid <= 0)
            end_session(session);
        else
            give_back(session);
        errno = err;
    }
    int err = errno;
    set_fd_limit(test_limit);
    errno = err;
    return result;
}

/* ---- signals ---- */

char lab_sched_state(pid_t pid)
{
    char path[64];
    char stat[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd == -1)
        return '?';
    ssize_t len = read(fd, stat, sizeof stat - 1);
    close(fd);
    stat[len > 0 ? len : 0] = '\0';
    char *name_end = strrchr(stat, ')');
    return name_end && name_end[1] == ' ' ? name_end[2] : '?';
}

/* True while `signo` is pending for process pid (sent, not yet delivered). */
static bool signal_pending(pid_t pid, int signo)
{
    char path[64];
    char status[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd == -1)
        return false;
    ssize_t len = read(fd, status, sizeof status - 1);
    close(fd);
    status[len > 0 ? len : 0] = '\0';
    unsigned long long bit = 1ULL << (signo - 1);
    for (const char *field = status; (field = strstr(field, "Pnd:")) != NULL; field += 4)
        if (strtoull(field + 4, NULL, 16) & bit)
            return true;
    return false;
}

bool lab_signal_call(int signo, int wait_ms)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (seconds_since(&start) * 1000 < wait_ms) {
        for (int i = 0; shared_states && i < MAX_SESSIONS; i++) {
            pid_t pid = shared_states[i].pid;
            if (pid <= 0 || !shared_states[i].in_student_code || lab_sched_state(pid) != 'S')
                continue;
            if (kill(pid, signo) == -1)
                return false;
            while (signal_pending(pid, signo) && seconds_since(&start) * 1000 < wait_ms)
                sched_yield();
            return true;
        }
        sched_yield();
    }
    return false;
}

/* ---- the fork runner's warm-up ---- */

/*
 * Under Valgrind most of what a test costs is translating code: every process
 * translates each piece of code the first time it runs it, a forked child keeps
 * what its parent had translated, and what a child translates dies with it. So
 * the fork runner, before it forks the first test, runs the harness's own round
 * trip once, both sides of it: this process plays the test, and a thread of it
 * with a descriptor table of its own (unshare(CLONE_FILES)) plays the session,
 * through the same functions a session runs. The call is the harness's own
 * (warm_invoke below): no student code runs in the runner. Every test and every
 * session then starts with that code translated.
 */
static struct {
    pthread_t thread;
    bool started;
    int channel;            /* the test's end */
    int session_end;
    pid_t tid;              /* the session thread: /proc/TID/fd is its table */
    bool unshared;          /* it has a table of its own */
    pthread_barrier_t ready;
    struct rlimit limit;    /* the runner's, put back afterwards */
} warm;

static void *warm_session_main(void *unused)
{
    (void)unused;
    bool unshared = unshare(CLONE_FILES) == 0;
    warm.tid = gettid();
    warm.unshared = unshared;
    pthread_barrier_wait(&warm.ready);
    struct session_side *side = unshared ? session_setup(warm.session_end, -1) : NULL;
    char *image = side ? malloc((size_t)(_end - __data_start)) : NULL;
    if (side && image)
        side->data_image = image;
    while (image && serve_one(side))
        continue;
    free(image);
    if (side)
        munmap(side, sizeof *side);
    if (unshared)
        close(warm.session_end);
    return NULL;
}

/* The harness's own call: gets a descriptor and closes it, writes its buffer, makes
 * a descriptor and returns it, as the student calls it stands for do. */
static long warm_invoke(const struct lab_call *call)
{
    close((int)LAB_VALUE(call, 0));
    memset(LAB_POINTER(call, 2), 'w', (size_t)LAB_VALUE(call, 3));
    return socket(AF_UNIX, SOCK_STREAM, 0);
}

static void warm_call(void)
{
    int pair[2];
    char in[64] = "warm-up";
    char out[64];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == -1)
        return;
    struct lab_call call = {.name = "the harness's warm-up call", .invoke = warm_invoke,
                            .returns_fd = true};
    lab_arg_fd(&call, pair[0]);
    lab_arg_string(&call, in);
    lab_arg_inout(&call, out, sizeof out);
    lab_arg_value(&call, (long)sizeof out);
    struct session fake = {.pid = warm.tid, .channel = warm.channel,
                           .session_end = warm.session_end, .creator = gettid(),
                           .busy = true, .slot = -1, .shares_memory = true};
    rlim_t test_limit = lift_fd_limit();
    long made = run_in(&fake, &call, test_limit);
    set_fd_limit(test_limit);
    if (made >= 0)
        close((int)made);
    if (lab_fd_is_open(pair[0]))
        close(pair[0]);
    close(pair[1]);
}

void lab_calls_warm_up(void)
{
    getrlimit(RLIMIT_NOFILE, &warm.limit);
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, ends) == -1)
        return;
    warm.channel = move_up_from(ends[0], CHANNEL_FD_BASE);
    warm.session_end = move_up_from(ends[1], CHANNEL_FD_BASE);
    pthread_barrier_init(&warm.ready, NULL, 2);
    warm.started = pthread_create(&warm.thread, NULL, warm_session_main, NULL) == 0;
    if (!warm.started) {
        close(warm.channel);
        close(warm.session_end);
        return;
    }
    pthread_barrier_wait(&warm.ready);
    close(warm.session_end); /* the thread has its own table now, with its copy */
    if (warm.unshared) {
        warm_call();
        warm_call(); /* the paths of a session that has served before */
        struct session fake = {.pid = warm.tid, .channel = warm.channel, .slot = -1};
        finish_session(&fake);
    }
    lab_calls_after_warm_up();
}

/* Also what a warm-up that failed half-way leaves (lab_warm_up). */
void lab_calls_after_warm_up(void)
{
    if (warm.started) {
        close(warm.channel); /* the session thread sees the end of its channel */
        pthread_join(warm.thread, NULL);
        pthread_barrier_destroy(&warm.ready);
        warm.started = false;
    }
    if (warm.limit.rlim_max > 0)
        setrlimit(RLIMIT_NOFILE, &warm.limit);
    /* Every test maps its own shared pages (lab_calls_begin): none of the warm-up's
     * may be shared by the tests the runner forks. */
    if (shared_states)
        munmap(shared_states, sizeof(struct session_state) * MAX_SESSIONS);
    shared_states = NULL;
    for (size_t i = 0; i < shared_registered; i++)
        if (*shared_registry[i].pointer) {
            munmap(*shared_registry[i].pointer, shared_registry[i].size);
            *shared_registry[i].pointer = NULL;
        }
    memset(sessions, 0, sizeof sessions);
}
