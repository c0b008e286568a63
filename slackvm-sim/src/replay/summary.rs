//! What a replay reports: the summary (`summary.json`: deployments
//! accepted and refused per level, each refusal, each vNode's min/max/final
//! size, speed) and the series figure 3 plots; the bookkeeping that fills
//! them as timestamps are emitted.

use super::shortage::LevelShortage;
use crate::host::Quirks;
use crate::level::Level;
use serde::Serialize;
use std::collections::BTreeMap;

/// A refused deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    /// VM name.
    pub vm: String,
    /// VM identifier.
    pub uuid: String,
    /// Time of the refused deployment.
    pub time_s: u64,
    /// Level key (`2.0`).
    pub level: String,
    /// `cpu`, `mem` or `invalid`.
    pub resource: String,
    /// Full reason.
    pub reason: String,
}

/// Size of one vNode over the replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VNodeSummary {
    /// `subset-2.0`, `subset-1`.
    pub subset: String,
    /// `cpu` or `mem`.
    pub res: String,
    /// Smallest size reported (CPUs or MB).
    pub min: u64,
    /// Largest size reported.
    pub max: u64,
    /// Size at the last timestamp.
    #[serde(rename = "final")]
    pub last: u64,
}

/// What a replay did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplaySummary {
    /// Input trace.
    pub input: String,
    /// Topology used.
    pub topology: String,
    /// Quirk switches in force.
    pub quirks: BTreeMap<String, bool>,
    /// Timestamps replayed.
    pub timestamps: u64,
    /// Rows read (one pass).
    pub rows_in: u64,
    /// Rows written.
    pub rows_out: u64,
    /// VMs seen in the trace.
    pub vms_seen: u64,
    /// Accepted deployments per level key.
    pub accepted: BTreeMap<String, u64>,
    /// Refused deployments per level key.
    pub refused_per_level: BTreeMap<String, u64>,
    /// Every refusal, in replay order.
    pub refused: Vec<Refusal>,
    /// Per vNode sizes.
    pub vnodes: Vec<VNodeSummary>,
    /// CPU shortage per level key (recomputed replays only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub shortage: BTreeMap<String, LevelShortage>,
    /// Wall time of the replay in seconds.
    pub wall_s: f64,
    /// Input rows per second of wall time.
    pub rows_per_s: f64,
}

/// One vNode's CPUs held and busy over time (what figure 3 plots).
#[derive(Debug, Clone, PartialEq)]
pub struct VNodeSeries {
    /// Level.
    pub level: Level,
    /// `(tmp, CPUs held, CPUs busy)`, one per timestamp the vNode existed at.
    pub points: Vec<(u64, u64, Option<f64>)>,
    /// CPUs demanded at the same timestamps (`None` when copied).
    pub demand: Vec<Option<f64>>,
}

impl VNodeSeries {
    /// Its points with their demand.
    pub fn iter_points(&self) -> impl Iterator<Item = SeriesPoint> + '_ {
        debug_assert_eq!(self.points.len(), self.demand.len());
        self.points
            .iter()
            .zip(&self.demand)
            .map(|(&(time_s, held, busy), &demand)| SeriesPoint {
                time_s,
                held,
                busy,
                demand,
            })
    }
}

/// A CPU vNode at one timestamp.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesPoint {
    /// Timestamp (`tmp`).
    pub time_s: u64,
    /// CPUs held (`config` of its record).
    pub held: u64,
    /// CPUs busy (`val` of its record): recomputed, or copied from the
    /// input with `replay-copy-records`; `None` when unknown.
    pub busy: Option<f64>,
    /// CPUs its VMs wanted: sum of usage x vCPUs, uncapped (`None` when
    /// copied from the input).
    pub demand: Option<f64>,
}

/// Outputs of a replay.
#[derive(Debug, Clone)]
pub struct ReplayOutcome {
    /// Summary.
    pub summary: ReplaySummary,
    /// CPU vNode series, in creation order.
    pub series: Vec<VNodeSeries>,
}

/// Min, max and last size of each vNode: by view order, then vNode id.
#[derive(Debug, Default)]
pub(super) struct Sizes(BTreeMap<usize, BTreeMap<String, VNodeSummary>>);

