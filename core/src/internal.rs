//! Entry points for fuzz targets and tests; not part of the public API.

/// Shims that fuzz targets call; each must never panic, whatever the input.
pub mod fuzzing {
    use crate::jcs;
    use crate::Limits;

    /// Parses `data` strictly and canonicalizes it; checks the invariants that must hold.
    ///
    /// The tree path and the streaming path must agree, and canonical output must be a fixed
    /// point that `parse_canonical` accepts.
    #[expect(
        clippy::panic,
        reason = "a broken invariant is what the fuzzer looks for"
    )]
    pub fn jcs_parse(data: &[u8]) {
        let limits = Limits::default();
        let tree = jcs::parse(data, &limits);
        let stream = jcs::canonicalize(data, &limits);
        match (tree, stream) {
            (Ok(value), Ok(bytes)) => {
                if jcs::to_vec(&value) != bytes {
                    panic!("tree and stream canonical forms differ");
                }
                if jcs::parse_canonical(&bytes, &limits).is_err() {
                    panic!("canonical output is not accepted as canonical");
                }
            }
            (Err(a), Err(b)) if a == b => {}
            (a, b) => panic!("tree and stream disagree: {:?} vs {:?}", a.err(), b.err()),
        }
    }
}
