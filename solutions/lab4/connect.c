/*
 * connect.c - Lab 4 reference solution: accept and connect.
 */
#include "lab4.h"

#include "lab1.h"
#include "lab2.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

int tcp_accept(int listen_fd, struct sockaddr_in *peer)
{
    struct sockaddr_in client;
    socklen_t client_len;
    int conn_fd;

    do {
        client_len = sizeof client; /* accept() overwrites it: reset it every try */
        conn_fd = accept(listen_fd, (struct sockaddr *)&client, &client_len);
    } while (conn_fd == -1 && errno == EINTR);

    if (conn_fd != -1 && peer != NULL)
        *peer = client;
    return conn_fd;
}

/* Closes fd without letting close() change errno, which still describes the
 * call that failed before it. */
static void close_keeping_errno(int fd)
{
    int saved_errno = errno;
    close(fd);
    errno = saved_errno;
}

int tcp_connect(const char *ip, uint16_t port)
{
    struct sockaddr_in server;

    if (addr_from_string(ip, port, &server) == -1)
        return -1;

    int fd = tcp_socket();
    if (fd == -1)
        return -1;
    if (connect(fd, (const struct sockaddr *)&server, sizeof server) == -1) {
        close_keeping_errno(fd);
        return -1;
    }
    return fd;
}
