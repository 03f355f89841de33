/* Late binding across raw IDispatch vtables, written the way a C client or server does it (no Windows headers:
 * the OLE Automation structures are declared here with their ABI layout).
 *  - c_* client functions call a Rust object served by marshal_typelib's StdDispatch;
 *  - c_make_calc() is a C COM object (IDispatch) that a Rust late-bound client calls. */
#include <stdint.h>
#include <string.h>

typedef int32_t HRESULT;
enum { VT_EMPTY = 0, VT_I4 = 3, VT_R8 = 5, VT_BSTR = 8, VT_ERROR = 10 };
#define DISPATCH_METHOD 1
#define DISPATCH_PROPERTYGET 2
#define DISPATCH_PROPERTYPUT 4
#define DISPID_PROPERTYPUT (-3)
#define S_OK 0
#define E_NOINTERFACE ((HRESULT)0x80004002u)
#define DISP_E_MEMBERNOTFOUND ((HRESULT)0x80020003u)
#define DISP_E_PARAMNOTFOUND ((HRESULT)0x80020004u)
#define DISP_E_TYPEMISMATCH ((HRESULT)0x80020005u)
#define DISP_E_BADPARAMCOUNT ((HRESULT)0x8002000Eu)

typedef struct {
    uint16_t vt, r1, r2, r3;
    union { int32_t lVal; double dblVal; uint16_t *bstrVal; int64_t llVal; void *p; struct { void *a, *b; } rec; } u;
} VARIANT_;
typedef struct { VARIANT_ *rgvarg; int32_t *rgdispidNamedArgs; uint32_t cArgs, cNamedArgs; } DISPPARAMS_;
typedef struct {
    uint16_t wCode, wReserved;
    uint16_t *bstrSource, *bstrDescription, *bstrHelpFile;
    uint32_t dwHelpContext;
    void *pvReserved, *pfnDeferredFillIn;
    int32_t scode;
} EXCEPINFO_;
typedef struct { uint32_t d1; uint16_t d2, d3; uint8_t d4[8]; } GUID_;
typedef struct IDispatch_ IDispatch_;
typedef struct {
    HRESULT (*QueryInterface)(IDispatch_ *, const GUID_ *, void **);
    uint32_t (*AddRef)(IDispatch_ *);
    uint32_t (*Release)(IDispatch_ *);
    HRESULT (*GetTypeInfoCount)(IDispatch_ *, uint32_t *);
    HRESULT (*GetTypeInfo)(IDispatch_ *, uint32_t, uint32_t, void **);
    HRESULT (*GetIDsOfNames)(IDispatch_ *, const GUID_ *, uint16_t **, uint32_t, uint32_t, int32_t *);
    HRESULT (*Invoke)(IDispatch_ *, int32_t, const GUID_ *, uint32_t, uint16_t, DISPPARAMS_ *, VARIANT_ *, EXCEPINFO_ *,
                      uint32_t *);
} IDispatchVtbl_;
struct IDispatch_ { const IDispatchVtbl_ *lpVtbl; };

static const GUID_ IID_NULL_ = {0, 0, 0, {0}};

/* A BSTR in static memory: the byte length, then the units and a terminator. */
static struct { uint32_t len; uint16_t s[2]; } bstr_v = {2, {'v', 0}};
static struct { uint32_t len; uint16_t s[4]; } bstr_abc = {6, {'a', 'b', 'c', 0}};

static uint16_t n_compute[] = {'C', 'O', 'M', 'P', 'U', 'T', 'E', 0};
static uint16_t n_x[] = {'X', 0};
static uint16_t n_item[] = {'i', 't', 'e', 'm', 0};
static uint16_t n_secret[] = {'S', 'e', 'c', 'r', 'e', 't', 0};

/* Compute(x := 2.5) by name, the optional `times` omitted: returns x * times with the default times = 1. */
HRESULT c_named_call(IDispatch_ *d, double *out) {
    uint16_t *names[2] = {n_compute, n_x};
    int32_t ids[2] = {0, 0};
    HRESULT hr = d->lpVtbl->GetIDsOfNames(d, &IID_NULL_, names, 2, 0x409, ids);
    if (hr != S_OK) return hr;
    VARIANT_ arg;
    memset(&arg, 0, sizeof arg);
    arg.vt = VT_R8;
    arg.u.dblVal = 2.5;
    int32_t named[1] = {ids[1]};
    DISPPARAMS_ p = {&arg, named, 1, 1};
    VARIANT_ result;
    memset(&result, 0, sizeof result);
    uint32_t arg_err = 99;
    hr = d->lpVtbl->Invoke(d, ids[0], &IID_NULL_, 0x409, DISPATCH_METHOD, &p, &result, NULL, &arg_err);
    if (hr != S_OK) return hr;
    if (result.vt != VT_R8) return -1;
    *out = result.u.dblVal;
    return S_OK;
}

