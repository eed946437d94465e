/*
 * lab10.h - Lab 10: names and IPv6.
 *
 * This header is the contract of the lab: the tests check exactly what is
 * written here, nothing more. Do not edit it; write your code in names.c.
 * Handout: handouts/en/lab10.md (en español: handouts/es/lab10.md).
 *
 * Rules for every function of every lab:
 *   - failure is -1 with errno set (the errno named below, where one is named);
 *   - no descriptor and no memory is leaked, on success or on failure;
 *   - nothing is printed, the process never exits, and no process-wide state
 *     (signal dispositions, limits, the working directory) is changed.
 *
 * Names and services. tcp_connect_name and tcp_listen_name take a host and a
 * service as text and pass them to getaddrinfo(3) exactly as they are given:
 *   host:    a host name ("localhost"), an IPv4 text ("127.0.0.1") or an IPv6
 *            text ("::1");
 *   service: a port number ("5346") or a service name from /etc/services
 *            ("http" is port 80).
 * getaddrinfo is asked with ai_family AF_UNSPEC (any family), ai_socktype
 * SOCK_STREAM and no AI_ADDRCONFIG (a machine whose only network is loopback
 * must still get its loopback answers); to listen, ai_flags is AI_PASSIVE.
 * Its answers (a linked list, ai_next) are tried one at a time, in the order
 * getaddrinfo gives them, each with a socket made from the answer itself
 * (ai_family, ai_socktype, ai_protocol), never a family chosen by the code.
 *
 * The -2 result. When getaddrinfo itself fails (it returns one of the EAI_*
 * codes, such as EAI_SERVICE for a service name /etc/services does not know),
 * both functions return -2, as CS:APP's open_clientfd does: EAI_* codes are
 * not errno values (gai_strerror turns them into text), so errno is then
 * unspecified. Every other failure is -1 with errno.
 *
 * Whatever happens, the list getaddrinfo returned is freed (freeaddrinfo)
 * before the function returns, and on -1 or -2 no descriptor stays open: the
 * socket of every failed attempt is closed before the next one is made.
 *
 * What you may use: everything of labs 1-9 (nothing of them is needed here).
 */
#ifndef LAB10_H
#define LAB10_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * tcp_connect_name - a TCP socket connected to host/service, whatever its
 * family (what Python's socket.create_connection does).
 *
 * host, service: as above ("localhost" and "5346", "::1" and "http").
 * timeout_ms:    how long each attempt may take, in milliseconds:
 *                  0: no waiting: an attempt that has not finished at once
 *                     (poll with a timeout of 0) has run out of time;
 *                 -1: no limit of its own (the kernel ends an attempt that
 *                     gets no answer with ETIMEDOUT after about two minutes);
 *                 any other positive number: the limit of each attempt.
 *
 * Tries the answers of getaddrinfo in order. Each attempt ends when it
 * connects, when it is refused, or when timeout_ms pass with no answer
 * (then it has failed with ETIMEDOUT); any failed attempt (its socket() or
 * its connect) moves on to the next answer, after closing its socket. The
 * limit is kept with a non-blocking connect: O_NONBLOCK, connect(2) (which
 * says EINPROGRESS), poll(2) for POLLOUT with timeout_ms, and then the
 * attempt's outcome read with getsockopt SO_ERROR (POLLOUT means "finished",
 * not "connected"). The socket returned is in blocking mode again
 * (O_NONBLOCK cleared), as a socket fresh from socket(2) would be.
 *
 * Returns the connected descriptor (the caller closes it); -2 when
 * getaddrinfo fails; -1 with errno EINVAL, before getaddrinfo is asked, for
 * a NULL host or service or a timeout_ms below -1; otherwise -1 with the
 * errno of the last attempt (ECONNREFUSED when nothing listens there,
 * ETIMEDOUT when the last attempt ran out of time).
 * Handout section 4.1 (and 2.1, 2.3).
 */
int tcp_connect_name(const char *host, const char *service, int timeout_ms);

