//! Host power models and energy: watts as a function of a host's CPU
//! utilisation (CPUs busy / host CPUs), either linear between idle and
//! max watts or a SPECpower-style table of watts at 0%, 10%, ..., 100%
//! load (linear in between, as CloudSim's `PowerModelSpecPower`).
//!
//! Shipped tables ([`PowerModel::builtin`], also under
//! `datasets/power/` with their source): two SPECpower_ssj2008 results
//! that CloudSim's power examples use, the HP ProLiant ML110 G4 (Xeon
//! 3040) and G5 (Xeon 3075).

/// CO2e of a kWh by default (g): the world average carbon intensity of
/// electricity generation, 475 g CO2/kWh (IEA, Global Energy & CO2 Status
/// Report 2019, figure for 2018).
pub const DEFAULT_GRID_G_PER_KWH: f64 = 475.0;

/// HP ProLiant ML110 G4 (1 x Xeon 3040, 2 cores, 4 GB), SPECpower_ssj2008
/// result power_ssj2008-20110127-00342: watts at 0%..100% load.
pub const HP_ML110_G4_W: [f64; 11] = [
    86.0, 89.4, 92.6, 96.0, 99.5, 102.0, 106.0, 108.0, 112.0, 114.0, 117.0,
];
/// HP ProLiant ML110 G5 (1 x Xeon 3075, 2 cores, 4 GB), SPECpower_ssj2008
/// result power_ssj2008-20110124-00339: watts at 0%..100% load.
pub const HP_ML110_G5_W: [f64; 11] = [
    93.7, 97.0, 101.0, 105.0, 110.0, 116.0, 121.0, 125.0, 129.0, 133.0, 135.0,
];

/// A host power model.
#[derive(Debug, Clone, PartialEq)]
pub enum PowerModel {
    /// Linear between idle and max watts.
    Linear {
        /// Watts at 0% load.
        idle_w: f64,
        /// Watts at 100% load.
        max_w: f64,
    },
    /// Watts at 0%, 10%, ..., 100% load.
    Table([f64; 11]),
}

impl Default for PowerModel {
    /// The table of CloudSim's examples (HP ProLiant ML110 G4).
    fn default() -> Self {
        PowerModel::Table(HP_ML110_G4_W)
    }
}

impl PowerModel {
    /// A shipped table by name (`hp-ml110-g4`, `hp-ml110-g5`).
    pub fn builtin(name: &str) -> Option<PowerModel> {
        match name {
            "hp-ml110-g4" => Some(PowerModel::Table(HP_ML110_G4_W)),
            "hp-ml110-g5" => Some(PowerModel::Table(HP_ML110_G5_W)),
            _ => None,
        }
    }
    /// Parses `linear:IDLE:MAX`, a shipped table name, or the text of a
    /// table file (lines `load_pct,watts` for 0, 10, ..., 100; `#` starts
    /// a comment). Watts must be finite, >= 0 and non-decreasing.
    pub fn parse(spec: &str) -> Result<PowerModel, String> {
        if let Some(rest) = spec.strip_prefix("linear:") {
            let (i, m) = rest
                .split_once(':')
                .ok_or_else(|| format!("`{spec}`: expected linear:IDLE_W:MAX_W"))?;
            let num = |t: &str| {
                t.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|w| w.is_finite() && *w >= 0.0)
                    .ok_or_else(|| format!("`{t}` is not a number of watts >= 0"))
            };
            let (idle_w, max_w) = (num(i)?, num(m)?);
            if max_w < idle_w {
                return Err(format!("max watts {max_w} below idle watts {idle_w}"));
            }
            return Ok(PowerModel::Linear { idle_w, max_w });
        }
        PowerModel::builtin(spec).ok_or_else(|| {
            format!("unknown power model `{spec}` (linear:IDLE:MAX, hp-ml110-g4, hp-ml110-g5, or a table file)")
        })
    }
    /// Parses a table file's text (see [`PowerModel::parse`]).
    pub fn parse_table(text: &str) -> Result<PowerModel, String> {
        let mut w = [f64::NAN; 11];
        for (no, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with("load_pct") {
                continue;
            }
            let bad = || {
                format!(
                    "line {}: expected `load_pct,watts` with load 0, 10, ..., 100",
                    no + 1
                )
            };
            let (l, v) = line.split_once(',').ok_or_else(bad)?;
            let load: usize = l.trim().parse().map_err(|_| bad())?;
            let watts: f64 = v.trim().parse().map_err(|_| bad())?;
            if !load.is_multiple_of(10) || load > 100 || !watts.is_finite() || watts < 0.0 {
                return Err(bad());
            }
            w[load / 10] = watts;
        }
        if w.iter().any(|x| x.is_nan()) {
            return Err("a table needs watts at every load 0, 10, ..., 100".into());
        }
        if w.windows(2).any(|p| p[1] < p[0]) {
            return Err("watts must not decrease with load".into());
        }
        Ok(PowerModel::Table(w))
    }
    /// Watts at utilisation `u` (clamped to [0, 1]).
    #[inline]
    pub fn watts(&self, u: f64) -> f64 {
        let u = if u.is_finite() {
            u.clamp(0.0, 1.0)
        } else {
            0.0
        };
        match self {
            PowerModel::Linear { idle_w, max_w } => idle_w + (max_w - idle_w) * u,
            PowerModel::Table(w) => {
                let x = u * 10.0;
                let i = (x.floor() as usize).min(9);
                w[i] + (w[i + 1] - w[i]) * (x - i as f64)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_interpolate_and_linear_is_linear() {
        let g4 = PowerModel::default();
        assert_eq!(g4.watts(0.0), 86.0);
        assert_eq!(g4.watts(1.0), 117.0);
        assert!((g4.watts(0.05) - 87.7).abs() < 1e-9);
        assert!((g4.watts(0.95) - 115.5).abs() < 1e-9);
        let lin = PowerModel::parse("linear:100:250").unwrap();
        assert_eq!(lin.watts(0.5), 175.0);
        assert!(PowerModel::parse("linear:250:100").is_err());
        assert_eq!(PowerModel::parse("hp-ml110-g5").unwrap().watts(1.0), 135.0);
        let text = "load_pct,watts # header\n0,10\n10,11\n20,12\n30,13\n40,14\n50,15\n60,16\n70,17\n80,18\n90,19\n100,20\n";
        assert_eq!(PowerModel::parse_table(text).unwrap().watts(0.25), 12.5);
        assert!(PowerModel::parse_table("0,10\n").is_err());
    }
}
