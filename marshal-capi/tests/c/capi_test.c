/*
 * The C side of marshal-capi's tests: a host program that uses libmarshal_capi through
 * include/oleaut.h only, as a C interop layer would.
 *
 * Part 1 replays the lines of wine_oleaut.jsonl (oleaut32's own answers) that
 * tests/cases/mod.rs turned into cases.h: every VariantChangeTypeEx case (and, for en-US,
 * VariantChangeType and the in-place form), the direct Var*From* function behind each
 * VARIANT_Coerce step, the VarBstrFrom* / Var*FromStr / DATE <-> SYSTEMTIME lines, and
 * the BSTR and SAFEARRAY scenarios (their ops interpreted here, their probes compared
 * field by field).
 *
 * Part 2 exercises every export on its error paths and ownership rules (null arguments,
 * invalid VARTYPEs, locked arrays, aliasing, BSTR / VARIANT / SAFEARRAY elements), with the
 * HRESULT oleaut32 gives (as in Wine's dlls/oleaut32 and its tests).
 *
 * Everything allocated is freed: the test runs under valgrind with no leak allowed.
 * Exit status 0 when every check passes.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oleaut.h"

/* ---- checks ------------------------------------------------------------------------ */

static unsigned long checks, failures;

static int check_at(int ok, int line, const char *fmt, ...) {
    checks++;
    if (!ok) {
        failures++;
        if (failures <= 60) {
            va_list ap;
            fprintf(stderr, "capi_test.c:%d: ", line);
            va_start(ap, fmt);
            vfprintf(stderr, fmt, ap);
            va_end(ap);
            fputc('\n', stderr);
        }
    }
    return ok;
}
#define CHECK(cond, ...) check_at(!!(cond), __LINE__, __VA_ARGS__)
/* A function, so that `got` (a call) is evaluated once. */
static int check_hr_at(HRESULT got, HRESULT want, const char *what, int line) {
    return check_at(got == want, line, "%s: hr 0x%08x, expected 0x%08x", what, (unsigned)got, (unsigned)want);
}
#define CHECK_HR(got, want, what) check_hr_at((got), (want), (what), __LINE__)

