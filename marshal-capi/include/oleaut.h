/*
 * oleaut.h: the OLE Automation subset exported by libmarshal_capi (the marshal project's
 * oleaut32-compatible C library for Linux): BSTR, VARIANT, SAFEARRAY, DECIMAL, CY, DATE and
 * the functions that create, copy, convert and free them, with the Windows names,
 * signatures and HRESULTs.
 *
 * Link with -lmarshal_capi (shared) or libmarshal_capi.a (static; then also -lpthread -ldl
 * -lm -lgcc_s). A library built with the cargo feature `prefixed` exports
 * marshal_SysAllocString, ... : define MARSHAL_OLEAUT_PREFIXED before including this header
 * and keep calling SysAllocString, ... .
 *
 * Types follow the Windows ABI on LP64 Linux: LONG and ULONG are 32 bits, OLECHAR is a
 * UTF-16 code unit (char16_t in C++, so u"..." literals work), VARIANT is 24 bytes.
 * This header stands alone: do not mix it with another set of Windows headers.
 *
 * marshal-capi/tests/header.rs checks every prototype here against the library's exports
 * and the Rust signatures behind them.
 */
#ifndef MARSHAL_OLEAUT_H
#define MARSHAL_OLEAUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- base types -------------------------------------------------------------------- */

typedef int32_t HRESULT;
typedef int32_t SCODE;
typedef int32_t INT;
typedef uint32_t UINT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef int16_t SHORT;
typedef uint16_t USHORT;
typedef uint16_t WORD;
typedef uint8_t BYTE;
typedef int64_t LONG64;
typedef uint64_t ULONG64;
typedef float FLOAT;
typedef double DOUBLE;
typedef size_t SIZE_T;
typedef void *LPVOID;
typedef uint32_t LCID;
typedef uint16_t VARTYPE;
typedef int16_t VARIANT_BOOL;
typedef double DATE;

#ifdef __cplusplus
typedef char16_t OLECHAR;
#else
typedef uint16_t OLECHAR;
#endif
typedef OLECHAR *BSTR;
typedef const OLECHAR *LPCOLESTR;
typedef const char *LPCSTR;

/* COM interfaces appear only as pointers here. */
typedef struct IUnknown IUnknown;
typedef struct IDispatch IDispatch;
typedef struct IRecordInfo IRecordInfo;

/* ---- HRESULTs --------------------------------------------------------------------- */

#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)

#define S_OK ((HRESULT)0x00000000)
#define S_FALSE ((HRESULT)0x00000001)
#define E_NOTIMPL ((HRESULT)0x80004001)
#define E_POINTER ((HRESULT)0x80004003)
#define E_UNEXPECTED ((HRESULT)0x8000FFFF)
#define E_OUTOFMEMORY ((HRESULT)0x8007000E)
#define E_INVALIDARG ((HRESULT)0x80070057)
#define DISP_E_PARAMNOTFOUND ((HRESULT)0x80020004)
#define DISP_E_TYPEMISMATCH ((HRESULT)0x80020005)
#define DISP_E_BADVARTYPE ((HRESULT)0x80020008)
#define DISP_E_OVERFLOW ((HRESULT)0x8002000A)
#define DISP_E_BADINDEX ((HRESULT)0x8002000B)
#define DISP_E_UNKNOWNLCID ((HRESULT)0x8002000C)
#define DISP_E_ARRAYISLOCKED ((HRESULT)0x8002000D)

/* ---- locales and flags ------------------------------------------------------------- */

#define LOCALE_INVARIANT ((LCID)0x007F)
#define LOCALE_USER_DEFAULT ((LCID)0x0400)
#define LOCALE_SYSTEM_DEFAULT ((LCID)0x0800)

/* VariantChangeType(Ex) wFlags */
#define VARIANT_NOVALUEPROP 0x01
#define VARIANT_ALPHABOOL 0x02
#define VARIANT_NOUSEROVERRIDE 0x04
#define VARIANT_LOCALBOOL 0x10

