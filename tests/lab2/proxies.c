/*
 * proxies.c - lab 2's contract functions as its tests call them.
 *
 * Each proxy names the call's arguments (values, descriptors, the bytes behind
 * pointers) and has the student's function (linked as student__NAME, see
 * grader/runtime/objcheck.py) run in the test's student session, which sends back
 * its result, errno and what it wrote (tests/common/labcall.h): the test's own
 * process never runs student code.
 */
#include "labtest.h"

#include "lab2.h"

LAB_STUDENT_FUNCTION(addr_from_string);
LAB_STUDENT_FUNCTION(addr_to_string);
LAB_STUDENT_FUNCTION(parse_port);

static long invoke_addr_from_string(const struct lab_call *call)
{
    return student__addr_from_string(LAB_POINTER(call, 0), (uint16_t)LAB_VALUE(call, 1),
                                     LAB_POINTER(call, 2));
}

int addr_from_string(const char *ip, uint16_t port, struct sockaddr_in *out)
{
    struct lab_call call = {.name = "addr_from_string()", .invoke = invoke_addr_from_string};
    lab_arg_string(&call, ip);
    lab_arg_value(&call, port);
    lab_arg_inout(&call, out, sizeof *out);
    return (int)lab_call_run(&call);
}

static long invoke_addr_to_string(const struct lab_call *call)
{
    return student__addr_to_string(LAB_POINTER(call, 0), LAB_POINTER(call, 1),
                                   (size_t)LAB_VALUE(call, 2));
}

int addr_to_string(const struct sockaddr_in *addr, char *buf, size_t len)
{
    struct lab_call call = {.name = "addr_to_string()", .invoke = invoke_addr_to_string};
    lab_arg_in(&call, addr, sizeof *addr);
    lab_arg_inout(&call, buf, len);
    lab_arg_value(&call, (long)len);
    return (int)lab_call_run(&call);
}

static long invoke_parse_port(const struct lab_call *call)
{
    return student__parse_port(LAB_POINTER(call, 0), LAB_POINTER(call, 1));
}

int parse_port(const char *text, uint16_t *port)
{
    struct lab_call call = {.name = "parse_port()", .invoke = invoke_parse_port};
    lab_arg_string(&call, text);
    lab_arg_inout(&call, port, sizeof *port);
    return (int)lab_call_run(&call);
}