static double dbl(uint64_t bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static float flt(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static int bstr_is(BSTR b, const OLECHAR *units, int n) {
    return b != NULL && SysStringLen(b) == (UINT)n && (n == 0 || memcmp(b, units, (size_t)n * 2) == 0);
}

/* A BSTR from ASCII text. */
static BSTR bstr_of(const char *s) {
    size_t n = strlen(s);
    BSTR b = SysAllocStringLen(NULL, (UINT)n);
    for (size_t i = 0; i < n; i++) b[i] = (OLECHAR)(unsigned char)s[i];
    return b;
}

static int bstr_eq_ascii(BSTR b, const char *s) {
    size_t n = strlen(s);
    if (b == NULL || SysStringLen(b) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (OLECHAR)(unsigned char)s[i]) return 0;
    return 1;
}

/* ---- the generated tables ------------------------------------------------------------ */

struct ct_case {
    int line;
    LCID lcid;
    USHORT flags;
    VARTYPE dst;
    unsigned char src[24];
    const OLECHAR *src_units;
    int src_len;
    HRESULT hr;
    int kind; /* 0: hr only, 1: payload bytes, 2: BSTR, 3: DECIMAL (16 bytes) */
    VARTYPE res_vt;
    int res_len;
    unsigned char res[16];
    const OLECHAR *res_units;
    int res_units_len;
    int res_null;
};

enum { F_R8, F_R4, F_DATE, F_CY, F_DEC, F_BOOL, F_I8, F_UI8 };
struct fmt_case {
    int line;
    int fn;
    uint64_t bits;
    int64_t i;
    uint64_t u;
    LCID lcid;
    ULONG flags;
    HRESULT hr;
    const OLECHAR *out;
    int out_len;
    int check_out;
};

enum { P_R8, P_DATE, P_I4, P_UI1, P_CY, P_BOOL, P_DEC };
struct parse_case {
    int line;
    int fn;
    const OLECHAR *in;
    LCID lcid;
    HRESULT hr;
    int check;
    int64_t i;
    uint64_t bits;
    unsigned char dec[16];
};

enum { T_TO_ST, T_FROM_ST };
struct vtime_case {
    int line;
    int fn;
    uint64_t date;
    WORD st_in[8];
    int ok;
    WORD st_out[8];
    uint64_t date_out;
};

struct field {
    const char *name;
    const char *text;
    const char *mask;
};

enum { LIT_NULL, LIT_UNITS, LIT_BYTES };
enum { B_ALLOC, B_ALLOC_LEN, B_ALLOC_BYTE_LEN, B_REALLOC, B_REALLOC_LEN, B_FREE, B_LEN, B_BYTE_LEN };
enum { PB_DUMP, PB_RET, PB_ADDR };
struct bstr_op {
    int fn;
    int h;
    int lit;
    const void *p;
    int lit_len;
    UINT len;
};
struct bstr_case {
    int line;
    const struct bstr_op *ops;
    int nops;
    int probe;
    int of;
    int extra;
    const char *list;
    const struct field *fields;
    size_t nfields;
};

enum {
    S_CREATE, S_CREATE_VECTOR, S_PUT, S_LOCK, S_UNLOCK, S_DESTROY, S_DESTROY_DATA, S_DESTROY_DESC,
    S_ALLOC_DATA, S_ACCESS, S_UNACCESS, S_ALLOC_DESC, S_ALLOC_DESC_EX, S_REDIM, S_COPY, S_COPY_DATA,
    S_GET_DIM, S_GET_ELEMSIZE, S_SET_FIELD
};
enum { PV_NONE, PV_BYTES, PV_BSTR, PV_BSTR_NULL, PV_VARIANT };
enum { SF_NONE, SF_CB_ELEMENTS, SF_ELEMENTS, SF_LBOUND };
enum { PS_DUMP, PS_RET, PS_GET_ELEMENT, PS_SIZES };
struct sa_op {
    int fn;
    int h;
    int h2;
    VARTYPE vt;
    UINT dims;
    int nb;
    SAFEARRAYBOUND b[4];
    int nidx;
    LONG idx[4];
    int pv_kind;
    unsigned char pv[24];
    const OLECHAR *units;
    int units_len;
    int field;
    int field_dim;
    LONG value;
};
struct sa_case {
    int line;
    const struct sa_op *ops;
    int nops;
    int probe;
    int of;
    const char *aux;
    int nidx;
    LONG idx[4];
    const struct field *fields;
    size_t nfields;
};

#include "cases.h"

/* ---- computed probe fields ------------------------------------------------------------ */

#define MAX_FIELDS 24
struct computed {
    int n;
    char name[MAX_FIELDS][40];
    char text[MAX_FIELDS][1024];
};

static void put(struct computed *c, const char *name, const char *fmt, ...) {
    va_list ap;
    if (c->n >= MAX_FIELDS) return;
    snprintf(c->name[c->n], sizeof c->name[0], "%s", name);
    va_start(ap, fmt);
    vsnprintf(c->text[c->n], sizeof c->text[0], fmt, ap);
    va_end(ap);
    c->n++;
}

static void put_hex(struct computed *c, const char *name, const unsigned char *p, size_t n) {
    char buf[1024];
    size_t i;
    for (i = 0; i < n && 2 * i + 2 < sizeof buf; i++) sprintf(buf + 2 * i, "%02x", p[i]);
    buf[2 * i] = 0;
    put(c, name, "%s", buf);
}

static void put_units(struct computed *c, const char *name, BSTR b) {
    char buf[1024];
    UINT n = SysStringLen(b), i;
    if (b == NULL) {
        put(c, name, "null");
        return;
    }
    for (i = 0; i < n && 4 * i + 4 < sizeof buf; i++) sprintf(buf + 4 * i, "%04x", b[i]);
    buf[4 * i] = 0;
    put(c, name, "%s", buf);
}

/* Compares the expected fields of a vector line with the computed ones (mask '?' = any). */
static void compare_fields(int line, const struct computed *c, const struct field *want, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const char *name = want[i].name;
        const char *got = NULL;
        int lookup_list = strncmp(name, "addr_mod16_by_", 14) == 0;
        for (int j = 0; j < c->n; j++)
            if (strcmp(c->name[j], lookup_list ? "addr_mod16_list" : name) == 0) got = c->text[j];
        if (!CHECK(got != NULL, "vector line %d: %s not computed", line, name)) continue;
        size_t len = strlen(want[i].text);
        int same = strlen(got) == len;
        for (size_t k = 0; same && k < len; k++)
            if (want[i].mask[k] != '?' && got[k] != want[i].text[k]) same = 0;
        CHECK(same, "vector line %d: %s = %s, expected %s", line, name, got, want[i].text);
    }
}

/* ---- part 1: change_type and the direct conversions ------------------------------------- */

static unsigned long n_change_type, n_direct, n_in_place;

static void make_src(const struct ct_case *c, VARIANT *v) {
    memcpy(v, c->src, sizeof *v);
    if (V_VT(v) == VT_BSTR) V_BSTR(v) = SysAllocStringLen(c->src_units, (UINT)c->src_len);
}

static void check_result(const struct ct_case *c, HRESULT hr, const VARIANT *r, const char *how) {
    if (!CHECK(hr == c->hr, "vector line %d, %s: hr 0x%08x, expected 0x%08x", c->line, how, (unsigned)hr,
               (unsigned)c->hr))
        return;
    if (FAILED(hr) || c->kind == 0) return;
    CHECK(V_VT(r) == c->res_vt, "vector line %d, %s: vt %u, expected %u", c->line, how, V_VT(r), c->res_vt);
    switch (c->kind) {
    case 1:
        CHECK(memcmp((const unsigned char *)r + 8, c->res, (size_t)c->res_len) == 0,
              "vector line %d, %s: payload differs", c->line, how);
        break;
    case 2:
        if (c->res_null)
            CHECK(V_BSTR(r) == NULL, "vector line %d, %s: BSTR should be null", c->line, how);
        else
            CHECK(bstr_is(V_BSTR(r), c->res_units, c->res_units_len), "vector line %d, %s: BSTR differs", c->line,
                  how);
        break;
    case 3:
        CHECK(memcmp(r, c->res, 16) == 0, "vector line %d, %s: DECIMAL differs", c->line, how);
        break;
    }
}

/* The function VARIANT_Coerce calls for this pair, called directly with the same input. */
static void direct(const struct ct_case *c, const VARIANT *src) {
    VARTYPE s = V_VT(src), d = c->dst;
    HRESULT hr = E_NOTIMPL;
    VARIANT r;
    memset(&r, 0, sizeof r);
    if (d == VT_BSTR && s != VT_BSTR) {
        BSTR b = NULL;
        switch (s) {
        case VT_UI1: hr = VarBstrFromUI1(src->bVal, c->lcid, 0, &b); break;
        case VT_I2: hr = VarBstrFromI2(src->iVal, c->lcid, 0, &b); break;
        case VT_I4: hr = VarBstrFromI4(src->lVal, c->lcid, 0, &b); break;
        case VT_I8: hr = VarBstrFromI8(src->llVal, c->lcid, 0, &b); break;
        case VT_UI2: hr = VarBstrFromUI2(src->uiVal, c->lcid, 0, &b); break;
        case VT_UI4: hr = VarBstrFromUI4(src->ulVal, c->lcid, 0, &b); break;
        case VT_UI8: hr = VarBstrFromUI8(src->ullVal, c->lcid, 0, &b); break;
        case VT_R4: hr = VarBstrFromR4(src->fltVal, c->lcid, 0, &b); break;
        case VT_R8: hr = VarBstrFromR8(src->dblVal, c->lcid, 0, &b); break;
        case VT_CY: hr = VarBstrFromCy(src->cyVal, c->lcid, 0, &b); break;
        case VT_DATE: hr = VarBstrFromDate(src->date, c->lcid, 0, &b); break;
        case VT_DECIMAL: hr = VarBstrFromDec(&src->decVal, c->lcid, 0, &b); break;
        case VT_BOOL:
            /* VARIANT_Coerce: the words only with VARIANT_ALPHABOOL / VARIANT_LOCALBOOL, else -1 / 0. */
            if (c->flags & (VARIANT_ALPHABOOL | VARIANT_LOCALBOOL))
                hr = VarBstrFromBool(src->boolVal, c->lcid, (c->flags & VARIANT_LOCALBOOL) ? VAR_LOCALBOOL : 0, &b);
            else
                hr = VarBstrFromI2(src->boolVal, c->lcid, 0, &b);
            break;
        default: return;
        }
        V_VT(&r) = VT_BSTR;
        V_BSTR(&r) = b;
        check_result(c, hr, &r, "VarBstrFrom*");
        SysFreeString(b);
        n_direct++;
        return;
    }
    if (s == VT_BSTR && d != VT_BSTR) {
        LPCOLESTR str = V_BSTR(src);
        V_VT(&r) = d;
        switch (d) {
        case VT_UI1: hr = VarUI1FromStr(str, c->lcid, 0, &r.bVal); break;
        case VT_I2: hr = VarI2FromStr(str, c->lcid, 0, &r.iVal); break;
        case VT_I4: hr = VarI4FromStr(str, c->lcid, 0, &r.lVal); break;
        case VT_I8: hr = VarI8FromStr(str, c->lcid, 0, &r.llVal); break;
        case VT_UI2: hr = VarUI2FromStr(str, c->lcid, 0, &r.uiVal); break;
        case VT_UI4: hr = VarUI4FromStr(str, c->lcid, 0, &r.ulVal); break;
        case VT_UI8: hr = VarUI8FromStr(str, c->lcid, 0, &r.ullVal); break;
        case VT_R4: hr = VarR4FromStr(str, c->lcid, 0, &r.fltVal); break;
        case VT_R8: hr = VarR8FromStr(str, c->lcid, 0, &r.dblVal); break;
        case VT_CY: hr = VarCyFromStr(str, c->lcid, 0, &r.cyVal); break;
        case VT_DATE: hr = VarDateFromStr(str, c->lcid, 0, &r.date); break;
        case VT_BOOL:
            hr = VarBoolFromStr(str, c->lcid, (c->flags & VARIANT_LOCALBOOL) ? VAR_LOCALBOOL : 0, &r.boolVal);
            break;
        case VT_DECIMAL:
            hr = VarDecFromStr(str, c->lcid, 0, &r.decVal);
            V_VT(&r) = VT_DECIMAL;
            break;
        default: return;
        }
        check_result(c, hr, &r, "Var*FromStr");
        n_direct++;
        return;
    }
    V_VT(&r) = d;
    if (s == VT_R8 && d == VT_DECIMAL) {
        hr = VarDecFromR8(src->dblVal, &r.decVal);
        V_VT(&r) = VT_DECIMAL;
    } else if (s == VT_DECIMAL && d == VT_R8) {
        hr = VarR8FromDec(&src->decVal, &r.dblVal);
    } else if (s == VT_R8 && d == VT_CY) {
        hr = VarCyFromR8(src->dblVal, &r.cyVal);
    } else if (s == VT_CY && d == VT_R8) {
        hr = VarR8FromCy(src->cyVal, &r.dblVal);
    } else if (s == VT_CY && d == VT_DECIMAL) {
        hr = VarDecFromCy(src->cyVal, &r.decVal);
        V_VT(&r) = VT_DECIMAL;
    } else if (s == VT_DECIMAL && d == VT_CY) {
        hr = VarCyFromDec(&src->decVal, &r.cyVal);
    } else {
        return;
    }
    check_result(c, hr, &r, "Var*From* (numeric)");
    n_direct++;
}

static void change_type_cases(void) {
    for (size_t i = 0; i < N_CT; i++) {
        const struct ct_case *c = &CT[i];
        VARIANT src, dst, v;
        make_src(c, &src);
        VariantInit(&dst);
        check_result(c, VariantChangeTypeEx(&dst, &src, c->lcid, c->flags, c->dst), &dst, "VariantChangeTypeEx");
        CHECK_HR(VariantClear(&dst), S_OK, "VariantClear of a result");
        if (c->lcid == 0x0409) {
            /* LOCALE_USER_DEFAULT is en-US here. */
            check_result(c, VariantChangeType(&dst, &src, c->flags, c->dst), &dst, "VariantChangeType");
            CHECK_HR(VariantClear(&dst), S_OK, "VariantClear of a result");
            VariantInit(&v);
            if (VariantCopy(&v, &src) == S_OK) {
                check_result(c, VariantChangeType(&v, &v, c->flags, c->dst), &v, "VariantChangeType in place");
                n_in_place++;
            }
            CHECK_HR(VariantClear(&v), S_OK, "VariantClear after in place");
        }
        direct(c, &src);
        CHECK_HR(VariantClear(&src), S_OK, "VariantClear of a source");
        n_change_type++;
    }
}

/* ---- part 1: format, parse, vartime ---------------------------------------------------- */

static void format_cases(void) {
    for (size_t i = 0; i < N_FMT; i++) {
        const struct fmt_case *f = &FMT[i];
        BSTR b = NULL;
        HRESULT hr = E_NOTIMPL;
        CY cy;
        DECIMAL dec;
        switch (f->fn) {
        case F_R8: hr = VarBstrFromR8(dbl(f->bits), f->lcid, f->flags, &b); break;
        case F_R4: hr = VarBstrFromR4(flt((uint32_t)f->bits), f->lcid, f->flags, &b); break;
        case F_DATE: hr = VarBstrFromDate(dbl(f->bits), f->lcid, f->flags, &b); break;
        case F_CY:
            cy.int64 = f->i;
            hr = VarBstrFromCy(cy, f->lcid, f->flags, &b);
            break;
        case F_DEC:
            hr = VarDecFromR8(dbl(f->bits), &dec);
            if (hr == S_OK) hr = VarBstrFromDec(&dec, f->lcid, f->flags, &b);
            break;
        case F_BOOL: hr = VarBstrFromBool((VARIANT_BOOL)f->i, f->lcid, f->flags, &b); break;
        case F_I8: hr = VarBstrFromI8(f->i, f->lcid, f->flags, &b); break;
        case F_UI8: hr = VarBstrFromUI8(f->u, f->lcid, f->flags, &b); break;
        }
        if (CHECK(hr == f->hr, "vector line %d: hr 0x%08x, expected 0x%08x", f->line, (unsigned)hr, (unsigned)f->hr) &&
            hr == S_OK && f->check_out)
            CHECK(bstr_is(b, f->out, f->out_len), "vector line %d: text differs", f->line);
        SysFreeString(b);
    }
}

static void parse_cases(void) {
    for (size_t i = 0; i < N_PARSE; i++) {
        const struct parse_case *p = &PARSE[i];
        HRESULT hr = E_NOTIMPL;
        LONG i4 = 0;
        BYTE ui1 = 0;
        CY cy = {{0, 0}};
        VARIANT_BOOL b = 0;
        DOUBLE r8 = 0;
        DECIMAL dec;
        int same = 1;
        memset(&dec, 0, sizeof dec);
        switch (p->fn) {
        case P_R8: hr = VarR8FromStr(p->in, p->lcid, 0, &r8); same = memcmp(&r8, &p->bits, 8) == 0; break;
        case P_DATE: hr = VarDateFromStr(p->in, p->lcid, 0, &r8); same = memcmp(&r8, &p->bits, 8) == 0; break;
        case P_I4: hr = VarI4FromStr(p->in, p->lcid, 0, &i4); same = i4 == p->i; break;
        case P_UI1: hr = VarUI1FromStr(p->in, p->lcid, 0, &ui1); same = ui1 == p->i; break;
        case P_CY: hr = VarCyFromStr(p->in, p->lcid, 0, &cy); same = cy.int64 == p->i; break;
        case P_BOOL: hr = VarBoolFromStr(p->in, p->lcid, 0, &b); same = b == p->i; break;
        case P_DEC: hr = VarDecFromStr(p->in, p->lcid, 0, &dec); same = memcmp(&dec, p->dec, 16) == 0; break;
        }
        if (CHECK(hr == p->hr, "vector line %d: hr 0x%08x, expected 0x%08x", p->line, (unsigned)hr, (unsigned)p->hr) &&
            p->check)
            CHECK(same, "vector line %d: value differs (DECIMAL %02x%02x%02x%02x %08x %016llx)", p->line,
                  ((unsigned char *)&dec)[0], ((unsigned char *)&dec)[1], dec.scale, dec.sign, dec.Hi32,
                  (unsigned long long)dec.Lo64);
    }
}

static void vartime_cases(void) {
    for (size_t i = 0; i < N_VTIME; i++) {
        const struct vtime_case *t = &VTIME[i];
        if (t->fn == T_TO_ST) {
            SYSTEMTIME st;
            memset(&st, 0, sizeof st);
            int ok = VariantTimeToSystemTime(dbl(t->date), &st);
            if (CHECK(ok == t->ok, "vector line %d: VariantTimeToSystemTime gave %d", t->line, ok) && ok)
                CHECK(memcmp(&st, t->st_out, sizeof st) == 0, "vector line %d: SYSTEMTIME %u-%u-%u %u:%u:%u.%u dow %u",
                      t->line, st.wYear, st.wMonth, st.wDay, st.wHour, st.wMinute, st.wSecond, st.wMilliseconds,
                      st.wDayOfWeek);
        } else {
            SYSTEMTIME st;
            DOUBLE d = 0;
            memcpy(&st, t->st_in, sizeof st);
            int ok = SystemTimeToVariantTime(&st, &d);
            if (CHECK(ok == t->ok, "vector line %d: SystemTimeToVariantTime gave %d", t->line, ok) && ok)
                CHECK(memcmp(&d, &t->date_out, 8) == 0, "vector line %d: DATE %.17g", t->line, d);
        }
    }
}

/* ---- part 1: BSTR scenarios ------------------------------------------------------------- */

static void bstr_cases(void) {
    for (size_t i = 0; i < N_BSTRS; i++) {
        const struct bstr_case *c = &BSTRS[i];
        BSTR h[64] = {0};
        uintptr_t last[64] = {0};
        int freed[64] = {0};
        long ret = 0;
        struct computed out;
        memset(&out, 0, sizeof out);
        for (int k = 0; k < c->nops; k++) {
            const struct bstr_op *op = &c->ops[k];
            const void *p = op->lit == LIT_NULL ? NULL : op->p;
            BSTR arg = op->h >= 0 ? h[op->h] : NULL;
            switch (op->fn) {
            case B_ALLOC: h[op->h] = SysAllocString((LPCOLESTR)p); break;
            case B_ALLOC_LEN: h[op->h] = SysAllocStringLen((LPCOLESTR)p, op->len); break;
            case B_ALLOC_BYTE_LEN: h[op->h] = SysAllocStringByteLen((LPCSTR)p, op->len); break;
            case B_REALLOC: ret = SysReAllocString(&h[op->h], (LPCOLESTR)p); break;
            case B_REALLOC_LEN: ret = SysReAllocStringLen(&h[op->h], (LPCOLESTR)p, op->len); break;
            case B_FREE:
                SysFreeString(arg);
                if (op->h >= 0) freed[op->h] = 1;
                break;
            case B_LEN: ret = (long)SysStringLen(arg); break;
            case B_BYTE_LEN: ret = (long)SysStringByteLen(arg); break;
            }
            if (op->h >= 0 && op->fn != B_FREE && op->fn != B_LEN && op->fn != B_BYTE_LEN) {
                last[op->h] = (uintptr_t)h[op->h];
                freed[op->h] = 0;
            }
        }
        if (c->probe == PB_DUMP) {
            BSTR b = h[c->of];
            put(&out, "result_null", b ? "false" : "true");
            if (b) {
                UINT bytes = SysStringByteLen(b);
                put(&out, "addr_mod16", "%u", (unsigned)((uintptr_t)b % 16));
                put(&out, "SysStringLen", "%u", SysStringLen(b));
                put(&out, "SysStringByteLen", "%u", bytes);
                put_hex(&out, "prefix_plus_payload_plus_hex", (const unsigned char *)b - 4, 4 + bytes + (size_t)c->extra);
                put(&out, "extra_after_bytes", "%d", c->extra);
            }
        } else if (c->probe == PB_RET) {
            put(&out, c->list, "%ld", ret);
        } else {
            char list[256] = "";
            const char *s = c->list;
            while (*s) {
                int idx = atoi(s);
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%u", list[0] ? "," : "",
                         (unsigned)(last[idx] % 16));
                while (*s && *s != ',') s++;
                if (*s == ',') s++;
            }
            put(&out, "addr_mod16_list", "%s", list);
        }
        compare_fields(c->line, &out, c->fields, c->nfields);
        for (int k = 0; k < 64; k++)
            if (!freed[k]) SysFreeString(h[k]);
    }
}

