/*
 * echo_load.c - many clients at once against an echo server on loopback (make bench-echo).
 *
 *   echo_load PORT CLIENTS BYTES SIZE TIMEOUT_MS
 *
 * Opens CLIENTS connections to 127.0.0.1:PORT at the same moment (non-blocking
 * connects), then each client sends BYTES bytes as messages of SIZE bytes, one
 * at a time, as the tutorial's client does: a message, then its whole echo,
 * then the next. One thread drives every client with poll(), so the load
 * itself never makes a client wait for another. Every echo is checked byte
 * for byte against what was sent.
 *
 * Prints on stdout, times in microseconds since the first connect:
 *   seconds S                    from the first connect to the last echo
 *   echoed B                     bytes that came back, all clients together
 *   client I FIRST DONE          client I's first echo complete, its last echo complete
 *   rtt T T ...                  every message's round trip
 * Exit status 0 when every client got its whole echo, 1 when one failed (a wrong
 * echo, a closed or reset connection: said on stderr), 3 when TIMEOUT_MS passed
 * first (what was measured is printed all the same), 2 for bad usage. Built and
 * run by tests/tools/bench_echo.py; not a test.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 1000
#define MAX_SIZE (1024 * 1024)

enum state { CONNECTING, SENDING, RECEIVING, DONE, FAILED };

struct client {
    int fd;
    enum state state;
    size_t offset;     /* bytes of the stream whose echo is back */
    size_t length;     /* the current message: bytes offset .. offset+length */
    size_t sent;       /* of the current message */
    size_t received;   /* of the current message */
    double started;    /* when the current message's first byte went out */
    double first_echo; /* microseconds since the start; 0 until then */
    double done;
};

struct load {
    unsigned short port;
    size_t clients;
    size_t bytes;
    size_t size;
    long timeout_ms;
    double start;
    double *rtts;
    size_t rtt_count;
    size_t echoed;
    unsigned char *out;
    unsigned char *in;
};

static double now_us(void)
{
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (double)time.tv_sec * 1e6 + (double)time.tv_nsec / 1e3;
}

/* The stream client `index` sends: byte `offset` of it. */
static unsigned char pattern(size_t index, size_t offset)
{
    return (unsigned char)((index * 131 + offset * 7 + offset / 251) & 0xff);
}

static int parse_number(const char *text, long low, long high, long *value)
{
    char *end;
    errno = 0;
    long parsed = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || parsed < low || parsed > high)
        return -1;
    *value = parsed;
    return 0;
}

static int parse_args(int argc, char **argv, struct load *load)
{
    long port, clients, bytes, size, timeout;
    if (argc != 6 || parse_number(argv[1], 1, 65535, &port) == -1 ||
        parse_number(argv[2], 1, MAX_CLIENTS, &clients) == -1 ||
        parse_number(argv[3], 1, 1L << 34, &bytes) == -1 ||
        parse_number(argv[4], 1, MAX_SIZE, &size) == -1 ||
        parse_number(argv[5], 1, 3600L * 1000, &timeout) == -1) {
        fprintf(stderr, "usage: echo_load PORT CLIENTS BYTES SIZE TIMEOUT_MS\n");
        return -1;
    }
    load->port = (unsigned short)port;
    load->clients = (size_t)clients;
    load->bytes = (size_t)bytes;
    load->size = (size_t)size;
    load->timeout_ms = timeout;
    return 0;
}

static void fail(struct client *client, size_t index, const char *what)
{
    fprintf(stderr, "echo_load: client %zu: %s after %zu bytes of echo\n", index, what,
            client->offset + client->received);
    client->state = FAILED;
    close(client->fd);
    client->fd = -1;
}

static int start_connect(struct client *client, unsigned short port)
{
    struct sockaddr_in server;
    memset(&server, 0, sizeof server);
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    client->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (client->fd == -1)
        return -1;
    if (connect(client->fd, (struct sockaddr *)&server, sizeof server) == -1 &&
        errno != EINPROGRESS)
        return -1;
    client->state = CONNECTING;
    return 0;
}

/* Starts the next message, or ends the client when its stream is all back. */
static void next_message(struct load *load, struct client *client)
{
    if (client->offset >= load->bytes) {
        client->state = DONE;
        client->done = now_us() - load->start;
        close(client->fd);
        client->fd = -1;
        return;
    }
    size_t left = load->bytes - client->offset;
    client->length = left < load->size ? left : load->size;
    client->sent = 0;
    client->received = 0;
    client->started = now_us();
    client->state = SENDING;
}

