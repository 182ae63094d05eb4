/* cmd_image.c - the volume-processing subcommands of issue 8:
 *   sarc n4 IN -o OUT [--mask M] [--weight-image W] [--bias-out B] [--shrink N]
 *           [--iterations 50,50,50,50] [--convergence X] [--fwhm X] [--wiener X] [--bins N]
 *           [--mesh X,Y,Z] [--order N] [--preset paper]          (image/n4.h)
 *   sarc morph dilate|erode|open|close IN -o OUT --radius-mm R   (image/morph.h)
 *   sarc components IN -o OUT [--largest] [--connectivity 6|18|26] [--fill-holes]
 *   sarc resample IN -o OUT --spacing X,Y,Z [--interp nearest|linear|bspline]
 *   sarc growcut IMAGE --seeds SEEDS -o MASK [--max-iterations N]
 * Inputs are read with volume_read (first frame of 4-D inputs), outputs written atomically with
 * volume_write on the input's grid. Masks and seeds must lie on the image's grid.
 * Errors: "sarc: <file>: <reason>" on stderr, exit 2. Covered by test/image/test_cmd_image.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "image/components.h"
#include "image/growcut.h"
#include "image/morph.h"
#include "image/n4.h"
#include "image/resample.h"
#include "io/audit.h"
#include "io/volio.h"

/* Reads the first frame of path into v; prints the error and returns 2 on failure. */
static int image_read(const char *path, struct volume *v)
{
    struct sarc_err e = {0};
    struct volume_read_opts o = VOLUME_READ_OPTS_DEFAULT;
    o.frame = 0;
    if (volume_read(path, &o, v, &e) != 0)
        return cmd_fail(path, &e);
    if (v->ndim > 3 && v->dim[3] > 1)
        cmd_note("%s: using the first of %lld frames", path, (long long)v->dim[3]);
    return 0;
}