/* ---- part 1: SAFEARRAY scenarios -------------------------------------------------------- */

static SAFEARRAYBOUND *bound_of(SAFEARRAY *psa, int i) { return &psa->rgsabound[0] + i; }

static int pointer_vt(VARTYPE vt) {
    return (vt & (VT_BYREF | VT_ARRAY)) || vt == VT_BSTR || vt == VT_DISPATCH || vt == VT_UNKNOWN || vt == VT_RECORD;
}

static void dump_array(struct computed *out, SAFEARRAY *psa, const char *mask) {
    unsigned char header[24 + 8 * 8];
    size_t dims = psa->cDims, cells = 1, cb = psa->cbElements;
    VARTYPE vt = 0;
    put(out, "cDims", "%u", psa->cDims);
    put(out, "fFeatures", "%u", psa->fFeatures);
    put(out, "cbElements", "%u", psa->cbElements);
    put(out, "cLocks", "%u", psa->cLocks);
    if (dims <= 8) {
        memcpy(header, psa, 24 + 8 * dims);
        memset(header + offsetof(SAFEARRAY, pvData), 0, sizeof(void *));
        put_hex(out, "header_hex_pvData_zeroed", header, 24 + 8 * dims);
    }
    put_hex(out, "pre16_hex", (const unsigned char *)psa - 16, 16);
    HRESULT hr = SafeArrayGetVartype(psa, &vt);
    put(out, "GetVartype_hr", "0x%08x", (unsigned)hr);
    put(out, "vartype", "%u", SUCCEEDED(hr) ? vt : 0);
    put(out, "GetDim", "%u", SafeArrayGetDim(psa));
    put(out, "GetElemsize", "%u", SafeArrayGetElemsize(psa));
    char bounds[512] = "";
    for (UINT d = 1; d <= dims; d++) {
        LONG lb = 0, ub = 0;
        SafeArrayGetLBound(psa, d, &lb);
        SafeArrayGetUBound(psa, d, &ub);
        snprintf(bounds + strlen(bounds), sizeof bounds - strlen(bounds), "%s%u:%d:%d", d > 1 ? ";" : "", d, lb, ub);
        cells *= bound_of(psa, (int)(dims - d))->cElements;
    }
    put(out, "bounds", "%s", bounds);
    put(out, "pvData_mod16", "%u", (unsigned)((uintptr_t)psa->pvData % 16));
    if (psa->pvData && cells * cb <= 500) {
        unsigned char data[512];
        memcpy(data, psa->pvData, cells * cb);
        if (strcmp(mask, "ptr8") == 0) memset(data, 0, cells * cb);
        if (strcmp(mask, "variant") == 0)
            for (size_t k = 0; k + 24 <= cells * cb; k += 24) {
                VARTYPE evt;
                memcpy(&evt, data + k, 2);
                if (pointer_vt(evt)) memset(data + k + 8, 0, 8);
            }
        put_hex(out, "data_hex", data, cells * cb);
    } else {
        put(out, "data_hex", "");
    }
}