/* Var*From* dwFlags */
#define VAR_TIMEVALUEONLY 0x00000001
#define VAR_DATEVALUEONLY 0x00000002
#define VAR_LOCALBOOL 0x00000010

/* ---- VARTYPE ----------------------------------------------------------------------- */

enum VARENUM {
    VT_EMPTY = 0, VT_NULL = 1, VT_I2 = 2, VT_I4 = 3, VT_R4 = 4, VT_R8 = 5, VT_CY = 6,
    VT_DATE = 7, VT_BSTR = 8, VT_DISPATCH = 9, VT_ERROR = 10, VT_BOOL = 11, VT_VARIANT = 12,
    VT_UNKNOWN = 13, VT_DECIMAL = 14, VT_I1 = 16, VT_UI1 = 17, VT_UI2 = 18, VT_UI4 = 19,
    VT_I8 = 20, VT_UI8 = 21, VT_INT = 22, VT_UINT = 23, VT_VOID = 24, VT_HRESULT = 25,
    VT_PTR = 26, VT_SAFEARRAY = 27, VT_CARRAY = 28, VT_USERDEFINED = 29, VT_LPSTR = 30,
    VT_LPWSTR = 31, VT_RECORD = 36, VT_INT_PTR = 37, VT_UINT_PTR = 38, VT_FILETIME = 64,
    VT_BLOB = 65, VT_CLSID = 72,
    VT_VECTOR = 0x1000, VT_ARRAY = 0x2000, VT_BYREF = 0x4000, VT_RESERVED = 0x8000,
    VT_ILLEGAL = 0xFFFF, VT_ILLEGALMASKED = 0x0FFF, VT_TYPEMASK = 0x0FFF
};

#define VARIANT_TRUE ((VARIANT_BOOL)-1)
#define VARIANT_FALSE ((VARIANT_BOOL)0)

/* ---- value types ------------------------------------------------------------------- */

/* CY: a currency amount, int64 scaled by 10 000. */
typedef union tagCY {
    struct {
        uint32_t Lo;
        int32_t Hi;
    };
    LONG64 int64;
} CY;

/* DECIMAL: 96-bit mantissa (Hi32:Mid32:Lo32), scale 0..28, sign 0 or 0x80. */
typedef struct tagDEC {
    USHORT wReserved;
    union {
        struct {
            BYTE scale;
            BYTE sign;
        };
        USHORT signscale;
    };
    ULONG Hi32;
    union {
        struct {
            ULONG Lo32;
            ULONG Mid32;
        };
        ULONG64 Lo64;
    };
} DECIMAL;

#define DECIMAL_NEG ((BYTE)0x80)

typedef struct _SYSTEMTIME {
    WORD wYear;
    WORD wMonth;
    WORD wDayOfWeek;
    WORD wDay;
    WORD wHour;
    WORD wMinute;
    WORD wSecond;
    WORD wMilliseconds;
} SYSTEMTIME, *LPSYSTEMTIME;

/* ---- SAFEARRAY --------------------------------------------------------------------- */

typedef struct tagSAFEARRAYBOUND {
    ULONG cElements;
    LONG lLbound;
} SAFEARRAYBOUND;

/* rgsabound holds cDims bounds, the last dimension first. */
typedef struct tagSAFEARRAY {
    USHORT cDims;
    USHORT fFeatures;
    ULONG cbElements;
    ULONG cLocks;
    void *pvData;
    SAFEARRAYBOUND rgsabound[1];
} SAFEARRAY;

#define FADF_AUTO 0x0001
#define FADF_STATIC 0x0002
#define FADF_EMBEDDED 0x0004
#define FADF_FIXEDSIZE 0x0010
#define FADF_RECORD 0x0020
#define FADF_HAVEIID 0x0040
#define FADF_HAVEVARTYPE 0x0080
#define FADF_BSTR 0x0100
#define FADF_UNKNOWN 0x0200
#define FADF_DISPATCH 0x0400
#define FADF_VARIANT 0x0800
#define FADF_RESERVED 0xF008
#define FADF_CREATEVECTOR 0x2000