/* Reads a mask/label volume that must be on ref's grid; fills a byte array (value != 0). */
static int mask_read(const char *path, const struct volume *ref, uint8_t **out, uint8_t **raw_values)
{
    struct volume m = {0};
    *out = NULL;
    int rc = image_read(path, &m);
    if (rc)
        return rc;
    if (ref && !volume_same_grid(&m, ref, 1e-3)) {
        volume_free(&m);
        return cmd_failf(path, "not on the image's grid (dims %lld x %lld x %lld vs %lld x %lld x %lld, or a different affine)",
                         (long long)m.dim[0], (long long)m.dim[1], (long long)m.dim[2], (long long)ref->dim[0],
                         (long long)ref->dim[1], (long long)ref->dim[2]);
    }
    const int64_t n = volume_frame_count(&m);
    uint8_t *b = malloc((size_t)n);
    if (!b) {
        volume_free(&m);
        return cmd_failf(path, "out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        const double x = m.data[i];
        if (raw_values) {
            if (!(x == 0 || x == 1 || x == 2)) {
                free(b);
                volume_free(&m);
                return cmd_failf(path, "seed value %g at voxel %lld, expected 0 (unknown), 1 (tumour) or 2 (background)", x,
                                 (long long)i);
            }
            b[i] = (uint8_t)x;
        } else
            b[i] = x != 0 && !isnan(x);
    }
    volume_free(&m);
    *out = b;
    if (raw_values)
        *raw_values = b;
    return 0;
}

/* A byte mask (value != 0, NaN = 0) of v's first frame; NULL when out of memory. */
static uint8_t *mask_from(const struct volume *v)
{
    const int64_t n = volume_frame_count(v);
    uint8_t *b = malloc((size_t)n);
    if (b)
        for (int64_t i = 0; i < n; i++)
            b[i] = v->data[i] != 0 && !isnan(v->data[i]);
    return b;
}

/* Writes a byte mask with ref's geometry as uint8. */
static int mask_write(const char *path, const struct volume *ref, const uint8_t *m)
{
    struct volume o = {0};
    struct sarc_err e = {0};
    if (volume_alloc_like(&o, ref, &e) != 0)
        return cmd_fail(path, &e);
    const int64_t n = volume_frame_count(ref);
    for (int64_t i = 0; i < n; i++)
        o.data[i] = m[i] ? 1.0 : 0.0;
    o.type = VT_U8;
    o.scl_slope = 0;
    o.scl_inter = 0;
    int rc = volume_write(path, &o, NULL, &e) != 0 ? cmd_fail(path, &e) : 0;
    volume_free(&o);
    return rc;
}

static int write_volume(const char *path, const struct volume *v)
{
    struct sarc_err e = {0};
    if (volume_write(path, v, NULL, &e) != 0)
        return cmd_fail(path, &e);
    return 0;
}

/* Records the files of a finished subcommand (SHA-256 of each) as one audit step "<name>_files";
 * the numeric step itself was recorded by the library. NULL entries are skipped. */
static void audit_files(const char *name, const char *const in[], int nin, const char *const out[], int nout)
{
    char step[64];
    snprintf(step, sizeof step, "%s_files", name);
    struct audit_step *st = audit_step_begin(step);
    for (int i = 0; i < nin; i++)
        if (in[i])
            audit_input_file(st, i == 0 ? "input" : "input_aux", in[i]);
    for (int i = 0; i < nout; i++)
        if (out[i])
            audit_output_file(st, i == 0 ? "output" : "output_aux", out[i]);
    audit_step_end(st);
}

/* ---------------------------------------------------------------- n4 */

const char cmd_n4_usage[] =
    "Usage: sarc n4 IN -o OUT [--mask M] [--weight-image W] [--bias-out B] [--shrink N]\n"
    "               [--iterations 50,50,50,50] [--convergence X] [--fwhm X] [--wiener X] [--bins N]\n"
    "               [--mesh X,Y,Z] [--order N] [--preset paper] [--exclude LABEL [--exclude-margin-mm R]] [--true-range]\n"
    "  N4 bias-field correction as ITK's N4BiasFieldCorrectionImageFilter, SimpleITK's defaults:\n"
    "  no shrink, 4 levels x 50 iterations, convergence 0.001, FWHM 0.15, Wiener noise 0.01,\n"
    "  200 bins, mesh 1,1,1 (4 control points), spline order 3. OUT = IN / B everywhere.\n"
    "  --mask M          voxels used (non-zero); default: Otsu's foreground of IN\n"
    "  --weight-image W  ANTs' confidence weights (<= 0 excludes a voxel)\n"
    "  --bias-out B      write the multiplicative bias field B\n"
    "  --exclude LABEL   leave LABEL's non-zero voxels (e.g. the tumour), dilated by --exclude-margin-mm R\n"
    "                    (default 0), out of the fit mask; the field is still applied everywhere\n"
    "  --iterations L    iterations per fitting level (the number of levels is L's length; 'x' works too)\n"
    "  --mesh X,Y,Z      initial B-spline mesh (spans) per axis, or one number for all; doubles per level\n"
    "  --preset paper    the study's ANTs settings: shrink 4, 100x100x100, convergence 0.005, mesh 1,\n"
    "                    order 3, FWHM 0.3, Wiener 0.01, 200 bins (explicit options override it)\n"
    "  --true-range      histogram over the true min..max of the log image; by default its range is\n"
    "                    found as ITK's scan finds it (the first voxel never counts as the minimum),\n"
    "                    so that results equal SimpleITK's and ANTs'\n";

static int parse_iterations(const char *s, struct n4_params *p)
{
    int n = 0;
    const char *q = s;
    while (*q) {
        char *end;
        long v = strtol(q, &end, 10);
        if (end == q || v < 0 || v > 100000 || n >= N4_MAX_LEVELS)
            return -1;
        p->maximum_number_of_iterations[n++] = (int)v;
        if (*end == ',' || *end == 'x')
            end++;
        else if (*end)
            return -1;
        q = end;
    }
    if (n == 0)
        return -1;
    p->levels = n;
    return 0;
}

/* Builds N4's fit mask with LABEL's voxels (dilated by margin mm) left out: *mask (the --mask
 * given, or n4_correct's default, n4_default_mask) loses every voxel
 * within margin mm of a non-zero voxel of LABEL. *excl is the scratch for the dilated label; the
 * caller frees both. Recorded as the audit step "n4_fit_mask" (voxel counts before and after). */
static int n4_fit_mask_exclude(const char *in, const char *label, double margin, const struct volume *img,
                               uint8_t **mask, uint8_t **excl)
{
    const int64_t n = volume_frame_count(img);
    int rc = mask_read(label, img, excl, NULL);
    if (rc)
        return rc;
    if (!*mask && !(*mask = n4_default_mask(img, NULL)))
        return cmd_failf(in, "out of memory for the fit mask");
    struct sarc_err e = {0};
    if (margin > 0 && morph_apply(MORPH_DILATE, *excl, img->dim, img->spacing, margin, *excl, &e) != 0)
        return cmd_fail(label, &e);
    int64_t before = 0, after = 0, excluded = 0;
    for (int64_t i = 0; i < n; i++) {
        before += (*mask)[i] != 0;
        excluded += (*excl)[i] != 0;
        if ((*excl)[i])
            (*mask)[i] = 0;
        after += (*mask)[i] != 0;
    }
    struct audit_step *st = audit_step_begin("n4_fit_mask");
    audit_input_file(st, "image", in);
    audit_input_file(st, "exclude", label);
    audit_param_num(st, "exclude_margin_mm", margin);
    audit_value(st, "mask_voxels", (double)before);
    audit_value(st, "excluded_voxels", (double)excluded);
    audit_value(st, "fit_voxels", (double)after);
    audit_step_end(st);
    if (after == 0)
        return cmd_failf(label, "excluding it (dilated by %g mm) leaves no voxel for N4 to fit", margin);
    return 0;
}

int cmd_n4(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *maskp = NULL, *weightp = NULL, *biasp = NULL;
    const char *it = NULL, *conv = NULL, *fwhm = NULL, *wiener = NULL, *bins = NULL, *mesh = NULL, *order = NULL,
               *shrink = NULL, *preset = NULL, *exclp = NULL, *exmargin = NULL;
    int true_range = 0;
    const struct cmd_opt opts[] = {
        {"--exclude", &exclp, NULL}, {"--exclude-margin-mm", &exmargin, NULL},
        {"-o", &out, NULL},          {"--mask", &maskp, NULL},      {"--weight-image", &weightp, NULL},
        {"--bias-out", &biasp, NULL}, {"--iterations", &it, NULL},   {"--convergence", &conv, NULL},
        {"--fwhm", &fwhm, NULL},      {"--wiener", &wiener, NULL},   {"--bins", &bins, NULL},
        {"--mesh", &mesh, NULL},      {"--order", &order, NULL},     {"--shrink", &shrink, NULL},
        {"--preset", &preset, NULL},  {"--true-range", NULL, &true_range}, {NULL, NULL, NULL}};
    if (cmd_parse(argc, argv, opts, &in, 1) < 0)
        return 2;
    if (!in || !out) {
        cmd_failf("n4", "needs IN and -o OUT");
        return cmd_usage("n4");
    }
    struct n4_params p;
    n4_params_default(&p);
    if (preset) {
        if (strcmp(preset, "paper") != 0)
            return cmd_failf("--preset", "'%s': expected paper", preset);
        n4_params_paper(&p);
    }
    p.true_range = true_range;
    long long v;
    double x;
    if (shrink) {
        if (opt_int(shrink, 1, 64, &v))
            return cmd_failf("--shrink", "'%s' is not an integer in 1..64", shrink);
        p.shrink_factor = (int)v;
    }
    if (it && parse_iterations(it, &p))
        return cmd_failf("--iterations", "'%s': expected 1..%d comma-separated counts (0..100000)", it, N4_MAX_LEVELS);
    if (conv) {
        if (opt_double(conv, &x) || !(x >= 0) || !isfinite(x))
            return cmd_failf("--convergence", "'%s' is not a number >= 0", conv);
        p.convergence_threshold = x;
    }
    if (fwhm) {
        if (opt_double(fwhm, &x) || !(x > 0) || !isfinite(x))
            return cmd_failf("--fwhm", "'%s' is not a number > 0", fwhm);
        p.bias_field_fwhm = x;
    }
    if (wiener) {
        if (opt_double(wiener, &x) || !(x > 0) || !isfinite(x))
            return cmd_failf("--wiener", "'%s' is not a number > 0", wiener);
        p.wiener_filter_noise = x;
    }
    if (bins) {
        if (opt_int(bins, 2, 1 << 20, &v))
            return cmd_failf("--bins", "'%s' is not an integer in 2..%d", bins, 1 << 20);
        p.number_of_histogram_bins = (int)v;
    }
    if (order) {
        if (opt_int(order, 1, 5, &v))
            return cmd_failf("--order", "'%s' is not an integer in 1..5", order);
        p.spline_order = (int)v;
    }
    double m3[3] = {1, 1, 1};
    if (mesh) {
        if (opt_list(mesh, m3, 3) != 0) {
            if (opt_double(mesh, &m3[0]) != 0)
                return cmd_failf("--mesh", "'%s': expected X,Y,Z or one number (B-spline spans)", mesh);
            m3[1] = m3[2] = m3[0];
        }
    }
    for (int d = 0; d < 3; d++) {
        if (!(m3[d] >= 1 && m3[d] <= 1000) || m3[d] != floor(m3[d]))
            return cmd_failf("--mesh", "'%s': each mesh size must be an integer in 1..1000", mesh);
        p.number_of_control_points[d] = (int)m3[d] + p.spline_order;
    }
    double margin = 0;
    if (exmargin) {
        if (!exclp)
            return cmd_failf("--exclude-margin-mm", "needs --exclude LABEL");
        if (opt_double(exmargin, &margin) || !(margin >= 0) || !isfinite(margin))
            return cmd_failf("--exclude-margin-mm", "'%s' is not a number >= 0", exmargin);
    }
    struct sarc_err e = {0};
    int rc = 0;
    struct volume img = {0}, cor = {0}, bias = {0};
    uint8_t *mask = NULL, *excl = NULL;
    double *weight = NULL;
    if ((rc = image_read(in, &img)))
        return rc;
    if (maskp && (rc = mask_read(maskp, &img, &mask, NULL)))
        goto done;
    if (exclp && (rc = n4_fit_mask_exclude(in, exclp, margin, &img, &mask, &excl)))
        goto done;
    if (weightp) {
        struct volume w = {0};
        if ((rc = image_read(weightp, &w)))
            goto done;
        if (!volume_same_grid(&w, &img, 1e-3)) {
            volume_free(&w);
            rc = cmd_failf(weightp, "not on the image's grid");
            goto done;
        }
        const int64_t n = volume_frame_count(&w);
        weight = malloc(sizeof(double) * (size_t)n);
        if (!weight) {
            volume_free(&w);
            rc = cmd_failf(weightp, "out of memory");
            goto done;
        }
        memcpy(weight, w.data, sizeof(double) * (size_t)n);
        volume_free(&w);
    }
    if (n4_correct(&img, mask, weight, &p, &cor, biasp ? &bias : NULL, &e) != 0) {
        rc = cmd_fail(in, &e);
        goto done;
    }
    if ((rc = write_volume(out, &cor)))
        goto done;
    if (biasp && (rc = write_volume(biasp, &bias)))
        goto done;
    {
        const char *ins[4] = {in, maskp, weightp, exclp}, *outs[2] = {out, biasp};
        audit_files("n4", ins, 4, outs, 2);
    }
done:
    volume_free(&img);
    volume_free(&cor);
    volume_free(&bias);
    free(mask);
    free(excl);
    free(weight);
    return rc;
}

/* ---------------------------------------------------------------- morph */

const char cmd_morph_usage[] =
    "Usage: sarc morph dilate|erode|open|close IN -o OUT --radius-mm R\n"
    "  Binary morphology with a ball of R mm on the physical (anisotropic) grid, exact:\n"
    "  dilation = voxels within R mm of the mask (scipy distance_transform_edt(~mask,\n"
    "  sampling=spacing) <= R); erosion is its dual (outside the image does not erode);\n"
    "  open = erode then dilate, close = dilate then erode. IN non-zero = inside; OUT uint8.\n";

int cmd_morph(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL}, *out = NULL, *rad = NULL;
    const struct cmd_opt opts[] = {{"-o", &out, NULL}, {"--radius-mm", &rad, NULL}, {NULL, NULL, NULL}};
    if (cmd_parse(argc, argv, opts, pos, 2) < 0)
        return 2;
    const char *opname = pos[0], *in = pos[1];
    if (!opname || !in || !out || !rad) {
        cmd_failf("morph", "needs an operation, IN, -o OUT and --radius-mm R");
        return cmd_usage("morph");
    }
    enum morph_op op;
    if (!strcmp(opname, "dilate")) op = MORPH_DILATE;
    else if (!strcmp(opname, "erode")) op = MORPH_ERODE;
    else if (!strcmp(opname, "open")) op = MORPH_OPEN;
    else if (!strcmp(opname, "close")) op = MORPH_CLOSE;
    else
        return cmd_failf("morph", "'%s': expected dilate, erode, open or close", opname);
    double r;
    if (opt_double(rad, &r) || !(r >= 0) || !isfinite(r))
        return cmd_failf("--radius-mm", "'%s' is not a number >= 0", rad);
    struct volume img = {0};
    uint8_t *m = NULL;
    int rc = image_read(in, &img);
    if (rc)
        return rc;
    if (!(m = mask_from(&img))) {
        rc = cmd_failf(in, "out of memory");
        goto done;
    }
    struct sarc_err e = {0};
    if (morph_apply(op, m, img.dim, img.spacing, r, m, &e) != 0) {
        rc = cmd_fail(in, &e);
        goto done;
    }
    if (!(rc = mask_write(out, &img, m))) {
        const char *ins[1] = {in}, *outs[1] = {out};
        audit_files("morph", ins, 1, outs, 1);
    }
done:
    volume_free(&img);
    free(m);
    return rc;
}

