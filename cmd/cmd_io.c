/* cmd_io.c - the I/O subcommands of issue 2:
 *   sarc info FILE...          format, dims, spacing, datatype, scaling, affine and statistics
 *   sarc convert IN OUT [--type uint8|int16|float32|...] [--frame K] [--segment NAME]
 *                              read with volume_read, write with volume_write (format from the
 *                              extension), one audit step with both files' SHA-256
 *   sarc audit show FILE       the JSON Lines trail of io/audit.h, readably
 * Errors: "sarc: <file>: <reason>" on stderr, exit 2. Covered by test/cmd/test_cli.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "io/audit.h"
#include "io/file.h"
#include "io/volio.h"
#include "vendor/json.h"

/* ---------------------------------------------------------------- info */

const char cmd_info_usage[] =
    "Usage: sarc info FILE...\n"
    "  Format, dims, spacing, datatype, scaling, affine and min/max/mean/std of each image\n"
    "  (.nii, .nii.gz, .hdr/.img, .nrrd, .nhdr, Bruker 2dseq or experiment folder).\n";

/* Prints the `sarc info` block of one read volume (header fields, affine, statistics). */
static void print_info(const char *path, const struct volume *v)
{
    struct vstats s;
    volume_stats(v, &s);
    printf("%s\n", path);
    printf("  format:    %s\n", v->format);
    printf("  dims:      ");
    for (int i = 0; i < v->ndim; i++)
        printf(i ? " x %lld" : "%lld", (long long)v->dim[i]);
    printf("  (%lld voxels)\n", (long long)volume_count(v));
    printf("  spacing:   %.9g x %.9g x %.9g mm", v->spacing[0], v->spacing[1], v->spacing[2]);
    if (v->ndim == 4)
        printf(", frames %.9g", v->spacing[3]);
    printf("\n  datatype:  %s\n", vtype_name(v->type));
    if (v->scl_slope != 0 && !(v->scl_slope == 1 && v->scl_inter == 0))
        printf("  scaling:   value = stored * %.9g + %.9g\n", v->scl_slope, v->scl_inter);
    else
        printf("  scaling:   none\n");
    if (!strncmp(v->format, "nifti", 5))
        printf("  codes:     qform_code %d, sform_code %d\n", v->qform_code, v->sform_code);
    for (int r = 0; r < 3; r++)
        printf("  %-10s [%12.6f %12.6f %12.6f %12.6f ]\n", r == 0 ? "affine:" : "", v->affine[r][0], v->affine[r][1], v->affine[r][2], v->affine[r][3]);
    printf("  stats:     min %.9g  max %.9g  mean %.9g  std %.9g", s.min, s.max, s.mean, s.std);
    if (s.nan_count)
        printf("  (NaN: %lld)", (long long)s.nan_count);
    printf("\n");
}

int cmd_info(int argc, char **argv)
{
    int nfiles = 0, rc = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) {
            cmd_failf("info", "unknown option '%s'", argv[i]);
            return cmd_usage("info");
        }
        nfiles++;
    }
    if (!nfiles) {
        cmd_failf("info", "no input file");
        return cmd_usage("info");
    }
    for (int i = 1; i < argc; i++) {
        struct volume v = {0};
        struct sarc_err e = {0};
        if (volume_read(argv[i], NULL, &v, &e) != 0) {
            rc = cmd_fail(argv[i], &e);
            continue;
        }
        print_info(argv[i], &v);
        volume_free(&v);
    }
    fflush(stdout);
    return rc;
}

/* ---------------------------------------------------------------- convert */

const char cmd_convert_usage[] =
    "Usage: sarc convert IN OUT [--type uint8|int8|uint16|int16|uint32|int32|float32|float64]\n"
    "                    [--frame K] [--segment NAME]\n"
    "  Converts between formats chosen by extension: reads .nii, .nii.gz, .hdr/.img, .nrrd, .nhdr,\n"
    "  Bruker folders/2dseq; writes .nii, .nii.gz, .nrrd.\n"
    "  --type T       output datatype; without it the source's type is kept where it holds the\n"
    "                 values exactly, else float32. Values that do not fit an integer type are\n"
    "                 stored with scl_slope/scl_inter.\n"
    "  --frame K      only frame K (0-based) of a 4-D input\n"
    "  --segment NAME one segment (name or label value) of a .seg.nrrd\n"
    "  The output is written atomically; the audit step records both files' SHA-256.\n";

/* --type name s (vtype_name spelling) into *t; -1 if it is not one of uint8 .. float64. */
static int parse_vtype(const char *s, enum vtype *t)
{
    for (int k = VT_U8; k <= VT_F64; k++)
        if (!strcmp(s, vtype_name((enum vtype)k))) {
            *t = (enum vtype)k;
            return 0;
        }
    return -1;
}