/* Compute(4.0, <missing>): the second argument passed as VT_ERROR DISP_E_PARAMNOTFOUND. */
HRESULT c_omitted_optional(IDispatch_ *d, double *out) {
    uint16_t *names[1] = {n_compute};
    int32_t id = 0;
    HRESULT hr = d->lpVtbl->GetIDsOfNames(d, &IID_NULL_, names, 1, 0x409, &id);
    if (hr != S_OK) return hr;
    VARIANT_ args[2];
    memset(args, 0, sizeof args);
    args[0].vt = VT_ERROR; /* rgvarg[0] is the last argument */
    args[0].u.lVal = DISP_E_PARAMNOTFOUND;
    args[1].vt = VT_R8;
    args[1].u.dblVal = 4.0;
    DISPPARAMS_ p = {args, NULL, 2, 0};
    VARIANT_ result;
    memset(&result, 0, sizeof result);
    hr = d->lpVtbl->Invoke(d, id, &IID_NULL_, 0x409, DISPATCH_METHOD, &p, &result, NULL, NULL);
    if (hr != S_OK) return hr;
    if (result.vt != VT_R8) return -1;
    *out = result.u.dblVal;
    return S_OK;
}

/* Item(7) = "v": an indexed property put, the value named DISPID_PROPERTYPUT. */
HRESULT c_indexed_put(IDispatch_ *d) {
    uint16_t *names[1] = {n_item};
    int32_t id = 0;
    HRESULT hr = d->lpVtbl->GetIDsOfNames(d, &IID_NULL_, names, 1, 0x409, &id);
    if (hr != S_OK) return hr;
    VARIANT_ args[2];
    memset(args, 0, sizeof args);
    args[0].vt = VT_BSTR;
    args[0].u.bstrVal = bstr_v.s;
    args[1].vt = VT_I4;
    args[1].u.lVal = 7;
    int32_t named[1] = {DISPID_PROPERTYPUT};
    DISPPARAMS_ p = {args, named, 2, 1};
    return d->lpVtbl->Invoke(d, id, &IID_NULL_, 0x409, DISPATCH_PROPERTYPUT, &p, NULL, NULL, NULL);
}

/* Compute("abc"): a type mismatch reported with puArgErr. */
HRESULT c_type_mismatch(IDispatch_ *d, uint32_t *arg_err) {
    uint16_t *names[1] = {n_compute};
    int32_t id = 0;
    HRESULT hr = d->lpVtbl->GetIDsOfNames(d, &IID_NULL_, names, 1, 0x409, &id);
    if (hr != S_OK) return hr;
    VARIANT_ arg;
    memset(&arg, 0, sizeof arg);
    arg.vt = VT_BSTR;
    arg.u.bstrVal = bstr_abc.s;
    DISPPARAMS_ p = {&arg, NULL, 1, 0};
    VARIANT_ result;
    memset(&result, 0, sizeof result);
    return d->lpVtbl->Invoke(d, id, &IID_NULL_, 0x409, DISPATCH_METHOD, &p, &result, NULL, arg_err);
}

/* Secret(): the object fails; EXCEPINFO carries its scode, source and description (handed back to be freed). */
HRESULT c_exception(IDispatch_ *d, int32_t *scode, uint16_t **source, uint16_t **description) {
    uint16_t *names[1] = {n_secret};
    int32_t id = 0;
    HRESULT hr = d->lpVtbl->GetIDsOfNames(d, &IID_NULL_, names, 1, 0x409, &id);
    if (hr != S_OK) return hr;
    DISPPARAMS_ p = {NULL, NULL, 0, 0};
    EXCEPINFO_ info;
    memset(&info, 0, sizeof info);
    hr = d->lpVtbl->Invoke(d, id, &IID_NULL_, 0x409, DISPATCH_METHOD, &p, NULL, &info, NULL);
    *scode = info.scode;
    *source = info.bstrSource;
    *description = info.bstrDescription;
    return hr;
}

/* ---- A C COM object: IDualCalc of the Rust-described library, served by hand (DISPIDs 1 Twice, 2 Item). ---- */

