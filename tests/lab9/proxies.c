/*
 * proxies.c - lab 9's contract functions as its tests call them.
 *
 * Each one runs the student's function (linked as student__NAME, see
 * tests/tools/objcheck.py) in a child process and hands back its result, errno
 * and out-parameters (tests/common/labcall.h): the test's own process never runs
 * student code. The test's peers (threads, udp_support.h) stay in the test's
 * process and keep answering while a call's child waits.
 */
#define LAB_NAME "lab9"
#include "labtest.h"

#include "lab9.h"

LAB_STUDENT_FUNCTION(udp_bind);
LAB_STUDENT_FUNCTION(udp_echo_one);
LAB_STUDENT_FUNCTION(udp_request);

int udp_bind(const char *ip, uint16_t port)
{
    struct lab_call call = {.name = "udp_bind()", .returns_fd = true};
    return (int)LAB_CALL(&call, student__udp_bind(ip, port));
}

ssize_t udp_echo_one(int fd, struct sockaddr_in *peer)
{
    struct lab_call call = {.name = "udp_echo_one()"};
    lab_call_keep(&call, fd);
    lab_call_output(&call, peer, sizeof *peer);
    return (ssize_t)LAB_CALL(&call, student__udp_echo_one(fd, peer));
}

ssize_t udp_request(int fd, const struct sockaddr_in *server, const void *msg, size_t len,
                    void *reply, size_t size, int timeout_ms, int tries)
{
    struct lab_call call = {.name = "udp_request()"};
    lab_call_keep(&call, fd);
    lab_call_output(&call, reply, size);
    return (ssize_t)LAB_CALL(&call, student__udp_request(fd, server, msg, len, reply, size,
                                                         timeout_ms, tries));
}
