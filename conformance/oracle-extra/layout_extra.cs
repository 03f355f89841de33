// Extra layout cases for the project's conformance set (oracle run.sh EXTRA_CS).
// Added to the base "layout" section so curate.py's layout rules give them verdicts;
// scripts/record-extra-layout.sh keeps only these lines, in vectors-extra/mono_layout_extra.jsonl.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace LX {
[StructLayout(LayoutKind.Sequential, Pack = 8)] public struct X_Inner8 { public byte a; public long b; }
[StructLayout(LayoutKind.Sequential, Pack = 2)] public struct X_Pack2Outer { public byte a; public X_Inner8 inner; public short c; }
[StructLayout(LayoutKind.Sequential, Pack = 4)] public struct X_Pack4Mix { public byte a; public double d; public short s; public long l; }
[StructLayout(LayoutKind.Explicit, Pack = 4)] public struct X_ExplicitP4 { [FieldOffset(0)] public byte a; [FieldOffset(4)] public double d; [FieldOffset(12)] public int i; }
[StructLayout(LayoutKind.Sequential, Pack = 1, Size = 12)] public struct X_P1Size12 { public byte a; public int b; }
[StructLayout(LayoutKind.Sequential)] public struct X_Deep3 { public short s; public X_Deep2 d2; public byte tail; }
[StructLayout(LayoutKind.Sequential)] public struct X_Deep2 { public byte b; public X_Deep1 d1; }
[StructLayout(LayoutKind.Sequential)] public struct X_Deep1 { public float f; public double d; }
[StructLayout(LayoutKind.Sequential, Pack = 4)] public struct X_PtrP4 { public byte a; public IntPtr p; public byte z; }
[StructLayout(LayoutKind.Sequential, Pack = 1)] public struct X_GuidP1 { public byte a; public Guid g; public short s; }
[StructLayout(LayoutKind.Explicit)] public struct X_Union3 { [FieldOffset(0)] public long l; [FieldOffset(0)] public double d; [FieldOffset(0)] public uint u; [FieldOffset(8)] public byte tag; }
[StructLayout(LayoutKind.Sequential, Pack = 2)] public struct X_ArrStructP2 { public byte a; [MarshalAs(UnmanagedType.ByValArray, SizeConst = 3)] public X_Inner8[] items; }
[StructLayout(LayoutKind.Sequential, Pack = 1)] public struct X_BoolsP1 { public byte a; [MarshalAs(UnmanagedType.U1)] public bool b; public bool c; [MarshalAs(UnmanagedType.VariantBool)] public bool d; }
[StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode, Pack = 2)] public struct X_UniP2 { public byte a; public char c; [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 5)] public string s; public int n; }
[StructLayout(LayoutKind.Sequential)] public struct X_ShortsAndDouble { public short a; public short b; public short c; public double d; public short e; }
}

public static class ExtraLayoutCases {
    public static void RegisterExtra(string section, List<Case> l) {
        if (section != "layout") return;
        foreach (var t in new[] {
            typeof(LX.X_Pack2Outer), typeof(LX.X_Pack4Mix), typeof(LX.X_ExplicitP4), typeof(LX.X_P1Size12),
            typeof(LX.X_Deep3), typeof(LX.X_PtrP4), typeof(LX.X_GuidP1), typeof(LX.X_Union3),
            typeof(LX.X_ArrStructP2), typeof(LX.X_BoolsP1), typeof(LX.X_UniP2), typeof(LX.X_ShortsAndDouble) })
            LayoutCases.AddType(l, t);
    }
}
