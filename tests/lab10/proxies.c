/*
 * proxies.c - lab 10's contract functions as its tests call them.
 *
 * Each one runs the student's function (linked as student__NAME, see
 * tests/tools/objcheck.py) in a child process and hands back its result, errno
 * and out-parameters (tests/common/labcall.h): the test's own process never runs
 * student code. The child inherits the plan of the getaddrinfo stand-in
 * (stand_in.h), which tests set before each call.
 */
#define LAB_NAME "lab10"
#include "labtest.h"

#include "lab10.h"

LAB_STUDENT_FUNCTION(tcp_connect_name);
LAB_STUDENT_FUNCTION(tcp_listen_name);
LAB_STUDENT_FUNCTION(sockaddr_to_string);

int tcp_connect_name(const char *host, const char *service, int timeout_ms)
{
    struct lab_call call = {.name = "tcp_connect_name()", .returns_fd = true};
    return (int)LAB_CALL(&call, student__tcp_connect_name(host, service, timeout_ms));
}

int tcp_listen_name(const char *host, const char *service, int backlog)
{
    struct lab_call call = {.name = "tcp_listen_name()", .returns_fd = true};
    return (int)LAB_CALL(&call, student__tcp_listen_name(host, service, backlog));
}

int sockaddr_to_string(const struct sockaddr *addr, socklen_t len, char *buf, size_t size)
{
    struct lab_call call = {.name = "sockaddr_to_string()"};
    lab_call_output(&call, buf, size);
    return (int)LAB_CALL(&call, student__sockaddr_to_string(addr, len, buf, size));
}
