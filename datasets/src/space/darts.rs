//! The DARTS cell space (Liu, Simonyan & Yang, ICLR 2019) as NAS-Bench-301 defines it (Siems,
//! Zimmer et al., 2020): a normal and a reduction cell, each with 4 intermediate nodes; node
//! `k` (DARTS node `k + 2`) sums two edges from distinct earlier states — 0 the cell before
//! the previous, 1 the previous, `j + 2` intermediate node `j` — each with one of 7 operations
//! (DARTS' 8 candidates without `none`, which a derived cell never holds); the cell's output
//! concatenates the 4 intermediate nodes.
//!
//! A genotype is written as NASLib's compact form (the keys of NAS-Bench-Suite-Zero's NB301
//! sample, `nasbench301/conversions.py`): per cell, 8 `(input, op)` pairs, pairs `2k` and
//! `2k + 1` feeding node `k`, ops indexed in NB301's order ([`DARTS_OPS`]). Its canonical form
//! orders each node's two edges (their sum does not depend on the order); nodes are not
//! permuted (NB301's surrogates tell such cells apart, and so does nash). There are about
//! 10¹⁸ genotypes, so the space has no dense ids: [`DartsSample`] is a published sample of it.

use super::{ArchId, DecisionLabel, Encoding, SearchSpace};

/// Operation names in NB301's (and NASLib's compact) order.
pub const DARTS_OPS: [&str; 7] = [
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
];

const NODES: usize = 4;
const EDGES: usize = 2 * NODES;
/// The states an edge can read: the two cell inputs and the first three intermediate nodes.
const INPUTS: usize = NODES + 1;

/// One cell: edge `e` feeds node `e / 2` from state `input` through op `op`.
pub type Cell = [(u8, u8); EDGES];

/// A DARTS genotype: the normal cell, then the reduction cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Genotype {
    pub cells: [Cell; 2],
}