static void safearray_cases(void) {
    for (size_t i = 0; i < N_ARRAYS; i++) {
        const struct sa_case *c = &ARRAYS[i];
        SAFEARRAY *h[8] = {0};
        int live[8] = {0};
        HRESULT last = S_OK;
        long ret = 0;
        struct computed out;
        memset(&out, 0, sizeof out);
        for (int k = 0; k < c->nops; k++) {
            const struct sa_op *op = &c->ops[k];
            SAFEARRAY *psa = op->h >= 0 ? h[op->h] : NULL;
            SAFEARRAYBOUND b[4];
            LONG idx[4];
            unsigned char pv[24];
            HRESULT hr = S_OK;
            memcpy(b, op->b, sizeof b);
            memcpy(idx, op->idx, sizeof idx);
            memcpy(pv, op->pv, sizeof pv);
            switch (op->fn) {
            case S_CREATE: h[op->h] = SafeArrayCreate(op->vt, op->dims, b); live[op->h] = h[op->h] != NULL; break;
            case S_CREATE_VECTOR:
                h[op->h] = SafeArrayCreateVector(op->vt, b[0].lLbound, b[0].cElements);
                live[op->h] = h[op->h] != NULL;
                break;
            case S_PUT:
                if (op->pv_kind == PV_BSTR) {
                    BSTR t = SysAllocStringLen(op->units, (UINT)op->units_len);
                    hr = SafeArrayPutElement(psa, idx, t);
                    SysFreeString(t);
                } else if (op->pv_kind == PV_BSTR_NULL) {
                    hr = SafeArrayPutElement(psa, idx, NULL);
                } else if (op->pv_kind == PV_VARIANT) {
                    VARIANT v;
                    memcpy(&v, pv, sizeof v);
                    if (V_VT(&v) == VT_BSTR) V_BSTR(&v) = SysAllocStringLen(op->units, (UINT)op->units_len);
                    hr = SafeArrayPutElement(psa, idx, &v);
                    VariantClear(&v);
                } else {
                    hr = SafeArrayPutElement(psa, idx, pv);
                }
                break;
            case S_LOCK: hr = SafeArrayLock(psa); break;
            case S_UNLOCK: hr = SafeArrayUnlock(psa); break;
            case S_DESTROY:
                hr = SafeArrayDestroy(psa);
                if (hr == S_OK && op->h >= 0) live[op->h] = 0;
                break;
            case S_DESTROY_DATA: hr = SafeArrayDestroyData(psa); break;
            case S_DESTROY_DESC:
                hr = SafeArrayDestroyDescriptor(psa);
                if (hr == S_OK && op->h >= 0) live[op->h] = 0;
                break;
            case S_ALLOC_DATA: hr = SafeArrayAllocData(psa); break;
            case S_ACCESS: {
                void *data;
                hr = SafeArrayAccessData(psa, &data);
                break;
            }
            case S_UNACCESS: hr = SafeArrayUnaccessData(psa); break;
            case S_ALLOC_DESC:
                hr = SafeArrayAllocDescriptor(op->dims, &h[op->h]);
                live[op->h] = hr == S_OK && h[op->h];
                break;
            case S_ALLOC_DESC_EX:
                hr = SafeArrayAllocDescriptorEx(op->vt, op->dims, &h[op->h]);
                live[op->h] = hr == S_OK && h[op->h];
                break;
            case S_REDIM: hr = SafeArrayRedim(psa, b); break;
            case S_COPY:
                hr = SafeArrayCopy(psa, &h[op->h2]);
                live[op->h2] = hr == S_OK && h[op->h2];
                break;
            case S_COPY_DATA: hr = SafeArrayCopyData(psa, h[op->h2]); break;
            case S_GET_DIM: ret = (long)SafeArrayGetDim(psa); break;
            case S_GET_ELEMSIZE: ret = (long)SafeArrayGetElemsize(psa); break;
            case S_SET_FIELD:
                if (op->field == SF_CB_ELEMENTS) psa->cbElements = (ULONG)op->value;
                if (op->field == SF_ELEMENTS) bound_of(psa, op->field_dim)->cElements = (ULONG)op->value;
                if (op->field == SF_LBOUND) bound_of(psa, op->field_dim)->lLbound = op->value;
                break;
            }
            last = hr;
        }
        SAFEARRAY *of = c->of >= 0 ? h[c->of] : NULL;
        LONG idx[4];
        memcpy(idx, c->idx, sizeof idx);
        switch (c->probe) {
        case PS_DUMP:
            if (of == NULL)
                put(&out, "null", "true");
            else
                dump_array(&out, of, c->aux);
            break;
        case PS_RET:
            if (strcmp(c->aux, "hr") == 0)
                put(&out, "hr", "0x%08x", (unsigned)last);
            else
                put(&out, c->aux, "%ld", ret);
            break;
        case PS_GET_ELEMENT:
            if (strcmp(c->aux, "i4") == 0) {
                LONG v = 0;
                HRESULT hr = SafeArrayGetElement(of, idx, &v);
                put(&out, "hr", "0x%08x", (unsigned)hr);
                if (hr == S_OK) put(&out, "value", "%d", v);
            } else if (strcmp(c->aux, "bstr") == 0) {
                BSTR v = NULL;
                HRESULT hr = SafeArrayGetElement(of, idx, &v);
                put(&out, "hr", "0x%08x", (unsigned)hr);
                if (hr == S_OK) put_units(&out, "value", v);
                SysFreeString(v);
            } else if (strcmp(c->aux, "decimal") == 0) {
                DECIMAL v;
                memset(&v, 0, sizeof v);
                HRESULT hr = SafeArrayGetElement(of, idx, &v);
                put(&out, "hr", "0x%08x", (unsigned)hr);
                if (hr == S_OK) put_hex(&out, "decimal_hex", (const unsigned char *)&v, 16);
            } else {
                CHECK(0, "vector line %d: GetElement as %s is not interpreted here", c->line, c->aux);
            }
            break;
        case PS_SIZES:
            put(&out, "sizeof_SAFEARRAY", "%u", (unsigned)sizeof(SAFEARRAY));
            put(&out, "sizeof_SAFEARRAYBOUND", "%u", (unsigned)sizeof(SAFEARRAYBOUND));
            put(&out, "offsetof_pvData", "%u", (unsigned)offsetof(SAFEARRAY, pvData));
            put(&out, "offsetof_rgsabound", "%u", (unsigned)offsetof(SAFEARRAY, rgsabound));
            break;
        }
        compare_fields(c->line, &out, c->fields, c->nfields);
        for (int k = 0; k < 8; k++)
            if (live[k]) {
                while (SafeArrayUnlock(h[k]) == S_OK) {
                }
                CHECK_HR(SafeArrayDestroy(h[k]), S_OK, "SafeArrayDestroy at the end of a scenario");
            }
    }
}

