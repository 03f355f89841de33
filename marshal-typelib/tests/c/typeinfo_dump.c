#define _POSIX_C_SOURCE 200809L
/* A native client of ITypeLib / ITypeInfo through raw vtables: given an ITypeLib*, prints what the interfaces
 * report, one JSON object per line, in the encoding and with the key names of the oracle (oracle/tlbdump.c), for
 * the ITypeLib / ITypeInfo methods (the ITypeInfo2 ones are not asked). The test compares the lines with the
 * oracle's recording of Wine's LoadTypeLib on the same library.
 *
 * The structures are declared here from the SDK's oaidl.h layout (x86-64 Windows, LLP64: LONG and ULONG are 32 bits),
 * not taken from the crate. BSTRs are freed through the callback the test passes (the crate's SysFreeString). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int32_t HRESULT;
typedef uint16_t *BSTR;
typedef struct { uint32_t d1; uint16_t d2, d3; uint8_t d4[8]; } GUID_;

typedef struct TYPEDESC_ {
    union { struct TYPEDESC_ *lptdesc; struct ARRAYDESC_ *lpadesc; uint32_t hreftype; } u;
    uint16_t vt;
} TYPEDESC_;
typedef struct { uint32_t cElements; int32_t lLbound; } SAFEARRAYBOUND_;
typedef struct ARRAYDESC_ { TYPEDESC_ tdescElem; uint16_t cDims; SAFEARRAYBOUND_ rgbounds[1]; } ARRAYDESC_;
typedef struct {
    uint16_t vt, r1, r2, r3;
    union { int64_t i8; uint64_t u8; int32_t i4; uint32_t u4; int16_t i2; uint16_t u2; int8_t i1; uint8_t u1;
            float r4; double r8; BSTR bstr; void *rec[2]; } u;
} VARIANT_;
typedef struct { uint32_t cBytes; VARIANT_ varDefaultValue; } PARAMDESCEX_;
typedef struct { PARAMDESCEX_ *pparamdescex; uint16_t wParamFlags; } PARAMDESC_;
typedef struct { uintptr_t dwReserved; uint16_t wIDLFlags; } IDLDESC_;
typedef struct { TYPEDESC_ tdesc; union { IDLDESC_ idldesc; PARAMDESC_ paramdesc; } u; } ELEMDESC_;
typedef struct {
    GUID_ guid; uint32_t lcid, dwReserved; int32_t memidConstructor, memidDestructor; uint16_t *lpstrSchema;
    uint32_t cbSizeInstance; int32_t typekind; uint16_t cFuncs, cVars, cImplTypes, cbSizeVft, cbAlignment,
    wTypeFlags, wMajorVerNum, wMinorVerNum; TYPEDESC_ tdescAlias; IDLDESC_ idldescType;
} TYPEATTR_;
typedef struct {
    int32_t memid; int32_t *lprgscode; ELEMDESC_ *lprgelemdescParam; int32_t funckind, invkind, callconv;
    int16_t cParams, cParamsOpt, oVft, cScodes; ELEMDESC_ elemdescFunc; uint16_t wFuncFlags;
} FUNCDESC_;
typedef struct {
    int32_t memid; uint16_t *lpstrSchema; union { uint32_t oInst; VARIANT_ *lpvarValue; } u; ELEMDESC_ elemdescVar;
    uint16_t wVarFlags; int32_t varkind;
} VARDESC_;
typedef struct { GUID_ guid; uint32_t lcid; int32_t syskind; uint16_t wMajorVerNum, wMinorVerNum, wLibFlags; } TLIBATTR_;

typedef struct ITypeInfo_ ITypeInfo_;
typedef struct ITypeLib_ ITypeLib_;
typedef struct {
    HRESULT (*QueryInterface)(ITypeInfo_ *, const GUID_ *, void **);
    uint32_t (*AddRef)(ITypeInfo_ *);
    uint32_t (*Release)(ITypeInfo_ *);
    HRESULT (*GetTypeAttr)(ITypeInfo_ *, TYPEATTR_ **);
    HRESULT (*GetTypeComp)(ITypeInfo_ *, void **);
    HRESULT (*GetFuncDesc)(ITypeInfo_ *, uint32_t, FUNCDESC_ **);
    HRESULT (*GetVarDesc)(ITypeInfo_ *, uint32_t, VARDESC_ **);
    HRESULT (*GetNames)(ITypeInfo_ *, int32_t, BSTR *, uint32_t, uint32_t *);
    HRESULT (*GetRefTypeOfImplType)(ITypeInfo_ *, uint32_t, uint32_t *);
    HRESULT (*GetImplTypeFlags)(ITypeInfo_ *, uint32_t, int32_t *);
    HRESULT (*GetIDsOfNames)(ITypeInfo_ *, uint16_t **, uint32_t, int32_t *);
    HRESULT (*Invoke)(ITypeInfo_ *, void *, int32_t, uint16_t, void *, VARIANT_ *, void *, uint32_t *);
    HRESULT (*GetDocumentation)(ITypeInfo_ *, int32_t, BSTR *, BSTR *, uint32_t *, BSTR *);
    HRESULT (*GetDllEntry)(ITypeInfo_ *, int32_t, int32_t, BSTR *, BSTR *, uint16_t *);
    HRESULT (*GetRefTypeInfo)(ITypeInfo_ *, uint32_t, ITypeInfo_ **);
    HRESULT (*AddressOfMember)(ITypeInfo_ *, int32_t, int32_t, void **);
    HRESULT (*CreateInstance)(ITypeInfo_ *, void *, const GUID_ *, void **);
    HRESULT (*GetMops)(ITypeInfo_ *, int32_t, BSTR *);
    HRESULT (*GetContainingTypeLib)(ITypeInfo_ *, ITypeLib_ **, uint32_t *);
    void (*ReleaseTypeAttr)(ITypeInfo_ *, TYPEATTR_ *);
    void (*ReleaseFuncDesc)(ITypeInfo_ *, FUNCDESC_ *);
    void (*ReleaseVarDesc)(ITypeInfo_ *, VARDESC_ *);
} ITypeInfoVtbl_;
struct ITypeInfo_ { const ITypeInfoVtbl_ *v; };
typedef struct {
    HRESULT (*QueryInterface)(ITypeLib_ *, const GUID_ *, void **);
    uint32_t (*AddRef)(ITypeLib_ *);
    uint32_t (*Release)(ITypeLib_ *);
    uint32_t (*GetTypeInfoCount)(ITypeLib_ *);
    HRESULT (*GetTypeInfo)(ITypeLib_ *, uint32_t, ITypeInfo_ **);
    HRESULT (*GetTypeInfoType)(ITypeLib_ *, uint32_t, int32_t *);
    HRESULT (*GetTypeInfoOfGuid)(ITypeLib_ *, const GUID_ *, ITypeInfo_ **);
    HRESULT (*GetLibAttr)(ITypeLib_ *, TLIBATTR_ **);
    HRESULT (*GetTypeComp)(ITypeLib_ *, void **);
    HRESULT (*GetDocumentation)(ITypeLib_ *, int32_t, BSTR *, BSTR *, uint32_t *, BSTR *);
    HRESULT (*IsName)(ITypeLib_ *, uint16_t *, uint32_t, int32_t *);
    HRESULT (*FindName)(ITypeLib_ *, uint16_t *, uint32_t, ITypeInfo_ **, int32_t *, uint16_t *);
    void (*ReleaseTLibAttr)(ITypeLib_ *, TLIBATTR_ *);
} ITypeLibVtbl_;
struct ITypeLib_ { const ITypeLibVtbl_ *v; };

enum { VT_I2 = 2, VT_I4 = 3, VT_R4 = 4, VT_R8 = 5, VT_CY = 6, VT_DATE = 7, VT_BSTR = 8, VT_ERROR = 10, VT_BOOL = 11,
       VT_DECIMAL = 14, VT_I1 = 16, VT_UI1 = 17, VT_UI2 = 18, VT_UI4 = 19, VT_I8 = 20, VT_UI8 = 21, VT_INT = 22,
       VT_UINT = 23, VT_HRESULT = 25, VT_PTR = 26, VT_SAFEARRAY = 27, VT_CARRAY = 28, VT_USERDEFINED = 29 };
enum { TKIND_MODULE = 2, TKIND_DISPATCH = 4, VAR_CONST = 2, PARAMFLAG_FHASDEFAULT = 0x20 };
#define MEMBERID_NIL (-1)

/* Per thread: the tests run in parallel. */
static __thread FILE *out;
static __thread void (*free_bstr)(BSTR);

