/* gzip.c - DEFLATE (RFC 1951) inflate and deflate, with zlib (RFC 1950) and gzip (RFC 1952)
 * framing, CRC-32 (ISO 3309 / ITU-T V.42 polynomial 0xEDB88320, reflected) and Adler-32.
 *
 * Inflate: stored, fixed- and dynamic-Huffman blocks. Huffman codes are decoded through one
 * lookup table per code indexed by the next `maxlen` bits (codes are canonical, RFC 1951
 * 3.2.2). Every read checks the bytes remaining; over-subscribed codes, lengths/distances out of
 * range and distances before the start of the output are errors. Incomplete codes are accepted
 * (a code word that was never assigned is an error when met), as zlib accepts a single
 * distance code. Output is bounded by max_out.
 * Deflate: LZ77 over a 32 KiB window with hash chains (3-byte hash), greedy matching at levels
 * 1..3 and lazy matching at 4..9 (longer chains at higher levels). Symbols are collected in
 * blocks of up to 16384; for each block we compute the exact bit cost of a dynamic-Huffman block
 * (length-limited codes: 15 bits, 7 for the code-length code), of a fixed-Huffman block and of
 * stored blocks, and write the smallest. The output depends on the input and level only.
 * Left out: preset dictionaries (zlib FDICT is refused), streaming across calls.
 * Covered by test/vendor/test_gzip.c. */
#include "vendor/gzip.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- checksums */

/* CRC-32 with a 16-entry (4-bit) table for the reflected polynomial 0xEDB88320. */
static const uint32_t crc_nibble[16] = {
    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
    0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c};

uint32_t crc32_update(uint32_t crc, const uint8_t *buf, size_t len)
{
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= buf[i];
        crc = (crc >> 4) ^ crc_nibble[crc & 15];
        crc = (crc >> 4) ^ crc_nibble[crc & 15];
    }
    return ~crc;
}

uint32_t adler32_update(uint32_t adler, const uint8_t *buf, size_t len)
{
    /* 5552 is the largest n with 255 n (n + 1) / 2 + (n + 1)(65520) < 2^32 (RFC 1950 9.) */
    uint32_t a = adler & 0xffff, b = adler >> 16;
    while (len) {
        size_t n = len < 5552 ? len : 5552;
        len -= n;
        for (size_t i = 0; i < n; i++) {
            a += buf[i];
            b += a;
        }
        buf += n;
        a %= 65521;
        b %= 65521;
    }
    return b << 16 | a;
}

int gzip_is_gzip(const uint8_t *buf, size_t len) { return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b; }

/* ---------------------------------------------------------------- tables (RFC 1951 3.2.5) */

static const uint16_t len_base[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                      35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                      3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
                                       257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
                                       7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
/* order of the code-length code lengths in a dynamic block header (3.2.7) */
static const uint8_t clen_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

static uint32_t bits_reverse(uint32_t code, int n)
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++, code >>= 1)
        r = (r << 1) | (code & 1);
    return r;
}

/* ---------------------------------------------------------------- inflate */

struct bitin {
    const uint8_t *p;
    size_t len, pos; /* bytes */
    uint64_t buf;    /* bits not yet consumed, LSB first */
    int cnt;         /* valid bits in buf */
};

static void bitin_fill(struct bitin *b)
{
    if (b->len - b->pos >= 8) {
        /* 8 bytes at once: the bits above the new count are the true next bits (ORing them in
         * again on the next fill changes nothing), so only whole bytes are counted */
        const uint8_t *p = b->p + b->pos;
        uint64_t w = 0;
        for (int i = 7; i >= 0; i--)
            w = w << 8 | p[i];
        b->buf |= w << b->cnt;
        int k = (63 - b->cnt) >> 3;
        b->pos += (size_t)k;
        b->cnt += 8 * k;
        return;
    }
    while (b->cnt <= 56 && b->pos < b->len) {
        b->buf |= (uint64_t)b->p[b->pos++] << b->cnt;
        b->cnt += 8;
    }
}

/* Reads n (0..32) bits; returns -1 if the input ends first. */
static int bitin_get(struct bitin *b, int n, uint32_t *v)
{
    if (b->cnt < n)
        bitin_fill(b);
    if (b->cnt < n)
        return -1;
    *v = n ? (uint32_t)(b->buf & (((uint64_t)1 << n) - 1)) : 0;
    b->buf >>= n;
    b->cnt -= n;
    return 0;
}

/* Drops the bits up to the next byte boundary and gives back the whole bytes still in buf, so
 * that b->pos is the next unread byte. */
static void bitin_align(struct bitin *b)
{
    int drop = b->cnt & 7;
    b->buf >>= drop;
    b->cnt -= drop;
    b->pos -= (size_t)(b->cnt / 8);
    b->buf = 0;
    b->cnt = 0;
}

#define HUFF_MAXBITS 15
/* A decoding table: entry = symbol << 4 | code length; 0 marks a code word that is not assigned. */
struct huff {
    uint16_t *tab;
    int bits; /* table index width = longest code length */
};

/* Builds the table for n code lengths (0 = symbol unused). Fails on an over-subscribed code or
 * when no symbol has a code (the caller decides whether that is allowed). tab has room for
 * 1 << 15 entries. */
