//! SVG figures of a sweep (plotters, SVG backend, font names only): per
//! catalogue, policy and model,
//! - `gains_*.svg`: the gains heatmap of the paper (1:1 share on x, 2:1
//!   share on y, mean gain % in each cell, with the half-width of its 95%
//!   confidence interval when there are several seeds) at the largest VM
//!   count, on a diverging scale (red below zero, white at zero, blue
//!   above) explained by a colour bar;
//! - `unallocated_*.svg`: unallocated CPU and memory (%) per distribution,
//!   SlackVM vs dedicated, at the largest VM count (y axis bounded by the
//!   data, at most 100%);
//! - `hosts_*.svg`: hosts vs initial VM count (mean over distributions) for
//!   SlackVM, dedicated and the lower bound; SlackVM is drawn last (on
//!   top), the lower bound dashed; bars: the cells' 95% confidence
//!   intervals averaged over distributions.
//!
//! Legends sit beside the plot, never over data. Figures read summary rows
//! only; same rows, same bytes; no rows is an error.

use super::grid::DISTRIBUTIONS;
use super::summary::SummaryRow;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::plot_style::{colour_bar, diverging, gain_scale};
pub(crate) use super::plot_style::{err, frame, side_legend, svg, Chart, Glyph, Root};

type Figure = (String, String);
fn suffix(r: &SummaryRow) -> String {
    let mut s = format!("{}_{}_{}", r.catalogue, r.policy.name(), r.model.name());
    if !r.mem_cap {
        s.push_str("_nocap");
    }
    if r.order != crate::cluster::EventOrder::ArrivalsFirst {
        s.push_str("_departures-first");
    }
    s
}

fn title(r: &SummaryRow) -> String {
    format!(
        "{}, policy {}, model {}{}",
        r.catalogue,
        r.policy.name(),
        r.model.name(),
        if r.mem_cap { "" } else { ", no mem cap" }
    )
}

/// Every figure for these cells: (file name, SVG text), in a fixed order.
/// No cells is an error (an empty figure would look like a result).
pub fn all_figures(cells: &[SummaryRow]) -> Result<Vec<Figure>, String> {
    if cells.is_empty() {
        return Err("no result to draw (no summary row)".into());
    }
    // Groups of cells sharing everything but shares and VM count, in order of first appearance.
    let mut groups: Vec<Vec<&SummaryRow>> = Vec::new();
    for c in cells {
        match groups.iter_mut().find(|g| suffix(g[0]) == suffix(c)) {
            Some(g) => g.push(c),
            None => groups.push(vec![c]),
        }
    }
    let mut out = Vec::new();
    for g in &groups {
        let vmax = g.iter().map(|c| c.vms).max().unwrap_or(0);
        let at_max: Vec<&SummaryRow> = g.iter().copied().filter(|c| c.vms == vmax).collect();
        let name = suffix(g[0]);
        out.push((
            format!("gains_{name}.svg"),
            gains(&at_max, &title(g[0]), vmax)?,
        ));
        out.push((
            format!("unallocated_{name}.svg"),
            unallocated(&at_max, &title(g[0]), vmax)?,
        ));
        out.push((format!("hosts_{name}.svg"), hosts(g, &title(g[0]))?));
        let price = super::price_plot::price_figure(&at_max, &title(g[0]), vmax)?;
        out.push((format!("price_{name}.svg"), price));
    }
    Ok(out)
}

