/* scale.c - z-score standardisation (see scale.h). Covered by test/stats/test_classify.c. */
#include "stats/scale.h"

#include <math.h>
#include <stddef.h>

void zscore_fit(const double *x, int p, const int *rows, int nr, double *mean, double *sd)
{
    for (int j = 0; j < p; j++) {
        double s = 0;
        for (int i = 0; i < nr; i++)
            s += x[(size_t)(rows ? rows[i] : i) * p + j];
        const double m = nr ? s / nr : 0;
        double ss = 0;
        for (int i = 0; i < nr; i++) {
            const double d = x[(size_t)(rows ? rows[i] : i) * p + j] - m;
            ss += d * d;
        }
        const double v = nr ? sqrt(ss / nr) : 0;
        mean[j] = m;
        sd[j] = v > 0 ? v : 1.0;
    }
}

void zscore_apply(const double *x, int p, const int *rows, int nr, const double *mean, const double *sd,
                  double *out)
{
    for (int i = 0; i < nr; i++)
        for (int j = 0; j < p; j++)
            out[(size_t)i * p + j] = (x[(size_t)(rows ? rows[i] : i) * p + j] - mean[j]) / sd[j];
}