/* ---- VARIANT ----------------------------------------------------------------------- */

typedef struct tagVARIANT VARIANT;
typedef struct tagVARIANT VARIANTARG;

struct tagVARIANT {
    union {
        struct {
            VARTYPE vt;
            WORD wReserved1;
            WORD wReserved2;
            WORD wReserved3;
            union {
                LONG64 llVal;
                LONG lVal;
                BYTE bVal;
                SHORT iVal;
                FLOAT fltVal;
                DOUBLE dblVal;
                VARIANT_BOOL boolVal;
                SCODE scode;
                CY cyVal;
                DATE date;
                BSTR bstrVal;
                IUnknown *punkVal;
                IDispatch *pdispVal;
                SAFEARRAY *parray;
                BYTE *pbVal;
                SHORT *piVal;
                LONG *plVal;
                LONG64 *pllVal;
                FLOAT *pfltVal;
                DOUBLE *pdblVal;
                VARIANT_BOOL *pboolVal;
                SCODE *pscode;
                CY *pcyVal;
                DATE *pdate;
                BSTR *pbstrVal;
                IUnknown **ppunkVal;
                IDispatch **ppdispVal;
                SAFEARRAY **pparray;
                VARIANT *pvarVal;
                void *byref;
                signed char cVal;
                USHORT uiVal;
                ULONG ulVal;
                ULONG64 ullVal;
                INT intVal;
                UINT uintVal;
                DECIMAL *pdecVal;
                signed char *pcVal;
                USHORT *puiVal;
                ULONG *pulVal;
                ULONG64 *pullVal;
                INT *pintVal;
                UINT *puintVal;
                struct {
                    void *pvRecord;
                    IRecordInfo *pRecInfo;
                };
            };
        };
        /* A DECIMAL overlays the whole VARIANT; its wReserved is vt. */
        DECIMAL decVal;
    };
};

#define V_VT(v) ((v)->vt)
#define V_ISBYREF(v) (V_VT(v) & VT_BYREF)
#define V_ISARRAY(v) (V_VT(v) & VT_ARRAY)
#define V_UI1(v) ((v)->bVal)
#define V_I2(v) ((v)->iVal)
#define V_UI2(v) ((v)->uiVal)
#define V_I4(v) ((v)->lVal)
#define V_UI4(v) ((v)->ulVal)
#define V_I8(v) ((v)->llVal)
#define V_UI8(v) ((v)->ullVal)
#define V_INT(v) ((v)->intVal)
#define V_UINT(v) ((v)->uintVal)
#define V_R4(v) ((v)->fltVal)
#define V_R8(v) ((v)->dblVal)
#define V_CY(v) ((v)->cyVal)
#define V_DATE(v) ((v)->date)
#define V_BSTR(v) ((v)->bstrVal)
#define V_BOOL(v) ((v)->boolVal)
#define V_ERROR(v) ((v)->scode)
#define V_UNKNOWN(v) ((v)->punkVal)
#define V_DISPATCH(v) ((v)->pdispVal)
#define V_ARRAY(v) ((v)->parray)
#define V_BYREF(v) ((v)->byref)
#define V_VARIANTREF(v) ((v)->pvarVal)
#define V_DECIMAL(v) ((v)->decVal)

