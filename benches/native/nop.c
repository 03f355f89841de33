/* The no-op callee of the P/Invoke call-overhead benchmarks (anchors.md §6:
 * `nop(int, double) -> int` in a gcc -O2 shared library, called through the PLT). */
int marshal_bench_nop(int a, double b) {
    (void)b;
    return a;
}
