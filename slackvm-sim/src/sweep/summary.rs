//! `summary.csv`: one row per cell (catalogue, distribution, VM count,
//! policy, model, memory cap, event order) over its seeds, in canonical
//! order. For host counts and the gain: mean, sample sd, the 95% confidence
//! interval of the mean (Student t) and the 95% prediction interval of a
//! single run (mean +- 1.96 sd, plus 0.5 host for rounding on host counts;
//! no widening for the gain), then the means of the lower bound and of the
//! unallocated shares. Every value is written with 4 decimals.

use super::rows::{SizingRow, Summary, COLUMNS};
use super::stats::Stats;
use crate::cluster::{EventOrder, ModelKind, PolicyKind};
use std::cmp::Ordering;
use std::sync::LazyLock;

/// The columns of `sizing.csv` that `summary.csv` summarises, in the
/// order their values appear: every [`Summary::Spread`] column, then
/// every [`Summary::Mean`] one, then every [`Summary::Interval`] one
/// (table order within each).
pub fn summarised() -> impl Iterator<Item = &'static super::rows::Column> {
    let spread = COLUMNS
        .iter()
        .filter(|c| matches!(c.summary, Summary::Spread(_)));
    let mean = COLUMNS.iter().filter(|c| c.summary == Summary::Mean);
    let interval = COLUMNS.iter().filter(|c| c.summary == Summary::Interval);
    spread.chain(mean).chain(interval)
}

/// Header of `summary.csv`: the key columns, `seeds`, then per summarised
/// column its mean (and for spread columns sd, confidence and prediction
/// intervals).
pub static HEADER: LazyLock<String> = LazyLock::new(|| {
    let mut names: Vec<String> = COLUMNS
        .iter()
        .filter(|c| c.summary == Summary::Key)
        .map(|c| c.name.to_string())
        .collect();
    names.push("seeds".into());
    for c in summarised() {
        match c.summary {
            Summary::Spread(_) => {
                for s in ["mean", "sd", "ci95_lo", "ci95_hi", "pi95_lo", "pi95_hi"] {
                    names.push(format!("{}_{s}", c.name));
                }
            }
            Summary::Interval => {
                for s in ["mean", "ci95_lo", "ci95_hi"] {
                    names.push(format!("{}_{s}", c.name));
                }
            }
            _ => names.push(format!("{}_mean", c.name)),
        }
    }
    names.join(",")
});

/// One cell over its seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Catalogue.
    pub catalogue: String,
    /// Level shares.
    pub shares: [u32; 3],
    /// Initial VMs.
    pub vms: usize,
    /// Policy.
    pub policy: PolicyKind,
    /// Model.
    pub model: ModelKind,
    /// Memory cap.
    pub mem_cap: bool,
    /// Event order.
    pub order: EventOrder,
    /// Shared cluster hosts.
    pub slackvm: Stats,
    /// Dedicated hosts.
    pub dedicated: Stats,
    /// Gain (%).
    pub gain: Stats,
    /// Mean lower bound.
    pub lower_bound: f64,
    /// Mean unallocated CPU / memory, shared then dedicated (%).
    pub unallocated: [f64; 4],
    /// The cell's key columns (a row of the cell, seed 0).
    pub key: SizingRow,
    /// Statistics of each [`summarised`] column, in that order.
    pub values: Vec<Stats>,
}

impl SummaryRow {
    /// A cell from its key row and the statistics of every [`summarised`]
    /// column (in that order).
    pub fn new(mut key: SizingRow, values: Vec<Stats>) -> SummaryRow {
        key.seed = 0;
        debug_assert_eq!(values.len(), summarised().count());
        let named: Vec<(&str, Stats)> = summarised().map(|c| c.name).zip(values.clone()).collect();
        let get = |name: &str| {
            named
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(Stats::of(&[]), |&(_, s)| s)
        };
        SummaryRow {
            catalogue: key.catalogue.clone(),
            shares: key.shares,
            vms: key.vms,
            policy: key.policy,
            model: key.model,
            mem_cap: key.mem_cap,
            order: key.order,
            slackvm: get("hosts_slackvm"),
            dedicated: get("hosts_dedicated"),
            gain: get("gain_pct"),
            lower_bound: get("lower_bound").mean,
            unallocated: [
                get("unallocated_cpu_pct").mean,
                get("unallocated_mem_pct").mean,
                get("dedicated_unallocated_cpu_pct").mean,
                get("dedicated_unallocated_mem_pct").mean,
            ],
            key,
            values,
        }
    }
}

