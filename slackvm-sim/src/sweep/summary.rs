//! `summary.csv`: one row per cell (catalogue, distribution, VM count,
//! policy, model, memory cap, event order) over its seeds, in canonical
//! order. For host counts and the gain: mean, sample sd, the 95% confidence
//! interval of the mean (Student t) and the 95% prediction interval of a
//! single run (mean +- 1.96 sd, plus 0.5 host for rounding on host counts;
//! no widening for the gain), then the means of the lower bound and of the
//! unallocated shares. Every value is written with 4 decimals.

use super::rows::SizingRow;
use super::stats::Stats;
use crate::cluster::{EventOrder, ModelKind, PolicyKind};
use std::cmp::Ordering;

/// Header of `summary.csv`.
pub const HEADER: &str = "catalogue,oc1,oc2,oc3,vms,policy,model,mem_cap,event_order,seeds,\
hosts_slackvm_mean,hosts_slackvm_sd,hosts_slackvm_ci95_lo,hosts_slackvm_ci95_hi,hosts_slackvm_pi95_lo,hosts_slackvm_pi95_hi,\
hosts_dedicated_mean,hosts_dedicated_sd,hosts_dedicated_ci95_lo,hosts_dedicated_ci95_hi,hosts_dedicated_pi95_lo,hosts_dedicated_pi95_hi,\
gain_pct_mean,gain_pct_sd,gain_pct_ci95_lo,gain_pct_ci95_hi,gain_pct_pi95_lo,gain_pct_pi95_hi,\
lower_bound_mean,unallocated_cpu_pct_mean,unallocated_mem_pct_mean,dedicated_unallocated_cpu_pct_mean,dedicated_unallocated_mem_pct_mean";

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
}

fn same_cell(a: &SizingRow, b: &SizingRow) -> bool {
    a.catalogue == b.catalogue
        && a.shares == b.shares
        && a.vms == b.vms
        && a.policy == b.policy
        && a.model == b.model
        && a.mem_cap == b.mem_cap
        && a.order == b.order
}

fn cell_cmp(a: &SizingRow, b: &SizingRow) -> Ordering {
    // Canonical order with the seed moved last.
    let mut a2 = a.clone();
    a2.seed = 0;
    let mut b2 = b.clone();
    b2.seed = 0;
    a2.canonical_cmp(&b2).then(a.seed.cmp(&b.seed))
}

/// Summaries of rows, one per cell, in canonical order.
pub fn summarise(rows: &[SizingRow]) -> Vec<SummaryRow> {
    let mut sorted: Vec<&SizingRow> = rows.iter().collect();
    sorted.sort_by(|a, b| cell_cmp(a, b));
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i + 1;
        while j < sorted.len() && same_cell(sorted[i], sorted[j]) {
            j += 1;
        }
        let g = &sorted[i..j];
        let col = |f: fn(&SizingRow) -> f64| g.iter().map(|r| f(r)).collect::<Vec<f64>>();
        let mean = |f: fn(&SizingRow) -> f64| Stats::of(&col(f)).mean;
        let r = g[0];
        out.push(SummaryRow {
            catalogue: r.catalogue.clone(),
            shares: r.shares,
            vms: r.vms,
            policy: r.policy,
            model: r.model,
            mem_cap: r.mem_cap,
            order: r.order,
            slackvm: Stats::of(&col(|r| r.hosts_slackvm as f64)),
            dedicated: Stats::of(&col(|r| r.hosts_dedicated as f64)),
            gain: Stats::of(&col(|r| r.gain_pct)),
            lower_bound: mean(|r| r.lower_bound as f64),
            unallocated: [
                mean(|r| r.unallocated_cpu_pct),
                mean(|r| r.unallocated_mem_pct),
                mean(|r| r.dedicated_unallocated_cpu_pct),
                mean(|r| r.dedicated_unallocated_mem_pct),
            ],
        });
        i = j;
    }
    out
}

impl SummaryRow {
    /// The CSV line (no newline).
    pub fn to_line(&self) -> String {
        let mut s = format!(
            "{},{},{},{},{},{},{},{},{},{}",
            self.catalogue,
            self.shares[0],
            self.shares[1],
            self.shares[2],
            self.vms,
            self.policy.name(),
            self.model.name(),
            self.mem_cap,
            self.order.name(),
            self.slackvm.n
        );
        for (st, rounding) in [
            (&self.slackvm, 0.5),
            (&self.dedicated, 0.5),
            (&self.gain, 0.0),
        ] {
            let (plo, phi) = st.prediction(rounding);
            for v in [st.mean, st.sd, st.ci.0, st.ci.1, plo, phi] {
                s.push_str(&format!(",{v:.4}"));
            }
        }
        s.push_str(&format!(",{:.4}", self.lower_bound));
        for v in self.unallocated {
            s.push_str(&format!(",{v:.4}"));
        }
        s
    }
}

/// The `summary.csv` text.
pub fn summary_csv(rows: &[SummaryRow]) -> String {
    super::rows::csv_text(HEADER, rows.iter().map(SummaryRow::to_line))
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
