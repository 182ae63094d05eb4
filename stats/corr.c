/* corr.c - correlation matrices (see corr.h): the selected columns are copied (ranked for
 * Spearman), centred, and the normalised cross products summed in double in row order.
 * Covered by test/stats/test_corr.c. */
#include "stats/corr.h"

#include <math.h>
#include <stdlib.h>

#include "stats/ttest.h"

int corr_matrix(const double *x, int n, int p, const int *rows, int nr, const int *cols, int k, int spearman,
                double *out, struct sarc_err *e)
{
    if (!rows)
        nr = n;
    if (nr < 2)
        return ERR(e, SARC_ERR_ARG, "%d rows: a correlation needs at least 2", nr);
    for (int j = 0; j < k; j++)
        if (cols[j] < 0 || cols[j] >= p)
            return ERR(e, SARC_ERR_ARG, "column %d out of range 0..%d", cols[j], p - 1);
    double *c = malloc(sizeof *c * (size_t)nr * (k > 0 ? k : 1)); /* (k, nr) column-major copy */
    double *tmp = malloc(sizeof *tmp * (size_t)nr * 2), *nrm = malloc(sizeof *nrm * (size_t)(k > 0 ? k : 1));
    int *idx = malloc(sizeof *idx * (size_t)nr * 2);
    if (!c || !tmp || !idx || !nrm) {
        free(c);
        free(tmp);
        free(idx);
        free(nrm);
        return ERR(e, SARC_ERR_NOMEM, "out of memory for a %d x %d correlation", k, k);
    }
    for (int j = 0; j < k; j++) {
        double *cj = c + (size_t)j * nr;
        for (int i = 0; i < nr; i++)
            cj[i] = x[(size_t)(rows ? rows[i] : i) * p + cols[j]];
        if (spearman) {
            for (int i = 0; i < nr; i++)
                tmp[i] = cj[i];
            rank_average(tmp, nr, cj, idx);
        }
        double s = 0;
        for (int i = 0; i < nr; i++)
            s += cj[i];
        const double m = s / nr;
        double ss = 0;
        for (int i = 0; i < nr; i++) {
            cj[i] -= m;
            ss += cj[i] * cj[i];
        }
        nrm[j] = sqrt(ss);
    }
    for (int a = 0; a < k; a++)
        for (int b = a; b < k; b++) {
            const double *ca = c + (size_t)a * nr, *cb = c + (size_t)b * nr;
            double s = 0;
            for (int i = 0; i < nr; i++)
                s += ca[i] * cb[i];
            double r = s / (nrm[a] * nrm[b]);
            if (!(nrm[a] > 0 && nrm[b] > 0))
                r = NAN;
            else if (a == b)
                r = 1; /* exact on the diagonal */
            else if (r > 1)
                r = 1; /* numpy clips to [-1, 1] as well */
            else if (r < -1)
                r = -1;
            out[(size_t)a * k + b] = out[(size_t)b * k + a] = r;
        }
    free(c);
    free(tmp);
    free(idx);
    free(nrm);
    return 0;
}
