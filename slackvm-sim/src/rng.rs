//! The project's seeded random stream. ChaCha8 (rand_chacha) produces the
//! raw 64-bit words, a fixed algorithm whose stream does not change across
//! crate versions; every conversion to integers, floats, shuffles and laws
//! is written here, so no distribution code from another crate can change
//! our outputs. Derive independent streams with [`Rng::derive`].

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// A deterministic random stream.
#[derive(Debug, Clone)]
pub struct Rng {
    inner: ChaCha8Rng,
}

impl Rng {
    /// A stream from a seed.
    pub fn new(seed: u64) -> Self {
        Rng {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// An independent stream for a sub-task, keyed by a label and a number
    /// (e.g. `("cell", 17)`), stable whatever order tasks run in.
    pub fn derive(seed: u64, label: &str, index: u64) -> Self {
        // FNV-1a over the label, mixed with seed and index (SplitMix64 finaliser).
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in label.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let mut z = seed ^ h.rotate_left(17) ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng::new(z ^ (z >> 31))
    }

    /// Next raw 64-bit word.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform integer in `[0, bound)` (bound > 0), unbiased (Lemire).
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "below(0)");
        loop {
            let x = self.next_u64();
            let m = u128::from(x) * u128::from(bound);
            let low = m as u64;
            if low >= bound.wrapping_neg() % bound {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform integer in `[lo, hi]`.
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi, "empty range");
        if hi - lo == u64::MAX {
            return self.next_u64();
        }
        lo + self.below(hi - lo + 1)
    }

    /// Uniform float in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform float in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Standard normal draw (Box-Muller, one value per call).
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]
        let u2 = self.unit();
        mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Weibull draw with shape `k` and scale `lambda`.
    pub fn weibull(&mut self, k: f64, lambda: f64) -> f64 {
        let u = 1.0 - self.unit();
        lambda * (-u.ln()).powf(1.0 / k)
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn stream_is_pinned() {
        // Guards against a dependency update changing the raw stream: these
        // words are ChaCha8 seeded from 42 through `seed_from_u64`.
        let mut r = Rng::new(42);
        let words: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        let again: Vec<u64> = {
            let mut r = Rng::new(42);
            (0..3).map(|_| r.next_u64()).collect()
        };
        assert_eq!(words, again);
        assert_eq!(words, PINNED.to_vec());
    }

    const PINNED: [u64; 3] = [
        12578764544318200737,
        17529487244874322312,
        7886285670807131020,
    ];

    #[test]
    fn below_stays_in_range_and_shuffle_permutes() {
        let mut r = Rng::new(7);
        for b in 1..50 {
            assert!(r.below(b) < b);
        }
        let mut v: Vec<u32> = (0..20).collect();
        r.shuffle(&mut v);
        let mut s = v.clone();
        s.sort_unstable();
        assert_eq!(s, (0..20).collect::<Vec<_>>());
    }
}
