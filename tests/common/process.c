/*
 * process.c - running a lab's program from a test: see process.h.
 */
#include "labtest.h"

#include "labnet.h"
#include "process.h"

#include <dirent.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define FINISH_DRAIN_MS 200
#define COMMAND_ARG_SHOWN 40 /* a longer argument is shown by its length */
#define CHILD_EXEC_FAILED 127

const char *lab_program_path(const char *lab, const char *program)
{
    return lab_fmt("%s/%s/%s", lab_build_dir(), lab, program);
}

/* ---- starting ---- */

static void describe_command(struct lab_process *proc, const char *const argv[])
{
    const char *name = strrchr(argv[0], '/');
    size_t used = (size_t)snprintf(proc->command, sizeof proc->command, "%s",
                                   name ? name + 1 : argv[0]);
    for (int i = 1; argv[i] != NULL && used < sizeof proc->command; i++) {
        size_t len = strlen(argv[i]);
        bool plain = len > 0 && strpbrk(argv[i], " \"'\\") == NULL;
        if (len > COMMAND_ARG_SHOWN)
            used += (size_t)snprintf(proc->command + used, sizeof proc->command - used,
                                     " <a %zu-byte argument>", len);
        else
            used += (size_t)snprintf(proc->command + used, sizeof proc->command - used,
                                     plain ? " %s" : " '%s'", argv[i]);
    }
}

#define VALGRIND_ARGS 10

/* Whether this test's programs run under Valgrind in make memcheck. */
static bool programs_under_valgrind;

void lab_programs_under_valgrind(void)
{
    programs_under_valgrind = true;
}

/* argv with Valgrind in front when make memcheck runs and the test asked for it;
 * `room` has room for it. */
static const char *const *wrapped_argv(struct lab_process *proc, const char *const argv[],
                                       const char **room, size_t room_len)
{
    static char log_option[600];
    if (!lab_under_memcheck() || !programs_under_valgrind)
        return argv;
    const char *name = strrchr(argv[0], '/');
    snprintf(proc->valgrind_log, sizeof proc->valgrind_log, "%s/program.%s.%ld.%lld.log",
             getenv("LAB_VALGRIND_LOG_DIR"), name ? name + 1 : argv[0], (long)getpid(),
             lab_now_ms());
    snprintf(log_option, sizeof log_option, "--log-file=%s", proc->valgrind_log);
    const char *options[VALGRIND_ARGS] = {
        "valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect",
        "--errors-for-leak-kinds=definite,indirect", "--error-limit=no",
        "--child-silent-after-fork=yes", "--read-inline-info=no", "--vex-guest-chase=no",
        "--vgdb=no", log_option,
    };
    size_t count = 0;
    for (size_t i = 0; i < VALGRIND_ARGS; i++)
        room[count++] = options[i];
    for (size_t i = 0; argv[i] != NULL && count + 1 < room_len; i++)
        room[count++] = argv[i];
    room[count] = NULL;
    return room;
}

/* Closes every descriptor from `lowest` up (in the child, before exec). */
static void close_from(int lowest)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)lowest, ~0U, 0) == 0)
        return;
#endif
    for (int fd = lowest; fd < 4096; fd++)
        close(fd);
}

/* In the forked child: only async-signal-safe calls, then exec. */
static void run_child(const char *const argv[], int out_write, int err_write, pid_t parent)
{
    struct sigaction by_default = {.sa_handler = SIG_DFL};
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    sigaction(SIGPIPE, &by_default, NULL);
    sigaction(SIGINT, &by_default, NULL);
    sigaction(SIGTERM, &by_default, NULL);
    /* Dies with the test process, even when a Criterion timeout kills it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(CHILD_EXEC_FAILED); /* the test died before prctl took effect */
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd == -1 || dup2(null_fd, STDIN_FILENO) == -1 ||
        dup2(out_write, STDOUT_FILENO) == -1 || dup2(err_write, STDERR_FILENO) == -1)
        _exit(CHILD_EXEC_FAILED);
    close_from(3);
    execvp(argv[0], (char *const *)argv);
    _exit(CHILD_EXEC_FAILED);
}

