//! The shared look of the sweep figures: the SVG page and its chart frame,
//! the diverging colour scale of gains and its colour bar, and legends
//! drawn beside a plot (never over its data).

use super::summary::SummaryRow;
use plotters::coord::ranged1d::AsRangedCoord;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The drawing area of one SVG figure.
pub(crate) type Root<'s> = DrawingArea<SVGBackend<'s>, Shift>;
/// A cartesian chart on one SVG figure.
pub(crate) type Chart<'a, 's, X, Y> = ChartContext<'a, SVGBackend<'s>, Cartesian2d<X, Y>>;

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

/// Diverging colour of gain `g` on a scale of +-`m`: red below zero,
/// near-white at zero, blue above.
pub(crate) fn diverging(g: f64, m: f64) -> RGBColor {
    let t = if m > 0.0 {
        (g / m).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let (end, t) = if t >= 0.0 {
        ((8.0, 81.0, 156.0), t)
    } else {
        ((165.0, 15.0, 21.0), -t)
    };
    let lerp = |b: f64| (247.0 + (b - 247.0) * t).round() as u8;
    RGBColor(lerp(end.0), lerp(end.1), lerp(end.2))
}

/// The symmetric scale of the gains: the largest |gain|, rounded up to a
/// multiple of 5 (at least 5).
pub(crate) fn gain_scale(cells: &[&SummaryRow]) -> f64 {
    let m = cells.iter().map(|c| c.gain.mean.abs()).fold(0.0, f64::max);
    ((m / 5.0).ceil() * 5.0).max(5.0)
}

/// The colour bar of the gains heatmap: the diverging scale from -`m` to
/// +`m`, labelled in % of hosts.
pub(crate) fn colour_bar(area: &Root<'_>, m: f64) -> Result<(), String> {
    let mut bar = ChartBuilder::on(area)
        .margin_top(37)
        .margin_bottom(59)
        .margin_right(6)
        .set_label_area_size(LabelAreaPosition::Right, 62)
        .build_cartesian_2d(0f64..1f64, -m..m)
        .map_err(err)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(5)
        .y_label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .y_desc("gain (% hosts)")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(err)?;
    const STEPS: u32 = 64;
    let step = 2.0 * m / f64::from(STEPS);
    bar.draw_series((0..STEPS).map(|k| {
        let lo = -m + step * f64::from(k);
        Rectangle::new(
            [(0.0, lo), (1.0, lo + step)],
            diverging(lo + step / 2.0, m).filled(),
        )
    }))
    .map_err(err)?;
    bar.draw_series(std::iter::once(Rectangle::new(
        [(0.0, -m), (1.0, m)],
        BLACK.stroke_width(1),
    )))
    .map_err(err)?;
    Ok(())
}

/// What a legend entry shows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Glyph {
    /// A filled bar of this colour.
    Bar(RGBColor),
    /// A line of this colour with a dot; dashed when `true`.
    Line(RGBColor, bool),
}

/// Draws a legend beside a plot, in `area` (never over data): one row per
/// entry from `top_px` down, glyph then label.
pub(crate) fn side_legend(
    area: &Root<'_>,
    top_px: i32,
    entries: &[(&str, Glyph)],
) -> Result<(), String> {
    for (k, &(label, glyph)) in entries.iter().enumerate() {
        let y = top_px + 24 * k as i32;
        match glyph {
            Glyph::Bar(c) => area
                .draw(&Rectangle::new([(6, y - 6), (28, y + 6)], c.filled()))
                .map_err(err)?,
            Glyph::Line(c, dashed) => {
                let parts: &[(i32, i32)] = if dashed {
                    &[(4, 12), (18, 26)]
                } else {
                    &[(4, 28)]
                };
                for &(a, b) in parts {
                    area.draw(&PathElement::new(vec![(a, y), (b, y)], c.stroke_width(2)))
                        .map_err(err)?;
                }
                if !dashed {
                    area.draw(&Circle::new((16, y), 3, c.filled()))
                        .map_err(err)?;
                }
            }
        }
        area.draw(&Text::new(
            label.to_string(),
            (36, y),
            ("sans-serif", 13)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gains_diverge_around_a_white_zero() {
        let zero = diverging(0.0, 10.0);
        assert_eq!(zero, RGBColor(247, 247, 247));
        let (neg, pos) = (diverging(-5.0, 10.0), diverging(5.0, 10.0));
        assert_ne!(neg, zero);
        assert_ne!(pos, zero);
        assert!(neg.0 > neg.2, "negative gains are red: {neg:?}");
        assert!(pos.2 > pos.0, "positive gains are blue: {pos:?}");
        assert_eq!(diverging(-50.0, 10.0), RGBColor(165, 15, 21));
    }
}
