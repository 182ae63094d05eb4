/* phantom.c - the generator of the synthetic mouse hind-limb sarcoma cohort (issue 5).
 *
 * Geometry. Anatomy is defined in "anatomical mm" on the default field of view (28 x 28 x 18 mm,
 * centred at 0; +z proximal along the tibia, +y anterior, x lateral) and shrunk by
 * phantom_anatomy_scale() when a grid's field of view is smaller. A voxel at scanner position p
 * (mm, grid centred at 0) sees the anatomy at q = (p - T) / scale, T being the scan's pose
 * (repositioning between timepoints, plus optional motion between contrasts).
 *
 * Anatomy (per mouse, the same at both timepoints): an elliptical limb tapering distally with
 * smooth angular harmonics; skin (0.22 mm) and subcutaneous fat of varying thickness; muscle
 * groups separated by thin fat septa (Voronoi cells of seeds around the limb axis); the tibia
 * (rounded-triangular cross-section, 0.2 mm cortex around marrow, flaring proximally) and the
 * fibula (thin, fusing with the tibia distally); two vessels (the posterior tibial bundle beside
 * the bones, the saphenous vessel under the skin: bright on T1 and T1C, flow voids on T2). The tumour grows in the posterior muscle: an
 * ellipsoid elongated along the limb, lobulated by 7 Gaussian bumps on the sphere of directions,
 * with a rough margin from a smooth random field; the limb contour is a smooth union of the limb
 * and the tumour plus 0.5 mm of cover. Inside: viable tissue, a necrotic core with an irregular
 * boundary; around it, peritumoral oedema/infiltration in the muscle. All edges are partial-volume
 * ramps one in-plane voxel wide. The tumour label is "tumour fraction >= 0.5" (bone excluded).
 *
 * Intensities (arbitrary units; T1 muscle = 1500) per tissue and contrast, consistent with 7 T
 * T1 FLASH and T2 TurboRARE: T1 fat bright, muscle intermediate, tumour slightly hypointense,
 * necrosis dark; T1C the viable tumour enhances, strongest in a rim exp(-depth / 0.45 mm); T2
 * muscle dark, fat bright, tumour bright, necrosis and oedema brighter. Every tissue is textured
 * with correlated noise (cubic B-spline interpolation of Gaussian lattice values, normalised to
 * unit variance). At one week the tumour is larger (volume x growth), more necrotic and more
 * heterogeneous (texture amplitude up, intratumoral oedema on T2) with more peritumoral oedema.
 *
 * Acquisition: a 4-element receive surface coil (2 x 2 loops of radius ~5.5 mm) in a plane under
 * the animal: 2 mm (bed + coil housing) below the lowest tissue voxel of the scan, so that it stays
 * outside the body even when a large tumour bulges the limb towards it (a plane fixed to the limb
 * ellipse would cut through post-treatment tumours); element sensitivity a^2 / (a^2 + r^2)^1.5,
 * combined as root sum of squares, B = b + (1 - b) S / S_ref with S_ref one limb half-depth above
 * the bed (the limb centre when no tumour bulges below it): a smooth fall-off with depth (3 to 6
 * fold across the body, B < 3 everywhere), different per contrast (loop size,
 * element gains, b) and scan, rounded to multiples of 2^-12 (stored exactly as int16 with slope
 * 2^-12).
 * Image = gain * |B * I + sigma (n1 + i n2)| (Rician), sigma = muscle mean / snr per contrast,
 * rounded to integers (int16); the receiver gain maps the image maximum to 32767 (so a Bruker
 * 2dseq stores it with slope 1, exactly). The bias volume is exactly the B that multiplied I.
 *
 * Outcome (hidden rule, recorded in truth.json by phantom_write.c): each mouse has two standard-
 * normal latents, z_shape (drives lobulation amplitude and margin roughness: lower sphericity,
 * higher surface/volume) and z_peri (drives peritumoral oedema strength, extent and heterogeneity:
 * peritumoral first-order spread and texture). risk = (z_shape + z_peri) / sqrt 2, and
 * recurrence = [effect * risk + e > 0], e ~ N(0, 1): effect 0 is a coin flip, large effects make
 * the label a function of the images. Tumour volume (log-uniform 100..700 mm^3 before) and growth
 * (uniform 1.3..2.1) are independent of the outcome.
 *
 * Randomness: every draw is rng_stream(RNG_PHANTOM, mouse, timepoint (2 = mouse level),
 * contrast * 64 + purpose), counters fixed by position, so output bytes do not depend on the
 * order or thread that generates a scan. Covered by test/image/test_phantom.c. */
#include "image/phantom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "vendor/rng.h"

#define PI 3.14159265358979323846
#define TP_MOUSE 2   /* "timepoint" of mouse-level draws */
#define C_NONE 3     /* "contrast" of draws that belong to no contrast */
#define NLOBE 7
#define NSEED 7
#define BIAS_STEPS 4096.0 /* bias stored as int16 * 2^-12 */

/* purposes (low 6 bits of the last stream component) */
enum {
    PUR_OUTCOME = 1, PUR_ANATOMY, PUR_TUMOUR, PUR_POSE, PUR_COIL, PUR_NOISE, PUR_MOTION,
    PUR_TEX_FINE, PUR_TEX_COARSE, PUR_TUM_FINE, PUR_TUM_COARSE, PUR_ROUGH, PUR_PERI
};

const char *const phantom_contrast_names[PHANTOM_NCONTRAST] = {"T1", "T1C", "T2"};
const char *const phantom_timepoint_names[2] = {"pre", "post"};

/* Mean intensity of each tissue per contrast (T1C viable = the non-rim interior). */
static const double tissue_mean[PHANTOM_NCONTRAST][PHANTOM_NTISSUE] = {
    /* air  skin  fat   muscle cortex marrow viable necrosis oedema vessel */
    {0, 1700, 3300, 1500, 150, 2300, 1400, 1000, 1250, 2600}, /* T1: inflow-bright vessels */
    {0, 1950, 3300, 1650, 150, 2500, 2300, 1100, 2000, 3600}, /* T1C: gadolinium in blood */
    {0, 1500, 2700, 900, 100, 1700, 2050, 3300, 1600, 300},   /* T2: flow voids; oedema below tumour */
};
static const double t1c_rim = 3400;   /* enhancing rim on T1C */
static const double rim_depth = 0.45; /* mm */
/* relative texture amplitude per tissue (std of the multiplicative texture) */
static const double tissue_tex[PHANTOM_NTISSUE] = {0, 0.08, 0.05, 0.07, 0.1, 0.1, 0.12, 0.1, 0.1, 0.05};

/* Default field of view the anatomy is designed for (mm). */
static const double fov_default[3] = {28.0, 28.0, 18.0};

void phantom_params_default(struct phantom_params *p)
{
    memset(p, 0, sizeof *p);
    p->mice = 42;
    p->dim[0] = 280, p->dim[1] = 280, p->dim[2] = 60;
    p->spacing[0] = 0.1, p->spacing[1] = 0.1, p->spacing[2] = 0.3;
    p->snr = 25;
    p->effect = 1.5;
    p->motion = 0;
    p->seed = 42;
}