/* A record as before a start, its output buffers empty (made on the first start,
 * kept after). Returns 0, or -1 with errno ENOMEM. */
static int reset(struct lab_process *proc)
{
    char *out = proc->out ? proc->out : malloc(LAB_PROCESS_OUTPUT_MAX + 1);
    char *err = proc->err ? proc->err : malloc(LAB_PROCESS_OUTPUT_MAX + 1);
    memset(proc, 0, sizeof *proc);
    proc->pid = -1;
    proc->stdout_fd = -1;
    proc->stderr_fd = -1;
    if (out == NULL || err == NULL) {
        free(out);
        free(err);
        errno = ENOMEM;
        return -1;
    }
    proc->out = out;
    proc->err = err;
    proc->out[0] = proc->err[0] = '\0';
    return 0;
}

int lab_process_start(struct lab_process *proc, const char *const argv[])
{
    const char *room[VALGRIND_ARGS + 64];
    int out_pipe[2], err_pipe[2];

    if (reset(proc) == -1)
        return -1;
    describe_command(proc, argv);
    const char *const *command = wrapped_argv(proc, argv, room, sizeof room / sizeof room[0]);
    if (pipe2(out_pipe, O_CLOEXEC) == -1)
        return -1;
    if (pipe2(err_pipe, O_CLOEXEC) == -1) {
        int err = errno;
        close(out_pipe[0]);
        close(out_pipe[1]);
        errno = err;
        return -1;
    }
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        run_child(command, out_pipe[1], err_pipe[1], parent);
    int err = errno;
    close(out_pipe[1]);
    close(err_pipe[1]);
    proc->stdout_fd = out_pipe[0];
    proc->stderr_fd = err_pipe[0];
    if (pid == -1) {
        lab_process_finish(proc);
        errno = err;
        return -1;
    }
    proc->pid = pid;
    return 0;
}

/* ---- reading ---- */

/* Reads what is available on one pipe into its buffer; notes EOF. */
static void drain_one(int *fd, char *buffer, size_t *len, bool *closed)
{
    char chunk[4096];
    ssize_t got = read(*fd, chunk, sizeof chunk);
    if (got == -1 && (errno == EINTR || errno == EAGAIN))
        return;
    if (got <= 0) {
        close(*fd);
        *fd = -1;
        *closed = true;
        return;
    }
    size_t room = LAB_PROCESS_OUTPUT_MAX - *len;
    size_t kept = (size_t)got < room ? (size_t)got : room;
    memcpy(buffer + *len, chunk, kept);
    *len += kept;
    buffer[*len] = '\0';
}

/*
 * Waits at most until `deadline` (lab_now_ms) for output on either pipe and
 * reads it. Returns false when the deadline passed or both pipes are closed.
 */
static bool pump_until(struct lab_process *proc, long long deadline)
{
    struct pollfd fds[2] = {{.fd = proc->stdout_fd, .events = POLLIN},
                            {.fd = proc->stderr_fd, .events = POLLIN}};
    if (proc->stdout_fd == -1 && proc->stderr_fd == -1)
        return false;
    long long left = deadline - lab_now_ms();
    if (left <= 0)
        return false;
    int ready = poll(fds, 2, (int)left);
    if (ready == -1 && errno == EINTR)
        return true;
    if (ready <= 0)
        return false;
    if (fds[0].revents && proc->stdout_fd != -1)
        drain_one(&proc->stdout_fd, proc->out, &proc->out_len, &proc->stdout_closed);
    if (fds[1].revents && proc->stderr_fd != -1)
        drain_one(&proc->stderr_fd, proc->err, &proc->err_len, &proc->stderr_closed);
    return true;
}

