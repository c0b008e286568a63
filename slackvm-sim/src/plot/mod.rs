//! SVG figures drawn with plotters from records and summaries (never from
//! scheduler internals): figure 3 (vNode sizes over time) here, the cluster
//! experiment's figures beside it.

pub mod cluster_replay;
pub mod figure3;

use crate::level::Level;

/// One colour per level: 1:1 blue, 2:1 orange, 3:1 green, others grey.
pub fn level_colour(level: Level) -> plotters::style::RGBColor {
    use plotters::style::RGBColor;
    if level == Level::ONE {
        RGBColor(31, 119, 180)
    } else if level == Level::TWO {
        RGBColor(255, 127, 14)
    } else if level == Level::THREE {
        RGBColor(44, 160, 44)
    } else {
        RGBColor(110, 110, 110)
    }
}

/// `1:1`, `2:1`, `1.5:1`.
pub fn level_label(level: Level) -> String {
    let level = level.get();
    if level.fract() == 0.0 {
        format!("{}:1", level as u64)
    } else {
        format!("{level}:1")
    }
}