#if (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L) || (defined(__cplusplus) && __cplusplus >= 201103L)
#ifdef __cplusplus
#define MARSHAL_OLEAUT_ASSERT(e, m) static_assert(e, m)
#else
#define MARSHAL_OLEAUT_ASSERT(e, m) _Static_assert(e, m)
#endif
MARSHAL_OLEAUT_ASSERT(sizeof(VARIANT) == 8 + 2 * sizeof(void *), "VARIANT is 24 bytes on 64-bit, 16 on 32-bit");
MARSHAL_OLEAUT_ASSERT(offsetof(VARIANT, lVal) == 8, "the VARIANT payload is at offset 8");
MARSHAL_OLEAUT_ASSERT(sizeof(DECIMAL) == 16 && offsetof(DECIMAL, Hi32) == 4 && offsetof(DECIMAL, Lo64) == 8,
                      "DECIMAL layout");
MARSHAL_OLEAUT_ASSERT(sizeof(CY) == 8, "CY is 8 bytes");
MARSHAL_OLEAUT_ASSERT(sizeof(SYSTEMTIME) == 16, "SYSTEMTIME is 8 WORDs");
MARSHAL_OLEAUT_ASSERT(sizeof(SAFEARRAYBOUND) == 8, "SAFEARRAYBOUND is 8 bytes");
MARSHAL_OLEAUT_ASSERT(offsetof(SAFEARRAY, pvData) == 16 || sizeof(void *) != 8, "SAFEARRAY.pvData at 16");
MARSHAL_OLEAUT_ASSERT(offsetof(SAFEARRAY, rgsabound) == 8 + 2 * sizeof(void *) || sizeof(void *) != 8,
                      "SAFEARRAY.rgsabound at 24");
#undef MARSHAL_OLEAUT_ASSERT
#endif

/* ---- symbol prefix ------------------------------------------------------------------ */