/* Moves the next complete line (or, at EOF, the rest) into proc->line. */
static const char *take_line(struct lab_process *proc, bool partial_ok)
{
    char *start = proc->out + proc->out_consumed;
    char *newline = memchr(start, '\n', proc->out_len - proc->out_consumed);
    if (newline == NULL && !partial_ok)
        return NULL;
    size_t len = newline ? (size_t)(newline - start)
                         : proc->out_len - proc->out_consumed;
    size_t kept = len < sizeof proc->line - 1 ? len : sizeof proc->line - 1;
    memcpy(proc->line, start, kept);
    proc->line[kept] = '\0';
    proc->out_consumed += len + (newline ? 1 : 0);
    return proc->line;
}

const char *lab_process_read_line(struct lab_process *proc, int timeout_ms)
{
    long long deadline = lab_now_ms() + timeout_ms;
    for (;;) {
        const char *line = take_line(proc, false);
        if (line)
            return line;
        if (proc->stdout_closed || proc->stdout_fd == -1)
            return NULL;
        if (!pump_until(proc, deadline))
            return take_line(proc, false);
    }
}

int lab_process_read_all(struct lab_process *proc, int timeout_ms)
{
    long long deadline = lab_now_ms() + timeout_ms;
    while (proc->stdout_fd != -1 || proc->stderr_fd != -1) {
        if (!pump_until(proc, deadline) && (proc->stdout_fd != -1 || proc->stderr_fd != -1)) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
    return 0;
}

/* ---- signals and waiting ---- */

int lab_process_signal(struct lab_process *proc, int signal)
{
    if (proc->pid == -1 || proc->reaped) {
        errno = ESRCH;
        return -1;
    }
    return kill(proc->pid, signal);
}

/* Reaps the program if it has ended. Returns true once it is reaped. */
static bool try_reap(struct lab_process *proc)
{
    if (proc->reaped)
        return true;
    if (proc->pid == -1)
        return false;
    int status;
    pid_t done = waitpid(proc->pid, &status, WNOHANG);
    if (done == proc->pid || (done == -1 && errno == ECHILD)) {
        proc->wait_status = done == proc->pid ? status : 0;
        proc->reaped = true;
        return true;
    }
    return false;
}

static void kill_and_reap(struct lab_process *proc)
{
    if (proc->pid == -1 || proc->reaped)
        return;
    if (!try_reap(proc)) {
        kill(proc->pid, SIGKILL);
        proc->killed_by_us = true;
        int status = 0;
        while (waitpid(proc->pid, &status, 0) == -1 && errno == EINTR)
            continue;
        proc->wait_status = status;
        proc->reaped = true;
    }
}

/* The pause between two looks at the child, when its pipes are already closed. */
#define REAP_POLL_MS 5

int lab_process_wait(struct lab_process *proc, int timeout_ms)
{
    long long deadline = lab_now_ms() + timeout_ms;
    while (!try_reap(proc)) {
        long long left = deadline - lab_now_ms();
        if (left <= 0) {
            kill_and_reap(proc);
            errno = ETIMEDOUT;
            return -1;
        }
        /* Read output while waiting (a program blocked on a full pipe never
         * exits); once both pipes are closed, look again every few ms. */
        long long step = left < REAP_POLL_MS ? left : REAP_POLL_MS;
        if (proc->stdout_fd != -1 || proc->stderr_fd != -1)
            pump_until(proc, lab_now_ms() + step);
        else
            poll(NULL, 0, (int)step);
    }
    return 0;
}

bool lab_process_has_ended(struct lab_process *proc)
{
    return try_reap(proc);
}

bool lab_process_exited_with(const struct lab_process *proc, int code)
{
    return proc->reaped && !proc->killed_by_us && WIFEXITED(proc->wait_status) &&
           WEXITSTATUS(proc->wait_status) == code;
}

void lab_process_finish(struct lab_process *proc)
{
    kill_and_reap(proc);
    long long deadline = lab_now_ms() + FINISH_DRAIN_MS;
    while (pump_until(proc, deadline))
        continue;
    if (proc->stdout_fd != -1)
        close(proc->stdout_fd);
    if (proc->stderr_fd != -1)
        close(proc->stderr_fd);
    proc->stdout_fd = proc->stderr_fd = -1;
}

/* ---- text for messages ---- */

const char *lab_process_command_text(const struct lab_process *proc)
{
    return proc->command;
}

const char *lab_process_status_text(const struct lab_process *proc)
{
    if (!proc->reaped)
        return "still running";
    if (proc->killed_by_us)
        return "still running when the deadline passed (the test killed it)";
    int status = proc->wait_status;
    if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_EXEC_FAILED)
        return lab_fmt("exit status %d (could the program not be started? is it built?)",
                       CHILD_EXEC_FAILED);
    if (WIFEXITED(status))
        return lab_fmt("exit status %d", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *name = sigabbrev_np(sig);
        return lab_fmt("killed by signal SIG%s (%s)", name ? name : "?", strsignal(sig));
    }
    return lab_fmt("wait status %#x", status);
}

