/* An IDispatch server written by hand in C, as a C++/ATL-less automation object would be:
 * GetIDsOfNames over a fixed table, Invoke reading DISPPARAMS (named arguments first, positional
 * ones reversed), EXCEPINFO filled through the host's SysAllocString, puArgErr set.
 * Members:
 *   DISPID 0 "Value"  property get/put, VT_I4
 *   DISPID 1 "Digits" method(a, b, c): a*100 + b*10 + c (checks argument order), VT_I4 only
 *   DISPID 2 "Div"    method(num, den): num / den; named arguments num=0, den=1
 *   DISPID 3 "Fail"   method(): DISP_E_EXCEPTION, scode COR_E_INVALIDOPERATION, description "not now"
 * Plus fx_disp_invoke3: C calling Invoke on any IDispatch with three VT_I4 arguments. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int32_t HRESULT;
typedef uint16_t OLECHAR;
typedef OLECHAR *BSTR;
typedef struct GUID { uint32_t d1; uint16_t d2, d3; uint8_t d4[8]; } GUID;
typedef int32_t DISPID;

#define S_OK ((HRESULT)0)
#define E_NOINTERFACE ((HRESULT)0x80004002u)
#define E_POINTER ((HRESULT)0x80004003u)
#define E_INVALIDARG ((HRESULT)0x80070057u)
#define DISP_E_UNKNOWNINTERFACE ((HRESULT)0x80020001u)
#define DISP_E_MEMBERNOTFOUND ((HRESULT)0x80020003u)
#define DISP_E_PARAMNOTFOUND ((HRESULT)0x80020004u)
#define DISP_E_TYPEMISMATCH ((HRESULT)0x80020005u)
#define DISP_E_UNKNOWNNAME ((HRESULT)0x80020006u)
#define DISP_E_EXCEPTION ((HRESULT)0x80020009u)
#define DISP_E_BADPARAMCOUNT ((HRESULT)0x8002000Eu)
#define DISP_E_BADINDEX ((HRESULT)0x8002000Bu)
#define DISP_E_DIVBYZERO ((HRESULT)0x80020012u)
#define COR_E_INVALIDOPERATION ((HRESULT)0x80131509u)

#define VT_EMPTY 0
#define VT_I4 3
#define DISPATCH_METHOD 1
#define DISPATCH_PROPERTYGET 2
#define DISPATCH_PROPERTYPUT 4
#define DISPID_PROPERTYPUT (-3)
#define DISPID_UNKNOWN (-1)

typedef struct VARIANT {
    uint16_t vt, r1, r2, r3;
    union { int32_t lVal; int64_t llVal; double dblVal; void *ptr; struct { void *a, *b; } rec; } u;
} VARIANT;
typedef struct DISPPARAMS { VARIANT *rgvarg; DISPID *rgdispidNamedArgs; uint32_t cArgs, cNamedArgs; } DISPPARAMS;
typedef struct EXCEPINFO {
    uint16_t wCode, wReserved;
    BSTR bstrSource, bstrDescription, bstrHelpFile;
    uint32_t dwHelpContext;
    void *pvReserved;
    HRESULT (*pfnDeferredFillIn)(struct EXCEPINFO *);
    HRESULT scode;
} EXCEPINFO;

static const GUID IID_IUnknown = {0x00000000, 0x0000, 0x0000, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
static const GUID IID_IDispatch = {0x00020400, 0x0000, 0x0000, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
static const GUID IID_NULL_ = {0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}};

typedef struct IDispatchVtbl {
    HRESULT (*QueryInterface)(void *, const GUID *, void **);
    uint32_t (*AddRef)(void *);
    uint32_t (*Release)(void *);
    HRESULT (*GetTypeInfoCount)(void *, uint32_t *);
    HRESULT (*GetTypeInfo)(void *, uint32_t, uint32_t, void **);
    HRESULT (*GetIDsOfNames)(void *, const GUID *, OLECHAR **, uint32_t, uint32_t, DISPID *);
    HRESULT (*Invoke)(void *, DISPID, const GUID *, uint32_t, uint16_t, DISPPARAMS *, VARIANT *, EXCEPINFO *, uint32_t *);
} IDispatchVtbl;

typedef struct DispObj {
    const IDispatchVtbl *vtbl;
    int32_t refs;
    int32_t value;
    int32_t *destroyed;
    BSTR (*sys_alloc_string)(const OLECHAR *);
} DispObj;

static HRESULT d_qi(void *s, const GUID *iid, void **out) {
    if (!out) return E_POINTER;
    if (memcmp(iid, &IID_IUnknown, sizeof(GUID)) && memcmp(iid, &IID_IDispatch, sizeof(GUID))) {
        *out = NULL;
        return E_NOINTERFACE;
    }
    __atomic_add_fetch(&((DispObj *)s)->refs, 1, __ATOMIC_SEQ_CST);
    *out = s;
    return S_OK;
}
static uint32_t d_addref(void *s) { return (uint32_t)__atomic_add_fetch(&((DispObj *)s)->refs, 1, __ATOMIC_SEQ_CST); }
static uint32_t d_release(void *s) {
    DispObj *o = (DispObj *)s;
    int32_t n = __atomic_sub_fetch(&o->refs, 1, __ATOMIC_SEQ_CST);
    if (n == 0) { (*o->destroyed)++; free(o); }
    return (uint32_t)n;
}
static HRESULT d_count(void *s, uint32_t *n) { (void)s; if (!n) return E_INVALIDARG; *n = 0; return S_OK; }
static HRESULT d_typeinfo(void *s, uint32_t i, uint32_t l, void **p) { (void)s; (void)i; (void)l; if (p) *p = NULL; return DISP_E_BADINDEX; }

static int wide_ieq(const OLECHAR *a, const char *b) {
    for (; *a && *b; a++, b++) {
        OLECHAR x = *a, y = (OLECHAR)(unsigned char)*b;
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return 0;
    }
    return *a == 0 && *b == 0;
}

static const char *NAMES[] = {"Value", "Digits", "Div", "Fail"};

static HRESULT d_ids(void *s, const GUID *iid, OLECHAR **names, uint32_t n, uint32_t lcid, DISPID *ids) {
    (void)s; (void)lcid;
    if (memcmp(iid, &IID_NULL_, sizeof(GUID))) return DISP_E_UNKNOWNINTERFACE;
    HRESULT hr = S_OK;
    for (uint32_t i = 0; i < n; i++) ids[i] = DISPID_UNKNOWN;
    for (DISPID d = 0; d < 4; d++)
        if (wide_ieq(names[0], NAMES[d])) ids[0] = d;
    if (ids[0] == DISPID_UNKNOWN) hr = DISP_E_UNKNOWNNAME;
    for (uint32_t i = 1; i < n; i++) {
        if (ids[0] == 2 && wide_ieq(names[i], "num")) ids[i] = 0;
        else if (ids[0] == 2 && wide_ieq(names[i], "den")) ids[i] = 1;
        else hr = DISP_E_UNKNOWNNAME;
    }
    return hr;
}

/* Positional argument k (natural order) of a call without named arguments. */
static VARIANT *positional(DISPPARAMS *p, uint32_t k) { return &p->rgvarg[p->cArgs - 1 - k]; }

