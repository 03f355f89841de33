/* C side of marshal-com's COM tests: a COM object written by hand (vtables, refcount, error
 * information through oleaut32-shaped host functions), and C code that consumes Rust COM
 * objects through raw vtables. Plain C99, no Windows headers: COM is a binary standard.
 *
 * Objects never free their memory on the last Release: they turn into zombies that count any
 * further call as misuse, so a test can prove "destroyed exactly once, never used after". The
 * test reclaims the memory with fx_calc_reclaim at the end. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int32_t HRESULT;
typedef uint16_t OLECHAR;
typedef OLECHAR *BSTR;
typedef struct GUID { uint32_t d1; uint16_t d2, d3; uint8_t d4[8]; } GUID;

#define S_OK ((HRESULT)0)
#define S_FALSE ((HRESULT)1)
#define E_NOINTERFACE ((HRESULT)0x80004002u)
#define E_POINTER ((HRESULT)0x80004003u)
#define E_UNEXPECTED ((HRESULT)0x8000FFFFu)
#define DISP_E_DIVBYZERO ((HRESULT)0x80020012u)

static const GUID IID_IUnknown = {0x00000000, 0x0000, 0x0000, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
static const GUID IID_ISupportErrorInfo = {0xDF0B3D60, 0x548F, 0x101B, {0x8E, 0x65, 0x08, 0x00, 0x2B, 0x2B, 0xD1, 0x19}};
static const GUID IID_IErrorInfo = {0x1CF2B120, 0x547D, 0x101B, {0x8E, 0x65, 0x08, 0x00, 0x2B, 0x2B, 0xD1, 0x19}};
/* {8C3A4E2B-7F10-4C55-9B1E-2D6F0A1B3C01} / ...02: the fixture's own interfaces. */
static const GUID IID_ICalc = {0x8C3A4E2B, 0x7F10, 0x4C55, {0x9B, 0x1E, 0x2D, 0x6F, 0x0A, 0x1B, 0x3C, 0x01}};
static const GUID IID_INamed = {0x8C3A4E2B, 0x7F10, 0x4C55, {0x9B, 0x1E, 0x2D, 0x6F, 0x0A, 0x1B, 0x3C, 0x02}};

static int guid_eq(const GUID *a, const GUID *b) { return memcmp(a, b, sizeof(GUID)) == 0; }

/* ---- oleaut32 stand-ins supplied by the Rust test ---- */
typedef struct HostApi {
    HRESULT (*CreateErrorInfo)(void **out);
    HRESULT (*SetErrorInfo)(uint32_t reserved, void *info);
    HRESULT (*GetErrorInfo)(uint32_t reserved, void **out);
    void (*SysFreeString)(BSTR s);
} HostApi;
static HostApi host;
void fx_init(const HostApi *api) { host = *api; }

/* ---- vtable shapes ---- */
typedef struct IUnknownVtbl {
    HRESULT (*QueryInterface)(void *self, const GUID *iid, void **out);
    uint32_t (*AddRef)(void *self);
    uint32_t (*Release)(void *self);
} IUnknownVtbl;
typedef struct IUnknown { const IUnknownVtbl *vtbl; } IUnknown;

typedef struct ICreateErrorInfoVtbl {
    IUnknownVtbl base;
    HRESULT (*SetGUID)(void *self, const GUID *guid);
    HRESULT (*SetSource)(void *self, const OLECHAR *s);
    HRESULT (*SetDescription)(void *self, const OLECHAR *s);
    HRESULT (*SetHelpFile)(void *self, const OLECHAR *s);
    HRESULT (*SetHelpContext)(void *self, uint32_t ctx);
} ICreateErrorInfoVtbl;
typedef struct IErrorInfoVtbl {
    IUnknownVtbl base;
    HRESULT (*GetGUID)(void *self, GUID *guid);
    HRESULT (*GetSource)(void *self, BSTR *s);
    HRESULT (*GetDescription)(void *self, BSTR *s);
    HRESULT (*GetHelpFile)(void *self, BSTR *s);
    HRESULT (*GetHelpContext)(void *self, uint32_t *ctx);
} IErrorInfoVtbl;
typedef struct ISupportErrorInfoVtbl {
    IUnknownVtbl base;
    HRESULT (*InterfaceSupportsErrorInfo)(void *self, const GUID *iid);
} ISupportErrorInfoVtbl;

#define VTBL(p, T) (*(const T *const *)(p))

/* ======================= the C COM object: Calc ======================= */
typedef struct FxCounters { int32_t created, destroyed, misuse; } FxCounters;

