/*
 * proxies.c - lab 2's contract functions as its tests call them.
 *
 * Each one runs the student's function (linked as student__NAME, see
 * tests/tools/objcheck.py) in a child process and hands back its result, errno
 * and out-parameters (tests/common/labcall.h): the test's own process never runs
 * student code.
 */
#define LAB_NAME "lab2"
#include "labtest.h"

#include "lab2.h"

LAB_STUDENT_FUNCTION(addr_from_string);
LAB_STUDENT_FUNCTION(addr_to_string);
LAB_STUDENT_FUNCTION(parse_port);

int addr_from_string(const char *ip, uint16_t port, struct sockaddr_in *out)
{
    struct lab_call call = {.name = "addr_from_string()"};
    lab_call_output(&call, out, sizeof *out);
    return (int)LAB_CALL(&call, student__addr_from_string(ip, port, out));
}

int addr_to_string(const struct sockaddr_in *addr, char *buf, size_t len)
{
    struct lab_call call = {.name = "addr_to_string()"};
    lab_call_output(&call, buf, len);
    return (int)LAB_CALL(&call, student__addr_to_string(addr, buf, len));
}

int parse_port(const char *text, uint16_t *port)
{
    struct lab_call call = {.name = "parse_port()"};
    lab_call_output(&call, port, sizeof *port);
    return (int)LAB_CALL(&call, student__parse_port(text, port));
}
