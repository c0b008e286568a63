//! The paper's figure 3: CPUs held by each vNode over time (solid) and the
//! CPUs busy in it (dashed), one colour per level, legend "vNode 1:1 / 2:1
//! / 3:1", axes "time" and "cores".

use super::{level_colour, level_label};
use crate::replay::VNodeSeries;
use plotters::prelude::*;
use std::path::Path;

/// Draws figure 3 to an SVG file.
pub fn draw(series: &[VNodeSeries], title: &str, path: &Path) -> Result<(), String> {
    let root = SVGBackend::new(path, (1000, 520)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let t_max = series
        .iter()
        .flat_map(|s| s.iter_points().map(|p| p.time_s))
        .max()
        .unwrap_or(1)
        .max(1);
    let t_min = series
        .iter()
        .flat_map(|s| s.iter_points().map(|p| p.time_s))
        .min()
        .unwrap_or(0);
    let y_max = series
        .iter()
        .flat_map(|s| {
            s.iter_points()
                .map(|p| (p.held as f64).max(p.busy.unwrap_or(0.0)))
        })
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
        .x_desc("time")
        .y_desc("cores")
        .x_label_formatter(&|x| format!("{}", *x as u64))
        .y_label_formatter(&|y| format!("{}", *y as u64))
        .draw()
        .map_err(|e| err(&e))?;
    let mut ordered: Vec<&VNodeSeries> = series.iter().collect();
    ordered.sort_by_key(|s| s.level);
    for s in ordered {
        let colour = level_colour(s.level);
        let held: Vec<(f64, f64)> = s
            .iter_points()
            .map(|p| (p.time_s as f64, p.held as f64))
            .collect();
        chart
            .draw_series(LineSeries::new(held, colour.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(format!("vNode {}", level_label(s.level)))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        let busy: Vec<(f64, f64)> = s
            .iter_points()
            .filter_map(|p| p.busy.map(|v| (p.time_s as f64, v)))
            .collect();
        chart
            .draw_series(DashedLineSeries::new(busy, 6, 4, colour.stroke_width(1)))
            .map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
