/*
 * proxies.c - lab 9's contract functions as its tests call them.
 *
 * Each proxy names the call's arguments (values, descriptors, the bytes behind
 * pointers) and has the student's function (linked as student__NAME, see
 * grader/runtime/objcheck.py) run in the test's student session, which sends back
 * its result, errno and what it wrote (tests/common/labcall.h): the test's own
 * process never runs student code.
 */
#include "labtest.h"

#include "lab9.h"

LAB_STUDENT_FUNCTION(udp_bind);
LAB_STUDENT_FUNCTION(udp_echo_one);
LAB_STUDENT_FUNCTION(udp_request);

static long invoke_udp_bind(const struct lab_call *call)
{
    return student__udp_bind(LAB_POINTER(call, 0), (uint16_t)LAB_VALUE(call, 1));
}

int udp_bind(const char *ip, uint16_t port)
{
    struct lab_call call = {.name = "udp_bind()", .invoke = invoke_udp_bind, .returns_fd = true};
    lab_arg_string(&call, ip);
    lab_arg_value(&call, port);
    return (int)lab_call_run(&call);
}

static long invoke_udp_echo_one(const struct lab_call *call)
{
    return student__udp_echo_one((int)LAB_VALUE(call, 0), LAB_POINTER(call, 1));
}

ssize_t udp_echo_one(int fd, struct sockaddr_in *peer)
{
    struct lab_call call = {.name = "udp_echo_one()", .invoke = invoke_udp_echo_one};
    lab_arg_fd(&call, fd);
    lab_arg_inout(&call, peer, sizeof *peer);
    return (ssize_t)lab_call_run(&call);
}

static long invoke_udp_request(const struct lab_call *call)
{
    return student__udp_request((int)LAB_VALUE(call, 0), LAB_POINTER(call, 1),
                                LAB_POINTER(call, 2), (size_t)LAB_VALUE(call, 3),
                                LAB_POINTER(call, 4), (size_t)LAB_VALUE(call, 5),
                                (int)LAB_VALUE(call, 6), (int)LAB_VALUE(call, 7));
}

ssize_t udp_request(int fd, const struct sockaddr_in *server, const void *msg, size_t len,
                    void *reply, size_t size, int timeout_ms, int tries)
{
    struct lab_call call = {.name = "udp_request()", .invoke = invoke_udp_request};
    lab_arg_fd(&call, fd);
    lab_arg_in(&call, server, sizeof *server);
    lab_arg_in(&call, msg, len <= UDP_MAX_DATAGRAM ? len : 0);
    lab_arg_value(&call, (long)len);
    lab_arg_inout(&call, reply, size);
    lab_arg_value(&call, (long)size);
    lab_arg_value(&call, timeout_ms);
    lab_arg_value(&call, tries);
    return (ssize_t)lab_call_run(&call);
}