static uint32_t bstr_len(BSTR b) { return ((uint32_t *)b)[-1] / 2; }
static void put_wstr(const uint16_t *s, uint32_t n) {
    fputc('"', out);
    for (uint32_t i = 0; i < n; i++) {
        unsigned c = s[i];
        if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
        else if (c < 0x20 || c > 0x7e) fprintf(out, "\\u%04x", c);
        else fputc((int)c, out);
    }
    fputc('"', out);
}
static void put_bstr(BSTR b) {
    if (!b) { fputs("null", out); return; }
    put_wstr(b, bstr_len(b));
}
static void put_guid(const GUID_ *g) {
    fprintf(out, "\"{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}\"", g->d1, g->d2, g->d3, g->d4[0], g->d4[1],
            g->d4[2], g->d4[3], g->d4[4], g->d4[5], g->d4[6], g->d4[7]);
}
static void put_hr(HRESULT hr) { fprintf(out, "\"0x%08x\"", (uint32_t)hr); }
static void put_hex(const void *p, size_t n) {
    const unsigned char *b = p;
    fputc('"', out);
    for (size_t i = 0; i < n; i++) fprintf(out, "%02x", b[i]);
    fputc('"', out);
}

static void put_variant(const VARIANT_ *v) {
    fprintf(out, "{\"vt\":%u", v->vt);
    switch (v->vt) {
    case 0: case 1: break;
    case VT_I1: fprintf(out, ",\"i\":%d", v->u.i1); break;
    case VT_UI1: fprintf(out, ",\"i\":%u", v->u.u1); break;
    case VT_I2: case VT_BOOL: fprintf(out, ",\"i\":%d", v->u.i2); break;
    case VT_UI2: fprintf(out, ",\"i\":%u", v->u.u2); break;
    case VT_I4: case VT_INT: case VT_ERROR: case VT_HRESULT: fprintf(out, ",\"i\":%d", v->u.i4); break;
    case VT_UI4: case VT_UINT: fprintf(out, ",\"i\":%u", v->u.u4); break;
    case VT_I8: case VT_CY: fprintf(out, ",\"i\":%lld", (long long)v->u.i8); break;
    case VT_UI8: fprintf(out, ",\"i\":%llu", (unsigned long long)v->u.u8); break;
    case VT_R4: { float f = v->u.r4; fprintf(out, ",\"f\":\"%.9g\",\"bits\":", (double)f); put_hex(&f, 4); break; }
    case VT_R8: case VT_DATE: { double d = v->u.r8; fprintf(out, ",\"f\":\"%.17g\",\"bits\":", d); put_hex(&d, 8); break; }
    case VT_BSTR: fputs(",\"s\":", out); put_bstr(v->u.bstr); break;
    case VT_DECIMAL: fputs(",\"hex\":", out); put_hex(v, 16); break;
    default: fputs(",\"unsupported\":true", out); break;
    }
    fputc('}', out);
}

