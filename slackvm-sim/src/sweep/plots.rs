//! SVG figures of a sweep (plotters, SVG backend, font names only): per
//! catalogue, policy and model,
//! - `gains_*.svg`: the gains heatmap of the paper (1:1 share on x, 2:1
//!   share on y, mean gain % in each cell) at the largest VM count;
//! - `unallocated_*.svg`: unallocated CPU and memory (%) per distribution,
//!   SlackVM vs dedicated, at the largest VM count;
//! - `hosts_*.svg`: hosts vs initial VM count (mean over distributions) for
//!   SlackVM, dedicated and the lower bound.
//!
//! Figures read summary rows only; same rows, same bytes.

use super::grid::DISTRIBUTIONS;
use super::summary::SummaryRow;
use plotters::coord::ranged1d::AsRangedCoord;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

type Figure = (String, String);
/// The drawing area of one SVG figure.
pub(crate) type Root<'s> = DrawingArea<SVGBackend<'s>, Shift>;
/// A cartesian chart on one SVG figure.
pub(crate) type Chart<'a, 's, X, Y> = ChartContext<'a, SVGBackend<'s>, Cartesian2d<X, Y>>;
/// A line of the hosts figure: label, colour, value of a cell.
type Line = (&'static str, RGBColor, fn(&SummaryRow) -> f64);

pub(crate) fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Renders one SVG figure of `size` pixels to a string: a white page that
/// `draw` paints on, then presented.
pub(crate) fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&Root<'_>) -> Result<(), String>,
) -> Result<String, String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(buf)
}

/// The cartesian chart every figure draws on: a sans-serif caption of
/// `caption_px`, a 14 px margin, `x_area` px of x labels, 55 px of y
/// labels, axes over `x` and `y`.
pub(crate) fn frame<'a, 's, X: AsRangedCoord, Y: AsRangedCoord>(
    root: &'a Root<'s>,
    (caption, caption_px): (String, u32),
    x_area: u32,
    x: X,
    y: Y,
) -> Result<Chart<'a, 's, X::CoordDescType, Y::CoordDescType>, String> {
    ChartBuilder::on(root)
        .caption(caption, ("sans-serif", caption_px))
        .margin(14)
        .x_label_area_size(x_area)
        .y_label_area_size(55)
        .build_cartesian_2d(x, y)
        .map_err(err)
}

/// Draws the series legend at `position`: white box, black border.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

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
pub fn all_figures(cells: &[SummaryRow]) -> Result<Vec<Figure>, String> {
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
    }
    Ok(out)
}

fn heat(g: f64, max: f64) -> RGBColor {
    let t = if max > 0.0 {
        (g / max).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(247.0, 8.0), lerp(251.0, 81.0), lerp(255.0, 156.0))
}

fn gains(cells: &[&SummaryRow], title: &str, vms: usize) -> Result<String, String> {
    svg((640, 560), |root| {
        let caption = format!("Gain of SlackVM (% hosts), {vms} VMs: {title}");
        let segments = || (0u32..5u32).into_segmented();
        let mut chart = frame(root, (caption, 16), 45, segments(), segments())?;
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
        let max = cells.iter().map(|c| c.gain.mean).fold(0.0, f64::max);
        let at = |c: &SummaryRow| (c.shares[0] / 25, c.shares[1] / 25);
        chart
            .draw_series(cells.iter().map(|c| {
                let (x, y) = at(c);
                Rectangle::new(
                    [
                        (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                    ],
                    heat(c.gain.mean, max).filled(),
                )
            }))
            .map_err(err)?;
        chart
            .draw_series(cells.iter().map(|c| {
                let (x, y) = at(c);
                let color = if max > 0.0 && c.gain.mean / max > 0.55 {
                    WHITE
                } else {
                    BLACK
                };
                Text::new(
                    format!("{:.1}", c.gain.mean),
                    (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                    ("sans-serif", 15)
                        .into_font()
                        .color(&color)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )
            }))
            .map_err(err)?;
        Ok(())
    })
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
    let ymax = ordered
        .iter()
        .flat_map(|c| c.unallocated)
        .fold(10.0f64, f64::max)
        .min(100.0)
        * 1.15;
    svg((1000, 520), |root| {
        let caption = format!("Unallocated capacity, {vms} VMs: {title}");
        let mut chart = frame(root, (caption, 16), 50, 0f64..n as f64, 0f64..ymax)?;
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
        for (k, &(label, color, index)) in UNALLOCATED_BARS.iter().enumerate() {
            chart
                .draw_series(ordered.iter().enumerate().map(|(i, c)| {
                    let x0 = i as f64 + 0.1 + 0.2 * k as f64;
                    let v = c.unallocated[index].max(0.0);
                    Rectangle::new([(x0, 0.0), (x0 + 0.2, v)], color.filled())
                }))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

fn hosts(cells: &[&SummaryRow], title: &str) -> Result<String, String> {
    let mut vms: Vec<usize> = cells.iter().map(|c| c.vms).collect();
    vms.sort_unstable();
    vms.dedup();
    let mean_of = |v: usize, f: fn(&SummaryRow) -> f64| {
        let xs: Vec<f64> = cells.iter().filter(|c| c.vms == v).map(|c| f(c)).collect();
        xs.iter().sum::<f64>() / xs.len().max(1) as f64
    };
    let lines: [Line; 3] = [
        ("SlackVM", RGBColor(31, 119, 180), |c| c.slackvm.mean),
        ("dedicated", RGBColor(214, 39, 40), |c| c.dedicated.mean),
        ("lower bound", RGBColor(120, 120, 120), |c| c.lower_bound),
    ];
    let pts: Vec<Vec<(f64, f64)>> = lines
        .iter()
        .map(|(_, _, f)| vms.iter().map(|&v| (v as f64, mean_of(v, *f))).collect())
        .collect();
    let xmax = vms.last().copied().unwrap_or(1) as f64 * 1.05 + 1.0;
    let ymax = pts.iter().flatten().map(|p| p.1).fold(1.0, f64::max) * 1.1;
    svg((720, 480), |root| {
        let caption = format!("Hosts vs initial VMs (mean over distributions): {title}");
        let mut chart = frame(root, (caption, 15), 45, 0f64..xmax, 0f64..ymax)?;
        chart
            .configure_mesh()
            .x_desc("initial VMs")
            .y_desc("hosts")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(err)?;
        for (&(label, color, _), p) in lines.iter().zip(&pts) {
            chart
                .draw_series(LineSeries::new(p.iter().copied(), color.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            chart
                .draw_series(p.iter().map(|&q| Circle::new(q, 3, color.filled())))
                .map_err(err)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}