/*
 * tcp_listen_name - a listening TCP socket for host/service.
 *
 * host:    the address to listen on, as above, or NULL for every address of
 *          both families.
 * service: the port, as above ("0": the system picks a free port).
 * backlog: passed to listen(2), as in lab 3.
 *
 * Every socket it makes gets SO_REUSEADDR before bind, as in lab 3.
 *
 * With host NULL: getaddrinfo(NULL, service) with AI_PASSIVE answers with
 * the wildcard address of each family (0.0.0.0 and ::, in an order of its
 * own). It listens on ONE socket: the IPv6 answer (::), with the option
 * IPV6_V6ONLY explicitly set to 0 before bind, so that IPv4 clients reach it
 * too (a dual-stack socket: accept(2) reports an IPv4 client as the
 * IPv4-mapped IPv6 address ::ffff:a.b.c.d). The system's default for
 * IPV6_V6ONLY varies (net.ipv6.bindv6only), hence "explicitly". The IPv4
 * answer (0.0.0.0) is not used: a second socket would not be needed, and
 * the two would fight for the port. Where the system has no AF_INET6
 * sockets (socket() fails with EAFNOSUPPORT, or getaddrinfo gives no IPv6
 * answer), -1 with errno EAFNOSUPPORT.
 *
 * With a host: tries the answers in order (IPV6_V6ONLY left as the system
 * has it) and listens with backlog on the first one it can bind.
 *
 * Returns the listening descriptor (the caller closes it); -2 when
 * getaddrinfo fails; -1 with errno EINVAL, before getaddrinfo is asked, for
 * a NULL service; EAFNOSUPPORT as above; otherwise, when no answer could be
 * made to listen, -1 with the errno of the last attempt (EADDRINUSE when
 * another socket listens on that port, EACCES for a port below 1024 without
 * privilege, EADDRNOTAVAIL for an address this host does not have).
 * Handout section 4.2 (and 2.1, 2.4).
 */
int tcp_listen_name(const char *host, const char *service, int backlog);

/*
 * sockaddr_to_string - write an IPv4 or IPv6 socket address as text.
 *
 * addr: the address (as accept(2), getsockname(2) or getaddrinfo give it;
 *       the port in network order inside it).
 * len:  its size in bytes: at least sizeof (struct sockaddr_in) for AF_INET,
 *       sizeof (struct sockaddr_in6) for AF_INET6 (more is fine, as with a
 *       struct sockaddr_storage).
 * buf:  where to write the text; size: the size of buf in bytes.
 *
 * Writes the address with its port and a terminating NUL:
 *   IPv4: "127.0.0.1:5346" (as lab 2's addr_to_string);
 *   IPv6: "[::1]:5346": the address as inet_ntop(3) writes it, in square
 *         brackets as in URLs (an IPv6 address has colons of its own), with
 *         no scope id ("%eth0") even when sin6_scope_id is set. An
 *         IPv4-mapped address reads "[::ffff:127.0.0.1]:5346".
 * The port is decimal, with no padding (0 to 65535).
 *
 * Returns the number of characters written, not counting the NUL (14 for
 * "127.0.0.1:5346", 10 for "[::1]:5346"). Returns -1 with errno:
 *   ENOSPC       when the text and its NUL do not fit in size bytes (size
 *                must be at least the length + 1); nothing is ever written
 *                past the first size bytes of buf, and after ENOSPC those
 *                bytes hold unspecified contents;
 *   EINVAL       when addr or buf is NULL, or len is below the size of the
 *                family's structure (a len too short to hold even the
 *                family field, sizeof (sa_family_t), is EINVAL too);
 *   EAFNOSUPPORT when the family is neither AF_INET nor AF_INET6.
 * The checks come in that order of arguments: NULL pointers and a len too
 * short for the family field first, then the family, then len for the
 * family, then the room in buf.
 * Handout section 4.3 (and 2.2).
 */
int sockaddr_to_string(const struct sockaddr *addr, socklen_t len, char *buf, size_t size);

#endif
