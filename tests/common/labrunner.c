/*
 * labrunner.c - the test binary's main: Criterion's runner, or the fork runner.
 *
 * `test_labN` with Criterion's options is Criterion's own runner (make check):
 * every test in a fresh worker process that Criterion starts by fork + exec.
 *
 * `test_labN --lab-fork-runner [--tap=FILE] [--filter=GLOB]... [--jobs=N]` runs the
 * same LAB_TEST functions, each in a child forked from this one process, and
 * writes the same TAP lines Criterion writes. Under Valgrind that is what makes
 * make memcheck fast: one Valgrind start for the whole lab instead of one per
 * test (an exec under Valgrind costs most of a second; a fork, a few hundredths).
 * Verdicts, timeouts, skips and messages come from the same harness calls
 * (lab_fail_now, lab_skip_now), and the test process still never runs student
 * code (labcall.h).
 *
 * What else keeps it fast under Valgrind, where most of a test's cost is code
 * translated afresh in every process and the work of forks:
 *   - before the first fork it runs the harness's own round trip and the C
 *     library's common paths once (lab_warm_up, labtest.h), so every test and
 *     every session starts with them translated;
 *   - tests' threads get small stacks (lab_calls_use_small_thread_stacks): a
 *     session's leak checks scan every stack it inherited;
 *   - it kills a test as soon as its whole verdict is in (a process's own exit
 *     under Valgrind costs ~10 ms of Valgrind's shutdown);
 *   - the tests given a longer time start first, so that no long one is left to
 *     run alone at the end;
 *   - while the processors stay idle (the tests running mostly wait: for a
 *     program under its own Valgrind, a peer, a pause they make on purpose), it
 *     lets more tests run at once, up to twice --jobs (more_jobs_while_idle).
 */
#include "labtest.h"

#include <fnmatch.h>
#include <poll.h>
#include <sys/wait.h>
#include <time.h>

extern const struct lab_test_entry *const __start_lab_tests[];
extern const struct lab_test_entry *const __stop_lab_tests[];

#define MAX_FILTERS 16
#define MAX_JOBS 16
#define MESSAGE_LIMIT (16 * 1024)

struct runner_options {
    const char *tap_path;
    const char *filters[MAX_FILTERS];
    int filter_count;
    int jobs;
    double time_scale;
};

/* One test running in a child. */
struct running {
    const struct lab_test_entry *test;
    pid_t pid;
    int result_fd;
    double deadline;
    bool ended;        /* its whole verdict came (it ends with a NUL) and it was killed */
    char message[MESSAGE_LIMIT + 1]; /* a whole verdict (labtest.c's send_verdict) */
    size_t used;
};

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* A Criterion filter: "suite/name" globs, or "@(glob|glob)". */
static bool glob_matches(const char *pattern, const char *id)
{
    size_t len = strlen(pattern);
    if (len > 3 && pattern[0] == '@' && pattern[1] == '(' && pattern[len - 1] == ')') {
        char copy[1024];
        snprintf(copy, sizeof copy, "%.*s", (int)(len - 3), pattern + 2);
        char *saved = NULL;
        for (char *part = strtok_r(copy, "|", &saved); part; part = strtok_r(NULL, "|", &saved))
            if (fnmatch(part, id, 0) == 0)
                return true;
        return false;
    }
    return fnmatch(pattern, id, 0) == 0;
}

static bool selected(const struct runner_options *options, const struct lab_test_entry *test)
{
    if (options->filter_count == 0)
        return true;
    char id[256];
    snprintf(id, sizeof id, "%s/%s", test->suite, test->name);
    for (int i = 0; i < options->filter_count; i++)
        if (glob_matches(options->filters[i], id))
            return true;
    return false;
}

static void start(struct running *slot, const struct lab_test_entry *test,
                  const struct runner_options *options)
{
    int ends[2];
    memset(slot, 0, sizeof *slot);
    slot->test = test;
    slot->result_fd = -1;
    if (pipe(ends) == -1)
        return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(ends[0]);
        lab_run_forked_test(test, ends[1], options->time_scale);
    }
    close(ends[1]);
    slot->pid = pid;
    slot->result_fd = ends[0];
    double timeout = test->extra && test->extra->timeout > 0 ? test->extra->timeout : LAB_TIMEOUT;
    slot->deadline = now_seconds() + timeout * options->time_scale + 1.0;
}

/* Writes one TAP entry the way Criterion does: a result line, then the message
 * lines indented by six spaces. A test that sent its whole verdict is judged by it
 * (the runner killed it then); one that did not, by how it ended. */