fn gains(cells: &[&SummaryRow], title: &str, vms: usize) -> Result<String, String> {
    svg((720, 560), |root| {
        let (left, right) = root.split_horizontally(610);
        let caption = format!("Gain of SlackVM (% hosts), {vms} VMs: {title}");
        // Five segments (0..=4): shares 0, 25, 50, 75 and 100%.
        let segments = || (0u32..4u32).into_segmented();
        let mut chart = frame(&left, (caption, 15), 45, segments(), segments())?;
        let share = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => format!("{}", i * 25),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("1:1 share (%)")
            .y_desc("2:1 share (%)")
            .x_label_formatter(&share)
            .y_label_formatter(&share)
            .draw()
            .map_err(err)?;
        let m = gain_scale(cells);
        let at = |c: &SummaryRow| (c.shares[0] / 25, c.shares[1] / 25);
        chart
            .draw_series(cells.iter().map(|c| {
                let (x, y) = at(c);
                Rectangle::new(
                    [
                        (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                    ],
                    diverging(c.gain.mean, m).filled(),
                )
            }))
            .map_err(err)?;
        chart
            .draw_series(cells.iter().map(|c| {
                let (x, y) = at(c);
                let (text, color) = cell_label(c, m);
                Text::new(
                    text,
                    (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                    ("sans-serif", 14)
                        .into_font()
                        .color(&color)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )
            }))
            .map_err(err)?;
        colour_bar(&right, m)
    })
}

/// The text of a heatmap cell (mean gain, +- the half-width of its 95%
/// confidence interval when there are several seeds) and its colour.
fn cell_label(c: &SummaryRow, m: f64) -> (String, RGBColor) {
    let color = if (c.gain.mean / m).abs() > 0.55 {
        WHITE
    } else {
        BLACK
    };
    let half = (c.gain.ci.1 - c.gain.ci.0) / 2.0;
    let text = if c.gain.n > 1 && half.is_finite() {
        format!("{:.1}\u{b1}{:.1}", c.gain.mean, half)
    } else {
        format!("{:.1}", c.gain.mean)
    };
    (text, color)
}

/// The unallocated-capacity bars: label, colour, index in
/// [`SummaryRow::unallocated`].
const UNALLOCATED_BARS: [(&str, RGBColor, usize); 4] = [
    ("SlackVM CPU", RGBColor(31, 119, 180), 0),
    ("dedicated CPU", RGBColor(174, 199, 232), 2),
    ("SlackVM memory", RGBColor(214, 39, 40), 1),
    ("dedicated memory", RGBColor(255, 152, 150), 3),
];

fn unallocated(cells: &[&SummaryRow], title: &str, vms: usize) -> Result<String, String> {
    let ordered: Vec<&SummaryRow> = DISTRIBUTIONS
        .iter()
        .filter_map(|d| cells.iter().copied().find(|c| c.shares == *d))
        .collect();
    let n = ordered.len().max(1);
    let labels: Vec<String> = ordered
        .iter()
        .map(|c| format!("{}/{}/{}", c.shares[0], c.shares[1], c.shares[2]))
        .collect();
    // Bounded by the data (10% headroom), never beyond 100%.
    let ymax = (ordered
        .iter()
        .flat_map(|c| c.unallocated)
        .fold(1.0f64, f64::max)
        * 1.1)
        .min(100.0);
    svg((1060, 520), |root| {
        let (left, right) = root.split_horizontally(900);
        let caption = format!("Unallocated capacity, {vms} VMs: {title}");
        let mut chart = frame(&left, (caption, 16), 50, 0f64..n as f64, 0f64..ymax)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("distribution 1:1/2:1/3:1 (%)")
            .y_desc("unallocated (%)")
            .x_labels(2 * n + 2)
            .x_label_style(("sans-serif", 11))
            .x_label_formatter(&|v| {
                if (v - v.floor() - 0.5).abs() < 1e-6 {
                    labels.get(v.floor() as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(err)?;
        for (k, &(_, color, index)) in UNALLOCATED_BARS.iter().enumerate() {
            chart
                .draw_series(ordered.iter().enumerate().map(|(i, c)| {
                    let x0 = i as f64 + 0.1 + 0.2 * k as f64;
                    let v = c.unallocated[index].clamp(0.0, ymax);
                    Rectangle::new([(x0, 0.0), (x0 + 0.2, v)], color.filled())
                }))
                .map_err(err)?;
        }
        let entries: Vec<(&str, Glyph)> = UNALLOCATED_BARS
            .iter()
            .map(|&(label, color, _)| (label, Glyph::Bar(color)))
            .collect();
        side_legend(&right, 60, &entries)
    })
}

/// A 95% interval `(low, high)`.
type Interval = (f64, f64);
/// A point of the hosts figure: VM count, hosts, interval.
type HostsPoint = (f64, f64, Option<Interval>);

/// A line of the hosts figure: label, colour, dashed, the cell's value and
/// its 95% interval (`None`: no interval).
struct HostsLine {
    label: &'static str,
    color: RGBColor,
    dashed: bool,
    value: fn(&SummaryRow) -> (f64, Option<Interval>),
}

/// Drawn in this order: the lower bound under the others, SlackVM on top.
const HOSTS_LINES: [HostsLine; 3] = [
    HostsLine {
        label: "lower bound (SlackVM)",
        color: RGBColor(110, 110, 110),
        dashed: true,
        value: |c| (c.lower_bound, None),
    },
    HostsLine {
        label: "dedicated clusters",
        color: RGBColor(214, 39, 40),
        dashed: false,
        value: |c| (c.dedicated.mean, Some(c.dedicated.ci)),
    },
    HostsLine {
        label: "SlackVM",
        color: RGBColor(31, 119, 180),
        dashed: false,
        value: |c| (c.slackvm.mean, Some(c.slackvm.ci)),
    },
];

/// Per VM count: the mean over distributions of a line's value, and of the
/// low and high ends of its interval.
fn hosts_points(cells: &[&SummaryRow], vms: &[usize], line: &HostsLine) -> Vec<HostsPoint> {
    vms.iter()
        .map(|&v| {
            let vals: Vec<(f64, Option<(f64, f64)>)> = cells
                .iter()
                .filter(|c| c.vms == v)
                .map(|c| (line.value)(c))
                .collect();
            let n = vals.len().max(1) as f64;
            let mean = vals.iter().map(|p| p.0).sum::<f64>() / n;
            let ci = vals
                .iter()
                .map(|p| p.1)
                .collect::<Option<Vec<_>>>()
                .map(|cis| {
                    let lo = cis.iter().map(|c| c.0).sum::<f64>() / n;
                    let hi = cis.iter().map(|c| c.1).sum::<f64>() / n;
                    (lo, hi)
                });
            (v as f64, mean, ci)
        })
        .collect()
}

fn hosts(cells: &[&SummaryRow], title: &str) -> Result<String, String> {
    let mut vms: Vec<usize> = cells.iter().map(|c| c.vms).collect();
    vms.sort_unstable();
    vms.dedup();
    let pts: Vec<_> = HOSTS_LINES
        .iter()
        .map(|l| hosts_points(cells, &vms, l))
        .collect();
    let (vmin, vmax) = (vms[0] as f64, vms[vms.len() - 1] as f64);
    let pad = ((vmax - vmin) * 0.05).max(5.0);
    let (xmin, xmax) = (vmin - pad, vmax + pad);
    let ymax = pts
        .iter()
        .flatten()
        .map(|p| p.2.map_or(p.1, |ci| ci.1.max(p.1)))
        .fold(1.0, f64::max)
        * 1.08;
    svg((900, 480), |root| {
        let (left, right) = root.split_horizontally(720);
        let caption = format!("Hosts vs initial VMs (mean over distributions): {title}");
        let mut chart = frame(&left, (caption, 14), 45, xmin..xmax, 0f64..ymax)?;
        chart
            .configure_mesh()
            .x_desc("initial VMs")
            .y_desc("hosts")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(err)?;
        let cap = (xmax - xmin) * 0.008;
        for (line, p) in HOSTS_LINES.iter().zip(&pts) {
            draw_hosts_line(&mut chart, line, p, cap)?;
        }
        let entries: Vec<(&str, Glyph)> = HOSTS_LINES
            .iter()
            .rev()
            .map(|l| (l.label, Glyph::Line(l.color, l.dashed)))
            .collect();
        side_legend(&right, 60, &entries)?;
        right
            .draw(&Text::new(
                "bars: 95% CI".to_string(),
                (6, 60 + 24 * 3),
                ("sans-serif", 12)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(err)
    })
}

/// One line of the hosts figure: dashed, or solid with dots and error bars
/// (caps `cap` wide in data units).
fn draw_hosts_line(
    chart: &mut Chart<'_, '_, RangedCoordf64, RangedCoordf64>,
    line: &HostsLine,
    p: &[HostsPoint],
    cap: f64,
) -> Result<(), String> {
    let style = line.color.stroke_width(2);
    let xy = p.iter().map(|q| (q.0, q.1));
    if line.dashed {
        chart
            .draw_series(DashedLineSeries::new(xy, 6, 4, style))
            .map_err(err)?;
        return Ok(());
    }
    chart.draw_series(LineSeries::new(xy, style)).map_err(err)?;
    chart
        .draw_series(
            p.iter()
                .map(|q| Circle::new((q.0, q.1), 3, line.color.filled())),
        )
        .map_err(err)?;
    let s = line.color.stroke_width(1);
    for (x, (lo, hi)) in p.iter().filter_map(|q| q.2.map(|ci| (q.0, ci))) {
        for seg in [
            vec![(x, lo), (x, hi)],
            vec![(x - cap, lo), (x + cap, lo)],
            vec![(x - cap, hi), (x + cap, hi)],
        ] {
            chart
                .draw_series(std::iter::once(PathElement::new(seg, s)))
                .map_err(err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_cells_is_an_error_not_an_empty_figure() {
        assert!(all_figures(&[]).is_err());
    }
}
