/*
 * interpose.c - the wrappers behind interpose.h.
 *
 * The linker turns every call to send() (and the others in build.mk) into a
 * call to __wrap_send(), and gives the C library's own function the name
 * __real_send(). Each wrapper asks plan_call() what to do with this call:
 * fail it with EINTR, or let it through with a byte count that may be cut.
 *
 * Peer threads call the wrappers too, so the plan is kept in atomics; the
 * student's calls run in the test's student session (labcall.h), so the plan
 * and the record of what was done live in memory shared with it.
 */
#include "labtest.h"

#include "interpose.h"

#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define NO_FD (-1)
#define MAX_IOV 1024

struct interpose_state {
    atomic_bool armed;
    atomic_int armed_fd;
    atomic_size_t max_bytes;
    atomic_bool first_call_only;
    atomic_bool interrupt_odd_calls;
    atomic_ulong calls;
    atomic_ulong interrupted;
    atomic_ulong shortened;
    atomic_bool limit_used;
};

LAB_SHARED_STATE(struct interpose_state, plan_state)

void interpose_arm(const struct interpose_plan *plan)
{
    struct interpose_state *s = plan_state;
    atomic_store(&s->max_bytes, plan->max_bytes);
    atomic_store(&s->first_call_only, plan->first_call_only);
    atomic_store(&s->interrupt_odd_calls, plan->interrupt_odd_calls);
    atomic_store(&s->calls, 0);
    atomic_store(&s->interrupted, 0);
    atomic_store(&s->shortened, 0);
    atomic_store(&s->limit_used, false);
    atomic_store(&s->armed_fd, plan->fd);
    atomic_store(&s->armed, true);
}

struct interpose_report interpose_disarm(void)
{
    struct interpose_state *s = plan_state;
    atomic_store(&s->armed, false);
    struct interpose_report report = {atomic_load(&s->calls), atomic_load(&s->interrupted),
                                      atomic_load(&s->shortened)};
    return report;
}

const char *interpose_report_text(struct interpose_report report)
{
    return lab_fmt("%lu call(s) on the descriptor: %lu failed with EINTR by the test, "
                   "%lu cut short by the test",
                   report.calls, report.interrupted, report.shortened);
}

/*
 * Decides the fate of one call on fd that asks to move *len bytes. Returns
 * true when the call must fail with EINTR; otherwise may lower *len.
 */
static bool plan_call(int fd, size_t *len)
{
    struct interpose_state *s = plan_state;
    if (!s || fd == NO_FD || !atomic_load(&s->armed) || fd != atomic_load(&s->armed_fd))
        return false;
    unsigned long number = atomic_fetch_add(&s->calls, 1) + 1;
    if (atomic_load(&s->interrupt_odd_calls) && number % 2 == 1) {
        atomic_fetch_add(&s->interrupted, 1);
        return true;
    }
    size_t limit = atomic_load(&s->max_bytes);
    if (limit == 0 || *len == 0)
        return false;
    if (atomic_load(&s->first_call_only) && atomic_exchange(&s->limit_used, true))
        return false;
    if (*len > limit) {
        *len = limit;
        atomic_fetch_add(&s->shortened, 1);
    }
    return false;
}

static ssize_t fail_with_eintr(void)
{
    errno = EINTR;
    return -1;
}

static size_t iov_total(const struct iovec *iov, size_t count)
{
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += iov[i].iov_len;
    return total;
}

/* Copies the first `limit` bytes' worth of iov into out; returns its count. */
static size_t iov_cut(const struct iovec *iov, size_t count, size_t limit, struct iovec *out)
{
    size_t used = 0;
    for (size_t i = 0; i < count && limit > 0; i++) {
        out[used] = iov[i];
        if (out[used].iov_len > limit)
            out[used].iov_len = limit;
        limit -= out[used].iov_len;
        used++;
    }
    return used;
}

/* ---- the wrapped calls ---- */

ssize_t __real_send(int fd, const void *buf, size_t len, int flags);
ssize_t __real_recv(int fd, void *buf, size_t len, int flags);
ssize_t __real_sendto(int fd, const void *buf, size_t len, int flags,
                      const struct sockaddr *to, socklen_t to_len);