int cmd_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    struct volume_read_opts ro = VOLUME_READ_OPTS_DEFAULT;
    struct volume_write_opts wo = VOLUME_WRITE_OPTS_DEFAULT;
    const char *type_s = NULL, *frame_s = NULL, *pos[2] = {NULL, NULL};
    const struct cmd_opt opts[] = {
        {"--type", &type_s, NULL}, {"--frame", &frame_s, NULL}, {"--segment", &ro.segment, NULL}, {NULL, NULL, NULL}};
    if (cmd_parse(argc, argv, opts, pos, 2) < 0)
        return 2;
    in = pos[0], out = pos[1];
    if (type_s && parse_vtype(type_s, &wo.type))
        return cmd_failf("--type", "'%s': expected uint8, int8, uint16, int16, uint32, int32, float32 or float64", type_s);
    if (frame_s) {
        long long k;
        if (opt_int(frame_s, 0, 1 << 30, &k))
            return cmd_failf("--frame", "'%s' is not a frame number (0, 1, ...)", frame_s);
        ro.frame = (int)k;
    }
    if (!in || !out) {
        cmd_failf("convert", "needs an input and an output file");
        return cmd_usage("convert");
    }
    if (!path_has_suffix(out, ".nii") && !path_has_suffix(out, ".nii.gz") && !path_has_suffix(out, ".nrrd"))
        return cmd_failf(out, "cannot write this format (use .nii, .nii.gz or .nrrd)");
    if (ro.segment && volume_format_of(in) != VF_NRRD)
        return cmd_failf("--segment", "only for segmentation .seg.nrrd inputs, not %s", in);
    struct volume v = {0};
    struct sarc_err e = {0};
    if (volume_read(in, &ro, &v, &e) != 0)
        return cmd_fail(in, &e);
    struct audit_step *st = audit_step_begin("convert");
    audit_param_str(st, "type", type_s ? type_s : "keep");
    audit_param_int(st, "frame", ro.frame);
    if (ro.segment)
        audit_param_str(st, "segment", ro.segment);
    if (file_is_regular(in))
        audit_input_file(st, "image", in);
    else
        audit_param_str(st, "input_folder", in);
    audit_input_volume(st, "data", &v);
    int rc = 0;
    if (volume_write(out, &v, &wo, &e) != 0)
        rc = cmd_fail(out, &e);
    else
        audit_output_file(st, "image", out);
    if (rc)
        audit_note(st, "write failed");
    audit_step_end(st);
    if (!rc)
        cmd_note("%s -> %s (%lld voxels, source type %s%s%s)", in, out, (long long)volume_count(&v), vtype_name(v.type),
                 type_s ? ", written as " : "", type_s ? type_s : "");
    volume_free(&v);
    return rc;
}

/* ---------------------------------------------------------------- audit show */

const char cmd_audit_usage[] =
    "Usage: sarc audit show FILE\n"
    "  Prints an audit trail (JSON Lines: run, step and end records) readably.\n";

/* Prints a value compactly: scalars as text, arrays as [a, b], objects as k=v. */
static void value_print(FILE *f, const struct json_value *v)
{
    if (!v) {
        fputs("-", f);
        return;
    }
    switch (v->type) {
    case 's':
    case 'n': fputs(v->text, f); break;
    case 't': fputs("true", f); break;
    case 'f': fputs("false", f); break;
    case 'z': fputs("null", f); break;
    case 'a':
        fputc('[', f);
        for (int i = 0; i < v->n; i++) {
            if (i)
                fputs(v->items[i].type == 'n' ? "x" : ", ", f);
            value_print(f, &v->items[i]);
        }
        fputc(']', f);
        break;
    default:
        for (int i = 0; i < v->n; i++) {
            fprintf(f, "%s%s=", i ? " " : "", v->keys[i]);
            value_print(f, &v->items[i]);
        }
    }
}

/* label, then the member key of object o (or "-" when it is absent). */
static void put_field(FILE *f, const char *label, const struct json_value *o, const char *key)
{
    fputs(label, f);
    value_print(f, json_get(o, key));
}

/* Seconds, readably (the trail keeps full precision). */
static void print_secs(FILE *f, const struct json_value *v)
{
    if (v && v->type == 'n')
        fprintf(f, "%.3f", strtod(v->text, NULL));
    else
        value_print(f, v);
}

/* Prints a step's inputs or outputs: files with path, hash and size; arrays with type, shape,
 * hash and statistics. */