static void report(FILE *tap, const struct running *slot, int status, bool timed_out)
{
    const char *id_suite = slot->test->suite;
    const char *id_name = slot->test->name;
    const char *message = slot->used > 0 ? slot->message + 1 : "";
    char verdict = slot->used > 0 ? slot->message[0] : '?';
    bool crashed = !slot->ended && WIFSIGNALED(status);
    if (timed_out) {
        fprintf(tap, "not ok - %s::%s timed out\n", id_suite, id_name);
    } else if (verdict == 'S' && (slot->ended || WIFEXITED(status))) {
        fprintf(tap, "ok - %s::%s # SKIP %s\n", id_suite, id_name, message);
        return;
    } else if (verdict == 'P' && (slot->ended || (WIFEXITED(status) && WEXITSTATUS(status) == 0))) {
        fprintf(tap, "ok - %s::%s\n", id_suite, id_name);
        return;
    } else if (crashed) {
        fprintf(tap, "not ok - %s::%s unexpected signal after %s:%d\n", id_suite, id_name,
                slot->test->extra ? slot->test->extra->file_ : "?",
                slot->test->extra ? (int)slot->test->extra->line_ : 0);
    } else {
        fprintf(tap, "not ok - %s::%s\n", id_suite, id_name);
    }
    fprintf(tap, "  ---\n");
    if (!timed_out && crashed)
        fprintf(tap, "      The test's process was killed by signal %d (%s).\n", WTERMSIG(status),
                strsignal(WTERMSIG(status)));
    for (const char *line = message; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        fprintf(tap, "      %.*s\n", (int)len, line);
        line += len + (end != NULL);
    }
    fprintf(tap, "  ...\n");
}

/* Reads what a running test sent; true once it has finished (reported then). */
static bool collect(FILE *tap, struct running *slot, bool readable)
{
    if (readable) {
        ssize_t got = read(slot->result_fd, slot->message + slot->used,
                           sizeof slot->message - 1 - slot->used);
        if (got > 0) {
            slot->used += (size_t)got;
            if (!slot->ended && (memchr(slot->message, '\0', slot->used) ||
                                 slot->used == sizeof slot->message - 1)) {
                kill(slot->pid, SIGKILL); /* (see wait_for_the_end in labtest.c) */
                slot->ended = true;
            }
            return false;
        }
        if (got == -1 && errno == EINTR)
            return false;
    }
    bool timed_out = !readable && now_seconds() > slot->deadline;
    if (!readable && !timed_out)
        return false;
    if (timed_out)
        kill(slot->pid, SIGKILL);
    int status = 0;
    while (waitpid(slot->pid, &status, 0) == -1 && errno == EINTR)
        continue;
    slot->message[slot->used] = '\0';
    report(tap, slot, status, timed_out);
    fflush(tap);
    close(slot->result_fd);
    slot->test = NULL;
    return true;
}

static double timeout_of(const struct lab_test_entry *test)
{
    return test->extra && test->extra->timeout > 0 ? test->extra->timeout : LAB_TIMEOUT;
}

/* The tests, those given a longer time first, each group in the tests' own order
 * (an insertion sort: stable, and a lab has a hundred tests at most). */
static void sort_longer_first(const struct lab_test_entry **tests, size_t count)
{
    for (size_t i = 1; i < count; i++) {
        const struct lab_test_entry *test = tests[i];
        size_t at = i;
        for (; at > 0 && timeout_of(tests[at - 1]) < timeout_of(test); at--)
            tests[at] = tests[at - 1];
        tests[at] = test;
    }
}

/* The processors' idle and total time so far (the first line of /proc/stat). */
struct cpu_times {
    unsigned long long idle, total;
};

static bool read_cpu_times(struct cpu_times *times)
{
    unsigned long long field[8] = {0};
    FILE *stat = fopen("/proc/stat", "r");
    if (!stat)
        return false;
    int read = fscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &field[0], &field[1],
                      &field[2], &field[3], &field[4], &field[5], &field[6], &field[7]);
    fclose(stat);
    if (read < 4)
        return false;
    times->idle = field[3] + field[4]; /* idle, and waiting for I/O */
    times->total = 0;
    for (int i = 0; i < 8; i++)
        times->total += field[i];
    return true;
}

#define IDLE_LOOK_SECONDS 0.1
#define IDLE_TO_ADD 0.3  /* idle more than this since the last look: one more test at once */
#define IDLE_TO_KEEP 0.1 /* less: one fewer, down to --jobs */

