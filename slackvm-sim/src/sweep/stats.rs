//! Statistics over seeds: mean, sample standard deviation, the 95%
//! confidence interval of the mean (Student t) and the 95% prediction
//! interval of one run (docs/cluster.md: mean +- 1.96 sd, plus half
//! a host for rounding when the values are host counts).

/// Two-sided 95% Student t quantiles for 1..=30 degrees of freedom.
const T95: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// t quantile for `df` degrees of freedom (1.96 beyond 30).
pub fn t95(df: usize) -> f64 {
    match df {
        0 => 0.0,
        1..=30 => T95[df - 1],
        _ => 1.96,
    }
}

/// Mean, standard deviation and intervals of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Sample size.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 for n < 2).
    pub sd: f64,
    /// 95% confidence interval of the mean.
    pub ci: (f64, f64),
}

impl Stats {
    /// Statistics of `xs` (values summed in the given order).
    pub fn of(xs: &[f64]) -> Stats {
        let n = xs.len();
        if n == 0 {
            return Stats {
                n,
                mean: 0.0,
                sd: 0.0,
                ci: (0.0, 0.0),
            };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = if n < 2 {
            0.0
        } else {
            (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
        };
        let half = t95(n.saturating_sub(1)) * sd / (n as f64).sqrt();
        Stats {
            n,
            mean,
            sd,
            ci: (mean - half, mean + half),
        }
    }

    /// Prediction interval of one run: mean +- 1.96 sd, widened by `rounding`.
    pub fn prediction(&self, rounding: f64) -> (f64, f64) {
        (
            self.mean - 1.96 * self.sd - rounding,
            self.mean + 1.96 * self.sd + rounding,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sample() {
        let s = Stats::of(&[54.0, 56.0, 55.0, 55.0]);
        assert_eq!(s.mean, 55.0);
        assert!((s.sd - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
        let half = 3.182 * s.sd / 2.0;
        assert!((s.ci.1 - (55.0 + half)).abs() < 1e-12);
        let p = s.prediction(0.5);
        assert!((p.0 - (55.0 - 1.96 * s.sd - 0.5)).abs() < 1e-12);
        assert_eq!(Stats::of(&[7.0]).ci, (7.0, 7.0));
    }
}
