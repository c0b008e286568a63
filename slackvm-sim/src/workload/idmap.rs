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
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
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

/// Index of VM ids that stores no copy of them: each id maps to the
/// caller's value `V` for that VM (its number, or a small record). Two
/// paths, each id in exactly one:
/// - dense: ids written as one common prefix (the first id's) followed by
///   a decimal number without leading zeros (`vm-0`, `vm-17`, `33403`)
///   are found through plain arrays indexed by that number, with one bit
///   per number saying whether it is taken (the spelling is a bijection,
///   so a hit needs no check of the id, and "is it new?" reads the bits,
///   a few KB, not the values);
/// - hashed: any other id, by the 64-bit hash of the id mapped to its
///   value, the caller's own list of ids (`ids(&value)`) settling each
///   lookup; an id whose hash another id already holds (about one in
///   10^12 pairs) goes to a plain map.
///
/// The dense arrays stay small: a number goes there only while it is
/// below `max(2^20, 4 x ids indexed)` (else the id is hashed). Looked up
/// only, never iterated.
pub struct IdIndex<V = u32> {
    /// The dense path's prefix (`None`: no numbered id indexed yet).
    prefix: Option<Box<[u8]>>,
    /// Dense path: numbers taken, one bit each.
    taken: Vec<u64>,
    /// Dense path: number -> value.
    dense: Vec<V>,
    /// Ids indexed.
    len: usize,
    by_hash: std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<PassHasher>>,
    collided: IdMap<V>,
}

impl<V> Default for IdIndex<V> {
    fn default() -> Self {
        IdIndex {
            prefix: None,
            taken: Vec::new(),
            dense: Vec::new(),
            len: 0,
            by_hash: Default::default(),
            collided: Default::default(),
        }
    }
}

/// Smallest bound of the dense path's numbers.
const DENSE_MIN: u64 = 1 << 20;

/// `id` as (prefix, number) when it ends in a decimal number written
/// without leading zeros (the prefix is everything before the final run of
/// digits).
#[inline]
fn split_number(id: &[u8]) -> Option<(&[u8], u64)> {
    let digits = id.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 18 {
        return None;
    }
    let (prefix, number) = id.split_at(id.len() - digits);
    if number.len() > 1 && number[0] == b'0' {
        return None;
    }
    let n = number
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    Some((prefix, n))
}

fn hash(id: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<FxHasher>::default().hash_one(id)
}

impl<V: Copy + Default> IdIndex<V> {
    /// The dense slot of `id`, if its spelling fits the dense path and
    /// the slot is taken.
    #[inline]
    fn dense_slot(&self, id: &str) -> Option<usize> {
        let (prefix, n) = split_number(id.as_bytes())?;
        if self.prefix.as_deref() != Some(prefix) {
            return None;
        }
        let k = usize::try_from(n).ok()?;
        let word = *self.taken.get(k / 64)?;
        (word & (1 << (k % 64)) != 0).then_some(k)
    }

