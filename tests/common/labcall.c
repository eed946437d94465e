/*
 * labcall.c - running each student call in a child process: see labcall.h.
 *
 * The report channel is a socketpair made for each call. The child sends one
 * header (result, errno, Valgrind's counts, the numbers of the descriptors it
 * created, those descriptors themselves as SCM_RIGHTS), then the bytes of the
 * out-parameters and watched regions, then waits for the test process's
 * acknowledgement, so that the test process can read /proc/CHILD/fd while the
 * child still exists. The test process trusts nothing the child says about its
 * descriptors: it compares the child's claim with what /proc shows.
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
#include <sys/wait.h>
#include <time.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define LAB_HAVE_VALGRIND 1
#endif
#endif

#define MAX_TRACKED_FDS 512   /* descriptors a test and its calls may hold at once */
#define MAX_NEW_FDS 200       /* descriptors one call may create (SCM_RIGHTS limit: 253) */
#define MAX_WATCHES 8
#define MAX_ACTIVE_CALLS 16
#define REPORT_MAGIC 0x1ab5ca11u
#define POLL_TICK_MS 50
#define CHANNEL_FD_BASE 800   /* channels live up here, out of the way of the test's numbers */

/* A descriptor and what it refers to (the inode behind it). */
struct fd_identity {
    int fd;
    dev_t dev;
    ino_t ino;
};

struct fd_table {
    size_t count;
    struct fd_identity entries[MAX_TRACKED_FDS];
};

/* What the child sends first. */
struct report_header {
    uint32_t magic;
    int err;
    long result;
    unsigned long valgrind_errors;
    unsigned long leaked_blocks;
    size_t output_bytes;
    size_t new_count;
    int new_fds[MAX_NEW_FDS];
};

/* A student call in progress, as lab_signal_call sees it (shared with the child). */
struct active_call {
    pid_t pid;
    int in_student_code;
};

/* Everything the harness keeps for the current test. */
static struct {
    pid_t test_pid;
    rlim_t fd_limit_at_start;        /* under Valgrind, its own descriptors sit above */
    int harness_fds[MAX_TRACKED_FDS]; /* open when the test began: never the student's */
    size_t harness_fd_count;
    struct {
        void *at;
        size_t size;
    } watches[MAX_WATCHES];
    size_t watch_count;
    char pending_failure[1024];      /* a call that failed on a thread other than the test's */
    int shared_fds[LAB_CALL_MAX_KEPT];
    size_t shared_fd_count;
    int dev_null;                    /* what the test's other descriptors become in a child */
    struct timespec started;
    double timeout_seconds;
} state;

static pthread_mutex_t channels_lock = PTHREAD_MUTEX_INITIALIZER;
static int open_channels[MAX_ACTIVE_CALLS * 2];
static size_t open_channel_count;
static struct active_call *active_calls; /* a shared page, MAX_ACTIVE_CALLS slots */

/* ---- small helpers ---- */

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static bool on_test_thread(void)
{
    return gettid() == state.test_pid;
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

static bool write_exactly(int fd, const void *buf, size_t len)
{
    const char *at = buf;
    while (len > 0) {
        ssize_t sent = write(fd, at, len);
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent <= 0)
            return false;
        at += sent;
        len -= (size_t)sent;
    }
    return true;
}

/* The descriptors of process `pid` (0: this one) and their inodes, from /proc.
 * Falls back to probing each number when /proc cannot be opened (no descriptor
 * left: a test that exhausts the limit). */
