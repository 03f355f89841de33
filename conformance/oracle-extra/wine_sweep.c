/* Sweeps that extend wine_oleaut.jsonl's matrix where the engine has fast paths of its own (recorded into
 * ../vectors-extra/wine_extra.jsonl):
 *   - VarBstrFromDate over pseudo-random DATEs across the whole range, times of day at and around whole and half
 *     seconds, in four locales, with and without VAR_DATEVALUEONLY / VAR_TIMEVALUEONLY;
 *   - VariantChangeTypeEx of every integer VARTYPE to VT_BSTR (extremes and pseudo-random values, four locales);
 *   - VariantChangeTypeEx of R8 halves and near-range values to every integer VARTYPE (banker's rounding, overflow);
 *   - VariantChangeTypeEx of DATEs to VT_BSTR.
 * Lines use the formats of oracle/README.md ("format" and "change_type"), so curate.py classifies them and the
 * conformance runner replays them like the base matrix.
 *   conformance/oracle-extra/record_wine.sh
 * The generator is a fixed xorshift: every run prints the same cases. */
#define OLEAUT_ORACLE_NO_MAIN
#include "oleaut_oracle.c"
#include <math.h>

static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;

static unsigned long long next_u64(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Uniform in [0, 1). */
static double unit(void) { return (double)(next_u64() >> 11) * (1.0 / 9007199254740992.0); }

static const LCID lcids[] = { 0x0409, 0x007f, 0x0407, 0x0411 };
#define NLCID (sizeof lcids / sizeof lcids[0])

static void change_type_line(const char *name, VARIANT *src, LCID lcid, VARTYPE dst_vt) {
    VARIANT dst;
    VariantInit(&dst);
    HRESULT hr = VariantChangeTypeEx(&dst, src, lcid, 0, dst_vt);
    printf("{\"kind\":\"change_type\",\"lcid\":\"0x%04lx\",\"flags\":0,\"src_name\":", (unsigned long)lcid);
    q_ascii(name);
    printf(",\"src\":"); variant_json(src);
    printf(",\"dst_vt\":%u,", dst_vt); hr_json(hr);
    if (hr == S_OK) { printf(",\"result\":"); variant_json(&dst); }
    printf("}\n");
    VariantClear(&dst);
}

/* A DATE of the sweep: a whole day across the range and a time of day chosen by `kind`. */
static double sweep_date(int kind) {
    double day = floor(unit() * (2958465.0 + 657434.0 + 1.0)) - 657434.0;
    double second = floor(unit() * 86400.0);
    double frac;
    switch (kind % 5) {
    case 0: frac = unit(); break;                                              /* any time */
    case 1: frac = second / 86400.0; break;                                     /* a whole second */
    case 2: frac = (second + 0.5) / 86400.0; break;                             /* exactly half way */
    case 3: frac = (second + 0.5 + (unit() - 0.5) * 2e-6) / 86400.0; break;     /* just either side of half way */
    default: frac = 0.0; break;                                                 /* midnight */
    }
    if (frac >= 86399.0 / 86400.0) frac = 86398.0 / 86400.0; /* not the last second: Wine's 24:00 is a quirk */
    return day < 0 ? day - frac : day + frac;
}

static void dates_to_text(void) {
    char in[64];
    for (int i = 0; i < 300; i++) {
        double d = sweep_date(i);
        snprintf(in, sizeof in, "%.17g", d);
        for (size_t li = 0; li < NLCID; li++) {
            const ULONG flags[] = { 0, VAR_DATEVALUEONLY, VAR_TIMEVALUEONLY };
            int nflags = i < 40 ? 3 : 1;
            for (int f = 0; f < nflags; f++) {
                BSTR b = NULL;
                HRESULT hr = VarBstrFromDate(d, lcids[li], flags[f], &b);
                fmt_line("VarBstrFromDate", in, lcids[li], flags[f], hr, b);
            }
        }
        if (i < 100) {
            VARIANT src;
            VariantInit(&src);
            V_VT(&src) = VT_DATE; V_DATE(&src) = d;
            char name[80];
            snprintf(name, sizeof name, "DATE_%s", in);
            change_type_line(name, &src, 0x0409, VT_BSTR);
        }
    }
}

static void integers_to_text(void) {
    const VARTYPE vts[] = { VT_I1, VT_I2, VT_I4, VT_I8, VT_UI1, VT_UI2, VT_UI4, VT_UI8, VT_INT, VT_UINT };
    for (size_t t = 0; t < sizeof vts / sizeof vts[0]; t++) {
        for (int i = 0; i < 24; i++) {
            VARIANT src;
            VariantInit(&src);
            V_VT(&src) = vts[t];
            unsigned long long r = next_u64() >> (next_u64() % 64); /* every magnitude */
            /* the first cases are the extremes: all bits set, 0, the sign bit, and the largest positive value */
            unsigned long long bits = i == 0 ? ~0ULL : i == 1 ? 0 : i == 2 ? 1ULL << 63 : i == 3 ? ~0ULL >> 1 : r;
            switch (vts[t]) {
            case VT_I1: V_I1(&src) = (signed char)(i == 2 ? -128 : i == 3 ? 127 : (long long)bits); break;
            case VT_I2: V_I2(&src) = (short)(i == 2 ? -32768 : i == 3 ? 32767 : (long long)bits); break;
            case VT_I4: case VT_INT: V_I4(&src) = (int)(i == 2 ? INT32_MIN : i == 3 ? INT32_MAX : (long long)bits); break;
            case VT_I8: V_I8(&src) = (LONGLONG)bits; break;
            case VT_UI1: V_UI1(&src) = (BYTE)bits; break;
            case VT_UI2: V_UI2(&src) = (USHORT)bits; break;
            case VT_UI4: case VT_UINT: V_UI4(&src) = (ULONG)bits; break;
            default: V_UI8(&src) = bits; break;
            }
            char name[48];
            snprintf(name, sizeof name, "int_sweep_%u_%d", vts[t], i);
            for (size_t li = 0; li < NLCID; li++) change_type_line(name, &src, lcids[li], VT_BSTR);
        }
    }
}

static void reals_to_integers(void) {
    const VARTYPE vts[] = { VT_I1, VT_I2, VT_I4, VT_I8, VT_UI1, VT_UI2, VT_UI4, VT_UI8 };
    const double limits[] = { 128.0, 32768.0, 2147483648.0, 9223372036854775808.0, 256.0, 65536.0, 4294967296.0,
                              18446744073709551616.0 };
    for (size_t t = 0; t < sizeof vts / sizeof vts[0]; t++) {
        for (int i = 0; i < 30; i++) {
            double lim = limits[t];
            double x;
            switch (i % 6) {
            case 0: x = floor(unit() * 200.0) - 100.0 + 0.5; break;               /* halves near zero */
            case 1: x = floor((unit() * 2.0 - 1.0) * lim) + 0.5; break;           /* halves across the range */
            case 2: x = (unit() * 2.0 - 1.0) * lim; break;                        /* any value in range */
            case 3: x = lim - 0.5 - (i / 6); break;                               /* at the top edge */
            case 4: x = -lim - 0.5 + (i / 6); break;                              /* at the bottom edge */
            default: x = lim + (unit() - 0.5) * 4.0; break;                       /* just past the top */
            }
            VARIANT src;
            VariantInit(&src);
            V_VT(&src) = VT_R8; V_R8(&src) = x;
            char name[64];
            snprintf(name, sizeof name, "R8_%.17g", x);
            change_type_line(name, &src, 0x0409, vts[t]);
        }
    }
}

int main(void) {
    _setmode(_fileno(stdout), _O_BINARY);
    dates_to_text();
    integers_to_text();
    reals_to_integers();
    return 0;
}
