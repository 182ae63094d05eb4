/* n4.c - benchmark of N4 (image/n4.c) against SimpleITK's N4BiasFieldCorrectionImageFilter on the
 * same 280 x 280 x 60 volume (0.1 x 0.1 x 0.5 mm leg phantom with a known smooth bias, from the
 * integer hash shared with test/bench/sitk_n4.py), the same settings, the same mask and the same
 * thread count ($SARC_BENCH_THREADS, default 2). Settings: $SARC_BENCH_N4 = "paper" (default: the
 * study's ANTs call, shrink 4, 3 x 100 iterations; SimpleITK is given the same shrunk image and
 * mask and the bias is read back at full resolution) or "default" (SimpleITK's filter defaults:
 * no shrink, 4 x 50 iterations; the peer then takes several minutes of CPU). Refuses to time a wrong answer:
 * the recovered log-bias must correlate >= 0.93 with the true one (SimpleITK: 0.9366 with its
 * defaults, 0.9855 with the paper preset). Measured 2026-12-04 on the shared 2-core machine (load
 * about 4), 2 threads each: paper preset sarc 0.19 s wall / 0.08 s CPU, SimpleITK 1.53 s / 1.21 s
 * (8x wall, 15x CPU); defaults sarc 4.6 s wall / 3.7 s CPU (SimpleITK: 347 s CPU earlier). Wall and
 * process CPU times are both reported (CPU time is the fairer figure on a shared machine). The peer runs through
 * $SARC_PYTHON (default /work/oracle-venv/bin/python) when present; the ratio is printed.
 * Also times a 3 mm dilation (image/morph.c) of the 280 x 280 x 60 body mask (issue 8: "well
 * under a second"), after checking 500 voxels of it against a brute-force search. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image/morph.h"
#include "image/n4.h"
#include "vendor/pool.h"
#include "vendor/progress.h"

static double hash01(uint64_t i, uint32_t seed)
{
    uint32_t x = (uint32_t)(i * 2654435761u) + seed;
    x ^= x >> 15;
    x *= 2246822519u;
    x ^= x >> 13;
    x *= 3266489917u;
    x ^= x >> 16;
    return (double)x / 4294967296.0;
}

int main(void)
{
    const int nx = 280, ny = 280, nz = 60;
    const char *th = getenv("SARC_BENCH_THREADS");
    const int threads = th ? atoi(th) : 2;
    pool_set_default_threads(threads);
    progress_set_quiet(1);
    const int64_t dim[4] = {nx, ny, nz, 1};
    struct volume v, cor, bias;
    struct sarc_err e = {0};
    if (volume_alloc(&v, 3, dim, &e)) {
        fprintf(stderr, "bench n4: %s\n", e.msg);
        return 1;
    }
    const double sp[3] = {0.1, 0.1, 0.5};
    volume_set_spacing(&v, sp, NULL);
    const int64_t n = volume_count(&v);
    uint8_t *body = malloc((size_t)n);
    double *tlb = malloc(sizeof(double) * (size_t)n);
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                const int64_t idx = i + (int64_t)nx * (j + (int64_t)ny * k);
                const double x = (i - 139.5) * 0.1, y = (j - 139.5) * 0.1, z = (k - 29.5) * 0.5;
                const double rb = (x / 12.0) * (x / 12.0) + (y / 11.0) * (y / 11.0);
                const int in = rb < 1.0;
                const int tum = ((x - 2.0) / 4.0) * ((x - 2.0) / 4.0) + ((y + 1.0) / 3.5) * ((y + 1.0) / 3.5) + (z / 8.0) * (z / 8.0) < 1.0;
                const double t = (in ? (rb > 0.8 ? 160.0 : tum ? 130.0 : 100.0) : 4.0) + 10.0 * (hash01((uint64_t)idx, 41) - 0.5);
                const double lb = 0.3 * ((double)i / nx - 0.5) - 0.2 * ((double)k / nz - 0.5) + 0.1 * sin(j / 60.0);
                v.data[idx] = (float)(t * exp(lb));
                body[idx] = (uint8_t)in;
                tlb[idx] = lb;
            }
    const char *mode = getenv("SARC_BENCH_N4") ? getenv("SARC_BENCH_N4") : "paper";
    const int paper = strcmp(mode, "default") != 0;
    struct n4_params p;
    if (paper)
        n4_params_paper(&p);
    else
        n4_params_default(&p);
    const double t0 = time_now();
    const clock_t c0 = clock();
    if (n4_correct(&v, body, NULL, &p, &cor, &bias, &e)) {
        fprintf(stderr, "bench n4: %s\n", e.msg);
        return 1;
    }
    const double dt = time_now() - t0, dc = (double)(clock() - c0) / CLOCKS_PER_SEC;
    /* check before timing counts: correlation with the true log-bias inside the body */
    double ma = 0, mb = 0, c = 0;
    for (int64_t i = 0; i < n; i++)
        if (body[i])
            ma += log(bias.data[i]), mb += tlb[i], c++;
    ma /= c, mb /= c;
    double sab = 0, saa = 0, sbb = 0;
    for (int64_t i = 0; i < n; i++)
        if (body[i]) {
            const double a = log(bias.data[i]) - ma, b = tlb[i] - mb;
            sab += a * b, saa += a * a, sbb += b * b;
        }
    const double r = sab / sqrt(saa * sbb);
    printf("n4 bench: %dx%dx%d, %s, %d threads\n", nx, ny, nz,
           paper ? "the study's settings (shrink 4, 3 x 100 its, threshold 0.005, FWHM 0.3, 200 bins, 4 control points)"
                 : "SimpleITK defaults (4 x 50 its, 200 bins, 4 control points)",
           threads);
    /* SimpleITK itself reaches r = 0.9366 on this volume with its defaults and 0.9855 with the
     * paper preset (measured 2026-12-04, sarc equal to 5 digits); 0.93 flags a wrong answer
     * without failing a right one */
    if (!(r >= 0.93)) {
        printf("n4 bench: WRONG ANSWER, r(true) = %.5f < 0.93; not timing\n", r);
        return 1;
    }
    printf("sarc n4: %.3f s wall, %.3f s CPU, r(true) %.5f\n", dt, dc, r);
    const char *py = getenv("SARC_PYTHON") ? getenv("SARC_PYTHON") : "/work/oracle-venv/bin/python";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s test/bench/sitk_n4.py %d %s 2>/dev/null", py, threads, paper ? "paper" : "default");
    FILE *f = access(py, X_OK) == 0 ? popen(cmd, "r") : NULL;
    double st = -1, sc = -1, sr = -1;
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            sscanf(line, "sitk_seconds %lf", &st);
            sscanf(line, "sitk_cpu_seconds %lf", &sc);
            sscanf(line, "sitk_r_true %lf", &sr);
        }
        pclose(f);
    }
    if (st > 0)
        printf("SimpleITK N4: %.3f s wall, %.3f s CPU, r(true) %.5f; ratio SimpleITK / sarc = %.1fx wall, %.1fx CPU\n",
               st, sc, sr, st / dt, sc / dc);
    else
        printf("SimpleITK peer not available (%s with SimpleITK); no ratio\n", py);
    /* 3 mm dilation of the tumour-like ellipsoid: brute-force check of sampled voxels, then time */
    uint8_t *m = malloc((size_t)n), *d = malloc((size_t)n);
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                const double x = (i - 139.5) * 0.1, y = (j - 139.5) * 0.1, z = (k - 29.5) * 0.5;
                m[i + (int64_t)nx * (j + (int64_t)ny * k)] = (x / 4.0) * (x / 4.0) + (y / 3.5) * (y / 3.5) + (z / 8.0) * (z / 8.0) < 1.0;
            }
    const double td0 = time_now();
    if (morph_apply(MORPH_DILATE, m, v.dim, sp, 3.0, d, &e)) {
        fprintf(stderr, "bench morph: %s\n", e.msg);
        return 1;
    }
    const double tdil = time_now() - td0;
    int wrong = 0;
    for (int s = 0; s < 500; s++) {
        const int64_t q = (int64_t)(hash01((uint64_t)s, 77) * (double)n);
        const int qi = (int)(q % nx), qj = (int)((q / nx) % ny), qk = (int)(q / ((int64_t)nx * ny));
        int want = 0;
        for (int k = qk - 6; k <= qk + 6 && !want; k++)
            for (int j = qj - 30; j <= qj + 30 && !want; j++)
                for (int i = qi - 30; i <= qi + 30 && !want; i++) {
                    if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz || !m[i + (int64_t)nx * (j + (int64_t)ny * k)])
                        continue;
                    const double dx = (i - qi) * 0.1, dy = (j - qj) * 0.1, dz = (k - qk) * 0.5;
                    want = dx * dx + dy * dy + dz * dz <= 9.0 + 1e-9;
                }
        wrong += want != d[q];
    }
    if (wrong) {
        printf("morph bench: WRONG ANSWER at %d of 500 sampled voxels; not timing\n", wrong);
        return 1;
    }
    printf("sarc morph dilate 3 mm, 280x280x60 (0.1 x 0.1 x 0.5 mm), %d threads: %.3f s (500 sampled voxels match brute force)\n",
           threads, tdil);
    free(m), free(d);
    volume_free(&v), volume_free(&cor), volume_free(&bias);
    free(body), free(tlb);
    pool_default_free();
    return 0;
}
