/*
 * proxies.c - lab 6's contract functions as its tests call them.
 *
 * Each one runs the student's function (linked as student__NAME, see
 * tests/tools/objcheck.py) in a child process and hands back its result, errno
 * and out-parameters (tests/common/labcall.h): the test's own process never runs
 * student code.
 */
#define LAB_NAME "lab6"
#include "labtest.h"

#include "lab6.h"

LAB_STUDENT_FUNCTION(echo_session);

ssize_t echo_session(int client_fd)
{
    struct lab_call call = {.name = "echo_session()"};
    lab_call_keep(&call, client_fd);
    return (ssize_t)LAB_CALL(&call, student__echo_session(client_fd));
}