typedef struct { IDispatch_ base; uint32_t refs; int32_t items[8]; int32_t calls; } Calc;

static HRESULT calc_qi(IDispatch_ *self, const GUID_ *iid, void **out) {
    static const uint8_t tail[8] = {0xC0, 0, 0, 0, 0, 0, 0, 0x46};
    int is_unknown = iid->d1 == 0 && iid->d2 == 0 && iid->d3 == 0 && !memcmp(iid->d4, tail, 8);
    int is_dispatch = iid->d1 == 0x00020400 && iid->d2 == 0 && iid->d3 == 0 && !memcmp(iid->d4, tail, 8);
    if (is_unknown || is_dispatch) {
        *out = self;
        self->lpVtbl->AddRef(self);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}
static uint32_t calc_addref(IDispatch_ *self) { return ++((Calc *)self)->refs; }
static uint32_t calc_release(IDispatch_ *self) { return --((Calc *)self)->refs; }
static HRESULT calc_count(IDispatch_ *self, uint32_t *n) { (void)self; *n = 0; return S_OK; }
static HRESULT calc_info(IDispatch_ *self, uint32_t i, uint32_t l, void **o) { (void)self; (void)i; (void)l; *o = NULL; return DISP_E_MEMBERNOTFOUND; }
static HRESULT calc_ids(IDispatch_ *self, const GUID_ *iid, uint16_t **n, uint32_t c, uint32_t l, int32_t *ids) {
    (void)self; (void)iid; (void)n; (void)l;
    for (uint32_t i = 0; i < c; i++) ids[i] = -1;
    return (HRESULT)0x80020006u; /* DISP_E_UNKNOWNNAME: the client must use the type library */
}
/* Strict: every argument must already have the declared type (VT_I4), as a hand-written server expects. */
static HRESULT calc_invoke(IDispatch_ *self, int32_t id, const GUID_ *iid, uint32_t lcid, uint16_t flags, DISPPARAMS_ *p,
                           VARIANT_ *result, EXCEPINFO_ *info, uint32_t *arg_err) {
    Calc *c = (Calc *)self;
    (void)iid; (void)lcid; (void)info;
    c->calls++;
    if (id == 1 && (flags & DISPATCH_METHOD)) {
        if (p->cArgs != 1) return DISP_E_BADPARAMCOUNT;
        if (p->rgvarg[0].vt != VT_I4) { if (arg_err) *arg_err = 0; return DISP_E_TYPEMISMATCH; }
        if (result) { memset(result, 0, sizeof *result); result->vt = VT_I4; result->u.lVal = 2 * p->rgvarg[0].u.lVal; }
        return S_OK;
    }
    if (id == 2 && (flags & DISPATCH_PROPERTYPUT)) {
        if (p->cArgs != 2 || p->cNamedArgs != 1 || p->rgdispidNamedArgs[0] != DISPID_PROPERTYPUT) return DISP_E_PARAMNOTFOUND;
        if (p->rgvarg[1].vt != VT_I4) { if (arg_err) *arg_err = 1; return DISP_E_TYPEMISMATCH; }
        int32_t index = p->rgvarg[1].u.lVal;
        if (index < 0 || index >= 8) return (HRESULT)0x8002000Bu; /* DISP_E_BADINDEX */
        c->items[index] = p->rgvarg[0].vt == VT_I4 ? p->rgvarg[0].u.lVal : -1;
        return S_OK;
    }
    if (id == 2 && (flags & DISPATCH_PROPERTYGET)) {
        if (p->cArgs != 1 || p->rgvarg[0].vt != VT_I4) return DISP_E_TYPEMISMATCH;
        int32_t index = p->rgvarg[0].u.lVal;
        if (index < 0 || index >= 8) return (HRESULT)0x8002000Bu;
        if (result) { memset(result, 0, sizeof *result); result->vt = VT_I4; result->u.lVal = c->items[index]; }
        return S_OK;
    }
    return DISP_E_MEMBERNOTFOUND;
}
static const IDispatchVtbl_ calc_vtbl = {calc_qi, calc_addref, calc_release, calc_count, calc_info, calc_ids, calc_invoke};
static Calc calc_object;

IDispatch_ *c_make_calc(void) {
    memset(&calc_object, 0, sizeof calc_object);
    calc_object.base.lpVtbl = &calc_vtbl;
    calc_object.refs = 1;
    return &calc_object.base;
}
uint32_t c_calc_refs(void) { return calc_object.refs; }
int32_t c_calc_calls(void) { return calc_object.calls; }
