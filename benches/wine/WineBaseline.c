/* Wine's oleaut32 on the report's inputs, timed the way the report times the engine (calibrated batches,
 * median ns per operation). Built and run by the report binary when wine64 and mingw-w64 are installed:
 *   x86_64-w64-mingw32-gcc -O2 -o WineBaseline.exe WineBaseline.c -loleaut32
 *   wine64 WineBaseline.exe BUDGET_MS < texts
 * stdin holds the report's string inputs, each framed as  NAME '\n' UTF8_BYTE_COUNT '\n' UTF8_BYTES.
 * Prints one line per operation:  CONVERSION|INPUT <TAB> ns [<TAB> answer]
 * keyed by the report's (conversion, input) strings (UTF-8, as in benches/src/suite_ole.rs), so the report
 * attaches the figure to its own row. The answer (what oleaut32 produced) lets the report check that Wine and
 * the engine computed the same thing: "BSTR <text>", "I4 <n>", "R8 <%.17g>", "DATE <%.17g>", "hr 0x<hresult>"
 * for a failed coercion, "<n> units" for a BSTR of n UTF-16 units.
 * A first line "#wine <version>" names the Wine that ran. Exit status 1 (message on stderr) if an operation
 * fails while timed or a SAFEARRAY reads back other values than it stored. */
#include <windows.h>
#include <oleauto.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile LONGLONG sink; /* keeps every result observable, like the report's black_box */