static void put_ref(ITypeInfo_ *ti, uint32_t href) {
    ITypeInfo_ *other = NULL;
    HRESULT hr = ti->v->GetRefTypeInfo(ti, href, &other);
    if (hr < 0) { fputs("{\"error\":", out); put_hr(hr); fputc('}', out); return; }
    ITypeLib_ *lib = NULL; uint32_t index = 0; BSTR name = NULL;
    hr = other->v->GetContainingTypeLib(other, &lib, &index);
    other->v->GetDocumentation(other, MEMBERID_NIL, &name, NULL, NULL, NULL);
    fputs("{\"lib\":", out);
    if (hr >= 0) {
        TLIBATTR_ *la = NULL;
        lib->v->GetLibAttr(lib, &la);
        put_guid(&la->guid);
        lib->v->ReleaseTLibAttr(lib, la);
        lib->v->Release(lib);
    } else fputs("null", out);
    fprintf(out, ",\"index\":%u,\"name\":", index); put_bstr(name);
    fputc('}', out);
    free_bstr(name);
    other->v->Release(other);
}

static void put_tdesc(ITypeInfo_ *ti, const TYPEDESC_ *td, int depth) {
    fprintf(out, "{\"vt\":%u", td->vt);
    if (depth > 16) { fputs(",\"deep\":true}", out); return; }
    switch (td->vt) {
    case VT_PTR: case VT_SAFEARRAY: fputs(",\"t\":", out); put_tdesc(ti, td->u.lptdesc, depth + 1); break;
    case VT_CARRAY:
        fputs(",\"elem\":", out); put_tdesc(ti, &td->u.lpadesc->tdescElem, depth + 1);
        fputs(",\"bounds\":[", out);
        for (uint16_t i = 0; i < td->u.lpadesc->cDims; i++)
            fprintf(out, "%s[%u,%d]", i ? "," : "", td->u.lpadesc->rgbounds[i].cElements, td->u.lpadesc->rgbounds[i].lLbound);
        fputc(']', out);
        break;
    case VT_USERDEFINED: fputs(",\"ref\":", out); put_ref(ti, td->u.hreftype); break;
    }
    fputc('}', out);
}