int phantom_params_check(const struct phantom_params *p, struct sarc_err *e)
{
    if (p->mice < 1 || p->mice > 9999)
        return ERR(e, SARC_ERR_ARG, "mice = %d, expected 1..9999", p->mice);
    for (int a = 0; a < 3; a++) {
        if (p->dim[a] < 8 || p->dim[a] > 4096)
            return ERR(e, SARC_ERR_RANGE, "size[%d] = %lld, expected 8..4096", a, (long long)p->dim[a]);
        if (!(p->spacing[a] >= 0.001 && p->spacing[a] <= 10))
            return ERR(e, SARC_ERR_RANGE, "spacing[%d] = %g, expected a number in [0.001, 10] mm", a, p->spacing[a]);
    }
    const double nvox = (double)p->dim[0] * (double)p->dim[1] * (double)p->dim[2];
    if (nvox > 2147483647.0)
        return ERR(e, SARC_ERR_RANGE, "size %lldx%lldx%lld = %.0f voxels, expected at most 2^31 - 1",
                   (long long)p->dim[0], (long long)p->dim[1], (long long)p->dim[2], nvox);
    if (!(p->snr >= 0 && p->snr <= 1e6))
        return ERR(e, SARC_ERR_RANGE, "snr = %g, expected 0 (no noise) or a number in (0, 1e6]", p->snr);
    if (!(p->effect >= 0 && p->effect <= 100))
        return ERR(e, SARC_ERR_RANGE, "effect = %g, expected a number in [0, 100]", p->effect);
    if (!(p->motion >= 0 && p->motion <= 2))
        return ERR(e, SARC_ERR_RANGE, "motion = %g mm, expected a number in [0, 2]", p->motion);
    return 0;
}

double phantom_anatomy_scale(const struct phantom_params *p)
{
    double s = 1.0;
    for (int a = 0; a < 3; a++) {
        const double r = (double)p->dim[a] * p->spacing[a] / fov_default[a];
        if (r < s)
            s = r;
    }
    return s;
}

static uint64_t stream_of(int mouse, int tp, int contrast, int purpose)
{
    return rng_stream(RNG_PHANTOM, (uint64_t)mouse, (uint64_t)tp, (uint64_t)(contrast * 64 + purpose));
}

static double unif(struct rng_cursor *c, double lo, double hi) { return lo + (hi - lo) * rng_next_uniform(c); }
static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }
static double smoothstep(double a, double b, double x)
{
    const double t = clampd((x - a) / (b - a), 0, 1);
    return t * t * (3 - 2 * t);
}
/* polynomial smooth minimum with blend width k (equals min(a, b) when |a - b| >= k) */
static double smin(double a, double b, double k)
{
    const double h = clampd(0.5 + 0.5 * (b - a) / k, 0, 1);
    return b + (a - b) * h - k * h * (1 - h);
}

void phantom_mouse_draw(const struct phantom_params *p, int mouse, struct phantom_mouse *m)
{
    struct rng_cursor c = rng_cursor_init(p->seed, stream_of(mouse, TP_MOUSE, C_NONE, PUR_OUTCOME));
    memset(m, 0, sizeof *m);
    m->index = mouse;
    m->z_shape = rng_next_normal(&c);
    m->z_peri = rng_next_normal(&c);
    m->noise = rng_next_normal(&c);
    const double v_pre = 100.0 * exp(log(7.0) * rng_next_uniform(&c)); /* log-uniform 100..700 */
    m->growth = unif(&c, 1.3, 2.1);
    m->volume_mm3[0] = v_pre;
    m->volume_mm3[1] = v_pre * m->growth;
    m->risk = (m->z_shape + m->z_peri) / sqrt(2.0);
    m->recurrence = p->effect * m->risk + m->noise > 0;
}

/* ---- smooth random fields ------------------------------------------------------------------ */

/* A normal pair from one Philox block: draws 4n..4n+3 of (seed, stream), i.e. the same numbers
 * rng_u32 gives for those positions, turned into two N(0,1) values by Box-Muller. */
static void normal_pair(uint64_t seed, uint64_t stream, uint64_t n, double *z1, double *z2)
{
    const uint32_t ctr[4] = {(uint32_t)n, (uint32_t)(n >> 32), (uint32_t)stream, (uint32_t)(stream >> 32)};
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t w[4];
    philox4x32_10(ctr, key, w);
    double u1 = (double)((uint64_t)(w[0] >> 5) * 67108864u + (w[1] >> 6)) * (1.0 / 9007199254740992.0);
    const double u2 = (double)((uint64_t)(w[2] >> 5) * 67108864u + (w[3] >> 6)) * (1.0 / 9007199254740992.0);
    if (u1 <= 0.0)
        u1 = 1.0 / 9007199254740992.0;
    const double r = sqrt(-2.0 * log(u1)), t = 2 * PI * u2;
    *z1 = r * cos(t);
    *z2 = r * sin(t);
}

/* Per-axis cubic B-spline weights of a field: node base[i] .. base[i]+3 (relative to the lattice
 * block's first node) with weights w[4i..4i+3], scaled so that sum w^2 = 1 (unit variance). */
struct axis_weights {
    int64_t n, lo, count; /* n positions; lattice nodes lo .. lo+count-1 */
    int64_t *base;
    double *w;
};

static int axis_weights_init(struct axis_weights *ax, double q0, double dq, int64_t n, double h)
{
    ax->n = n;
    ax->base = malloc(sizeof(int64_t) * (size_t)n);
    ax->w = malloc(sizeof(double) * 4 * (size_t)n);
    if (!ax->base || !ax->w)
        return -1;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int64_t i = 0; i < n; i++) {
        const double t = (q0 + dq * (double)i) / h;
        const double f = floor(t), u = t - f;
        const int64_t b = (int64_t)f - 1;
        double *w = ax->w + 4 * i;
        w[0] = (1 - u) * (1 - u) * (1 - u) / 6;
        w[1] = (3 * u * u * u - 6 * u * u + 4) / 6;
        w[2] = (-3 * u * u * u + 3 * u * u + 3 * u + 1) / 6;
        w[3] = u * u * u / 6;
        const double norm = 1.0 / sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2] + w[3] * w[3]);
        for (int m = 0; m < 4; m++)
            w[m] *= norm;
        ax->base[i] = b;
        if (b < lo)
            lo = b;
        if (b + 3 > hi)
            hi = b + 3;
    }
    for (int64_t i = 0; i < n; i++)
        ax->base[i] -= lo;
    ax->lo = lo;
    ax->count = hi - lo + 1;
    return 0;
}

static void axis_weights_free(struct axis_weights *ax)
{
    free(ax->base);
    free(ax->w);
}