static double elapsed_ms(LARGE_INTEGER t0, LARGE_INTEGER freq) {
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    return (double)(t.QuadPart - t0.QuadPart) * 1e3 / (double)freq.QuadPart;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The report's measure(): warm up and calibrate the batch to ~budget/40, then up to 21 samples (at least 5)
 * within the budget; the median of the per-operation times. */
static double measure(void (*op)(void *), void *ctx, int budget_ms) {
    LARGE_INTEGER freq, t0;
    QueryPerformanceFrequency(&freq);
    double target = budget_ms / 40.0;
    LONGLONG batch = 1;
    for (;;) {
        QueryPerformanceCounter(&t0);
        for (LONGLONG i = 0; i < batch; i++) op(ctx);
        double ms = elapsed_ms(t0, freq);
        if (ms >= target || batch >= (1LL << 30)) break;
        if (ms <= 0) {
            batch *= 16;
        } else {
            LONGLONG scaled = (LONGLONG)(batch * target / ms / 2);
            batch = scaled > batch * 2 ? scaled : batch * 2;
        }
    }
    double samples[21];
    int n = 0;
    LARGE_INTEGER start;
    QueryPerformanceCounter(&start);
    while (n < 21 && (n < 5 || elapsed_ms(start, freq) < budget_ms)) {
        QueryPerformanceCounter(&t0);
        for (LONGLONG i = 0; i < batch; i++) op(ctx);
        samples[n++] = elapsed_ms(t0, freq) * 1e6 / (double)batch;
    }
    qsort(samples, n, sizeof samples[0], compare_doubles);
    return samples[n / 2];
}

static void fail(const char *what, HRESULT hr) {
    fprintf(stderr, "WineBaseline: %s failed (hr 0x%08lx)\n", what, (unsigned long)hr);
    exit(1);
}

/* UTF-16 → UTF-8 for an answer; control characters become '?' so that the line stays one line. */
static void print_utf8(const WCHAR *s, UINT n) {
    int len = n ? WideCharToMultiByte(CP_UTF8, 0, s, (int)n, NULL, 0, NULL, NULL) : 0;
    char *out = malloc((size_t)len + 1);
    if (!out) fail("malloc", E_OUTOFMEMORY);
    if (len) WideCharToMultiByte(CP_UTF8, 0, s, (int)n, out, len, NULL, NULL);
    for (int i = 0; i < len; i++)
        if ((unsigned char)out[i] < 0x20) out[i] = '?';
    fwrite(out, 1, (size_t)len, stdout);
    free(out);
}

static void emit(const char *key, double ns) { printf("%s\t%.17g", key, ns); }

/* ---- VariantChangeType ----------------------------------------------------------------------------------
 * LOCALE_USER_DEFAULT, as anchors.md measured: the report runs Wine with LC_ALL=C.UTF-8, which Wine maps to
 * en-US, the locale the engine's change_type formats and parses in (the printed answers show it). */

struct coercion {
    VARIANT src; /* made once, as the report's source Variant */
    VARTYPE to;
};

/* The report's case: change_type builds the result, which is dropped (VariantClear). */
static void coerce_once(void *p) {
    struct coercion *c = p;
    VARIANT dst;
    VariantInit(&dst);
    HRESULT hr = VariantChangeType(&dst, &c->src, 0, c->to);
    if (FAILED(hr)) fail("VariantChangeType", hr);
    sink += V_VT(&dst);
    VariantClear(&dst);
}

static void print_answer(const struct coercion *c) {
    VARIANT dst;
    VariantInit(&dst);
    HRESULT hr = VariantChangeType(&dst, (VARIANT *)&c->src, 0, c->to);
    if (FAILED(hr)) {
        printf("hr 0x%08lx", (unsigned long)hr);
        return;
    }
    switch (V_VT(&dst)) {
    case VT_BSTR: printf("BSTR "); print_utf8(V_BSTR(&dst), SysStringLen(V_BSTR(&dst))); break;
    case VT_I4: printf("I4 %ld", (long)V_I4(&dst)); break;
    case VT_R8: printf("R8 %.17g", V_R8(&dst)); break;
    case VT_DATE: printf("DATE %.17g", V_DATE(&dst)); break;
    default: printf("vt %u", V_VT(&dst)); break;
    }
    VariantClear(&dst);
}

static void coercion(const char *key, VARIANT src, VARTYPE to, int budget_ms) {
    struct coercion c = {src, to};
    coerce_once(&c); /* fails loudly before timing if oleaut32 refuses */
    emit(key, measure(coerce_once, &c, budget_ms));
    putchar('\t');
    print_answer(&c);
    putchar('\n');
    VariantClear(&c.src);
}

static VARIANT v_i4(LONG x) { VARIANT v; VariantInit(&v); V_VT(&v) = VT_I4; V_I4(&v) = x; return v; }
static VARIANT v_r8(double x) { VARIANT v; VariantInit(&v); V_VT(&v) = VT_R8; V_R8(&v) = x; return v; }
static VARIANT v_date(double x) { VARIANT v; VariantInit(&v); V_VT(&v) = VT_DATE; V_DATE(&v) = x; return v; }
static VARIANT v_bstr(const WCHAR *s) {
    VARIANT v;
    VariantInit(&v);
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = SysAllocString(s);
    if (!V_BSTR(&v)) fail("SysAllocString", E_OUTOFMEMORY);
    return v;
}

/* ---- SAFEARRAY ------------------------------------------------------------------------------------------ */

/* 1000 × VT_I4: create, put each index, get each back (summed), destroy; as the report's case. */
static void safearray_i4(void *unused) {
    (void)unused;
    SAFEARRAY *sa = SafeArrayCreateVector(VT_I4, 0, 1000);
    if (!sa) fail("SafeArrayCreateVector", E_OUTOFMEMORY);
    HRESULT hr;
    for (LONG i = 0; i < 1000; i++)
        if (FAILED(hr = SafeArrayPutElement(sa, &i, &i))) fail("SafeArrayPutElement", hr);
    LONGLONG sum = 0;
    for (LONG i = 0; i < 1000; i++) {
        LONG x;
        if (FAILED(hr = SafeArrayGetElement(sa, &i, &x))) fail("SafeArrayGetElement", hr);
        sum += x;
    }
    if (sum != 999LL * 1000 / 2) fail("SAFEARRAY read-back (sum of 0..999)", E_FAIL);
    sink += sum;
    if (FAILED(hr = SafeArrayDestroy(sa))) fail("SafeArrayDestroy", hr);
}

/* ---- BSTR ----------------------------------------------------------------------------------------------- */

struct units {
    const WCHAR *p;
    UINT n;
};

/* The report's "UTF-16→BSTR": allocate a BSTR holding the units, then free it. */
static void bstr_alloc_free(void *p) {
    struct units *u = p;
    BSTR b = SysAllocStringLen(u->p, u->n);
    if (!b) fail("SysAllocStringLen", E_OUTOFMEMORY);
    sink += b[0];
    SysFreeString(b);
}

/* The report's "VARIANT create+clear": a VT_BSTR VARIANT made from the units, then VariantClear. */
static void variant_bstr_create_clear(void *p) {
    struct units *u = p;
    VARIANT v;
    VariantInit(&v);
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = SysAllocStringLen(u->p, u->n);
    if (!V_BSTR(&v)) fail("SysAllocStringLen", E_OUTOFMEMORY);
    sink += V_BSTR(&v)[0];
    VariantClear(&v);
}

/* Reads the framed string inputs from stdin and times SysAllocStringLen + SysFreeString of each. */
static void bstr_inputs(int budget_ms) {
    char name[256];
    while (fgets(name, sizeof name, stdin)) {
        name[strcspn(name, "\r\n")] = 0;
        unsigned long len;
        if (scanf("%lu", &len) != 1 || getchar() != '\n') fail("reading the input framing", E_INVALIDARG);
        char *utf8 = malloc(len + 1);
        if (!utf8 || fread(utf8, 1, len, stdin) != len) fail("reading an input", E_INVALIDARG);
        int n = len ? MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, (int)len, NULL, 0) : 0;
        WCHAR *w = malloc(((size_t)n + 1) * sizeof(WCHAR));
        if (!w || (len && n == 0)) fail("decoding an input as UTF-8", E_INVALIDARG);
        if (n) MultiByteToWideChar(CP_UTF8, 0, utf8, (int)len, w, n);
        struct units u = {w, (UINT)n};
        char key[300];
        snprintf(key, sizeof key, "UTF-16→BSTR|%s", name);
        emit(key, measure(bstr_alloc_free, &u, budget_ms));
        printf("\t%d units\n", n);
        free(w);
        free(utf8);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: WineBaseline.exe BUDGET_MS < texts\n");
        return 2;
    }
    int budget = atoi(argv[1]);
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stdin), _O_BINARY);

    const char *(*wine_get_version)(void) =
        (const char *(*)(void))(void (*)(void))GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version");
    printf("#wine %s\n", wine_get_version ? wine_get_version() : "(not Wine)");

    /* benches/src/suite_ole.rs: change_type_pairs(), same inputs, same keys. */
    coercion("VariantChangeType|I4→BSTR 123456789", v_i4(123456789), VT_BSTR, budget);
    coercion("VariantChangeType|BSTR→R8 \"1234.5678\"", v_bstr(L"1234.5678"), VT_R8, budget);
    coercion("VariantChangeType|R8→I4 1234.5678", v_r8(1234.5678), VT_I4, budget);
    coercion("VariantChangeType|DATE→BSTR 2024-03-15 13:45:30", v_date(45366.5732638889), VT_BSTR, budget);
    coercion("VariantChangeType|R8→BSTR 1234.5678", v_r8(1234.5678), VT_BSTR, budget);
    coercion("VariantChangeType|BSTR→DATE \"3/15/2024 1:45:30 PM\"", v_bstr(L"3/15/2024 1:45:30 PM"), VT_DATE, budget);

    struct units s32 = {L"0123456789abcdef0123456789abcdef", 32};
    emit("VARIANT create+clear|BSTR of 32 chars", measure(variant_bstr_create_clear, &s32, budget));
    printf("\t32 units\n");

    safearray_i4(NULL);
    emit("SAFEARRAY|1000 × I4 create+put+get+destroy", measure(safearray_i4, NULL, budget));
    printf("\tsum 499500\n");

    bstr_inputs(budget);
    fflush(stdout);
    return 0;
}