static bool read_fd_table(pid_t pid, struct fd_table *table)
{
    char dir_path[64];
    if (pid == 0)
        snprintf(dir_path, sizeof dir_path, "/proc/self/fd");
    else
        snprintf(dir_path, sizeof dir_path, "/proc/%d/fd", (int)pid);
    table->count = 0;
    DIR *dir = opendir(dir_path);
    if (!dir) {
        if (pid != 0)
            return false;
        struct rlimit limit;
        getrlimit(RLIMIT_NOFILE, &limit);
        for (int fd = 0; (rlim_t)fd < limit.rlim_cur && table->count < MAX_TRACKED_FDS; fd++) {
            struct stat info;
            if (fstat(fd, &info) == 0 && is_program_fd(fd))
                table->entries[table->count++] = (struct fd_identity){fd, info.st_dev, info.st_ino};
        }
        return true;
    }
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

static bool same_file(const struct fd_identity *a, const struct fd_identity *b)
{
    return a && b && a->dev == b->dev && a->ino == b->ino;
}

static bool listed(const int *fds, size_t count, int fd)
{
    for (size_t i = 0; i < count; i++)
        if (fds[i] == fd)
            return true;
    return false;
}

/* True for a descriptor of the test that the call's child does not get: it is
 * /dev/null there, and neither side compares it. */
static bool is_hidden(const struct lab_call *call, int fd)
{
    return fd > STDERR_FILENO && fd != call->channel && fd != call->child_channel &&
           find_fd(call->snapshot, fd) &&
           !listed(call->kept, call->kept_count, fd) &&
           !listed(state.shared_fds, state.shared_fd_count, fd);
}

static bool is_harness_fd(int fd, const struct lab_call *call, int child_end)
{
    if (fd == call->channel || fd == child_end || fd == call->child_channel ||
        is_hidden(call, fd))
        return true;
    for (size_t i = 0; i < state.harness_fd_count; i++)
        if (state.harness_fds[i] == fd)
            return true;
    for (size_t i = 0; i < open_channel_count; i++)
        if (open_channels[i] == fd)
            return true;
    return false;
}

static void register_channel_locked(int parent_end, int child_end, bool add)
{
    if (add && open_channel_count + 2 <= sizeof open_channels / sizeof open_channels[0]) {
        open_channels[open_channel_count++] = parent_end;
        open_channels[open_channel_count++] = child_end;
    } else if (!add) {
        for (size_t i = 0; i < open_channel_count;)
            if (open_channels[i] == parent_end || open_channels[i] == child_end)
                open_channels[i] = open_channels[--open_channel_count];
            else
                i++;
    }
}

static void register_channel(int parent_end, int child_end, bool add)
{
    pthread_mutex_lock(&channels_lock);
    register_channel_locked(parent_end, child_end, add);
    pthread_mutex_unlock(&channels_lock);
}

/* Takes a free slot before the fork (marked -1 until the child's pid is known). */
static int claim_active_slot(void)
{
    for (int i = 0; active_calls && i < MAX_ACTIVE_CALLS; i++)
        if (__sync_bool_compare_and_swap(&active_calls[i].pid, 0, -1))
            return i;
    return -1;
}

static void release_active_slot(struct lab_call *call)
{
    if (active_calls && call->slot >= 0) {
        active_calls[call->slot].in_student_code = 0;
        active_calls[call->slot].pid = 0;
    }
    call->slot = -1;
}

static int socketpair_up_high(int ends[2]);
static int move_up(int fd);

/* Sets the soft descriptor limit; returns the previous one. The harness lifts it
 * for its own work around a call (a test may have used every descriptor up, and
 * Valgrind refuses descriptors above the limit, such as the channels' high ones). */
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

static rlim_t lift_fd_limit(void)
{
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    rlim_t wanted = state.fd_limit_at_start > limit.rlim_cur + 16 ? state.fd_limit_at_start
                                                                  : limit.rlim_cur + 16;
    return set_fd_limit(wanted);
}

/* ---- what the harness does around each test ---- */

void lab_calls_begin(void)
{
    memset(&state, 0, sizeof state);
    state.test_pid = getpid();
    clock_gettime(CLOCK_MONOTONIC, &state.started);
    state.timeout_seconds = lab_test_timeout();
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    state.fd_limit_at_start = limit.rlim_cur;
    if (!active_calls) {
        void *page = mmap(NULL, sizeof(struct active_call) * MAX_ACTIVE_CALLS,
                          PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        active_calls = page == MAP_FAILED ? NULL : page;
    }
    state.dev_null = open("/dev/null", O_RDWR);
    if (state.dev_null != -1)
        state.dev_null = move_up(state.dev_null);
    struct fd_table *open_now = malloc(sizeof *open_now);
    if (open_now && read_fd_table(0, open_now))
        for (size_t i = 0; i < open_now->count; i++)
            if (open_now->entries[i].fd > STDERR_FILENO)
                state.harness_fds[state.harness_fd_count++] = open_now->entries[i].fd;
    free(open_now);
}

void lab_calls_end(void)
{
    if (state.dev_null != -1)
        close(state.dev_null);
    state.dev_null = -1;
    if (state.pending_failure[0])
        lab_fail_now(state.pending_failure);
}

void lab_call_output(struct lab_call *call, void *at, size_t size)
{
    if (at && size > 0 && call->output_count < LAB_CALL_MAX_OUTPUTS) {
        call->outputs[call->output_count].at = at;
        call->outputs[call->output_count].size = size;
        call->output_count++;
    }
}

void lab_call_keep(struct lab_call *call, int fd)
{
    if (fd >= 0 && call->kept_count < LAB_CALL_MAX_KEPT)
        call->kept[call->kept_count++] = fd;
}

void lab_call_share_fd(int fd)
{
    if (fd >= 0 && state.shared_fd_count < LAB_CALL_MAX_KEPT)
        state.shared_fds[state.shared_fd_count++] = fd;
}

void lab_call_watch(void *at, size_t size)
{
    if (at && size > 0 && state.watch_count < MAX_WATCHES) {
        state.watches[state.watch_count].at = at;
        state.watches[state.watch_count].size = size;
        state.watch_count++;
    }
}

/* ---- the child's side ---- */

static int child_channel = -1;
static struct active_call *child_slot;
static unsigned long child_errors_before;
static unsigned long child_leaks_before;

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
    volatile char dead_stack[16 * 1024];
    memset((char *)dead_stack, 0, sizeof dead_stack);
}
#endif

/* Makes every descriptor the harness or Criterion holds, and every descriptor of
 * the test the call is not given, unreachable from the child: each becomes
 * /dev/null, so the numbers stay taken (the student's new descriptors land where
 * they would have) but nothing behind them can be read, written or forged. */
static void hide_harness_fds(const struct lab_call *call, int child_end)
{
    int inert = state.dev_null != -1 ? state.dev_null : child_end;
    for (size_t i = 0; i < state.harness_fd_count; i++)
        if (state.harness_fds[i] != child_end && state.harness_fds[i] != inert)
            dup2(inert, state.harness_fds[i]);
    for (size_t i = 0; i < open_channel_count; i++)
        if (open_channels[i] != child_end)
            dup2(inert, open_channels[i]);
    dup2(inert, call->channel);
    const struct fd_table *before = call->snapshot;
    for (size_t i = 0; i < before->count; i++)
        if (is_hidden(call, before->entries[i].fd))
            dup2(inert, before->entries[i].fd);
}

static void start_child(struct lab_call *call, int child_end, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    prctl(PR_SET_DUMPABLE, 1); /* so the test process may read /proc/CHILD/fd */
    rlim_t test_limit = lift_fd_limit();
    hide_harness_fds(call, child_end);
    set_fd_limit(test_limit);
    child_channel = child_end;
    child_slot = active_calls && call->slot >= 0 ? &active_calls[call->slot] : NULL;
#ifdef LAB_HAVE_VALGRIND
    if (RUNNING_ON_VALGRIND) {
        child_errors_before = (unsigned long)VALGRIND_COUNT_ERRORS;
        VALGRIND_DO_QUICK_LEAK_CHECK;
        child_leaks_before = leaked_blocks_now();
    }
#endif
    if (child_slot)
        child_slot->in_student_code = 1;
}

void lab_call_return(struct lab_call *call, long result, int err)
{
    if (child_slot)
        child_slot->in_student_code = 0;
    lift_fd_limit(); /* the call is over: the limit it ran with no longer matters */
    static struct report_header header;
    memset(&header, 0, sizeof header);
    header.magic = REPORT_MAGIC;
    header.result = result;
    header.err = err;
#ifdef LAB_HAVE_VALGRIND
    if (RUNNING_ON_VALGRIND) {
        clear_dead_stack();
        header.valgrind_errors = (unsigned long)VALGRIND_COUNT_ERRORS - child_errors_before;
        VALGRIND_DO_ADDED_LEAK_CHECK;
        unsigned long leaked = leaked_blocks_now();
        header.leaked_blocks = leaked > child_leaks_before ? leaked - child_leaks_before : 0;
    }
#endif
    static struct fd_table now;
    read_fd_table(0, &now);
    const struct fd_table *before = call->snapshot;
    for (size_t i = 0; i < now.count && header.new_count < MAX_NEW_FDS; i++) {
        const struct fd_identity *entry = &now.entries[i];
        if (is_harness_fd(entry->fd, call, child_channel))
            continue;
        if (!same_file(entry, find_fd(before, entry->fd)))
            header.new_fds[header.new_count++] = entry->fd;
    }
    for (size_t i = 0; i < call->output_count; i++)
        header.output_bytes += call->outputs[i].size;
    for (size_t i = 0; i < state.watch_count; i++)
        header.output_bytes += state.watches[i].size;

    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * MAX_NEW_FDS)];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = &header, .iov_len = sizeof header};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
    if (header.new_count > 0) {
        message.msg_control = control.bytes;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * header.new_count);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * header.new_count);
        memcpy(CMSG_DATA(cmsg), header.new_fds, sizeof(int) * header.new_count);
    }
    ssize_t sent;
    do
        sent = sendmsg(child_channel, &message, MSG_NOSIGNAL);
    while (sent == -1 && errno == EINTR);
    if (sent != (ssize_t)sizeof header)
        _exit(126);
    for (size_t i = 0; i < call->output_count; i++) {
#ifdef LAB_HAVE_VALGRIND
        /* Bytes the call left unset are sent back as they were: not an error of its. */
        VALGRIND_MAKE_MEM_DEFINED(call->outputs[i].at, call->outputs[i].size);
#endif
        if (!write_exactly(child_channel, call->outputs[i].at, call->outputs[i].size))
            _exit(126);
    }
    for (size_t i = 0; i < state.watch_count; i++) {
#ifdef LAB_HAVE_VALGRIND
        VALGRIND_MAKE_MEM_DEFINED(state.watches[i].at, state.watches[i].size);
#endif
        if (!write_exactly(child_channel, state.watches[i].at, state.watches[i].size))
            _exit(126);
    }
    char ack;
    read_exactly(child_channel, &ack, 1);
    _exit(0);
}