static HRESULT d_invoke(void *s, DISPID id, const GUID *iid, uint32_t lcid, uint16_t flags, DISPPARAMS *p,
                        VARIANT *result, EXCEPINFO *ei, uint32_t *argerr) {
    DispObj *o = (DispObj *)s;
    (void)lcid;
    if (memcmp(iid, &IID_NULL_, sizeof(GUID))) return DISP_E_UNKNOWNINTERFACE;
    if (!p) return E_INVALIDARG;
    switch (id) {
    case 0:
        if (flags & DISPATCH_PROPERTYGET) {
            if (p->cArgs) return DISP_E_BADPARAMCOUNT;
            if (result) { result->vt = VT_I4; result->u.lVal = o->value; }
            return S_OK;
        }
        if (flags & DISPATCH_PROPERTYPUT) {
            if (p->cArgs != 1) return DISP_E_BADPARAMCOUNT;
            if (p->cNamedArgs != 1 || p->rgdispidNamedArgs[0] != DISPID_PROPERTYPUT) return DISP_E_PARAMNOTFOUND;
            if (p->rgvarg[0].vt != VT_I4) { if (argerr) *argerr = 0; return DISP_E_TYPEMISMATCH; }
            o->value = p->rgvarg[0].u.lVal;
            return S_OK;
        }
        return DISP_E_MEMBERNOTFOUND;
    case 1: {
        if (!(flags & DISPATCH_METHOD)) return DISP_E_MEMBERNOTFOUND;
        if (p->cNamedArgs) return DISP_E_PARAMNOTFOUND;
        if (p->cArgs != 3) return DISP_E_BADPARAMCOUNT;
        int32_t digits = 0;
        for (uint32_t k = 0; k < 3; k++) {
            VARIANT *v = positional(p, k);
            if (v->vt != VT_I4) { if (argerr) *argerr = p->cArgs - 1 - k; return DISP_E_TYPEMISMATCH; }
            digits = digits * 10 + v->u.lVal;
        }
        if (result) { result->vt = VT_I4; result->u.lVal = digits; }
        return S_OK;
    }
    case 2: {
        if (!(flags & DISPATCH_METHOD)) return DISP_E_MEMBERNOTFOUND;
        if (p->cArgs != 2) return DISP_E_BADPARAMCOUNT;
        VARIANT *args[2] = {NULL, NULL};
        for (uint32_t j = 0; j < p->cNamedArgs; j++) {
            DISPID n = p->rgdispidNamedArgs[j];
            if (n < 0 || n > 1 || args[n]) { if (argerr) *argerr = j; return DISP_E_PARAMNOTFOUND; }
            args[n] = &p->rgvarg[j];
        }
        uint32_t k = 0;
        for (int i = 0; i < 2; i++)
            if (!args[i]) args[i] = &p->rgvarg[p->cArgs - 1 - k++];
        for (int i = 0; i < 2; i++)
            if (args[i]->vt != VT_I4) { if (argerr) *argerr = (uint32_t)(args[i] - p->rgvarg); return DISP_E_TYPEMISMATCH; }
        if (args[1]->u.lVal == 0) return DISP_E_DIVBYZERO;
        if (result) { result->vt = VT_I4; result->u.lVal = args[0]->u.lVal / args[1]->u.lVal; }
        return S_OK;
    }
    case 3: {
        static const OLECHAR msg[] = {'n', 'o', 't', ' ', 'n', 'o', 'w', 0};
        static const OLECHAR src[] = {'F', 'i', 'x', 't', 'u', 'r', 'e', '.', 'D', 'i', 's', 'p', 0};
        if (ei) {
            memset(ei, 0, sizeof *ei);
            ei->scode = COR_E_INVALIDOPERATION;
            ei->bstrDescription = o->sys_alloc_string(msg);
            ei->bstrSource = o->sys_alloc_string(src);
            ei->dwHelpContext = 5;
        }
        return DISP_E_EXCEPTION;
    }
    default:
        return DISP_E_MEMBERNOTFOUND;
    }
}