static int huff_build(struct huff *h, const uint8_t *lens, int n, struct sarc_err *e, const char *what)
{
    int count[HUFF_MAXBITS + 1] = {0};
    int maxlen = 0;
    for (int i = 0; i < n; i++) {
        count[lens[i]]++;
        if (lens[i] > maxlen)
            maxlen = lens[i];
    }
    count[0] = 0;
    /* Kraft: each length may use at most the codes left by shorter ones */
    int left = 1;
    for (int l = 1; l <= HUFF_MAXBITS; l++) {
        left <<= 1;
        left -= count[l];
        if (left < 0)
            return ERR(e, SARC_ERR_FORMAT, "deflate: over-subscribed %s code", what);
    }
    if (maxlen == 0)
        maxlen = 1; /* empty code: a one-bit table of invalid entries */
    int next[HUFF_MAXBITS + 2];
    int code = 0;
    next[1] = 0;
    for (int l = 1; l <= HUFF_MAXBITS; l++) {
        code = (code + count[l - 1]) << 1;
        next[l] = code;
    }
    size_t size = (size_t)1 << maxlen;
    memset(h->tab, 0, size * sizeof h->tab[0]);
    for (int s = 0; s < n; s++) {
        int l = lens[s];
        if (!l)
            continue;
        uint32_t r = bits_reverse((uint32_t)next[l]++, l);
        for (size_t k = r; k < size; k += (size_t)1 << l)
            h->tab[k] = (uint16_t)(s << 4 | l);
    }
    h->bits = maxlen;
    return 0;
}

/* Decodes one symbol; -1 on truncated input or an unassigned code word. */
static int huff_decode(struct bitin *b, const struct huff *h)
{
    if (b->cnt < h->bits)
        bitin_fill(b);
    uint16_t ent = h->tab[b->buf & (((uint64_t)1 << h->bits) - 1)];
    int l = ent & 15;
    if (!l || l > b->cnt)
        return -1;
    b->buf >>= l;
    b->cnt -= l;
    return ent >> 4;
}

#define MAX_MATCH_OUT 65536 /* the most one step of inflate writes past o->stop (a stored block) */

struct outbuf {
    uint8_t *p;
    size_t len, cap, max;
    size_t stop; /* > 0: stop decoding (successfully) once len >= stop (gzip_peek) */
};

static int outbuf_reserve(struct outbuf *o, size_t extra, struct sarc_err *e)
{
    if (o->len + extra <= o->cap)
        return 0;
    if (extra > o->max || o->len > o->max - extra)
        return ERR(e, SARC_ERR_RANGE, "deflate: output larger than the limit of %zu bytes", o->max);
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < o->len + extra)
        cap = cap > o->max / 2 ? o->max : cap * 2;
    uint8_t *np = realloc(o->p, cap);
    if (!np)
        return ERR(e, SARC_ERR_NOMEM, "deflate: cannot allocate %zu bytes", cap);
    o->p = np;
    o->cap = cap;
    return 0;
}

