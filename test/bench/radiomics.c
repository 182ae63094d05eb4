/* radiomics.c - benchmark of `sarc radiomics` (radiomics/rad_extract) and of the voxel-based
 * feature maps against PyRadiomics (C extensions on) on the same cases and settings, single
 * thread, CPU time (the machine may be shared), side by side in one run (test/bench/pyradiomics_peer.py through $SARC_PYTHON, default
 * /work/oracle-venv/bin/python). Cases: brain1 (256x256x25, 4137 ROI voxels, PyRadiomics' plain
 * configuration, 107 features; from ../shared, skipped when absent) and a mouse-sized phantom
 * (96x96x32 voxels of 0.1x0.1x0.3 mm, an ellipsoid tumour of 22837 voxels, generated from
 * vendor/rng). Feature maps (PyRadiomics' voxel-based mode, kernelRadius 1): (a) firstorder +
 * glcm and (b) all default classes, on 20x18x10 and 40x36x16 phantoms (271 and 1797 ROI
 * voxels), sarc with 1 thread (CPU and wall time) and 2 threads (wall time) against
 * PyRadiomics (single-threaded, CPU time). SARC_BENCH_ONLY=featuremap runs only the maps.
 * Check before timing: every feature must equal PyRadiomics' within 1e-6 relative (the four
 * brain1 mesh values: 2e-3, see the reference README; maps: the sum of every map), else nothing
 * is timed. Each line prints the 1-minute load average: the 2-thread map figures need a free
 * second core (with another process on it they equal the 1-thread ones). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image/phantom.h"
#include "io/volio.h"
#include "radiomics/featuremap.h"
#include "radiomics/radiomics.h"
#include "vendor/pool.h"
#include "vendor/progress.h"
#include "vendor/rng.h"

static const char *python(void)
{
    const char *p = getenv("SARC_PYTHON");
    return p ? p : "/work/oracle-venv/bin/python";
}

struct peer {
    int ok, n;
    char name[512][96];
    double val[512];
    double median, min;
};

/* Runs the peer; fills p (p->ok = 0 when Python or PyRadiomics is unavailable). */
static void peer_run(const char *image, const char *mask, const char *params, int repeat, int voxel, struct peer *p)
{
    memset(p, 0, sizeof *p);
    if (access(python(), X_OK) != 0)
        return;
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s test/bench/pyradiomics_peer.py %s %s %s %d %s 2>/dev/null", python(), image, mask, params, repeat, voxel ? "voxel" : "");
    FILE *f = popen(cmd, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char nm[96];
        double v, w;
        if ((sscanf(line, "feature %95s %lf", nm, &v) == 2 || sscanf(line, "voxelsum %95s %lf", nm, &v) == 2) && p->n < 512) {
            strcpy(p->name[p->n], nm);
            p->val[p->n++] = v;
        } else if (sscanf(line, "time %lf %lf", &v, &w) == 2) {
            p->median = v;
            p->min = w;
            p->ok = 1;
        }
    }
    if (pclose(f) != 0)
        p->ok = 0;
}

/* CPU seconds of this process: the machine may be shared, and both sides run single-threaded,
 * so CPU time compares them more fairly than wall time (the peer uses time.process_time). */
static double cpu_now(void)
{
    return (double)clock() / CLOCKS_PER_SEC;
}

/* The 1-minute load average (/proc/loadavg; NAN where absent): on a shared machine the
 * 2-thread figures mean little when another process holds a core. */
static double load_avg(void)
{
    double v = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &v) != 1)
            v = NAN;
        fclose(f);
    }
    return v;
}

