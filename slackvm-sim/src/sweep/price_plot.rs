//! `price_*.svg`: the price of packing, one figure per catalogue (and
//! policy, model): three panels side by side at the largest VM count,
//! means over the distributions and seeds, for the three layouts
//! (SlackVM, dedicated clusters, shared pool): hosts, CPU shortage per
//! level (% of demanded CPU-seconds not served), energy (kWh).

use super::plot_style::{err, frame, side_legend, svg, Glyph, Root};
use super::summary::SummaryRow;
use plotters::prelude::*;

/// The layouts: label, colour.
const LAYOUTS: [(&str, RGBColor); 3] = [
    ("SlackVM", RGBColor(31, 119, 180)),
    ("dedicated", RGBColor(214, 39, 40)),
    ("shared pool", RGBColor(44, 160, 44)),
];

/// Mean over `cells` of a summarised column's mean (NaN values skipped).
fn mean_of(cells: &[&SummaryRow], name: &str) -> f64 {
    let xs: Vec<f64> = cells
        .iter()
        .filter_map(|c| c.mean_of(name))
        .filter(|v| v.is_finite())
        .collect();
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

/// One panel of grouped bars: `groups` (x labels) of one bar per layout.
fn panel(
    area: &Root<'_>,
    title: &str,
    y_desc: &str,
    groups: &[(&str, [f64; 3])],
) -> Result<(), String> {
    let ymax = groups
        .iter()
        .flat_map(|g| g.1)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-3)
        * 1.3;
    let n = groups.len() as f64;
    let mut chart = frame(area, (title.to_string(), 15), 40, 0f64..n, 0f64..ymax)?;
    let labels: Vec<&str> = groups.iter().map(|g| g.0).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc(y_desc)
        .x_labels(2 * groups.len() + 2)
        .x_label_formatter(&|v| {
            if (v - v.floor() - 0.5).abs() < 1e-6 {
                labels
                    .get(v.floor() as usize)
                    .map_or(String::new(), |s| s.to_string())
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(err)?;
    for (k, &(label, color)) in LAYOUTS.iter().enumerate() {
        chart
            .draw_series(groups.iter().enumerate().map(|(i, g)| {
                let x0 = i as f64 + 0.1 + 0.27 * k as f64;
                let v = if g.1[k].is_finite() {
                    g.1[k].max(0.0)
                } else {
                    0.0
                };
                Rectangle::new([(x0, 0.0), (x0 + 0.25, v)], color.filled())
            }))
            .map_err(err)?;
        let _ = label;
    }
    Ok(())
}

/// The figure for one group of cells (same catalogue, policy, model).
pub fn price_figure(cells: &[&SummaryRow], title: &str, vms: usize) -> Result<String, String> {
    let m = |name: &str| mean_of(cells, name);
    let short = |suffix: &str| {
        let l = |i: u32| m(&format!("shortage_pct_l{i}{suffix}"));
        [l(1), l(2), l(3)]
    };
    let (s, d, p) = (short(""), short("_dedicated"), short("_shared_pool"));
    let hosts = [
        m("hosts_slackvm"),
        m("hosts_dedicated"),
        m("hosts_shared_pool"),
    ];
    let energy = [
        m("energy_kwh_slackvm"),
        m("energy_kwh_dedicated"),
        m("energy_kwh_shared_pool"),
    ];
    svg((1500, 520), |root| {
        let (top, body) = root.split_vertically(40);
        top.draw(&Text::new(
            format!("Price of packing, {vms} VMs (mean over distributions and seeds): {title}"),
            (14, 12),
            ("sans-serif", 17),
        ))
        .map_err(err)?;
        let (body, key) = body.split_horizontally(1360);
        let entries: Vec<(&str, Glyph)> =
            LAYOUTS.iter().map(|&(l, c)| (l, Glyph::Bar(c))).collect();
        side_legend(&key, 60, &entries)?;
        let panels = body.split_evenly((1, 3));
        panel(&panels[0], "Hosts", "hosts", &[("layouts", hosts)])?;
        let groups = [
            ("1:1", [s[0], d[0], p[0]]),
            ("2:1", [s[1], d[1], p[1]]),
            ("3:1", [s[2], d[2], p[2]]),
        ];
        panel(
            &panels[1],
            "CPU shortage per level",
            "demand not served (%)",
            &groups,
        )?;
        panel(
            &panels[2],
            "Energy over the workload",
            "energy (kWh)",
            &[("layouts", energy)],
        )
    })
}