/* A smooth Gaussian random field with unit variance: cubic B-spline interpolation of N(0, 1)
 * lattice values on nodes at multiples of max(h[a], dq[a]) (anatomical mm), evaluated at q = q0 + i * dq
 * (per axis) for i in [0, n[a]). The node (a, b, c) value is the normal of counter
 * (a, b, c packed in 20 bits each) of `stream`, so any box of the same lattice sees the same
 * field. out: n[0]*n[1]*n[2] floats, x fastest (=). Returns 0 or -1 (out of memory). */
static int field_eval(uint64_t seed, uint64_t stream, const double h[3], const double q0[3], const double dq[3],
                      const int64_t n[3], float *out)
{
    struct axis_weights ax[3] = {{0}, {0}, {0}};
    double *lat = NULL;
    float *t1 = NULL, *t2 = NULL;
    int rc = -1;
    /* no texture finer than a voxel: that would alias, and it bounds the lattice by the grid */
    for (int a = 0; a < 3; a++)
        if (axis_weights_init(&ax[a], q0[a], dq[a], n[a], fmax(h[a], fabs(dq[a]))))
            goto done;
    const int64_t lx = ax[0].count, ly = ax[1].count, lz = ax[2].count;
    const int64_t nx = n[0], ny = n[1], nz = n[2];
    lat = malloc(sizeof(double) * (size_t)(lx * ly * lz));
    t1 = malloc(sizeof(float) * (size_t)(nx * ly * lz));
    t2 = malloc(sizeof(float) * (size_t)(nx * ny * lz));
    if (!lat || !t1 || !t2)
        goto done;
    /* lattice values: node ids offset by 2^19 into 20-bit fields (unique for |index| < 2^19) */
    const uint64_t off = (uint64_t)1 << 19, mask = ((uint64_t)1 << 20) - 1;
    for (int64_t c = 0; c < lz; c++)
        for (int64_t b = 0; b < ly; b++)
            for (int64_t a = 0; a < lx; a++) {
                const uint64_t ia = ((uint64_t)(a + ax[0].lo) + off) & mask;
                const uint64_t ib = ((uint64_t)(b + ax[1].lo) + off) & mask;
                const uint64_t ic = ((uint64_t)(c + ax[2].lo) + off) & mask;
                double z1, z2;
                normal_pair(seed, stream, ia | ib << 20 | ic << 40, &z1, &z2);
                lat[a + lx * (b + ly * c)] = z1;
            }
    /* separable tensor-product evaluation: x, then y, then z */
    for (int64_t c = 0; c < lz; c++)
        for (int64_t b = 0; b < ly; b++) {
            const double *row = lat + lx * (b + ly * c);
            float *o = t1 + nx * (b + ly * c);
            for (int64_t i = 0; i < nx; i++) {
                const double *w = ax[0].w + 4 * i;
                const double *r = row + ax[0].base[i];
                o[i] = (float)(w[0] * r[0] + w[1] * r[1] + w[2] * r[2] + w[3] * r[3]);
            }
        }
    for (int64_t c = 0; c < lz; c++)
        for (int64_t j = 0; j < ny; j++) {
            const double *w = ax[1].w + 4 * j;
            const float *r0 = t1 + nx * (ax[1].base[j] + ly * c);
            float *o = t2 + nx * (j + ny * c);
            for (int64_t i = 0; i < nx; i++)
                o[i] = (float)(w[0] * r0[i] + w[1] * r0[i + nx] + w[2] * r0[i + 2 * nx] + w[3] * r0[i + 3 * nx]);
        }
    const int64_t plane = nx * ny;
    for (int64_t k = 0; k < nz; k++) {
        const double *w = ax[2].w + 4 * k;
        const float *r0 = t2 + plane * ax[2].base[k];
        float *o = out + plane * k;
        for (int64_t v = 0; v < plane; v++)
            o[v] = (float)(w[0] * r0[v] + w[1] * r0[v + plane] + w[2] * r0[v + 2 * plane] + w[3] * r0[v + 3 * plane]);
    }
    rc = 0;
done:
    for (int a = 0; a < 3; a++)
        axis_weights_free(&ax[a]);
    free(lat);
    free(t1);
    free(t2);
    return rc;
}

/* ---- anatomy --------------------------------------------------------------------------------- */

struct anatomy {
    /* limb (anatomical mm): centre and semi-axes at z = 0, angular harmonics m = 2, 3 */
    double lcx, lcy, lax, lay, harm[2], harm_ph[2];
    double skin, fat0, fat1, fat_ph;
    double seed_x[NSEED], seed_y[NSEED]; /* muscle compartments, limb-normalised coordinates */
    double comp_gain[NSEED];             /* relative muscle intensity of each compartment */
    /* tibia at z = 0, radius, cortex; fibula direction */
    double tx, ty, tr, tcort, tri_ph, fib_ph;
    /* vessels: the posterior tibial bundle beside the bones and the superficial saphenous vessel;
     * centre at z = 0 relative to the tibia centre, drift per mm of z, radius */
    double ves_x[2], ves_y[2], ves_dx[2], ves_dy[2], ves_r[2];
    /* tumour: centre (per timepoint), rotation (columns = tumour axes), axes, lobes */
    double tc[2][3], rot[3][3], axes[3];
    double lobe_v[NLOBE][3], lobe_a[NLOBE], lobe_s[NLOBE];
    double r0[2];          /* radius scale per timepoint (mm) */
    double lobe_gain[2];   /* lobe amplitude factor per timepoint */
    double rough;          /* margin roughness amplitude (normalised radius units) */
    double nec_frac[2];    /* necrotic core as a fraction of the radius */
    double via_tex[2];     /* viable tumour texture amplitude */
    double oed_amp[2], oed_w[2], oed_het;
    double cover;          /* muscle + fat + skin cover of the tumour (mm) */
};

/* Lobulated radius of the tumour in direction u (unit vector in tumour axes), before roughness. */
static double lobe_radius(const struct anatomy *an, int tp, const double u[3])
{
    double L = 1.0;
    for (int k = 0; k < NLOBE; k++) {
        const double d = u[0] * an->lobe_v[k][0] + u[1] * an->lobe_v[k][1] + u[2] * an->lobe_v[k][2];
        L += an->lobe_gain[tp] * an->lobe_a[k] * exp((d - 1.0) / (an->lobe_s[k] * an->lobe_s[k]));
    }
    return L;
}

/* Volume of the unit-r0 lobulated shape: (1/3) integral of L(u)^3 over the sphere (axes have
 * product 1), by a 2000-point Fibonacci quadrature. */
static double lobe_volume(const struct anatomy *an, int tp)
{
    const int n = 2000;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        const double z = 1.0 - (2.0 * i + 1.0) / n, r = sqrt(1.0 - z * z);
        const double phi = i * 2.399963229728653; /* golden angle */
        const double u[3] = {r * cos(phi), r * sin(phi), z};
        const double L = lobe_radius(an, tp, u);
        sum += L * L * L;
    }
    return 4.0 * PI * sum / n / 3.0;
}