impl SummaryRow {
    /// The mean of a summarised column by name (`None` if not summarised).
    pub fn mean_of(&self, name: &str) -> Option<f64> {
        summarised()
            .zip(&self.values)
            .find(|(c, _)| c.name == name)
            .map(|(_, s)| s.mean)
    }
}

fn same_cell(a: &SizingRow, b: &SizingRow) -> bool {
    cell_cmp(a, b) == Ordering::Equal
}

/// Canonical order of cells: a row's order with the seed left out.
fn cell_cmp(a: &SizingRow, b: &SizingRow) -> Ordering {
    let mut a2 = a.clone();
    a2.seed = 0;
    let mut b2 = b.clone();
    b2.seed = 0;
    a2.canonical_cmp(&b2)
}

/// Summaries of rows, one per cell, in canonical order.
pub fn summarise(rows: &[SizingRow]) -> Vec<SummaryRow> {
    let mut sorted: Vec<&SizingRow> = rows.iter().collect();
    sorted.sort_by(|a, b| cell_cmp(a, b).then(a.seed.cmp(&b.seed)));
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i + 1;
        while j < sorted.len() && same_cell(sorted[i], sorted[j]) {
            j += 1;
        }
        let g = &sorted[i..j];
        let values = summarised()
            .map(|c| {
                let xs: Vec<f64> = g.iter().map(|r| c.number(r).unwrap_or(0.0)).collect();
                Stats::of(&xs)
            })
            .collect();
        out.push(SummaryRow::new(g[0].clone(), values));
        i = j;
    }
    out
}

impl SummaryRow {
    /// The CSV line (no newline).
    pub fn to_line(&self) -> String {
        let mut s = String::with_capacity(512);
        for c in COLUMNS.iter().filter(|c| c.summary == Summary::Key) {
            c.write(&self.key, &mut s);
            s.push(',');
        }
        s.push_str(&self.values.first().map_or(0, |v| v.n).to_string());
        for (c, st) in summarised().zip(&self.values) {
            match c.summary {
                Summary::Spread(rounding) => {
                    let (plo, phi) = st.prediction(rounding);
                    for v in [st.mean, st.sd, st.ci.0, st.ci.1, plo, phi] {
                        s.push_str(&format!(",{v:.4}"));
                    }
                }
                Summary::Interval => {
                    for v in [st.mean, st.ci.0, st.ci.1] {
                        s.push_str(&format!(",{v:.4}"));
                    }
                }
                _ => s.push_str(&format!(",{:.4}", st.mean)),
            }
        }
        s
    }
}

/// The `summary.csv` text.
pub fn summary_csv(rows: &[SummaryRow]) -> String {
    super::rows::csv_text(&HEADER, rows.iter().map(SummaryRow::to_line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::rows::sample_row;

    #[test]
    fn seeds_of_a_cell_are_aggregated() {
        let mut a = sample_row();
        let mut b = sample_row();
        b.seed = 4;
        b.hosts_slackvm = 72;
        a.seed = 9;
        let mut other = sample_row();
        other.shares = [0, 0, 100];
        let s = summarise(&[a, other, b]);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].shares, [0, 0, 100]);
        assert_eq!(s[1].slackvm.n, 2);
        assert_eq!(s[1].slackvm.mean, 71.0);
        assert_eq!(HEADER.split(',').count(), s[1].to_line().split(',').count());
    }
}