/* ---- part 2: error paths and ownership ------------------------------------------------- */

static void bstr_edges(void) {
    static const OLECHAR abc[] = {'a', 'b', 'c', 0};
    BSTR b = SysAllocString(abc), n = NULL;
    CHECK(SysStringLen(b) == 3 && SysStringByteLen(b) == 6, "SysAllocString(\"abc\") lengths");
    /* Limits: a length whose byte size does not fit 32 bits is refused (null). */
    CHECK(SysAllocStringLen(NULL, 0x80000000u) == NULL, "SysAllocStringLen past the limit");
    CHECK(SysAllocStringByteLen(NULL, 0xFFFFFFFFu) == NULL, "SysAllocStringByteLen past the limit");
    /* Realloc: a null BSTR* is refused; a null source keeps the old units up to len. */
    CHECK(SysReAllocString(NULL, abc) == 0, "SysReAllocString(NULL, ...)");
    CHECK(SysReAllocStringLen(NULL, abc, 3) == 0, "SysReAllocStringLen(NULL, ...)");
    CHECK(SysReAllocStringLen(&b, NULL, 2) == 1 && SysStringLen(b) == 2 && b[0] == 'a' && b[1] == 'b',
          "SysReAllocStringLen(&b, NULL, 2) keeps the first units");
    /* The source may be the string itself. */
    CHECK(SysReAllocString(&b, b + 1) == 1 && SysStringLen(b) == 1 && b[0] == 'b', "SysReAllocString from itself");
    CHECK(SysReAllocString(&n, abc) == 1 && bstr_is(n, abc, 3), "SysReAllocString of a null BSTR allocates");
    CHECK(SysReAllocString(&n, NULL) == 1 && n == NULL, "SysReAllocString(&b, NULL) leaves null");
    CHECK(SysStringLen(NULL) == 0 && SysStringByteLen(NULL) == 0, "lengths of NULL");
    SysFreeString(NULL);
    SysFreeString(b);
}

static void variant_edges(void) {
    VARIANT a, b, r;
    VariantInit(NULL); /* ignored */
    VariantInit(&a);
    VariantInit(&b);
    CHECK(V_VT(&a) == VT_EMPTY, "VariantInit");
    CHECK_HR(VariantClear(NULL), E_INVALIDARG, "VariantClear(NULL)");
    /* Invalid VARTYPEs (VARIANT_ValidateType): cleared nothing, said so. */
    V_VT(&a) = 15;
    CHECK_HR(VariantClear(&a), DISP_E_BADVARTYPE, "VariantClear of type 15");
    CHECK(V_VT(&a) == 15, "an invalid VARIANT is left as it is");
    V_VT(&a) = VT_I4 | VT_VECTOR;
    CHECK_HR(VariantClear(&a), DISP_E_BADVARTYPE, "VariantClear of VT_VECTOR");
    V_VT(&a) = VT_EMPTY;

    /* VariantCopy: null pointers, VT_CLSID and invalid sources, the same VARIANT as both. */
    CHECK_HR(VariantCopy(NULL, &a), E_INVALIDARG, "VariantCopy(NULL, src)");
    CHECK_HR(VariantCopy(&a, NULL), E_INVALIDARG, "VariantCopy(dst, NULL)");
    V_VT(&b) = VT_CLSID;
    CHECK_HR(VariantCopy(&a, &b), DISP_E_BADVARTYPE, "VariantCopy from VT_CLSID");
    V_VT(&b) = VT_BSTR;
    V_BSTR(&b) = bstr_of("text");
    CHECK_HR(VariantCopy(&b, &b), S_OK, "VariantCopy(v, v)");
    CHECK_HR(VariantCopy(&a, &b), S_OK, "VariantCopy of a BSTR");
    CHECK(V_VT(&a) == VT_BSTR && V_BSTR(&a) != V_BSTR(&b) && bstr_eq_ascii(V_BSTR(&a), "text"),
          "VariantCopy makes a new BSTR");
    /* Copying over a BSTR VARIANT frees the old string first (valgrind sees the leak otherwise). */
    CHECK_HR(VariantCopy(&a, &b), S_OK, "VariantCopy over a BSTR");
    /* An invalid destination is not overwritten. */
    V_VT(&r) = 0x7FFF;
    CHECK_HR(VariantCopy(&r, &b), DISP_E_BADVARTYPE, "VariantCopy into an invalid VARIANT");

    /* VariantCopyInd: BYREF sources are dereferenced, one level of VARIANT BYREF followed. */
    LONG target = 1234;
    VARIANT ref, ref2, inner;
    V_VT(&ref) = VT_I4 | VT_BYREF;
    ref.plVal = &target;
    VariantInit(&r);
    CHECK_HR(VariantCopyInd(&r, &ref), S_OK, "VariantCopyInd of VT_I4|VT_BYREF");
    CHECK(V_VT(&r) == VT_I4 && V_I4(&r) == 1234, "VariantCopyInd dereferences");
    CHECK_HR(VariantCopyInd(&ref, &ref), S_OK, "VariantCopyInd in place");
    CHECK(V_VT(&ref) == VT_I4 && V_I4(&ref) == 1234, "VariantCopyInd in place dereferences");
    V_VT(&inner) = VT_BSTR;
    V_BSTR(&inner) = bstr_of("deep");
    V_VT(&ref) = VT_VARIANT | VT_BYREF;
    ref.pvarVal = &inner;
    CHECK_HR(VariantCopyInd(&r, &ref), S_OK, "VariantCopyInd of VT_VARIANT|VT_BYREF");
    CHECK(V_VT(&r) == VT_BSTR && bstr_eq_ascii(V_BSTR(&r), "deep") && V_BSTR(&r) != V_BSTR(&inner),
          "VariantCopyInd copies the referenced BSTR");
    V_VT(&ref2) = VT_VARIANT | VT_BYREF;
    ref2.pvarVal = &ref;
    CHECK_HR(VariantCopyInd(&a, &ref2), E_INVALIDARG, "VariantCopyInd of a reference to a reference");
    V_VT(&ref) = VT_I4 | VT_BYREF;
    ref.plVal = NULL;
    CHECK_HR(VariantCopyInd(&a, &ref), DISP_E_TYPEMISMATCH, "VariantCopyInd of a null reference");
    CHECK_HR(VariantCopyInd(NULL, &ref), E_INVALIDARG, "VariantCopyInd(NULL, src)");
    CHECK_HR(VariantCopyInd(&a, NULL), E_INVALIDARG, "VariantCopyInd(dst, NULL)");
    CHECK_HR(VariantCopyInd(&a, &b), S_OK, "VariantCopyInd of a by-value VARIANT copies");
    CHECK_HR(VariantClear(&inner), S_OK, "VariantClear");

    /* VariantChangeType(Ex): null pointers, VT_CLSID, unknown LCIDs, failure leaves dst alone. */
    CHECK_HR(VariantChangeTypeEx(NULL, &b, 0x0409, 0, VT_I4), E_INVALIDARG, "VariantChangeTypeEx(NULL, ...)");
    CHECK_HR(VariantChangeTypeEx(&r, NULL, 0x0409, 0, VT_I4), E_INVALIDARG, "VariantChangeTypeEx(dst, NULL)");
    CHECK_HR(VariantChangeType(&r, &b, 0, VT_CLSID), DISP_E_BADVARTYPE, "VariantChangeType to VT_CLSID");
    CHECK_HR(VariantChangeTypeEx(&r, &b, 0x0415, 0, VT_I4), DISP_E_UNKNOWNLCID, "an LCID without locale data");
    CHECK(V_VT(&r) == VT_BSTR && bstr_eq_ascii(V_BSTR(&r), "deep"), "a failed conversion leaves dst alone");
    CHECK_HR(VariantClear(&a), S_OK, "VariantClear");
    V_VT(&a) = VT_R8;
    V_R8(&a) = 2.5;
    CHECK_HR(VariantChangeType(&r, &a, 0, VT_I4), S_OK, "R8 -> I4");
    CHECK(V_VT(&r) == VT_I4 && V_I4(&r) == 2, "2.5 rounds to even (2)");
    V_R8(&a) = 300;
    CHECK_HR(VariantChangeType(&r, &a, 0, VT_UI1), DISP_E_OVERFLOW, "300 -> UI1");
    V_VT(&a) = VT_BOOL;
    V_BOOL(&a) = VARIANT_TRUE;
    CHECK_HR(VariantChangeType(&r, &a, VARIANT_ALPHABOOL, VT_BSTR), S_OK, "BOOL -> BSTR");
    CHECK(bstr_eq_ascii(V_BSTR(&r), "True"), "VARIANT_ALPHABOOL gives True");
    CHECK_HR(VariantClear(&r), S_OK, "VariantClear");
    CHECK_HR(VariantClear(&b), S_OK, "VariantClear");
}