/* Draws the anatomy of mouse m (anatomical mm, both timepoints) from its ANATOMY and TUMOUR
 * streams; the tumour radius scale r0 is calibrated so that the lobulated shape has exactly the
 * target volume of each timepoint. Pure function of (p->seed, m). */
static void anatomy_draw(const struct phantom_params *p, const struct phantom_mouse *m, struct anatomy *an)
{
    memset(an, 0, sizeof *an);
    struct rng_cursor c = rng_cursor_init(p->seed, stream_of(m->index, TP_MOUSE, C_NONE, PUR_ANATOMY));
    struct rng_cursor t = rng_cursor_init(p->seed, stream_of(m->index, TP_MOUSE, C_NONE, PUR_TUMOUR));

    /* tumour shape first: its post size decides where things go */
    double ax = 1.0, ay = unif(&t, 0.8, 1.0), az = unif(&t, 1.1, 1.3);
    const double g = cbrt(ax * ay * az);
    an->axes[0] = ax / g, an->axes[1] = ay / g, an->axes[2] = az / g;
    const double amp = 0.16 * exp(0.4 * m->z_shape);
    for (int k = 0; k < NLOBE; k++) {
        const double z = unif(&t, -1, 1), ph = unif(&t, 0, 2 * PI), r = sqrt(1 - z * z);
        an->lobe_v[k][0] = r * cos(ph), an->lobe_v[k][1] = r * sin(ph), an->lobe_v[k][2] = z;
        an->lobe_a[k] = amp * unif(&t, 0.4, 1.0);
        an->lobe_s[k] = unif(&t, 0.35, 0.6);
    }
    an->lobe_gain[0] = 1.0, an->lobe_gain[1] = 1.25;
    an->rough = 0.035 * exp(0.4 * m->z_shape);
    for (int tp = 0; tp < 2; tp++)
        an->r0[tp] = cbrt(m->volume_mm3[tp] / lobe_volume(an, tp));
    /* rotation: about z by alpha, then a small tilt about x */
    const double al = unif(&t, 0, PI), be = unif(&t, -0.25, 0.25);
    const double ca = cos(al), sa = sin(al), cb = cos(be), sb = sin(be);
    const double rz[3][3] = {{ca, -sa, 0}, {sa, ca, 0}, {0, 0, 1}};
    const double rx[3][3] = {{1, 0, 0}, {0, cb, -sb}, {0, sb, cb}};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++)
                s += rz[i][k] * rx[k][j];
            an->rot[i][j] = s;
        }
    /* placement: tumour posterior (-y) +- 40 degrees from the tibia; the pair centred in the FOV */
    const double phi_t = -PI / 2 + unif(&t, -0.7, 0.7);
    const double dist = 0.85 * an->r0[1] + 1.0;
    const double dx = cos(phi_t), dy = sin(phi_t);
    an->tx = -0.5 * dist * dx + unif(&c, -0.3, 0.3);
    an->ty = -0.5 * dist * dy + unif(&c, -0.3, 0.3);
    const double zc = unif(&t, -1.0, 1.0);
    an->tc[0][0] = an->tx + dist * dx, an->tc[0][1] = an->ty + dist * dy, an->tc[0][2] = zc;
    const double gr = unif(&t, 0, 2 * PI), shift = 0.1 * an->r0[1];
    an->tc[1][0] = an->tc[0][0] + shift * cos(gr), an->tc[1][1] = an->tc[0][1] + shift * sin(gr);
    an->tc[1][2] = zc + unif(&t, -0.3, 0.3);
    an->cover = 0.5;
    an->nec_frac[0] = unif(&t, 0.2, 0.35), an->nec_frac[1] = unif(&t, 0.45, 0.6);
    an->via_tex[0] = tissue_tex[PHANTOM_VIABLE], an->via_tex[1] = 0.2;
    an->oed_amp[0] = clampd(0.45 + 0.3 * m->z_peri, 0.02, 1.0);
    an->oed_amp[1] = clampd(1.5 * an->oed_amp[0], 0.02, 1.0);
    an->oed_w[0] = clampd(0.7 + 0.35 * m->z_peri, 0.15, 1.6);
    an->oed_w[1] = 1.3 * an->oed_w[0];
    an->oed_het = 0.5 * exp(0.4 * m->z_peri);

    /* limb: centred posterior of the tibia */
    an->lcx = an->tx + unif(&c, -0.3, 0.3);
    an->lcy = an->ty - 1.2 + unif(&c, -0.2, 0.2);
    an->lax = 3.6 + unif(&c, -0.25, 0.25);
    an->lay = 3.1 + unif(&c, -0.25, 0.25);
    for (int h = 0; h < 2; h++) {
        an->harm[h] = unif(&c, 0.0, 0.05);
        an->harm_ph[h] = unif(&c, 0, 2 * PI);
    }
    an->skin = 0.22;
    an->fat0 = unif(&c, 0.18, 0.28);
    an->fat1 = unif(&c, 0.05, 0.15);
    an->fat_ph = unif(&c, 0, 2 * PI);
    an->seed_x[0] = unif(&c, -0.1, 0.1), an->seed_y[0] = unif(&c, -0.1, 0.1);
    for (int s = 1; s < NSEED; s++) {
        const double a = 2 * PI * (s - 1) / (NSEED - 1) + unif(&c, -0.35, 0.35), r = unif(&c, 0.5, 0.7);
        an->seed_x[s] = r * cos(a), an->seed_y[s] = r * sin(a);
    }
    for (int s = 0; s < NSEED; s++)
        an->comp_gain[s] = unif(&c, 0.93, 1.07);
    an->tr = 0.55 + unif(&c, -0.05, 0.05);
    an->tcort = 0.2;
    an->tri_ph = unif(&c, 0, 2 * PI);
    an->fib_ph = -0.5 + unif(&c, -0.3, 0.3);
    const double a0 = an->fib_ph - 0.9 + unif(&c, -0.2, 0.2), r0v = an->tr + 0.45;
    an->ves_x[0] = r0v * cos(a0), an->ves_y[0] = r0v * sin(a0), an->ves_r[0] = unif(&c, 0.12, 0.17);
    /* saphenous: medial (-x) under the skin of the limb ellipse */
    const double a1 = PI + unif(&c, -0.5, 0.5);
    an->ves_x[1] = an->lcx - an->tx + 0.8 * an->lax * cos(a1);
    an->ves_y[1] = an->lcy - an->ty + 0.8 * an->lay * sin(a1);
    an->ves_r[1] = unif(&c, 0.1, 0.14);
    for (int v = 0; v < 2; v++)
        an->ves_dx[v] = unif(&c, -0.03, 0.03), an->ves_dy[v] = unif(&c, -0.03, 0.03);
}

/* ---- rendering ----------------------------------------------------------------------------- */