/* ---------------------------------------------------------------- components */

const char cmd_components_usage[] =
    "Usage: sarc components IN -o OUT [--largest] [--connectivity 6|18|26] [--fill-holes]\n"
    "  Connected components of IN != 0 (default connectivity 26). Without --largest/--fill-holes\n"
    "  OUT is the label map (scipy.ndimage.label numbering) and a table of the components (label,\n"
    "  voxels, volume in mm^3, centroid in mm) is printed; --largest keeps the largest component\n"
    "  (ties: the lowest label), --fill-holes fills background not 6-connected to the border\n"
    "  (after --largest); OUT is then a uint8 mask.\n";

int cmd_components(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *conn = NULL;
    int largest = 0, fill = 0;
    const struct cmd_opt opts[] = {{"-o", &out, NULL},
                                   {"--connectivity", &conn, NULL},
                                   {"--largest", NULL, &largest},
                                   {"--fill-holes", NULL, &fill},
                                   {NULL, NULL, NULL}};
    if (cmd_parse(argc, argv, opts, &in, 1) < 0)
        return 2;
    if (!in || !out) {
        cmd_failf("components", "needs IN and -o OUT");
        return cmd_usage("components");
    }
    long long c = 26;
    if (conn && (opt_int(conn, 6, 26, &c) || (c != 6 && c != 18 && c != 26)))
        return cmd_failf("--connectivity", "'%s': expected 6, 18 or 26", conn);
    struct volume img = {0}, lab = {0};
    uint8_t *m = NULL;
    int32_t *labels = NULL;
    struct sarc_err e = {0};
    int rc = image_read(in, &img);
    if (rc)
        return rc;
    if (!(m = mask_from(&img))) {
        rc = cmd_failf(in, "out of memory");
        goto done;
    }
    if (largest || fill) {
        if (largest && components_keep_largest(m, img.dim, (int)c, &e) != 0) {
            rc = cmd_fail(in, &e);
            goto done;
        }
        if (fill && components_fill_holes(m, img.dim, &e) != 0) {
            rc = cmd_fail(in, &e);
            goto done;
        }
        if (!(rc = mask_write(out, &img, m))) {
            const char *ins[1] = {in}, *outs[1] = {out};
            audit_files("components", ins, 1, outs, 1);
        }
        goto done;
    }
    const int64_t n = volume_frame_count(&img);
    labels = malloc(sizeof(int32_t) * (size_t)n);
    int32_t nc = 0;
    if (!labels) {
        rc = cmd_failf(in, "out of memory");
        goto done;
    }
    if (components_label(m, img.dim, (int)c, labels, &nc, &e) != 0) {
        rc = cmd_fail(in, &e);
        goto done;
    }
    if ((rc = volume_alloc_like(&lab, &img, &e) != 0 ? cmd_fail(in, &e) : 0))
        goto done;
    for (int64_t i = 0; i < n; i++)
        lab.data[i] = labels[i];
    lab.type = nc <= 255 ? VT_U8 : nc <= 65535 ? VT_U16 : VT_I32;
    lab.scl_slope = lab.scl_inter = 0;
    if ((rc = write_volume(out, &lab)))
        goto done;
    {
        const char *ins[1] = {in}, *outs[1] = {out};
        audit_files("components", ins, 1, outs, 1);
    }
    /* component table: sizes and centroids (index -> world through the affine) */
    double *acc = calloc((size_t)nc + 1, 4 * sizeof(double));
    if (!acc) {
        rc = cmd_failf(in, "out of memory");
        goto done;
    }
    for (int64_t k = 0; k < img.dim[2]; k++)
        for (int64_t j = 0; j < img.dim[1]; j++)
            for (int64_t i = 0; i < img.dim[0]; i++) {
                const int32_t l = labels[i + img.dim[0] * (j + img.dim[1] * k)];
                if (!l)
                    continue;
                acc[4 * l] += 1;
                acc[4 * l + 1] += (double)i;
                acc[4 * l + 2] += (double)j;
                acc[4 * l + 3] += (double)k;
            }
    const double vox = img.spacing[0] * img.spacing[1] * img.spacing[2];
    printf("label\tvoxels\tvolume_mm3\tcentroid_x_mm\tcentroid_y_mm\tcentroid_z_mm\n");
    for (int32_t l = 1; l <= nc; l++) {
        const double cnt = acc[4 * l], ci = acc[4 * l + 1] / cnt, cj = acc[4 * l + 2] / cnt, ck = acc[4 * l + 3] / cnt;
        double w[3];
        for (int r = 0; r < 3; r++)
            w[r] = img.affine[r][0] * ci + img.affine[r][1] * cj + img.affine[r][2] * ck + img.affine[r][3];
        printf("%d\t%.0f\t%.6g\t%.4f\t%.4f\t%.4f\n", l, cnt, cnt * vox, w[0], w[1], w[2]);
    }
    fflush(stdout);
    free(acc);
done:
    volume_free(&img);
    volume_free(&lab);
    free(m);
    free(labels);
    return rc;
}

