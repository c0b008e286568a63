//! The seeded workload generator: a [`GeneratorConfig`]
//! (built with a consuming builder) in, an [`EventList`] out, byte-identical
//! for a configuration on any machine and thread count.
//!
//! Algorithm (each random step draws from its own stream
//! `Rng::derive(seed, label, day)` so steps never disturb each other):
//! 1. Day 0: a batch of `initial_vms` VMs ([`Catalogue::shapes`]: rank-paired
//!    sizes; may hold slightly fewer or more VMs than asked), all starting
//!    at slice 0.
//! 2. In a batch of `count` VMs: levels as [`level_list`] (stream
//!    `"levels"`); profiles `ceil(freq * count)` of each in table order,
//!    padded with the most frequent profile when short of `count`,
//!    shuffled (stream `"profiles"`) and cut to `count`.
//! 3. Each later day `d`: `k = sum over profiles of floor(arrival * number
//!    of day-0 VMs of that profile)` new VMs, built as a batch. Their start
//!    slices follow a burst of Weibull shape 1 (an exponential decay) of
//!    scale `burst_scale * slices_per_day` slices from the start of the day:
//!    slice `s` of the day gets the mass `F(s+1) - F(s)` with `F(x) = 1 -
//!    exp(-x / scale)`, renormalised over the day, and the per-slice counts
//!    are the largest-remainder apportionment of k (they sum to exactly k;
//!    ties to the earlier slice). The resulting slice list is shuffled
//!    (stream `"burst"`) and handed to the batch's VMs in order.
//! 4. Lifetimes, per batch and per profile in table order: the VMs of the
//!    profile are shuffled (stream `"lifetime"`) and the first
//!    `floor(departure * count of the profile)` live `1..=slices_per_day`
//!    slices (uniform, same stream); the others live to the end of the run.
//!    A VM whose life would reach or pass the end of the run has no
//!    departure event.
//! 5. Periodic VMs (usage only): per batch and profile, the first
//!    `floor(periodicity * count)` of a shuffle (stream `"periodic"`).
//! 6. Times: arrival at `start_slice * slice_s`, departure at the END of
//!    the last slice (`(start + life) * slice_s`). VMs are numbered in
//!    arrival order (day, start slice, then rank in the batch) and named
//!    `vm-<index>`.

use super::catalogue::{ceil_share, floor_share};
use super::events::{EventList, VmSpec};
use super::levels::level_list;
use super::profile::Profile;
use super::usage::{draw_usage, VmUsage};
use crate::level::Level;
use crate::rng::Rng;

pub use super::generator_config::{GeneratorConfig, GeneratorConfigBuilder, GeneratorError};

/// One generated VM before it becomes events.
#[derive(Debug, Clone)]
struct Draft {
    vcpus: u32,
    mem_mb: u64,
    level: Level,
    profile: usize,
    start_slice: u64,
    /// Exclusive end slice; `None`: alive to the end.
    end_slice: Option<u64>,
    periodic: bool,
}

/// Generates the event list of a configuration.
pub fn generate(cfg: &GeneratorConfig) -> EventList {
    let (drafts, profiles) = drafts(cfg);
    to_event_list(cfg, &drafts, &profiles)
}

/// Generates the event list and the per-slice CPU usage of every VM
/// (`usage[i]` belongs to `list.vms[i]`). The event list is the same as
/// [`generate`]'s.
pub fn generate_with_usage(cfg: &GeneratorConfig) -> (EventList, Vec<VmUsage>) {
    let (drafts, profiles) = drafts(cfg);
    let total = cfg.total_slices();
    let spd = u64::from(cfg.slices_per_day);
    let usage = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut rng = Rng::derive(cfg.seed, "usage", i as u64);
            let end = d.end_slice.unwrap_or(total);
            draw_usage(
                &profiles[d.profile],
                d.periodic,
                d.start_slice,
                end,
                spd,
                &mut rng,
            )
        })
        .collect();
    (to_event_list(cfg, &drafts, &profiles), usage)
}

fn drafts(cfg: &GeneratorConfig) -> (Vec<Draft>, [Profile; 4]) {
    let profiles = cfg.variant.profiles();
    let mut all = batch(cfg, &profiles, 0, cfg.initial_vms);
    let mut initial_per_profile = [0usize; 4];
    for d in &all {
        initial_per_profile[d.profile] += 1;
    }
    let k: usize = profiles
        .iter()
        .zip(initial_per_profile)
        .map(|(p, n)| floor_share(p.arrival, n))
        .sum();
    for day in 1..cfg.days {
        let mut b = batch(cfg, &profiles, day, k);
        // VM order (and ids) follow arrival order within the day.
        b.sort_by_key(|d| d.start_slice);
        all.extend(b);
    }
    (all, profiles)
}