/* One pass of the renderer: the anatomy seen through a pose shift T (scanner mm). */
struct render {
    const struct phantom_params *p;
    const struct anatomy *an;
    int mouse, tp;
    double scale;   /* anatomy scale */
    double T[3];    /* pose shift (scanner mm) */
    int want[PHANTOM_NCONTRAST];
    int want_truth; /* fill label and tissue */
};

static double ramp(double inside, double w) { return clampd(0.5 + inside / w, 0, 1); }
static double lerp(double a, double b, double f) { return a + (b - a) * f; }

/* Renders the noise-free, bias-free intensities of the wanted contrasts into s->img[c].data,
 * and (want_truth) the label and tissue map. Returns 0 or -1 (out of memory). */
static int render_pass(const struct render *r, struct phantom_scan *s)
{
    const struct phantom_params *p = r->p;
    const struct anatomy *an = r->an;
    const int tp = r->tp;
    const int64_t nx = p->dim[0], ny = p->dim[1], nz = p->dim[2];
    const double sc = r->scale;
    /* anatomical coordinate of voxel i along axis a: q0[a] + i * dq[a] */
    double q0[3], dq[3];
    for (int a = 0; a < 3; a++) {
        dq[a] = p->spacing[a] / sc;
        q0[a] = (-0.5 * (double)(p->dim[a] - 1) * p->spacing[a] - r->T[a]) / sc;
    }
    const double pvw = 0.5 * (dq[0] + dq[1]); /* partial-volume ramp width (anatomical mm) */
    float *ftex1 = NULL, *ftex2 = NULL, *fbox = NULL;
    int rc = -1;
    const int64_t n3[3] = {nx, ny, nz};
    const size_t nvox = (size_t)(nx * ny * nz);
    ftex1 = malloc(sizeof(float) * nvox);
    ftex2 = malloc(sizeof(float) * nvox);
    if (!ftex1 || !ftex2)
        goto done;
    const double h1[3] = {0.25, 0.25, 0.9}, h2[3] = {0.7, 0.7, 1.5};
    if (field_eval(p->seed, stream_of(r->mouse, tp, C_NONE, PUR_TEX_FINE), h1, q0, dq, n3, ftex1) ||
        field_eval(p->seed, stream_of(r->mouse, tp, C_NONE, PUR_TEX_COARSE), h2, q0, dq, n3, ftex2))
        goto done;

    /* tumour box (voxel indices) holding the tumour, its cover, blend and oedema band */
    const double *tc = an->tc[tp];
    double ext = 0;
    for (int a = 0; a < 3; a++)
        ext = fmax(ext, an->axes[a]);
    double lmax = 1.0 + an->rough * 5;
    for (int k = 0; k < NLOBE; k++)
        lmax += an->lobe_gain[tp] * an->lobe_a[k];
    const double margin = an->cover + 1.2 + 3.0 * an->oed_w[tp] + 2 * pvw + 0.5;
    const double rad = an->r0[tp] * ext * lmax + margin;
    int64_t b0[3], b1[3], bn[3];
    for (int a = 0; a < 3; a++) {
        b0[a] = (int64_t)floor((tc[a] - rad - q0[a]) / dq[a]);
        b1[a] = (int64_t)ceil((tc[a] + rad - q0[a]) / dq[a]) + 1;
        b0[a] = b0[a] < 0 ? 0 : b0[a] > p->dim[a] ? p->dim[a] : b0[a];
        b1[a] = b1[a] < b0[a] ? b0[a] : b1[a] > p->dim[a] ? p->dim[a] : b1[a];
        bn[a] = b1[a] - b0[a];
    }
    const size_t nbox = (size_t)(bn[0] * bn[1] * bn[2]);
    float *ft_fine = NULL, *ft_coarse = NULL, *ft_rough = NULL, *ft_peri = NULL;
    if (nbox > 0) {
        fbox = malloc(sizeof(float) * 4 * nbox);
        if (!fbox)
            goto done;
        ft_fine = fbox, ft_coarse = fbox + nbox, ft_rough = fbox + 2 * nbox, ft_peri = fbox + 3 * nbox;
        double bq0[3];
        for (int a = 0; a < 3; a++)
            bq0[a] = q0[a] + (double)b0[a] * dq[a];
        const double hf[3] = {0.2, 0.2, 0.5}, hc[3] = {0.9, 0.9, 0.9}, hr[3] = {0.6, 0.6, 0.6}, hp[3] = {0.4, 0.4, 0.5};
        if (field_eval(p->seed, stream_of(r->mouse, tp, C_NONE, PUR_TUM_FINE), hf, bq0, dq, bn, ft_fine) ||
            field_eval(p->seed, stream_of(r->mouse, tp, C_NONE, PUR_TUM_COARSE), hc, bq0, dq, bn, ft_coarse) ||
            field_eval(p->seed, stream_of(r->mouse, TP_MOUSE, C_NONE, PUR_ROUGH), hr, bq0, dq, bn, ft_rough) ||
            field_eval(p->seed, stream_of(r->mouse, tp, C_NONE, PUR_PERI), hp, bq0, dq, bn, ft_peri))
            goto done;
    }
    const double r0 = an->r0[tp];
    double lc_h[2], ls_h[2];
    for (int h = 0; h < 2; h++)
        lc_h[h] = cos(an->harm_ph[h]), ls_h[h] = sin(an->harm_ph[h]);
    const double cf = cos(an->fat_ph), sf = sin(an->fat_ph);
    const double c3 = cos(an->tri_ph), s3 = sin(an->tri_ph);
    const double cfib = cos(an->fib_ph), sfib = sin(an->fib_ph);

    for (int64_t k = 0; k < nz; k++) {
        const double qz = q0[2] + dq[2] * (double)k;
        const double zn = clampd(qz / 9.0, -1.5, 1.5); /* -1 distal .. +1 proximal end of the FOV */
        /* per-slice anatomy */
        const double taper = 1.0 - 0.2 * (1.0 - clampd(zn, -1, 1)) / 2.0;
        const double lax = an->lax * taper, lay = an->lay * taper;
        const double lcx = an->lcx + 0.1 * zn, lcy = an->lcy + 0.15 * zn;
        const double tx = an->tx + 0.15 * zn * zn, ty = an->ty + 0.25 * zn;
        const double tr = an->tr + 0.45 * smoothstep(0.55, 1.05, zn);
        const double fmag = 0.25 + 0.9 * smoothstep(-0.3, 0.6, zn);
        const double fx = tx + (tr + fmag) * cfib, fy = ty + (tr + fmag) * sfib;
        const double fr = 0.2 + 0.03 * smoothstep(0.3, 1.0, zn);
        double vx[2], vy[2];
        for (int q = 0; q < 2; q++)
            vx[q] = tx + an->ves_x[q] * taper + an->ves_dx[q] * qz, vy[q] = ty + an->ves_y[q] * taper + an->ves_dy[q] * qz;
        const int kin = k >= b0[2] && k < b1[2];
        for (int64_t j = 0; j < ny; j++) {
            const double qy = q0[1] + dq[1] * (double)j;
            const int jin = kin && j >= b0[1] && j < b1[1];
            for (int64_t i = 0; i < nx; i++) {
                const double qx = q0[0] + dq[0] * (double)i;
                const size_t v = (size_t)(i + nx * (j + ny * k));
                /* limb: Newton estimate of the signed distance to the perturbed ellipse */
                const double dx = qx - lcx, dy = qy - lcy, rr = sqrt(dx * dx + dy * dy);
                const double cs = rr > 1e-9 ? dx / rr : 1, sn = rr > 1e-9 ? dy / rr : 0;
                const double c2 = cs * cs - sn * sn, s2 = 2 * cs * sn;
                const double c3a = c2 * cs - s2 * sn, s3a = s2 * cs + c2 * sn;
                const double hh = an->harm[0] * (c2 * lc_h[0] - s2 * ls_h[0]) + an->harm[1] * (c3a * lc_h[1] - s3a * ls_h[1]);
                const double ex = lax * (1 + hh), ey = lay * (1 + hh);
                const double gq = dx * dx / (ex * ex) + dy * dy / (ey * ey);
                const double gx = 2 * dx / (ex * ex), gy = 2 * dy / (ey * ey);
                const double dlimb = (gq - 1) / sqrt(gx * gx + gy * gy + 1e-12);
                /* tumour */
                double dtum = 1e9, rho_n = 2, depth = -1e9;
                size_t bv = 0;
                const int in_box = jin && i >= b0[0] && i < b1[0];
                if (in_box) {
                    bv = (size_t)((i - b0[0]) + bn[0] * ((j - b0[1]) + bn[1] * (k - b0[2])));
                    const double rel[3] = {qx - tc[0], qy - tc[1], qz - tc[2]};
                    double e3[3];
                    for (int a = 0; a < 3; a++)
                        e3[a] = (an->rot[0][a] * rel[0] + an->rot[1][a] * rel[1] + an->rot[2][a] * rel[2]) / (r0 * an->axes[a]);
                    const double rho = sqrt(e3[0] * e3[0] + e3[1] * e3[1] + e3[2] * e3[2]);
                    double u[3] = {0, 0, 1};
                    if (rho > 1e-12)
                        u[0] = e3[0] / rho, u[1] = e3[1] / rho, u[2] = e3[2] / rho;
                    const double L = lobe_radius(an, tp, u) + an->rough * ft_rough[bv];
                    dtum = (rho - L) * r0;
                    rho_n = rho / L;
                    depth = -dtum;
                }
                const double dbody = in_box ? smin(dlimb, dtum - an->cover, 1.2) : dlimb;
                const double f_body = ramp(-dbody, pvw);
                if (f_body <= 0) {
                    for (int c = 0; c < PHANTOM_NCONTRAST; c++)
                        if (r->want[c])
                            s->img[c].data[v] = 0;
                    if (r->want_truth)
                        s->label.data[v] = 0, s->tissue.data[v] = PHANTOM_AIR;
                    continue;
                }
                const double fat_t = fmax(0.05, an->fat0 + an->fat1 * (cs * cf + sn * sf));
                const double f_sub = ramp(-(dbody + an->skin), pvw);
                const double f_mus = ramp(-(dbody + an->skin + fat_t), pvw);
                /* septa: distance to the bisector of the two nearest compartment seeds */
                const double nxn = dx / lax, nyn = dy / lay;
                double d1 = 1e30, d2 = 1e30;
                int s1 = 0, s2i = 0;
                for (int q = 0; q < NSEED; q++) {
                    const double ux = nxn - an->seed_x[q], uy = nyn - an->seed_y[q], d = ux * ux + uy * uy;
                    if (d < d1)
                        d2 = d1, s2i = s1, d1 = d, s1 = q;
                    else if (d < d2)
                        d2 = d, s2i = q;
                }
                const double sx = an->seed_x[s1] - an->seed_x[s2i], sy = an->seed_y[s1] - an->seed_y[s2i];
                const double dsep = (d2 - d1) / (2 * sqrt(sx * sx + sy * sy) + 1e-12) * 0.5 * (lax + lay);
                const double f_sep = ramp(0.03 - dsep, pvw);
                /* bones */
                const double bx = qx - tx, by = qy - ty, br = sqrt(bx * bx + by * by);
                const double bc = br > 1e-9 ? bx / br : 1, bs = br > 1e-9 ? by / br : 0;
                const double bc2 = bc * bc - bs * bs, bs2 = 2 * bc * bs;
                const double bc3 = bc2 * bc - bs2 * bs, bs3 = bs2 * bc + bc2 * bs;
                const double dtib = br - tr * (1 + 0.12 * (bc3 * c3 - bs3 * s3));
                const double fxd = qx - fx, fyd = qy - fy, dfib = sqrt(fxd * fxd + fyd * fyd) - fr;
                const double fb_t = ramp(-dtib, pvw), fb_f = ramp(-dfib, pvw);
                const double fm_t = ramp(-(dtib + an->tcort), pvw), fm_f = ramp(-(dfib + 0.1), pvw);
                const double f_bone = fmax(fb_t, fb_f), f_mar = fb_t >= fb_f ? fm_t / fmax(fb_t, 1e-12) : fm_f / fmax(fb_f, 1e-12);
                double f_ves = 0;
                for (int q = 0; q < 2; q++) {
                    const double ux = qx - vx[q], uy = qy - vy[q];
                    f_ves = fmax(f_ves, ramp(an->ves_r[q] - sqrt(ux * ux + uy * uy), pvw));
                }
                f_ves *= (1 - f_bone) * f_sub;
                /* tumour fractions */
                double f_t = 0, f_nec = 0, f_oed = 0;
                if (in_box) {
                    f_t = ramp(depth, pvw) * (1 - f_bone);
                    f_nec = ramp((an->nec_frac[tp] - rho_n + 0.2 * ft_coarse[bv]) * r0, pvw);
                    if (dtum > 0 && dtum < 3 * an->oed_w[tp]) {
                        const double str = an->oed_amp[tp] * exp(-dtum / an->oed_w[tp]) *
                                           clampd(1 + an->oed_het * ft_peri[bv], 0, 2.5) *
                                           (1 - smoothstep(2 * an->oed_w[tp], 3 * an->oed_w[tp], dtum));
                        f_oed = fmin(str, 1.0) * f_mus * (1 - f_bone);
                    }
                }
                const double tex = 0.75 * ftex1[v] + 0.66 * ftex2[v];
                for (int c = 0; c < PHANTOM_NCONTRAST; c++) {
                    if (!r->want[c])
                        continue;
                    const double *M = tissue_mean[c];
                    const double i_skin = M[PHANTOM_SKIN] * (1 + tissue_tex[PHANTOM_SKIN] * tex);
                    const double i_fat = M[PHANTOM_FAT] * (1 + tissue_tex[PHANTOM_FAT] * tex);
                    double i_mus = M[PHANTOM_MUSCLE] * an->comp_gain[s1] * (1 + tissue_tex[PHANTOM_MUSCLE] * tex);
                    i_mus = lerp(i_mus, i_fat, f_sep);
                    if (f_oed > 0)
                        i_mus = lerp(i_mus, M[PHANTOM_OEDEMA] * (1 + tissue_tex[PHANTOM_OEDEMA] * ft_peri[bv]), f_oed);
                    double val = lerp(i_skin, i_fat, f_sub);
                    val = lerp(val, i_mus, f_mus);
                    const double i_bone = lerp(M[PHANTOM_CORTEX], M[PHANTOM_MARROW] * (1 + tissue_tex[PHANTOM_MARROW] * tex), f_mar);
                    val = lerp(val, i_bone, f_bone);
                    if (f_ves > 0)
                        val = lerp(val, M[PHANTOM_VESSEL] * (1 + tissue_tex[PHANTOM_VESSEL] * tex), f_ves);
                    if (f_t > 0) {
                        const double ttex = 0.7 * ft_fine[bv] + 0.7 * ft_coarse[bv];
                        double i_via = M[PHANTOM_VIABLE];
                        if (c == PHANTOM_T1C)
                            i_via += (t1c_rim - i_via) * exp(-fmax(depth, 0) / rim_depth);
                        i_via *= 1 + an->via_tex[tp] * ttex;
                        if (tp == PHANTOM_POST && c == PHANTOM_T2) /* intratumoral oedema after RT */
                            i_via *= 1 + 0.4 * fmax(0, ft_coarse[bv] - 0.3);
                        const double i_nec = M[PHANTOM_NECROSIS] * (1 + tissue_tex[PHANTOM_NECROSIS] * ft_fine[bv]);
                        val = lerp(val, lerp(i_via, i_nec, f_nec), f_t);
                    }
                    s->img[c].data[v] = f_body * val;
                }
                if (r->want_truth) {
                    int t;
                    if (f_body < 0.5)
                        t = PHANTOM_AIR;
                    else if (f_t >= 0.5)
                        t = f_nec >= 0.5 ? PHANTOM_NECROSIS : PHANTOM_VIABLE;
                    else if (f_ves >= 0.5)
                        t = PHANTOM_VESSEL;
                    else if (f_bone >= 0.5)
                        t = f_mar >= 0.5 ? PHANTOM_MARROW : PHANTOM_CORTEX;
                    else if (f_mus >= 0.5)
                        t = f_sep >= 0.5 ? PHANTOM_FAT : f_oed >= 0.5 ? PHANTOM_OEDEMA : PHANTOM_MUSCLE;
                    else
                        t = f_sub >= 0.5 ? PHANTOM_FAT : PHANTOM_SKIN;
                    s->label.data[v] = f_t >= 0.5;
                    s->tissue.data[v] = t;
                }
            }
        }
    }
    rc = 0;
done:
    free(ftex1);
    free(ftex2);
    free(fbox);
    return rc;
}