const char *lab_process_stdout_text(const struct lab_process *proc)
{
    return proc->out_len ? lab_bytes_text(proc->out, proc->out_len, 200) : "nothing";
}

const char *lab_process_stderr_text(const struct lab_process *proc)
{
    return proc->err_len ? lab_bytes_text(proc->err, proc->err_len, 200) : "nothing";
}

/* ---- Valgrind ---- */

/* Strips Valgrind's "==PID== " prefix. */
static const char *log_text(const char *line)
{
    if (line[0] != '=' || line[1] != '=')
        return line;
    const char *end = strstr(line + 2, "== ");
    return end ? end + 3 : line;
}

const char *lab_process_memcheck_problem(const struct lab_process *proc)
{
    char line[1024];
    long errors = 0;

    if (proc->valgrind_log[0] == '\0')
        return NULL;
    FILE *log = fopen(proc->valgrind_log, "r");
    if (log == NULL)
        return lab_fmt("Valgrind wrote no log (%s): %s", proc->valgrind_log, strerror(errno));
    while (fgets(line, sizeof line, log)) {
        long count;
        if (sscanf(log_text(line), "ERROR SUMMARY: %ld errors", &count) == 1)
            errors = count;
    }
    fclose(log);
    if (errors == 0)
        return NULL;
    return lab_fmt("%ld memory error(s) or leak(s) [valgrind log: %s]", errors,
                   proc->valgrind_log);
}

int lab_process_fd_count(const struct lab_process *proc)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)proc->pid);
    DIR *dir = proc->pid > 0 ? opendir(path) : NULL;
    if (!dir)
        return -1;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL)
        count += entry->d_name[0] >= '0' && entry->d_name[0] <= '9';
    closedir(dir);
    return count;
}

void lab_expect_process_clean(const struct lab_process *proc, const char *section)
{
    const char *problem = lab_process_memcheck_problem(proc);
    lab_expect(problem == NULL,
               lab_fmt("Valgrind checked the program (%s) while this test ran.",
                       lab_process_command_text(proc)),
               "no memory error and no leak",
               problem ? problem : "", section);
}

/* ---- program tests ---- */

#define DRAIN_AFTER_EXIT_MS 500

void lab_program_start(struct lab_process *proc, const char *lab, const char *program,
                       const char *const args[])
{
    const char *argv[LAB_PROGRAM_MAX_ARGS + 2] = {lab_program_path(lab, program)};
    size_t count = 1;
    for (size_t i = 0; args[i] != NULL; i++) {
        lab_require(count <= LAB_PROGRAM_MAX_ARGS, lab_fmt("starting %s with at most %d arguments",
                                                           program, LAB_PROGRAM_MAX_ARGS));
        argv[count++] = args[i];
    }
    argv[count] = NULL;
    int failed = lab_process_start(proc, argv);
    int err = errno;
    lab_expect(failed == 0,
               lab_fmt("The test could not start %s (make %s builds it).", argv[0], lab), "started",
               lab_errno_text(err), "5.1");
}