static void put_doc(ITypeInfo_ *ti, int32_t memid) {
    BSTR name = NULL, doc = NULL, file = NULL; uint32_t ctx = 0;
    HRESULT hr = ti->v->GetDocumentation(ti, memid, &name, &doc, &ctx, &file);
    fputs("\"doc_hr\":", out); put_hr(hr);
    fputs(",\"name\":", out); put_bstr(name);
    fputs(",\"doc\":", out); put_bstr(doc);
    fprintf(out, ",\"helpctx\":%u,\"helpfile\":", ctx); put_bstr(file);
    free_bstr(name); free_bstr(doc); free_bstr(file);
}

static void put_names(ITypeInfo_ *ti, int32_t memid) {
    BSTR names[64]; uint32_t n = 0;
    HRESULT hr = ti->v->GetNames(ti, memid, names, 64, &n);
    fputs("\"names\":[", out);
    if (hr >= 0)
        for (uint32_t i = 0; i < n; i++) { if (i) fputc(',', out); put_bstr(names[i]); free_bstr(names[i]); }
    fputc(']', out);
}

static void put_body(ITypeInfo_ *ti, int with_dual) {
    TYPEATTR_ *ta = NULL;
    HRESULT hr = ti->v->GetTypeAttr(ti, &ta);
    if (hr < 0) { fputs(",\"attr_error\":", out); put_hr(hr); return; }
    fputs(",\"guid\":", out); put_guid(&ta->guid);
    fprintf(out, ",\"lcid\":%u,\"memidConstructor\":%d,\"memidDestructor\":%d,\"cbSizeInstance\":%u,\"typekind\":%d,"
            "\"cFuncs\":%u,\"cVars\":%u,\"cImplTypes\":%u,\"cbSizeVft\":%u,\"cbAlignment\":%u,\"wTypeFlags\":%u,"
            "\"major\":%u,\"minor\":%u,\"idlflags\":%u",
            ta->lcid, ta->memidConstructor, ta->memidDestructor, ta->cbSizeInstance, ta->typekind, ta->cFuncs,
            ta->cVars, ta->cImplTypes, ta->cbSizeVft, ta->cbAlignment, ta->wTypeFlags, ta->wMajorVerNum,
            ta->wMinorVerNum, ta->idldescType.wIDLFlags);
    if (ta->typekind == 6 /* TKIND_ALIAS */) { fputs(",\"alias\":", out); put_tdesc(ti, &ta->tdescAlias, 0); }
    fputc(',', out);
    put_doc(ti, MEMBERID_NIL);
    fputs(",\"impltypes\":[", out);
    for (uint32_t i = 0; i < ta->cImplTypes; i++) {
        uint32_t href = 0; int32_t flags = 0;
        if (i) fputc(',', out);
        hr = ti->v->GetRefTypeOfImplType(ti, i, &href);
        fputs("{\"hr\":", out); put_hr(hr);
        if (hr >= 0) { fputs(",\"ref\":", out); put_ref(ti, href); }
        hr = ti->v->GetImplTypeFlags(ti, i, &flags);
        fputs(",\"flags_hr\":", out); put_hr(hr); fprintf(out, ",\"flags\":%d}", flags);
    }
    fputs("],\"funcs\":[", out);
    for (uint32_t i = 0; i < ta->cFuncs; i++) {
        FUNCDESC_ *fd = NULL;
        if (i) fputc(',', out);
        hr = ti->v->GetFuncDesc(ti, i, &fd);
        if (hr < 0) { fputs("{\"error\":", out); put_hr(hr); fputc('}', out); continue; }
        fprintf(out, "{\"memid\":%d,\"funckind\":%d,\"invkind\":%d,\"callconv\":%d,\"cParams\":%d,\"cParamsOpt\":%d,"
                "\"oVft\":%d,\"cScodes\":%d,\"wFuncFlags\":%u,\"ret\":",
                fd->memid, fd->funckind, fd->invkind, fd->callconv, fd->cParams, fd->cParamsOpt, fd->oVft,
                fd->cScodes, fd->wFuncFlags);
        put_tdesc(ti, &fd->elemdescFunc.tdesc, 0);
        fprintf(out, ",\"ret_flags\":%u,\"params\":[", fd->elemdescFunc.u.paramdesc.wParamFlags);
        for (int16_t p = 0; p < fd->cParams; p++) {
            const ELEMDESC_ *ed = &fd->lprgelemdescParam[p];
            if (p) fputc(',', out);
            fputs("{\"t\":", out); put_tdesc(ti, &ed->tdesc, 0);
            fprintf(out, ",\"flags\":%u", ed->u.paramdesc.wParamFlags);
            if ((ed->u.paramdesc.wParamFlags & PARAMFLAG_FHASDEFAULT) && ed->u.paramdesc.pparamdescex) {
                fputs(",\"default\":", out); put_variant(&ed->u.paramdesc.pparamdescex->varDefaultValue);
            }
            fputc('}', out);
        }
        fputs("],", out);
        put_names(ti, fd->memid);
        fputc(',', out);
        put_doc(ti, fd->memid);
        if (ta->typekind == TKIND_MODULE) {
            BSTR dll = NULL, entry = NULL; uint16_t ord = 0;
            hr = ti->v->GetDllEntry(ti, fd->memid, fd->invkind, &dll, &entry, &ord);
            fputs(",\"dllentry_hr\":", out); put_hr(hr);
            if (hr >= 0) {
                fputs(",\"dll\":", out); put_bstr(dll);
                fputs(",\"entry\":", out); put_bstr(entry);
                fprintf(out, ",\"ordinal\":%u", ord);
            }
            free_bstr(dll); free_bstr(entry);
        }
        fputc('}', out);
        ti->v->ReleaseFuncDesc(ti, fd);
    }
    fputs("],\"vars\":[", out);
    for (uint32_t i = 0; i < ta->cVars; i++) {
        VARDESC_ *vd = NULL;
        if (i) fputc(',', out);
        hr = ti->v->GetVarDesc(ti, i, &vd);
        if (hr < 0) { fputs("{\"error\":", out); put_hr(hr); fputc('}', out); continue; }
        fprintf(out, "{\"memid\":%d,\"varkind\":%d,\"wVarFlags\":%u,\"t\":", vd->memid, vd->varkind, vd->wVarFlags);
        put_tdesc(ti, &vd->elemdescVar.tdesc, 0);
        if (vd->varkind == VAR_CONST) { fputs(",\"value\":", out); put_variant(vd->u.lpvarValue); }
        else fprintf(out, ",\"oInst\":%u", vd->u.oInst);
        fputc(',', out);
        put_names(ti, vd->memid);
        fputc(',', out);
        put_doc(ti, vd->memid);
        fputc('}', out);
        ti->v->ReleaseVarDesc(ti, vd);
    }
    fputc(']', out);
    if (with_dual && ta->typekind == TKIND_DISPATCH) {
        uint32_t href = 0;
        hr = ti->v->GetRefTypeOfImplType(ti, (uint32_t)-1, &href);
        fputs(",\"dual_hr\":", out); put_hr(hr);
        if (hr >= 0) {
            ITypeInfo_ *iface = NULL;
            hr = ti->v->GetRefTypeInfo(ti, href, &iface);
            if (hr >= 0) {
                fputs(",\"dual\":{\"kind\":\"dual_view\"", out);
                put_body(iface, 0);
                fputc('}', out);
                iface->v->Release(iface);
            }
        }
    }
    ti->v->ReleaseTypeAttr(ti, ta);
}

