//! FxHash (rustc's): the fast hash of the replay's VM and vNode id maps,
//! whose keys come from the trace being replayed, not from an adversary.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The hasher: one rotate, xor and multiply per 8 bytes.
#[derive(Default, Clone, Copy)]
pub(super) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with [`FxHasher`].
pub(super) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    fn hash(s: &str) -> u64 {
        let mut h = FxHasher::default();
        s.hash(&mut h);
        h.finish()
    }

    #[test]
    fn equal_keys_hash_equal_and_neighbours_differ() {
        assert_eq!(hash("subset-2.0"), hash("subset-2.0"));
        assert_ne!(hash("subset-2.0"), hash("subset-3.0"));
        // Past the 8-byte chunks, the tail bytes count too.
        assert_ne!(hash("0123456789a"), hash("0123456789b"));
        let mut m: FastMap<String, u32> = FastMap::default();
        m.insert("ua".into(), 1);
        m.insert("ub".into(), 2);
        assert_eq!(
            (m.get("ua"), m.get("ub"), m.get("uc")),
            (Some(&1), Some(&2), None)
        );
    }
}
