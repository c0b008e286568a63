//! A map keyed by VM id with a fast hasher (the readers index ids by the
//! hundred thousand; the standard SipHash costs more than parsing a row).

/// A map keyed by VM id, with a fast (FxHash-style) hasher: looked up
/// only, never iterated, so its order never shows.
pub type IdMap<V> = std::collections::HashMap<String, V, std::hash::BuildHasherDefault<FxHasher>>;

/// The hasher of [`IdMap`]: rustc's FxHash (multiply-rotate per 8-byte
/// word) with a finaliser.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    /// The state through a full 64-bit finaliser (murmur3's fmix64): the
    /// multiply-rotate state has weak low bits, and hashbrown picks buckets
    /// by the low bits (without this, ids like `0`..`149999` collide by the
    /// thousand and lookups turn quadratic).
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, BuildHasherDefault};

    #[test]
    fn numeric_ids_spread_over_the_low_bits() {
        let b = BuildHasherDefault::<FxHasher>::default();
        let buckets: std::collections::HashSet<u64> = (0..4096)
            .map(|i| b.hash_one(i.to_string()) & 4095)
            .collect();
        // A uniform hash fills ~63% of 4096 buckets with 4096 keys.
        assert!(buckets.len() > 2300, "{} buckets", buckets.len());
    }
}