/* ---------------------------------------------------------------- resample */

const char cmd_resample_usage[] =
    "Usage: sarc resample IN -o OUT --spacing X,Y,Z [--interp nearest|linear|bspline]\n"
    "  Resamples to a new spacing (mm) over the same extent: size round(size * old / new), same\n"
    "  origin and direction, as SimpleITK's Resample; default linear; bspline = sitkBSpline\n"
    "  (cubic, with ITK's coefficient prefilter). Points outside the input get 0.\n";

int cmd_resample(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *sp = NULL, *interp = NULL;
    const struct cmd_opt opts[] = {
        {"-o", &out, NULL}, {"--spacing", &sp, NULL}, {"--interp", &interp, NULL}, {NULL, NULL, NULL}};
    if (cmd_parse(argc, argv, opts, &in, 1) < 0)
        return 2;
    if (!in || !out || !sp) {
        cmd_failf("resample", "needs IN, -o OUT and --spacing X,Y,Z");
        return cmd_usage("resample");
    }
    double s[3];
    if (opt_list(sp, s, 3) != 0) {
        if (opt_double(sp, &s[0]) != 0)
            return cmd_failf("--spacing", "'%s': expected X,Y,Z in mm", sp);
        s[1] = s[2] = s[0];
    }
    for (int d = 0; d < 3; d++)
        if (!(s[d] > 0) || !isfinite(s[d]))
            return cmd_failf("--spacing", "'%s': spacings must be positive", sp);
    enum interp mode = INTERP_LINEAR;
    if (interp) {
        if (!strcmp(interp, "nearest")) mode = INTERP_NEAREST;
        else if (!strcmp(interp, "linear")) mode = INTERP_LINEAR;
        else if (!strcmp(interp, "bspline")) mode = INTERP_BSPLINE;
        else
            return cmd_failf("--interp", "'%s': expected nearest, linear or bspline", interp);
    }
    struct volume img = {0}, res = {0};
    struct sarc_err e = {0};
    int rc = image_read(in, &img);
    if (rc)
        return rc;
    if (resample_spacing(&img, s, mode, &res, &e) != 0)
        rc = cmd_fail(in, &e);
    else if (!(rc = write_volume(out, &res))) {
        const char *ins[1] = {in}, *outs[1] = {out};
        audit_files("resample", ins, 1, outs, 1);
    }
    volume_free(&img);
    volume_free(&res);
    return rc;
}

