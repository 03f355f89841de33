// Mono's marshaler on the report's inputs, timed the way the report times the engine
// (calibrated batches, median ns per operation). Built and run by the report binary when
// `mono` and `mcs` are installed:   mono MonoBaseline.exe DIR BUDGET_MS
// DIR holds the corpus texts as UTF-8 files named like the report's inputs (e.g. "4KiB euro.txt").
// Prints one line per operation: KEY <TAB> ns.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;

[StructLayout(LayoutKind.Sequential)]
public struct Blit32 { public int a, b, c, d; public double x, y; }

public static class MonoBaseline {
    static double Measure(Action op, int budgetMs) {
        var sw = new Stopwatch();
        long batch = 1;
        double target = budgetMs / 40.0;
        while (true) {
            sw.Restart();
            for (long i = 0; i < batch; i++) op();
            double ms = sw.Elapsed.TotalMilliseconds;
            if (ms >= target || batch >= (1L << 30)) break;
            batch = ms <= 0 ? batch * 16 : Math.Max(batch * 2, (long)(batch * target / ms / 2));
        }
        var samples = new List<double>();
        var total = Stopwatch.StartNew();
        while (samples.Count < 21 && (samples.Count < 5 || total.Elapsed.TotalMilliseconds < budgetMs)) {
            sw.Restart();
            for (long i = 0; i < batch; i++) op();
            samples.Add(sw.Elapsed.TotalMilliseconds * 1e6 / batch);
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }

    static void Emit(string key, double ns) { Console.WriteLine(key + "\t" + ns.ToString("R")); }

    public static int Main(string[] args) {
        string dir = args[0];
        int budget = int.Parse(args[1]);
        foreach (var file in Directory.GetFiles(dir, "*.txt")) {
            string input = Path.GetFileNameWithoutExtension(file);
            string s = File.ReadAllText(file, System.Text.Encoding.UTF8);
            IntPtr bstr = Marshal.StringToBSTR(s);
            IntPtr utf8 = Marshal.StringToCoTaskMemUTF8(s);
            Emit("UTF-16→BSTR|" + input, Measure(() => Marshal.FreeBSTR(Marshal.StringToBSTR(s)), budget));
            Emit("BSTR→UTF-16|" + input, Measure(() => Marshal.PtrToStringBSTR(bstr), budget));
            Emit("UTF-16→LPUTF8Str|" + input, Measure(() => Marshal.FreeCoTaskMem(Marshal.StringToCoTaskMemUTF8(s)), budget));
            Emit("LPUTF8Str→UTF-16|" + input, Measure(() => Marshal.PtrToStringUTF8(utf8), budget));
            Marshal.FreeBSTR(bstr);
            Marshal.FreeCoTaskMem(utf8);
        }
        var blit = new Blit32 { a = 1, b = 2, c = 3, d = 4, x = 5, y = 6 };
        IntPtr buf = Marshal.AllocHGlobal(32);
        Emit("struct/to_native|blittable 32 B from Value", Measure(() => {
            Marshal.StructureToPtr(blit, buf, false);
            Marshal.DestroyStructure(buf, typeof(Blit32));
        }, budget));
        IntPtr v = Marshal.AllocHGlobal(24);
        object i4 = -70000, r8 = 2.75, s32 = "0123456789abcdef0123456789abcdef";
        Emit("VARIANT from/to|i32 (VT_I4)", Measure(() => {
            Marshal.GetNativeVariantForObject(i4, v);
            Marshal.GetObjectForNativeVariant(v);
        }, budget));
        Emit("VARIANT from/to|f64 (VT_R8)", Measure(() => {
            Marshal.GetNativeVariantForObject(r8, v);
            Marshal.GetObjectForNativeVariant(v);
        }, budget));
        // Mono has no managed VariantClear: free the BSTR the VARIANT holds (offset 8).
        Emit("VARIANT create+clear|BSTR of 32 chars", Measure(() => {
            Marshal.GetNativeVariantForObject(s32, v);
            Marshal.FreeBSTR(Marshal.ReadIntPtr(v, 8));
        }, budget));
        Marshal.FreeHGlobal(buf);
        Marshal.FreeHGlobal(v);
        return 0;
    }
}
