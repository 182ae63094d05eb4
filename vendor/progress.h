/* progress.h - a progress line on stderr for long work: "label  done/total  rate/s  ETA".
 *
 * Printed only when stderr is a terminal and the process is not quiet (progress_set_quiet), at
 * most every 0.2 s, overwritten in place with '\r' and finished with a newline. Thread-safe
 * updates (progress_add from workers). Library code may print through this and nothing else.
 * Covered by test/vendor/test_progress.c (formatting of rate and ETA). */
#ifndef SARC_PROGRESS_H
#define SARC_PROGRESS_H

#include <stdint.h>

struct progress {
    const char *label;
    const char *unit; /* e.g. "scans", "patches"; NULL = "items" */
    int64_t total, done;
    double t0, last;
    int enabled;
};

void progress_set_quiet(int quiet);
void progress_begin(struct progress *p, const char *label, int64_t total, const char *unit);
void progress_add(struct progress *p, int64_t n); /* thread-safe */
void progress_end(struct progress *p);

/* Formats the line without printing it (for tests). */
void progress_format(char *buf, int size, const char *label, int64_t done, int64_t total,
                     const char *unit, double elapsed);

/* Monotonic seconds. */
double time_now(void);

#endif