/* Dumps the library; returns the text (free it with c_dump_free) and its length. */
char *c_dump_typelib(ITypeLib_ *tl, void (*free_fn)(BSTR), size_t *len) {
    char *text = NULL;
    out = open_memstream(&text, len);
    free_bstr = free_fn;
    TLIBATTR_ *la = NULL;
    tl->v->GetLibAttr(tl, &la);
    uint32_t count = tl->v->GetTypeInfoCount(tl);
    fputs("{\"kind\":\"typelib\",\"guid\":", out); put_guid(&la->guid);
    fprintf(out, ",\"lcid\":%u,\"syskind\":%d,\"major\":%u,\"minor\":%u,\"libflags\":%u,\"count\":%u,", la->lcid,
            la->syskind, la->wMajorVerNum, la->wMinorVerNum, la->wLibFlags, count);
    tl->v->ReleaseTLibAttr(tl, la);
    {
        BSTR name = NULL, doc = NULL, file = NULL; uint32_t ctx = 0;
        HRESULT hr = tl->v->GetDocumentation(tl, -1, &name, &doc, &ctx, &file);
        fputs("\"doc_hr\":", out); put_hr(hr);
        fputs(",\"name\":", out); put_bstr(name);
        fputs(",\"doc\":", out); put_bstr(doc);
        fprintf(out, ",\"helpctx\":%u,\"helpfile\":", ctx); put_bstr(file);
        free_bstr(name); free_bstr(doc); free_bstr(file);
    }
    fputs(",\"types\":[", out);
    for (uint32_t i = 0; i < count; i++) {
        int32_t tk = 0;
        tl->v->GetTypeInfoType(tl, i, &tk);
        fprintf(out, "%s%d", i ? "," : "", tk);
    }
    fputs("]}\n", out);
    for (uint32_t i = 0; i < count; i++) {
        ITypeInfo_ *ti = NULL;
        fprintf(out, "{\"kind\":\"typeinfo\",\"index\":%u", i);
        HRESULT hr = tl->v->GetTypeInfo(tl, i, &ti);
        if (hr < 0) { fputs(",\"error\":", out); put_hr(hr); fputs("}\n", out); continue; }
        put_body(ti, 1);
        fputs("}\n", out);
        ti->v->Release(ti);
    }
    fclose(out);
    return text;
}