    /// True if `id` is indexed; `ids(v)` is the id of the VM of value `v`.
    #[inline]
    pub fn contains<'a>(&self, id: &str, ids: impl Fn(&V) -> &'a str) -> bool {
        self.dense_slot(id).is_some() || (!self.by_hash.is_empty() && self.get(id, ids).is_some())
    }

    /// The value of `id`, if indexed.
    #[inline]
    pub fn get<'a>(&self, id: &str, ids: impl Fn(&V) -> &'a str) -> Option<V> {
        if let Some(k) = self.dense_slot(id) {
            return Some(self.dense[k]);
        }
        self.hashed_get(id, ids)
    }

    /// The value of `id` if indexed on the hashed path.
    #[inline]
    fn hashed_get<'a>(&self, id: &str, ids: impl Fn(&V) -> &'a str) -> Option<V> {
        if self.by_hash.is_empty() {
            return None;
        }
        match self.by_hash.get(&hash(id)) {
            Some(v) if ids(v) == id => Some(*v),
            Some(_) => self.collided.get(id).copied(),
            None => None,
        }
    }

    /// Indexes `id` with value `v` unless it is indexed already (then
    /// returns false and changes nothing): [`IdIndex::contains`] and
    /// [`IdIndex::insert`] with one reading of the id.
    #[inline]
    pub fn insert_new<'a>(&mut self, id: &str, v: V, ids: impl Fn(&V) -> &'a str) -> bool {
        if let Some((prefix, n)) = split_number(id.as_bytes()) {
            let own = self.prefix.get_or_insert_with(|| prefix.into());
            let bound = DENSE_MIN.max(4 * (self.len as u64 + 1));
            if **own == *prefix && n < bound {
                let k = n as usize;
                let taken = self
                    .taken
                    .get(k / 64)
                    .is_some_and(|w| w & (1 << (k % 64)) != 0);
                // An id may sit on the hashed path from when the bound
                // was lower.
                if taken || self.hashed_get(id, ids).is_some() {
                    return false;
                }
                self.len += 1;
                self.insert_dense(k, v, bound);
                return true;
            }
        }
        if self.hashed_get(id, ids).is_some() {
            return false;
        }
        self.len += 1;
        self.insert_hashed(id, v);
        true
    }

    /// The value of `id`, if indexed, to change in place.
    #[inline]
    pub fn get_mut<'a>(&mut self, id: &str, ids: impl Fn(&V) -> &'a str) -> Option<&mut V> {
        if let Some(k) = self.dense_slot(id) {
            return Some(&mut self.dense[k]);
        }
        let h = hash(id);
        let first = ids(self.by_hash.get(&h)?) == id;
        if first {
            self.by_hash.get_mut(&h)
        } else {
            self.collided.get_mut(id)
        }
    }

    /// Indexes `id`, not indexed yet, with value `v`.
    #[inline]
    pub fn insert(&mut self, id: &str, v: V) {
        self.len += 1;
        let Some((prefix, n)) = split_number(id.as_bytes()) else {
            return self.insert_hashed(id, v);
        };
        let own = self.prefix.get_or_insert_with(|| prefix.into());
        let bound = DENSE_MIN.max(4 * self.len as u64);
        if **own != *prefix || n >= bound {
            return self.insert_hashed(id, v);
        }
        self.insert_dense(n as usize, v, bound);
    }

    /// Puts `v` at dense slot `k` (< `bound`), not taken.
    #[inline]
    fn insert_dense(&mut self, k: usize, v: V, bound: u64) {
        if k >= self.dense.len() {
            let grown = (k + 1).max(2 * self.dense.len()).min(bound as usize);
            self.dense.resize(grown, V::default());
            self.taken.resize(grown.div_ceil(64), 0);
        }
        debug_assert_eq!(self.taken[k / 64] & (1 << (k % 64)), 0, "id indexed twice");
        self.taken[k / 64] |= 1 << (k % 64);
        self.dense[k] = v;
    }

    fn insert_hashed(&mut self, id: &str, v: V) {
        match self.by_hash.entry(hash(id)) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(v);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collided.insert(id.to_string(), v);
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

    /// Indexes `ids` in order, checking each is new, then finds them all.
    fn index_all(ids: &[String]) -> IdIndex {
        let mut ix = IdIndex::<u32>::default();
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(ix.get(id, |&k| &ids[k as usize]), None, "{id}");
            ix.insert(id, n as u32);
        }
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(ix.get(id, |&k| &ids[k as usize]), Some(n as u32), "{id}");
        }
        ix
    }

    #[test]
    fn the_index_settles_lookups_and_hash_collisions_with_the_ids() {
        let ids: Vec<String> = (0..1000).map(|i| format!("vm-{i}x")).collect();
        let ix = index_all(&ids);
        assert!(ix.dense.is_empty());
        assert_eq!(ix.get("vm-1000x", |&k| &ids[k as usize]), None);
        // A forced collision: an id whose hash slot holds another id.
        let h = hash("vm-0x");
        let mut ix = IdIndex::<u32>::default();
        ix.by_hash.insert(h, 5);
        ix.insert("vm-0x", 7);
        let names = |k: &u32| if *k == 5 { "other" } else { "vm-0x" };
        assert_eq!(ix.get("vm-0x", names), Some(7));
    }

    #[test]
    fn numbered_ids_take_the_dense_path_and_the_rest_is_hashed() {
        assert_eq!(split_number(b"vm-17"), Some((&b"vm-"[..], 17)));
        assert_eq!(split_number(b"0"), Some((&b""[..], 0)));
        assert_eq!(split_number(b"vm-007"), None);
        assert_eq!(split_number(b"vm-"), None);
        let mut ids: Vec<String> = (0..3000).rev().map(|i| format!("vm-{i}")).collect();
        // Off the dense path: leading zeros, another prefix, a number
        // beyond the bound, no number, a prefix that is a number's start.
        for odd in [
            "vm-007",
            "vm-07",
            "x-7",
            "vm-99999999999",
            "vm-",
            "vm-1a",
            "vm1",
        ] {
            ids.push(odd.to_string());
        }
        ids.push("vm-3000".into());
        let ix = index_all(&ids);
        assert_eq!(ix.prefix.as_deref(), Some(&b"vm-"[..]));
        assert!(ix.dense.len() <= DENSE_MIN as usize);
        assert_eq!(ix.by_hash.len(), 7);
        let names = |k: &u32| ids[*k as usize].as_str();
        for absent in ["vm-3001", "vm-0007", "vm-1b", "7", "vm-5000000"] {
            assert_eq!(ix.get(absent, names), None, "{absent}");
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// The index agrees with a plain map on any mix of spellings.
            #[test]
            fn agrees_with_a_map(raw in proptest::collection::vec("(vm-|x|)(0|[1-9][0-9]{0,6}|0[0-9]{1,2}|[a-c]{1,2})", 0..200)) {
                let mut seen = std::collections::HashSet::new();
                let ids: Vec<String> = raw.into_iter().filter(|s| seen.insert(s.clone())).collect();
                let (first, rest) = ids.split_at(ids.len() / 2);
                let mut ix = IdIndex::<u32>::default();
                for (n, id) in first.iter().enumerate() {
                    ix.insert(id, n as u32);
                }
                let names = |k: &u32| ids[*k as usize].as_str();
                for (n, id) in first.iter().enumerate() {
                    prop_assert_eq!(ix.get(id, names), Some(n as u32));
                }
                for id in rest {
                    prop_assert_eq!(ix.get(id, names), None);
                }
            }

            /// `insert_new` refuses exactly the ids indexed before, on any
            /// mix of spellings and repeats (numbers far apart force ids
            /// onto the hashed path, then back under a larger bound).
            #[test]
            fn insert_new_refuses_exactly_the_repeats(raw in proptest::collection::vec("(vm-|x|)(0|[1-9][0-9]{0,7}|0[0-9]{1,2}|[a-c]{1,2})", 0..300)) {
                let mut ix = IdIndex::<u32>::default();
                let mut seen: Vec<String> = Vec::new();
                for id in &raw {
                    let ids = seen.clone();
                    let names = |k: &u32| ids[*k as usize].as_str();
                    let fresh = !seen.contains(id);
                    prop_assert_eq!(ix.insert_new(id, seen.len() as u32, names), fresh, "{}", id);
                    if fresh {
                        seen.push(id.clone());
                    }
                }
                let names = |k: &u32| seen[*k as usize].as_str();
                for (n, id) in seen.iter().enumerate() {
                    prop_assert_eq!(ix.get(id, names), Some(n as u32));
                }
            }
        }
    }
}
