/*
 * proxies.c - lab 5's contract functions as its tests call them.
 *
 * Each one runs the student's function (linked as student__NAME, see
 * tests/tools/objcheck.py) in a child process and hands back its result, errno
 * and out-parameters (tests/common/labcall.h): the test's own process never runs
 * student code.
 */
#define LAB_NAME "lab5"
#include "labtest.h"

#include "lab5.h"

LAB_STUDENT_FUNCTION(send_all);
LAB_STUDENT_FUNCTION(recv_all);

ssize_t send_all(int fd, const void *buf, size_t len)
{
    struct lab_call call = {.name = "send_all()"};
    lab_call_keep(&call, fd);
    return (ssize_t)LAB_CALL(&call, student__send_all(fd, buf, len));
}

ssize_t recv_all(int fd, void *buf, size_t len)
{
    struct lab_call call = {.name = "recv_all()"};
    lab_call_keep(&call, fd);
    lab_call_output(&call, buf, len);
    return (ssize_t)LAB_CALL(&call, student__recv_all(fd, buf, len));
}
