/* tlbdump: the type library oracle. Loads each library named on the command line with LoadTypeLibEx
 * (REGKIND_NONE) under Wine and prints what the ITypeLib / ITypeInfo API reports about it, one JSON object per
 * line: first a "typelib" line, then one "typeinfo" line per type info in index order.
 *
 * Build and run: see run.sh beside this file (mingw-w64 + wine64).
 * Arguments: paths in Unix form (/usr/...) are turned into Z:\... ; a trailing "\N" selects the TYPELIB resource N
 * of a PE file, as LoadTypeLib does. An optional "--label=NAME" before a path sets the "file" field of its lines.
 *
 * Encoding:
 *   strings      JSON strings, every UTF-16 unit outside 0x20..0x7e written as \uXXXX; a NULL BSTR is null
 *   GUIDs        "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}"
 *   VARIANT      {"vt": n, one of "i" (integers, BOOL, ERROR, CY as int64), "f" + "bits" (R4, R8, DATE: %.17g and
 *                the little-endian bytes), "s" (BSTR), "hex" (DECIMAL: 16 bytes), "unsupported": true}
 *   TYPEDESC     {"vt": n} plus "t" (pointee / element of PTR, SAFEARRAY), "elem" + "bounds" [[cElements, lLbound]]
 *                (CARRAY), "ref" (USERDEFINED: {"lib": guid of the library holding the target, "index": n,
 *                "name": s} or {"error": hr})
 *   custom data  [{"guid": g, "value": VARIANT}] in the order GetAll*CustData returns it
 * Hreftype numbers are never printed: they are the loader's private handles. */
#define COBJMACROS
#include <windows.h>
#include <oleauto.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <fcntl.h>
#include <io.h>