long long lab_program_run(struct lab_process *proc, const char *lab, const char *program,
                          const char *const args[], int timeout_ms)
{
    long long start = lab_now_ms();
    lab_program_start(proc, lab, program, args);
    lab_process_read_all(proc, timeout_ms);
    lab_process_wait(proc, timeout_ms);
    long long elapsed = lab_now_ms() - start;
    lab_process_finish(proc);
    return elapsed;
}

const char *lab_program_state(struct lab_process *proc)
{
    lab_process_has_ended(proc);
    return lab_fmt("%s; stdout so far: %s; stderr: %s", lab_process_status_text(proc),
                   lab_process_stdout_text(proc), lab_process_stderr_text(proc));
}

const char *lab_expect_line(struct lab_process *proc, const char *what, const char *expected,
                            const char *section)
{
    int deadline = lab_deadline_ms(LAB_WAIT_MS);
    const char *line = lab_process_read_line(proc, deadline);
    if (line == NULL) {
        if (proc->stdout_closed) /* it is probably exiting: learn how */
            lab_process_wait(proc, lab_deadline_ms(DRAIN_AFTER_EXIT_MS));
        const char *why = proc->stdout_closed
                              ? "no such line: the program closed its stdout"
                              : lab_fmt("no such line within %d ms (is stdout flushed?)", deadline);
        lab_expect(false, what, expected, lab_fmt("%s (%s)", why, lab_program_state(proc)),
                   section);
    }
    return line;
}

uint16_t lab_expect_listening(struct lab_process *proc, const char *host, uint16_t port,
                              const char *section)
{
    const char *expected = port
                               ? lab_fmt("Listening on %s:%u", host, (unsigned)port)
                               : lab_fmt("Listening on %s:PORT (the port the system picked)", host);
    const char *what = lab_fmt("%s should print where it listens, with the real port "
                               "(local_port), and flush stdout.",
                               lab_process_command_text(proc));
    const char *line = lab_expect_line(proc, what, expected, section);
    char format[64];
    unsigned printed = 0;
    int consumed = 0;
    snprintf(format, sizeof format, "Listening on %s:%%5u%%n", host);
    bool well_formed = sscanf(line, format, &printed, &consumed) == 1 && line[consumed] == '\0' &&
                       printed > 0 && printed <= UINT16_MAX;
    if (port != 0)
        well_formed = well_formed && printed == port;
    lab_expect(well_formed, what, expected, lab_bytes_text(line, strlen(line), 80), section);
    return (uint16_t)printed;
}

int lab_connect_to_program(struct lab_process *proc, uint16_t port, const char *section)
{
    int fd = lab_connect_local(port, lab_deadline_ms(LAB_WAIT_MS));
    int err = errno;
    lab_expect(fd != -1,
               lab_fmt("The port in the \"Listening on\" line (%u) should accept a "
                       "connection (print local_port's answer: a host-order number).",
                       (unsigned)port),
               "connected", lab_fmt("%s (%s)", lab_errno_text(err), lab_program_state(proc)),
               section);
    return fd;
}

void lab_expect_exit(struct lab_process *proc, int code, int timeout_ms, const char *what,
                     const char *section)
{
    int failed = lab_process_wait(proc, timeout_ms);
    lab_process_read_all(proc, lab_deadline_ms(DRAIN_AFTER_EXIT_MS));
    lab_expect(failed == 0 && lab_process_exited_with(proc, code), what,
               timeout_ms > 0 ? lab_fmt("exit status %d within %d ms", code, timeout_ms)
                              : lab_fmt("exit status %d", code),
               lab_program_state(proc), section);
}

void lab_expect_exit_status(struct lab_process *proc, int code, const char *situation,
                            const char *section)
{
    lab_expect(
        lab_process_exited_with(proc, code),
        lab_fmt("%s should exit with status %d when %s.", lab_process_command_text(proc), code,
                situation),
        lab_fmt("exit status %d", code),
        lab_fmt("%s (stderr: %s)", lab_process_status_text(proc), lab_process_stderr_text(proc)),
        section);
}