static void safearray_edges(void) {
    /* SafeArrayCreate takes the bounds dimension 1 first (the descriptor stores them reversed). */
    SAFEARRAYBOUND two[2] = {{3, 10}, {2, -1}};
    SAFEARRAY *psa = SafeArrayCreate(VT_I4, 2, two), *copy = NULL, *desc = NULL;
    LONG idx[2] = {12, -1}, out = 0, lb = 0, ub = 0;
    VARTYPE vt = 0;
    void *data = NULL, *cell = NULL;
    CHECK(psa != NULL && SafeArrayGetDim(psa) == 2 && SafeArrayGetElemsize(psa) == 4, "SafeArrayCreate(VT_I4, 2)");
    CHECK_HR(SafeArrayGetLBound(psa, 1, &lb), S_OK, "GetLBound(1)");
    CHECK_HR(SafeArrayGetUBound(psa, 1, &ub), S_OK, "GetUBound(1)");
    CHECK(lb == 10 && ub == 12, "dimension 1 is the first bound given (%d..%d)", lb, ub);
    CHECK(psa->rgsabound[0].lLbound == -1, "rgsabound[0] of the descriptor is the last dimension");
    CHECK_HR(SafeArrayGetLBound(psa, 0, &lb), DISP_E_BADINDEX, "GetLBound(0)");
    CHECK_HR(SafeArrayGetUBound(psa, 3, &ub), DISP_E_BADINDEX, "GetUBound(3)");
    CHECK_HR(SafeArrayGetLBound(NULL, 1, &lb), E_INVALIDARG, "GetLBound(NULL)");
    CHECK_HR(SafeArrayGetUBound(psa, 1, NULL), E_INVALIDARG, "GetUBound(psa, 1, NULL)");
    CHECK(SafeArrayGetDim(NULL) == 0 && SafeArrayGetElemsize(NULL) == 0, "GetDim / GetElemsize of NULL");
    CHECK_HR(SafeArrayGetVartype(psa, &vt), S_OK, "GetVartype");
    CHECK(vt == VT_I4, "GetVartype gives VT_I4");
    CHECK_HR(SafeArrayGetVartype(NULL, &vt), E_INVALIDARG, "GetVartype(NULL)");
    LONG value = 77;
    CHECK_HR(SafeArrayPutElement(psa, idx, &value), S_OK, "PutElement");
    CHECK_HR(SafeArrayGetElement(psa, idx, &out), S_OK, "GetElement");
    CHECK(out == 77, "GetElement reads what PutElement stored");
    idx[0] = 13;
    CHECK_HR(SafeArrayPutElement(psa, idx, &value), DISP_E_BADINDEX, "PutElement out of bounds");
    CHECK_HR(SafeArrayGetElement(psa, idx, &out), DISP_E_BADINDEX, "GetElement out of bounds");
    CHECK_HR(SafeArrayPtrOfIndex(psa, idx, &cell), DISP_E_BADINDEX, "PtrOfIndex out of bounds");
    idx[0] = 12;
    CHECK_HR(SafeArrayGetElement(NULL, idx, &out), E_INVALIDARG, "GetElement(NULL)");
    CHECK_HR(SafeArrayPutElement(psa, NULL, &value), E_INVALIDARG, "PutElement without indices");
    CHECK_HR(SafeArrayPtrOfIndex(psa, idx, &cell), S_OK, "PtrOfIndex");
    CHECK(cell != NULL && *(LONG *)cell == 77, "PtrOfIndex points at the element");
    /* Locks: AccessData locks, a locked array cannot be destroyed or redimensioned. */
    CHECK_HR(SafeArrayAccessData(psa, &data), S_OK, "AccessData");
    CHECK(data == psa->pvData && psa->cLocks == 1, "AccessData returns pvData and locks");
    CHECK_HR(SafeArrayDestroy(psa), DISP_E_ARRAYISLOCKED, "Destroy while locked");
    CHECK_HR(SafeArrayRedim(psa, two), DISP_E_ARRAYISLOCKED, "Redim while locked");
    CHECK_HR(SafeArrayUnaccessData(psa), S_OK, "UnaccessData");
    CHECK_HR(SafeArrayUnlock(psa), E_UNEXPECTED, "Unlock without a lock");
    CHECK_HR(SafeArrayLock(psa), S_OK, "Lock");
    CHECK_HR(SafeArrayUnlock(psa), S_OK, "Unlock");
    CHECK_HR(SafeArrayLock(NULL), E_INVALIDARG, "Lock(NULL)");
    CHECK_HR(SafeArrayAccessData(NULL, &data), E_INVALIDARG, "AccessData(NULL)");
    /* Copy and CopyData. */
    CHECK_HR(SafeArrayCopy(psa, &copy), S_OK, "Copy");
    CHECK(copy != psa && copy->pvData != psa->pvData, "Copy makes a new array");
    CHECK_HR(SafeArrayGetElement(copy, idx, &out), S_OK, "GetElement of the copy");
    CHECK(out == 77, "the copy holds the elements");
    CHECK_HR(SafeArrayCopy(NULL, &desc), S_OK, "Copy(NULL)");
    CHECK(desc == NULL, "Copy(NULL) gives NULL");
    CHECK_HR(SafeArrayCopy(psa, NULL), E_INVALIDARG, "Copy(psa, NULL)");
    CHECK_HR(SafeArrayCopyData(psa, copy), S_OK, "CopyData between arrays of one shape");
    SAFEARRAYBOUND grow = {4, -1};
    CHECK_HR(SafeArrayRedim(copy, &grow), S_OK, "Redim the last dimension");
    CHECK_HR(SafeArrayCopyData(psa, copy), E_INVALIDARG, "CopyData between different shapes");
    CHECK_HR(SafeArrayDestroy(copy), S_OK, "Destroy the copy");
    CHECK_HR(SafeArrayDestroy(psa), S_OK, "Destroy");
    CHECK_HR(SafeArrayDestroy(NULL), S_OK, "Destroy(NULL)");
    /* Creation that cannot work. */
    CHECK(SafeArrayCreate(VT_EMPTY, 1, two) == NULL, "SafeArrayCreate(VT_EMPTY)");
    CHECK(SafeArrayCreate(VT_I4, 0, two) == NULL, "SafeArrayCreate with 0 dimensions");
    CHECK(SafeArrayCreate(VT_I4, 1, NULL) == NULL, "SafeArrayCreate without bounds");
    CHECK_HR(SafeArrayAllocDescriptor(0, &desc), E_INVALIDARG, "AllocDescriptor(0)");
    CHECK_HR(SafeArrayAllocDescriptor(1, NULL), E_POINTER, "AllocDescriptor(1, NULL)");
    /* Descriptor and data separately. */
    CHECK_HR(SafeArrayAllocDescriptorEx(VT_R8, 1, &desc), S_OK, "AllocDescriptorEx");
    desc->rgsabound[0].cElements = 5;
    CHECK_HR(SafeArrayAllocData(desc), S_OK, "AllocData");
    CHECK(desc->pvData != NULL && desc->cbElements == 8, "AllocData sized the data");
    CHECK_HR(SafeArrayDestroyData(desc), S_OK, "DestroyData");
    CHECK_HR(SafeArrayDestroyDescriptor(desc), S_OK, "DestroyDescriptor");
    CHECK_HR(SafeArrayAllocData(NULL), E_INVALIDARG, "AllocData(NULL)");
    CHECK_HR(SafeArrayDestroyData(NULL), E_INVALIDARG, "DestroyData(NULL)");
    CHECK_HR(SafeArrayDestroyDescriptor(NULL), S_OK, "DestroyDescriptor(NULL)");
    CHECK_HR(SafeArrayRedim(NULL, &grow), E_INVALIDARG, "Redim(NULL)");

    /* Owned elements: BSTRs are copied in and out and freed with the array. */
    SAFEARRAY *strs = SafeArrayCreateVector(VT_BSTR, 0, 2);
    BSTR s = bstr_of("elem"), got = NULL;
    LONG i0 = 0;
    CHECK_HR(SafeArrayPutElement(strs, &i0, s), S_OK, "PutElement of a BSTR");
    CHECK(((BSTR *)strs->pvData)[0] != s, "the array holds its own copy");
    CHECK_HR(SafeArrayPutElement(strs, &i0, s), S_OK, "PutElement over a BSTR frees the old one");
    CHECK_HR(SafeArrayGetElement(strs, &i0, &got), S_OK, "GetElement of a BSTR");
    CHECK(bstr_eq_ascii(got, "elem") && got != s, "GetElement returns a copy");
    SysFreeString(got);
    SysFreeString(s);
    /* VARIANT elements holding BSTRs: deep copies, cleared by Destroy. */
    SAFEARRAY *vars = SafeArrayCreateVector(VT_VARIANT, 0, 2);
    VARIANT v, w;
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = bstr_of("in a variant");
    CHECK_HR(SafeArrayPutElement(vars, &i0, &v), S_OK, "PutElement of a VARIANT");
    VariantInit(&w);
    CHECK_HR(SafeArrayGetElement(vars, &i0, &w), S_OK, "GetElement of a VARIANT");
    CHECK(V_VT(&w) == VT_BSTR && bstr_eq_ascii(V_BSTR(&w), "in a variant") && V_BSTR(&w) != V_BSTR(&v),
          "GetElement makes a deep copy");
    VariantClear(&w);
    VariantClear(&v);

    /* Arrays inside VARIANTs: VariantCopy copies the array, VariantClear destroys it. */
    V_VT(&v) = VT_ARRAY | VT_BSTR;
    V_ARRAY(&v) = strs;
    VariantInit(&w);
    CHECK_HR(VariantCopy(&w, &v), S_OK, "VariantCopy of VT_ARRAY|VT_BSTR");
    CHECK(V_ARRAY(&w) != strs && SafeArrayGetDim(V_ARRAY(&w)) == 1, "VariantCopy copies the array");
    CHECK_HR(VariantClear(&w), S_OK, "VariantClear destroys the copied array");
    SafeArrayLock(strs);
    CHECK_HR(VariantClear(&v), DISP_E_ARRAYISLOCKED, "VariantClear of a locked array");
    CHECK(V_VT(&v) == VT_EMPTY, "the VARIANT is emptied anyway");
    SafeArrayUnlock(strs);
    V_VT(&v) = VT_ARRAY | VT_VARIANT;
    V_ARRAY(&v) = vars;
    CHECK_HR(VariantClear(&v), S_OK, "VariantClear of VT_ARRAY|VT_VARIANT");
    CHECK_HR(SafeArrayDestroy(strs), S_OK, "Destroy the BSTR array");

    /* VT_ARRAY|VT_UI1 <-> BSTR, byte for byte (BstrFromVector / VectorFromBstr). */
    SAFEARRAY *bytes = SafeArrayCreateVector(VT_UI1, 0, 3), *back = NULL;
    BSTR joined = NULL;
    memcpy(bytes->pvData, "a\0b", 3);
    CHECK_HR(BstrFromVector(bytes, &joined), S_OK, "BstrFromVector");
    CHECK(SysStringByteLen(joined) == 3 && memcmp(joined, "a\0b", 3) == 0, "BstrFromVector keeps the bytes");
    CHECK_HR(VectorFromBstr(joined, &back), S_OK, "VectorFromBstr");
    CHECK(back && back->rgsabound[0].cElements == 3 && memcmp(back->pvData, "a\0b", 3) == 0,
          "VectorFromBstr keeps the bytes");
    SysFreeString(joined);
    CHECK_HR(BstrFromVector(NULL, &joined), E_INVALIDARG, "BstrFromVector(NULL)");
    CHECK(joined == NULL, "BstrFromVector sets the out BSTR to null first");
    CHECK_HR(VectorFromBstr(NULL, NULL), E_INVALIDARG, "VectorFromBstr(NULL, NULL)");
    V_VT(&v) = VT_ARRAY | VT_UI1;
    V_ARRAY(&v) = back;
    VariantInit(&w);
    CHECK_HR(VariantChangeType(&w, &v, 0, VT_BSTR), S_OK, "VT_ARRAY|VT_UI1 -> BSTR");
    CHECK(V_VT(&w) == VT_BSTR && SysStringByteLen(V_BSTR(&w)) == 3, "the bytes become the BSTR");
    CHECK_HR(VariantChangeType(&w, &w, 0, VT_ARRAY | VT_UI1), S_OK, "BSTR -> VT_ARRAY|VT_UI1 in place");
    CHECK(V_VT(&w) == (VT_ARRAY | VT_UI1) && SafeArrayGetElemsize(V_ARRAY(&w)) == 1, "and back to bytes");
    CHECK_HR(VariantChangeType(&w, &v, 0, VT_ARRAY | VT_I4), DISP_E_TYPEMISMATCH, "UI1 array -> I4 array");
    VariantClear(&w);
    VariantClear(&v);
    SafeArrayDestroy(bytes);
}