static void show_entries(FILE *f, const char *dir, const struct json_value *arr)
{
    if (!arr || arr->type != 'a')
        return;
    for (int i = 0; i < arr->n; i++) {
        const struct json_value *x = &arr->items[i];
        fprintf(f, "    %-3s %s: ", dir, json_get(x, "name") ? json_get(x, "name")->text : "?");
        if (json_get(x, "path")) {
            put_field(f, "", x, "path");
            put_field(f, "  sha256 ", x, "sha256");
            put_field(f, "  (", x, "bytes");
            fputs(" bytes)\n", f);
        } else {
            put_field(f, "", x, "dtype");
            put_field(f, " ", x, "shape");
            put_field(f, "  sha256 ", x, "sha256");
            put_field(f, "\n          ", x, "stats");
            fputc('\n', f);
        }
    }
}

/* Prints one trail record (run, step or end; anything else raw). */
static void show_record(FILE *f, const struct json_value *r)
{
    const struct json_value *type = json_get(r, "type");
    const char *t = type && type->type == 's' ? type->text : "";
    if (!strcmp(t, "run")) {
        put_field(f, "run ", r, "run");
        put_field(f, "  started ", r, "start");
        fputs("\n  command:", f);
        const struct json_value *a = json_get(r, "argv");
        for (int i = 0; a && a->type == 'a' && i < a->n; i++) {
            fputc(' ', f);
            value_print(f, &a->items[i]);
        }
        put_field(f, "\n  version ", r, "version");
        put_field(f, ", commit ", r, "commit");
        put_field(f, ", seed ", r, "seed");
        put_field(f, ", threads ", r, "threads");
        put_field(f, ", device ", r, "device");
        fputc('\n', f);
    } else if (!strcmp(t, "step")) {
        put_field(f, "  step ", r, "seq");
        put_field(f, " ", r, "step");
        fputs("  (", f);
        print_secs(f, json_get(r, "wall_s"));
        fputs(" s)\n", f);
        const struct json_value *p = json_get(r, "params");
        if (p && p->n) {
            fputs("    params: ", f);
            value_print(f, p);
            fputc('\n', f);
        }
        show_entries(f, "in", json_get(r, "inputs"));
        show_entries(f, "out", json_get(r, "outputs"));
        const struct json_value *s = json_get(r, "summary");
        for (int i = 0; s && s->type == 'o' && i < s->n; i++) {
            fprintf(f, "    summary %s: ", s->keys[i]);
            value_print(f, &s->items[i]);
            fputc('\n', f);
        }
        const struct json_value *n = json_get(r, "notes");
        for (int i = 0; n && n->type == 'a' && i < n->n; i++) {
            fputs("    note: ", f);
            value_print(f, &n->items[i]);
            fputc('\n', f);
        }
    } else if (!strcmp(t, "end")) {
        put_field(f, "end ", r, "run");
        put_field(f, "  exit ", r, "exit");
        put_field(f, ", ", r, "steps");
        fputs(" steps, ", f);
        print_secs(f, json_get(r, "wall_s"));
        put_field(f, " s, ended ", r, "end");
        fputs("\n\n", f);
    } else {
        fputs("  (record) ", f);
        value_print(f, r);
        fputc('\n', f);
    }
}

int cmd_audit(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "show") != 0) {
        cmd_failf("audit", "unknown action '%s' (expected: audit show FILE)", argv[1]);
        return cmd_usage("audit");
    }
    if (argc != 3) {
        cmd_failf("audit", "expected: audit show FILE");
        return cmd_usage("audit");
    }
    const char *path = argv[2];
    uint8_t *buf = NULL;
    size_t len = 0;
    struct sarc_err e = {0};
    if (file_read_all(path, &buf, &len, 0, &e) != 0)
        return cmd_fail(path, &e);
    /* render into memory first so that a bad line gives an error and no half listing */
    char *text = NULL;
    size_t tlen = 0;
    FILE *mem = open_memstream(&text, &tlen);
    if (!mem) {
        free(buf);
        return cmd_failf(path, "out of memory");
    }
    int rc = 0, lineno = 0, records = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        const char *p = line + strspn(line, " \t\r");
        if (!*p)
            continue;
        struct json_value r;
        const char *end = NULL;
        if (json_parse(p, &r, &end) != 0 || end[strspn(end, " \t\r")] || r.type != 'o') {
            json_value_free(&r);
            rc = cmd_failf(path, "line %d is not a JSON object (not an audit trail?)", lineno);
            break;
        }
        show_record(mem, &r);
        records++;
        json_value_free(&r);
    }
    fclose(mem);
    if (!rc && !records)
        rc = cmd_failf(path, "empty audit trail");
    if (!rc)
        fwrite(text, 1, tlen, stdout);
    free(text);
    free(buf);
    return rc;
}