/// One batch of VMs arriving on `day` (steps 1-4 of docs/catalogues.md "How a set of n VMs is built", + lifetimes).
fn batch(cfg: &GeneratorConfig, profiles: &[Profile; 4], day: u32, n: usize) -> Vec<Draft> {
    let d = u64::from(day);
    let shapes = cfg.catalogue.shapes(n);
    let count = shapes.len();
    let levels = level_list(
        cfg.level_shares_pct,
        count,
        &mut Rng::derive(cfg.seed, "levels", d),
    );
    let prof = profile_list(profiles, count, &mut Rng::derive(cfg.seed, "profiles", d));
    let spd = u64::from(cfg.slices_per_day);
    let day_start = d * spd;
    let offsets = if day == 0 {
        vec![0; count]
    } else {
        let mut slices = burst_slices(count, spd, cfg.burst_scale * spd as f64);
        Rng::derive(cfg.seed, "burst", d).shuffle(&mut slices);
        slices
    };
    let mut drafts: Vec<Draft> = shapes
        .iter()
        .zip(levels)
        .zip(prof)
        .zip(offsets)
        .map(|((((vcpus, mem_mb), level), profile), off)| Draft {
            vcpus: *vcpus,
            mem_mb: *mem_mb,
            level,
            profile,
            start_slice: day_start + off,
            end_slice: None,
            periodic: false,
        })
        .collect();
    set_lifetimes(cfg, profiles, &mut drafts, d);
    set_periodic(cfg, profiles, &mut drafts, d);
    drafts
}

/// Profile indices for `count` VMs: `ceil(freq * count)` of each in table
/// order, padded with the most frequent, shuffled, cut to `count`.
fn profile_list(profiles: &[Profile; 4], count: usize, rng: &mut Rng) -> Vec<usize> {
    let mut out = Vec::with_capacity(count + 4);
    for (i, p) in profiles.iter().enumerate() {
        out.extend(std::iter::repeat_n(i, ceil_share(p.freq, count)));
    }
    let most = (0..profiles.len())
        .reduce(|a, b| {
            if profiles[b].freq > profiles[a].freq {
                b
            } else {
                a
            }
        })
        .unwrap_or(0);
    while out.len() < count {
        out.push(most);
    }
    rng.shuffle(&mut out);
    out.truncate(count);
    out
}

/// Start offsets (slice of the day) of `k` VMs: the Weibull(1) burst's
/// largest-remainder apportionment, in slice order.
pub fn burst_slices(k: usize, slices_per_day: u64, scale_slices: f64) -> Vec<u64> {
    let cdf = |x: f64| 1.0 - (-x / scale_slices).exp();
    let total_mass = cdf(slices_per_day as f64);
    let quotas: Vec<f64> = (0..slices_per_day)
        .map(|s| k as f64 * (cdf(s as f64 + 1.0) - cdf(s as f64)) / total_mass)
        .collect();
    let mut counts: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let assigned: usize = counts.iter().sum();
    let mut order: Vec<usize> = (0..quotas.len()).collect();
    // Largest fractional part first; ties to the earlier slice (stable sort).
    order.sort_by(|&a, &b| {
        (quotas[b] - quotas[b].floor()).total_cmp(&(quotas[a] - quotas[a].floor()))
    });
    for &s in order.iter().take(k.saturating_sub(assigned)) {
        counts[s] += 1;
    }
    let mut out = Vec::with_capacity(k);
    for (s, c) in counts.into_iter().enumerate() {
        out.extend(std::iter::repeat_n(s as u64, c));
    }
    out
}

/// Indices of the VMs of each profile, in table order.
fn by_profile(drafts: &[Draft]) -> [Vec<usize>; 4] {
    let mut groups: [Vec<usize>; 4] = Default::default();
    for (i, d) in drafts.iter().enumerate() {
        groups[d.profile].push(i);
    }
    groups
}

fn set_lifetimes(cfg: &GeneratorConfig, profiles: &[Profile; 4], drafts: &mut [Draft], day: u64) {
    let mut rng = Rng::derive(cfg.seed, "lifetime", day);
    let spd = u64::from(cfg.slices_per_day);
    let total = cfg.total_slices();
    for (p, mut idx) in profiles.iter().zip(by_profile(drafts)) {
        let m = floor_share(p.departure, idx.len());
        rng.shuffle(&mut idx);
        for &i in idx.iter().take(m) {
            let life = rng.range_inclusive(1, spd);
            let end = drafts[i].start_slice + life;
            drafts[i].end_slice = (end < total).then_some(end);
        }
    }
}

fn set_periodic(cfg: &GeneratorConfig, profiles: &[Profile; 4], drafts: &mut [Draft], day: u64) {
    let mut rng = Rng::derive(cfg.seed, "periodic", day);
    for (p, mut idx) in profiles.iter().zip(by_profile(drafts)) {
        let m = floor_share(p.periodicity, idx.len());
        rng.shuffle(&mut idx);
        for &i in idx.iter().take(m) {
            drafts[i].periodic = true;
        }
    }
}