typedef struct ICalcVtbl {
    IUnknownVtbl base;
    HRESULT (*Add)(void *self, int32_t a, int32_t b, int32_t *out);
    HRESULT (*Divide)(void *self, int32_t a, int32_t b, int32_t *out);
    HRESULT (*Fail)(void *self, HRESULT hr, const OLECHAR *description);
} ICalcVtbl;
typedef struct INamedVtbl {
    IUnknownVtbl base;
    HRESULT (*GetId)(void *self, int32_t *out);
    HRESULT (*FailWithStaleInfo)(void *self, HRESULT hr);
} INamedVtbl;

typedef struct Calc {
    const ICalcVtbl *calc;                /* identity (IUnknown) */
    const INamedVtbl *named;
    const ISupportErrorInfoVtbl *support;
    int32_t refs;
    int32_t dead;
    int32_t id;
    FxCounters *counters;
} Calc;

static Calc *from_calc(void *p) { return (Calc *)p; }
static Calc *from_named(void *p) { return (Calc *)((char *)p - offsetof(Calc, named)); }
static Calc *from_support(void *p) { return (Calc *)((char *)p - offsetof(Calc, support)); }

static int alive(Calc *c) {
    if (c->dead) { __atomic_add_fetch(&c->counters->misuse, 1, __ATOMIC_SEQ_CST); return 0; }
    return 1;
}

static HRESULT calc_qi(Calc *c, const GUID *iid, void **out) {
    if (!out) return E_POINTER;
    *out = NULL;
    if (!alive(c)) return E_UNEXPECTED;
    if (guid_eq(iid, &IID_IUnknown) || guid_eq(iid, &IID_ICalc)) *out = &c->calc;
    else if (guid_eq(iid, &IID_INamed)) *out = &c->named;
    else if (guid_eq(iid, &IID_ISupportErrorInfo)) *out = &c->support;
    else return E_NOINTERFACE;
    __atomic_add_fetch(&c->refs, 1, __ATOMIC_SEQ_CST);
    return S_OK;
}
static uint32_t calc_addref(Calc *c) {
    if (!alive(c)) return 0;
    return (uint32_t)__atomic_add_fetch(&c->refs, 1, __ATOMIC_SEQ_CST);
}
static uint32_t calc_release(Calc *c) {
    if (!alive(c)) return 0;
    int32_t n = __atomic_sub_fetch(&c->refs, 1, __ATOMIC_SEQ_CST);
    if (n < 0) { __atomic_add_fetch(&c->counters->misuse, 1, __ATOMIC_SEQ_CST); return 0; }
    if (n == 0) { c->dead = 1; __atomic_add_fetch(&c->counters->destroyed, 1, __ATOMIC_SEQ_CST); }
    return (uint32_t)n;
}

static HRESULT c_qi(void *s, const GUID *i, void **o) { return calc_qi(from_calc(s), i, o); }
static uint32_t c_addref(void *s) { return calc_addref(from_calc(s)); }
static uint32_t c_release(void *s) { return calc_release(from_calc(s)); }
static HRESULT n_qi(void *s, const GUID *i, void **o) { return calc_qi(from_named(s), i, o); }
static uint32_t n_addref(void *s) { return calc_addref(from_named(s)); }
static uint32_t n_release(void *s) { return calc_release(from_named(s)); }
static HRESULT s_qi(void *s, const GUID *i, void **o) { return calc_qi(from_support(s), i, o); }
static uint32_t s_addref(void *s) { return calc_addref(from_support(s)); }
static uint32_t s_release(void *s) { return calc_release(from_support(s)); }

static const OLECHAR SOURCE[] = {'F', 'i', 'x', 't', 'u', 'r', 'e', '.', 'C', 'a', 'l', 'c', 0};

/* Reports an error the way a C++ COM server does: CreateErrorInfo, fill, SetErrorInfo. */
static void report(const OLECHAR *description, const GUID *iid) {
    void *create = NULL;
    if (host.CreateErrorInfo(&create) != S_OK || !create) return;
    const ICreateErrorInfoVtbl *v = VTBL(create, ICreateErrorInfoVtbl);
    v->SetGUID(create, iid);
    v->SetSource(create, SOURCE);
    v->SetDescription(create, description);
    void *info = NULL;
    if (v->base.QueryInterface(create, &IID_IErrorInfo, &info) == S_OK) {
        host.SetErrorInfo(0, info);
        VTBL(info, IUnknownVtbl)->Release(info);
    }
    v->base.Release(create);
}