static int cmp_d(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Checks a result against the peer; returns the number of mismatches (prints the first few). */
static int check(const char *what, const struct rad_result *r, const struct peer *p, int brain1)
{
    int bad = 0;
    for (int t = 0; t < p->n; t++) {
        double v = NAN;
        for (int q = 0; q < r->n; q++)
            if (!strcmp(r->names[q], p->name[t]))
                v = r->values[q];
        double tol = 1e-6 * fabs(p->val[t]) + 1e-12;
        if (brain1 && (strstr(p->name[t], "MeshVolume") || strstr(p->name[t], "SurfaceArea") ||
                       strstr(p->name[t], "SurfaceVolumeRatio") || strstr(p->name[t], "Sphericity")))
            tol = 2e-3 * fabs(p->val[t]);
        if (!((isnan(v) && isnan(p->val[t])) || fabs(v - p->val[t]) <= tol)) {
            if (bad < 5)
                printf("  %s: %s = %.17g, PyRadiomics %.17g\n", what, p->name[t], v, p->val[t]);
            bad++;
        }
    }
    return bad;
}

static double time_extract(const struct volume *img, const struct volume *msk, const struct rad_settings *s, int reps, double *tmin)
{
    double t[32];
    for (int k = 0; k < reps; k++) {
        struct rad_result r;
        struct sarc_err e;
        const double t0 = cpu_now();
        if (rad_extract(img, msk, s, "original", &r, &e))
            return NAN;
        t[k] = cpu_now() - t0;
        rad_result_free(&r);
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_d);
    *tmin = t[0];
    return t[reps / 2];
}

/* A mouse-sized phantom: ellipsoid tumour with textured intensities (Philox draws by voxel). */
static int make_phantom(struct volume *img, struct volume *msk, int nx, int ny, int nz)
{
    const int64_t dim[4] = {nx, ny, nz, 1};
    struct sarc_err e;
    if (volume_alloc(img, 3, dim, &e) || volume_alloc(msk, 3, dim, &e))
        return -1;
    const double sp[3] = {0.1, 0.1, 0.3};
    volume_set_spacing(img, sp, NULL);
    volume_set_spacing(msk, sp, NULL);
    img->type = VT_I16;
    msk->type = VT_U8;
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                const int64_t t = i + (int64_t)nx * (j + (int64_t)ny * k);
                const double x = (i - nx / 2.0) * 0.1 / (nx * 0.028), y = (j - ny / 2.0) * 0.1 / (ny * 0.022), z = (k - nz / 2.0) * 0.3 / (nz * 0.09);
                const double r2 = x * x + y * y + z * z;
                uint32_t ctr[4] = {(uint32_t)t, 7, 0, 0}, key[2] = {42, 1}, out[4];
                philox4x32_10(ctr, key, out);
                const double u = (out[0] + 0.5) / 4294967296.0;
                img->data[t] = floor(300 + 150 * exp(-r2) + 60 * u + 20 * sin(i * 0.7) * cos(j * 0.5));
                msk->data[t] = r2 <= 1.0;
            }
    return 0;
}