/* Coil sensitivity model of one contrast (scanner mm). */
struct coil {
    double ex[4], ez[4], ey, a2, gain[4], base, sref;
};

/* Root-sum-of-squares sensitivity of the 4 loops at scanner position (x, y, z) mm. */
static double coil_raw(const struct coil *cl, double x, double y, double z)
{
    double s2 = 0;
    for (int e = 0; e < 4; e++) {
        const double dx = x - cl->ex[e], dy = y - cl->ey, dz = z - cl->ez[e];
        const double q = cl->a2 + dx * dx + dy * dy + dz * dz;
        const double s = cl->gain[e] * cl->a2 / (q * sqrt(q));
        s2 += s * s;
    }
    return sqrt(s2);
}

/* Draws the coil of (mouse, tp, contrast): elements 2 x 2 in the plane y = ybed - 2 mm (scaled),
 * ybed being the lowest tissue position of the scan (scanner mm): the animal bed and the coil
 * housing separate the loops from the skin. S_ref is taken one limb half-depth above the bed, so
 * that B stays bounded (< 3) when a large tumour lowers the bed. */
static void coil_draw(const struct phantom_params *p, const struct anatomy *an, int mouse, int tp, int c,
                      double scale, const double T[3], double ybed, struct coil *cl)
{
    struct rng_cursor cu = rng_cursor_init(p->seed, stream_of(mouse, tp, c, PUR_COIL));
    struct rng_cursor cs = rng_cursor_init(p->seed, stream_of(mouse, tp, C_NONE, PUR_COIL)); /* shared by contrasts */
    const double ox = unif(&cs, -0.5, 0.5), oz = unif(&cs, -0.5, 0.5);
    const double a = 5.5 * unif(&cu, 0.9, 1.1) * scale;
    cl->a2 = a * a;
    cl->base = unif(&cu, 0.2, 0.35);
    const double cx = an->lcx * scale + T[0] + ox * scale, cz = oz * scale;
    cl->ey = ybed - 2.0 * scale;
    for (int e = 0; e < 4; e++) {
        cl->ex[e] = cx + (e & 1 ? 3.5 : -3.5) * scale;
        cl->ez[e] = cz + (e & 2 ? 4.0 : -4.0) * scale;
        cl->gain[e] = unif(&cu, 0.85, 1.15);
    }
    cl->sref = coil_raw(cl, an->lcx * scale + T[0], ybed + an->lay * scale, T[2]);
}

