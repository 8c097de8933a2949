//! The engine's own PRNG, for its random samples (pairs for `u`, the training sample of an
//! index): SplitMix64 (Steele, Lea & Flood 2014), tiny and the same on every platform, so a seed
//! gives the same model everywhere. Not for anything secret.
//!
//! The same generator as `pulang_demo::SplitMix64`, kept here so the engine depends on no
//! generator of demo data; the reference values below pin the sequence.

#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0), by multiply-shift; the bias is negligible for small `n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `percent`/100.
    #[cfg(test)]
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        // First outputs for seed 1234567 from the reference implementation.
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
        assert_eq!(r.next_u64(), 9817491932198370423);
    }

    #[test]
    fn same_sequence_as_the_demo_generator() {
        let (mut a, mut b) = (SplitMix64::new(42), pulang_demo::SplitMix64::new(42));
        for _ in 0..1000 {
            assert_eq!(a.below(1_000_003), b.below(1_000_003));
        }
    }
}