impl Sizes {
    /// Records the size of vNode `subset` (the `order`-th view of `res`).
    pub fn track(&mut self, order: usize, subset: &str, res: &str, size: u64) {
        let by_id = self.0.entry(order).or_default();
        match by_id.get_mut(subset) {
            Some(entry) => {
                entry.min = entry.min.min(size);
                entry.max = entry.max.max(size);
                entry.last = size;
            }
            None => {
                let entry = VNodeSummary {
                    subset: subset.to_string(),
                    res: res.into(),
                    min: size,
                    max: size,
                    last: size,
                };
                by_id.insert(subset.to_string(), entry);
            }
        }
    }

    /// Every vNode, by view order then id.
    pub fn into_summaries(self) -> Vec<VNodeSummary> {
        self.0
            .into_values()
            .flat_map(BTreeMap::into_values)
            .collect()
    }
}

/// Appends one point to the `order`-th CPU vNode's series.
pub(super) fn record_series(
    series: &mut Vec<VNodeSeries>,
    order: usize,
    level: Level,
    point: SeriesPoint,
) {
    if series.len() <= order {
        series.push(VNodeSeries {
            level,
            points: Vec::new(),
            demand: Vec::new(),
        });
    }
    let s = &mut series[order];
    s.points.push((point.time_s, point.held, point.busy));
    s.demand.push(point.demand);
}

impl ReplaySummary {
    /// An empty summary of `input` replayed on `topology`.
    pub(super) fn new(input: String, topology: String, quirks: &Quirks) -> Self {
        ReplaySummary {
            input,
            topology,
            quirks: quirk_map(quirks),
            timestamps: 0,
            rows_in: 0,
            rows_out: 0,
            vms_seen: 0,
            accepted: BTreeMap::new(),
            refused_per_level: BTreeMap::new(),
            refused: Vec::new(),
            vnodes: Vec::new(),
            shortage: BTreeMap::new(),
            wall_s: 0.0,
            rows_per_s: 0.0,
        }
    }

    /// Sets the wall time and the speed it gives.
    pub(super) fn set_wall(&mut self, wall_s: f64) {
        self.wall_s = wall_s;
        self.rows_per_s = if wall_s > 0.0 {
            self.rows_in as f64 / wall_s
        } else {
            0.0
        };
    }
}

fn quirk_map(q: &Quirks) -> BTreeMap<String, bool> {
    // From the one quirk table (host/quirks.rs).
    q.iter().map(|(name, on)| (name.to_string(), on)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_keep_min_max_last_in_view_order() {
        let mut sizes = Sizes::default();
        sizes.track(1, "subset-2.0", "cpu", 4);
        sizes.track(0, "subset-1.0", "cpu", 2);
        sizes.track(1, "subset-2.0", "cpu", 9);
        sizes.track(1, "subset-2.0", "cpu", 6);
        let s = sizes.into_summaries();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].subset, "subset-1.0");
        assert_eq!((s[1].min, s[1].max, s[1].last), (4, 9, 6));
    }

    #[test]
    fn series_grow_per_vnode_and_speed_is_rows_over_wall() {
        let mut series = Vec::new();
        let point = |time_s, held, busy| SeriesPoint {
            time_s,
            held,
            busy,
            demand: None,
        };
        record_series(&mut series, 0, Level::TWO, point(0, 1, Some(0.5)));
        record_series(&mut series, 0, Level::TWO, point(15, 2, None));
        record_series(&mut series, 1, Level::ONE, point(15, 3, Some(1.0)));
        assert_eq!(
            series[0].iter_points().collect::<Vec<_>>(),
            vec![point(0, 1, Some(0.5)), point(15, 2, None)]
        );
        assert_eq!(series[1].level, 1.0);
        let mut s = ReplaySummary::new("in".into(), "topo".into(), &Quirks::prototype());
        s.rows_in = 300;
        s.set_wall(1.5);
        assert_eq!(s.rows_per_s, 200.0);
        s.set_wall(0.0);
        assert_eq!(s.rows_per_s, 0.0);
        assert_eq!(s.quirks.len(), crate::host::QUIRK_NAMES.len());
        assert!(s.quirks.values().all(|&on| on));
    }
}