static void conversion_edges(void) {
    static const OLECHAR num[] = {'2', '5', '6', 0}, word[] = {'n', 'o', 'p', 'e', 0};
    BSTR b = NULL;
    BYTE ui1;
    SHORT i2;
    LONG i4;
    LONG64 i8;
    USHORT ui2;
    ULONG ui4;
    ULONG64 ui8;
    FLOAT r4;
    DOUBLE r8;
    CY cy;
    DECIMAL dec;
    DATE date;
    VARIANT_BOOL vb;
    /* Out-pointers and strings. */
    CHECK_HR(VarBstrFromI4(1, 0x0409, 0, NULL), E_INVALIDARG, "VarBstrFromI4 without out");
    CHECK_HR(VarI4FromStr(NULL, 0x0409, 0, &i4), DISP_E_TYPEMISMATCH, "VarI4FromStr(NULL)");
    CHECK_HR(VarI4FromStr(num, 0x0409, 0, NULL), E_INVALIDARG, "VarI4FromStr without out");
    CHECK_HR(VarDateFromStr(NULL, 0x0409, 0, &date), DISP_E_TYPEMISMATCH, "VarDateFromStr(NULL)");
    CHECK_HR(VarBoolFromStr(NULL, 0x0409, 0, &vb), DISP_E_TYPEMISMATCH, "VarBoolFromStr(NULL)");
    CHECK_HR(VarBstrFromDec(NULL, 0x0409, 0, &b), E_INVALIDARG, "VarBstrFromDec(NULL)");
    CHECK_HR(VarR8FromStr(num, 0x0415, 0, &r8), DISP_E_UNKNOWNLCID, "VarR8FromStr with an unknown LCID");
    CHECK_HR(VarBstrFromR8(1.5, 0x0415, 0, &b), DISP_E_UNKNOWNLCID, "VarBstrFromR8 with an unknown LCID");
    /* Ranges. */
    CHECK_HR(VarUI1FromStr(num, 0x0409, 0, &ui1), DISP_E_OVERFLOW, "VarUI1FromStr(\"256\")");
    CHECK_HR(VarI2FromStr(num, 0x0409, 0, &i2), S_OK, "VarI2FromStr(\"256\")");
    CHECK(i2 == 256, "VarI2FromStr value");
    CHECK_HR(VarI8FromStr(num, 0x0409, 0, &i8), S_OK, "VarI8FromStr");
    CHECK_HR(VarUI2FromStr(num, 0x0409, 0, &ui2), S_OK, "VarUI2FromStr");
    CHECK_HR(VarUI4FromStr(num, 0x0409, 0, &ui4), S_OK, "VarUI4FromStr");
    CHECK_HR(VarUI8FromStr(num, 0x0409, 0, &ui8), S_OK, "VarUI8FromStr");
    CHECK_HR(VarR4FromStr(num, 0x0409, 0, &r4), S_OK, "VarR4FromStr");
    CHECK(i8 == 256 && ui2 == 256 && ui4 == 256 && ui8 == 256 && r4 == 256.0f, "the parsed values");
    CHECK_HR(VarCyFromStr(word, 0x0409, 0, &cy), DISP_E_TYPEMISMATCH, "VarCyFromStr(\"nope\")");
    /* DECIMAL arguments are validated: scale above 28 is refused. */
    memset(&dec, 0, sizeof dec);
    dec.scale = 29;
    CHECK_HR(VarR8FromDec(&dec, &r8), E_INVALIDARG, "VarR8FromDec of scale 29");
    CHECK_HR(VarCyFromDec(&dec, &cy), E_INVALIDARG, "VarCyFromDec of scale 29");
    CHECK_HR(VarDecFromR8(1e30, &dec), DISP_E_OVERFLOW, "VarDecFromR8(1e30)");
    CHECK_HR(VarCyFromR8(1e300, &cy), DISP_E_OVERFLOW, "VarCyFromR8(1e300)");
    cy.int64 = 12345; /* 1.2345 */
    CHECK_HR(VarR8FromCy(cy, &r8), S_OK, "VarR8FromCy");
    CHECK(r8 == 1.2345, "VarR8FromCy value");
    CHECK_HR(VarDecFromCy(cy, &dec), S_OK, "VarDecFromCy");
    CHECK(dec.scale == 4 && dec.Lo64 == 12345 && dec.sign == 0, "VarDecFromCy is exact");
    CHECK_HR(VarDecFromR8(NAN, NULL), E_INVALIDARG, "VarDecFromR8 without out");
    /* BSTR results of every integer width. */
    CHECK_HR(VarBstrFromUI1(255, 0x0409, 0, &b), S_OK, "VarBstrFromUI1");
    CHECK(bstr_eq_ascii(b, "255"), "VarBstrFromUI1 text");
    SysFreeString(b);
    CHECK_HR(VarBstrFromI2(-32768, 0x0409, 0, &b), S_OK, "VarBstrFromI2");
    CHECK(bstr_eq_ascii(b, "-32768"), "VarBstrFromI2 text");
    SysFreeString(b);
    CHECK_HR(VarBstrFromUI2(65535, 0x0409, 0, &b), S_OK, "VarBstrFromUI2");
    CHECK(bstr_eq_ascii(b, "65535"), "VarBstrFromUI2 text");
    SysFreeString(b);
    CHECK_HR(VarBstrFromUI4(4294967295u, 0x0409, 0, &b), S_OK, "VarBstrFromUI4");
    CHECK(bstr_eq_ascii(b, "4294967295"), "VarBstrFromUI4 text");
    SysFreeString(b);
    CHECK_HR(VarBstrFromI4(-7, 0x0409, 0, &b), S_OK, "VarBstrFromI4");
    CHECK(bstr_eq_ascii(b, "-7"), "VarBstrFromI4 text");
    SysFreeString(b);
    /* DATE <-> SYSTEMTIME with null pointers. */
    SYSTEMTIME st;
    CHECK(VariantTimeToSystemTime(0.0, NULL) == 0, "VariantTimeToSystemTime(.., NULL)");
    CHECK(SystemTimeToVariantTime(NULL, &r8) == 0, "SystemTimeToVariantTime(NULL, ..)");
    CHECK(VariantTimeToSystemTime(0.0, &st) == 1 && SystemTimeToVariantTime(&st, NULL) == 0,
          "SystemTimeToVariantTime(.., NULL)");
}