/* ---------------------------------------------------------------- growcut */

const char cmd_growcut_usage[] =
    "Usage: sarc growcut IMAGE --seeds SEEDS -o MASK [--max-iterations N]\n"
    "  GrowCut (Vezhnevets & Konouchine 2005) from seeds: 1 = tumour, 2 = background, 0 = unknown,\n"
    "  on IMAGE's grid. MASK (uint8) = the voxels the tumour label wins. Runs to convergence by\n"
    "  default.\n";

int cmd_growcut(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *seedp = NULL, *maxit = NULL;
    const struct cmd_opt opts[] = {
        {"-o", &out, NULL}, {"--seeds", &seedp, NULL}, {"--max-iterations", &maxit, NULL}, {NULL, NULL, NULL}};
    if (cmd_parse(argc, argv, opts, &in, 1) < 0)
        return 2;
    if (!in || !out || !seedp) {
        cmd_failf("growcut", "needs IMAGE, --seeds SEEDS and -o MASK");
        return cmd_usage("growcut");
    }
    long long mi = 0;
    if (maxit && opt_int(maxit, 1, 100000, &mi))
        return cmd_failf("--max-iterations", "'%s' is not an integer in 1..100000", maxit);
    struct volume img = {0};
    uint8_t *seeds = NULL, *lab = NULL;
    struct sarc_err e = {0};
    int rc = image_read(in, &img);
    if (rc)
        return rc;
    uint8_t *raw = NULL;
    if ((rc = mask_read(seedp, &img, &seeds, &raw)))
        goto done;
    const int64_t n = volume_frame_count(&img);
    lab = malloc((size_t)n);
    if (!lab) {
        rc = cmd_failf(in, "out of memory");
        goto done;
    }
    int its = 0;
    if (growcut_segment(&img, seeds, (int)mi, lab, &its, &e) != 0) {
        rc = cmd_fail(seedp, &e);
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        lab[i] = lab[i] == 1;
    cmd_note("growcut: %d steps", its);
    if (!(rc = mask_write(out, &img, lab))) {
        const char *ins[2] = {in, seedp}, *outs[1] = {out};
        audit_files("growcut", ins, 2, outs, 1);
    }
done:
    volume_free(&img);
    free(seeds);
    free(lab);
    return rc;
}