static int fixed_tables(struct huff *lit, struct huff *dist, struct sarc_err *e)
{
    uint8_t l[288];
    for (int i = 0; i < 288; i++)
        l[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    if (huff_build(lit, l, 288, e, "literal/length"))
        return -1;
    for (int i = 0; i < 30; i++)
        l[i] = 5;
    return huff_build(dist, l, 30, e, "distance");
}

/* Reads the code lengths of a dynamic block header (3.2.7) and builds both tables. */
static int dynamic_tables(struct bitin *b, struct huff *lit, struct huff *dist, struct sarc_err *e)
{
    uint32_t hlit, hdist, hclen, v;
    if (bitin_get(b, 5, &hlit) || bitin_get(b, 5, &hdist) || bitin_get(b, 4, &hclen))
        return ERR(e, SARC_ERR_FORMAT, "deflate: truncated block header");
    hlit += 257;
    hdist += 1;
    hclen += 4;
    if (hlit > 286 || hdist > 30)
        return ERR(e, SARC_ERR_FORMAT, "deflate: HLIT %u / HDIST %u out of range (at most 286 / 30)", hlit, hdist);
    uint8_t cl[19] = {0};
    for (uint32_t i = 0; i < hclen; i++) {
        if (bitin_get(b, 3, &v))
            return ERR(e, SARC_ERR_FORMAT, "deflate: truncated block header");
        cl[clen_order[i]] = (uint8_t)v;
    }
    uint16_t cltab[1 << 7];
    struct huff clh = {cltab, 0};
    if (huff_build(&clh, cl, 19, e, "code-length"))
        return -1;
    uint8_t lens[286 + 30];
    uint32_t n = 0, total = hlit + hdist;
    while (n < total) {
        int sym = huff_decode(b, &clh);
        if (sym < 0)
            return ERR(e, SARC_ERR_FORMAT, "deflate: bad or truncated code lengths");
        if (sym < 16) {
            lens[n++] = (uint8_t)sym;
            continue;
        }
        uint8_t val = 0;
        uint32_t rep;
        if (sym == 16) {
            if (n == 0)
                return ERR(e, SARC_ERR_FORMAT, "deflate: repeat code 16 with no previous length");
            val = lens[n - 1];
            if (bitin_get(b, 2, &rep))
                return ERR(e, SARC_ERR_FORMAT, "deflate: truncated code lengths");
            rep += 3;
        } else if (sym == 17) {
            if (bitin_get(b, 3, &rep))
                return ERR(e, SARC_ERR_FORMAT, "deflate: truncated code lengths");
            rep += 3;
        } else {
            if (bitin_get(b, 7, &rep))
                return ERR(e, SARC_ERR_FORMAT, "deflate: truncated code lengths");
            rep += 11;
        }
        if (n + rep > total)
            return ERR(e, SARC_ERR_FORMAT, "deflate: code lengths repeat past the end (%u > %u)", n + rep, total);
        memset(lens + n, val, rep);
        n += rep;
    }
    if (lens[256] == 0)
        return ERR(e, SARC_ERR_FORMAT, "deflate: no code for end-of-block");
    if (huff_build(lit, lens, (int)hlit, e, "literal/length") || huff_build(dist, lens + hlit, (int)hdist, e, "distance"))
        return -1;
    return 0;
}

/* Decodes the compressed data of one Huffman block into o. base = start of this stream's output
 * (distances may not reach before it). Returns 0 at the end of the block, 1 if o->stop was
 * reached, or a negative error. */
static int inflate_codes(struct bitin *b, struct outbuf *o, size_t base, const struct huff *lit, const struct huff *dist, struct sarc_err *e)
{
    for (;;) {
        int sym = huff_decode(b, lit);
        if (sym < 0)
            return ERR(e, SARC_ERR_FORMAT, "deflate: bad or truncated literal/length code");
        if (o->stop && o->len >= o->stop)
            return 1;
        if (sym < 256) {
            if (o->len == o->cap && outbuf_reserve(o, 1, e))
                return -1;
            o->p[o->len++] = (uint8_t)sym;
            continue;
        }
        if (sym == 256)
            return 0;
        sym -= 257;
        if (sym >= 29)
            return ERR(e, SARC_ERR_FORMAT, "deflate: invalid length symbol %d", sym + 257);
        uint32_t x, len, d;
        if (bitin_get(b, len_extra[sym], &x))
            return ERR(e, SARC_ERR_FORMAT, "deflate: truncated length");
        len = len_base[sym] + x;
        int ds = huff_decode(b, dist);
        if (ds < 0)
            return ERR(e, SARC_ERR_FORMAT, "deflate: bad or truncated distance code");
        if (ds >= 30)
            return ERR(e, SARC_ERR_FORMAT, "deflate: invalid distance symbol %d", ds);
        if (bitin_get(b, dist_extra[ds], &x))
            return ERR(e, SARC_ERR_FORMAT, "deflate: truncated distance");
        d = dist_base[ds] + x;
        if (d > o->len - base)
            return ERR(e, SARC_ERR_FORMAT, "deflate: distance %u reaches before the start of the data (%zu bytes out)", d, o->len - base);
        if (outbuf_reserve(o, len, e))
            return -1;
        uint8_t *dst = o->p + o->len;
        const uint8_t *src = dst - d;
        if (d >= len)
            memcpy(dst, src, len);
        else
            for (uint32_t i = 0; i < len; i++) /* byte by byte: overlapping copies repeat */
                dst[i] = src[i];
        o->len += len;
    }
}

/* Inflates one raw deflate stream from in[0..len) appending to o; *consumed = bytes used
 * (the stream ends at a byte boundary after the final block). */
static int inflate_stream(const uint8_t *in, size_t len, struct outbuf *o, size_t *consumed, struct sarc_err *e)
{
    struct bitin b = {in, len, 0, 0, 0};
    const size_t base = o->len;
    uint16_t *tabs = malloc(sizeof(uint16_t) * 2 * ((size_t)1 << HUFF_MAXBITS));
    if (!tabs)
        return ERR(e, SARC_ERR_NOMEM, "deflate: out of memory");
    struct huff lit = {tabs, 0}, dist = {tabs + ((size_t)1 << HUFF_MAXBITS), 0};
    int rc = 0;
    uint32_t final = 0, type;
    while (!final) {
        if (bitin_get(&b, 1, &final) || bitin_get(&b, 2, &type)) {
            rc = ERR(e, SARC_ERR_FORMAT, "deflate: truncated stream (no final block)");
            goto done;
        }
        if (type == 0) {
            /* stored: LEN, NLEN (one's complement), then LEN raw bytes, byte-aligned */
            bitin_align(&b);
            if (b.len - b.pos < 4) {
                rc = ERR(e, SARC_ERR_FORMAT, "deflate: truncated stored block header");
                goto done;
            }
            uint32_t n = in[b.pos] | (uint32_t)in[b.pos + 1] << 8;
            uint32_t nn = in[b.pos + 2] | (uint32_t)in[b.pos + 3] << 8;
            b.pos += 4;
            if ((n ^ 0xffff) != nn) {
                rc = ERR(e, SARC_ERR_FORMAT, "deflate: stored block LEN %u does not match NLEN", n);
                goto done;
            }
            if (b.len - b.pos < n) {
                rc = ERR(e, SARC_ERR_FORMAT, "deflate: truncated stored block (%u bytes, %zu left)", n, b.len - b.pos);
                goto done;
            }
            if ((rc = outbuf_reserve(o, n, e)) != 0)
                goto done;
            if (n)
                memcpy(o->p + o->len, in + b.pos, n);
            o->len += n;
            b.pos += n;
            if (o->stop && o->len >= o->stop)
                goto done;
        } else if (type == 1 || type == 2) {
            if (type == 1 ? fixed_tables(&lit, &dist, e) : dynamic_tables(&b, &lit, &dist, e)) {
                rc = e ? e->code : SARC_ERR_FORMAT;
                goto done;
            }
            int r = inflate_codes(&b, o, base, &lit, &dist, e);
            if (r > 0)
                goto done; /* o->stop reached */
            if (r < 0) {
                rc = e ? e->code : SARC_ERR_FORMAT;
                goto done;
            }
        } else {
            rc = ERR(e, SARC_ERR_FORMAT, "deflate: reserved block type 3");
            goto done;
        }
    }
    bitin_align(&b);
    *consumed = b.pos;
done:
    free(tabs);
    return rc;
}

/* An empty output bounded by max_out (0 = 8 GiB). */
static void out_init(struct outbuf *o, size_t max_out)
{
    memset(o, 0, sizeof *o);
    o->max = max_out ? max_out : (size_t)8 << 30;
}

static int out_finish(struct outbuf *o, uint8_t **out, size_t *out_len, int rc)
{
    if (rc) {
        free(o->p);
        *out = NULL;
        *out_len = 0;
        return rc;
    }
    if (!o->p) /* empty output: still hand back a valid allocation */
        o->p = malloc(1);
    *out = o->p;
    *out_len = o->len;
    return o->p ? 0 : SARC_ERR_NOMEM;
}

int inflate_raw(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len, size_t max_out, size_t *consumed, struct sarc_err *e)
{
    struct outbuf o;
    size_t used = 0;
    out_init(&o, max_out);
    int rc = inflate_stream(in, in_len, &o, &used, e);
    if (!rc && consumed)
        *consumed = used;
    return out_finish(&o, out, out_len, rc);
}

static uint32_t rd32le(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Parses the member header at in[pos] (RFC 1952 2.3: ID1 ID2 CM FLG MTIME(4) XFL OS, then the
 * optional fields FLG names); *data = offset of the deflate data. members = members before. */
static int gzip_header(const uint8_t *in, size_t in_len, size_t pos, int members, size_t *data, struct sarc_err *e)
{
    if (in_len - pos < 10 || in[pos] != 0x1f || in[pos + 1] != 0x8b) {
        if (members)
            return ERR(e, SARC_ERR_FORMAT, "gzip: trailing garbage after member %d", members);
        if (gzip_is_gzip(in + pos, in_len - pos))
            return ERR(e, SARC_ERR_FORMAT, "gzip: truncated header");
        return ERR(e, SARC_ERR_FORMAT, "gzip: bad magic (not a gzip stream)");
    }
    if (in[pos + 2] != 8)
        return ERR(e, SARC_ERR_FORMAT, "gzip: compression method %d, expected 8 (deflate)", in[pos + 2]);
    const int flg = in[pos + 3];
    if (flg & 0xe0)
        return ERR(e, SARC_ERR_FORMAT, "gzip: reserved flag bits set (FLG = 0x%02x)", flg);
    size_t p = pos + 10;
    if (flg & 4) { /* FEXTRA: XLEN, then XLEN bytes */
        if (in_len - p < 2)
            return ERR(e, SARC_ERR_FORMAT, "gzip: truncated header");
        size_t xlen = in[p] | (size_t)in[p + 1] << 8;
        p += 2;
        if (in_len - p < xlen)
            return ERR(e, SARC_ERR_FORMAT, "gzip: truncated extra field");
        p += xlen;
    }
    for (int f = 8; f <= 16; f <<= 1) { /* FNAME, FCOMMENT: zero-terminated */
        if (!(flg & f))
            continue;
        while (p < in_len && in[p])
            p++;
        if (p >= in_len)
            return ERR(e, SARC_ERR_FORMAT, "gzip: truncated header (unterminated %s)", f == 8 ? "file name" : "comment");
        p++;
    }
    if (flg & 2) { /* FHCRC: the low 16 bits of the header's CRC-32 */
        if (in_len - p < 2)
            return ERR(e, SARC_ERR_FORMAT, "gzip: truncated header");
        uint32_t want = in[p] | (uint32_t)in[p + 1] << 8;
        if ((crc32_update(0, in + pos, p - pos) & 0xffff) != want)
            return ERR(e, SARC_ERR_FORMAT, "gzip: header CRC mismatch");
        p += 2;
    }
    *data = p;
    return 0;
}

int gzip_decompress(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len, size_t max_out, struct sarc_err *e)
{
    struct outbuf o;
    out_init(&o, max_out);
    int rc = 0;
    size_t pos = 0;
    int members = 0;
    while (pos < in_len) {
        if (members > 0) {
            /* after a member: zero padding is tolerated (as gzip and Python's gzip do), anything
             * else must be another member */
            size_t z = pos;
            while (z < in_len && in[z] == 0)
                z++;
            if (z == in_len)
                break;
            pos = z;
        }
        size_t p = 0;
        if ((rc = gzip_header(in, in_len, pos, members, &p, e)) != 0)
            goto done;
        size_t start = o.len, used = 0;
        if ((rc = inflate_stream(in + p, in_len - p, &o, &used, e)) != 0)
            goto done;
        p += used;
        if (in_len - p < 8) {
            rc = ERR(e, SARC_ERR_FORMAT, "gzip: truncated trailer (CRC-32 and ISIZE missing)");
            goto done;
        }
        uint32_t crc = crc32_update(0, o.p ? o.p + start : NULL, o.len - start);
        if (crc != rd32le(in + p)) {
            rc = ERR(e, SARC_ERR_FORMAT, "gzip: CRC-32 mismatch (data 0x%08x, trailer 0x%08x)", crc, rd32le(in + p));
            goto done;
        }
        if ((uint32_t)(o.len - start) != rd32le(in + p + 4)) {
            rc = ERR(e, SARC_ERR_FORMAT, "gzip: ISIZE %u does not match the data length %zu (mod 2^32)", rd32le(in + p + 4), o.len - start);
            goto done;
        }
        pos = p + 8;
        members++;
    }
    if (!members)
        rc = ERR(e, SARC_ERR_FORMAT, "gzip: empty input");
done:
    return out_finish(&o, out, out_len, rc);
}

int gzip_peek(const uint8_t *in, size_t in_len, uint8_t *out, size_t want, size_t *got, struct sarc_err *e)
{
    struct outbuf o;
    size_t p = 0, used = 0;
    *got = 0;
    out_init(&o, want + MAX_MATCH_OUT);
    o.stop = want;
    int rc = gzip_header(in, in_len, 0, 0, &p, e);
    if (!rc)
        rc = inflate_stream(in + p, in_len - p, &o, &used, e);
    if (!rc) {
        *got = o.len < want ? o.len : want;
        if (*got)
            memcpy(out, o.p, *got);
    }
    free(o.p);
    return rc;
}

int zlib_decompress(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len, size_t max_out, struct sarc_err *e)
{
    struct outbuf o;
    out_init(&o, max_out);
    int rc = 0;
    size_t used = 0;
    /* RFC 1950 2.2: CMF FLG with (CMF * 256 + FLG) % 31 == 0, CM 8, CINFO <= 7 */
    if (in_len < 2) {
        rc = ERR(e, SARC_ERR_FORMAT, "zlib: truncated header");
        goto done;
    }
    if ((in[0] & 15) != 8 || (in[0] >> 4) > 7 || ((unsigned)in[0] * 256 + in[1]) % 31 != 0) {
        rc = ERR(e, SARC_ERR_FORMAT, "zlib: bad header 0x%02x%02x", in[0], in[1]);
        goto done;
    }
    if (in[1] & 0x20) {
        rc = ERR(e, SARC_ERR_UNSUPPORTED, "zlib: preset dictionaries are not supported");
        goto done;
    }
    if ((rc = inflate_stream(in + 2, in_len - 2, &o, &used, e)) != 0)
        goto done;
    if (in_len - 2 - used < 4) {
        rc = ERR(e, SARC_ERR_FORMAT, "zlib: truncated trailer (Adler-32 missing)");
        goto done;
    }
    const uint8_t *t = in + 2 + used;
    uint32_t want = (uint32_t)t[0] << 24 | (uint32_t)t[1] << 16 | (uint32_t)t[2] << 8 | t[3];
    uint32_t got = adler32_update(1, o.p, o.len);
    if (got != want) {
        rc = ERR(e, SARC_ERR_FORMAT, "zlib: Adler-32 mismatch (data 0x%08x, trailer 0x%08x)", got, want);
        goto done;
    }
done:
    return out_finish(&o, out, out_len, rc);
}

/* ---------------------------------------------------------------- deflate */

struct bitout {
    uint8_t *p;
    size_t len, cap;
    uint64_t buf;
    int cnt;
    int oom;
};

static void bitout_reserve(struct bitout *w, size_t extra)
{
    if (w->oom || w->len + extra <= w->cap)
        return;
    size_t cap = w->cap ? w->cap : 1024;
    while (cap < w->len + extra)
        cap *= 2;
    uint8_t *np = realloc(w->p, cap);
    if (!np) {
        w->oom = 1;
        return;
    }
    w->p = np;
    w->cap = cap;
}

/* Appends n (0..32) bits, LSB first. */
static void bitout_put(struct bitout *w, uint32_t v, int n)
{
    w->buf |= (uint64_t)v << w->cnt;
    w->cnt += n;
    if (w->cnt >= 32) {
        bitout_reserve(w, 4);
        if (!w->oom)
            for (int i = 0; i < 4; i++)
                w->p[w->len++] = (uint8_t)(w->buf >> (8 * i));
        w->buf >>= 32;
        w->cnt -= 32;
    }
}

/* Pads to a byte boundary with zero bits and flushes. */
static void bitout_flush(struct bitout *w)
{
    bitout_reserve(w, 8);
    while (w->cnt > 0) {
        if (!w->oom)
            w->p[w->len++] = (uint8_t)w->buf;
        w->buf >>= 8;
        w->cnt -= 8;
    }
    w->buf = 0;
    w->cnt = 0;
}

static void bitout_bytes(struct bitout *w, const uint8_t *src, size_t n)
{
    bitout_reserve(w, n);
    if (!w->oom && n) {
        memcpy(w->p + w->len, src, n);
        w->len += n;
    }
}

/* Huffman code lengths limited to maxbits for freq[0..n), written to len[]. Symbols with freq 0
 * get length 0, except that at least two symbols always get a code (a complete code, which
 * every decoder accepts). Ties are broken by symbol index so the result is deterministic.
 * Method: Huffman's algorithm with two queues over the sorted leaves, then, if the tree is
 * too deep, the length-count adjustment of JPEG (ITU T.81 Annex K.3 "Adjust_BITS"), then the
 * shortest lengths go to the most frequent symbols. */
static void huff_lengths(const uint32_t *freq_in, int n, int maxbits, uint8_t *len)
{
    uint32_t freq[288];
    int sym[288];
    int m = 0;
    memcpy(freq, freq_in, sizeof(uint32_t) * (size_t)n);
    for (int i = 0; i < n && m < 2; i++)
        if (freq[i])
            m++;
    for (int i = 0; i < n && m < 2; i++) /* fewer than two used symbols: add dummies */
        if (!freq[i]) {
            freq[i] = 1;
            m++;
        }
    m = 0;
    for (int i = 0; i < n; i++) {
        len[i] = 0;
        if (freq[i])
            sym[m++] = i;
    }
    /* insertion sort by (freq, symbol): n <= 288 */
    for (int i = 1; i < m; i++) {
        int s = sym[i], j = i;
        while (j > 0 && (freq[sym[j - 1]] > freq[s] || (freq[sym[j - 1]] == freq[s] && sym[j - 1] > s))) {
            sym[j] = sym[j - 1];
            j--;
        }
        sym[j] = s;
    }
    /* nodes 0..m-1 leaves (in sorted order), m..2m-2 internal; two-queue merge */
    uint64_t w[2 * 288];
    int parent[2 * 288];
    for (int i = 0; i < m; i++)
        w[i] = freq[sym[i]];
    int lq = 0, iq = m, nn = m;
    for (int k = 0; k < m - 1; k++) {
        int pick[2];
        for (int t = 0; t < 2; t++) {
            if (lq < m && (iq >= nn || w[lq] <= w[iq]))
                pick[t] = lq++;
            else
                pick[t] = iq++;
        }
        w[nn] = w[pick[0]] + w[pick[1]];
        parent[pick[0]] = parent[pick[1]] = nn;
        nn++;
    }
    /* depth of each leaf; count per length (depth can reach m - 1) */
    int depth[2 * 288];
    int bl[2 * 288 + 1] = {0};
    depth[nn - 1] = 0;
    for (int i = nn - 2; i >= 0; i--)
        depth[i] = depth[parent[i]] + 1;
    for (int i = 0; i < m; i++)
        bl[depth[i]]++;
    int maxd = 0;
    for (int i = 0; i < m; i++)
        if (depth[i] > maxd)
            maxd = depth[i];
    /* Annex K.3: move pairs of leaves up until nothing is deeper than maxbits */
    for (int i = maxd; i > maxbits; i--) {
        while (bl[i] > 0) {
            int j = i - 2;
            while (j > 0 && bl[j] == 0)
                j--;
            bl[i] -= 2;
            bl[i - 1]++;
            bl[j + 1] += 2;
            bl[j]--;
        }
    }
    /* the most frequent symbols (end of sym[]) get the shortest lengths */
    int k = m - 1;
    for (int l = 1; l <= maxbits; l++)
        for (int c = 0; c < bl[l]; c++)
            len[sym[k--]] = (uint8_t)l;
}

/* Canonical codes (RFC 1951 3.2.2), stored bit-reversed, ready for LSB-first output. */
static void huff_codes(const uint8_t *len, int n, uint16_t *code)
{
    int count[16] = {0}, next[16];
    for (int i = 0; i < n; i++)
        count[len[i]]++;
    count[0] = 0;
    int c = 0;
    for (int l = 1; l < 16; l++) {
        c = (c + count[l - 1]) << 1;
        next[l] = c;
    }
    for (int i = 0; i < n; i++)
        code[i] = len[i] ? (uint16_t)bits_reverse((uint32_t)next[len[i]]++, len[i]) : 0;
}

static int ilog2(unsigned x) /* floor(log2(x)), x > 0 */
{
    int n = 0;
    while (x >>= 1)
        n++;
    return n;
}

/* Length 3..258 -> length code 0..28 (symbol 257 + code); 258 has its own code 28. */
static int len_code(int len)
{
    unsigned x = (unsigned)(len - 3);
    if (len == 258)
        return 28;
    if (x < 8)
        return (int)x;
    int n = ilog2(x);
    return 4 * (n - 1) + (int)((x >> (n - 2)) & 3);
}

/* Distance 1..32768 -> distance code 0..29. */
static int dist_code(int d)
{
    unsigned x = (unsigned)(d - 1);
    if (x < 4)
        return (int)x;
    int n = ilog2(x);
    return 2 * n + (int)((x >> (n - 1)) & 1);
}

#define BLOCK_SYMS 16384
#define WSIZE 32768
#define WMASK (WSIZE - 1)
#define HBITS 15
#define MIN_MATCH 3
#define MAX_MATCH 258

/* One block's LZ77 symbols: lit[i] < 256 a literal, else 256 + length; dist[i] for matches. */
struct lzblock {
    uint16_t lit[BLOCK_SYMS];
    uint16_t dist[BLOCK_SYMS];
    int n;
    size_t raw_start, raw_end; /* the input bytes this block covers */
};

/* The code-length RLE of the concatenated literal/length and distance lengths (3.2.7):
 * out[] holds symbols 0..18, extra[] their repeat bits. Returns the count. */
static int rle_lengths(const uint8_t *lens, int n, uint8_t *out, uint8_t *extra)
{
    int k = 0;
    for (int i = 0; i < n;) {
        int l = lens[i], run = 1;
        while (i + run < n && lens[i + run] == l)
            run++;
        if (l == 0 && run >= 3) {
            int r = run > 138 ? 138 : run;
            out[k] = r >= 11 ? 18 : 17;
            extra[k++] = (uint8_t)(r >= 11 ? r - 11 : r - 3);
            i += r;
        } else if (l != 0 && run >= 4) {
            out[k] = (uint8_t)l;
            extra[k++] = 0;
            int r = run - 1 > 6 ? 6 : run - 1;
            out[k] = 16;
            extra[k++] = (uint8_t)(r - 3);
            i += 1 + r;
        } else {
            out[k] = (uint8_t)l;
            extra[k++] = 0;
            i++;
        }
    }
    return k;
}

/* Writes one block (the cheapest of dynamic, fixed and stored) for b; last = BFINAL. */
static void block_write(struct bitout *w, const struct lzblock *b, const uint8_t *in, int last)
{
    uint32_t lf[286] = {0}, df[30] = {0};
    for (int i = 0; i < b->n; i++) {
        if (b->lit[i] < 256)
            lf[b->lit[i]]++;
        else {
            lf[257 + len_code(b->lit[i] - 256)]++;
            df[dist_code(b->dist[i])]++;
        }
    }
    lf[256] = 1;
    /* payload bits common to the Huffman choices: the extra bits */
    uint64_t extra_bits = 0;
    for (int c = 0; c < 29; c++)
        extra_bits += (uint64_t)lf[257 + c] * len_extra[c];
    for (int c = 0; c < 30; c++)
        extra_bits += (uint64_t)df[c] * dist_extra[c];

    /* dynamic */
    uint8_t ll[286], dl[30], all[316], cls[316], clx[316], cll[19];
    huff_lengths(lf, 286, 15, ll);
    huff_lengths(df, 30, 15, dl);
    int hlit = 286, hdist = 30;
    while (hlit > 257 && ll[hlit - 1] == 0)
        hlit--;
    while (hdist > 1 && dl[hdist - 1] == 0)
        hdist--;
    memcpy(all, ll, (size_t)hlit);
    memcpy(all + hlit, dl, (size_t)hdist);
    int ncl = rle_lengths(all, hlit + hdist, cls, clx);
    uint32_t cf[19] = {0};
    for (int i = 0; i < ncl; i++)
        cf[cls[i]]++;
    huff_lengths(cf, 19, 7, cll);
    int hclen = 19;
    while (hclen > 4 && cll[clen_order[hclen - 1]] == 0)
        hclen--;
    uint64_t dyn = 3 + 14 + 3 * (uint64_t)hclen + extra_bits;
    for (int i = 0; i < ncl; i++)
        dyn += cll[cls[i]] + (cls[i] == 16 ? 2 : cls[i] == 17 ? 3 : cls[i] == 18 ? 7 : 0);
    for (int i = 0; i < 286; i++)
        dyn += (uint64_t)lf[i] * ll[i];
    for (int i = 0; i < 30; i++)
        dyn += (uint64_t)df[i] * dl[i];

    /* fixed */
    uint8_t fl[288], fd[30];
    for (int i = 0; i < 288; i++)
        fl[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    memset(fd, 5, sizeof fd);
    uint64_t fix = 3 + extra_bits;
    for (int i = 0; i < 286; i++)
        fix += (uint64_t)lf[i] * fl[i];
    for (int i = 0; i < 30; i++)
        fix += (uint64_t)df[i] * 5;

    /* stored: each piece of at most 65535 bytes costs a 3-bit header, padding and 4 bytes */
    size_t raw = b->raw_end - b->raw_start;
    size_t pieces = raw ? (raw + 65534) / 65535 : 1;
    uint64_t sto = (uint64_t)pieces * (3 + 7 + 32) + 8 * (uint64_t)raw;

    if (sto < dyn && sto < fix) {
        size_t pos = b->raw_start;
        for (size_t k = 0; k < pieces; k++) {
            size_t n = raw - (pos - b->raw_start);
            if (n > 65535)
                n = 65535;
            bitout_put(w, (last && k == pieces - 1) ? 1 : 0, 1);
            bitout_put(w, 0, 2);
            bitout_flush(w);
            uint8_t h[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)~n, (uint8_t)(~n >> 8)};
            bitout_bytes(w, h, 4);
            bitout_bytes(w, in + pos, n);
            pos += n;
        }
        return;
    }
    const uint8_t *use_l, *use_d;
    uint16_t lc[288], dc[30];
    bitout_put(w, last ? 1 : 0, 1);
    if (dyn < fix) {
        bitout_put(w, 2, 2);
        bitout_put(w, (uint32_t)(hlit - 257), 5);
        bitout_put(w, (uint32_t)(hdist - 1), 5);
        bitout_put(w, (uint32_t)(hclen - 4), 4);
        for (int i = 0; i < hclen; i++)
            bitout_put(w, cll[clen_order[i]], 3);
        uint16_t clc[19];
        huff_codes(cll, 19, clc);
        for (int i = 0; i < ncl; i++) {
            bitout_put(w, clc[cls[i]], cll[cls[i]]);
            if (cls[i] == 16)
                bitout_put(w, clx[i], 2);
            else if (cls[i] == 17)
                bitout_put(w, clx[i], 3);
            else if (cls[i] == 18)
                bitout_put(w, clx[i], 7);
        }
        use_l = ll;
        use_d = dl;
        huff_codes(ll, 286, lc);
        huff_codes(dl, 30, dc);
    } else {
        bitout_put(w, 1, 2);
        use_l = fl;
        use_d = fd;
        huff_codes(fl, 288, lc);
        huff_codes(fd, 30, dc);
    }
    for (int i = 0; i < b->n; i++) {
        int s = b->lit[i];
        if (s < 256) {
            bitout_put(w, lc[s], use_l[s]);
            continue;
        }
        int len = s - 256, c = len_code(len);
        bitout_put(w, lc[257 + c], use_l[257 + c]);
        bitout_put(w, (uint32_t)(len - len_base[c]), len_extra[c]);
        int d = b->dist[i], dcode = dist_code(d);
        bitout_put(w, dc[dcode], use_d[dcode]);
        bitout_put(w, (uint32_t)(d - dist_base[dcode]), dist_extra[dcode]);
    }
    bitout_put(w, lc[256], use_l[256]);
}

/* Per-level search effort: chain = candidates tried, nice = stop at this length, lazy = try
 * the next position when the match is shorter than this (0 = greedy). */
static const struct { int chain, nice, lazy; } level_cfg[10] = {
    {0, 0, 0}, {4, 8, 0}, {8, 16, 0}, {32, 32, 0}, {16, 16, 4}, {32, 32, 16},
    {128, 128, 16}, {256, 128, 32}, {1024, 258, 128}, {4096, 258, 258}};

struct lz {
    const uint8_t *in;
    size_t n;
    int64_t head[1 << HBITS];
    int64_t prev[WSIZE];
};

static uint32_t lz_hash(const uint8_t *p) { return ((uint32_t)p[0] << 10 ^ (uint32_t)p[1] << 5 ^ p[2]) & ((1u << HBITS) - 1); }

static void lz_insert(struct lz *z, size_t pos)
{
    if (pos + MIN_MATCH > z->n)
        return;
    uint32_t h = lz_hash(z->in + pos);
    z->prev[pos & WMASK] = z->head[h];
    z->head[h] = (int64_t)pos;
}

/* Longest match for pos among earlier positions (not yet inserting pos); returns its length
 * (0 if < MIN_MATCH) and the distance in *dist. */
static int lz_longest(const struct lz *z, size_t pos, int chain, int nice, int *dist)
{
    if (pos + MIN_MATCH > z->n)
        return 0;
    size_t maxlen = z->n - pos < MAX_MATCH ? z->n - pos : MAX_MATCH;
    const uint8_t *s = z->in + pos;
    int64_t cand = z->head[lz_hash(s)];
    int best = 0;
    while (cand >= 0 && chain-- > 0) {
        size_t c = (size_t)cand;
        if (pos - c > WSIZE)
            break;
        const uint8_t *t = z->in + c;
        if (t[best] == s[best] && t[0] == s[0]) {
            size_t l = 0;
            while (l < maxlen && t[l] == s[l])
                l++;
            if ((int)l > best) {
                best = (int)l;
                *dist = (int)(pos - c);
                if (best >= nice || l == maxlen)
                    break;
            }
        }
        int64_t nx = z->prev[c & WMASK];
        if (nx >= cand) /* the slot was reused by a newer position: the chain ends here */
            break;
        cand = nx;
    }
    return best >= MIN_MATCH ? best : 0;
}

int deflate_raw(const uint8_t *in, size_t in_len, int level, uint8_t **out, size_t *out_len, struct sarc_err *e)
{
    *out = NULL;
    *out_len = 0;
    if (level == 0)
        level = 6;
    if (level < 1 || level > 9)
        return ERR(e, SARC_ERR_ARG, "deflate: level %d, expected 1..9", level);
    struct lz *z = malloc(sizeof *z);
    struct lzblock *b = malloc(sizeof *b);
    struct bitout w = {0};
    int rc = 0;
    if (!z || !b) {
        rc = ERR(e, SARC_ERR_NOMEM, "deflate: out of memory");
        goto done;
    }
    z->in = in;
    z->n = in_len;
    for (size_t i = 0; i < (1u << HBITS); i++)
        z->head[i] = -1;
    for (size_t i = 0; i < WSIZE; i++)
        z->prev[i] = -1;
    bitout_reserve(&w, in_len / 2 + 1024);
    const int chain = level_cfg[level].chain, nice = level_cfg[level].nice, lazy = level_cfg[level].lazy;
    size_t pos = 0;
    b->n = 0;
    b->raw_start = 0;
    while (pos < in_len) {
        int d = 0, l = lz_longest(z, pos, chain, nice, &d);
        if (l && lazy && l < lazy && pos + 1 < in_len) {
            /* lazy evaluation: a longer match one byte later wins over this one */
            lz_insert(z, pos);
            int d2 = 0, l2 = lz_longest(z, pos + 1, chain, nice, &d2);
            size_t first = pos + 1; /* positions of the match still to insert */
            if (l2 > l) {
                b->lit[b->n++] = in[pos];
                pos++;
                l = l2;
                d = d2;
                first = pos;
                if (b->n == BLOCK_SYMS) {
                    b->raw_end = pos;
                    block_write(&w, b, in, 0);
                    b->n = 0;
                    b->raw_start = pos;
                }
            }
            b->lit[b->n] = (uint16_t)(256 + l);
            b->dist[b->n] = (uint16_t)d;
            b->n++;
            for (size_t k = first; k < pos + (size_t)l; k++)
                lz_insert(z, k);
            pos += (size_t)l;
        } else if (l) {
            b->lit[b->n] = (uint16_t)(256 + l);
            b->dist[b->n] = (uint16_t)d;
            b->n++;
            for (size_t k = pos; k < pos + (size_t)l; k++)
                lz_insert(z, k);
            pos += (size_t)l;
        } else {
            b->lit[b->n] = in[pos];
            b->n++;
            lz_insert(z, pos);
            pos++;
        }
        if (b->n == BLOCK_SYMS) {
            b->raw_end = pos;
            block_write(&w, b, in, pos == in_len);
            b->n = 0;
            b->raw_start = pos;
            if (pos == in_len)
                goto flushed;
        }
    }
    b->raw_end = pos;
    block_write(&w, b, in, 1);
flushed:
    bitout_flush(&w);
    if (w.oom) {
        rc = ERR(e, SARC_ERR_NOMEM, "deflate: out of memory");
        goto done;
    }
    *out = w.p;
    *out_len = w.len;
    w.p = NULL;
done:
    free(w.p);
    free(z);
    free(b);
    return rc;
}

int gzip_compress(const uint8_t *in, size_t in_len, int level, uint8_t **out, size_t *out_len, struct sarc_err *e)
{
    uint8_t *d;
    size_t dn;
    *out = NULL;
    *out_len = 0;
    int rc = deflate_raw(in, in_len, level, &d, &dn, e);
    if (rc)
        return rc;
    uint8_t *o = malloc(dn + 18);
    if (!o) {
        free(d);
        return ERR(e, SARC_ERR_NOMEM, "gzip: out of memory");
    }
    /* ID1 ID2 CM=8 FLG=0 MTIME=0 XFL (2 = best, 4 = fastest) OS=3 (Unix) */
    const uint8_t hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, (uint8_t)(level == 9 ? 2 : level == 1 ? 4 : 0), 3};
    memcpy(o, hdr, 10);
    memcpy(o + 10, d, dn);
    free(d);
    uint32_t crc = crc32_update(0, in, in_len), isz = (uint32_t)in_len;
    for (int i = 0; i < 4; i++) {
        o[10 + dn + (size_t)i] = (uint8_t)(crc >> (8 * i));
        o[14 + dn + (size_t)i] = (uint8_t)(isz >> (8 * i));
    }
    *out = o;
    *out_len = dn + 18;
    return 0;
}

int zlib_compress(const uint8_t *in, size_t in_len, int level, uint8_t **out, size_t *out_len, struct sarc_err *e)
{
    uint8_t *d;
    size_t dn;
    *out = NULL;
    *out_len = 0;
    int rc = deflate_raw(in, in_len, level, &d, &dn, e);
    if (rc)
        return rc;
    uint8_t *o = malloc(dn + 6);
    if (!o) {
        free(d);
        return ERR(e, SARC_ERR_NOMEM, "zlib: out of memory");
    }
    /* CMF 0x78 (deflate, 32 KiB window); FLG with FLEVEL and the check bits */
    int flevel = level == 0 ? 2 : level <= 1 ? 0 : level <= 5 ? 1 : level == 6 ? 2 : 3;
    unsigned flg = (unsigned)flevel << 6;
    flg += (31 - (0x78 * 256 + flg) % 31) % 31;
    o[0] = 0x78;
    o[1] = (uint8_t)flg;
    memcpy(o + 2, d, dn);
    free(d);
    uint32_t a = adler32_update(1, in, in_len);
    for (int i = 0; i < 4; i++)
        o[2 + dn + (size_t)i] = (uint8_t)(a >> (24 - 8 * i));
    *out = o;
    *out_len = dn + 6;
    return 0;
}
