/*
 * process.h - running a lab's program from a test: start it, read what it
 * prints, signal it, wait for it, and check it under Valgrind; and what the
 * program tests of labs 6 to 9 expect of every server and client (the end of
 * this file: the "Listening on" line, a stop within a second, a usage error).
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
 * Sockets (lab_connect_local...) are in labnet.h; time (lab_deadline_ms stretches a
 * deadline under Valgrind) in labtest.h.
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

/* The most arguments lab_program_start passes (after the program's path). */
#define LAB_PROGRAM_MAX_ARGS 6

/* The contract's "within a second": how long a server may take to stop after
 * SIGINT or SIGTERM (natively; lab_deadline_ms stretches it under Valgrind). */
#define LAB_STOP_MS 1000

/* The .timeout of a test that starts a server: a safety net only, since every
 * wait inside has a deadline of its own (ten times longer under Valgrind). */
#define LAB_PROGRAM_TEST_TIMEOUT 90

struct lab_process {
    pid_t pid;                /* -1 before start and once reaped */
    int stdout_fd;            /* read ends of the pipes; -1 once closed */
    int stderr_fd;
    bool stdout_closed;       /* the program closed its stdout (EOF seen) */
    bool stderr_closed;
    bool reaped;              /* the program has ended and been waited for */
    bool killed_by_us;        /* lab_process_wait or _finish had to SIGKILL it */
    int wait_status;          /* waitpid's status, once reaped */
    /* stdout and stderr so far, NUL-terminated, LAB_PROCESS_OUTPUT_MAX + 1 bytes
     * each. On the heap, made by the first lab_process_start and reused by the
     * next: every student call copies the test's static data into its session
     * (labcall.h), and 128 KiB of buffers there would cost every call. */
    char *out;
    size_t out_len;
    size_t out_consumed;      /* bytes of out already returned as lines */
    char *err;
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
 * Under make memcheck, runs the programs this test starts under Valgrind (memory
 * errors and leaks at exit fail the test). Each start is a whole Valgrind start
 * (a third of a second of CPU, most of the lab's memcheck), so only the tests
 * that reach different code of a program ask for it, per program:
 *   - a normal run: it parses its arguments, sets up, serves or asks, and ends
 *     well (for a server of many clients, echo_server -k or lab 8's: several
 *     clients served, then a stop);
 *   - a run whose exchange ends in an error (a reset, a short echo, no reply),
 *     the path where what was set up must be undone.
 * Setup failures (usage errors, a port in use, a refused connection) are not
 * among them: they end in an error branch of code the normal run has already
 * run under Valgrind, before anything is allocated or served, and their
 * behaviour is judged natively as in make check.
 * Descriptors open at exit are not judged (a server may end with _exit(0) from
 * its signal handler and leave the closing to the kernel): a -k server is checked
 * for descriptors that grow from client to client instead.
 */
void lab_programs_under_valgrind(void);

/* The number of descriptors the running program holds (from /proc/PID/fd), or -1. */
int lab_process_fd_count(const struct lab_process *proc);

/* ---- program tests: what every lab's program tests expect ----
 *
 * Each takes the handout `section` its messages cite. The messages name the
 * program as it was run (lab_process_command_text), so one function serves
 * echo_server, multi_echo_server and udp_echo_server alike.
 */

/*
 * Starts <build>/LAB/PROGRAM with `args` (NULL-terminated, at most
 * LAB_PROGRAM_MAX_ARGS, without the program itself). Fails the test when it
 * cannot be started ("make LAB builds it").
 */
void lab_program_start(struct lab_process *proc, const char *lab, const char *program,
                       const char *const args[]);

/*
 * Runs the program to its end: lab_program_start, then reads its output and
 * waits at most timeout_ms for it to exit (killing it after that), then
 * lab_process_finish. Returns the milliseconds it ran.
 */
long long lab_program_run(struct lab_process *proc, const char *lab, const char *program,
                          const char *const args[], int timeout_ms);

/* What the program did so far, for a message: "exit status 1; stdout so far:
 * ...; stderr: ..." (reaps it when it has ended; never waits). */
const char *lab_program_state(struct lab_process *proc);

/* The next line of its stdout; fails the test (what / expected) when none
 * comes within lab_deadline_ms(LAB_WAIT_MS), saying whether stdout was closed
 * or just not flushed. */
const char *lab_expect_line(struct lab_process *proc, const char *what, const char *expected,
                            const char *section);

/*
 * Reads the line "Listening on HOST:PORT" and returns PORT. With `port` not 0,
 * PORT must be that port; with 0, any port 1-65535 (the one the system picked).
 * Fails the test (the program "should print where it listens, with the real
 * port (local_port), and flush stdout") otherwise.
 */
uint16_t lab_expect_listening(struct lab_process *proc, const char *host, uint16_t port,
                              const char *section);

/* A TCP client connected to the port the program announced (127.0.0.1:port);
 * fails the test, with the program's state, when the connection is refused. */
int lab_connect_to_program(struct lab_process *proc, uint16_t port, const char *section);

/* Waits at most timeout_ms for the program to end by itself, then expects it
 * to have exited with `code` (what: the sentence of the message). */
void lab_expect_exit(struct lab_process *proc, int code, int timeout_ms, const char *what,
                     const char *section);

/* After the program ended: expects exit status `code` (never waits). */
void lab_expect_exit_status(struct lab_process *proc, int code, const char *situation,
                            const char *section);

/* Kills what is left of the program and reaps it; when it had ended by
 * itself, fails the test on what make memcheck's Valgrind found in it. */
void lab_program_finish(struct lab_process *proc);

/* Waits at most timeout_ms until the program is asleep in a system call (its
 * wait for a client, a datagram, the next bytes: what a signal interrupts).
 * True when it is. */
bool lab_program_wait_asleep(struct lab_process *proc, int timeout_ms);

/* How a server is expected to stop, for lab_expect_stop_on. */
struct lab_stop {
    const char *while_doing; /* "waiting for its first client" */
    /* True: the signal goes only once the program is asleep (in the wait
     * `while_doing` names), so the test checks that wait, whatever the timing;
     * false: at once, whatever the program is doing. */
    bool when_asleep;
    /* When not NULL, a program killed by the signal (no handler yet) gets a
     * message of its own, ending with this hint ("install it before ..."). */
    const char *killed_hint;
    const char *way_out; /* how a correct one gets out: "(a handler without ...)" */
};

/*
 * Sends `signal_number` (once the program is asleep, with stop->when_asleep)
 * and expects the program to exit 0 within the contract's second
 * (LAB_STOP_MS, stretched under Valgrind).
 */
void lab_expect_stop_on(struct lab_process *proc, int signal_number, const struct lab_stop *stop,
                        const char *section);

/*
 * After the program was run with bad arguments (`why` says what is wrong):
 * expects it to end within timeout_ms (0 for a program already waited for)
 * with exit status 2, nothing on stdout and a usage line on stderr (`usage`:
 * the line the contract shows, for the message).
 */
void lab_expect_usage_error(struct lab_process *proc, int timeout_ms, const char *why,
                            const char *usage, const char *section);

/* Expects exactly `len` bytes of `expected` on stdout (only the first
 * LAB_PROCESS_OUTPUT_MAX bytes of a longer output can be compared). */
void lab_expect_stdout(const struct lab_process *proc, const void *expected, size_t len,
                       const char *situation, const char *section);

/* Expects nothing on stdout, or something on stderr, when `situation`. */
void lab_expect_stdout_empty(const struct lab_process *proc, const char *situation,
                             const char *section);
void lab_expect_stderr_says_something(const struct lab_process *proc, const char *situation,
                                      const char *section);

/* Expects stderr to name the cause as strerror(err) words it. */
void lab_expect_stderr_names(const struct lab_process *proc, int err, const char *situation,
                             const char *section);

/*
 * Starts the program on 127.0.0.1 at a port a socket of the test's own (of
 * `type`: SOCK_STREAM listening, or SOCK_DGRAM bound) holds, and expects it to
 * exit 1 with the cause on stderr, as strerror(EADDRINUSE) words it. The
 * program has ended when this returns (finish it).
 */
void lab_expect_port_in_use_failure(struct lab_process *proc, const char *lab, const char *program,
                                    int type, const char *section);

/*
 * The contract's defaults: starts the program with no arguments and expects
 * "Listening on 127.0.0.1:PORT" (`port`: its default). Skips the test, saying
 * why, when a socket of `type` (SOCK_STREAM, SOCK_DGRAM) cannot take that port
 * now or another program took it while the test ran. The program is left
 * running for the caller.
 */
void lab_expect_default_listening(struct lab_process *proc, const char *lab, const char *program,
                                  int type, uint16_t port, const char *section);

/* The most bytes lab_received_line holds: a 64 KiB message and its frame. */
#define LAB_RECEIVED_LINE_MAX (64 * 1024 + 16)

/* "Received: " + the len bytes + "\n", what a lab's client prints for an echo,
 * in a static buffer (the next call overwrites it); *line_len receives its
 * length. */
const char *lab_received_line(const void *bytes, size_t len, size_t *line_len);

#endif