#ifdef MARSHAL_OLEAUT_PREFIXED
#define SysAllocString marshal_SysAllocString
#define SysAllocStringLen marshal_SysAllocStringLen
#define SysAllocStringByteLen marshal_SysAllocStringByteLen
#define SysReAllocString marshal_SysReAllocString
#define SysReAllocStringLen marshal_SysReAllocStringLen
#define SysFreeString marshal_SysFreeString
#define SysStringLen marshal_SysStringLen
#define SysStringByteLen marshal_SysStringByteLen
#define VariantInit marshal_VariantInit
#define VariantClear marshal_VariantClear
#define VariantCopy marshal_VariantCopy
#define VariantCopyInd marshal_VariantCopyInd
#define VariantChangeType marshal_VariantChangeType
#define VariantChangeTypeEx marshal_VariantChangeTypeEx
#define SafeArrayCreate marshal_SafeArrayCreate
#define SafeArrayCreateVector marshal_SafeArrayCreateVector
#define SafeArrayDestroy marshal_SafeArrayDestroy
#define SafeArrayDestroyData marshal_SafeArrayDestroyData
#define SafeArrayDestroyDescriptor marshal_SafeArrayDestroyDescriptor
#define SafeArrayAllocDescriptor marshal_SafeArrayAllocDescriptor
#define SafeArrayAllocDescriptorEx marshal_SafeArrayAllocDescriptorEx
#define SafeArrayAllocData marshal_SafeArrayAllocData
#define SafeArrayGetDim marshal_SafeArrayGetDim
#define SafeArrayGetElemsize marshal_SafeArrayGetElemsize
#define SafeArrayGetLBound marshal_SafeArrayGetLBound
#define SafeArrayGetUBound marshal_SafeArrayGetUBound
#define SafeArrayGetElement marshal_SafeArrayGetElement
#define SafeArrayPutElement marshal_SafeArrayPutElement
#define SafeArrayPtrOfIndex marshal_SafeArrayPtrOfIndex
#define SafeArrayAccessData marshal_SafeArrayAccessData
#define SafeArrayUnaccessData marshal_SafeArrayUnaccessData
#define SafeArrayLock marshal_SafeArrayLock
#define SafeArrayUnlock marshal_SafeArrayUnlock
#define SafeArrayCopy marshal_SafeArrayCopy
#define SafeArrayCopyData marshal_SafeArrayCopyData
#define SafeArrayRedim marshal_SafeArrayRedim
#define SafeArrayGetVartype marshal_SafeArrayGetVartype
#define BstrFromVector marshal_BstrFromVector
#define VectorFromBstr marshal_VectorFromBstr
#define VarBstrFromUI1 marshal_VarBstrFromUI1
#define VarBstrFromI2 marshal_VarBstrFromI2
#define VarBstrFromI4 marshal_VarBstrFromI4
#define VarBstrFromI8 marshal_VarBstrFromI8
#define VarBstrFromUI2 marshal_VarBstrFromUI2
#define VarBstrFromUI4 marshal_VarBstrFromUI4
#define VarBstrFromUI8 marshal_VarBstrFromUI8
#define VarBstrFromR4 marshal_VarBstrFromR4
#define VarBstrFromR8 marshal_VarBstrFromR8
#define VarBstrFromCy marshal_VarBstrFromCy
#define VarBstrFromDate marshal_VarBstrFromDate
#define VarBstrFromBool marshal_VarBstrFromBool
#define VarBstrFromDec marshal_VarBstrFromDec
#define VarUI1FromStr marshal_VarUI1FromStr
#define VarI2FromStr marshal_VarI2FromStr
#define VarI4FromStr marshal_VarI4FromStr
#define VarI8FromStr marshal_VarI8FromStr
#define VarUI2FromStr marshal_VarUI2FromStr
#define VarUI4FromStr marshal_VarUI4FromStr
#define VarUI8FromStr marshal_VarUI8FromStr
#define VarR4FromStr marshal_VarR4FromStr
#define VarR8FromStr marshal_VarR8FromStr
#define VarCyFromStr marshal_VarCyFromStr
#define VarDecFromStr marshal_VarDecFromStr
#define VarDateFromStr marshal_VarDateFromStr
#define VarBoolFromStr marshal_VarBoolFromStr
#define VarDecFromR8 marshal_VarDecFromR8
#define VarR8FromDec marshal_VarR8FromDec
#define VarCyFromR8 marshal_VarCyFromR8
#define VarR8FromCy marshal_VarR8FromCy
#define VarDecFromCy marshal_VarDecFromCy
#define VarCyFromDec marshal_VarCyFromDec
#define VariantTimeToSystemTime marshal_VariantTimeToSystemTime
#define SystemTimeToVariantTime marshal_SystemTimeToVariantTime
#define CoTaskMemAlloc marshal_CoTaskMemAlloc
#define CoTaskMemRealloc marshal_CoTaskMemRealloc
#define CoTaskMemFree marshal_CoTaskMemFree
#endif

/* ---- exports (one per line; tests/header.rs reads them) ----------------------------- */

#define MARSHAL_OLEAUT_API __attribute__((visibility("default")))

/* BSTR */
MARSHAL_OLEAUT_API BSTR SysAllocString(LPCOLESTR psz);
MARSHAL_OLEAUT_API BSTR SysAllocStringLen(LPCOLESTR strIn, UINT ui);
MARSHAL_OLEAUT_API BSTR SysAllocStringByteLen(LPCSTR psz, UINT len);
MARSHAL_OLEAUT_API INT SysReAllocString(BSTR *pbstr, LPCOLESTR psz);
MARSHAL_OLEAUT_API INT SysReAllocStringLen(BSTR *pbstr, LPCOLESTR psz, UINT len);
MARSHAL_OLEAUT_API void SysFreeString(BSTR bstrString);
MARSHAL_OLEAUT_API UINT SysStringLen(BSTR pbstr);
MARSHAL_OLEAUT_API UINT SysStringByteLen(BSTR bstr);

