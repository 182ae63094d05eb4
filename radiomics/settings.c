/* settings.c - PyRadiomics' settings (names, types, defaults), the feature-class table, and the
 * subset of PyRadiomics' YAML parameter files we read: top-level `imageType` (Original only),
 * `featureClass` (class: ~ / [] / null = all features, or a list of names), `setting` (and
 * `voxelSetting`) with PyRadiomics' setting names. Block and flow lists, quoted scalars, YAML 1.1
 * booleans, comments. Anything else (unknown keys, other image types, anchors) is an error,
 * never ignored. Covered by test/radiomics/test_settings.c. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/file.h"
#include "radiomics/radiomics.h"

static const char *const shape_feat[] = {
    "MeshVolume", "VoxelVolume", "SurfaceArea", "SurfaceVolumeRatio", "Sphericity", "Maximum3DDiameter",
    "Maximum2DDiameterSlice", "Maximum2DDiameterColumn", "Maximum2DDiameterRow", "MajorAxisLength",
    "MinorAxisLength", "LeastAxisLength", "Elongation", "Flatness"};
static const char *const shape2d_feat[] = {
    "MeshSurface", "PixelSurface", "Perimeter", "PerimeterSurfaceRatio", "Sphericity", "MaximumDiameter",
    "MajorAxisLength", "MinorAxisLength", "Elongation"};
static const char *const firstorder_feat[] = {
    "Energy", "TotalEnergy", "Entropy", "Minimum", "10Percentile", "90Percentile", "Maximum", "Mean",
    "Median", "InterquartileRange", "Range", "MeanAbsoluteDeviation", "RobustMeanAbsoluteDeviation",
    "RootMeanSquared", "Skewness", "Kurtosis", "Variance", "Uniformity"};
static const char *const glcm_feat[] = {
    "Autocorrelation", "JointAverage", "ClusterProminence", "ClusterShade", "ClusterTendency", "Contrast",
    "Correlation", "DifferenceAverage", "DifferenceEntropy", "DifferenceVariance", "JointEnergy",
    "JointEntropy", "Imc1", "Imc2", "Idm", "MCC", "Idmn", "Id", "Idn", "InverseVariance",
    "MaximumProbability", "SumAverage", "SumEntropy", "SumSquares"};
static const char *const glrlm_feat[] = {
    "ShortRunEmphasis", "LongRunEmphasis", "GrayLevelNonUniformity", "GrayLevelNonUniformityNormalized",
    "RunLengthNonUniformity", "RunLengthNonUniformityNormalized", "RunPercentage", "GrayLevelVariance",
    "RunVariance", "RunEntropy", "LowGrayLevelRunEmphasis", "HighGrayLevelRunEmphasis",
    "ShortRunLowGrayLevelEmphasis", "ShortRunHighGrayLevelEmphasis", "LongRunLowGrayLevelEmphasis",
    "LongRunHighGrayLevelEmphasis"};
static const char *const glszm_feat[] = {
    "SmallAreaEmphasis", "LargeAreaEmphasis", "GrayLevelNonUniformity", "GrayLevelNonUniformityNormalized",
    "SizeZoneNonUniformity", "SizeZoneNonUniformityNormalized", "ZonePercentage", "GrayLevelVariance",
    "ZoneVariance", "ZoneEntropy", "LowGrayLevelZoneEmphasis", "HighGrayLevelZoneEmphasis",
    "SmallAreaLowGrayLevelEmphasis", "SmallAreaHighGrayLevelEmphasis", "LargeAreaLowGrayLevelEmphasis",
    "LargeAreaHighGrayLevelEmphasis"};
static const char *const gldm_feat[] = {
    "SmallDependenceEmphasis", "LargeDependenceEmphasis", "GrayLevelNonUniformity", "DependenceNonUniformity",
    "DependenceNonUniformityNormalized", "GrayLevelVariance", "DependenceVariance", "DependenceEntropy",
    "LowGrayLevelEmphasis", "HighGrayLevelEmphasis", "SmallDependenceLowGrayLevelEmphasis",
    "SmallDependenceHighGrayLevelEmphasis", "LargeDependenceLowGrayLevelEmphasis",
    "LargeDependenceHighGrayLevelEmphasis"};
static const char *const ngtdm_feat[] = {"Coarseness", "Contrast", "Busyness", "Complexity", "Strength"};

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
const struct rad_class_info rad_class_table[RC_COUNT] = {
    {"shape", NELEM(shape_feat), shape_feat},
    {"shape2D", NELEM(shape2d_feat), shape2d_feat},
    {"firstorder", NELEM(firstorder_feat), firstorder_feat},
    {"glcm", NELEM(glcm_feat), glcm_feat},
    {"glrlm", NELEM(glrlm_feat), glrlm_feat},
    {"glszm", NELEM(glszm_feat), glszm_feat},
    {"gldm", NELEM(gldm_feat), gldm_feat},
    {"ngtdm", NELEM(ngtdm_feat), ngtdm_feat},
};

/* Deprecated features PyRadiomics accepts by name but never computes (FACTS.md section 18). */
static const char *const deprecated[][2] = {
    {"shape", "Compactness1"}, {"shape", "Compactness2"}, {"shape", "SphericalDisproportion"},
    {"shape2D", "SphericalDisproportion"}, {"firstorder", "StandardDeviation"},
    {"glcm", "Dissimilarity"}, {"glcm", "Homogeneity1"}, {"glcm", "Homogeneity2"},
    {"glcm", "SumVariance"}, {"gldm", "GrayLevelNonUniformityNormalized"},
    {"gldm", "DependencePercentage"}};

