//! The published OVHcloud 2023 table (500 initial VMs, one workload per
//! cell; docs/cluster.md) and its comparison with our summary: our
//! mean hosts and gain beside the paper's, the difference, and with several
//! seeds whether the paper's host counts fall inside our single-run 95%
//! prediction interval.

use super::summary::SummaryRow;
use crate::cluster::{ModelKind, PolicyKind};

/// One published cell: shares, dedicated hosts, SlackVM hosts, gain %.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaperCell {
    /// Level shares.
    pub shares: [u32; 3],
    /// Dedicated hosts.
    pub dedicated: u32,
    /// SlackVM hosts.
    pub slackvm: u32,
    /// Gain in %.
    pub gain_pct: f64,
}

const fn c(shares: [u32; 3], dedicated: u32, slackvm: u32, gain_pct: f64) -> PaperCell {
    PaperCell {
        shares,
        dedicated,
        slackvm,
        gain_pct,
    }
}

/// The paper's OVHcloud 2023 table for 500 initial VMs.
pub const PAPER_OVH_500: [PaperCell; 15] = [
    c([0, 0, 100], 54, 54, 0.0),
    c([0, 25, 75], 56, 54, 3.6),
    c([0, 50, 50], 57, 54, 5.3),
    c([0, 75, 25], 58, 56, 3.4),
    c([0, 100, 0], 61, 61, 0.0),
    c([25, 0, 75], 70, 64, 8.6),
    c([25, 25, 50], 71, 66, 7.0),
    c([25, 50, 25], 75, 70, 6.7),
    c([25, 75, 0], 73, 71, 2.7),
    c([50, 0, 50], 83, 75, 9.6),
    c([50, 25, 25], 87, 81, 6.9),
    c([50, 50, 0], 86, 85, 1.2),
    c([75, 0, 25], 94, 89, 5.3),
    c([75, 25, 0], 97, 97, 0.0),
    c([100, 0, 0], 110, 110, 0.0),
];

/// Counts of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Comparison {
    /// Cells compared.
    pub cells: usize,
    /// Our mean gain over the cells (%).
    pub our_mean_gain: f64,
    /// The paper's mean gain (%).
    pub paper_mean_gain: f64,
    /// Cells whose paper SlackVM count is inside our prediction interval.
    pub slackvm_inside: usize,
    /// Cells whose paper dedicated count is inside our prediction interval.
    pub dedicated_inside: usize,
}

/// The summary cell the paper's `shares` cell is compared with.
fn our_cell(cells: &[SummaryRow], shares: [u32; 3]) -> Option<&SummaryRow> {
    cells.iter().find(|s| {
        s.catalogue == "ovhcloud2023"
            && s.vms == 500
            && s.shares == shares
            && s.policy == PolicyKind::Paper
            && s.model == ModelKind::Counting
            && s.mem_cap
            && s.order == crate::cluster::EventOrder::ArrivalsFirst
    })
}

/// True when `v` lies in `[lo, hi]`.
fn inside(lo_hi: (f64, f64), v: u32) -> bool {
    lo_hi.0 <= f64::from(v) && f64::from(v) <= lo_hi.1
}

/// One line of the table: the paper's cell, ours, the differences and
/// (several seeds) the prediction intervals; counts the cells inside.
fn cell_line(p: &PaperCell, s: &SummaryRow, seeds: usize, cmp: &mut Comparison) -> String {
    let (d, k, g) = (s.dedicated.mean, s.slackvm.mean, s.gain.mean);
    let mut out = format!(
        "{:>4} {:>4} {:>4} | {:>9} {:>6} {:>6.1} | {:>9.1} {:>7.1} {:>7.2} | {:>+8.1} {:>+6.1} {:>+6.2}",
        p.shares[0],
        p.shares[1],
        p.shares[2],
        p.dedicated,
        p.slackvm,
        p.gain_pct,
        d,
        k,
        g,
        d - f64::from(p.dedicated),
        k - f64::from(p.slackvm),
        g - p.gain_pct
    );
    let ks = s.slackvm.prediction(0.5);
    let ds = s.dedicated.prediction(0.5);
    cmp.slackvm_inside += usize::from(inside(ks, p.slackvm));
    cmp.dedicated_inside += usize::from(inside(ds, p.dedicated));
    if seeds > 1 {
        let yes = |b: bool| if b { "yes" } else { "NO" };
        out.push_str(&format!(
            " | [{:>6.1},{:>6.1}] {:>3} | [{:>6.1},{:>6.1}] {:>3}",
            ks.0,
            ks.1,
            yes(inside(ks, p.slackvm)),
            ds.0,
            ds.1,
            yes(inside(ds, p.dedicated))
        ));
    }
    out.push('\n');
    cmp.cells += 1;
    cmp.our_mean_gain += g;
    cmp.paper_mean_gain += p.gain_pct;
    out
}

/// The comparison table as text (ovhcloud2023, 500 VMs, `paper` policy,
/// `counting` model, memory cap on, arrivals first), or `None` when the
/// summary lacks those cells.
pub fn compare_ovh_500(cells: &[SummaryRow]) -> Option<(String, Comparison)> {
    let mut out = String::new();
    let seeds = our_cell(cells, PAPER_OVH_500[0].shares)?.slackvm.n;
    out.push_str(&format!(
        "OVHcloud 2023, 500 initial VMs, policy paper, model counting, memory cap on, arrivals first; ours = mean over {seeds} seed(s)\n"
    ));
    out.push_str(" 1:1  2:1  3:1 | paper ded  slack  gain% | ours  ded   slack   gain% | diff ded  slack  gain%");
    if seeds > 1 {
        out.push_str(" | slack PI95       in? | ded PI95         in?");
    }
    out.push('\n');
    let mut cmp = Comparison::default();
    for p in &PAPER_OVH_500 {
        out.push_str(&cell_line(p, our_cell(cells, p.shares)?, seeds, &mut cmp));
    }
    cmp.our_mean_gain /= cmp.cells as f64;
    cmp.paper_mean_gain /= cmp.cells as f64;
    out.push_str(&format!(
        "mean gain over the 15 cells: ours {:.2}%, paper {:.2}% (difference {:+.2} points)\n",
        cmp.our_mean_gain,
        cmp.paper_mean_gain,
        cmp.our_mean_gain - cmp.paper_mean_gain
    ));
    if seeds > 1 {
        out.push_str(&format!(
            "paper values inside our single-run 95% prediction interval: SlackVM {}/15, dedicated {}/15\n",
            cmp.slackvm_inside, cmp.dedicated_inside
        ));
    }
    Some((out, cmp))
}
