/* progress.c - see progress.h. */
#include "vendor/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int quiet;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

void progress_set_quiet(int q) { quiet = q; }

double time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fmt_duration(char *b, int size, double s)
{
    if (s < 0 || s > 1e7)
        snprintf(b, (size_t)size, "--:--");
    else if (s >= 3600)
        snprintf(b, (size_t)size, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else
        snprintf(b, (size_t)size, "%02d:%02d", (int)(s / 60), (int)s % 60);
}

void progress_format(char *buf, int size, const char *label, int64_t done, int64_t total,
                     const char *unit, double elapsed)
{
    const double rate = elapsed > 0 ? (double)done / elapsed : 0;
    char eta[16];
    fmt_duration(eta, sizeof eta, rate > 0 ? (double)(total - done) / rate : -1);
    snprintf(buf, (size_t)size, "%s %lld/%lld %s  %.3g/s  ETA %s", label, (long long)done,
             (long long)total, unit ? unit : "items", rate, eta);
}

static void draw(struct progress *p, double now, int final)
{
    char line[256];
    progress_format(line, sizeof line, p->label, p->done, p->total, p->unit, now - p->t0);
    fprintf(stderr, "\r%s\033[K%s", line, final ? "\n" : "");
    fflush(stderr);
}

void progress_begin(struct progress *p, const char *label, int64_t total, const char *unit)
{
    p->label = label;
    p->unit = unit;
    p->total = total;
    p->done = 0;
    p->t0 = p->last = time_now();
    p->enabled = !quiet && isatty(2);
}

void progress_add(struct progress *p, int64_t n)
{
    pthread_mutex_lock(&mu);
    p->done += n;
    if (p->enabled) {
        double now = time_now();
        if (now - p->last >= 0.2) {
            p->last = now;
            draw(p, now, 0);
        }
    }
    pthread_mutex_unlock(&mu);
}

void progress_end(struct progress *p)
{
    if (p->enabled)
        draw(p, time_now(), 1);
    p->enabled = 0;
}