/* VARIANT */
MARSHAL_OLEAUT_API void VariantInit(VARIANTARG *pvarg);
MARSHAL_OLEAUT_API HRESULT VariantClear(VARIANTARG *pvarg);
MARSHAL_OLEAUT_API HRESULT VariantCopy(VARIANTARG *pvargDest, const VARIANTARG *pvargSrc);
MARSHAL_OLEAUT_API HRESULT VariantCopyInd(VARIANT *pvarDest, const VARIANTARG *pvargSrc);
MARSHAL_OLEAUT_API HRESULT VariantChangeType(VARIANTARG *pvargDest, const VARIANTARG *pvarSrc, USHORT wFlags, VARTYPE vt);
MARSHAL_OLEAUT_API HRESULT VariantChangeTypeEx(VARIANTARG *pvargDest, const VARIANTARG *pvarSrc, LCID lcid, USHORT wFlags, VARTYPE vt);

/* SAFEARRAY */
MARSHAL_OLEAUT_API SAFEARRAY *SafeArrayCreate(VARTYPE vt, UINT cDims, SAFEARRAYBOUND *rgsabound);
MARSHAL_OLEAUT_API SAFEARRAY *SafeArrayCreateVector(VARTYPE vt, LONG lLbound, ULONG cElements);
MARSHAL_OLEAUT_API HRESULT SafeArrayDestroy(SAFEARRAY *psa);
MARSHAL_OLEAUT_API HRESULT SafeArrayDestroyData(SAFEARRAY *psa);
MARSHAL_OLEAUT_API HRESULT SafeArrayDestroyDescriptor(SAFEARRAY *psa);
MARSHAL_OLEAUT_API HRESULT SafeArrayAllocDescriptor(UINT cDims, SAFEARRAY **ppsaOut);
MARSHAL_OLEAUT_API HRESULT SafeArrayAllocDescriptorEx(VARTYPE vt, UINT cDims, SAFEARRAY **ppsaOut);
MARSHAL_OLEAUT_API HRESULT SafeArrayAllocData(SAFEARRAY *psa);
MARSHAL_OLEAUT_API UINT SafeArrayGetDim(SAFEARRAY *psa);
MARSHAL_OLEAUT_API UINT SafeArrayGetElemsize(SAFEARRAY *psa);
MARSHAL_OLEAUT_API HRESULT SafeArrayGetLBound(SAFEARRAY *psa, UINT nDim, LONG *plLbound);
MARSHAL_OLEAUT_API HRESULT SafeArrayGetUBound(SAFEARRAY *psa, UINT nDim, LONG *plUbound);
MARSHAL_OLEAUT_API HRESULT SafeArrayGetElement(SAFEARRAY *psa, LONG *rgIndices, void *pv);
MARSHAL_OLEAUT_API HRESULT SafeArrayPutElement(SAFEARRAY *psa, LONG *rgIndices, void *pv);
MARSHAL_OLEAUT_API HRESULT SafeArrayPtrOfIndex(SAFEARRAY *psa, LONG *rgIndices, void **ppvData);
MARSHAL_OLEAUT_API HRESULT SafeArrayAccessData(SAFEARRAY *psa, void **ppvData);
MARSHAL_OLEAUT_API HRESULT SafeArrayUnaccessData(SAFEARRAY *psa);
MARSHAL_OLEAUT_API HRESULT SafeArrayLock(SAFEARRAY *psa);
MARSHAL_OLEAUT_API HRESULT SafeArrayUnlock(SAFEARRAY *psa);
MARSHAL_OLEAUT_API HRESULT SafeArrayCopy(SAFEARRAY *psa, SAFEARRAY **ppsaOut);
MARSHAL_OLEAUT_API HRESULT SafeArrayCopyData(SAFEARRAY *psaSource, SAFEARRAY *psaTarget);
MARSHAL_OLEAUT_API HRESULT SafeArrayRedim(SAFEARRAY *psa, SAFEARRAYBOUND *psaboundNew);
MARSHAL_OLEAUT_API HRESULT SafeArrayGetVartype(SAFEARRAY *psa, VARTYPE *pvt);
MARSHAL_OLEAUT_API HRESULT BstrFromVector(SAFEARRAY *psa, BSTR *pbstr);
MARSHAL_OLEAUT_API HRESULT VectorFromBstr(BSTR bstr, SAFEARRAY **ppsa);

