//! Compile-time behaviour of `#[firewall]`: what must build, and the error
//! each misuse gets (the `.stderr` files next to the fixtures).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