/* How many tests may run at once from now: --jobs, one more while the machine was
 * idle more than IDLE_TO_ADD of the time since the last look (every
 * IDLE_LOOK_SECONDS), up to twice --jobs, and back down while it is busy. Idle
 * counts the whole machine's processors: beside other work (a whole class graded
 * at once, the self-test) the runner stays at --jobs. */
static int more_jobs_while_idle(int limit, const struct runner_options *options,
                                struct cpu_times *last, double *last_look)
{
    double now = now_seconds();
    struct cpu_times current;
    if (now - *last_look < IDLE_LOOK_SECONDS || !read_cpu_times(&current))
        return limit;
    unsigned long long total = current.total - last->total;
    double idle = total ? (double)(current.idle - last->idle) / (double)total : 0.0;
    bool first = last->total == 0;
    *last = current;
    *last_look = now;
    int most = 2 * options->jobs < MAX_JOBS ? 2 * options->jobs : MAX_JOBS;
    if (first)
        return limit;
    if (idle > IDLE_TO_ADD && limit < most)
        return limit + 1;
    if (idle < IDLE_TO_KEEP && limit > options->jobs)
        return limit - 1;
    return limit;
}

static int run_forked(const struct runner_options *options)
{
    FILE *tap = options->tap_path ? fopen(options->tap_path, "w") : stdout;
    if (!tap) {
        fprintf(stderr, "%s: %s\n", options->tap_path, strerror(errno));
        return 2;
    }
    struct running slots[MAX_JOBS];
    memset(slots, 0, sizeof slots);
    /* The tests given a longer time first: they are the long ones (programs under
     * their own Valgrind, megabytes of data), and started last they would leave the
     * other jobs idle at the end. */
    size_t count = (size_t)(__stop_lab_tests - __start_lab_tests);
    const struct lab_test_entry **order = malloc(sizeof *order * (count ? count : 1));
    if (!order)
        return 2;
    memcpy(order, __start_lab_tests, sizeof *order * count);
    sort_longer_first(order, count);
    const struct lab_test_entry **next = order;
    int busy = 0;
    int limit = options->jobs;
    struct cpu_times cpu = {0};
    double last_look = 0.0;
    for (;;) {
        limit = more_jobs_while_idle(limit, options, &cpu, &last_look);
        while (busy < limit && next < order + count) {
            const struct lab_test_entry *test = *next++;
            if (!selected(options, test))
                continue;
            for (int i = 0; i < MAX_JOBS; i++)
                if (!slots[i].test) {
                    start(&slots[i], test, options);
                    busy++;
                    break;
                }
        }
        if (busy == 0)
            break;
        struct pollfd waiting[MAX_JOBS];
        int index[MAX_JOBS];
        int count = 0;
        for (int i = 0; i < MAX_JOBS; i++)
            if (slots[i].test) {
                waiting[count] = (struct pollfd){.fd = slots[i].result_fd, .events = POLLIN};
                index[count++] = i;
            }
        poll(waiting, (nfds_t)count, 100);
        for (int k = 0; k < count; k++)
            if (collect(tap, &slots[index[k]], waiting[k].revents != 0))
                busy--;
    }
    if (tap != stdout)
        fclose(tap);
    free(order);
    return 0;
}

static int fork_runner_main(int argc, char *argv[])
{
    struct runner_options options = {.jobs = 1, .time_scale = 1.0};
    const char *scale = getenv("LAB_TIME_SCALE");
    if (scale && atof(scale) >= 1.0)
        options.time_scale = atof(scale);
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "--tap=", 6) == 0)
            options.tap_path = argv[i] + 6;
        else if (strncmp(argv[i], "--filter=", 9) == 0 && options.filter_count < MAX_FILTERS)
            options.filters[options.filter_count++] = argv[i] + 9;
        else if (strncmp(argv[i], "--jobs=", 7) == 0 && atoi(argv[i] + 7) >= 1)
            options.jobs = atoi(argv[i] + 7) < MAX_JOBS ? atoi(argv[i] + 7) : MAX_JOBS;
        else {
            fprintf(stderr, "usage: %s --lab-fork-runner [--tap=FILE] [--filter=GLOB]... "
                            "[--jobs=N]\n", argv[0]);
            return 2;
        }
    }
    lab_calls_use_small_thread_stacks();
    lab_warm_up();
    return run_forked(&options);
}

int main(int argc, char *argv[])
{
    if (argc > 1 && strcmp(argv[1], "--lab-fork-runner") == 0)
        return fork_runner_main(argc, argv);
    struct criterion_test_set *tests = criterion_initialize();
    int result = 0;
    if (criterion_handle_args(argc, argv, true))
        result = !criterion_run_all_tests(tests);
    criterion_finalize(tests);
    return result;
}