/* Var*From* */
MARSHAL_OLEAUT_API HRESULT VarBstrFromUI1(BYTE bVal, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarBstrFromI2(SHORT iVal, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarBstrFromI4(LONG lIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarBstrFromI8(LONG64 i64In, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarBstrFromUI2(USHORT uiIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarBstrFromUI4(ULONG ulIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarBstrFromUI8(ULONG64 ui64In, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarBstrFromR4(FLOAT fltIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarBstrFromR8(DOUBLE dblIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarBstrFromCy(CY cyIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarBstrFromDate(DATE dateIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarBstrFromBool(VARIANT_BOOL boolIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarBstrFromDec(const DECIMAL *pdecIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
MARSHAL_OLEAUT_API HRESULT VarUI1FromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, BYTE *pbOut);
MARSHAL_OLEAUT_API HRESULT VarI2FromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, SHORT *psOut);
MARSHAL_OLEAUT_API HRESULT VarI4FromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, LONG *plOut);
MARSHAL_OLEAUT_API HRESULT VarI8FromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, LONG64 *pi64Out);
MARSHAL_OLEAUT_API HRESULT VarUI2FromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, USHORT *puiOut);
MARSHAL_OLEAUT_API HRESULT VarUI4FromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, ULONG *pulOut);
MARSHAL_OLEAUT_API HRESULT VarUI8FromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, ULONG64 *pi64Out);
MARSHAL_OLEAUT_API HRESULT VarR4FromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, FLOAT *pfltOut);
MARSHAL_OLEAUT_API HRESULT VarR8FromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, DOUBLE *pdblOut);
MARSHAL_OLEAUT_API HRESULT VarCyFromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, CY *pcyOut);
MARSHAL_OLEAUT_API HRESULT VarDecFromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, DECIMAL *pdecOut);
MARSHAL_OLEAUT_API HRESULT VarDateFromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, DATE *pdateOut);
MARSHAL_OLEAUT_API HRESULT VarBoolFromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, VARIANT_BOOL *pboolOut);
MARSHAL_OLEAUT_API HRESULT VarDecFromR8(DOUBLE dblIn, DECIMAL *pdecOut);
MARSHAL_OLEAUT_API HRESULT VarR8FromDec(const DECIMAL *pdecIn, DOUBLE *pdblOut);
MARSHAL_OLEAUT_API HRESULT VarCyFromR8(DOUBLE dblIn, CY *pcyOut);
MARSHAL_OLEAUT_API HRESULT VarR8FromCy(CY cyIn, DOUBLE *pdblOut);
MARSHAL_OLEAUT_API HRESULT VarDecFromCy(CY cyIn, DECIMAL *pdecOut);
MARSHAL_OLEAUT_API HRESULT VarCyFromDec(const DECIMAL *pdecIn, CY *pcyOut);

/* DATE <-> SYSTEMTIME */
MARSHAL_OLEAUT_API INT VariantTimeToSystemTime(DOUBLE vtime, LPSYSTEMTIME lpSystemTime);
MARSHAL_OLEAUT_API INT SystemTimeToVariantTime(LPSYSTEMTIME lpSystemTime, DOUBLE *pvtime);

/* CoTaskMem (the C heap: malloc/realloc/free) */
MARSHAL_OLEAUT_API LPVOID CoTaskMemAlloc(SIZE_T cb);
MARSHAL_OLEAUT_API LPVOID CoTaskMemRealloc(LPVOID pv, SIZE_T cb);
MARSHAL_OLEAUT_API void CoTaskMemFree(LPVOID pv);

#ifdef __cplusplus
}
#endif

#endif /* MARSHAL_OLEAUT_H */
