//! `cluster.svg` of `replay --cluster`: CPUs held per level summed over
//! the hosts, stacked (one band per level, 1:1 at the bottom), and the
//! CPUs busy in each band dashed (drawn from the band's base), over the
//! cluster's timeline.

use super::{level_colour, level_label};
use crate::level::Level;
use crate::replay::cluster_summary::{Moment, Timeline};
use plotters::prelude::*;
use std::path::Path;

/// Draws the cluster's stacked CPUs to an SVG file.
pub fn draw(timeline: &Timeline, title: &str, path: &Path) -> Result<(), String> {
    let root = SVGBackend::new(path, (1000, 520)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let t_min = timeline.first().map_or(0, |p| p.0);
    let t_max = timeline.last().map_or(1, |p| p.0).max(t_min + 1);
    let y_max = timeline
        .iter()
        .map(|(_, l)| l.iter().map(|x| x.1).sum::<f64>())
        .fold(1.0f64, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(t_min as f64..t_max as f64, 0.0..(y_max * 1.08).ceil())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("CPUs")
        .x_label_formatter(&|x| format!("{}", x.round() as u64))
        .y_label_formatter(&|y| format!("{}", y.round() as u64))
        .draw()
        .map_err(|e| err(&e))?;
    let levels = timeline.first().map_or(0, |(_, l)| l.len());
    for k in 0..levels {
        draw_level(&mut chart, timeline, k).map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;
type DrawResult =
    Result<(), DrawingAreaErrorKind<<SVGBackend<'static> as DrawingBackend>::ErrorType>>;

/// One level's band (CPUs held, stacked on the levels below) and its
/// busy CPUs dashed inside it.
fn draw_level<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>, timeline: &Timeline, k: usize) -> DrawResult {
    let level = timeline[0].1[k].0;
    let colour = level_colour(level);
    let base = |l: &[(Level, f64, f64)]| l[..k].iter().map(|x| x.1).sum::<f64>();
    let top = steps(timeline, |l| base(l) + l[k].1);
    let bottom = steps(timeline, base);
    let band: Vec<(f64, f64)> = top
        .iter()
        .copied()
        .chain(bottom.into_iter().rev())
        .collect();
    chart
        .draw_series(std::iter::once(Polygon::new(
            band,
            colour.mix(0.35).filled(),
        )))?
        .label(format!("vNodes {} held (band)", level_label(level)))
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 5), (x + 20, y + 5)], colour.mix(0.35).filled())
        });
    // Busy is drawn only where the level holds CPUs.
    let mut first = true;
    for part in split(timeline, |l| l[k].1 > 0.0) {
        let busy = steps(part, |l| base(l) + l[k].2);
        let series =
            chart.draw_series(DashedLineSeries::new(busy, 6, 4, colour.stroke_width(2)))?;
        if std::mem::take(&mut first) {
            series
                .label(format!("vNodes {} busy (dashed)", level_label(level)))
                .legend(move |(x, y)| {
                    let style = colour.stroke_width(2);
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (7, 0)], style)
                        + PathElement::new(vec![(12, 0), (20, 0)], style)
                });
        }
    }
    Ok(())
}

/// The runs of consecutive timestamps where `keep` holds.
fn split(timeline: &Timeline, keep: impl Fn(&[(Level, f64, f64)]) -> bool) -> Vec<&[Moment]> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, (_, l)) in timeline.iter().enumerate() {
        match (keep(l), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&timeline[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&timeline[s..]);
    }
    out
}

/// The points of a step function: each value holds until the next time.
fn steps(timeline: &[Moment], value: impl Fn(&[(Level, f64, f64)]) -> f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(timeline.len() * 2);
    for (i, (t, levels)) in timeline.iter().enumerate() {
        let v = value(levels);
        if i > 0 {
            out.push((*t as f64, out.last().map_or(v, |p: &(f64, f64)| p.1)));
        }
        out.push((*t as f64, v));
    }
    out
}