void phantom_scan_free(struct phantom_scan *s)
{
    for (int c = 0; c < PHANTOM_NCONTRAST; c++) {
        volume_free(&s->img[c]);
        volume_free(&s->bias[c]);
    }
    volume_free(&s->label);
    volume_free(&s->tissue);
    memset(s, 0, sizeof *s);
}

/* Allocates the 8 volumes of a scan on the params' grid (centred at 0, axis-aligned) with their
 * storage types. On failure the caller frees what was allocated (phantom_scan_free). */
static int scan_alloc(const struct phantom_params *p, struct phantom_scan *s, struct sarc_err *e)
{
    const int64_t dim[4] = {p->dim[0], p->dim[1], p->dim[2], 1};
    struct volume *all[8] = {&s->img[0], &s->img[1], &s->img[2], &s->label, &s->bias[0], &s->bias[1], &s->bias[2], &s->tissue};
    /* grid centred at 0, axis-aligned RAS */
    double origin[3];
    for (int a = 0; a < 3; a++)
        origin[a] = -0.5 * (double)(p->dim[a] - 1) * p->spacing[a];
    for (int i = 0; i < 8; i++) {
        int rc = volume_alloc(all[i], 3, dim, e);
        if (rc)
            return rc;
        volume_set_spacing(all[i], p->spacing, origin);
        snprintf(all[i]->format, sizeof all[i]->format, "generated");
    }
    for (int c = 0; c < PHANTOM_NCONTRAST; c++) {
        s->img[c].type = VT_I16;
        s->bias[c].type = VT_I16; /* multiples of 2^-12: int16 with scl_slope 2^-12, exact */
        s->bias[c].scl_slope = 1.0 / BIAS_STEPS;
    }
    s->label.type = VT_U8;
    s->tissue.type = VT_U8;
    return 0;
}

