/*
 * proxies.c - lab 4's contract functions as its tests call them.
 *
 * Each one runs the student's function (linked as student__NAME, see
 * tests/tools/objcheck.py) in a child process and hands back its result, errno
 * and out-parameters (tests/common/labcall.h): the test's own process never runs
 * student code.
 */
#define LAB_NAME "lab4"
#include "labtest.h"

#include "lab4.h"

LAB_STUDENT_FUNCTION(tcp_accept);
LAB_STUDENT_FUNCTION(tcp_connect);

int tcp_accept(int listen_fd, struct sockaddr_in *peer)
{
    struct lab_call call = {.name = "tcp_accept()", .returns_fd = true};
    lab_call_keep(&call, listen_fd);
    lab_call_output(&call, peer, sizeof *peer);
    return (int)LAB_CALL(&call, student__tcp_accept(listen_fd, peer));
}

int tcp_connect(const char *ip, uint16_t port)
{
    struct lab_call call = {.name = "tcp_connect()", .returns_fd = true};
    return (int)LAB_CALL(&call, student__tcp_connect(ip, port));
}