static HRESULT calc_add(void *s, int32_t a, int32_t b, int32_t *out) {
    if (!alive(from_calc(s))) return E_UNEXPECTED;
    if (!out) return E_POINTER;
    *out = a + b;
    return S_OK;
}
static const OLECHAR DIV_MSG[] = {'d', 'i', 'v', 'i', 's', 'i', 'o', 'n', ' ', 'b', 'y', ' ', 'z', 'e', 'r', 'o', 0};
static HRESULT calc_divide(void *s, int32_t a, int32_t b, int32_t *out) {
    if (!alive(from_calc(s))) return E_UNEXPECTED;
    if (!out) return E_POINTER;
    if (b == 0) { report(DIV_MSG, &IID_ICalc); return DISP_E_DIVBYZERO; }
    *out = a / b;
    return S_OK;
}
static HRESULT calc_fail(void *s, HRESULT hr, const OLECHAR *description) {
    if (!alive(from_calc(s))) return E_UNEXPECTED;
    if (description) report(description, &IID_ICalc);
    return hr;
}
static HRESULT named_get_id(void *s, int32_t *out) {
    Calc *c = from_named(s);
    if (!alive(c)) return E_UNEXPECTED;
    if (!out) return E_POINTER;
    *out = c->id;
    return S_OK;
}
static const OLECHAR STALE_MSG[] = {'s', 't', 'a', 'l', 'e', 0};
static HRESULT named_fail_stale(void *s, HRESULT hr) {
    if (!alive(from_named(s))) return E_UNEXPECTED;
    /* Leaves error information although ISupportErrorInfo says INamed does not use it. */
    report(STALE_MSG, &IID_INamed);
    return hr;
}
static HRESULT support_interface(void *s, const GUID *iid) {
    if (!alive(from_support(s))) return E_UNEXPECTED;
    return guid_eq(iid, &IID_ICalc) ? S_OK : S_FALSE;
}

static const ICalcVtbl CALC_VTBL = {{c_qi, c_addref, c_release}, calc_add, calc_divide, calc_fail};
static const INamedVtbl NAMED_VTBL = {{n_qi, n_addref, n_release}, named_get_id, named_fail_stale};
static const ISupportErrorInfoVtbl SUPPORT_VTBL = {{s_qi, s_addref, s_release}, support_interface};

/* A new Calc with one reference, returned as its IUnknown (= ICalc) pointer. */
void *fx_calc_create(int32_t id, FxCounters *counters) {
    Calc *c = (Calc *)calloc(1, sizeof(Calc));
    if (!c) return NULL;
    c->calc = &CALC_VTBL;
    c->named = &NAMED_VTBL;
    c->support = &SUPPORT_VTBL;
    c->refs = 1;
    c->id = id;
    c->counters = counters;
    __atomic_add_fetch(&counters->created, 1, __ATOMIC_SEQ_CST);
    return &c->calc;
}
int32_t fx_calc_refs(void *identity) { return __atomic_load_n(&from_calc(identity)->refs, __ATOMIC_SEQ_CST); }
/* Frees a destroyed (zombie) Calc; returns 0 if it was still alive (then nothing is freed). */
int fx_calc_reclaim(void *identity) {
    Calc *c = from_calc(identity);
    if (!c->dead) return 0;
    free(c);
    return 1;
}

/* ======================= C consuming Rust objects ======================= */
uint32_t fx_addref(void *p) { return VTBL(p, IUnknownVtbl)->AddRef(p); }
uint32_t fx_release(void *p) { return VTBL(p, IUnknownVtbl)->Release(p); }
HRESULT fx_qi(void *p, const GUID *iid, void **out) { return VTBL(p, IUnknownVtbl)->QueryInterface(p, iid, out); }

/* The COM identity and QueryInterface rules, checked from C on any interface pointer `p` of
 * an object implementing `iid_a` and `iid_b` (and not `iid_absent`). Returns 0 when all hold,
 * else the number of the first broken rule. `p`'s own reference count is unchanged after. */