int phantom_scan_generate(const struct phantom_params *p, int mouse, int timepoint, struct phantom_scan *s, struct sarc_err *e)
{
    memset(s, 0, sizeof *s);
    int rc = phantom_params_check(p, e);
    if (rc)
        return rc;
    if (mouse < 0 || mouse >= p->mice)
        return ERR(e, SARC_ERR_ARG, "mouse = %d, expected 0..%d", mouse, p->mice - 1);
    if (timepoint != PHANTOM_PRE && timepoint != PHANTOM_POST)
        return ERR(e, SARC_ERR_ARG, "timepoint = %d, expected 0 (pre) or 1 (post)", timepoint);
    struct audit_step *st = audit_step_begin("phantom_scan");
    rc = scan_alloc(p, s, e);
    if (rc)
        goto fail;
    struct phantom_mouse m;
    struct anatomy an;
    phantom_mouse_draw(p, mouse, &m);
    anatomy_draw(p, &m, &an);
    const double scale = phantom_anatomy_scale(p);

    /* pose: repositioning between timepoints (scanner mm) */
    struct rng_cursor pc = rng_cursor_init(p->seed, stream_of(mouse, timepoint, C_NONE, PUR_POSE));
    double T[3];
    T[0] = unif(&pc, -0.3, 0.3) * scale, T[1] = unif(&pc, -0.3, 0.3) * scale, T[2] = unif(&pc, -0.5, 0.5) * scale;
    struct render r = {p, &an, mouse, timepoint, scale, {T[0], T[1], T[2]}, {1, 1, 1}, 1};
    if (p->motion > 0) {
        /* T2 and the truth at the pose; T1 and T1C each moved by up to `motion` mm */
        r.want[PHANTOM_T1] = r.want[PHANTOM_T1C] = 0;
        if (render_pass(&r, s))
            goto nomem;
        for (int c = PHANTOM_T1; c <= PHANTOM_T1C; c++) {
            struct rng_cursor mc = rng_cursor_init(p->seed, stream_of(mouse, timepoint, c, PUR_MOTION));
            struct render rm = r;
            double d[3], n2;
            do { /* uniform in the ball of radius motion */
                n2 = 0;
                for (int a = 0; a < 3; a++) {
                    d[a] = unif(&mc, -1, 1);
                    n2 += d[a] * d[a];
                }
            } while (n2 > 1);
            for (int a = 0; a < 3; a++)
                rm.T[a] = T[a] + d[a] * p->motion;
            memset(rm.want, 0, sizeof rm.want);
            rm.want[c] = 1;
            rm.want_truth = 0;
            if (render_pass(&rm, s))
                goto nomem;
        }
    } else if (render_pass(&r, s))
        goto nomem;

    /* bias and Rician noise, per contrast; the coil lies under the lowest tissue (the bed) */
    const int64_t nx = p->dim[0], ny = p->dim[1], nz = p->dim[2];
    int64_t jbed = ny;
    for (int64_t v = 0; v < nx * ny * nz; v++)
        if (s->tissue.data[v] != PHANTOM_AIR && (v / nx) % ny < jbed)
            jbed = (v / nx) % ny;
    const double ybed = jbed < ny ? (double)jbed * p->spacing[1] - 0.5 * (double)(ny - 1) * p->spacing[1]
                                  : (an.lcy - an.lay) * scale + T[1];
    for (int c = 0; c < PHANTOM_NCONTRAST; c++) {
        struct coil cl;
        coil_draw(p, &an, mouse, timepoint, c, scale, T, ybed, &cl);
        const double sigma = p->snr > 0 ? tissue_mean[c][PHANTOM_MUSCLE] / p->snr : 0;
        const uint64_t ns = stream_of(mouse, timepoint, c, PUR_NOISE);
        double *img = s->img[c].data, *bias = s->bias[c].data;
        for (int64_t k = 0; k < nz; k++) {
            const double z = (double)k * p->spacing[2] - 0.5 * (double)(nz - 1) * p->spacing[2];
            for (int64_t j = 0; j < ny; j++) {
                const double y = (double)j * p->spacing[1] - 0.5 * (double)(ny - 1) * p->spacing[1];
                for (int64_t i = 0; i < nx; i++) {
                    const double x = (double)i * p->spacing[0] - 0.5 * (double)(nx - 1) * p->spacing[0];
                    const size_t v = (size_t)(i + nx * (j + ny * k));
                    const double b = nearbyint((cl.base + (1 - cl.base) * coil_raw(&cl, x, y, z) / cl.sref) * BIAS_STEPS) / BIAS_STEPS;
                    bias[v] = b;
                    double re = img[v] * b, im = 0;
                    if (sigma > 0) {
                        double z1, z2;
                        normal_pair(p->seed, ns, (uint64_t)v, &z1, &z2);
                        re += sigma * z1;
                        im = sigma * z2;
                    }
                    img[v] = sqrt(re * re + im * im);
                }
            }
        }
        /* receiver gain: the maximum maps to 32767, so integers fill the 16-bit range and the
         * ParaVision slope max|value| / 32767 is exactly 1 */
        double mx = 0;
        for (int64_t v = 0; v < nx * ny * nz; v++)
            mx = img[v] > mx ? img[v] : mx;
        s->gain[c] = mx > 0 ? 32767.0 / mx : 1.0;
        for (int64_t v = 0; v < nx * ny * nz; v++) {
            const double q = nearbyint(img[v] * s->gain[c]);
            img[v] = q > 32767 ? 32767 : q;
        }
    }
    int64_t nlab = 0;
    const int64_t nvox = nx * ny * nz;
    for (int64_t v = 0; v < nvox; v++)
        nlab += s->label.data[v] > 0;
    s->tumour_mm3 = (double)nlab * p->spacing[0] * p->spacing[1] * p->spacing[2];

    audit_param_int(st, "mouse", mouse + 1);
    audit_param_str(st, "timepoint", phantom_timepoint_names[timepoint]);
    audit_param_int(st, "seed", (long long)p->seed);
    audit_param_num(st, "snr", p->snr);
    audit_param_num(st, "effect", p->effect);
    audit_param_num(st, "motion_mm", p->motion);
    audit_param_num(st, "anatomy_scale", scale);
    audit_value(st, "tumour_mm3", s->tumour_mm3);
    audit_value(st, "target_mm3", m.volume_mm3[timepoint] * scale * scale * scale);
    audit_value(st, "growth", m.growth);
    audit_value(st, "recurrence", m.recurrence);
    audit_step_end(st);
    return 0;
nomem:
    rc = ERR(e, SARC_ERR_NOMEM, "phantom: out of memory for a %lldx%lldx%lld scan", (long long)p->dim[0],
             (long long)p->dim[1], (long long)p->dim[2]);
fail:
    audit_note(st, e ? e->msg : "failed");
    audit_step_end(st);
    phantom_scan_free(s);
    return rc;
}