/* ---- the test process's side ---- */

static void end_child(struct lab_call *call);

/* Moves fd up to CHANNEL_FD_BASE or above, when the limit allows: a channel must
 * not take a number the test has just freed (and may pass to the student). */
static int move_up(int fd)
{
    int moved = fcntl(fd, F_DUPFD, CHANNEL_FD_BASE);
    if (moved == -1)
        return fd;
    close(fd);
    return moved;
}

static int socketpair_up_high(int ends[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, ends) == -1)
        return -1;
    ends[0] = move_up(ends[0]);
    ends[1] = move_up(ends[1]);
    return 0;
}

bool lab_call_fork(struct lab_call *call)
{
    call->child = -1;
    call->channel = call->child_channel = -1;
    call->slot = -1;
    /* The snapshot and the channel need descriptors even when the test has used
     * its own up (EMFILE tests): the harness lifts the limit meanwhile. The child
     * runs the call with the test's limit. */
    rlim_t test_limit = lift_fd_limit();
    int ends[2] = {-1, -1};
    call->snapshot = malloc(sizeof(struct fd_table));
    bool ready = call->snapshot && read_fd_table(0, call->snapshot) &&
                 socketpair_up_high(ends) == 0;
    set_fd_limit(test_limit);
    if (!ready)
        return false;
    call->channel = ends[0];
    call->child_channel = ends[1];
    call->slot = claim_active_slot();
    fflush(NULL);
    pid_t parent = getpid();
    pthread_mutex_lock(&channels_lock);
    pid_t child = fork();
    if (child == 0) {
        pthread_mutex_unlock(&channels_lock);
        start_child(call, call->child_channel, parent);
        return true;
    }
    if (child > 0)
        register_channel_locked(call->channel, call->child_channel, true);
    pthread_mutex_unlock(&channels_lock);
    close(call->child_channel);
    if (child == -1) {
        end_child(call);
        return false;
    }
    if (call->slot >= 0)
        active_calls[call->slot].pid = child;
    call->child = child;
    return false;
}

