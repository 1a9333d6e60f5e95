/*
 * Idle SMTP connections, for bench/run-idle-connections.sh: opens connections to the gateway, each
 * reads the 220 greeting (and with --ehlo sends EHLO and reads its reply), then leaves them open
 * and silent, so that the gateway holds one session per connection waiting for a command.
 *
 * C, one thread, blocking sockets opened one after the other: the client itself costs little and
 * has no garbage collector, so that it disturbs the memory being measured as little as it can.
 *
 * It reads totals from standard input, one per line: for each, it opens connections until that
 * many are open and prints "open=N failed=F ms=T" (T: how long it took). At the end of its input,
 * or after --max-seconds, it closes them all and exits.
 *
 *   cc -O2 -o idle_connections idle_connections.c
 *   printf '1000\n5000\n' | ./idle_connections --port 2525 [--ehlo] [--per-address 50] [--max-seconds 900]
 *
 * --per-address K: K connections from each source address, 127.1.0.1, 127.1.0.2, ..., as K
 * clients each would (the default, 50, is the gateway's default max_connections_per_ip); 0: all
 * from 127.0.0.1. Every connection the gateway refuses (a reply other than 220 or 250) counts as
 * failed and is closed; the exit status is 1 when any did.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static int port = -1, ehlo = 0, per_address = 50, max_seconds = 900;

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t) t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads one whole reply (multi-line included) byte by byte, so that nothing past it is consumed;
 * returns its code, or -1 when the connection ends or stays silent for 60 s. */
static int read_reply(int fd) {
    char line[1024];
    for (;;) {
        size_t length = 0;
        for (;;) {
            char ch;
            ssize_t n = read(fd, &ch, 1);
            if (n <= 0) {
                return -1;
            }
            if (ch == '\n') {
                break;
            }
            if (length + 1 < sizeof line) {
                line[length++] = ch;
            }
        }
        line[length] = '\0';
        if (length < 4 || line[3] != '-') {
            return atoi(line);
        }
    }
}

/* The i-th connection (from 0); its descriptor, or -1 when it failed. */
static int open_connection(long i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("idle_connections: socket");
        return -1;
    }
    struct timeval timeout = { .tv_sec = 60 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (per_address > 0) {
        long client = i / per_address + 1;   /* 127.1.0.1 upwards: up to 16 million clients */
        struct sockaddr_in source = { .sin_family = AF_INET };
        source.sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | (uint32_t) client);
        int one = 1;
        /* the port is chosen at connect, per destination: many sources do not exhaust it */
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(fd, (struct sockaddr *) &source, sizeof source) != 0) {
            perror("idle_connections: bind");
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *) &address, sizeof address) != 0) {
        perror("idle_connections: connect");
        close(fd);
        return -1;
    }
    int code = read_reply(fd);
    if (code == 220 && ehlo) {
        static const char command[] = "EHLO idle.sender.example\r\n";
        code = write(fd, command, sizeof command - 1) == (ssize_t) (sizeof command - 1) ? read_reply(fd) : -1;
        code = code == 250 ? 220 : code;
    }
    if (code != 220) {
        fprintf(stderr, "idle_connections: connection %ld: %s %d\n", i + 1,
                code < 0 ? "no reply" : "refused with", code);
        close(fd);
        return -1;
    }
    return fd;
}

static const char *value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "idle_connections: %s needs a value\n", argv[*i]);
        exit(2);
    }
    return argv[++*i];
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        if (strcmp(name, "--port") == 0) port = atoi(value(argc, argv, &i));
        else if (strcmp(name, "--ehlo") == 0) ehlo = 1;
        else if (strcmp(name, "--per-address") == 0) per_address = atoi(value(argc, argv, &i));
        else if (strcmp(name, "--max-seconds") == 0) max_seconds = atoi(value(argc, argv, &i));
        else {
            fprintf(stderr, "idle_connections: unknown option %s\n", name);
            return 2;
        }
    }
    if (port <= 0 || per_address < 0 || max_seconds <= 0) {
        fprintf(stderr, "idle_connections: --port is required; --per-address >= 0, --max-seconds > 0\n");
        return 2;
    }
    /* Nobody left to close them: the kernel does when the process ends. */
    alarm((unsigned) max_seconds);
    signal(SIGPIPE, SIG_IGN);

    long capacity = 1024, open = 0, failed = 0, attempted = 0, target;
    int *fds = malloc(sizeof *fds * (size_t) capacity);
    while (scanf("%ld", &target) == 1) {
        int64_t start = now_ms();
        while (open < target) {
            if (open == capacity) {
                capacity *= 2;
                fds = realloc(fds, sizeof *fds * (size_t) capacity);
            }
            int fd = open_connection(attempted++);
            if (fd < 0) {
                failed++;
                if (failed > 100) {
                    fprintf(stderr, "idle_connections: giving up after %ld failed connections\n", failed);
                    break;
                }
                continue;
            }
            fds[open++] = fd;
        }
        printf("open=%ld failed=%ld ms=%lld\n", open, failed, (long long) (now_ms() - start));
        fflush(stdout);
        if (failed > 100) {
            break;
        }
    }
    for (long i = 0; i < open; i++) {
        close(fds[i]);
    }
    return failed > 0 ? 1 : 0;
}
