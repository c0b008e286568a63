//! The capacity rules of a vNode with level r (docs/scheduler.md,
//! "Capacity"): CPUs missing to host a VM and CPUs a vNode can release.
//! Computed in f64 exactly as the prototype does, so that odd levels such
//! as 1.5 round the same way. The memory pool uses the same rules at r = 1.

/// Virtual availability `cap * r - alloc`.
#[inline]
pub fn virtual_avail(cap: u64, alloc: u64, level: f64) -> f64 {
    cap as f64 * level - alloc as f64
}

/// Physical units a vNode must gain to host a request of `request` units:
/// `ceil((request - avail) / r)` when positive, then topped up so the vNode
/// holds at least `request` units (a VM is not oversubscribed with itself).
pub fn missing_for(cap: u64, alloc: u64, level: f64, request: u64) -> u64 {
    let need = request as f64 - virtual_avail(cap, alloc, level);
    let mut missing = if need > 0.0 {
        (need / level).ceil() as u64
    } else {
        0
    };
    if cap + missing < request {
        missing += request - (cap + missing);
    }
    missing
}

/// Units a vNode can release after a removal: `floor(avail / r)`, limited
/// so that it keeps at least its largest remaining request.
pub fn unused_after(cap: u64, alloc: u64, level: f64, max_request: u64) -> u64 {
    let unused = (virtual_avail(cap, alloc, level) / level).floor();
    let unused = if unused <= 0.0 { 0 } else { unused as u64 };
    let used = cap.saturating_sub(unused);
    if used < max_request {
        return cap.saturating_sub(max_request);
    }
    unused.min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_vm_gets_exactly_its_vcpus_whatever_the_level() {
        for level in [1.0, 2.0, 3.0, 1.5] {
            assert_eq!(missing_for(0, 0, level, 4), 4, "level {level}");
        }
    }

    #[test]
    fn missing_rounds_up_at_the_level() {
        // cap 4, r 2, alloc 7: avail 1; request 4: need 3 -> ceil(3/2) = 2.
        assert_eq!(missing_for(4, 7, 2.0, 4), 2);
        // cap 3, r 3, alloc 8: avail 1; request 2: need 1 -> ceil(1/3) = 1.
        assert_eq!(missing_for(3, 8, 3.0, 2), 1);
        // Enough room: nothing missing.
        assert_eq!(missing_for(4, 6, 2.0, 2), 0);
    }

    #[test]
    fn missing_tops_up_to_the_request_size() {
        // cap 1, alloc 1, r 3: avail 2; request 4: need 2 -> 1, then 1 + 1 < 4 -> +2 = 3.
        assert_eq!(missing_for(1, 1, 3.0, 4), 3);
    }

    #[test]
    fn shrink_releases_floor_of_avail_over_level() {
        // cap 6, alloc 5, r 2: avail 7 -> floor(3.5) = 3, used 3 >= max 2.
        assert_eq!(unused_after(6, 5, 2.0, 2), 3);
        // Same but largest VM has 4 vCPUs: keep 4, release 2.
        assert_eq!(unused_after(6, 5, 2.0, 4), 2);
        // Empty vNode releases everything.
        assert_eq!(unused_after(5, 0, 3.0, 0), 5);
        // Memory pool (r = 1).
        assert_eq!(unused_after(8192, 2048, 1.0, 2048), 6144);
    }
}