/* Fails the test now (on the test's own thread) or at its end (another thread). */
static long fail_call(struct lab_call *call, const char *what, const char *got)
{
    const char *message =
        lab_fmt("%s\n  expected: %s returns a value (-1 with errno on failure)\n  got:      %s\n"
                "  read:     %s",
                what, call->name, got, lab_see("5.1"));
    if (on_test_thread())
        lab_fail_now(message);
    if (!state.pending_failure[0])
        snprintf(state.pending_failure, sizeof state.pending_failure, "%s", message);
    errno = EIO;
    return -1;
}

static const char *how_child_ended(int status)
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

/* Waits for the child's header; false (with *status) when it ended first or the
 * test's time ran out (then *timed_out). */
static bool wait_for_report(struct lab_call *call, int *status, bool *timed_out)
{
    double limit = state.timeout_seconds - 1.0;
    if (limit < 1.0)
        limit = state.timeout_seconds * 0.8;
    *timed_out = false;
    for (;;) {
        struct pollfd ready = {.fd = call->channel, .events = POLLIN};
        char first;
        if (poll(&ready, 1, POLL_TICK_MS) == 1 &&
            recv(call->channel, &first, 1, MSG_PEEK | MSG_DONTWAIT) == 1)
            return true;
        if (waitpid(call->child, status, ready.revents ? 0 : WNOHANG) == call->child) {
            call->child = -1; /* ended without reporting: crashed, killed or exited */
            return false;
        }
        if (seconds_since(&state.started) > limit) {
            *timed_out = true;
            return false;
        }
    }
}

