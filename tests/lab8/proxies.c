/*
 * proxies.c - lab 8's contract functions as its tests call them.
 *
 * INTERIM. The hub keeps its state in the student's memory from hub_create to
 * hub_destroy, so the one-child-per-call proxies of the other labs
 * (tests/common/labcall.h) would lose it after every call: a hub session has to
 * run in one child process of its own, which the harness does not offer yet.
 * Until it does, these proxies call the student's functions (renamed
 * student__NAME by tests/tools/objcheck.py, as for every lab) in the test's own
 * process. The tests are already written for the session model: they reach the
 * hub only through these four functions and their own sockets, and never look
 * inside struct echo_hub.
 */
#define LAB_NAME "lab8"
#include "labtest.h"

#include "lab8.h"

LAB_STUDENT_FUNCTION(hub_create);
LAB_STUDENT_FUNCTION(hub_step);
LAB_STUDENT_FUNCTION(hub_clients);
LAB_STUDENT_FUNCTION(hub_destroy);

struct echo_hub *hub_create(int listen_fd)
{
    return student__hub_create(listen_fd);
}

int hub_step(struct echo_hub *hub, int timeout_ms)
{
    return student__hub_step(hub, timeout_ms);
}

int hub_clients(const struct echo_hub *hub)
{
    return student__hub_clients(hub);
}

void hub_destroy(struct echo_hub *hub)
{
    student__hub_destroy(hub);
}