impl Genotype {
    /// A genotype from NASLib's compact form, `[[(0, 0), (1, 5), …], [(1, 0), …]]` (or the
    /// same integers in tuples): 32 integers, input then op of each edge.
    pub fn from_compact(text: &str) -> Result<Genotype, String> {
        let values = text
            .split(|c: char| !c.is_ascii_digit())
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse::<u8>()
                    .map_err(|_| format!("'{v}' is not a small integer"))
            })
            .collect::<Result<Vec<u8>, String>>()?;
        if values.len() != 2 * EDGES * 2 {
            return Err(format!(
                "{} integers, a compact genotype has 32 (2 cells × 8 edges × input, op)",
                values.len()
            ));
        }
        let mut cells = [[(0, 0); EDGES]; 2];
        for (c, cell) in cells.iter_mut().enumerate() {
            for (e, edge) in cell.iter_mut().enumerate() {
                let at = (c * EDGES + e) * 2;
                *edge = (values[at], values[at + 1]);
            }
        }
        let genotype = Genotype { cells };
        genotype.check()?;
        Ok(genotype)
    }

    fn check(&self) -> Result<(), String> {
        for (c, cell) in self.cells.iter().enumerate() {
            let name = ["normal", "reduce"][c];
            for node in 0..NODES {
                let [(a, op_a), (b, op_b)] = [cell[2 * node], cell[2 * node + 1]];
                if a.max(b) as usize > node + 1 {
                    return Err(format!(
                        "{name} node {}: input {} is not an earlier state (0 to {})",
                        node + 2,
                        a.max(b),
                        node + 1
                    ));
                }
                if a == b {
                    return Err(format!(
                        "{name} node {}: both edges read state {a}",
                        node + 2
                    ));
                }
                if op_a.max(op_b) as usize >= DARTS_OPS.len() {
                    return Err(format!(
                        "{name} node {}: op {} is not below 7",
                        node + 2,
                        op_a.max(op_b)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Each node's two edges in ascending order of input: the same cell, one way to write it.
    pub fn canonical(&self) -> Genotype {
        let mut cells = self.cells;
        for cell in &mut cells {
            for node in 0..NODES {
                if cell[2 * node] > cell[2 * node + 1] {
                    cell.swap(2 * node, 2 * node + 1);
                }
            }
        }
        Genotype { cells }
    }

    /// The papers' form, DARTS' `Genotype(normal=[('sep_conv_3x3', 1), …], normal_concat=[2,
    /// 3, 4, 5], reduce=…, reduce_concat=[2, 3, 4, 5])`.
    pub fn describe(&self) -> String {
        let cell = |c: &Cell| {
            let edges: Vec<String> = c
                .iter()
                .map(|&(input, op)| format!("('{}', {input})", DARTS_OPS[op as usize]))
                .collect();
            format!("[{}]", edges.join(", "))
        };
        format!(
            "Genotype(normal={}, normal_concat=[2, 3, 4, 5], reduce={}, reduce_concat=[2, 3, 4, 5])",
            cell(&self.cells[0]),
            cell(&self.cells[1])
        )
    }

    /// Per cell and edge, the op's one-hot (7) then the input's (5): 192 values, the
    /// adjacency-and-op one-hot of BANANAS' DARTS encoding.
    pub fn onehot(&self) -> Vec<f64> {
        let mut out = vec![0.0; 2 * EDGES * (DARTS_OPS.len() + INPUTS)];
        for (e, &(input, op)) in self.cells.iter().flatten().enumerate() {
            let at = e * (DARTS_OPS.len() + INPUTS);
            out[at + op as usize] = 1.0;
            out[at + DARTS_OPS.len() + input as usize] = 1.0;
        }
        out
    }

    /// The choices of [`decisions`]: each edge's input, then its op, normal cell first.
    pub fn choices(&self) -> Vec<usize> {
        self.cells
            .iter()
            .flatten()
            .flat_map(|&(input, op)| [input as usize, op as usize])
            .collect()
    }

    fn from_choices(choices: &[usize]) -> Option<Genotype> {
        if choices.len() != decisions().len() || choices.iter().any(|&c| c > u8::MAX as usize) {
            return None;
        }
        let mut cells = [[(0, 0); EDGES]; 2];
        for (e, edge) in cells.iter_mut().flatten().enumerate() {
            *edge = (choices[2 * e] as u8, choices[2 * e + 1] as u8);
        }
        let genotype = Genotype { cells };
        genotype.check().ok().map(|()| genotype)
    }
}

/// The space as decisions: per cell and edge, its input (2 to 5 states) and op (7).
fn decisions() -> Vec<usize> {
    (0..2 * EDGES)
        .flat_map(|e| [(e % EDGES) / 2 + 2, DARTS_OPS.len()])
        .collect()
}

/// A published sample of DARTS genotypes (NAS-Bench-Suite-Zero's NB301 cells): ids are
/// positions in the file, in the order of its keys, each a genotype as written there.
pub struct DartsSample {
    name: String,
    keys: Vec<String>,
    genotypes: Vec<Genotype>,
}

impl DartsSample {
    /// The sample `name` whose `keys` are compact genotypes.
    pub fn new(name: &str, keys: Vec<String>) -> Result<DartsSample, (String, String)> {
        let genotypes = keys
            .iter()
            .map(|k| Genotype::from_compact(k).map_err(|m| (k.clone(), m)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DartsSample {
            name: name.to_string(),
            keys,
            genotypes,
        })
    }

    pub fn genotype(&self, arch: ArchId) -> &Genotype {
        &self.genotypes[arch as usize]
    }
}

impl DartsSample {
    /// The DARTS paper's own cell (DARTS V2, second order) alone: what a protocol is checked
    /// against before a sample is loaded.
    pub fn darts_v2() -> DartsSample {
        const DARTS_V2: &str = "[[(0, 3), (1, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (2, 5)], \
                                [(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]";
        DartsSample::new("darts", vec![DARTS_V2.to_string()]).expect("DARTS V2 is a genotype")
    }
}

impl SearchSpace for DartsSample {
    fn name(&self) -> &str {
        &self.name
    }

    fn size(&self) -> usize {
        self.genotypes.len()
    }

    fn key(&self, arch: ArchId) -> String {
        self.keys[arch as usize].clone()
    }

    fn id_of_key(&self, key: &str) -> Option<ArchId> {
        self.keys.iter().position(|k| k == key).map(|i| i as ArchId)
    }

    fn describe(&self, arch: ArchId) -> String {
        self.genotype(arch).describe()
    }

    /// None: a search would leave the sample.
    fn neighbours(&self, _arch: ArchId, out: &mut Vec<ArchId>) {
        out.clear();
    }

    /// The first position holding the same canonical genotype.
    fn canonical(&self, arch: ArchId) -> ArchId {
        let class = self.genotype(arch).canonical();
        let first = self.genotypes.iter().position(|g| g.canonical() == class);
        first.map_or(arch, |i| i as ArchId)
    }

    fn encode(&self, arch: ArchId, encoding: Encoding) -> Option<Vec<f64>> {
        match encoding {
            Encoding::Onehot => Some(self.genotype(arch).onehot()),
            Encoding::Path => None,
        }
    }

    fn decisions(&self) -> Vec<usize> {
        decisions()
    }

    fn decision_labels(&self) -> Vec<DecisionLabel> {
        (0..2 * EDGES)
            .flat_map(|e| {
                let (cell, edge) = (["normal", "reduce"][e / EDGES], e % EDGES);
                let inputs = (0..(edge / 2 + 2)).map(|i| i.to_string()).collect();
                [
                    DecisionLabel {
                        name: format!("{cell}_edge{edge}_input"),
                        choices: inputs,
                    },
                    DecisionLabel {
                        name: format!("{cell}_edge{edge}_op"),
                        choices: DARTS_OPS.iter().map(|o| o.to_string()).collect(),
                    },
                ]
            })
            .collect()
    }

    fn choices(&self, arch: ArchId) -> Vec<usize> {
        self.genotype(arch).choices()
    }

    fn arch_of_choices(&self, choices: &[usize]) -> Option<ArchId> {
        let genotype = Genotype::from_choices(choices)?;
        let at = self.genotypes.iter().position(|g| *g == genotype)?;
        Some(at as ArchId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first genotype of NAS-Bench-Suite-Zero's NB301 sample.
    const KEY: &str = "[[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], \
                       [(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]]";

    #[test]
    fn a_compact_genotype_reads_as_nasbench301_writes_it() {
        let g = Genotype::from_compact(KEY).unwrap();
        assert_eq!(g.cells[0][1], (1, 5));
        let text = g.describe();
        assert!(
            text.starts_with(
                "Genotype(normal=[('max_pool_3x3', 0), ('dil_conv_3x3', 1), ('avg_pool_3x3', 1)"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("('dil_conv_5x5', 3)], reduce_concat=[2, 3, 4, 5])"),
            "{text}"
        );
        let onehot = g.onehot();
        assert_eq!(onehot.len(), 192);
        assert_eq!(onehot.iter().sum::<f64>(), 32.0);
        let sample = DartsSample::new("s", vec![KEY.to_string()]).unwrap();
        assert_eq!(sample.arch_of_choices(&g.choices()), Some(0));
        assert_eq!(sample.decisions().len(), 32);
        assert_eq!(sample.decision_labels()[14].choices.len(), 5);
        let v2 = DartsSample::darts_v2();
        assert!(
            v2.describe(0)
                .starts_with("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)")
        );
        assert!(
            v2.describe(0)
                .contains("('dil_conv_3x3', 2)], normal_concat")
        );
    }

    #[test]
    fn the_canonical_form_orders_each_nodes_edges() {
        let g = Genotype::from_compact(KEY).unwrap();
        let c = g.canonical();
        assert_eq!(c.cells[0][2..4], [(0, 1), (1, 1)]);
        assert_eq!(c.canonical(), c);
        let swapped = KEY.replacen("(1, 1), (0, 1)", "(0, 1), (1, 1)", 1);
        let sample = DartsSample::new("s", vec![KEY.into(), swapped]).unwrap();
        assert_eq!(sample.canonical(1), 0);
    }

    #[test]
    fn bad_genotypes_say_what_is_wrong() {
        let e = Genotype::from_compact("[[(0, 0)]]").unwrap_err();
        assert!(e.contains("2 integers"), "{e}");
        let e = Genotype::from_compact(&KEY.replacen("(0, 0)", "(2, 0)", 1)).unwrap_err();
        assert!(
            e.contains("normal node 2: input 2 is not an earlier state"),
            "{e}"
        );
        let e = Genotype::from_compact(&KEY.replacen("(1, 5)", "(0, 5)", 1)).unwrap_err();
        assert!(e.contains("both edges read state 0"), "{e}");
        let e = Genotype::from_compact(&KEY.replacen("(3, 6)", "(3, 7)", 1)).unwrap_err();
        assert!(e.contains("reduce node 5: op 7"), "{e}");
    }
}