void lab_program_finish(struct lab_process *proc)
{
    bool ended_by_itself = lab_process_has_ended(proc) && !proc->killed_by_us;
    lab_process_finish(proc);
    if (ended_by_itself)
        lab_expect_process_clean(proc, "5.1");
}

/* "SIGTERM", or "a signal" for a number without a name. */
static const char *signal_text(int signal_number)
{
    const char *name = sigabbrev_np(signal_number);
    return name ? lab_fmt("SIG%s", name) : "a signal";
}

bool lab_program_wait_asleep(struct lab_process *proc, int timeout_ms)
{
    long long deadline = lab_now_ms() + timeout_ms;
    for (;;) {
        if (proc->pid <= 0 || proc->reaped)
            return false;
        if (lab_sched_state(proc->pid) == 'S')
            return true;
        if (lab_now_ms() >= deadline)
            return false;
        poll(NULL, 0, 1); /* no event says "asleep": look again in a millisecond */
    }
}

void lab_expect_stop_on(struct lab_process *proc, int signal_number, const struct lab_stop *stop,
                        const char *section)
{
    const char *name = signal_text(signal_number);
    int deadline = lab_deadline_ms(LAB_STOP_MS);
    if (stop->when_asleep)
        lab_program_wait_asleep(proc, lab_deadline_ms(LAB_STOP_MS));
    lab_process_signal(proc, signal_number);
    if (stop->killed_hint != NULL) {
        int failed = lab_process_wait(proc, deadline);
        bool killed_by_it = failed == 0 && WIFSIGNALED(proc->wait_status) &&
                            WTERMSIG(proc->wait_status) == signal_number && !proc->killed_by_us;
        lab_expect(!killed_by_it,
                   lab_fmt("%s was killed by the %s the test sent after \"Listening on\": %s",
                           lab_process_command_text(proc), name, stop->killed_hint),
                   lab_fmt("exit status 0 within %d ms", deadline), lab_program_state(proc),
                   section);
    }
    lab_expect_exit(proc, 0, deadline,
                    lab_fmt("%s should stop within a second of %s while %s, and exit 0 %s.",
                            lab_process_command_text(proc), name, stop->while_doing, stop->way_out),
                    section);
}

void lab_expect_usage_error(struct lab_process *proc, int timeout_ms, const char *why,
                            const char *usage, const char *section)
{
    const char *command = lab_process_command_text(proc);
    lab_expect_exit(
        proc, 2, timeout_ms,
        lab_fmt("%s (%s) should be refused: a usage line on stderr, exit status 2.", command, why),
        section);
    lab_expect(proc->out_len == 0,
               lab_fmt("%s (%s) should print nothing on stdout (the usage line goes to "
                       "stderr).",
                       command, why),
               "nothing on stdout", lab_process_stdout_text(proc), section);
    lab_expect(proc->err_len > 0,
               lab_fmt("%s (%s) should print a usage line on stderr.", command, why), usage,
               "nothing on stderr", section);
}

void lab_expect_stdout(const struct lab_process *proc, const void *expected, size_t len,
                       const char *situation, const char *section)
{
    size_t comparable = len < LAB_PROCESS_OUTPUT_MAX ? len : LAB_PROCESS_OUTPUT_MAX;
    lab_expect(proc->out_len == comparable && memcmp(proc->out, expected, comparable) == 0,
               lab_fmt("%s should print exactly the Received line when %s.",
                       lab_process_command_text(proc), situation),
               lab_bytes_text(expected, len, 100), lab_process_stdout_text(proc), section);
}

void lab_expect_stdout_empty(const struct lab_process *proc, const char *situation,
                             const char *section)
{
    lab_expect(proc->out_len == 0,
               lab_fmt("%s should print nothing on stdout when %s.", lab_process_command_text(proc),
                       situation),
               "nothing on stdout", lab_process_stdout_text(proc), section);
}

