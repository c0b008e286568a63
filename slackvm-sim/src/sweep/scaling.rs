//! `sweep scaling`: the scaling report. Runs [`super::scale`] on two
//! series of synthetic workloads (counting model, first/best/worst fit,
//! index on):
//! - by hosts: 1,000 to 100,000 hosts with twice as many VMs (4 events
//!   per host);
//! - by events: 100,000 hosts with 25,000 to 500,000 VMs (50,000 to
//!   1,000,000 arrival and departure events);
//!
//! and writes the points (`scaling.jsonl`, one JSON object per run) and
//! `scaling.svg` (seconds against hosts and against events, log-log).
//! Times are the schedule preparation plus the event loop; generating the
//! workload is not counted. Runs go one after the other, so each has the
//! machine to itself.

use super::plots::{err, frame, side_legend, svg, Glyph};
use super::scale::{run_scale, ScaleConfig, ScaleError};
use crate::cluster::synthetic::{scale_workload, ScaleSpec};
use crate::cluster::PolicyKind;
use crate::workload::Catalogue;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

/// Hosts of the by-hosts series.
pub const HOSTS_SERIES: [usize; 7] = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000];
/// VMs of the by-events series (on [`EVENTS_SERIES_HOSTS`] hosts).
pub const EVENTS_SERIES: [usize; 5] = [25_000, 50_000, 100_000, 250_000, 500_000];
/// Hosts of the by-events series.
pub const EVENTS_SERIES_HOSTS: usize = 100_000;
/// Policies of both series.
pub const SCALING_POLICIES: [PolicyKind; 3] = [
    PolicyKind::FirstFit,
    PolicyKind::BestFit,
    PolicyKind::WorstFit,
];

/// One measured run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalePoint {
    /// `hosts` or `events`.
    pub series: String,
    /// Policy name.
    pub policy: String,
    /// Hosts.
    pub hosts: usize,
    /// VMs.
    pub vms: usize,
    /// Arrival and departure events.
    pub events: usize,
    /// Arrivals placed.
    pub placed: u64,
    /// Arrivals refused.
    pub refused: u64,
    /// Preparation plus event loop (s).
    pub seconds: f64,
}

/// Runs both series, calling `tick` after each run.
pub fn run_series(tick: &dyn Fn(&ScalePoint)) -> Result<Vec<ScalePoint>, ScaleError> {
    let cat = Catalogue::ovhcloud2023();
    let mut plan: Vec<(&str, usize, usize)> =
        HOSTS_SERIES.iter().map(|&h| ("hosts", h, 2 * h)).collect();
    plan.extend(
        EVENTS_SERIES
            .iter()
            .map(|&v| ("events", EVENTS_SERIES_HOSTS, v)),
    );
    let mut out = Vec::new();
    for (series, hosts, vms) in plan {
        let list =
            scale_workload(&cat, &ScaleSpec::new(hosts, vms)).expect("34/33/33 shares are valid");
        for policy in SCALING_POLICIES {
            let mut cfg = ScaleConfig::new(hosts);
            cfg.policy = policy;
            let run = run_scale(&list, &cfg)?;
            let point = ScalePoint {
                series: series.to_string(),
                policy: policy.name().to_string(),
                hosts,
                vms,
                events: run.events,
                placed: run.outcome.placed,
                refused: run.outcome.refused,
                seconds: run.prepare_s + run.simulate_s,
            };
            tick(&point);
            out.push(point);
        }
    }
    Ok(out)
}

const COLORS: [RGBColor; 3] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
];