static void cotaskmem_edges(void) {
    unsigned char *p = CoTaskMemAlloc(16);
    CHECK(p != NULL && (uintptr_t)p % 16 == 0, "CoTaskMemAlloc(16) is aligned for any type");
    memset(p, 0x5A, 16);
    p = CoTaskMemRealloc(p, 4096);
    CHECK(p != NULL && p[15] == 0x5A, "CoTaskMemRealloc keeps the contents");
    CHECK(CoTaskMemRealloc(p, 0) == NULL, "CoTaskMemRealloc(p, 0) frees");
    p = CoTaskMemRealloc(NULL, 8);
    CHECK(p != NULL, "CoTaskMemRealloc(NULL, 8) allocates");
    CoTaskMemFree(p);
    p = CoTaskMemAlloc(0);
    CHECK(p != NULL, "CoTaskMemAlloc(0) is a unique block");
    CoTaskMemFree(p);
    CoTaskMemFree(NULL);
    /* The C heap: a block from malloc can be given to CoTaskMemFree. */
    CoTaskMemFree(malloc(32));
}

int main(void) {
    change_type_cases();
    format_cases();
    parse_cases();
    vartime_cases();
    bstr_cases();
    safearray_cases();
    bstr_edges();
    variant_edges();
    safearray_edges();
    conversion_edges();
    cotaskmem_edges();
    printf("vector cases: change_type %lu (in place %lu, direct Var*From* %lu), format %lu, parse %lu, vartime %lu, "
           "bstr %lu, safearray %lu\n",
           n_change_type, n_in_place, n_direct, (unsigned long)N_FMT, (unsigned long)N_PARSE, (unsigned long)N_VTIME,
           (unsigned long)N_BSTRS, (unsigned long)N_ARRAYS);
    printf("checks: %lu, failures: %lu\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
