/*
 * stand_in.h - a getaddrinfo that answers what the test chooses, and a
 * system whose IPv6 sockets are IPv6-only by default (lab 10 tests).
 *
 * Lab 10's test binary is linked with -Wl,--wrap=getaddrinfo,--wrap=socket
 * (see build.mk): every call to getaddrinfo or socket, from the student's
 * code or the tests, lands in stand_in.c first. Switched off (the default),
 * both just call the C library's own function.
 *
 * The plan lives in the test's memory and is read only by the wrappers, in
 * whatever process makes the call: a test sets it BEFORE calling the code
 * under test (a child process forked for the call inherits it) and switches
 * it off afterwards. Nothing is ever read back.
 */
#ifndef LAB10_STAND_IN_H
#define LAB10_STAND_IN_H

#include <stdbool.h>
#include <stddef.h>

#define STAND_IN_MAX_ANSWERS 4

/*
 * From now on, getaddrinfo(host, service, hints) answers with `count` numeric
 * addresses ("::1", "127.0.0.1", ...), in this order, each with the port of
 * `service` and the socket type SOCK_STREAM, as if host meant exactly those.
 * `host` may be NULL (the question tcp_listen_name asks for "every address").
 *
 * It answers only a question asked the way lab10.h says: the host given (the
 * same text, or NULL), ai_family AF_UNSPEC, ai_socktype SOCK_STREAM, no
 * AI_ADDRCONFIG, and AI_PASSIVE when host is NULL. Any other question gets
 * EAI_BADFLAGS (or EAI_NONAME for another host), so the code under test
 * returns -2: stand_in_refusal_text() says why, for the message.
 *
 * The list is made of the C library's own answers for each address, joined
 * one after the other; glibc's freeaddrinfo frees such a list node by node,
 * so the code under test frees it exactly as it frees a real one.
 */
void stand_in_answer(const char *host, const char *const answers[], size_t count);

/* Simulates net.ipv6.bindv6only = 1: from now on, every AF_INET6 socket
 * starts with IPV6_V6ONLY set (it accepts no IPv4 client until it is set to
 * 0). Some systems and distributions have that default. */
void stand_in_ipv6_only_default(void);

/* Back to the C library's own behaviour, for both calls. */
void stand_in_off(void);

/* "the stand-in answers [::1]:P then 127.0.0.1:P" (for messages). */
const char *stand_in_answers_text(const char *service);

/* What the stand-in requires of a question (for the message after a -2). */
const char *stand_in_refusal_text(void);

#endif