ssize_t __real_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                        socklen_t *from_len);
ssize_t __real_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __real_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t __real_write(int fd, const void *buf, size_t len);
ssize_t __real_read(int fd, void *buf, size_t len);
ssize_t __real_writev(int fd, const struct iovec *iov, int count);
ssize_t __real_readv(int fd, const struct iovec *iov, int count);

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags,
                      const struct sockaddr *to, socklen_t to_len);
ssize_t __wrap_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                        socklen_t *from_len);
ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t __wrap_write(int fd, const void *buf, size_t len);
ssize_t __wrap_read(int fd, void *buf, size_t len);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int count);
ssize_t __wrap_readv(int fd, const struct iovec *iov, int count);

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
    if (plan_call(fd, &len))
        return fail_with_eintr();
    return __real_send(fd, buf, len, flags);
}

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
    if (plan_call(fd, &len))
        return fail_with_eintr();
    return __real_recv(fd, buf, len, flags);
}

ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags,
                      const struct sockaddr *to, socklen_t to_len)
{
    if (plan_call(fd, &len))
        return fail_with_eintr();
    return __real_sendto(fd, buf, len, flags, to, to_len);
}

ssize_t __wrap_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                        socklen_t *from_len)
{
    if (plan_call(fd, &len))
        return fail_with_eintr();
    return __real_recvfrom(fd, buf, len, flags, from, from_len);
}

ssize_t __wrap_write(int fd, const void *buf, size_t len)
{
    if (plan_call(fd, &len))
        return fail_with_eintr();
    return __real_write(fd, buf, len);
}

ssize_t __wrap_read(int fd, void *buf, size_t len)
{
    if (plan_call(fd, &len))
        return fail_with_eintr();
    return __real_read(fd, buf, len);
}

ssize_t __wrap_writev(int fd, const struct iovec *iov, int count)
{
    struct iovec cut[MAX_IOV];
    size_t total = count > 0 ? iov_total(iov, (size_t)count) : 0;
    size_t len = total;
    if (plan_call(fd, &len))
        return fail_with_eintr();
    if (len == total || count > MAX_IOV)
        return __real_writev(fd, iov, count);
    return __real_writev(fd, cut, (int)iov_cut(iov, (size_t)count, len, cut));
}

ssize_t __wrap_readv(int fd, const struct iovec *iov, int count)
{
    struct iovec cut[MAX_IOV];
    size_t total = count > 0 ? iov_total(iov, (size_t)count) : 0;
    size_t len = total;
    if (plan_call(fd, &len))
        return fail_with_eintr();
    if (len == total || count > MAX_IOV)
        return __real_readv(fd, iov, count);
    return __real_readv(fd, cut, (int)iov_cut(iov, (size_t)count, len, cut));
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    struct iovec cut[MAX_IOV];
    size_t total = iov_total(msg->msg_iov, msg->msg_iovlen);
    size_t len = total;
    if (plan_call(fd, &len))
        return fail_with_eintr();
    if (len == total || msg->msg_iovlen > MAX_IOV)
        return __real_sendmsg(fd, msg, flags);
    struct msghdr shorter = *msg;
    shorter.msg_iov = cut;
    shorter.msg_iovlen = iov_cut(msg->msg_iov, msg->msg_iovlen, len, cut);
    return __real_sendmsg(fd, &shorter, flags);
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
    struct iovec cut[MAX_IOV];
    size_t total = iov_total(msg->msg_iov, msg->msg_iovlen);
    size_t len = total;
    if (plan_call(fd, &len))
        return fail_with_eintr();
    if (len == total || msg->msg_iovlen > MAX_IOV)
        return __real_recvmsg(fd, msg, flags);
    struct msghdr shorter = *msg;
    shorter.msg_iov = cut;
    shorter.msg_iovlen = iov_cut(msg->msg_iov, msg->msg_iovlen, len, cut);
    ssize_t received = __real_recvmsg(fd, &shorter, flags);
    msg->msg_namelen = shorter.msg_namelen;
    msg->msg_controllen = shorter.msg_controllen;
    msg->msg_flags = shorter.msg_flags;
    return received;
}