int rad_class_find(const char *name)
{
    for (int c = 0; c < RC_COUNT; c++)
        if (strcmp(rad_class_table[c].name, name) == 0)
            return c;
    return -1;
}

int rad_feature_find(int cls, const char *name)
{
    for (int f = 0; f < rad_class_table[cls].nfeat; f++)
        if (strcmp(rad_class_table[cls].feat[f], name) == 0)
            return f;
    return -1;
}

void rad_settings_default(struct rad_settings *s)
{
    memset(s, 0, sizeof *s);
    s->label = 1;
    s->bin_width = 25;
    s->symmetrical_glcm = 1;
    s->ndist = 1;
    s->distances[0] = 1;
    s->normalize_scale = 1;
    s->remove_outliers = NAN;
    s->interpolator = RI_BSPLINE;
    s->pad_distance = 5;
    s->reseg_mode = RR_ABSOLUTE;
    s->min_roi_dims = 2;
    s->additional_info = 1;
    s->geometry_tolerance = NAN;
    s->kernel_radius = 1;
    s->masked_kernel = 1;
}

int rad_enable(struct rad_settings *s, const char *cls, const char *const *names, int n, struct sarc_err *e)
{
    const int c = rad_class_find(cls);
    if (c < 0)
        return ERR(e, SARC_ERR_ARG, "featureClass: unknown class \"%s\" (expected shape, shape2D, firstorder, glcm, glrlm, glszm, gldm or ngtdm)", cls);
    if (!s->classes_given)
        memset(s->enabled, 0, sizeof s->enabled);
    s->classes_given = 1;
    if (!names || n == 0) {
        s->enabled[c] = (uint32_t)((1ull << rad_class_table[c].nfeat) - 1);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        const int f = rad_feature_find(c, names[i]);
        if (f >= 0) {
            s->enabled[c] |= 1u << f;
            continue;
        }
        int dep = 0;
        for (int d = 0; d < NELEM(deprecated); d++)
            if (strcmp(deprecated[d][0], cls) == 0 && strcmp(deprecated[d][1], names[i]) == 0)
                dep = 1;
        if (!dep)
            return ERR(e, SARC_ERR_ARG, "featureClass %s: unknown feature \"%s\"", cls, names[i]);
        /* deprecated: accepted, computes nothing (as PyRadiomics) */
    }
    return 0;
}

/* ---- scalar parsing ---- */

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    size_t i = 0;
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    if (i)
        memmove(s, s + i, n - i + 1);
}

/* Removes matching surrounding quotes. */
static void unquote(char *s)
{
    size_t n = strlen(s);
    if (n >= 2 && ((s[0] == '"' && s[n - 1] == '"') || (s[0] == '\'' && s[n - 1] == '\''))) {
        memmove(s, s + 1, n - 2);
        s[n - 2] = 0;
    }
}

