/*
 * proxies.c - lab 7's contract functions as its tests call them.
 *
 * Each one runs the student's function (linked as student__NAME, see
 * tests/tools/objcheck.py) in a child process and hands back its result, errno
 * and out-parameters (tests/common/labcall.h): the test's own process never runs
 * student code.
 */
#define LAB_NAME "lab7"
#include "labtest.h"

#include "lab7.h"

LAB_STUDENT_FUNCTION(echo_roundtrip);

ssize_t echo_roundtrip(int fd, const void *msg, size_t len, void *reply)
{
    struct lab_call call = {.name = "echo_roundtrip()"};
    lab_call_keep(&call, fd);
    lab_call_output(&call, reply, len);
    return (ssize_t)LAB_CALL(&call, student__echo_roundtrip(fd, msg, len, reply));
}
