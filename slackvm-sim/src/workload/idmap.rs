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

/// A hasher that passes a `u64` through (keys already hashed).
#[derive(Default, Clone, Copy)]
pub struct PassHasher(u64);

impl std::hash::Hasher for PassHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; anything else is folded in.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Index of VM ids that stores no copy of them: the 64-bit hash of an id
/// maps to its number, and the caller's own list of ids (`ids(n)`) settles
/// each lookup; an id whose hash another id already holds (about one in
/// 10^12 pairs) goes to a plain map. Looked up only, never iterated.
#[derive(Default)]
pub struct IdIndex {
    by_hash: std::collections::HashMap<u64, u32, std::hash::BuildHasherDefault<PassHasher>>,
    collided: IdMap<u32>,
}

impl IdIndex {
    fn hash(id: &str) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<FxHasher>::default().hash_one(id)
    }

    /// The number of `id`, if indexed; `ids(n)` is the id numbered `n`.
    #[inline]
    pub fn get<'a>(&self, id: &str, ids: impl Fn(u32) -> &'a str) -> Option<u32> {
        match self.by_hash.get(&Self::hash(id)) {
            Some(&n) if ids(n) == id => Some(n),
            Some(_) => self.collided.get(id).copied(),
            None => None,
        }
    }

    /// Indexes `id` (not indexed yet) as number `n`.
    #[inline]
    pub fn insert(&mut self, id: &str, n: u32) {
        match self.by_hash.entry(Self::hash(id)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(n);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collided.insert(id.to_string(), n);
            }
        }
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

    #[test]
    fn the_index_settles_lookups_and_hash_collisions_with_the_ids() {
        let ids: Vec<String> = (0..1000).map(|i| format!("vm-{i}")).collect();
        let mut ix = IdIndex::default();
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(ix.get(id, |k| &ids[k as usize]), None);
            ix.insert(id, n as u32);
        }
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(ix.get(id, |k| &ids[k as usize]), Some(n as u32));
        }
        assert_eq!(ix.get("vm-1000", |k| &ids[k as usize]), None);
        // A forced collision: an id whose hash slot holds another id.
        let h = IdIndex::hash("vm-0");
        let mut ix = IdIndex::default();
        ix.by_hash.insert(h, 5);
        ix.insert("vm-0", 7);
        let names = |k: u32| if k == 5 { "other" } else { "vm-0" };
        assert_eq!(ix.get("vm-0", names), Some(7));
    }
}