static int is_null(const char *v)
{
    return !*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
           strcmp(v, "NULL") == 0 || strcmp(v, "None") == 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const t[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char *const f[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    for (int i = 0; i < 9; i++) {
        if (strcmp(v, t[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(v, f[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static int parse_num(const char *v, double *out)
{
    char *end;
    errno = 0;
    const double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x))
        return -1;
    *out = x;
    return 0;
}

static int parse_int(const char *v, long long lo, long long hi, long long *out)
{
    double x;
    if (parse_num(v, &x) || x != floor(x) || x < (double)lo || x > (double)hi)
        return -1;
    *out = (long long)x;
    return 0;
}

/* Splits a flow list "[a, b, c]" (or a bare scalar, as a one-element list) into up to max items
 * (each trimmed and unquoted) in buf. Returns the count or -1. */
static int parse_list(const char *v, char items[][64], int max)
{
    char tmp[512];
    if (strlen(v) >= sizeof tmp)
        return -1;
    strcpy(tmp, v);
    trim(tmp);
    char *p = tmp;
    size_t n = strlen(p);
    if (n && p[0] == '[') {
        if (p[n - 1] != ']')
            return -1;
        p[n - 1] = 0;
        p++;
        trim(p);
        if (!*p)
            return 0;
    }
    int count = 0;
    while (p) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = 0;
        if (count >= max || strlen(p) >= 64)
            return -1;
        strcpy(items[count], p);
        trim(items[count]);
        unquote(items[count]);
        if (!items[count][0])
            return -1;
        count++;
        p = comma ? comma + 1 : NULL;
    }
    return count;
}

#define BAD(...) return ERR(e, SARC_ERR_ARG, __VA_ARGS__)

int rad_setting_set(struct rad_settings *s, const char *name, const char *value, struct sarc_err *e)
{
    char v[512];
    if (strlen(value) >= sizeof v)
        BAD("setting %s: value too long", name);
    strcpy(v, value);
    trim(v);
    unquote(v);
    const int null = is_null(v);
    double x;
    long long k;
    int b;
    char items[8][64];

#define NEED_BOOL(field)                                                                    \
    do {                                                                                    \
        if (parse_bool(v, &b))                                                              \
            BAD("setting %s: \"%s\" is not a boolean (true/false)", name, v);               \
        s->field = b;                                                                       \
        return 0;                                                                           \
    } while (0)

    if (strcmp(name, "label") == 0) {
        if (parse_int(v, 0, 4294967295LL, &k))
            BAD("setting label: \"%s\", expected an integer 0..4294967295", v);
        s->label = (int)k;
        if ((long long)s->label != k)
            BAD("setting label: %lld too large", k);
        return 0;
    }
    if (strcmp(name, "binWidth") == 0) {
        if (null) {
            s->bin_width = NAN;
            return 0;
        }
        if (parse_num(v, &x) || !(x > 0))
            BAD("setting binWidth: \"%s\", expected a number > 0", v);
        s->bin_width = x;
        return 0;
    }
    if (strcmp(name, "binCount") == 0) {
        if (null) {
            s->bin_count = 0;
            return 0;
        }
        if (parse_int(v, 1, 1000000, &k))
            BAD("setting binCount: \"%s\", expected an integer 1..1000000", v);
        s->bin_count = (int)k;
        return 0;
    }
    if (strcmp(name, "voxelArrayShift") == 0) {
        if (parse_num(v, &x))
            BAD("setting voxelArrayShift: \"%s\", expected a number", v);
        s->voxel_array_shift = x;
        return 0;
    }
    if (strcmp(name, "symmetricalGLCM") == 0)
        NEED_BOOL(symmetrical_glcm);
    if (strcmp(name, "weightingNorm") == 0) {
        if (null)
            s->weighting = RW_NONE;
        else if (strcmp(v, "infinity") == 0)
            s->weighting = RW_INFINITY;
        else if (strcmp(v, "euclidean") == 0)
            s->weighting = RW_EUCLIDEAN;
        else if (strcmp(v, "manhattan") == 0)
            s->weighting = RW_MANHATTAN;
        else if (strcmp(v, "no_weighting") == 0)
            s->weighting = RW_NO_WEIGHTING;
        else
            BAD("setting weightingNorm: \"%s\", expected infinity, euclidean, manhattan, no_weighting or null", v);
        return 0;
    }
    if (strcmp(name, "distances") == 0) {
        const int n = parse_list(v, items, RAD_MAX_DIST);
        if (n < 1)
            BAD("setting distances: \"%s\", expected a list of 1..%d integers >= 1", v, RAD_MAX_DIST);
        for (int i = 0; i < n; i++) {
            if (parse_int(items[i], 1, 64, &k))
                BAD("setting distances: \"%s\" is not an integer 1..64", items[i]);
            s->distances[i] = (int)k;
        }
        s->ndist = n;
        return 0;
    }
    if (strcmp(name, "gldm_a") == 0) {
        if (parse_num(v, &x) || x < 0)
            BAD("setting gldm_a: \"%s\", expected a number >= 0", v);
        s->gldm_a = x;
        return 0;
    }
    if (strcmp(name, "force2D") == 0)
        NEED_BOOL(force2d);
    if (strcmp(name, "force2Ddimension") == 0) {
        if (parse_int(v, 0, 2, &k))
            BAD("setting force2Ddimension: \"%s\", expected 0, 1 or 2", v);
        s->force2d_dim = (int)k;
        return 0;
    }
    if (strcmp(name, "normalize") == 0)
        NEED_BOOL(normalize);
    if (strcmp(name, "normalizeScale") == 0) {
        if (parse_num(v, &x) || !(x > 0))
            BAD("setting normalizeScale: \"%s\", expected a number > 0", v);
        s->normalize_scale = x;
        return 0;
    }
    if (strcmp(name, "removeOutliers") == 0) {
        if (null) {
            s->remove_outliers = NAN;
            return 0;
        }
        if (parse_num(v, &x) || !(x > 0))
            BAD("setting removeOutliers: \"%s\", expected a number > 0 or null", v);
        s->remove_outliers = x;
        return 0;
    }
    if (strcmp(name, "resampledPixelSpacing") == 0) {
        if (null) {
            s->resample = 0;
            return 0;
        }
        const int n = parse_list(v, items, 3);
        if (n != 3)
            BAD("setting resampledPixelSpacing: \"%s\", expected [x, y, z] or null", v);
        for (int i = 0; i < 3; i++)
            if (parse_num(items[i], &x) || x < 0)
                BAD("setting resampledPixelSpacing: \"%s\" is not a number >= 0", items[i]);
            else
                s->resampled_spacing[i] = x;
        s->resample = 1;
        return 0;
    }
    if (strcmp(name, "interpolator") == 0) {
        if (null)
            s->interpolator = RI_NONE;
        else if (strcmp(v, "sitkBSpline") == 0 || strcmp(v, "3") == 0)
            s->interpolator = RI_BSPLINE;
        else if (strcmp(v, "sitkNearestNeighbor") == 0 || strcmp(v, "1") == 0)
            s->interpolator = RI_NEAREST;
        else if (strcmp(v, "sitkLinear") == 0 || strcmp(v, "2") == 0)
            s->interpolator = RI_LINEAR;
        else
            BAD("setting interpolator: \"%s\" is not supported (sitkBSpline, sitkLinear, sitkNearestNeighbor or null)", v);
        return 0;
    }
    if (strcmp(name, "padDistance") == 0) {
        if (parse_num(v, &x) || x < 0)
            BAD("setting padDistance: \"%s\", expected a number >= 0", v);
        s->pad_distance = x;
        return 0;
    }
    if (strcmp(name, "resegmentRange") == 0) {
        if (null) {
            s->nreseg = 0;
            return 0;
        }
        const int n = parse_list(v, items, 2);
        if (n < 1)
            BAD("setting resegmentRange: \"%s\", expected [low] or [low, high] or null", v);
        for (int i = 0; i < n; i++)
            if (parse_num(items[i], &x))
                BAD("setting resegmentRange: \"%s\" is not a number", items[i]);
            else
                s->reseg_range[i] = x;
        s->nreseg = n;
        return 0;
    }
    if (strcmp(name, "resegmentMode") == 0) {
        if (null || strcmp(v, "absolute") == 0)
            s->reseg_mode = RR_ABSOLUTE;
        else if (strcmp(v, "relative") == 0)
            s->reseg_mode = RR_RELATIVE;
        else if (strcmp(v, "sigma") == 0)
            s->reseg_mode = RR_SIGMA;
        else
            BAD("setting resegmentMode: \"%s\", expected absolute, relative or sigma", v);
        return 0;
    }
    if (strcmp(name, "resegmentShape") == 0)
        NEED_BOOL(reseg_shape);
    if (strcmp(name, "preCrop") == 0)
        NEED_BOOL(pre_crop);
    if (strcmp(name, "correctMask") == 0)
        NEED_BOOL(correct_mask);
    if (strcmp(name, "additionalInfo") == 0) {
        s->additional_info_given = 1;
        NEED_BOOL(additional_info);
    }
    if (strcmp(name, "enableCExtensions") == 0) {
        if (parse_bool(v, &b))
            BAD("setting enableCExtensions: \"%s\" is not a boolean", v);
        return 0;
    }
    if (strcmp(name, "minimumROIDimensions") == 0) {
        if (parse_int(v, 1, 3, &k))
            BAD("setting minimumROIDimensions: \"%s\", expected 1, 2 or 3", v);
        s->min_roi_dims = (int)k;
        return 0;
    }
    if (strcmp(name, "minimumROISize") == 0) {
        if (null) {
            s->min_roi_size = 0;
            return 0;
        }
        if (parse_int(v, 1, (long long)1 << 40, &k))
            BAD("setting minimumROISize: \"%s\", expected an integer > 0 or null", v);
        s->min_roi_size = k;
        return 0;
    }
    if (strcmp(name, "geometryTolerance") == 0) {
        if (null) {
            s->geometry_tolerance = NAN;
            return 0;
        }
        if (parse_num(v, &x) || x < 0)
            BAD("setting geometryTolerance: \"%s\", expected a number >= 0", v);
        s->geometry_tolerance = x;
        return 0;
    }
    if (strcmp(name, "kernelRadius") == 0) {
        if (parse_int(v, 1, 32, &k))
            BAD("setting kernelRadius: \"%s\", expected an integer 1..32", v);
        s->kernel_radius = (int)k;
        return 0;
    }
    if (strcmp(name, "maskedKernel") == 0)
        NEED_BOOL(masked_kernel);
    if (strcmp(name, "initValue") == 0) {
        if (parse_num(v, &x))
            BAD("setting initValue: \"%s\", expected a number", v);
        s->init_value = x;
        return 0;
    }
    if (strcmp(name, "voxelBatch") == 0) {
        if (!null && parse_int(v, -1, 1LL << 40, &k))
            BAD("setting voxelBatch: \"%s\", expected an integer", v);
        return 0;
    }
#undef NEED_BOOL
    BAD("unknown setting \"%s\" (PyRadiomics setting names, e.g. binWidth, resegmentRange, force2D)", name);
}

/* ---- YAML subset ---- */

struct yline {
    int indent;
    int item;     /* "- " sequence entry */
    char key[128];
    char val[512]; /* scalar or flow text after "key:" (or the item text) */
    int has_colon;
    int lineno;
};

/* Splits the text into significant lines. Returns the count or a negative error. */
static int yaml_lines(const char *text, size_t len, struct yline **out, struct sarc_err *e)
{
    int cap = 64, n = 0, lineno = 0;
    struct yline *L = malloc((size_t)cap * sizeof *L);
    if (!L)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    size_t pos = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        lineno++;
        char line[700];
        size_t ll = end - pos;
        if (ll >= sizeof line) {
            free(L);
            return ERR(e, SARC_ERR_FORMAT, "line %d: too long", lineno);
        }
        memcpy(line, text + pos, ll);
        line[ll] = 0;
        pos = end + 1;
        if (memchr(line, 0, ll)) {
            free(L);
            return ERR(e, SARC_ERR_FORMAT, "line %d: NUL byte", lineno);
        }
        /* strip a comment: '#' at line start or after whitespace, outside quotes */
        int q = 0;
        for (size_t i = 0; line[i]; i++) {
            if ((line[i] == '"' || line[i] == '\'') && (!q || q == line[i]))
                q = q ? 0 : line[i];
            else if (line[i] == '#' && !q && (i == 0 || isspace((unsigned char)line[i - 1]))) {
                line[i] = 0;
                break;
            }
        }
        size_t n2 = strlen(line);
        while (n2 && (isspace((unsigned char)line[n2 - 1])))
            line[--n2] = 0;
        int ind = 0;
        while (line[ind] == ' ')
            ind++;
        if (!line[ind])
            continue;
        if (line[ind] == '\t') {
            free(L);
            return ERR(e, SARC_ERR_FORMAT, "line %d: tab indentation is not YAML", lineno);
        }
        if (strcmp(line + ind, "---") == 0 || strcmp(line + ind, "...") == 0)
            continue;
        if (n == cap) {
            cap *= 2;
            struct yline *nl = realloc(L, (size_t)cap * sizeof *L);
            if (!nl) {
                free(L);
                return ERR(e, SARC_ERR_NOMEM, "out of memory");
            }
            L = nl;
        }
        struct yline *y = &L[n];
        memset(y, 0, sizeof *y);
        y->lineno = lineno;
        char *p = line + ind;
        if (p[0] == '-' && (p[1] == ' ' || p[1] == 0)) {
            y->item = 1;
            p++;
            while (*p == ' ')
                p++;
            ind = (int)(p - line); /* an item's own content indent */
        }
        y->indent = ind;
        if (*p == '&' || *p == '*' || *p == '!' || *p == '|' || *p == '>') {
            free(L);
            return ERR(e, SARC_ERR_FORMAT, "line %d: YAML anchors, tags and block scalars are not supported", lineno);
        }
        /* key: find ':' followed by space/end outside quotes and brackets */
        char *colon = NULL;
        int depth = 0;
        q = 0;
        for (char *c = p; *c; c++) {
            if ((*c == '"' || *c == '\'') && (!q || q == *c))
                q = q ? 0 : *c;
            else if (!q && (*c == '[' || *c == '{'))
                depth++;
            else if (!q && (*c == ']' || *c == '}'))
                depth--;
            else if (!q && !depth && *c == ':' && (c[1] == ' ' || c[1] == 0)) {
                colon = c;
                break;
            }
        }
        if (colon) {
            *colon = 0;
            if (strlen(p) >= sizeof y->key || strlen(colon + 1) >= sizeof y->val) {
                free(L);
                return ERR(e, SARC_ERR_FORMAT, "line %d: key or value too long", lineno);
            }
            strcpy(y->key, p);
            trim(y->key);
            unquote(y->key);
            strcpy(y->val, colon + 1);
            trim(y->val);
            y->has_colon = 1;
        } else {
            if (strlen(p) >= sizeof y->val) {
                free(L);
                return ERR(e, SARC_ERR_FORMAT, "line %d: value too long", lineno);
            }
            strcpy(y->val, p);
            trim(y->val);
        }
        n++;
    }
    *out = L;
    return n;
}

/* Collects the block list items directly under line i (indent >= key indent) into a flow list
 * "[a, b]" and returns the index of the next line. */
static int collect_items(const struct yline *L, int n, int i, int key_indent, char *flow, size_t size,
                         const char ***names, int *count, struct sarc_err *e)
{
    int j = i + 1;
    size_t used = 0;
    flow[0] = 0;
    if (size < 3)
        return ERR(e, SARC_ERR_INTERNAL, "buffer");
    flow[used++] = '[';
    int c = 0;
    while (j < n && L[j].item && L[j].indent - 2 >= key_indent) {
        if (L[j].has_colon)
            return ERR(e, SARC_ERR_FORMAT, "line %d: expected a list item, found a mapping", L[j].lineno);
        const size_t vl = strlen(L[j].val);
        if (used + vl + 3 >= size)
            return ERR(e, SARC_ERR_FORMAT, "line %d: list too long", L[j].lineno);
        if (c)
            flow[used++] = ',';
        memcpy(flow + used, L[j].val, vl);
        used += vl;
        if (names)
            (*names)[c] = L[j].val;
        c++;
        j++;
    }
    flow[used++] = ']';
    flow[used] = 0;
    *count = c;
    return j;
}

int rad_params_parse(struct rad_settings *s, const char *text, size_t len, struct sarc_err *e)
{
    struct yline *L = NULL;
    const int n = yaml_lines(text, len, &L, e);
    if (n < 0)
        return n;
    int rc = 0;
    const char **names = NULL;
    if (n > 0 && !(names = malloc((size_t)n * sizeof *names))) {
        free(L);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    int i = 0;
    while (i < n) {
        const struct yline *t = &L[i];
        if (t->indent != 0 || t->item || !t->has_colon) {
            rc = ERR(e, SARC_ERR_FORMAT, "line %d: expected a top-level key (imageType, featureClass, setting)", t->lineno);
            goto done;
        }
        const int is_setting = strcmp(t->key, "setting") == 0 || strcmp(t->key, "voxelSetting") == 0;
        const int is_class = strcmp(t->key, "featureClass") == 0;
        const int is_type = strcmp(t->key, "imageType") == 0;
        if (!is_setting && !is_class && !is_type) {
            rc = ERR(e, SARC_ERR_ARG, "line %d: unknown top-level key \"%s\" (expected imageType, featureClass, setting)", t->lineno, t->key);
            goto done;
        }
        if (t->val[0]) {
            /* only the flow forms we need: imageType: {Original: {}} and empty maps */
            char v[512];
            strcpy(v, t->val);
            for (char *c = v; *c; c++)
                if (*c == ' ')
                    memmove(c, c + 1, strlen(c)), c--;
            if (is_type && (strcmp(v, "{Original:{}}") == 0 || strcmp(v, "{Original:null}") == 0 || strcmp(v, "{Original:}") == 0)) {
                i++;
                continue;
            }
            if (strcmp(v, "{}") == 0 && !is_type) {
                i++;
                continue;
            }
            rc = ERR(e, SARC_ERR_FORMAT, "line %d: %s: this flow form is not supported (use block style)", t->lineno, t->key);
            goto done;
        }
        i++;
        int saw_original = 0;
        while (i < n && L[i].indent > 0) {
            const struct yline *c = &L[i];
            if (c->item || !c->has_colon) {
                rc = ERR(e, SARC_ERR_FORMAT, "line %d: expected \"name: value\" under %s", c->lineno, t->key);
                goto done;
            }
            if (is_type) {
                if (strcmp(c->key, "Original") != 0) {
                    rc = ERR(e, SARC_ERR_UNSUPPORTED, "line %d: imageType %s is not supported (Original only)", c->lineno, c->key);
                    goto done;
                }
                if (c->val[0] && strcmp(c->val, "{}") != 0 && !is_null(c->val)) {
                    rc = ERR(e, SARC_ERR_UNSUPPORTED, "line %d: imageType Original takes no custom settings here", c->lineno);
                    goto done;
                }
                saw_original = 1;
                i++;
                while (i < n && L[i].indent > c->indent) {
                    rc = ERR(e, SARC_ERR_UNSUPPORTED, "line %d: imageType Original takes no custom settings here", L[i].lineno);
                    goto done;
                }
                continue;
            }
            char flow[1024];
            int count = 0;
            if (!c->val[0] && i + 1 < n && L[i + 1].item) {
                const int next = collect_items(L, n, i, c->indent, flow, sizeof flow, &names, &count, e);
                if (next < 0) {
                    rc = next;
                    goto done;
                }
                if (is_setting)
                    rc = rad_setting_set(s, c->key, flow, e);
                else
                    rc = rad_enable(s, c->key, names, count, e);
                if (rc) {
                    err_prefix(e, "line %d", c->lineno);
                    goto done;
                }
                i = next;
                continue;
            }
            if (is_setting)
                rc = rad_setting_set(s, c->key, c->val, e);
            else {
                char items[64][64];
                char v[512];
                strcpy(v, c->val);
                if (is_null(v) || strcmp(v, "[]") == 0)
                    rc = rad_enable(s, c->key, NULL, 0, e);
                else {
                    const int m = parse_list(v, items, 64);
                    if (m < 0) {
                        rc = ERR(e, SARC_ERR_FORMAT, "line %d: featureClass %s: bad feature list", c->lineno, c->key);
                        goto done;
                    }
                    const char *ptr[64];
                    for (int k = 0; k < m; k++)
                        ptr[k] = items[k];
                    rc = rad_enable(s, c->key, ptr, m, e);
                }
            }
            if (rc) {
                err_prefix(e, "line %d", c->lineno);
                goto done;
            }
            i++;
        }
        (void)saw_original;
    }
done:
    free(names);
    free(L);
    return rc;
}

int rad_params_read(struct rad_settings *s, const char *path, struct sarc_err *e)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = file_read_all(path, &buf, &len, (size_t)1 << 20, e);
    if (rc)
        return rc;
    rc = rad_params_parse(s, (const char *)buf, len, e);
    free(buf);
    return rc;
}
