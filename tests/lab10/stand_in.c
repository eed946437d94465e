/*
 * stand_in.c - the wrappers behind stand_in.h.
 *
 * The linker turns every call to getaddrinfo() and socket() into a call to
 * __wrap_getaddrinfo() and __wrap_socket(), and gives the C library's own
 * functions the names __real_getaddrinfo() and __real_socket(). The C
 * library's internal calls (getaddrinfo opening sockets of its own) are not
 * wrapped: only calls from the objects linked into the test binary are.
 */
#include "labtest.h"

#include "stand_in.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

int __real_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res);
int __real_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol);

/* The plan: set by the test before the call under test, read by the wrappers. */
static struct {
    bool answering;
    const char *host;
    const char *answers[STAND_IN_MAX_ANSWERS];
    size_t count;
    bool ipv6_only_default;
} plan;

void stand_in_answer(const char *host, const char *const answers[], size_t count)
{
    plan.host = host;
    plan.count = count < STAND_IN_MAX_ANSWERS ? count : STAND_IN_MAX_ANSWERS;
    for (size_t i = 0; i < plan.count; i++)
        plan.answers[i] = answers[i];
    plan.answering = true;
}

void stand_in_ipv6_only_default(void)
{
    plan.ipv6_only_default = true;
}

void stand_in_off(void)
{
    plan.answering = false;
    plan.ipv6_only_default = false;
}

const char *stand_in_answers_text(const char *service)
{
    char text[256] = "";
    for (size_t i = 0; i < plan.count; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s", i ? ", then " : "",
                 plan.answers[i]);
    return lab_fmt("getaddrinfo (the test's stand-in) answers %s, port %s", text, service);
}

const char *stand_in_refusal_text(void)
{
    return lab_fmt("the test's stand-in for getaddrinfo answers only a question asked as "
                   "lab10.h says: the host as given (%s%s%s), ai_family AF_UNSPEC, ai_socktype "
                   "SOCK_STREAM, no AI_ADDRCONFIG%s",
                   plan.host ? "\"" : "", plan.host ? plan.host : "NULL", plan.host ? "\"" : "",
                   plan.host ? "" : ", and AI_PASSIVE for a NULL host");
}

static bool same_host(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* EAI_BADFLAGS unless the hints are the ones the contract asks for. */
static int check_question(const char *node, const struct addrinfo *hints)
{
    if (!same_host(node, plan.host))
        return EAI_NONAME;
    if (hints == NULL || hints->ai_family != AF_UNSPEC || hints->ai_socktype != SOCK_STREAM ||
        (hints->ai_flags & AI_ADDRCONFIG) != 0)
        return EAI_BADFLAGS;
    if (plan.host == NULL && (hints->ai_flags & AI_PASSIVE) == 0)
        return EAI_BADFLAGS;
    return 0;
}

/* The C library's own answers for each planned address, joined in order. */
static int planned_answers(const char *service, struct addrinfo **res)
{
    struct addrinfo numeric;
    memset(&numeric, 0, sizeof numeric);
    numeric.ai_family = AF_UNSPEC;
    numeric.ai_socktype = SOCK_STREAM;
    numeric.ai_flags = AI_NUMERICHOST;

    struct addrinfo *first = NULL, **tail = &first;
    for (size_t i = 0; i < plan.count; i++) {
        int answered = __real_getaddrinfo(plan.answers[i], service, &numeric, tail);
        if (answered != 0) {
            if (first != NULL)
                freeaddrinfo(first);
            return answered;
        }
        while (*tail != NULL)
            tail = &(*tail)->ai_next;
    }
    *res = first;
    return first != NULL ? 0 : EAI_NONAME;
}

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res)
{
    if (!plan.answering)
        return __real_getaddrinfo(node, service, hints, res);
    int refused = check_question(node, hints);
    if (refused != 0)
        return refused;
    return planned_answers(service, res);
}

int __wrap_socket(int domain, int type, int protocol)
{
    int fd = __real_socket(domain, type, protocol);
    if (fd != -1 && domain == AF_INET6 && plan.ipv6_only_default) {
        int saved_errno = errno;
        int on = 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
        errno = saved_errno;
    }
    return fd;
}

/* Name lookups in the C library are long code, and every test of this lab makes
 * some: under Valgrind the fork runner runs a few once, before any test, so that
 * no test translates them again (LAB_WARM_UP, labtest.h). */
static void warm_names(void)
{
    static const struct {
        const char *host, *service;
        int flags;
    } lookups[] = {{"localhost", "http", 0}, {NULL, "5000", AI_PASSIVE}, {"127.0.0.1", "no-such-service", 0}};
    for (size_t i = 0; i < sizeof lookups / sizeof lookups[0]; i++) {
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                 .ai_flags = lookups[i].flags};
        struct addrinfo *found = NULL;
        if (getaddrinfo(lookups[i].host, lookups[i].service, &hints, &found) == 0)
            freeaddrinfo(found);
    }
}
LAB_WARM_UP(warm_names);