int fx_check_qi_rules(void *p, const GUID *iid_a, const GUID *iid_b, const GUID *iid_absent) {
    const IUnknownVtbl *v = VTBL(p, IUnknownVtbl);
    void *unk1 = NULL, *a = NULL, *b = NULL, *unk_a = NULL, *unk_b = NULL, *a_from_b = NULL, *junk = (void *)1;
    int rule = 0;
    /* 1: QI(IUnknown) succeeds. */
    if (v->QueryInterface(p, &IID_IUnknown, &unk1) != S_OK || !unk1) { rule = 1; goto out; }
    /* 2: QI for each implemented interface succeeds. */
    if (v->QueryInterface(p, iid_a, &a) != S_OK || !a) { rule = 2; goto out; }
    if (v->QueryInterface(p, iid_b, &b) != S_OK || !b) { rule = 2; goto out; }
    /* 3: identity: IUnknown is the same pointer whichever interface it is asked from. */
    if (VTBL(a, IUnknownVtbl)->QueryInterface(a, &IID_IUnknown, &unk_a) != S_OK || unk_a != unk1) { rule = 3; goto out; }
    if (VTBL(b, IUnknownVtbl)->QueryInterface(b, &IID_IUnknown, &unk_b) != S_OK || unk_b != unk1) { rule = 3; goto out; }
    /* 4: symmetric/transitive: a is reachable from b, and gives the same pointer (static QI). */
    if (VTBL(b, IUnknownVtbl)->QueryInterface(b, iid_a, &a_from_b) != S_OK || a_from_b != a) { rule = 4; goto out; }
    /* 5: an absent interface: E_NOINTERFACE and *ppv set to NULL. */
    if (v->QueryInterface(p, iid_absent, &junk) != E_NOINTERFACE || junk != NULL) { rule = 5; goto out; }
    /* 6: null ppv is E_POINTER, not a crash. */
    if (v->QueryInterface(p, &IID_IUnknown, NULL) != E_POINTER) { rule = 6; goto out; }
    /* 7: AddRef/Release return the running count: +1 then back. */
    {
        uint32_t up = v->AddRef(p), down = v->Release(p);
        if (up != down + 1) { rule = 7; goto out; }
    }
out:
    if (unk1) VTBL(unk1, IUnknownVtbl)->Release(unk1);
    if (a) VTBL(a, IUnknownVtbl)->Release(a);
    if (b) VTBL(b, IUnknownVtbl)->Release(b);
    if (unk_a) VTBL(unk_a, IUnknownVtbl)->Release(unk_a);
    if (unk_b) VTBL(unk_b, IUnknownVtbl)->Release(unk_b);
    if (a_from_b) VTBL(a_from_b, IUnknownVtbl)->Release(a_from_b);
    return rule;
}

/* The test's Rust interface ICounter: IUnknown + Add(int32 delta, int32 *total) + Get(int32 *total). */
typedef struct ICounterVtbl {
    IUnknownVtbl base;
    HRESULT (*Add)(void *self, int32_t delta, int32_t *total);
    HRESULT (*Get)(void *self, int32_t *total);
} ICounterVtbl;

/* Calls ICounter::Add on a Rust object, then, if it failed and the object says through
 * ISupportErrorInfo that `iid` reports errors, reads IErrorInfo::GetDescription into `desc`
 * (UTF-16, NUL-terminated, truncated to `cap` units) and the error GUID into `guid`.
 * `*got_info` = 1 when a description was read. Returns Add's HRESULT. */
HRESULT fx_counter_add_and_read_error(void *counter, const GUID *iid, int32_t delta, int32_t *total,
                                      OLECHAR *desc, int32_t cap, GUID *guid, int32_t *got_info) {
    *got_info = 0;
    desc[0] = 0;
    HRESULT hr = VTBL(counter, ICounterVtbl)->Add(counter, delta, total);
    if (hr >= 0) return hr;
    void *support = NULL;
    if (fx_qi(counter, &IID_ISupportErrorInfo, &support) != S_OK) return hr;
    HRESULT supported = VTBL(support, ISupportErrorInfoVtbl)->InterfaceSupportsErrorInfo(support, iid);
    fx_release(support);
    if (supported != S_OK) return hr;
    void *info = NULL;
    if (host.GetErrorInfo(0, &info) != S_OK || !info) return hr;
    const IErrorInfoVtbl *ev = VTBL(info, IErrorInfoVtbl);
    BSTR text = NULL;
    if (ev->GetDescription(info, &text) == S_OK && text) {
        /* The length prefix sits 4 bytes before the data (byte count). */
        uint32_t units = ((const uint32_t *)text)[-1] / 2;
        int32_t n = (int32_t)units < cap - 1 ? (int32_t)units : cap - 1;
        memcpy(desc, text, (size_t)n * sizeof(OLECHAR));
        desc[n] = 0;
        *got_info = 1;
        host.SysFreeString(text);
    }
    ev->GetGUID(info, guid);
    ev->base.Release(info);
    return hr;
}

/* QueryInterface with the IID stored at an odd address (hostile but legal-looking input). */
HRESULT fx_qi_unaligned(void *p, const GUID *iid, void **out) {
    unsigned char buffer[sizeof(GUID) + 1];
    memcpy(buffer + 1, iid, sizeof(GUID));
    return VTBL(p, IUnknownVtbl)->QueryInterface(p, (const GUID *)(void *)(buffer + 1), out);
}
