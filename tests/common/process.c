/*
 * process.c - running a lab's program from a test: see process.h.
 */
#include "labtest.h"

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

#define VALGRIND_SLOWDOWN 10
#define VALGRIND_WAIT_STRETCH 4 /* lab_wait_ms */
#define FINISH_DRAIN_MS 200
#define CHILD_EXEC_FAILED 127

long long lab_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static bool memcheck_run(void)
{
    const char *dir = getenv("LAB_VALGRIND_LOG_DIR");
    return dir != NULL && *dir != '\0';
}

int lab_deadline_ms(int ms)
{
    return memcheck_run() ? ms * VALGRIND_SLOWDOWN : ms;
}

int lab_wait_ms(int ms)
{
    return memcheck_run() ? ms * VALGRIND_WAIT_STRETCH : ms;
}

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
        bool plain = argv[i][0] != '\0' && strpbrk(argv[i], " \"'\\") == NULL;
        used += (size_t)snprintf(proc->command + used, sizeof proc->command - used,
                                 plain ? " %s" : " '%s'", argv[i]);
    }
}

#define VALGRIND_ARGS 9

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
    if (!memcheck_run() || !programs_under_valgrind)
        return argv;
    const char *name = strrchr(argv[0], '/');
    snprintf(proc->valgrind_log, sizeof proc->valgrind_log, "%s/program.%s.%ld.%lld.log",
             getenv("LAB_VALGRIND_LOG_DIR"), name ? name + 1 : argv[0], (long)getpid(),
             lab_now_ms());
    snprintf(log_option, sizeof log_option, "--log-file=%s", proc->valgrind_log);
    const char *options[VALGRIND_ARGS] = {
        "valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect",
        "--errors-for-leak-kinds=definite,indirect", "--error-limit=no",
        "--child-silent-after-fork=yes", "--read-inline-info=no", "--vgdb=no", log_option,
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

static void reset(struct lab_process *proc)
{
    memset(proc, 0, sizeof *proc);
    proc->pid = -1;
    proc->stdout_fd = -1;
    proc->stderr_fd = -1;
}

int lab_process_start(struct lab_process *proc, const char *const argv[])
{
    const char *room[VALGRIND_ARGS + 64];
    int out_pipe[2], err_pipe[2];

    reset(proc);
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

/* ---- sockets ---- */

int lab_connect_local(uint16_t port, int timeout_ms)
{
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons(port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd == -1)
        return -1;
    int err = 0;
    if (connect(fd, (struct sockaddr *)&server, sizeof server) == -1) {
        err = errno;
        if (err == EINPROGRESS) {
            struct pollfd wait = {.fd = fd, .events = POLLOUT};
            int ready = poll(&wait, 1, timeout_ms);
            socklen_t size = sizeof err;
            if (ready == 1)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &size);
            else
                err = ready == 0 ? ETIMEDOUT : errno;
        }
    }
    if (err == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1)
        err = errno;
    if (err != 0) {
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}