static int write_yaml(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* A generated case's files in dir: <img>.nii.gz, <img>_mask.nii.gz and <params>.yaml holding
 * yaml_text; s = the defaults updated from that file; returns the ROI voxel count of msk. */
static int64_t case_setup(const char *dir, const char *img, const char *params, const char *yaml_text,
                          const struct volume *msk, char *pimg, char *pmsk, char *yaml, size_t len,
                          struct rad_settings *s, struct sarc_err *e)
{
    snprintf(pimg, len, "%s/%s.nii.gz", dir, img);
    snprintf(pmsk, len, "%s/%s_mask.nii.gz", dir, img);
    snprintf(yaml, len, "%s/%s.yaml", dir, params);
    write_yaml(yaml, yaml_text);
    rad_settings_default(s);
    rad_params_read(s, yaml, e);
    int64_t nroi = 0;
    for (int64_t t = 0; t < volume_count(msk); t++)
        nroi += msk->data[t] != 0;
    return nroi;
}

/* Runs the peer on (pimg, pmsk, yaml) `peer_reps` times, checks rad_extract of (img, msk) against
 * it, and when they agree times `reps` runs; three such rounds (peer, then sarc), and prints
 * `label: sarc median ...` with the median of the three ratios.
 * Returns 0, 1 when features differ (not timed), -1 when rad_extract fails (message printed). */
static int bench_extract(const char *name, const char *label, const struct volume *img, const struct volume *msk,
                         const struct rad_settings *s, const char *pimg, const char *pmsk, const char *yaml,
                         int peer_reps, int brain1, int reps, struct sarc_err *e)
{
    /* ROUNDS alternating rounds (the peer, then sarc): on a shared virtual machine the speed
     * drifts by up to 1.5x over seconds, so each ratio compares neighbouring timings and the
     * median ratio is reported */
    enum { ROUNDS = 3 };
    static struct peer p;
    double ts[ROUNDS], tp[ROUNDS], ratio[ROUNDS], tmin_all = INFINITY;
    int nr = 0, npeer = 0, n_checked = 0;
    for (int round = 0; round < ROUNDS; round++) {
        peer_run(pimg, pmsk, yaml, peer_reps, 0, &p);
        if (round == 0) {
            struct rad_result r;
            if (rad_extract(img, msk, s, "original", &r, e)) {
                fprintf(stderr, "bench radiomics: %s: %s\n", name, e->msg);
                return -1;
            }
            const int bad = p.ok ? check(name, &r, &p, brain1) : 0;
            rad_result_free(&r);
            if (bad) {
                printf("%s: %d features differ from PyRadiomics; not timed\n", name, bad);
                return 1;
            }
            n_checked = p.n;
        }
        double tmin = NAN; /* time_extract leaves it unset when rad_extract fails */
        ts[nr] = time_extract(img, msk, s, reps, &tmin);
        if (tmin < tmin_all)
            tmin_all = tmin;
        if (p.ok) {
            tp[npeer] = p.median;
            ratio[npeer] = p.median / ts[nr];
            npeer++;
        }
        nr++;
        if (!p.ok)
            break; /* no peer: one round of sarc timings */
    }
    qsort(ts, (size_t)nr, sizeof *ts, cmp_d);
    printf("%s (load average %.2f): sarc median %.4f s (min %.4f)", label, load_avg(), ts[nr / 2], tmin_all);
    if (npeer) {
        qsort(tp, (size_t)npeer, sizeof *tp, cmp_d);
        qsort(ratio, (size_t)npeer, sizeof *ratio, cmp_d);
        printf(", PyRadiomics median %.3f s: %.1fx faster (median of %d alternating rounds; lowest %.1fx) (%d features checked)\n",
               tp[npeer / 2], ratio[npeer / 2], npeer, ratio[0], n_checked);
    } else {
        printf(", PyRadiomics unavailable\n");
    }
    return 0;
}

/* Voxel-based maps on an nx x ny x nz phantom with the settings of yaml_text: the peer three
 * times (PyRadiomics voxel-based, single thread, CPU time, median: a single run varied by 20 %
 * between bench runs), a check of every map's sum against it
 * (1e-6 relative), then 9 runs of featuremap_compute: CPU time with 1 thread (median), wall
 * time with 1 and 2 threads, median and minimum of 9 (the maps are identical for any thread
 * count). Returns 0, 1 when a
 * map differs (not timed), -1 on failure. */
static int bench_maps_vol(const char *dir, const char *name, const char *casedesc, struct volume img,
                          struct volume msk, const char *tag, const char *yaml_text, const char *what,
                          struct sarc_err *e)
{
    char pimg[1100], pmsk[1100], yaml[1100];
    char yname[64];
    snprintf(yname, sizeof yname, "voxel_%s", tag);
    struct rad_settings s;
    const int64_t nroi = case_setup(dir, name, yname, yaml_text, &msk, pimg, pmsk, yaml, sizeof pimg, &s, e);
    int status = 0;
    if (volume_write(pimg, &img, NULL, e) || volume_write(pmsk, &msk, NULL, e)) {
        printf("featuremap: cannot write the inputs for the peer (%s)\n", e->msg);
        goto done;
    }
    struct peer p;
    peer_run(pimg, pmsk, yaml, 3, 1, &p);
    struct featuremap fm;
    pool_set_default_threads(1);
    if (featuremap_compute(&img, &msk, &s, &fm, e)) {
        fprintf(stderr, "bench radiomics: featuremap: %s\n", e->msg);
        status = -1;
        goto done;
    }
    int bad = 0;
    for (int t = 0; t < p.n; t++) {
        int found = 0;
        for (int f = 0; f < fm.n; f++)
            if (!strcmp(fm.names[f], p.name[t])) {
                found = 1;
                double sum = 0;
                for (int64_t q = 0; q < volume_count(&fm.maps[f]); q++)
                    if (!isnan(fm.maps[f].data[q]))
                        sum += fm.maps[f].data[q];
                if (!(fabs(sum - p.val[t]) <= 1e-6 * fabs(p.val[t]) + 1e-9)) {
                    if (bad < 5)
                        printf("  featuremap: sum of %s = %.17g, PyRadiomics %.17g\n", p.name[t], sum, p.val[t]);
                    bad++;
                }
            }
        bad += !found;
    }
    const int nmaps = fm.n;
    featuremap_free(&fm);
    if (bad) {
        printf("featuremap %s: %d maps differ from PyRadiomics; not timed\n", what, bad);
        status = 1;
        goto done;
    }
    double tm = NAN, w[3] = {0, 0, 0}, wmin[3] = {0, 0, 0};
    for (int th = 1; th <= 2; th++) {
        pool_set_default_threads(th);
        double tc[9], tw[9];
        for (int k = 0; k < 9; k++) {
            struct timespec a0, a1;
            clock_gettime(CLOCK_MONOTONIC, &a0);
            const double c0 = cpu_now();
            if (featuremap_compute(&img, &msk, &s, &fm, e)) {
                fprintf(stderr, "bench radiomics: featuremap: %s\n", e->msg);
                status = -1;
                goto done;
            }
            tc[k] = cpu_now() - c0;
            clock_gettime(CLOCK_MONOTONIC, &a1);
            tw[k] = (double)(a1.tv_sec - a0.tv_sec) + 1e-9 * (double)(a1.tv_nsec - a0.tv_nsec);
            featuremap_free(&fm);
        }
        qsort(tc, 9, sizeof *tc, cmp_d);
        qsort(tw, 9, sizeof *tw, cmp_d);
        if (th == 1)
            tm = tc[4];
        w[th] = tw[4];
        wmin[th] = tw[0];
    }
    /* wall-time minima too: on a shared machine the second core is free only at times */
    printf("featuremap kernelRadius 1, %s, %s, %lld ROI voxels (load average %.2f): sarc median %.4f s CPU (1 thread), wall median (min) %.4f (%.4f) s 1 thread, %.4f (%.4f) s 2 threads",
           what, casedesc, (long long)nroi, load_avg(), tm, w[1], wmin[1], w[2], wmin[2]);
    if (p.ok)
        printf(", PyRadiomics voxel-based %.3f s CPU (median of 3): %.1fx faster (1 thread, CPU), %.1fx / %.1fx (1 / 2 threads, wall median), %.1fx / %.1fx (1 / 2 threads, wall min) (%d map sums checked)\n",
               p.median, p.median / tm, p.median / w[1], p.median / w[2], p.median / wmin[1], p.median / wmin[2], nmaps);
    else
        printf(", PyRadiomics unavailable\n");
done:
    pool_set_default_threads(1);
    volume_free(&img);
    volume_free(&msk);
    return status;
}

/* bench_maps_vol on the nx x ny x nz synthetic phantom (make_phantom). */
static int bench_maps(const char *dir, const int n[3], const char *tag, const char *yaml_text, const char *what,
                      struct sarc_err *e)
{
    struct volume img = {0}, msk = {0};
    if (make_phantom(&img, &msk, n[0], n[1], n[2]))
        return -1;
    char name[64], desc[96];
    snprintf(name, sizeof name, "maps%dx%dx%d", n[0], n[1], n[2]);
    snprintf(desc, sizeof desc, "%dx%dx%d phantom", n[0], n[1], n[2]);
    return bench_maps_vol(dir, name, desc, img, msk, tag, yaml_text, what, e);
}

/* A case like the paper's Figure 4B maps: T2 of cohort mouse 1 before treatment (sarc phantom
 * defaults, 280 x 280 x 60, 0.1 x 0.1 x 0.3 mm), the study's binning (z-scored image,
 * normalizeScale 100, binWidth 25), ROI = the tumour label on `nslices` axial slices through its
 * middle (the whole tumour, ~50 k voxels, would keep PyRadiomics busy for minutes per run). */
static int bench_maps_cohort(const char *dir, int nslices, int half, const char *tag, const char *yaml_text, const char *what,
                             struct sarc_err *e)
{
    struct phantom_params pp;
    phantom_params_default(&pp);
    pp.mice = 1;
    struct phantom_scan sc;
    if (phantom_scan_generate(&pp, 0, 0, &sc, e))
        return -1;
    struct volume img = sc.img[PHANTOM_T2], msk = sc.label;
    memset(&sc.img[PHANTOM_T2], 0, sizeof img);
    memset(&sc.label, 0, sizeof msk);
    phantom_scan_free(&sc);
    const int64_t nx = msk.dim[0], ny = msk.dim[1], nz = msk.dim[2], plane = nx * ny;
    int64_t k0 = -1, k1 = -1;
    for (int64_t k = 0; k < nz; k++)
        for (int64_t q = 0; q < plane; q++)
            if (msk.data[k * plane + q] != 0) {
                if (k0 < 0)
                    k0 = k;
                k1 = k;
                break;
            }
    const int64_t lo = (k0 + k1) / 2 - (nslices - 1) / 2, hi = lo + nslices - 1;
    for (int64_t k = 0; k < nz; k++)
        if (k < lo || k > hi)
            for (int64_t q = 0; q < plane; q++)
                msk.data[k * plane + q] = 0;
    /* half > 0: only the (2 half + 1)^2 in-plane block around the tumour's centre on the middle
     * slice (a 3-D block of tumour whose dense matrices still fit PyRadiomics' memory) */
    if (half > 0) {
        const int64_t km = (k0 + k1) / 2;
        double si = 0, sj = 0, sn = 0;
        for (int64_t q = 0; q < plane; q++)
            if (msk.data[km * plane + q] != 0) {
                si += (double)(q % nx);
                sj += (double)(q / nx);
                sn++;
            }
        const int64_t ci = (int64_t)(si / sn), cj = (int64_t)(sj / sn);
        for (int64_t k = 0; k < nz; k++)
            for (int64_t q = 0; q < plane; q++)
                if (llabs(q % nx - ci) > half || llabs(q / nx - cj) > half)
                    msk.data[k * plane + q] = 0;
    }
    char desc[200];
    if (half > 0)
        snprintf(desc, sizeof desc, "cohort mouse 1 pre T2 (280x280x60, 0.1x0.1x0.3 mm), tumour in a %dx%dx%d block at its centre, z-score x 100, binWidth 25",
                 2 * half + 1, 2 * half + 1, nslices);
    else
        snprintf(desc, sizeof desc, "cohort mouse 1 pre T2 (280x280x60, 0.1x0.1x0.3 mm), tumour on %d middle slice%s, z-score x 100, binWidth 25",
                 nslices, nslices > 1 ? "s" : "");
    return bench_maps_vol(dir, half > 0 ? "cohort_m01_pre_T2_block" : "cohort_m01_pre_T2", desc, img, msk, tag, yaml_text, what, e);
}

int main(void)
{
    pool_set_default_threads(1);
    progress_set_quiet(1);
    char dir[] = "/tmp/sarc-bench-radiomics-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench radiomics: cannot make a temporary folder\n");
        return 1;
    }
    printf("radiomics benchmark: single thread, CPU seconds, sarc rad_extract vs PyRadiomics via %s (%ld CPUs online, load average %.2f)\n",
           python(), sysconf(_SC_NPROCESSORS_ONLN), load_avg());
    int status = 0;
    struct sarc_err e = {0};
    /* SARC_BENCH_ONLY=featuremap: only the voxel-based maps */
    const char *only = getenv("SARC_BENCH_ONLY");
    const int maps_only = only && !strcmp(only, "featuremap");
    /* ---- brain1 ---- */
    const char *shared = getenv("SARC_SHARED");
    char bimg[1024], bmsk[1024];
    snprintf(bimg, sizeof bimg, "%s/data/pyradiomics/brain1_image.nrrd", shared ? shared : "../shared");
    snprintf(bmsk, sizeof bmsk, "%s/data/pyradiomics/brain1_label.nrrd", shared ? shared : "../shared");
    struct volume img = {0}, msk = {0};
    if (!maps_only && volume_read(bimg, NULL, &img, &e) == 0 && volume_read(bmsk, NULL, &msk, &e) == 0) {
        char yaml[1100];
        snprintf(yaml, sizeof yaml, "%s/brain1.yaml", dir);
        write_yaml(yaml, "imageType:\n  Original: {}\nsetting:\n  binWidth: 25\n  voxelArrayShift: 2000\n  minimumROIDimensions: 1\n  label: 1\n");
        struct rad_settings s;
        rad_settings_default(&s);
        if (rad_params_read(&s, yaml, &e)) {
            fprintf(stderr, "bench radiomics: %s\n", e.msg);
            return 1;
        }
        const int rc = bench_extract("brain1", "brain1 256x256x25, 4137 ROI voxels, 107 features", &img, &msk, &s,
                                     bimg, bmsk, yaml, 5, 1, 15, &e);
        if (rc < 0)
            return 1;
        if (rc)
            status = 1;
        volume_free(&img);
        volume_free(&msk);
    } else if (!maps_only) {
        printf("brain1: skipped (%s)\n", e.msg);
    }
    /* ---- mouse phantom ---- */
    if (!maps_only && make_phantom(&img, &msk, 96, 96, 32) == 0) {
        char pimg[1100], pmsk[1100], yaml[1100];
        struct rad_settings s;
        const int64_t nroi = case_setup(dir, "phantom", "phantom", "imageType:\n  Original: {}\nsetting:\n  binWidth: 25\n  label: 1\n",
                                        &msk, pimg, pmsk, yaml, sizeof pimg, &s, &e);
        if (volume_write(pimg, &img, NULL, &e) || volume_write(pmsk, &msk, NULL, &e)) {
            printf("phantom: cannot write the inputs for the peer (%s)\n", e.msg);
        } else {
            char label[128];
            snprintf(label, sizeof label, "phantom 96x96x32 (0.1x0.1x0.3 mm), %lld ROI voxels, 107 features", (long long)nroi);
            const int rc = bench_extract("phantom", label, &img, &msk, &s, pimg, pmsk, yaml, 3, 0, 15, &e);
            if (rc < 0)
                return 1;
            if (rc)
                status = 1;
        }
        volume_free(&img);
        volume_free(&msk);
    }
    /* ---- voxel-based maps: (a) firstorder + glcm, (b) all default classes, kernelRadius 1,
     * on the 20x18x10 phantom and a 40x36x16 one ---- */
    static const char *const yaml_a =
        "imageType:\n  Original: {}\nfeatureClass:\n  firstorder:\n  glcm:\nsetting:\n  binWidth: 25\n  label: 1\nvoxelSetting:\n  kernelRadius: 1\n";
    static const char *const yaml_b =
        "imageType:\n  Original: {}\nsetting:\n  binWidth: 25\n  label: 1\nvoxelSetting:\n  kernelRadius: 1\n";
    /* the study's binning (z-scored image x 100, binWidth 25) on a cohort scan's tumour; without
     * --preset paper's 3-sigma exclusion, which on this T2 keeps 0.4 % of the tumour */
    static const char *const yaml_c =
        "imageType:\n  Original: {}\nfeatureClass:\n  firstorder:\n  glcm:\nsetting:\n  normalize: true\n  normalizeScale: 100\n"
        "  binWidth: 25\n  label: 1\nvoxelSetting:\n  kernelRadius: 1\n";
    static const char *const yaml_d =
        "imageType:\n  Original: {}\nsetting:\n  normalize: true\n  normalizeScale: 100\n"
        "  binWidth: 25\n  label: 1\nvoxelSetting:\n  kernelRadius: 1\n";
    for (int which = 0; which < 2; which++) {
        const int r = bench_maps_cohort(dir, 1, 0, which ? "d" : "c", which ? yaml_d : yaml_c,
                                        which ? "all default classes (93 maps)" : "firstorder + glcm (42 maps)", &e);
        if (r < 0)
            return 1;
        if (r)
            status = 1;
    }
    {
        /* 3-D kernels: 3 slices of a block of the tumour */
        const int r = bench_maps_cohort(dir, 3, 12, "d", yaml_d, "all default classes (93 maps)", &e);
        if (r < 0)
            return 1;
        if (r)
            status = 1;
    }
    const int sizes[2][3] = {{20, 18, 10}, {40, 36, 16}};
    for (int sz = 0; sz < 2; sz++)
        for (int which = 0; which < 2; which++) {
            const int r = bench_maps(dir, sizes[sz], which ? "b" : "a", which ? yaml_b : yaml_a,
                                     which ? "all default classes (93 maps)" : "firstorder + glcm (42 maps)", &e);
            if (r < 0)
                return 1;
            if (r)
                status = 1;
        }
    char rm[1200];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    if (system(rm) != 0)
        fprintf(stderr, "bench radiomics: could not remove %s\n", dir);
    return status;
}