static void put_wstr(const WCHAR *s, UINT n) {
    putchar('"');
    for (UINT i = 0; i < n; i++) {
        unsigned c = s[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20 || c > 0x7e) printf("\\u%04x", c);
        else putchar((int)c);
    }
    putchar('"');
}
static void put_bstr(BSTR b) {
    if (!b) { fputs("null", stdout); return; }
    put_wstr(b, SysStringLen(b));
}
static void put_cstr(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20 || c > 0x7e) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}
static void put_guid(const GUID *g) {
    printf("\"{%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}\"", (unsigned long)g->Data1, g->Data2, g->Data3,
           g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}
static void put_hr(HRESULT hr) { printf("\"0x%08lx\"", (unsigned long)hr); }
static void put_hex(const void *p, size_t n) {
    const unsigned char *b = p;
    putchar('"');
    for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
    putchar('"');
}

static void put_variant(const VARIANT *v) {
    VARTYPE vt = V_VT(v);
    printf("{\"vt\":%u", vt);
    switch (vt) {
    case VT_EMPTY: case VT_NULL: break;
    case VT_I1: printf(",\"i\":%d", V_I1(v)); break;
    case VT_UI1: printf(",\"i\":%u", V_UI1(v)); break;
    case VT_I2: printf(",\"i\":%d", V_I2(v)); break;
    case VT_UI2: printf(",\"i\":%u", V_UI2(v)); break;
    case VT_I4: case VT_INT: case VT_ERROR: case VT_HRESULT: printf(",\"i\":%ld", (long)V_I4(v)); break;
    case VT_UI4: case VT_UINT: printf(",\"i\":%lu", (unsigned long)V_UI4(v)); break;
    case VT_I8: printf(",\"i\":%lld", (long long)V_I8(v)); break;
    case VT_UI8: printf(",\"i\":%llu", (unsigned long long)V_UI8(v)); break;
    case VT_CY: printf(",\"i\":%lld", (long long)V_CY(v).int64); break;
    case VT_BOOL: printf(",\"i\":%d", V_BOOL(v)); break;
    case VT_R4: { float f = V_R4(v); printf(",\"f\":\"%.9g\",\"bits\":", (double)f); put_hex(&f, 4); break; }
    case VT_R8: { double d = V_R8(v); printf(",\"f\":\"%.17g\",\"bits\":", d); put_hex(&d, 8); break; }
    case VT_DATE: { double d = V_DATE(v); printf(",\"f\":\"%.17g\",\"bits\":", d); put_hex(&d, 8); break; }
    case VT_BSTR: fputs(",\"s\":", stdout); put_bstr(V_BSTR(v)); break;
    case VT_DECIMAL: fputs(",\"hex\":", stdout); put_hex(&V_DECIMAL(v), 16); break;
    default: fputs(",\"unsupported\":true", stdout); break;
    }
    putchar('}');
}

static void put_custdata(CUSTDATA *cd) {
    putchar('[');
    for (DWORD i = 0; i < cd->cCustData; i++) {
        if (i) putchar(',');
        fputs("{\"guid\":", stdout); put_guid(&cd->prgCustData[i].guid);
        fputs(",\"value\":", stdout); put_variant(&cd->prgCustData[i].varValue);
        putchar('}');
    }
    putchar(']');
    ClearCustData(cd);
}

static void put_ref(ITypeInfo *ti, HREFTYPE href) {
    ITypeInfo *other = NULL;
    HRESULT hr = ITypeInfo_GetRefTypeInfo(ti, href, &other);
    if (FAILED(hr)) { fputs("{\"error\":", stdout); put_hr(hr); putchar('}'); return; }
    ITypeLib *lib = NULL; UINT index = 0; BSTR name = NULL;
    hr = ITypeInfo_GetContainingTypeLib(other, &lib, &index);
    ITypeInfo_GetDocumentation(other, MEMBERID_NIL, &name, NULL, NULL, NULL);
    fputs("{\"lib\":", stdout);
    if (SUCCEEDED(hr)) {
        TLIBATTR *la = NULL;
        ITypeLib_GetLibAttr(lib, &la);
        put_guid(&la->guid);
        ITypeLib_ReleaseTLibAttr(lib, la);
        ITypeLib_Release(lib);
    } else fputs("null", stdout);
    printf(",\"index\":%u,\"name\":", index); put_bstr(name);
    putchar('}');
    SysFreeString(name);
    ITypeInfo_Release(other);
}

static void put_tdesc(ITypeInfo *ti, const TYPEDESC *td, int depth) {
    printf("{\"vt\":%u", td->vt);
    if (depth > 16) { fputs(",\"deep\":true}", stdout); return; }
    switch (td->vt) {
    case VT_PTR: case VT_SAFEARRAY: fputs(",\"t\":", stdout); put_tdesc(ti, td->lptdesc, depth + 1); break;
    case VT_CARRAY:
        fputs(",\"elem\":", stdout); put_tdesc(ti, &td->lpadesc->tdescElem, depth + 1);
        fputs(",\"bounds\":[", stdout);
        for (USHORT i = 0; i < td->lpadesc->cDims; i++)
            printf("%s[%lu,%ld]", i ? "," : "", (unsigned long)td->lpadesc->rgbounds[i].cElements,
                   (long)td->lpadesc->rgbounds[i].lLbound);
        putchar(']');
        break;
    case VT_USERDEFINED: fputs(",\"ref\":", stdout); put_ref(ti, td->hreftype); break;
    }
    putchar('}');
}

/* Documentation of a member (or of the type itself with MEMBERID_NIL) through ITypeInfo and ITypeInfo2. */
static void put_doc(ITypeInfo *ti, ITypeInfo2 *ti2, MEMBERID memid) {
    BSTR name = NULL, doc = NULL, file = NULL, sdll = NULL, hstr = NULL;
    DWORD ctx = 0, sctx = 0;
    HRESULT hr = ITypeInfo_GetDocumentation(ti, memid, &name, &doc, &ctx, &file);
    fputs("\"doc_hr\":", stdout); put_hr(hr);
    fputs(",\"name\":", stdout); put_bstr(name);
    fputs(",\"doc\":", stdout); put_bstr(doc);
    printf(",\"helpctx\":%lu,\"helpfile\":", (unsigned long)ctx); put_bstr(file);
    if (ti2) {
        hr = ITypeInfo2_GetDocumentation2(ti2, memid, 0, &hstr, &sctx, &sdll);
        fputs(",\"doc2_hr\":", stdout); put_hr(hr);
        fputs(",\"helpstring\":", stdout); put_bstr(hstr);
        printf(",\"helpstringctx\":%lu,\"helpstringdll\":", (unsigned long)sctx); put_bstr(sdll);
    }
    SysFreeString(name); SysFreeString(doc); SysFreeString(file); SysFreeString(hstr); SysFreeString(sdll);
}

static void put_names(ITypeInfo *ti, MEMBERID memid) {
    BSTR names[64]; UINT n = 0;
    HRESULT hr = ITypeInfo_GetNames(ti, memid, names, 64, &n);
    fputs("\"names\":[", stdout);
    if (SUCCEEDED(hr))
        for (UINT i = 0; i < n; i++) { if (i) putchar(','); put_bstr(names[i]); SysFreeString(names[i]); }
    putchar(']');
}

static void put_typeinfo_body(ITypeInfo *ti, int with_dual);

/* Wine 8's GetFuncDesc dereferences NULL for some dual dispinterfaces whose inherited functions it cannot convert
 * (msado15.dll). Such a call is recorded as {"crashed": true} instead of ending the dump: a vectored handler jumps
 * back to the call site (no unwinding; the callee holds no lock there). */
static void *crash_jump[5];
static volatile int crash_armed;
static LONG CALLBACK crash_handler(EXCEPTION_POINTERS *info) {
    if (crash_armed && info->ExceptionRecord->ExceptionCode == EXCEPTION_ACCESS_VIOLATION) {
        crash_armed = 0;
        __builtin_longjmp(crash_jump, 1);
    }
    return EXCEPTION_CONTINUE_SEARCH;
}
static HRESULT guarded_get_funcdesc(ITypeInfo *ti, UINT i, FUNCDESC **fd, int *crashed) {
    *crashed = 0;
    if (__builtin_setjmp(crash_jump)) { *crashed = 1; *fd = NULL; return E_FAIL; }
    crash_armed = 1;
    HRESULT hr = ITypeInfo_GetFuncDesc(ti, i, fd);
    crash_armed = 0;
    return hr;
}

static void put_funcs(ITypeInfo *ti, ITypeInfo2 *ti2, const TYPEATTR *ta) {
    fputs(",\"funcs\":[", stdout);
    for (UINT i = 0; i < ta->cFuncs; i++) {
        FUNCDESC *fd = NULL;
        int crashed = 0;
        HRESULT hr = guarded_get_funcdesc(ti, i, &fd, &crashed);
        if (i) putchar(',');
        if (crashed) { fputs("{\"crashed\":true}", stdout); continue; }
        if (FAILED(hr)) { fputs("{\"error\":", stdout); put_hr(hr); putchar('}'); continue; }
        printf("{\"memid\":%ld,\"funckind\":%d,\"invkind\":%d,\"callconv\":%d,\"cParams\":%d,\"cParamsOpt\":%d,"
               "\"oVft\":%d,\"cScodes\":%d,\"wFuncFlags\":%u,\"ret\":",
               (long)fd->memid, fd->funckind, fd->invkind, fd->callconv, fd->cParams, fd->cParamsOpt, fd->oVft,
               fd->cScodes, fd->wFuncFlags);
        put_tdesc(ti, &fd->elemdescFunc.tdesc, 0);
        printf(",\"ret_flags\":%u,\"params\":[", fd->elemdescFunc.paramdesc.wParamFlags);
        for (SHORT p = 0; p < fd->cParams; p++) {
            const ELEMDESC *ed = &fd->lprgelemdescParam[p];
            if (p) putchar(',');
            fputs("{\"t\":", stdout); put_tdesc(ti, &ed->tdesc, 0);
            printf(",\"flags\":%u", ed->paramdesc.wParamFlags);
            if ((ed->paramdesc.wParamFlags & PARAMFLAG_FHASDEFAULT) && ed->paramdesc.pparamdescex) {
                fputs(",\"default\":", stdout); put_variant(&ed->paramdesc.pparamdescex->varDefaultValue);
            }
            if (ti2) {
                CUSTDATA cd; memset(&cd, 0, sizeof cd);
                if (SUCCEEDED(ITypeInfo2_GetAllParamCustData(ti2, i, p, &cd))) { fputs(",\"custdata\":", stdout); put_custdata(&cd); }
            }
            putchar('}');
        }
        fputs("],", stdout);
        put_names(ti, fd->memid);
        putchar(',');
        put_doc(ti, ti2, fd->memid);
        if (ta->typekind == TKIND_MODULE) {
            BSTR dll = NULL, entry = NULL; WORD ord = 0;
            hr = ITypeInfo_GetDllEntry(ti, fd->memid, fd->invkind, &dll, &entry, &ord);
            fputs(",\"dllentry_hr\":", stdout); put_hr(hr);
            if (SUCCEEDED(hr)) {
                fputs(",\"dll\":", stdout); put_bstr(dll);
                fputs(",\"entry\":", stdout); put_bstr(entry);
                printf(",\"ordinal\":%u", ord);
            }
            SysFreeString(dll); SysFreeString(entry);
        }
        if (ti2) {
            CUSTDATA cd; memset(&cd, 0, sizeof cd);
            if (SUCCEEDED(ITypeInfo2_GetAllFuncCustData(ti2, i, &cd))) { fputs(",\"custdata\":", stdout); put_custdata(&cd); }
        }
        putchar('}');
        ITypeInfo_ReleaseFuncDesc(ti, fd);
    }
    putchar(']');
}

static void put_vars(ITypeInfo *ti, ITypeInfo2 *ti2, const TYPEATTR *ta) {
    fputs(",\"vars\":[", stdout);
    for (UINT i = 0; i < ta->cVars; i++) {
        VARDESC *vd = NULL;
        HRESULT hr = ITypeInfo_GetVarDesc(ti, i, &vd);
        if (i) putchar(',');
        if (FAILED(hr)) { fputs("{\"error\":", stdout); put_hr(hr); putchar('}'); continue; }
        printf("{\"memid\":%ld,\"varkind\":%d,\"wVarFlags\":%u,\"t\":", (long)vd->memid, vd->varkind, vd->wVarFlags);
        put_tdesc(ti, &vd->elemdescVar.tdesc, 0);
        if (vd->varkind == VAR_CONST) { fputs(",\"value\":", stdout); put_variant(vd->lpvarValue); }
        else printf(",\"oInst\":%lu", (unsigned long)vd->oInst);
        putchar(',');
        put_names(ti, vd->memid);
        putchar(',');
        put_doc(ti, ti2, vd->memid);
        if (ti2) {
            CUSTDATA cd; memset(&cd, 0, sizeof cd);
            if (SUCCEEDED(ITypeInfo2_GetAllVarCustData(ti2, i, &cd))) { fputs(",\"custdata\":", stdout); put_custdata(&cd); }
        }
        putchar('}');
        ITypeInfo_ReleaseVarDesc(ti, vd);
    }
    putchar(']');
}

static void put_typeinfo_body(ITypeInfo *ti, int with_dual) {
    TYPEATTR *ta = NULL;
    ITypeInfo2 *ti2 = NULL;
    ITypeInfo_QueryInterface(ti, &IID_ITypeInfo2, (void **)&ti2);
    HRESULT hr = ITypeInfo_GetTypeAttr(ti, &ta);
    if (FAILED(hr)) { fputs(",\"attr_error\":", stdout); put_hr(hr); if (ti2) ITypeInfo2_Release(ti2); return; }
    fputs(",\"guid\":", stdout); put_guid(&ta->guid);
    printf(",\"lcid\":%lu,\"memidConstructor\":%ld,\"memidDestructor\":%ld,\"cbSizeInstance\":%lu,\"typekind\":%d,"
           "\"cFuncs\":%u,\"cVars\":%u,\"cImplTypes\":%u,\"cbSizeVft\":%u,\"cbAlignment\":%u,\"wTypeFlags\":%u,"
           "\"major\":%u,\"minor\":%u,\"idlflags\":%u",
           (unsigned long)ta->lcid, (long)ta->memidConstructor, (long)ta->memidDestructor,
           (unsigned long)ta->cbSizeInstance, ta->typekind, ta->cFuncs, ta->cVars, ta->cImplTypes, ta->cbSizeVft,
           ta->cbAlignment, ta->wTypeFlags, ta->wMajorVerNum, ta->wMinorVerNum, ta->idldescType.wIDLFlags);
    if (ta->typekind == TKIND_ALIAS) { fputs(",\"alias\":", stdout); put_tdesc(ti, &ta->tdescAlias, 0); }
    putchar(',');
    put_doc(ti, ti2, MEMBERID_NIL);
    if (ti2) {
        TYPEKIND tk; ULONG flags = 0;
        CUSTDATA cd; memset(&cd, 0, sizeof cd);
        if (SUCCEEDED(ITypeInfo2_GetAllCustData(ti2, &cd))) { fputs(",\"custdata\":", stdout); put_custdata(&cd); }
        if (SUCCEEDED(ITypeInfo2_GetTypeKind(ti2, &tk))) printf(",\"typekind2\":%d", tk);
        if (SUCCEEDED(ITypeInfo2_GetTypeFlags(ti2, &flags))) printf(",\"typeflags2\":%lu", flags);
    }
    fputs(",\"impltypes\":[", stdout);
    for (UINT i = 0; i < ta->cImplTypes; i++) {
        HREFTYPE href = 0; INT flags = 0;
        if (i) putchar(',');
        hr = ITypeInfo_GetRefTypeOfImplType(ti, i, &href);
        fputs("{\"hr\":", stdout); put_hr(hr);
        if (SUCCEEDED(hr)) { fputs(",\"ref\":", stdout); put_ref(ti, href); }
        hr = ITypeInfo_GetImplTypeFlags(ti, i, &flags);
        printf(",\"flags_hr\":"); put_hr(hr); printf(",\"flags\":%d", flags);
        /* Wine 8 crashes in GetAllImplTypeCustData for the implemented interface of an interface: coclasses only */
        if (ti2 && ta->typekind == TKIND_COCLASS) {
            CUSTDATA cd; memset(&cd, 0, sizeof cd);
            if (SUCCEEDED(ITypeInfo2_GetAllImplTypeCustData(ti2, i, &cd))) { fputs(",\"custdata\":", stdout); put_custdata(&cd); }
        }
        putchar('}');
    }
    putchar(']');
    put_funcs(ti, ti2, ta);
    put_vars(ti, ti2, ta);
    if (with_dual && ta->typekind == TKIND_DISPATCH) {
        HREFTYPE href = 0;
        hr = ITypeInfo_GetRefTypeOfImplType(ti, (UINT)-1, &href);
        fputs(",\"dual_hr\":", stdout); put_hr(hr);
        if (SUCCEEDED(hr)) {
            ITypeInfo *iface = NULL;
            hr = ITypeInfo_GetRefTypeInfo(ti, href, &iface);
            if (SUCCEEDED(hr)) {
                fputs(",\"dual\":{\"kind\":\"dual_view\"", stdout);
                put_typeinfo_body(iface, 0);
                putchar('}');
                ITypeInfo_Release(iface);
            }
        }
    }
    ITypeInfo_ReleaseTypeAttr(ti, ta);
    if (ti2) ITypeInfo2_Release(ti2);
}

static void dump_library(const char *label, const WCHAR *path) {
    ITypeLib *tl = NULL;
    HRESULT hr = LoadTypeLibEx(path, REGKIND_NONE, &tl);
    if (FAILED(hr)) {
        fputs("{\"kind\":\"typelib\",\"file\":", stdout); put_cstr(label);
        fputs(",\"load_hr\":", stdout); put_hr(hr); fputs("}\n", stdout);
        return;
    }
    ITypeLib2 *tl2 = NULL;
    ITypeLib_QueryInterface(tl, &IID_ITypeLib2, (void **)&tl2);
    TLIBATTR *la = NULL;
    ITypeLib_GetLibAttr(tl, &la);
    UINT count = ITypeLib_GetTypeInfoCount(tl);
    fputs("{\"kind\":\"typelib\",\"file\":", stdout); put_cstr(label);
    fputs(",\"load_hr\":", stdout); put_hr(hr);
    fputs(",\"guid\":", stdout); put_guid(&la->guid);
    printf(",\"lcid\":%lu,\"syskind\":%d,\"major\":%u,\"minor\":%u,\"libflags\":%u,\"count\":%u,",
           (unsigned long)la->lcid, la->syskind, la->wMajorVerNum, la->wMinorVerNum, la->wLibFlags, count);
    {
        BSTR name = NULL, doc = NULL, file = NULL, hstr = NULL, sdll = NULL; DWORD ctx = 0, sctx = 0;
        hr = ITypeLib_GetDocumentation(tl, -1, &name, &doc, &ctx, &file);
        fputs("\"doc_hr\":", stdout); put_hr(hr);
        fputs(",\"name\":", stdout); put_bstr(name);
        fputs(",\"doc\":", stdout); put_bstr(doc);
        printf(",\"helpctx\":%lu,\"helpfile\":", (unsigned long)ctx); put_bstr(file);
        if (tl2) {
            hr = ITypeLib2_GetDocumentation2(tl2, -1, 0, &hstr, &sctx, &sdll);
            fputs(",\"doc2_hr\":", stdout); put_hr(hr);
            fputs(",\"helpstring\":", stdout); put_bstr(hstr);
            printf(",\"helpstringctx\":%lu,\"helpstringdll\":", (unsigned long)sctx); put_bstr(sdll);
            CUSTDATA cd; memset(&cd, 0, sizeof cd);
            if (SUCCEEDED(ITypeLib2_GetAllCustData(tl2, &cd))) { fputs(",\"custdata\":", stdout); put_custdata(&cd); }
        }
        SysFreeString(name); SysFreeString(doc); SysFreeString(file); SysFreeString(hstr); SysFreeString(sdll);
    }
    fputs(",\"types\":[", stdout);
    for (UINT i = 0; i < count; i++) {
        TYPEKIND tk = 0;
        ITypeLib_GetTypeInfoType(tl, i, &tk);
        printf("%s%d", i ? "," : "", tk);
    }
    fputs("]}\n", stdout);
    ITypeLib_ReleaseTLibAttr(tl, la);
    fflush(stdout);
    for (UINT i = 0; i < count; i++) {
        ITypeInfo *ti = NULL;
        fputs("{\"kind\":\"typeinfo\",\"file\":", stdout); put_cstr(label);
        printf(",\"index\":%u", i);
        hr = ITypeLib_GetTypeInfo(tl, i, &ti);
        if (FAILED(hr)) { fputs(",\"error\":", stdout); put_hr(hr); fputs("}\n", stdout); continue; }
        put_typeinfo_body(ti, 1);
        fputs("}\n", stdout);
        fflush(stdout);
        ITypeInfo_Release(ti);
    }
    if (tl2) ITypeLib2_Release(tl2);
    ITypeLib_Release(tl);
}

int main(int argc, char **argv) {
    _setmode(_fileno(stdout), _O_BINARY);
    AddVectoredExceptionHandler(1, crash_handler);
    CoInitialize(NULL);
    const char *label = NULL;
    for (int a = 1; a < argc; a++) {
        if (!strncmp(argv[a], "--label=", 8)) { label = argv[a] + 8; continue; }
        char buf[1024];
        const char *p = argv[a];
        size_t n = 0;
        if (p[0] == '/') { buf[n++] = 'Z'; buf[n++] = ':'; }
        for (; *p && n < sizeof buf - 1; p++) buf[n++] = (*p == '/') ? '\\' : *p;
        buf[n] = 0;
        WCHAR wpath[1024];
        MultiByteToWideChar(CP_UTF8, 0, buf, -1, wpath, 1024);
        dump_library(label ? label : argv[a], wpath);
        label = NULL;
    }
    CoUninitialize();
    return 0;
}
