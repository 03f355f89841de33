//! `#[derive(Marshal)]` refuses contradictory attributes at compile time: the
//! syntax errors name the attribute, the layout errors (a reference field
//! overlapping another or misaligned in explicit layout) fail the layout constant.
//! The expected messages are in `tests/ui/*.stderr`.

#[test]
fn contradictory_attributes_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
