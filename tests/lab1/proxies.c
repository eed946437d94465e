/*
 * proxies.c - lab 1's contract functions as its tests call them.
 *
 * Each one runs the student's function (linked as student__NAME, see
 * tests/tools/objcheck.py) in a child process and hands back its result, errno
 * and out-parameters (tests/common/labcall.h): the test's own process never runs
 * student code.
 */
#define LAB_NAME "lab1"
#include "labtest.h"

#include "lab1.h"

LAB_STUDENT_FUNCTION(tcp_socket);
LAB_STUDENT_FUNCTION(udp_socket);
LAB_STUDENT_FUNCTION(socket_kind);
LAB_STUDENT_FUNCTION(close_socket);

int tcp_socket(void)
{
    struct lab_call call = {.name = "tcp_socket()", .returns_fd = true};
    return (int)LAB_CALL(&call, student__tcp_socket());
}

int udp_socket(void)
{
    struct lab_call call = {.name = "udp_socket()", .returns_fd = true};
    return (int)LAB_CALL(&call, student__udp_socket());
}

int socket_kind(int fd, int *family, int *type)
{
    struct lab_call call = {.name = "socket_kind()"};
    lab_call_keep(&call, fd);
    lab_call_output(&call, family, sizeof *family);
    lab_call_output(&call, type, sizeof *type);
    return (int)LAB_CALL(&call, student__socket_kind(fd, family, type));
}

int close_socket(int fd)
{
    struct lab_call call = {.name = "close_socket()"};
    lab_call_keep(&call, fd);
    return (int)LAB_CALL(&call, student__close_socket(fd));
}