static const IDispatchVtbl DISP_VTBL = {d_qi, d_addref, d_release, d_count, d_typeinfo, d_ids, d_invoke};

void *fx_disp_create(int32_t *destroyed, BSTR (*sys_alloc_string)(const OLECHAR *)) {
    DispObj *o = (DispObj *)calloc(1, sizeof(DispObj));
    if (!o) return NULL;
    o->vtbl = &DISP_VTBL;
    o->refs = 1;
    o->destroyed = destroyed;
    o->sys_alloc_string = sys_alloc_string;
    return o;
}

/* C calling IDispatch::Invoke(DISPATCH_METHOD) with three VT_I4 arguments a, b, c (natural order).
 * Returns the HRESULT; *out receives VT_I4 results, *argerr the callee's puArgErr (or 99). */
HRESULT fx_disp_invoke3(void *disp, DISPID id, int32_t a, int32_t b, int32_t c, int32_t *out, uint32_t *argerr) {
    VARIANT args[3];
    memset(args, 0, sizeof args);
    /* reverse order: the last argument first */
    args[0].vt = VT_I4; args[0].u.lVal = c;
    args[1].vt = VT_I4; args[1].u.lVal = b;
    args[2].vt = VT_I4; args[2].u.lVal = a;
    DISPPARAMS p = {args, NULL, 3, 0};
    VARIANT result;
    memset(&result, 0, sizeof result);
    *argerr = 99;
    HRESULT hr = (*(const IDispatchVtbl **)disp)->Invoke(disp, id, &IID_NULL_, 0x0409, DISPATCH_METHOD, &p, &result, NULL, argerr);
    *out = result.vt == VT_I4 ? result.u.lVal : -1;
    return hr;
}
