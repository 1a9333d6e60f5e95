/*
 * RCPT latency, measured by a client that adds as little of its own as it can: C, one POSIX thread
 * per session blocked in read(2) (the kernel wakes it directly when the reply arrives), no JIT, no
 * garbage collector. bench/run-rcpt-load.sh uses it for the paced phases with LOAD=c, because the
 * Java load generator's own scheduling and compilation showed up in the 99th percentile at the
 * scale being measured (a few hundred microseconds).
 *
 * It speaks the same dialogue as SmtpRcptLoad.java's "load" and prints the same two lines:
 * EHLO, then MAIL FROM, PER_MAIL RCPTs each timed from writing it to reading its reply, RSET; the
 * addresses are user-TAG-N@DOMAIN or, for about INVALID_PERCENT of them, nobody-TAG-N@DOMAIN, N
 * drawn at random from the pool (--order random) or the RCPT's own number (--order sequential).
 *
 *   cc -O2 -pthread -o rcpt_latency rcpt_latency.c
 *   ./rcpt_latency [load] --port 2525 --sessions 20 --rcpts 20000 --domain bench.test --tag w --pool 10000
 *       --order random --rate 1000 [--invalid-percent 30] [--per-mail 5] [--seed 1] [--max-seconds 600]
 *
 * Exit status 1 when more than 1 % of the RCPTs went unanswered or got the wrong answer.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port = -1, sessions = -1, rcpts = -1, pool = 10000, invalid_percent = 30, per_mail = 5;
static int rate = 0, max_seconds = 600, random_order = 0;
static long seed = 1;
static const char *domain = NULL, *tag = "t";

static int64_t *latencies;              /* nanoseconds by RCPT number; -1 when unanswered */
static atomic_int next_rcpt;
static atomic_long positive, temporary, permanent, wrong, connections;
static int64_t deadline_ns, interval_ns;

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t) t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sleep_until(int64_t due_ns) {
    struct timespec t = { .tv_sec = due_ns / 1000000000, .tv_nsec = due_ns % 1000000000 };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
    }
}

/* SplitMix64: a small, good generator, one per session. */
static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct {
    int fd;
    char buffer[16384];
    size_t start, end;
} connection;

/* Reads one line (without CRLF) into line; 0 on success, -1 when the connection ends. */
static int read_line(connection *c, char *line, size_t size) {
    size_t length = 0;
    for (;;) {
        while (c->start < c->end) {
            char ch = c->buffer[c->start++];
            if (ch == '\n') {
                if (length > 0 && line[length - 1] == '\r') {
                    length--;
                }
                line[length] = '\0';
                return 0;
            }
            if (length + 1 < size) {
                line[length++] = ch;
            }
        }
        ssize_t n = read(c->fd, c->buffer, sizeof c->buffer);
        if (n <= 0) {
            return -1;
        }
        c->start = 0;
        c->end = (size_t) n;
    }
}

/* Reads a whole reply, multi-line included, and leaves its last line in line. */
static int read_reply(connection *c, char *line, size_t size) {
    do {
        if (read_line(c, line, size) != 0) {
            return -1;
        }
    } while (strlen(line) >= 4 && line[3] == '-');
    return 0;
}

static int send_all(int fd, const char *text, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, text, length);
        if (n <= 0) {
            return -1;
        }
        text += n;
        length -= (size_t) n;
    }
    return 0;
}

/* Sends a command and checks the reply's first digit; -1 when the connection is unusable. */
static int command(connection *c, const char *text, char expected) {
    char line[1024];
    if (send_all(c->fd, text, strlen(text)) != 0 || read_reply(c, line, sizeof line) != 0) {
        return -1;
    }
    return line[0] == expected ? 0 : -1;
}

static int take_rcpt(void) {
    if (now_ns() > deadline_ns) {
        return -1;
    }
    int n = atomic_fetch_add(&next_rcpt, 1);
    return n < rcpts ? n : -1;
}

static int open_connection(connection *c) {
    char line[1024];
    c->start = c->end = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) {
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval timeout = { .tv_sec = 120 };
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *) &address, sizeof address) != 0
            || read_reply(c, line, sizeof line) != 0 || line[0] != '2'
            || command(c, "EHLO load.sender.example\r\n", '2') != 0) {
        close(c->fd);
        return -1;
    }
    atomic_fetch_add(&connections, 1);
    return 0;
}

static void *session(void *argument) {
    long index = (long) argument;
    uint64_t state = (uint64_t) (seed * 1000003L + index);
    int64_t due = now_ns() + (interval_ns > 0 ? (int64_t) (next_random(&state) % (uint64_t) interval_ns) : 0);
    connection *c = malloc(sizeof *c);
    char request[512], reply[1024];
    int n = take_rcpt();
    while (n >= 0) {
        if (open_connection(c) != 0) {
            n = take_rcpt();   /* counted as unanswered */
            continue;
        }
        int usable = 1;
        while (n >= 0 && usable) {
            usable = command(c, "MAIL FROM:<load@sender.example>\r\n", '2') == 0;
            for (int k = 0; k < per_mail && n >= 0 && usable; k++) {
                int address = random_order ? (int) (next_random(&state) % (uint64_t) pool) : n;
                int invalid = address % 100 < invalid_percent;
                int length = snprintf(request, sizeof request, "RCPT TO:<%s-%s-%d@%s>\r\n",
                        invalid ? "nobody" : "user", tag, address, domain);
                if (interval_ns > 0) {
                    /* on schedule; a session that fell behind catches up without waiting */
                    if (due > now_ns()) {
                        sleep_until(due);
                    }
                    due += interval_ns;
                }
                int64_t start = now_ns();
                if (send_all(c->fd, request, (size_t) length) != 0 || read_reply(c, reply, sizeof reply) != 0) {
                    usable = 0;
                    break;
                }
                latencies[n] = now_ns() - start;
                switch (reply[0]) {
                    case '2': atomic_fetch_add(&positive, 1); break;
                    case '4': atomic_fetch_add(&temporary, 1); break;
                    case '5': atomic_fetch_add(&permanent, 1); break;
                    default: break;
                }
                if (reply[0] != (invalid ? '5' : '2')) {
                    atomic_fetch_add(&wrong, 1);
                }
                usable = strncmp(reply, "421", 3) != 0;
                n = take_rcpt();
            }
            usable = usable && command(c, "RSET\r\n", '2') == 0;
        }
        if (usable) {
            command(c, "QUIT\r\n", '2');
        }
        close(c->fd);
    }
    free(c);
    return NULL;
}