static bool receive_header(struct lab_call *call, struct report_header *header, int *fds,
                           size_t *fd_count)
{
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * MAX_NEW_FDS)];
    } control;
    struct iovec iov = {.iov_base = header, .iov_len = sizeof *header};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = control.bytes,
                             .msg_controllen = sizeof control.bytes};
    ssize_t got;
    do
        got = recvmsg(call->channel, &message, 0);
    while (got == -1 && errno == EINTR);
    *fd_count = 0;
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message); cmsg; cmsg = CMSG_NXTHDR(&message, cmsg))
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
            size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds + *fd_count, CMSG_DATA(cmsg), sizeof(int) * count);
            *fd_count += count;
        }
    if (got > 0 && got < (ssize_t)sizeof *header)
        if (!read_exactly(call->channel, (char *)header + got, sizeof *header - (size_t)got))
            return false;
    return got > 0 && header->magic == REPORT_MAGIC && header->new_count <= MAX_NEW_FDS;
}

static bool receive_outputs(struct lab_call *call, const struct report_header *header)
{
    size_t expected = 0;
    for (size_t i = 0; i < call->output_count; i++)
        expected += call->outputs[i].size;
    for (size_t i = 0; i < state.watch_count; i++)
        expected += state.watches[i].size;
    if (header->output_bytes != expected)
        return false;
    for (size_t i = 0; i < call->output_count; i++)
        if (!read_exactly(call->channel, call->outputs[i].at, call->outputs[i].size))
            return false;
    for (size_t i = 0; i < state.watch_count; i++)
        if (!read_exactly(call->channel, state.watches[i].at, state.watches[i].size))
            return false;
    return true;
}

