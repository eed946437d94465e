/*
 * echo_throughput.c - how fast a stream goes through an echo server on loopback.
 *
 *   echo_throughput session MIB    echo through the reference echo_session, served by a
 *                                  thread of this program on 127.0.0.1 (port 0)
 *   echo_throughput connect PORT MIB
 *                                  echo through an external server on 127.0.0.1:PORT
 *   echo_throughput sink PORT MIB  one way only: send to 127.0.0.1:PORT and read nothing
 *                                  back (the raw capacity of loopback, like cat | nc)
 *
 * A writer thread sends MIB mebibytes in 64 KiB pieces and shuts its side down; the main
 * thread reads the echo until the server closes. Prints one line: "<MB/s> <seconds>".
 * Built and run by tests/tools/throughput.py (make bench); not a test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lab6.h"

#define PIECE_SIZE (64 * 1024)

struct writer {
    int fd;
    size_t total;
};

static double now(void)
{
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (double)time.tv_sec + (double)time.tv_nsec / 1e9;
}

static int send_everything(int fd, const char *bytes, size_t len)
{
    while (len > 0) {
        ssize_t sent = send(fd, bytes, len, MSG_NOSIGNAL);
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent == -1)
            return -1;
        bytes += sent;
        len -= (size_t)sent;
    }
    return 0;
}

static void *write_stream(void *argument)
{
    struct writer *writer = argument;
    static char piece[PIECE_SIZE];
    memset(piece, 'e', sizeof piece);
    for (size_t sent = 0; sent < writer->total; sent += PIECE_SIZE)
        if (send_everything(writer->fd, piece, PIECE_SIZE) == -1)
            break;
    shutdown(writer->fd, SHUT_WR);
    return NULL;
}

static void *serve_one(void *argument)
{
    int listen_fd = *(int *)argument;
    int client_fd = accept(listen_fd, NULL, NULL);
    if (client_fd != -1) {
        echo_session(client_fd);
        close(client_fd);
    }
    return NULL;
}

static int connect_loopback(uint16_t port)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd != -1 && connect(fd, (struct sockaddr *)&address, sizeof address) == -1) {
        close(fd);
        return -1;
    }
    return fd;
}

static int listen_loopback(uint16_t *port)
{
    struct sockaddr_in address = {.sin_family = AF_INET};
    socklen_t size = sizeof address;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1 || bind(fd, (struct sockaddr *)&address, size) == -1 || listen(fd, 1) == -1 ||
        getsockname(fd, (struct sockaddr *)&address, &size) == -1) {
        perror("listen on 127.0.0.1");
        exit(1);
    }
    *port = ntohs(address.sin_port);
    return fd;
}

/* Streams `total` bytes through fd; returns the bytes read back (0 for a sink). */
static size_t stream_through(int fd, size_t total, int read_back)
{
    static char buffer[PIECE_SIZE];
    struct writer writer = {fd, total};
    pthread_t writer_thread;
    size_t received = 0;

    pthread_create(&writer_thread, NULL, write_stream, &writer);
    while (read_back) {
        ssize_t got = recv(fd, buffer, sizeof buffer, 0);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        received += (size_t)got;
    }
    pthread_join(writer_thread, NULL);
    return received;
}

int main(int argc, char **argv)
{
    int in_process = argc == 3 && strcmp(argv[1], "session") == 0;
    int external = argc == 4 && (strcmp(argv[1], "connect") == 0 || strcmp(argv[1], "sink") == 0);
    if (!in_process && !external) {
        fprintf(stderr, "usage: echo_throughput session MIB | connect PORT MIB | sink PORT MIB\n");
        return 2;
    }
    size_t total = (size_t)strtoul(argv[argc - 1], NULL, 10) * 1024 * 1024;
    int read_back = strcmp(argv[1], "sink") != 0;
    pthread_t server_thread;
    int listen_fd = -1;
    uint16_t port;

    if (in_process) {
        listen_fd = listen_loopback(&port);
        pthread_create(&server_thread, NULL, serve_one, &listen_fd);
    } else {
        port = (uint16_t)strtoul(argv[2], NULL, 10);
    }
    int fd = connect_loopback(port);
    if (fd == -1) {
        perror("connect to 127.0.0.1");
        return 1;
    }
    double started = now();
    size_t received = stream_through(fd, total, read_back);
    double seconds = now() - started;
    close(fd);
    if (in_process) {
        pthread_join(server_thread, NULL);
        close(listen_fd);
    }
    if (read_back && received != total) {
        fprintf(stderr, "echo_throughput: %zu of %zu bytes came back\n", received, total);
        return 1;
    }
    printf("%.1f %.3f\n", (double)total / 1e6 / seconds, seconds);
    return 0;
}