fn to_event_list(cfg: &GeneratorConfig, drafts: &[Draft], profiles: &[Profile; 4]) -> EventList {
    let vms = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| VmSpec {
            id: format!("vm-{i}"),
            vcpus: d.vcpus,
            mem_mb: d.mem_mb,
            level: d.level,
            profile: Some(profiles[d.profile].name.to_string()),
        })
        .collect();
    let spans: Vec<(u64, Option<u64>)> = drafts
        .iter()
        .map(|d| {
            (
                d.start_slice * cfg.slice_s,
                d.end_slice.map(|e| e * cfg.slice_s),
            )
        })
        .collect();
    EventList::from_spans(vms, &spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::catalogue::Catalogue;
    use crate::workload::events::EventKind;
    use crate::workload::profile::ProfileVariant;

    fn cfg(n: usize, seed: u64) -> GeneratorConfig {
        GeneratorConfig::builder(Catalogue::ovhcloud2023())
            .initial_vms(n)
            .level_shares_pct([25, 25, 50])
            .seed(seed)
            .build()
            .unwrap()
    }

    #[test]
    fn builder_checks_fields() {
        let b = || GeneratorConfig::builder(Catalogue::azure2017());
        assert!(matches!(
            b().level_shares_pct([50, 50, 50]).build(),
            Err(GeneratorError::Levels(_))
        ));
        let e = b().slice_s(0).build().unwrap_err();
        assert!(e.to_string().contains("slice_s"));
        assert!(b().days(0).build().is_err());
        assert!(b().burst_scale(f64::NAN).build().is_err());
        assert!(b()
            .days(u32::MAX)
            .slices_per_day(u32::MAX)
            .slice_s(u64::MAX)
            .build()
            .is_err());
        let c = b().build().unwrap();
        assert_eq!(
            (c.days(), c.slices_per_day(), c.slice_s(), c.run_s()),
            (7, 24, 360, 60480)
        );
    }

    #[test]
    fn profile_list_pads_with_most_frequent() {
        // 100 VMs: ceil gives 36 + 28 + 14 + 21 = 99, padded with one low_with_peak.
        let p = ProfileVariant::Standard.profiles();
        let l = profile_list(&p, 100, &mut Rng::new(3));
        let c: Vec<usize> = (0..4)
            .map(|i| l.iter().filter(|&&x| x == i).count())
            .collect();
        assert_eq!(c, vec![37, 28, 14, 21]);
        // 10 VMs: 4 + 3 + 2 + 3 = 12, cut to 10 after the shuffle.
        assert_eq!(profile_list(&p, 10, &mut Rng::new(3)).len(), 10);
    }

    #[test]
    fn burst_by_hand() {
        // scale = 1 slice over 2 slices: masses 1-e^-1 = 0.63212, e^-1-e^-2 =
        // 0.23254, total 0.86466: quotas for k=10 are 7.3106 and 2.6894:
        // floors 7 + 2 = 9, the extra one to slice 1 (0.6894 > 0.3106).
        assert_eq!(burst_slices(10, 2, 1.0), vec![0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
        // scale 6 slices over 24 (the default), k = 201: exactly k, decreasing.
        let b = burst_slices(201, 24, 6.0);
        assert_eq!(b.len(), 201);
        let per: Vec<usize> = (0..24)
            .map(|s| b.iter().filter(|&&x| x == s).count())
            .collect();
        assert!(per.windows(2).all(|w| w[0] >= w[1]), "{per:?}");
        // quotas 201 * (e^-s/6 - e^-(s+1)/6) / (1 - e^-4) = 31.433, 26.607,
        // 22.523, 19.065, 16.138, 13.661, ...: floors sum to 190, the 11
        // largest fractional parts get one more (26.607 -> 27, 13.661 -> 14).
        assert_eq!(
            per,
            vec![31, 27, 22, 19, 16, 14, 11, 10, 8, 7, 6, 5, 4, 4, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1]
        );
        assert_eq!(burst_slices(0, 24, 6.0), Vec::<u64>::new());
    }

    #[test]
    fn day_zero_and_daily_counts() {
        let c = cfg(500, 1);
        let list = generate(&c);
        let day0 = list
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Arrival && e.time_s == 0)
            .count();
        assert_eq!(day0, 500);
        // day-0 profiles: 181 lwp (ceil 180 + 1 pad... 180+140+70+105 = 495,
        // padded 5) = 185 lwp, 140 low, 70 intensive, 105 low_mid:
        // k = floor(.6*185) + floor(.15*140) + floor(.57*70) + floor(.32*105)
        //   = 111 + 21 + 39 + 33 = 204; OVHcloud shapes of 204: 20+97+69+10+6 = 202.
        assert_eq!(list.vms.len(), 500 + 6 * 202);
        let arrivals_day1 = list
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Arrival && (8640..17280).contains(&e.time_s))
            .count();
        assert_eq!(arrivals_day1, 202);
        assert!(list.events.windows(2).all(|w| w[0].time_s <= w[1].time_s));
        assert!(list
            .events
            .iter()
            .all(|e| e.time_s % 360 == 0 && e.time_s <= 60480));
    }

    #[test]
    fn lifetimes_follow_departure_rates() {
        let c = cfg(500, 2);
        let list = generate(&c);
        let (mut arr, mut dep) = (vec![0u64; list.vms.len()], vec![None; list.vms.len()]);
        for e in &list.events {
            match e.kind {
                EventKind::Arrival => arr[e.vm] = e.time_s,
                EventKind::Departure => dep[e.vm] = Some(e.time_s),
            }
        }
        // Day 0: 500 VMs, floor(.6*185)=111 + floor(.15*140)=21 +
        // floor(.57*70)=39 + floor(.32*105)=33 = 204 finite lives of 1..24 slices.
        let departing0 = (0..500).filter(|&i| dep[i].is_some()).count();
        assert_eq!(departing0, 204);
        for i in 0..list.vms.len() {
            if let Some(d) = dep[i] {
                let slices = (d - arr[i]) / 360;
                assert!((1..=24).contains(&slices));
            }
        }
        // Levels of day 0: 25/25/50 of 500.
        let l3 = list.vms[..500].iter().filter(|v| v.level == 3.0).count();
        assert_eq!(l3, 250);
    }

    #[test]
    fn fatinc_never_departs_and_seeds_differ() {
        let c = GeneratorConfig::builder(Catalogue::azure2017())
            .initial_vms(100)
            .profile_variant(ProfileVariant::FatInc)
            .days(2)
            .build()
            .unwrap();
        let l = generate(&c);
        assert!(l.events.iter().all(|e| e.kind == EventKind::Arrival));
        // k = 37 + 28 + 14 + 21 = 100 (arrival 1), azure shapes of 100 = 100.
        assert_eq!(l.vms.len(), 200);
        assert_ne!(generate(&cfg(100, 1)), generate(&cfg(100, 2)));
    }

    /// FNV-1a of a byte string (test digest).
    #[cfg(feature = "harness")]
    fn fnv(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    #[cfg(feature = "harness")]
    #[test]
    fn output_bytes_are_pinned() {
        // Guards the byte-identical promise across machines and versions:
        // the CSV of this configuration must never change silently. Update
        // the pin only for a deliberate change of the algorithm.
        let mut buf = Vec::new();
        crate::workload::csv::write_event_csv(&generate(&cfg(100, 42)), &mut buf).unwrap();
        assert_eq!((buf.len(), fnv(&buf)), PINNED_CSV);
    }

    #[cfg(feature = "harness")]
    const PINNED_CSV: (usize, u64) = (17583, 13814612469294177308);

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(24))]
            #[test]
            fn generated_lists_are_well_formed(n in 0usize..120, seed in 0u64..1000, days in 1u32..4, oc1 in 0u32..=100) {
                let c = GeneratorConfig::builder(Catalogue::azure2017())
                    .initial_vms(n)
                    .level_shares_pct([oc1, 100 - oc1, 0])
                    .days(days)
                    .seed(seed)
                    .build()
                    .unwrap();
                let l = generate(&c);
                let mut arrivals = vec![0u32; l.vms.len()];
                let mut arrival_s = vec![0u64; l.vms.len()];
                let mut last = 0;
                for e in &l.events {
                    prop_assert!(e.time_s >= last && e.time_s % c.slice_s() == 0);
                    last = e.time_s;
                    match e.kind {
                        EventKind::Arrival => { arrivals[e.vm] += 1; arrival_s[e.vm] = e.time_s; }
                        EventKind::Departure => {
                            prop_assert_eq!(arrivals[e.vm], 1);
                            prop_assert!(e.time_s > arrival_s[e.vm] && e.time_s < c.run_s());
                        }
                    }
                }
                prop_assert!(arrivals.iter().all(|&a| a == 1));
                prop_assert!(l.vms.iter().all(|v| v.level == 1.0 || v.level == 2.0));
                // VMs are numbered in arrival order.
                prop_assert!(arrival_s.windows(2).all(|w| w[0] <= w[1]));
            }
        }
    }

    #[test]
    fn usage_does_not_change_events() {
        let c = cfg(100, 4);
        let (l, u) = generate_with_usage(&c);
        assert_eq!(l, generate(&c));
        assert_eq!(u.len(), l.vms.len());
        assert!(u[0].cpu_pct.len() as u64 <= c.total_slices());
    }
}
