/*
 * process.h - running a lab's program from a test: start it, read what it
 * prints, signal it, wait for it, and check it under Valgrind. Shared by the
 * tests of lab 6 (echo_server) and lab 7 (echo_client).
 *
 * Nothing here can hang a test or leave a process behind: every read and wait
 * takes a deadline; a program still running when the test is done with it is
 * killed (SIGKILL) and reaped; and a program whose test process dies (a
 * Criterion timeout, a crash) is killed by the kernel (PR_SET_PDEATHSIG; so
 * start programs from the test's own thread, not from a thread that ends).
 *
 * The API:
 *
 *   struct lab_process proc;
 *   const char *argv[] = {lab_program_path("lab6", "echo_server"), "127.0.0.1", "0", NULL};
 *   lab_process_start(&proc, argv)        start it; 0, or -1 with errno
 *   lab_process_read_line(&proc, ms)      the next line of its stdout, or NULL
 *                                         (EOF: proc.stdout_closed; else timed out)
 *   lab_process_read_all(&proc, ms)       everything until it closes stdout and stderr
 *   lab_process_signal(&proc, SIGTERM)    send a signal (0, or -1 with errno)
 *   lab_process_wait(&proc, ms)           wait for it to end; 0 once it has, -1 with
 *                                         errno ETIMEDOUT after killing it (-9) and
 *                                         reaping it
 *   lab_process_has_ended(&proc)          true once it has ended (reaps it; never waits)
 *   lab_process_exited_with(&proc, code)  true when it ended by exit(code)
 *   lab_process_finish(&proc)             kill (if still running), reap, close the
 *                                         pipes: call it on every path, idempotent
 *   lab_process_memcheck_problem(&proc)   under make memcheck, what Valgrind found
 *                                         in the program (NULL when clean)
 *   lab_expect_process_clean(&proc, sec)  lab_expect on the above
 *
 * Text for failure messages: lab_process_command_text, lab_process_status_text,
 * lab_process_stdout_text, lab_process_stderr_text.
 * Sockets: lab_connect_local(port, ms) connects to 127.0.0.1:port with a deadline.
 * Time: lab_deadline_ms(ms) stretches a deadline when the run is under Valgrind.
 *
 * The program's stdin is /dev/null, its stdout and stderr are pipes read by
 * these functions (both are drained by every read and wait, so a program that
 * writes a lot to one never blocks on the other), and it inherits no other
 * descriptor of the test. Its signal mask is empty and SIGPIPE, SIGINT and
 * SIGTERM have their default dispositions.
 *
 * Valgrind: when LAB_VALGRIND_LOG_DIR is set (make memcheck), the program runs
 * under `valgrind --leak-check=full --track-fds=yes` with its own log file in
 * that folder (named after the program and its pid); after it has exited,
 * lab_process_memcheck_problem reads the log: memory errors, definitely or
 * indirectly lost blocks, and descriptors other than 0, 1 and 2 still open at
 * exit are problems. (The test binary itself runs under Valgrind too; the kit
 * tells that Valgrind not to trace into the programs, so there is one Valgrind
 * per program.)
 */
#ifndef LAB_PROCESS_H
#define LAB_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How much of each output stream is kept (the rest is read and dropped). */
#define LAB_PROCESS_OUTPUT_MAX 65536

struct lab_process {
    pid_t pid;                /* -1 before start and once reaped */
    int stdout_fd;            /* read ends of the pipes; -1 once closed */
    int stderr_fd;
    bool stdout_closed;       /* the program closed its stdout (EOF seen) */
    bool stderr_closed;
    bool reaped;              /* the program has ended and been waited for */
    bool killed_by_us;        /* lab_process_wait or _finish had to SIGKILL it */
    int wait_status;          /* waitpid's status, once reaped */
    char out[LAB_PROCESS_OUTPUT_MAX + 1];   /* stdout so far, NUL-terminated */
    size_t out_len;
    size_t out_consumed;      /* bytes of out already returned as lines */
    char err[LAB_PROCESS_OUTPUT_MAX + 1];   /* stderr so far, NUL-terminated */
    size_t err_len;
    char line[1024];          /* the last line lab_process_read_line returned */
    char command[512];        /* the command, for messages ("echo_server 127.0.0.1 0") */
    char valgrind_log[512];   /* the program's Valgrind log, "" when not under Valgrind */
};

/*
 * The path of a lab's program in the build in use: "<build>/lab6/echo_server".
 * Returns a pointer into a ring of static buffers (see lab_fmt).
 */
const char *lab_program_path(const char *lab, const char *program);

