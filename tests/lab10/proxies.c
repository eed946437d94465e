/*
 * proxies.c - lab 10's contract functions as its tests call them.
 *
 * Each proxy names the call's arguments (values, descriptors, the bytes behind
 * pointers) and has the student's function (linked as student__NAME, see
 * grader/runtime/objcheck.py) run in the test's student session, which sends back
 * its result, errno and what it wrote (tests/common/labcall.h): the test's own
 * process never runs student code.
 */
#include "labtest.h"

#include "lab10.h"

#include <netinet/in.h>
#include <sys/socket.h>

LAB_STUDENT_FUNCTION(tcp_connect_name);
LAB_STUDENT_FUNCTION(tcp_listen_name);
LAB_STUDENT_FUNCTION(sockaddr_to_string);

static long invoke_tcp_connect_name(const struct lab_call *call)
{
    return student__tcp_connect_name(LAB_POINTER(call, 0), LAB_POINTER(call, 1),
                                     (int)LAB_VALUE(call, 2));
}

int tcp_connect_name(const char *host, const char *service, int timeout_ms)
{
    struct lab_call call = {.name = "tcp_connect_name()", .invoke = invoke_tcp_connect_name,
                            .returns_fd = true};
    lab_arg_string(&call, host);
    lab_arg_string(&call, service);
    lab_arg_value(&call, timeout_ms);
    return (int)lab_call_run(&call);
}

static long invoke_tcp_listen_name(const struct lab_call *call)
{
    return student__tcp_listen_name(LAB_POINTER(call, 0), LAB_POINTER(call, 1),
                                    (int)LAB_VALUE(call, 2));
}

int tcp_listen_name(const char *host, const char *service, int backlog)
{
    struct lab_call call = {.name = "tcp_listen_name()", .invoke = invoke_tcp_listen_name,
                            .returns_fd = true};
    lab_arg_string(&call, host);
    lab_arg_string(&call, service);
    lab_arg_value(&call, backlog);
    return (int)lab_call_run(&call);
}

static long invoke_sockaddr_to_string(const struct lab_call *call)
{
    return student__sockaddr_to_string(LAB_POINTER(call, 0), (socklen_t)LAB_VALUE(call, 1),
                                       LAB_POINTER(call, 2), (size_t)LAB_VALUE(call, 3));
}

int sockaddr_to_string(const struct sockaddr *addr, socklen_t len, char *buf, size_t size)
{
    /* The address goes over whole (a family's struct, at most sockaddr_storage): a
     * correct call reads its family before it knows how long it must be. */
    size_t copied = len < sizeof(struct sockaddr_in6) ? sizeof(struct sockaddr_in6) : len;
    struct lab_call call = {.name = "sockaddr_to_string()", .invoke = invoke_sockaddr_to_string};
    lab_arg_in(&call, addr,
               copied < sizeof(struct sockaddr_storage) ? copied
                                                        : sizeof(struct sockaddr_storage));
    lab_arg_value(&call, len);
    lab_arg_inout(&call, buf, size);
    lab_arg_value(&call, (long)size);
    return (int)lab_call_run(&call);
}