/* Checks the child's claim against /proc: the new descriptors it sent must be
 * exactly the ones its table shows, each the same file. */
static bool claim_matches_table(struct lab_call *call, const struct report_header *header,
                                const int *received, size_t received_count,
                                struct fd_table *closed)
{
    static __thread struct fd_table child_table;
    if (received_count != header->new_count || !read_fd_table(call->child, &child_table))
        return false;
    const struct fd_table *before = call->snapshot;
    size_t new_seen = 0;
    for (size_t i = 0; i < child_table.count; i++) {
        const struct fd_identity *entry = &child_table.entries[i];
        if (is_harness_fd(entry->fd, call, -1) || same_file(entry, find_fd(before, entry->fd)))
            continue;
        if (entry->fd == call->channel)
            continue;
        size_t k = 0;
        while (k < header->new_count && header->new_fds[k] != entry->fd)
            k++;
        struct stat info;
        if (k == header->new_count || fstat(received[k], &info) != 0 ||
            info.st_dev != entry->dev || info.st_ino != entry->ino)
            return false;
        new_seen++;
    }
    closed->count = 0;
    for (size_t i = 0; i < before->count; i++) {
        const struct fd_identity *old = &before->entries[i];
        if (is_harness_fd(old->fd, call, -1))
            continue;
        if (!same_file(old, find_fd(&child_table, old->fd)))
            closed->entries[closed->count++] = *old;
    }
    return new_seen == header->new_count;
}

/* Closes in this process what the call closed (when it is still the same file here). */
static void mirror_closed(const struct fd_table *closed)
{
    for (size_t i = 0; i < closed->count; i++) {
        struct stat info;
        const struct fd_identity *old = &closed->entries[i];
        if (fstat(old->fd, &info) == 0 && info.st_dev == old->dev && info.st_ino == old->ino)
            close(old->fd);
    }
}

/* Puts each received descriptor at the number it had in the child when that
 * number is free here; returns the number `child_fd` ended up at. */
static int mirror_new(const struct report_header *header, int *received, size_t count,
                      int child_fd)
{
    int highest = 0;
    for (size_t i = 0; i < count; i++) {
        highest = header->new_fds[i] > highest ? header->new_fds[i] : highest;
        highest = received[i] > highest ? received[i] : highest;
    }
    for (size_t i = 0; i < count; i++) {
        int moved = fcntl(received[i], F_DUPFD, highest + 1);
        if (moved != -1) {
            close(received[i]);
            received[i] = moved;
        }
    }
    int landed = child_fd;
    for (size_t i = 0; i < count; i++) {
        int target = header->new_fds[i];
        int at = received[i];
        if (fcntl(target, F_GETFD) == -1 && errno == EBADF && dup2(received[i], target) == target) {
            close(received[i]);
            at = target;
        }
        if (target == child_fd)
            landed = at;
    }
    return landed;
}

static void end_child(struct lab_call *call)
{
    if (call->child > 0) {
        kill(call->child, SIGKILL);
        while (waitpid(call->child, NULL, 0) == -1 && errno == EINTR)
            continue;
    }
    call->child = -1;
    release_active_slot(call);
    if (call->channel != -1) {
        register_channel(call->channel, call->child_channel, false);
        close(call->channel);
    }
    free(call->snapshot);
    call->snapshot = NULL;
    call->channel = call->child_channel = -1;
}

static long collect(struct lab_call *call);