static void send_some(struct load *load, struct client *client, size_t index)
{
    for (size_t i = client->sent; i < client->length; i++)
        load->out[i - client->sent] = pattern(index, client->offset + i);
    ssize_t sent = send(client->fd, load->out, client->length - client->sent, MSG_NOSIGNAL);
    if (sent == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (sent == -1) {
        fail(client, index, strerror(errno));
        return;
    }
    client->sent += (size_t)sent;
    if (client->sent == client->length)
        client->state = RECEIVING;
}

static int echo_is_right(const unsigned char *data, size_t len, size_t index, size_t from)
{
    for (size_t i = 0; i < len; i++)
        if (data[i] != pattern(index, from + i))
            return 0;
    return 1;
}

static void receive_some(struct load *load, struct client *client, size_t index)
{
    ssize_t got = recv(client->fd, load->in, client->length - client->received, 0);
    if (got == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (got == -1) {
        fail(client, index, strerror(errno));
        return;
    }
    if (got == 0) {
        fail(client, index, "the server closed the connection");
        return;
    }
    if (!echo_is_right(load->in, (size_t)got, index, client->offset + client->received)) {
        fail(client, index, "the echo differs from what was sent");
        return;
    }
    client->received += (size_t)got;
    load->echoed += (size_t)got;
    if (client->received < client->length)
        return;
    double finished = now_us();
    load->rtts[load->rtt_count++] = finished - client->started;
    if (client->first_echo == 0)
        client->first_echo = finished - load->start;
    client->offset += client->length;
    next_message(load, client);
}

static void connected(struct load *load, struct client *client, size_t index)
{
    int error = 0;
    socklen_t len = sizeof error;
    if (getsockopt(client->fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
        error = errno;
    if (error != 0) {
        fail(client, index, strerror(error));
        return;
    }
    next_message(load, client);
}

static void step(struct load *load, struct client *client, size_t index, short revents)
{
    if (client->state == CONNECTING && revents)
        connected(load, client, index);
    else if (client->state == RECEIVING && revents)
        receive_some(load, client, index);
    if (client->state == SENDING)
        send_some(load, client, index);
}

/* Drives every client until all are done or failed, or the deadline. Returns the exit
 * status. */
static int drive(struct load *load, struct client *clients, struct pollfd *fds)
{
    double deadline = load->start + (double)load->timeout_ms * 1000.0;
    for (;;) {
        size_t active = 0;
        for (size_t i = 0; i < load->clients; i++) {
            fds[i].fd = clients[i].state >= DONE ? -1 : clients[i].fd;
            fds[i].events = clients[i].state == RECEIVING ? POLLIN : POLLOUT;
            fds[i].revents = 0;
            active += clients[i].state < DONE;
        }
        if (active == 0)
            break;
        double left_ms = (deadline - now_us()) / 1000.0;
        if (left_ms <= 0)
            return 3;
        int ready = poll(fds, load->clients, (int)left_ms + 1);
        if (ready == -1 && errno != EINTR) {
            perror("echo_load: poll");
            return 1;
        }
        for (size_t i = 0; ready > 0 && i < load->clients; i++)
            if (fds[i].fd != -1)
                step(load, &clients[i], i, fds[i].revents);
    }
    for (size_t i = 0; i < load->clients; i++)
        if (clients[i].state == FAILED)
            return 1;
    return 0;
}

static void report(const struct load *load, const struct client *clients, double seconds)
{
    printf("seconds %.6f\nechoed %zu\n", seconds, load->echoed);
    for (size_t i = 0; i < load->clients; i++)
        printf("client %zu %.1f %.1f\n", i, clients[i].first_echo, clients[i].done);
    fputs("rtt", stdout);
    for (size_t i = 0; i < load->rtt_count; i++)
        printf(" %.1f", load->rtts[i]);
    fputs("\n", stdout);
}

int main(int argc, char **argv)
{
    struct load load = {0};
    if (parse_args(argc, argv, &load) == -1)
        return 2;
    size_t messages = load.clients * ((load.bytes + load.size - 1) / load.size);
    struct client *clients = calloc(load.clients, sizeof *clients);
    struct pollfd *fds = calloc(load.clients, sizeof *fds);
    load.rtts = calloc(messages, sizeof *load.rtts);
    load.out = malloc(load.size);
    load.in = malloc(load.size);
    if (!clients || !fds || !load.rtts || !load.out || !load.in) {
        fprintf(stderr, "echo_load: out of memory\n");
        return 1;
    }
    load.start = now_us();
    for (size_t i = 0; i < load.clients; i++) {
        if (start_connect(&clients[i], load.port) == -1) {
            fprintf(stderr, "echo_load: client %zu: connect: %s\n", i, strerror(errno));
            return 1;
        }
    }
    int status = drive(&load, clients, fds);
    report(&load, clients, (now_us() - load.start) / 1e6);
    for (size_t i = 0; i < load.clients; i++)
        if (clients[i].fd != -1 && clients[i].state < DONE)
            close(clients[i].fd);
    free(clients);
    free(fds);
    free(load.rtts);
    free(load.out);
    free(load.in);
    return status;
}
