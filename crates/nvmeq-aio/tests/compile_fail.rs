//! Misuse the futures forbid: each file under tests/ui must fail to compile
//! with the error recorded next to it.

#[test]
fn buffer_misuse_does_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