void lab_expect_stderr_says_something(const struct lab_process *proc, const char *situation,
                                      const char *section)
{
    lab_expect(proc->err_len > 0,
               lab_fmt("%s should explain on stderr what went wrong when %s.",
                       lab_process_command_text(proc), situation),
               "a message on stderr", "nothing on stderr", section);
}

void lab_expect_stderr_names(const struct lab_process *proc, int err, const char *situation,
                             const char *section)
{
    const char *cause = strerror(err);
    lab_expect(strstr(proc->err, cause) != NULL,
               lab_fmt("%s should name the cause on stderr (strerror's text) when %s.",
                       lab_process_command_text(proc), situation),
               lab_fmt("a message containing \"%s\"", cause),
               proc->err_len ? lab_process_stderr_text(proc) : "nothing on stderr", section);
}

void lab_expect_port_in_use_failure(struct lab_process *proc, const char *lab, const char *program,
                                    int type, const char *section)
{
    bool stream = type == SOCK_STREAM;
    int holder = lab_bound_socket(type, "127.0.0.1", 0, stream ? 1 : -1, 0);
    lab_require(holder != -1, "a socket of the test's own holding a port on 127.0.0.1");
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)lab_local_port(holder));
    lab_program_start(proc, lab, program, (const char *[]){"127.0.0.1", port, NULL});
    lab_expect_exit(proc, 1, lab_deadline_ms(LAB_WAIT_MS),
                    lab_fmt("Another %s socket holds port %s, so %s cannot %s it: it should say "
                            "why on stderr and exit 1.",
                            stream ? "TCP" : "UDP", port, program, stream ? "listen on" : "bind"),
                    section);
    close(holder);
    lab_expect_stderr_names(
        proc, EADDRINUSE, lab_fmt("port %s is taken (as strerror(errno) words it)", port), section);
}

void lab_expect_default_listening(struct lab_process *proc, const char *lab, const char *program,
                                  int type, uint16_t port, const char *section)
{
    const char *which = type == SOCK_DGRAM ? "UDP port" : "port";
    if (!lab_port_free(type, port))
        lab_skip("%s %u (the default) is in use on this machine, so the defaults cannot be "
                 "checked now",
                 which, (unsigned)port);
    lab_program_start(proc, lab, program, (const char *[]){NULL});
    const char *line = lab_process_read_line(proc, lab_deadline_ms(LAB_WAIT_MS));
    if (line == NULL && lab_process_wait(proc, lab_deadline_ms(LAB_WAIT_MS)) == 0 &&
        strstr(proc->err, strerror(EADDRINUSE)) != NULL) {
        lab_process_finish(proc);
        lab_skip("%s %u (the default) was taken by another program while the test ran, so "
                 "the defaults cannot be checked now",
                 which, (unsigned)port);
    }
    const char *expected = lab_fmt("Listening on 127.0.0.1:%u", (unsigned)port);
    lab_expect(line != NULL && strcmp(line, expected) == 0,
               lab_fmt("%s with no arguments should listen on the tutorial's 127.0.0.1 port %u.",
                       program, (unsigned)port),
               expected, line ? lab_bytes_text(line, strlen(line), 80) : lab_program_state(proc),
               section);
}

const char *lab_received_line(const void *bytes, size_t len, size_t *line_len)
{
    static const char prefix[] = "Received: ";
    static char *line; /* made once, on the heap: see struct lab_process's buffers */
    size_t prefix_len = sizeof prefix - 1;
    size_t most = LAB_RECEIVED_LINE_MAX - prefix_len - 1;
    if (line == NULL)
        line = malloc(LAB_RECEIVED_LINE_MAX);
    lab_require(line != NULL, "memory for a Received line");
    lab_require(len <= most, lab_fmt("a Received line for %zu bytes (at most %zu)", len, most));
    memcpy(line, prefix, prefix_len);
    memcpy(line + prefix_len, bytes, len);
    line[prefix_len + len] = '\n';
    *line_len = prefix_len + len + 1;
    return line;
}
