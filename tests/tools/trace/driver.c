/*
 * driver.c - the scenarios of make trace for labs 3 to 5 and 10, which have
 * no program of their own: a small main that calls the lab's contract functions
 * (the student's, or the reference's) so that strace can watch them work.
 *
 *     trace_driver listener     lab 3: tcp_listen, local_port, then wait for a
 *                               line on stdin (the tool looks with ss and
 *                               connects meanwhile), then close
 *     trace_driver accept       lab 4: tcp_listen, tcp_connect to it,
 *                               tcp_accept, then close the three sockets
 *     trace_driver shortwrite   lab 5: a connected pair; a forked child reads
 *                               slowly with recv_all while the parent sends
 *                               64 KiB with send_all on a socket whose send
 *                               buffer is small; a timer signal every 5 ms
 *                               (SA_RESTART) interrupts the blocked send(),
 *                               which then returns the bytes it had moved:
 *                               a short write
 *     trace_driver ipv6         lab 10: tcp_listen_name("::1", "0"), then
 *                               tcp_connect_name("::1", PORT) to it, accept(2)
 *                               and sockaddr_to_string of the client's
 *                               address, then close the three sockets
 *
 * Before each contract call returns, the driver writes one line
 *     @ tcp_listen("127.0.0.1", 0, 8) = 3
 * on stderr with a single write(), so that the call appears in the strace
 * timeline between the system calls it made. Built by tests/tools/trace with
 * -DTRACE_LAB=N against the objects of labs 1..N. Exit status 0 when every
 * call worked, 1 when one failed (the driver then stops), 2 for bad usage.
 */
#include "lab1.h"
#include "lab2.h"
#include "lab3.h"
#if TRACE_LAB >= 4
#include "lab4.h"
#endif
#if TRACE_LAB >= 5
#include "lab5.h"
#endif
#if TRACE_LAB >= 10
#include "lab10.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#endif

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOOPBACK "127.0.0.1"
#define BACKLOG 8

/* Writes "@ <call> = <result>" on stderr in one write(); result is the value,
 * or -1 and errno's name when the call failed. Returns result unchanged. */
static long report(long result, int saved_errno, const char *format, ...)
{
    char line[256];
    va_list args;

    line[0] = '@';
    line[1] = ' ';
    va_start(args, format);
    int used = vsnprintf(line + 2, sizeof line - 2, format, args) + 2;
    va_end(args);
    if (used < 2 || (size_t)used >= sizeof line)
        used = (int)sizeof line - 1;
    if (result == -1)
        snprintf(line + used, sizeof line - (size_t)used, " = -1 %s (%s)\n",
                 strerrorname_np(saved_errno) ? strerrorname_np(saved_errno) : "?",
                 strerror(saved_errno));
    else
        snprintf(line + used, sizeof line - (size_t)used, " = %ld\n", result);
    ssize_t ignored = write(STDERR_FILENO, line, strlen(line));
    (void)ignored;
    errno = saved_errno;
    return result;
}

/* Evaluates expr, then reports it with the errno it left (in that order). */
#define CALL(expr, ...)                                                                    \
    ({                                                                                     \
        long call_result_ = (long)(expr);                                                  \
        report(call_result_, errno, __VA_ARGS__);                                          \
    })

/* tcp_listen on loopback, port 0; prints "port N" on stdout for the tool.
 * Returns the listening socket and stores its port in *port, or -1. */
static int open_listener(int *port)
{
    int listen_fd = (int)CALL(tcp_listen(LOOPBACK, 0, BACKLOG), "tcp_listen(\"%s\", 0, %d)",
                              LOOPBACK, BACKLOG);
    if (listen_fd == -1)
        return -1;
    *port = (int)CALL(local_port(listen_fd), "local_port(%d)", listen_fd);
    if (*port == -1) {
        close(listen_fd);
        return -1;
    }
    printf("port %d\n", *port);
    fflush(stdout);
    return listen_fd;
}

static int scenario_listener(void)
{
    char line[64];
    int port;
    int listen_fd = open_listener(&port);
    if (listen_fd == -1)
        return 1;
    /* The tool runs ss and connects a client now; a line (or EOF) says it is done. */
    if (fgets(line, sizeof line, stdin) == NULL)
        line[0] = '\0';
    CALL(close_socket(listen_fd), "close_socket(%d)", listen_fd);
    return 0;
}

#if TRACE_LAB >= 4
/* A listener, a client connected to it and the server's side of that
 * connection, all made with the contract functions. A rcvbuf above 0 is set
 * on the listener before the client connects (the accepted socket inherits
 * it, and the handshake advertises a window that fits it). Returns 0 or -1. */
