/*
 * labsignal.c - real signals for the tests: see labsignal.h.
 */
#include "labtest.h"

#include "labnet.h"
#include "labsignal.h"

#include <fcntl.h>
#include <poll.h>
#include <time.h>

/* Counted by the handler, which runs in the student session: shared memory,
 * so the test's process sees the count. */
LAB_SHARED_STATE(atomic_ulong, signals_handled)

/* The write end of the catcher's pipe. A static of the test: it travels with
 * every student call, and the descriptor is shared with the sessions. */
static volatile sig_atomic_t report_fd = -1;

static void note_signal(int signo)
{
    (void)signo;
    int saved_errno = errno;
    atomic_fetch_add(signals_handled, 1);
    char byte = 1;
    if (report_fd != -1 && write(report_fd, &byte, 1) == -1) {
        /* a full pipe: the count above still says it */
    }
    errno = saved_errno;
}

void lab_catcher_install(struct lab_catcher *catcher, int signo)
{
    catcher->signo = signo;
    lab_require(pipe2(catcher->pipe_fds, O_NONBLOCK | O_CLOEXEC) == 0,
                "pipe() for the test's signal handler");
    report_fd = catcher->pipe_fds[1];
    lab_call_share_fd(catcher->pipe_fds[1]); /* the handler runs in the student call's session */
    atomic_store(signals_handled, 0);

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = note_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: an interrupted call fails with EINTR */
    lab_require(sigaction(signo, &action, &catcher->previous) == 0,
                "sigaction() for the test's signal handler");
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signo);
    lab_require_zero(pthread_sigmask(SIG_UNBLOCK, &only, &catcher->previous_mask),
                     "pthread_sigmask() for the test's signal");
}

bool lab_catcher_wait(struct lab_catcher *catcher, int timeout_ms)
{
    char byte;
    if (!lab_wait_fd(catcher->pipe_fds[0], POLLIN, timeout_ms))
        return false;
    return read(catcher->pipe_fds[0], &byte, 1) == 1;
}

unsigned long lab_catcher_count(const struct lab_catcher *catcher)
{
    (void)catcher;
    return atomic_load(signals_handled);
}

void lab_catcher_remove(struct lab_catcher *catcher)
{
    /* lab_signal_call returns once its signal is delivered, so none is pending. */
    sigaction(catcher->signo, &catcher->previous, NULL);
    pthread_sigmask(SIG_SETMASK, &catcher->previous_mask, NULL);
    report_fd = -1;
    close(catcher->pipe_fds[0]);
    close(catcher->pipe_fds[1]);
}

/* ---- the interrupter ---- */

/* The interrupter's period between two signals. Here the pause is the point: a
 * signal that keeps arriving while a call waits, never a way to wait for an event
 * (the interrupter waits for the session to be asleep in the call before its first). */
static void pause_ms(int ms)
{
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) == -1 && errno == EINTR)
        continue;
}

/* One signal, once the call is asleep. False when none was asleep in time. */
static bool send_one(struct lab_interrupter *it, int wait_ms)
{
    if (!lab_signal_call(it->signo, wait_ms))
        return false;
    if (it->confirm != NULL && !lab_catcher_wait(it->confirm, LAB_WAIT_MS))
        return false;
    unsigned long sent = atomic_fetch_add(&it->sent, 1) + 1;
    if (it->after_each != NULL)
        it->after_each(it, sent);
    if (it->period_ms > 0)
        pause_ms(it->period_ms);
    return true;
}

static void *interrupter_main(void *arg)
{
    struct lab_interrupter *it = arg;
    long long deadline = lab_now_ms() + it->wait_ms;
    while (!atomic_load(&it->stop)) {
        if (it->count == 0) {
            send_one(it, it->wait_ms); /* until stopped: a miss is tried again */
            continue;
        }
        if (atomic_load(&it->sent) >= it->count)
            break;
        long long left = deadline - lab_now_ms();
        if (left <= 0 || !send_one(it, (int)left))
            break;
    }
    if (it->at_end != NULL)
        it->at_end(it);
    return NULL;
}

void lab_interrupter_start(struct lab_interrupter *it)
{
    atomic_init(&it->stop, false);
    atomic_init(&it->sent, 0);
    lab_require_zero(pthread_create(&it->thread, NULL, interrupter_main, it),
                     "pthread_create() for the test's interrupter");
}

bool lab_interrupter_stopping(struct lab_interrupter *it)
{
    return atomic_load(&it->stop);
}

unsigned long lab_interrupter_stop(struct lab_interrupter *it)
{
    atomic_store(&it->stop, true);
    pthread_join(it->thread, NULL);
    return atomic_load(&it->sent);
}
