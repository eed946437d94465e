/*
 * proxies.c - lab 8's contract functions as its tests call them.
 *
 * The hub lives in the student's memory from hub_create to hub_destroy, with the
 * sockets it accepts: every call of a test runs in that test's one student session
 * (tests/common/labcall.h), marked stateful so that the session keeps the
 * descriptors the hub is given or accepts. The hub pointer travels as a value:
 * the test never looks inside it.
 */
#include "labtest.h"

#include "lab8.h"

LAB_STUDENT_FUNCTION(hub_create);
LAB_STUDENT_FUNCTION(hub_step);
LAB_STUDENT_FUNCTION(hub_clients);
LAB_STUDENT_FUNCTION(hub_destroy);

static long invoke_hub_create(const struct lab_call *call)
{
    return (long)student__hub_create((int)LAB_VALUE(call, 0));
}

struct echo_hub *hub_create(int listen_fd)
{
    struct lab_call call = {.name = "hub_create()", .invoke = invoke_hub_create, .stateful = true};
    lab_arg_fd(&call, listen_fd);
    return (struct echo_hub *)lab_call_run(&call);
}

static long invoke_hub_step(const struct lab_call *call)
{
    return student__hub_step((struct echo_hub *)LAB_VALUE(call, 0), (int)LAB_VALUE(call, 1));
}

int hub_step(struct echo_hub *hub, int timeout_ms)
{
    struct lab_call call = {.name = "hub_step()", .invoke = invoke_hub_step, .stateful = true};
    lab_arg_value(&call, (long)hub);
    lab_arg_value(&call, timeout_ms);
    return (int)lab_call_run(&call);
}

static long invoke_hub_clients(const struct lab_call *call)
{
    return student__hub_clients((const struct echo_hub *)LAB_VALUE(call, 0));
}

int hub_clients(const struct echo_hub *hub)
{
    struct lab_call call = {.name = "hub_clients()", .invoke = invoke_hub_clients,
                            .stateful = true};
    lab_arg_value(&call, (long)hub);
    return (int)lab_call_run(&call);
}

static long invoke_hub_destroy(const struct lab_call *call)
{
    student__hub_destroy((struct echo_hub *)LAB_VALUE(call, 0));
    return 0;
}

void hub_destroy(struct echo_hub *hub)
{
    struct lab_call call = {.name = "hub_destroy()", .invoke = invoke_hub_destroy,
                            .stateful = true};
    lab_arg_value(&call, (long)hub);
    lab_call_run(&call);
}