static int compare(const void *a, const void *b) {
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted values, in milliseconds. */
static double percentile(const int64_t *sorted, long count, double percent) {
    if (count == 0) {
        return 0.0 / 0.0;
    }
    long rank = (long) __builtin_ceil(percent / 100.0 * (double) count);
    return (double) sorted[rank > 0 ? rank - 1 : 0] / 1e6;
}

static const char *value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "rcpt_latency: %s needs a value\n", argv[*i]);
        exit(2);
    }
    return argv[++*i];
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        if (i == 1 && strcmp(name, "load") == 0) continue;   /* as SmtpRcptLoad's command line */
        else if (strcmp(name, "--port") == 0) port = atoi(value(argc, argv, &i));
        else if (strcmp(name, "--sessions") == 0) sessions = atoi(value(argc, argv, &i));
        else if (strcmp(name, "--rcpts") == 0) rcpts = atoi(value(argc, argv, &i));
        else if (strcmp(name, "--domain") == 0) domain = value(argc, argv, &i);
        else if (strcmp(name, "--tag") == 0) tag = value(argc, argv, &i);
        else if (strcmp(name, "--pool") == 0) pool = atoi(value(argc, argv, &i));
        else if (strcmp(name, "--order") == 0) random_order = strcmp(value(argc, argv, &i), "random") == 0;
        else if (strcmp(name, "--invalid-percent") == 0) invalid_percent = atoi(value(argc, argv, &i));
        else if (strcmp(name, "--per-mail") == 0) per_mail = atoi(value(argc, argv, &i));
        else if (strcmp(name, "--rate") == 0) rate = atoi(value(argc, argv, &i));
        else if (strcmp(name, "--seed") == 0) seed = atol(value(argc, argv, &i));
        else if (strcmp(name, "--max-seconds") == 0) max_seconds = atoi(value(argc, argv, &i));
        else {
            fprintf(stderr, "rcpt_latency: unknown option %s\n", name);
            return 2;
        }
    }
    if (port <= 0 || sessions <= 0 || rcpts <= 0 || domain == NULL || pool <= 0 || per_mail <= 0) {
        fprintf(stderr, "rcpt_latency: --port, --sessions, --rcpts and --domain are required and positive\n");
        return 2;
    }
    latencies = malloc(sizeof *latencies * (size_t) rcpts);
    for (int i = 0; i < rcpts; i++) {
        latencies[i] = -1;
    }
    interval_ns = rate == 0 ? 0 : 1000000000LL * sessions / rate;
    deadline_ns = now_ns() + 1000000000LL * max_seconds;

    struct timespec wall_start, wall_end;
    clock_gettime(CLOCK_REALTIME, &wall_start);
    int64_t start = now_ns();
    pthread_t *threads = malloc(sizeof *threads * (size_t) sessions);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, 256 * 1024);
    for (long i = 0; i < sessions; i++) {
        if (pthread_create(&threads[i], &attributes, session, (void *) i) != 0) {
            fprintf(stderr, "rcpt_latency: cannot start session %ld\n", i);
            return 2;
        }
    }
    for (int i = 0; i < sessions; i++) {
        pthread_join(threads[i], NULL);
    }
    double wall = (double) (now_ns() - start) / 1e9;
    clock_gettime(CLOCK_REALTIME, &wall_end);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double cpu = (double) usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6
            + (double) usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;

    long answered = 0;
    for (int i = 0; i < rcpts; i++) {
        if (latencies[i] >= 0) {
            latencies[answered++] = latencies[i];
        }
    }
    qsort(latencies, (size_t) answered, sizeof *latencies, compare);
    long unanswered = rcpts - answered;
    char rate_text[16] = "max";
    if (rate > 0) {
        snprintf(rate_text, sizeof rate_text, "%d", rate);
    }
    printf("sessions=%d rcpts=%d per_mail=%d invalid_percent=%d order=%s rate=%s connections=%ld cpu_s=%.2f client=c\n",
            sessions, rcpts, per_mail, invalid_percent, random_order ? "random" : "sequential", rate_text,
            (long) connections, cpu);
    printf("answered=%ld unanswered=%ld positive=%ld temporary=%ld permanent=%ld wrong=%ld wall_s=%.3f rcpt_per_s=%.1f"
            " p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f start_ms=%lld end_ms=%lld\n",
            answered, unanswered, (long) positive, (long) temporary, (long) permanent, (long) wrong, wall,
            answered / wall, percentile(latencies, answered, 50), percentile(latencies, answered, 90),
            percentile(latencies, answered, 99), percentile(latencies, answered, 99.9),
            percentile(latencies, answered, 100),
            (long long) wall_start.tv_sec * 1000 + wall_start.tv_nsec / 1000000,
            (long long) wall_end.tv_sec * 1000 + wall_end.tv_nsec / 1000000);
    return (unanswered + wrong) * 100 > rcpts ? 1 : 0;
}