static int connected_pair(int *listen_fd, int *client_fd, int *server_fd, int rcvbuf)
{
    int port;
    *listen_fd = open_listener(&port);
    if (*listen_fd == -1)
        return -1;
    if (rcvbuf > 0)
        setsockopt(*listen_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    *client_fd = (int)CALL(tcp_connect(LOOPBACK, (uint16_t)port), "tcp_connect(\"%s\", %d)",
                           LOOPBACK, port);
    if (*client_fd == -1) {
        close(*listen_fd);
        return -1;
    }
    *server_fd = (int)CALL(tcp_accept(*listen_fd, NULL), "tcp_accept(%d, NULL)", *listen_fd);
    if (*server_fd == -1) {
        close(*client_fd);
        close(*listen_fd);
        return -1;
    }
    return 0;
}

static int scenario_accept(void)
{
    int listen_fd, client_fd, server_fd;
    if (connected_pair(&listen_fd, &client_fd, &server_fd, 0) == -1)
        return 1;
    close(client_fd);
    close(server_fd);
    close(listen_fd);
    return 0;
}
#endif

#if TRACE_LAB >= 5
#define SHORTWRITE_TOTAL (64 * 1024)
#define READER_PIECE 4096
#define READER_PAUSE_NS (5 * 1000 * 1000)

/* The byte at offset i of the stream the writer sends. */
static char pattern_at(long i)
{
    return (char)('a' + i % 26);
}

/* The slow reader: recv_all of READER_PIECE bytes, a pause, again, until the
 * sender closes. Checks every byte against the pattern the writer sent, and
 * reports the first one out of place. Runs in the forked child; returns its
 * exit status. */
static int slow_reader(int fd)
{
    static char piece[READER_PIECE];
    const struct timespec pause = {0, READER_PAUSE_NS};
    long total = 0;

    for (;;) {
        ssize_t got = CALL(recv_all(fd, piece, sizeof piece), "recv_all(%d, buf, %zu)", fd,
                           sizeof piece);
        if (got <= 0)
            return got == 0 && total == SHORTWRITE_TOTAL ? 0 : 1;
        for (ssize_t i = 0; i < got; i++) {
            if (piece[i] != pattern_at(total + i)) {
                char line[160];
                int used = snprintf(line, sizeof line,
                                    "@ check: byte %ld of the stream is '%c', the writer sent "
                                    "'%c' there (bytes repeated or lost)\n",
                                    total + i, piece[i], pattern_at(total + i));
                ssize_t ignored = write(STDERR_FILENO, line, (size_t)used);
                (void)ignored;
                return 1;
            }
        }
        total += got;
        nanosleep(&pause, NULL); /* the slow reader's pause is the scenario itself */
    }
}

static void on_timer(int signo)
{
    (void)signo;
}

/* Every 5 ms a SIGALRM whose handler does nothing; SA_RESTART, so a send()
 * that moved nothing yet goes on waiting, and one that moved some bytes
 * returns their count. interval 0 stops the timer. */
static void timer_every(long interval_us)
{
    struct sigaction action;
    struct itimerval timer = {{0, interval_us}, {0, interval_us}};

    memset(&action, 0, sizeof action);
    action.sa_handler = on_timer;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGALRM, &action, NULL);
    setitimer(ITIMER_REAL, &timer, NULL);
}

static int scenario_shortwrite(void)
{
    static char data[SHORTWRITE_TOTAL];
    int listen_fd, client_fd, server_fd;
    int small = 8192;

    if (connected_pair(&listen_fd, &client_fd, &server_fd, small) == -1)
        return 1;
    close(listen_fd);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = pattern_at((long)i);
    /* A small send buffer too: the writer's send() soon has to wait. */
    setsockopt(client_fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);

    pid_t reader = fork();
    if (reader == -1) {
        close(client_fd);
        close(server_fd);
        return 1;
    }
    if (reader == 0) {
        close(client_fd);
        int status = slow_reader(server_fd);
        close(server_fd);
        _exit(status);
    }
    close(server_fd);
    timer_every(5000);
    ssize_t sent = CALL(send_all(client_fd, data, sizeof data), "send_all(%d, buf, %zu)",
                        client_fd, sizeof data);
    timer_every(0);
    close(client_fd);
    int status = 1;
    waitpid(reader, &status, 0);
    return sent == (ssize_t)sizeof data && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
#endif

#if TRACE_LAB >= 10
/* The port a socket is bound to, as text ("40123"), from getsockname; -1 on failure. */
static int port_text(int fd, char *text, size_t size)
{
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &len) == -1 || bound.ss_family != AF_INET6)
        return -1;
    snprintf(text, size, "%u", (unsigned)ntohs(((struct sockaddr_in6 *)&bound)->sin6_port));
    return 0;
}

static int scenario_ipv6(void)
{
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    char service[16], text[80];

    int listen_fd = (int)CALL(tcp_listen_name("::1", "0", BACKLOG),
                              "tcp_listen_name(\"::1\", \"0\", %d)", BACKLOG);
    if (listen_fd < 0)
        return 1;
    if (port_text(listen_fd, service, sizeof service) == -1) {
        close(listen_fd);
        return 1;
    }
    int client_fd = (int)CALL(tcp_connect_name("::1", service, 1000),
                              "tcp_connect_name(\"::1\", \"%s\", 1000)", service);
    if (client_fd < 0) {
        close(listen_fd);
        return 1;
    }
    int server_fd = accept(listen_fd, (struct sockaddr *)&peer, &len);
    int status = 1;
    if (server_fd != -1) {
        long written = CALL(sockaddr_to_string((struct sockaddr *)&peer, len, text, sizeof text),
                            "sockaddr_to_string(client): \"%s\"", text);
        status = written > 0 ? 0 : 1;
        close(server_fd);
    }
    close(client_fd);
    close(listen_fd);
    return status;
}
#endif

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "listener") == 0)
        return scenario_listener();
#if TRACE_LAB >= 4
    if (argc == 2 && strcmp(argv[1], "accept") == 0)
        return scenario_accept();
#endif
#if TRACE_LAB >= 5
    if (argc == 2 && strcmp(argv[1], "shortwrite") == 0)
        return scenario_shortwrite();
#endif
#if TRACE_LAB >= 10
    if (argc == 2 && strcmp(argv[1], "ipv6") == 0)
        return scenario_ipv6();
#endif
    fprintf(stderr, "usage: trace_driver listener%s%s%s\n", TRACE_LAB >= 4 ? "|accept" : "",
            TRACE_LAB >= 5 ? "|shortwrite" : "", TRACE_LAB >= 10 ? "|ipv6" : "");
    return 2;
}