long lab_call_collect(struct lab_call *call)
{
    /* A test may have used up its descriptors (EMFILE tests): the channel, receiving
     * the call's descriptors and reading /proc need some, so the limit is lifted
     * while the harness works, and put back before the test goes on. */
    rlim_t test_limit = lift_fd_limit();
    long result = collect(call);
    int err = errno;
    set_fd_limit(test_limit);
    errno = err;
    return result;
}

static long collect(struct lab_call *call)
{
    if (call->child == -1) {
        end_child(call);
        return fail_call(call, lab_fmt("Test setup (not your code): %s could not be started.",
                                       call->name),
                         lab_errno_text(errno));
    }
    int status = 0;
    bool timed_out;
    pid_t child = call->child;
    if (!wait_for_report(call, &status, &timed_out)) {
        end_child(call);
        if (timed_out)
            return fail_call(call,
                             lab_fmt("%s was still running when the test's time (%.0f s) ran "
                                     "out: it waits for something that never comes.",
                                     call->name, state.timeout_seconds),
                             lab_fmt("%s still waiting after %.1f s", call->name,
                                     seconds_since(&state.started)));
        return fail_call(call, lab_fmt("%s did not return.", call->name),
                         how_child_ended(status));
    }
    static __thread struct report_header header;
    static __thread int received[MAX_NEW_FDS];
    static __thread struct fd_table closed;
    size_t received_count = 0;
    bool reported = receive_header(call, &header, received, &received_count) &&
                    receive_outputs(call, &header);
    bool honest = reported && call->child > 0 &&
                  claim_matches_table(call, &header, received, received_count, &closed);
    if (!honest) {
        for (size_t i = 0; i < received_count; i++)
            close(received[i]);
        end_child(call);
        return fail_call(call, lab_fmt("%s did not return normally.", call->name),
                         "its process sent a report that does not match what it did (it "
                         "wrote on the harness's channel, or ended while reporting)");
    }
    char ack = 1;
    write_exactly(call->channel, &ack, 1);
    while (waitpid(child, &status, 0) == -1 && errno == EINTR)
        continue;
    call->child = -1;
    end_child(call);

    mirror_closed(&closed);
    int landed = mirror_new(&header, received, received_count, (int)header.result);
    call->result = call->returns_fd && header.result >= 0 ? landed : header.result;
    call->err = header.err;
    if (header.valgrind_errors > 0 || header.leaked_blocks > 0) {
        const char *what = header.valgrind_errors > 0
                               ? lab_fmt("Valgrind found %lu memory error(s) while %s ran.",
                                         header.valgrind_errors, call->name)
                               : lab_fmt("%s leaked memory: %lu block(s) definitely or "
                                         "indirectly lost.",
                                         call->name, header.leaked_blocks);
        const char *message =
            lab_fmt("%s\n  expected: no invalid read or write, no use of uninitialised memory, "
                    "every block allocated is freed\n  got:      what and where: [valgrind "
                    "log: %s]\n  read:     %s",
                    what, lab_valgrind_log((long)child), lab_see("5.1"));
        if (on_test_thread())
            lab_fail_now(message);
        if (!state.pending_failure[0])
            snprintf(state.pending_failure, sizeof state.pending_failure, "%s", message);
    }
    errno = call->err;
    return call->result;
}

/* ---- signals ---- */

static char process_state(pid_t pid)
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
    for (const char *field = status; (field = strstr(field, "Pnd:")) != NULL; field += 4) {
        unsigned long long mask = strtoull(field + 4, NULL, 16);
        if (mask & bit)
            return true;
    }
    return false;
}

bool lab_signal_call(int signo, int wait_ms)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (seconds_since(&start) * 1000 < wait_ms) {
        for (int i = 0; active_calls && i < MAX_ACTIVE_CALLS; i++) {
            pid_t pid = active_calls[i].pid;
            if (pid <= 0 || !active_calls[i].in_student_code || process_state(pid) != 'S')
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