/// `scaling.svg` from the points: two log-log panels.
/// No points is an error (an empty figure would look like a result).
pub fn scaling_svg(points: &[ScalePoint]) -> Result<String, String> {
    if points.is_empty() {
        return Err("no scaling point to draw".into());
    }
    svg((1220, 460), |root| {
        let (panels, key) = root.split_horizontally(1100);
        let (left, right) = panels.split_horizontally(550);
        panel(&left, points, "hosts", "hosts (2 VMs per host)", |p| {
            p.hosts as f64
        })?;
        let title = format!("events ({EVENTS_SERIES_HOSTS} hosts)");
        panel(&right, points, "events", &title, |p| p.events as f64)?;
        let entries: Vec<(&str, Glyph)> = SCALING_POLICIES
            .iter()
            .zip(&COLORS)
            .map(|(p, &c)| (p.name(), Glyph::Line(c, false)))
            .collect();
        side_legend(&key, 60, &entries)
    })
}

fn panel(
    area: &super::plots::Root<'_>,
    points: &[ScalePoint],
    series: &str,
    x_desc: &str,
    x_of: fn(&ScalePoint) -> f64,
) -> Result<(), String> {
    let pts: Vec<&ScalePoint> = points.iter().filter(|p| p.series == series).collect();
    let (xmin, xmax) = bounds(pts.iter().map(|p| x_of(p)));
    let (ymin, ymax) = bounds(pts.iter().map(|p| p.seconds.max(1e-4)));
    let caption = format!("Run time vs {series} (log-log)");
    let mut chart = frame(
        area,
        (caption, 16),
        45,
        (xmin..xmax).log_scale(),
        (ymin..ymax).log_scale(),
    )?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("seconds")
        .x_labels(6)
        .max_light_lines(1)
        .x_label_formatter(&|v| human(*v))
        .y_label_formatter(&|v| seconds_label(*v))
        .draw()
        .map_err(err)?;
    for (policy, &color) in SCALING_POLICIES.iter().zip(&COLORS) {
        let line: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| p.policy == policy.name())
            .map(|p| (x_of(p), p.seconds.max(1e-4)))
            .collect();
        chart
            .draw_series(LineSeries::new(line.iter().copied(), color.stroke_width(2)))
            .map_err(err)?;
        chart
            .draw_series(line.iter().map(|&q| Circle::new(q, 3, color.filled())))
            .map_err(err)?;
    }
    Ok(())
}

/// A tick label in seconds without trailing zeros: 0.01, 0.5, 1, 20.
fn seconds_label(v: f64) -> String {
    let text = if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    };
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// 1000 -> "1k", 2500000 -> "2.5M".
fn human(v: f64) -> String {
    let (x, unit) = if v >= 1e6 {
        (v / 1e6, "M")
    } else if v >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = format!("{x:.1}");
    format!("{}{unit}", text.trim_end_matches(".0"))
}

/// A log axis range around the values (a decade margin split both ways).
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || hi <= 0.0 {
        return (1.0, 10.0);
    }
    (lo / 1.5, hi * 1.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_have_no_trailing_zeros_and_no_points_is_an_error() {
        assert_eq!(seconds_label(0.01), "0.01");
        assert_eq!(seconds_label(1.0), "1");
        assert_eq!(seconds_label(0.5), "0.5");
        assert_eq!(seconds_label(20.0), "20");
        assert!(scaling_svg(&[]).is_err());
    }

    #[test]
    fn the_figure_has_both_panels_and_every_policy() {
        let mut points = Vec::new();
        for (series, x) in [
            ("hosts", 1000),
            ("hosts", 10_000),
            ("events", 20_000),
            ("events", 200_000),
        ] {
            for p in SCALING_POLICIES {
                points.push(ScalePoint {
                    series: series.into(),
                    policy: p.name().into(),
                    hosts: x,
                    vms: x,
                    events: x,
                    placed: 1,
                    refused: 0,
                    seconds: x as f64 / 1e5,
                });
            }
        }
        let text = scaling_svg(&points).unwrap();
        assert!(text.starts_with("<svg"));
        for needle in [
            "Run time vs hosts",
            "Run time vs events",
            "first-fit",
            "best-fit",
            "worst-fit",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
        assert_eq!(scaling_svg(&points).unwrap(), text, "deterministic");
        assert_eq!(
            (human(1000.0), human(2_500_000.0), human(50.0)),
            ("1k".into(), "2.5M".into(), "50".into())
        );
    }
}
