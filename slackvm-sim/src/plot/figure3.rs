//! The paper's figure 3: CPUs held by each vNode over time (solid steps:
//! a vNode changes size in whole CPUs at a timestamp) and the CPUs busy in
//! it (dashed), one colour per level; axes "time (s)" and "CPUs"; the
//! legend, beside the plot, says which line style is which. The same
//! series as a CSV ([`series_csv`]: time, level, held, busy, demand) so
//! they can be re-plotted elsewhere.

use super::{level_colour, level_label};
use crate::replay::VNodeSeries;
use crate::sweep::plots::{err, side_legend, Glyph};
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// Width of the plot; the legend takes the rest of the figure.
const PLOT_W: u32 = 860;
/// Most tick labels on an axis.
const MAX_TICKS: usize = 10;

/// Draws figure 3 to an SVG file.
pub fn draw(series: &[VNodeSeries], title: &str, path: &Path) -> Result<(), String> {
    let at = |e: String| format!("{}: {e}", path.display());
    let root = SVGBackend::new(path, (1100, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(err).map_err(at)?;
    let body = root
        .titled(title, ("sans-serif", 22))
        .map_err(err)
        .map_err(at)?;
    let (plot, key) = body.split_horizontally(PLOT_W);
    let mut ordered: Vec<&VNodeSeries> = series.iter().collect();
    ordered.sort_by_key(|s| s.level);
    draw_plot(&plot, &ordered).map_err(at)?;
    let labels: Vec<(String, Glyph)> = ordered
        .iter()
        .flat_map(|s| {
            let (c, l) = (level_colour(s.level), level_label(s.level));
            [
                (
                    format!("vNode {l}: CPUs held (solid)"),
                    Glyph::Line(c, false),
                ),
                (
                    format!("vNode {l}: CPUs busy (dashed)"),
                    Glyph::Line(c, true),
                ),
            ]
        })
        .collect();
    let entries: Vec<(&str, Glyph)> = labels.iter().map(|(s, g)| (s.as_str(), *g)).collect();
    side_legend(&key, 40, &entries).map_err(at)?;
    root.present().map_err(err).map_err(at)
}

/// The axes and the lines of every vNode, in level order.
fn draw_plot(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    ordered: &[&VNodeSeries],
) -> Result<(), String> {
    let (t_min, t_max) = time_range(ordered);
    let y_top = y_top(ordered);
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(t_min as f64..t_max as f64, 0.0..y_top as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("CPUs")
        .x_labels(tick_count(t_max - t_min))
        .y_labels(tick_count(y_top))
        .x_label_formatter(&|x| format!("{}", x.round() as u64))
        .y_label_formatter(&|y| format!("{}", y.round() as u64))
        .draw()
        .map_err(err)?;
    for s in ordered {
        let colour = level_colour(s.level);
        chart
            .draw_series(LineSeries::new(held_steps(s), colour.stroke_width(2)))
            .map_err(err)?;
        let busy: Vec<(f64, f64)> = s
            .iter_points()
            .filter_map(|p| p.busy.map(|v| (p.time_s as f64, v)))
            .collect();
        chart
            .draw_series(DashedLineSeries::new(busy, 6, 4, colour.stroke_width(1)))
            .map_err(err)?;
    }
    Ok(())
}

/// First and last timestamps (a span of at least 1 s).
fn time_range(series: &[&VNodeSeries]) -> (u64, u64) {
    let times = || {
        series
            .iter()
            .flat_map(|s| s.iter_points().map(|p| p.time_s))
    };
    let t_min = times().min().unwrap_or(0);
    let t_max = times().max().unwrap_or(0).max(t_min + 1);
    (t_min, t_max)
}

/// The y axis' top: whole CPUs above every value, 8% headroom, at least 1.
fn y_top(series: &[&VNodeSeries]) -> u64 {
    let y_max = series
        .iter()
        .flat_map(|s| {
            s.iter_points()
                .map(|p| (p.held as f64).max(p.busy.unwrap_or(0.0)))
        })
        .fold(1.0f64, f64::max);
    ((y_max * 1.08).ceil() as u64).max(1)
}

/// Tick labels on an integer axis of `span` units: at most one per unit,
/// so no label repeats once rounded.
fn tick_count(span: u64) -> usize {
    usize::try_from(span).map_or(MAX_TICKS, |s| s.clamp(1, MAX_TICKS - 1) + 1)
}

/// CPUs held as steps: the size holds until the next timestamp.
fn held_steps(s: &VNodeSeries) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(2 * s.points.len());
    for p in s.iter_points() {
        let (t, held) = (p.time_s as f64, p.held as f64);
        if let Some(&(_, prev)) = out.last() {
            out.push((t, prev));
        }
        out.push((t, held));
    }
    out
}

/// The plotted series as CSV: `time_s,level,held,busy,demand`, one row per
/// vNode and timestamp, by level then time; an unknown value is empty.
pub fn series_csv(series: &[VNodeSeries]) -> String {
    let mut ordered: Vec<&VNodeSeries> = series.iter().collect();
    ordered.sort_by_key(|s| s.level);
    let mut out = String::from("time_s,level,held,busy,demand\n");
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
    for s in ordered {
        for p in s.iter_points() {
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "{},{},{},{},{}",
                p.time_s,
                s.level,
                p.held,
                opt(p.busy),
                opt(p.demand)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::Level;

    fn series() -> VNodeSeries {
        VNodeSeries {
            level: Level::TWO,
            points: vec![(0, 2, Some(1.5)), (15, 4, None), (30, 1, Some(0.25))],
            demand: vec![Some(1.5), None, Some(0.25)],
        }
    }

    #[test]
    fn held_is_drawn_as_steps() {
        assert_eq!(
            held_steps(&series()),
            vec![
                (0.0, 2.0),
                (15.0, 2.0),
                (15.0, 4.0),
                (30.0, 4.0),
                (30.0, 1.0)
            ]
        );
    }

    #[test]
    fn short_axes_get_one_tick_per_unit_at_most() {
        assert_eq!(tick_count(0), 2);
        assert_eq!(tick_count(2), 3);
        assert_eq!(tick_count(1_000_000), MAX_TICKS);
    }

    #[test]
    fn csv_lists_every_point_with_empty_unknowns() {
        let csv = series_csv(&[series()]);
        assert_eq!(
            csv,
            "time_s,level,held,busy,demand\n0,2.0,2,1.5,1.5\n15,2.0,4,,\n30,2.0,1,0.25,0.25\n"
        );
    }
}
