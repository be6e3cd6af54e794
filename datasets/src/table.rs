//! Dense benchmark tables: every metric of every architecture and training seed, in flat
//! arrays indexed by architecture id, so a query is two multiplications and a load.

/// One task's table. Values are stored arch-major: `values[metric][arch * n_seeds + seed]`,
/// NaN where an architecture has fewer seeds than the table's maximum.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    n_archs: usize,
    n_seeds: usize,
    seed_counts: Vec<u8>,
    values: Vec<Vec<f64>>,
    means: Vec<Vec<f64>>,
    /// Metrics whose values may be NaN (undefined for that architecture).
    undefined_allowed: Vec<bool>,
}

impl Table {
    /// An empty table to be filled with [`Table::set_seeds`], then sealed with
    /// [`Table::finish`].
    pub fn new(n_archs: usize, n_seeds: usize, n_metrics: usize) -> Table {
        Table {
            n_archs,
            n_seeds,
            seed_counts: vec![0; n_archs],
            values: vec![vec![f64::NAN; n_archs * n_seeds]; n_metrics],
            means: Vec::new(),
            undefined_allowed: vec![false; n_metrics],
        }
    }

    /// Lets `metric` hold NaN where an architecture has no value (a recorded score its
    /// publisher left out); its mean is then NaN too.
    pub fn allow_undefined(&mut self, metric: usize) {
        self.undefined_allowed[metric] = true;
    }

    /// Stores one metric's per-seed values for one architecture. Returns an error message if
    /// the number of seeds disagrees with the table or with the arch's other metrics.
    pub fn set_seeds(&mut self, arch: usize, metric: usize, seeds: &[f64]) -> Result<(), String> {
        if seeds.is_empty() || seeds.len() > self.n_seeds {
            return Err(format!(
                "has {} values, expected 1 to {}",
                seeds.len(),
                self.n_seeds
            ));
        }
        let allowed = |v: &&f64| self.undefined_allowed[metric] && v.is_nan();
        if let Some(bad) = seeds
            .iter()
            .filter(|v| !allowed(v))
            .find(|v| !v.is_finite())
        {
            return Err(format!("holds the non-finite value {bad}"));
        }
        match self.seed_counts[arch] as usize {
            0 => self.seed_counts[arch] = seeds.len() as u8,
            n if n != seeds.len() => {
                return Err(format!(
                    "has {} seeds where the architecture's other metrics have {n}",
                    seeds.len()
                ));
            }
            _ => {}
        }
        let start = arch * self.n_seeds;
        self.values[metric][start..start + seeds.len()].copy_from_slice(seeds);
        Ok(())
    }

    /// Checks that every architecture has every metric and computes the per-arch means.
    /// Returns the first incomplete architecture's id and metric index otherwise.
    pub fn finish(&mut self) -> Result<(), (usize, usize)> {
        for arch in 0..self.n_archs {
            let n = self.seed_counts[arch] as usize;
            for (m, col) in self.values.iter().enumerate() {
                let start = arch * self.n_seeds;
                let undefined =
                    !self.undefined_allowed[m] && col[start..start + n].iter().any(|v| v.is_nan());
                if n == 0 || undefined {
                    return Err((arch, m));
                }
            }
        }
        self.means = self
            .values
            .iter()
            .map(|col| {
                (0..self.n_archs)
                    .map(|a| {
                        let n = self.seed_counts[a] as usize;
                        let start = a * self.n_seeds;
                        col[start..start + n].iter().sum::<f64>() / n as f64
                    })
                    .collect()
            })
            .collect();
        Ok(())
    }

    pub fn n_archs(&self) -> usize {
        self.n_archs
    }

    /// The largest number of training seeds any architecture has.
    pub fn n_seeds(&self) -> usize {
        self.n_seeds
    }

    pub fn n_metrics(&self) -> usize {
        self.values.len()
    }

    /// The number of training seeds recorded for `arch`.
    pub fn seeds(&self, arch: usize) -> usize {
        self.seed_counts[arch] as usize
    }

    /// The fewest seeds any architecture has.
    pub fn min_seeds(&self) -> usize {
        self.seed_counts.iter().copied().min().unwrap_or(0) as usize
    }

    #[inline]
    pub fn value(&self, metric: usize, arch: usize, seed: usize) -> f64 {
        self.values[metric][arch * self.n_seeds + seed]
    }

    /// The mean over the architecture's seeds.
    #[inline]
    pub fn mean(&self, metric: usize, arch: usize) -> f64 {
        self.means[metric][arch]
    }

    /// Every architecture's mean of one metric.
    pub fn means(&self, metric: usize) -> &[f64] {
        &self.means[metric]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_averages_ragged_seeds() {
        let mut t = Table::new(2, 3, 1);
        t.set_seeds(0, 0, &[1.0, 2.0, 3.0]).unwrap();
        t.set_seeds(1, 0, &[4.0, 6.0]).unwrap();
        t.finish().unwrap();
        assert_eq!(t.mean(0, 0), 2.0);
        assert_eq!(t.mean(0, 1), 5.0);
        assert_eq!(t.seeds(1), 2);
        assert_eq!(t.min_seeds(), 2);
        assert_eq!(t.value(0, 1, 1), 6.0);
    }

    #[test]
    fn rejects_inconsistent_or_missing_values() {
        let mut t = Table::new(2, 2, 2);
        t.set_seeds(0, 0, &[1.0, 2.0]).unwrap();
        assert!(
            t.set_seeds(0, 1, &[1.0])
                .unwrap_err()
                .contains("other metrics have 2")
        );
        assert!(
            t.set_seeds(1, 0, &[f64::NAN])
                .unwrap_err()
                .contains("non-finite")
        );
        assert_eq!(t.finish(), Err((0, 1)));
    }

    #[test]
    fn a_metric_may_be_allowed_undefined_values() {
        let mut t = Table::new(2, 1, 2);
        t.allow_undefined(1);
        for a in 0..2 {
            t.set_seeds(a, 0, &[a as f64]).unwrap();
        }
        t.set_seeds(0, 1, &[f64::NAN]).unwrap();
        t.set_seeds(1, 1, &[3.0]).unwrap();
        assert!(
            t.set_seeds(1, 0, &[f64::NAN]).is_err(),
            "metric 0 is not allowed"
        );
        assert!(
            t.set_seeds(1, 1, &[f64::INFINITY]).is_err(),
            "infinite is not undefined"
        );
        t.finish().unwrap();
        assert!(t.mean(1, 0).is_nan());
        assert_eq!(t.mean(1, 1), 3.0);
    }
}
