/*
 * proxies.c - lab 4's contract functions as its tests call them.
 *
 * Each proxy names the call's arguments (values, descriptors, the bytes behind
 * pointers) and has the student's function (linked as student__NAME, see
 * grader/runtime/objcheck.py) run in the test's student session, which sends back
 * its result, errno and what it wrote (tests/common/labcall.h): the test's own
 * process never runs student code.
 */
#include "labtest.h"

#include "lab4.h"

LAB_STUDENT_FUNCTION(tcp_accept);
LAB_STUDENT_FUNCTION(tcp_connect);

static long invoke_tcp_accept(const struct lab_call *call)
{
    return student__tcp_accept((int)LAB_VALUE(call, 0), LAB_POINTER(call, 1));
}

int tcp_accept(int listen_fd, struct sockaddr_in *peer)
{
    struct lab_call call = {.name = "tcp_accept()", .invoke = invoke_tcp_accept,
                            .returns_fd = true};
    lab_arg_fd(&call, listen_fd);
    lab_arg_inout(&call, peer, sizeof *peer);
    return (int)lab_call_run(&call);
}

static long invoke_tcp_connect(const struct lab_call *call)
{
    return student__tcp_connect(LAB_POINTER(call, 0), (uint16_t)LAB_VALUE(call, 1));
}

int tcp_connect(const char *ip, uint16_t port)
{
    struct lab_call call = {.name = "tcp_connect()", .invoke = invoke_tcp_connect,
                            .returns_fd = true};
    lab_arg_string(&call, ip);
    lab_arg_value(&call, port);
    return (int)lab_call_run(&call);
}