void c_dump_free(char *text) { free(text); }

/* IDispatch::GetTypeInfoCount and GetTypeInfo through the raw vtable, then the type's name and function count
 * through the ITypeInfo handed out (released before returning). */
typedef struct IDispatchT_ IDispatchT_;
typedef struct {
    HRESULT (*QueryInterface)(IDispatchT_ *, const GUID_ *, void **);
    uint32_t (*AddRef)(IDispatchT_ *);
    uint32_t (*Release)(IDispatchT_ *);
    HRESULT (*GetTypeInfoCount)(IDispatchT_ *, uint32_t *);
    HRESULT (*GetTypeInfo)(IDispatchT_ *, uint32_t, uint32_t, ITypeInfo_ **);
} IDispatchTVtbl_;
struct IDispatchT_ { const IDispatchTVtbl_ *v; };

HRESULT c_dispatch_type_info(IDispatchT_ *d, uint32_t *count, void (*free_fn)(BSTR), uint16_t *name, uint32_t name_room,
                             uint32_t *funcs, int32_t *typekind, HRESULT *bad_index_hr) {
    HRESULT hr = d->v->GetTypeInfoCount(d, count);
    if (hr < 0) return hr;
    ITypeInfo_ *ti = NULL;
    *bad_index_hr = d->v->GetTypeInfo(d, 1, 0x409, &ti);
    if (ti) return -1;
    hr = d->v->GetTypeInfo(d, 0, 0x409, &ti);
    if (hr < 0) return hr;
    TYPEATTR_ *ta = NULL;
    hr = ti->v->GetTypeAttr(ti, &ta);
    if (hr >= 0) {
        *funcs = ta->cFuncs;
        *typekind = ta->typekind;
        ti->v->ReleaseTypeAttr(ti, ta);
    }
    BSTR n = NULL;
    if (hr >= 0) hr = ti->v->GetDocumentation(ti, MEMBERID_NIL, &n, NULL, NULL, NULL);
    if (n) {
        uint32_t len = bstr_len(n) < name_room - 1 ? bstr_len(n) : name_room - 1;
        memcpy(name, n, len * 2);
        name[len] = 0;
        free_fn(n);
    }
    ti->v->Release(ti);
    return hr;
}
