/*
 * proxies.c - lab 1's contract functions as its tests call them.
 *
 * Each proxy names the call's arguments (values, descriptors, the bytes behind
 * pointers) and has the student's function (linked as student__NAME, see
 * grader/runtime/objcheck.py) run in the test's student session, which sends back
 * its result, errno and what it wrote (tests/common/labcall.h): the test's own
 * process never runs student code.
 */
#include "labtest.h"

#include "lab1.h"

LAB_STUDENT_FUNCTION(tcp_socket);
LAB_STUDENT_FUNCTION(udp_socket);
LAB_STUDENT_FUNCTION(socket_kind);
LAB_STUDENT_FUNCTION(close_socket);

static long invoke_tcp_socket(const struct lab_call *call)
{
    (void)call;
    return student__tcp_socket();
}

int tcp_socket(void)
{
    struct lab_call call = {.name = "tcp_socket()", .invoke = invoke_tcp_socket,
                            .returns_fd = true};
    return (int)lab_call_run(&call);
}

static long invoke_udp_socket(const struct lab_call *call)
{
    (void)call;
    return student__udp_socket();
}

int udp_socket(void)
{
    struct lab_call call = {.name = "udp_socket()", .invoke = invoke_udp_socket,
                            .returns_fd = true};
    return (int)lab_call_run(&call);
}

static long invoke_socket_kind(const struct lab_call *call)
{
    return student__socket_kind((int)LAB_VALUE(call, 0), LAB_POINTER(call, 1),
                                LAB_POINTER(call, 2));
}

int socket_kind(int fd, int *family, int *type)
{
    struct lab_call call = {.name = "socket_kind()", .invoke = invoke_socket_kind};
    lab_arg_fd(&call, fd);
    lab_arg_inout(&call, family, sizeof *family);
    lab_arg_inout(&call, type, sizeof *type);
    return (int)lab_call_run(&call);
}

static long invoke_close_socket(const struct lab_call *call)
{
    return student__close_socket((int)LAB_VALUE(call, 0));
}

int close_socket(int fd)
{
    struct lab_call call = {.name = "close_socket()", .invoke = invoke_close_socket};
    lab_arg_fd(&call, fd);
    return (int)lab_call_run(&call);
}
