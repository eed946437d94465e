/*
 * proxies.c - lab 3's contract functions as its tests call them.
 *
 * Each one runs the student's function (linked as student__NAME, see
 * tests/tools/objcheck.py) in a child process and hands back its result, errno
 * and out-parameters (tests/common/labcall.h): the test's own process never runs
 * student code.
 */
#define LAB_NAME "lab3"
#include "labtest.h"

#include "lab3.h"

LAB_STUDENT_FUNCTION(tcp_listen);
LAB_STUDENT_FUNCTION(local_port);

int tcp_listen(const char *ip, uint16_t port, int backlog)
{
    struct lab_call call = {.name = "tcp_listen()", .returns_fd = true};
    return (int)LAB_CALL(&call, student__tcp_listen(ip, port, backlog));
}

int local_port(int fd)
{
    struct lab_call call = {.name = "local_port()"};
    lab_call_keep(&call, fd);
    return (int)LAB_CALL(&call, student__local_port(fd));
}