/*
 * Starts argv[0] (a path) with the arguments argv[1..] (argv ends with NULL).
 * Under make memcheck the program runs under Valgrind (see above). Returns 0,
 * or -1 with errno (the program could not be started; proc is then finished).
 * An argv[0] that does not exist is not an error here: the program then exits
 * 127 at once, and lab_process_status_text says so.
 */
int lab_process_start(struct lab_process *proc, const char *const argv[]);

/*
 * The next line the program writes to stdout, without its '\n', waiting at
 * most timeout_ms. Returns proc->line, or NULL: when the program closed its
 * stdout first (proc->stdout_closed is then true) or the deadline passed.
 * A line longer than proc->line is cut.
 */
const char *lab_process_read_line(struct lab_process *proc, int timeout_ms);

/*
 * Reads stdout and stderr until the program closes both (usually: it exits),
 * waiting at most timeout_ms. Returns 0, or -1 with errno ETIMEDOUT.
 */
int lab_process_read_all(struct lab_process *proc, int timeout_ms);

/* Sends `signal` to the program. Returns 0, or -1 with errno (ESRCH once reaped). */
int lab_process_signal(struct lab_process *proc, int signal);

/*
 * Waits at most timeout_ms for the program to end, reading its output
 * meanwhile. Returns 0 once it has ended (proc->wait_status holds how), or -1
 * with errno ETIMEDOUT when it was still running: it has then been killed with
 * SIGKILL and reaped (proc->killed_by_us is true).
 */
int lab_process_wait(struct lab_process *proc, int timeout_ms);

/* True once the program has ended (it is then reaped). Never waits. */
bool lab_process_has_ended(struct lab_process *proc);

/* True when the program has ended by exiting with `code` (not by a signal). */
bool lab_process_exited_with(const struct lab_process *proc, int code);

/*
 * Ends everything: kills the program if it is still running, reaps it, reads
 * what is left in the pipes (briefly) and closes them. Safe to call twice, and
 * on a proc whose start failed.
 */
void lab_process_finish(struct lab_process *proc);

/* "echo_server 127.0.0.1 0" (argv[0] without its folder). */
const char *lab_process_command_text(const struct lab_process *proc);

/* "exit status 1", "killed by signal SIGPIPE (Broken pipe)", "still running",
 * "still running after N ms: killed" (after a wait timed out). */
const char *lab_process_status_text(const struct lab_process *proc);

/* What the program wrote so far, escaped and cut (lab_bytes_text), "" if nothing. */
const char *lab_process_stdout_text(const struct lab_process *proc);
const char *lab_process_stderr_text(const struct lab_process *proc);

/*
 * After the program has ended: NULL when it did not run under Valgrind or
 * Valgrind found nothing; otherwise a description of what it found (memory
 * errors, leaks, descriptors left open), ending with "[valgrind log: PATH]"
 * so make memcheck shows the log's excerpt.
 */
const char *lab_process_memcheck_problem(const struct lab_process *proc);

/* Fails the test (lab_expect) when lab_process_memcheck_problem finds something. */
void lab_expect_process_clean(const struct lab_process *proc, const char *section);

/*
 * A TCP socket connected to 127.0.0.1:port, waiting at most timeout_ms.
 * Returns the descriptor (blocking, as usual), or -1 with errno
 * (ECONNREFUSED, ETIMEDOUT...).
 */
int lab_connect_local(uint16_t port, int timeout_ms);

/* The deadline to use for something that takes at most `ms` natively: the
 * same, or ten times more under make memcheck. */
int lab_deadline_ms(int ms);

/* A time the test makes the code under test wait in full, on every run (a timeout
 * it must let expire, the pause of a peer that answers late): the same, or four
 * times more under make memcheck. It has to outlast Valgrind's jitter (a thread
 * that gets the CPU late), not its slowness, and every run pays it; the bounds a
 * test checks around it (how late it may end) stay lab_deadline_ms. */
int lab_wait_ms(int ms);

/*
 * Under make memcheck, runs the programs this test starts under Valgrind (memory
 * errors and leaks at exit fail the test). Each start is a whole Valgrind start
 * (most of a second), so only the tests that reach different code of a program
 * ask for it: a normal session, a session ending in an error, the failure paths.
 * Descriptors open at exit are not judged (a server may end with _exit(0) from
 * its signal handler and leave the closing to the kernel): a -k server is checked
 * for descriptors that grow from client to client instead.
 */
void lab_programs_under_valgrind(void);

/* The number of descriptors the running program holds (from /proc/PID/fd), or -1. */
int lab_process_fd_count(const struct lab_process *proc);

/* Milliseconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
long long lab_now_ms(void);

#endif
