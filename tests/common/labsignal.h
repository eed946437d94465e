/*
 * labsignal.h - real signals for the tests of the calls the contract lets a
 * signal interrupt (tcp_accept, send_all, recv_all, hub_step, udp_echo_one).
 *
 *   struct lab_catcher catcher;
 *   lab_catcher_install(&catcher, SIGUSR1)   a handler WITHOUT SA_RESTART: a
 *                                            blocking call it interrupts fails
 *                                            with EINTR instead of restarting
 *   struct lab_interrupter it = {.signo = SIGUSR1, .count = 1, .wait_ms = 3000};
 *   lab_interrupter_start(&it)               a thread that signals the student
 *                                            call once it is asleep
 *   ... the student call, in this thread ...
 *   lab_interrupter_stop(&it)                how many signals it delivered
 *   lab_catcher_count(&catcher)              how many the handler ran for
 *   lab_catcher_remove(&catcher)             the previous handler and mask back
 *
 * The handler runs wherever the signalled call runs: in the student session
 * (labcall.h), not in the test's process. So it reports in memory shared with
 * the sessions (the count) and on a pipe whose write end every student call
 * of the test is given (lab_catcher_wait). One catcher at a time per test.
 */
#ifndef LABSIGNAL_H
#define LABSIGNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

struct lab_catcher {
    int signo;
    int pipe_fds[2];           /* the handler writes one byte per signal to [1] */
    struct sigaction previous; /* put back by lab_catcher_remove */
    sigset_t previous_mask;
};

/* Installs the catcher's handler for `signo` (sa_flags 0: no SA_RESTART) and
 * unblocks `signo` in the calling thread. Fails the test (setup) when the
 * pipe or the handler cannot be made. */
void lab_catcher_install(struct lab_catcher *catcher, int signo);

/* Waits at most timeout_ms for the handler to report one more signal. True
 * when it did (that report is then used up). */
bool lab_catcher_wait(struct lab_catcher *catcher, int timeout_ms);

/* How many times the handler has run since lab_catcher_install. */
unsigned long lab_catcher_count(const struct lab_catcher *catcher);

/* Restores the previous handler and signal mask and closes the pipe. */
void lab_catcher_remove(struct lab_catcher *catcher);

/*
 * A thread that interrupts the student call in progress: each signal is sent
 * only once that call is asleep in a system call (lab_signal_call), so each
 * one interrupts a real wait. The caller fills the first fields, then calls
 * lab_interrupter_start.
 */
struct lab_interrupter {
    int signo;
    unsigned long count;   /* signals to send; 0: on and on, until lab_interrupter_stop */
    int wait_ms;           /* with count: the longest all of them wait, in all, for the
                              call to be asleep (then the thread gives up); with 0: each
                              try's wait (a try that finds no call asleep is tried again) */
    int period_ms;         /* pause after each signal (the point, not a synchronisation:
                              about one signal a period); 0: none */
    struct lab_catcher *confirm; /* not NULL: after each signal, wait (LAB_WAIT_MS at
                                    most) for that catcher's handler to report it */
    void (*after_each)(struct lab_interrupter *it, unsigned long sent); /* may be NULL */
    void (*at_end)(struct lab_interrupter *it); /* may be NULL: runs last, in the thread */
    void *context;         /* for the two hooks */
    /* The thread's own: */
    pthread_t thread;
    atomic_bool stop;
    atomic_ulong sent;
};

/* Starts the thread. Fails the test (setup) when it cannot. */
void lab_interrupter_start(struct lab_interrupter *it);

/* True once lab_interrupter_stop was called (for the hooks). */
bool lab_interrupter_stopping(struct lab_interrupter *it);

/* Asks the thread to stop, joins it, and returns how many signals it
 * delivered. */
unsigned long lab_interrupter_stop(struct lab_interrupter *it);

#endif
