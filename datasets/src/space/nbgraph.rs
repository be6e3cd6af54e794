//! The NAS-Bench-Graph space (Qin et al., NeurIPS 2022 Datasets and Benchmarks).
//!
//! A GNN is 4 computing nodes; node `i` reads from node `link[i]` (0 is the input, `k` the
//! output of node `k`) and applies one operation. The 9 link patterns and the operation lists
//! are those of `nas_bench_graph/architecture.py` (version 1.4.0). The package keeps one
//! architecture per isomorphism class: those for which `Arch.check_isomorph()` holds (moving
//! skip connections forward and sorting interchangeable branches leaves them unchanged),
//! leaving out the all-skip network. That gives 26,206 architectures with the 9 operations,
//! and 2,021 for the `proteins` dataset, which was only run with 5 of them. This module
//! re-implements that rule from its definition and enumerates the space in key order; the
//! importer checks the enumeration against the keys of every table.
//!
//! Keys are the package's `Arch.hash_arch()`: the link pattern's index, then each op's index
//! in the full 9-op list, as base-10 digits (`link·10⁴ + o₀·10³ + o₁·10² + o₂·10 + o₃`).

use super::{ArchId, DecisionLabel, Encoding, OpGraph, SearchSpace};
use std::collections::HashMap;

/// The operation list, in the package's `gnn_list` order (key digits index it).
pub const NBGRAPH_OPS: [&str; 9] = [
    "gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip",
];

/// The 9 link patterns, in `link_list` order.
pub const NBGRAPH_LINKS: [[u8; 4]; 9] = [
    [0, 0, 0, 0],
    [0, 0, 0, 1],
    [0, 0, 1, 1],
    [0, 0, 1, 2],
    [0, 0, 1, 3],
    [0, 1, 1, 1],
    [0, 1, 1, 2],
    [0, 1, 2, 2],
    [0, 1, 2, 3],
];

/// The ops `proteins` was benchmarked with (`gnn_list_proteins`), as indices into
/// [`NBGRAPH_OPS`].
const PROTEINS_OPS: [u8; 5] = [1, 4, 5, 7, 8];
const SKIP: u8 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Gnn {
    link: [u8; 4],
    ops: [u8; 4],
}

pub struct NbGraphSpace {
    ops: Vec<u8>,
    archs: Vec<Gnn>,
    by_key: HashMap<u32, ArchId>,
}

impl NbGraphSpace {
    /// The space of a dataset: `proteins` uses 5 ops, every other dataset all 9.
    pub fn for_dataset(dataset: &str) -> NbGraphSpace {
        if dataset == "proteins" {
            NbGraphSpace::with_ops(&PROTEINS_OPS)
        } else {
            NbGraphSpace::with_ops(&[0, 1, 2, 3, 4, 5, 6, 7, 8])
        }
    }

    fn with_ops(allowed: &[u8]) -> NbGraphSpace {
        let mut archs = Vec::new();
        for &a in allowed {
            for &b in allowed {
                for &c in allowed {
                    for &d in allowed {
                        let ops = [a, b, c, d];
                        if ops == [SKIP; 4] {
                            continue;
                        }
                        for link in NBGRAPH_LINKS {
                            let g = Gnn { link, ops };
                            if is_canonical(g) {
                                archs.push(g);
                            }
                        }
                    }
                }
            }
        }
        archs.sort_by_key(|g| hash(*g));
        let by_key = archs
            .iter()
            .enumerate()
            .map(|(i, g)| (hash(*g), i as ArchId))
            .collect();
        NbGraphSpace {
            ops: allowed.to_vec(),
            archs,
            by_key,
        }
    }

    /// The key the package uses for `arch`.
    pub fn hash(&self, arch: ArchId) -> u32 {
        hash(self.archs[arch as usize])
    }

    pub fn id_of_hash(&self, key: u32) -> Option<ArchId> {
        self.by_key.get(&key).copied()
    }
}

fn link_index(link: [u8; 4]) -> Option<usize> {
    NBGRAPH_LINKS.iter().position(|l| *l == link)
}

fn hash(g: Gnn) -> u32 {
    let link = link_index(g.link).expect("space members use listed links") as u32;
    g.ops.iter().fold(link, |acc, &o| acc * 10 + o as u32)
}

/// `Arch.check_isomorph()`: the architecture is its own normal form.
fn is_canonical(g: Gnn) -> bool {
    let moved = move_skip_op(g);
    equalpart_sort(moved) == g
}

/// `Arch.move_skip_op()`: skip connections that feed another node, have no sibling on the same
/// input, or only pass the input through are moved to the front, relinking the rest.
fn move_skip_op(g: Gnn) -> Gnn {
    let mut link = g.link.to_vec();
    let mut ops = g.ops.to_vec();
    let n = link.len();
    for i in 0..n {
        if ops[i] != SKIP {
            continue;
        }
        let mut son = false;
        let mut brother = false;
        for (j, &fa) in link.iter().enumerate() {
            if fa as usize == i + 1 {
                son = true;
            } else if j != i && fa == link[i] {
                brother = true;
            }
        }
        // The package writes `son or not brother or check_dim(...) and not son`; the last
        // `not son` is implied by the first test failing.
        if son || !brother || only_skips_to_input(i, &link, &ops) {
            (link, ops) = move_one(i, link, ops);
        }
    }
    if link == [0, 1, 2, 1] {
        link = vec![0, 1, 1, 2];
        ops = vec![ops[0], ops[1], ops[3], ops[2]];
    } else if link == [0, 1, 1, 3] {
        link = vec![0, 1, 1, 2];
        ops = vec![ops[0], ops[2], ops[1], ops[3]];
    }
    Gnn {
        link: link.try_into().expect("4 links"),
        ops: ops.try_into().expect("4 ops"),
    }
}

/// `check_dim`: node `k` and all its ancestors are skips, so it carries the input unchanged.
fn only_skips_to_input(k: usize, link: &[u8], ops: &[u8]) -> bool {
    let mut k = k as i64;
    while k > -1 {
        if ops[k as usize] != SKIP {
            return false;
        }
        k = link[k as usize] as i64 - 1;
    }
    true
}

/// `move_one`: node `k` becomes the first node; links are renumbered in place, in the same
/// order as the package does it (a later node that read `k` reads what `k` now reads).
fn move_one(k: usize, mut link: Vec<u8>, ops: Vec<u8>) -> (Vec<u8>, Vec<u8>) {
    let mut new_ops = vec![ops[k]];
    new_ops.extend_from_slice(&ops[..k]);
    new_ops.extend_from_slice(&ops[k + 1..]);
    for i in 0..link.len() {
        let father = link[i] as usize;
        if father == k + 1 {
            link[i] = link[k];
        }
        if father <= k {
            link[i] += 1;
        }
    }
    let mut new_link = vec![0];
    new_link.extend_from_slice(&link[..k]);
    new_link.extend_from_slice(&link[k + 1..]);
    (new_link, new_ops)
}

/// `Arch.equalpart_sort()`: ops on interchangeable branches are sorted by op index.
fn equalpart_sort(g: Gnn) -> Gnn {
    let mut ops = g.ops;
    let ids: &[usize] = match g.link {
        [0, 0, 0, 0] => &[0, 1, 2, 3],
        [0, 0, 0, 1] => &[1, 2],
        [0, 0, 1, 1] => &[2, 3],
        [0, 1, 1, 1] => &[1, 2, 3],
        [0, 1, 2, 2] => &[2, 3],
        [0, 0, 1, 2] => {
            let o = g.ops;
            if o[0] > o[1] || (o[0] == o[1] && o[2] > o[3]) {
                ops = [o[1], o[0], o[3], o[2]];
            }
            &[]
        }
        _ => &[],
    };
    let mut sorted: Vec<u8> = ids.iter().map(|&i| ops[i]).collect();
    sorted.sort_unstable();
    for (&i, o) in ids.iter().zip(sorted) {
        ops[i] = o;
    }
    Gnn { link: g.link, ops }
}

impl SearchSpace for NbGraphSpace {
    fn name(&self) -> &str {
        "nbgraph"
    }

    fn size(&self) -> usize {
        self.archs.len()
    }

    fn key(&self, arch: ArchId) -> String {
        self.hash(arch).to_string()
    }

    fn id_of_key(&self, key: &str) -> Option<ArchId> {
        key.parse().ok().and_then(|k| self.id_of_hash(k))
    }

    /// `links=[0,0,1,2] ops=[gcn,gat,skip,fc]`.
    fn describe(&self, arch: ArchId) -> String {
        let g = self.archs[arch as usize];
        let ops: Vec<&str> = g.ops.iter().map(|&o| NBGRAPH_OPS[o as usize]).collect();
        format!("links={:?} ops=[{}]", g.link, ops.join(","))
    }

    /// One-hot of the link pattern (9) and of each node's op (4 × 9).
    fn encode(&self, arch: ArchId, encoding: Encoding) -> Option<Vec<f64>> {
        if encoding != Encoding::Onehot {
            return None;
        }
        let g = self.archs[arch as usize];
        let mut out = vec![0.0; 9 + 4 * 9];
        out[link_index(g.link).expect("space members use listed links")] = 1.0;
        for (pos, &op) in g.ops.iter().enumerate() {
            out[9 + pos * 9 + op as usize] = 1.0;
        }
        Some(out)
    }

    /// Nodes: 0 the input, 1–4 the computing nodes, 5 the output, which reads every node no
    /// other node reads; node types 0 input, 1 output, 2 + op index.
    fn op_graph(&self, arch: ArchId) -> Option<OpGraph> {
        let g = self.archs[arch as usize];
        let mut ops = vec![0];
        ops.extend(g.ops.iter().map(|&o| 2 + o as usize));
        ops.push(1);
        let mut edges: Vec<(usize, usize)> = g
            .link
            .iter()
            .enumerate()
            .map(|(i, &from)| (from as usize, i + 1))
            .collect();
        for node in 1..=4 {
            if !g.link.contains(&(node as u8)) {
                edges.push((node, 5));
            }
        }
        Some(OpGraph {
            ops,
            edges,
            op_types: 2 + NBGRAPH_OPS.len(),
        })
    }

    /// The link pattern (9 choices), then each node's op among the dataset's ops.
    fn decisions(&self) -> Vec<usize> {
        vec![
            NBGRAPH_LINKS.len(),
            self.ops.len(),
            self.ops.len(),
            self.ops.len(),
            self.ops.len(),
        ]
    }

    /// `links` (each pattern as its four predecessor indices, e.g. `0001`), then `op1`…`op4`
    /// among the dataset's ops.
    fn decision_labels(&self) -> Vec<DecisionLabel> {
        let links = DecisionLabel {
            name: "links".into(),
            choices: NBGRAPH_LINKS
                .iter()
                .map(|l| l.iter().map(|d| char::from(b'0' + d)).collect())
                .collect(),
        };
        let op = |i: usize| DecisionLabel {
            name: format!("op{i}"),
            choices: self
                .ops
                .iter()
                .map(|&o| NBGRAPH_OPS[o as usize].to_string())
                .collect(),
        };
        std::iter::once(links).chain((1..=4).map(op)).collect()
    }

    fn choices(&self, arch: ArchId) -> Vec<usize> {
        let g = self.archs[arch as usize];
        let mut out = vec![link_index(g.link).expect("space members use listed links")];
        out.extend(g.ops.iter().map(|o| {
            self.ops
                .iter()
                .position(|a| a == o)
                .expect("space members use the dataset's ops")
        }));
        out
    }

    /// Choices outside the kept isomorphism representatives map to their representative, by
    /// applying the package's normal form (`move_skip_op`, then `equalpart_sort`) until it no
    /// longer changes; the all-skip network has none.
    fn arch_of_choices(&self, choices: &[usize]) -> Option<ArchId> {
        let [link, ops @ ..] = choices else {
            return None;
        };
        let ops: [u8; 4] = ops
            .iter()
            .map(|&c| self.ops.get(c).copied())
            .collect::<Option<Vec<u8>>>()?
            .try_into()
            .ok()?;
        let mut g = Gnn {
            link: *NBGRAPH_LINKS.get(*link)?,
            ops,
        };
        for _ in 0..4 {
            link_index(g.link)?;
            if let Some(&id) = self.by_key.get(&hash(g)) {
                return Some(id);
            }
            g = equalpart_sort(move_skip_op(g));
        }
        None
    }

    /// Architectures of the space that differ from `arch` in one node's op, or in the link
    /// pattern alone.
    fn neighbours(&self, arch: ArchId, out: &mut Vec<ArchId>) {
        out.clear();
        let g = self.archs[arch as usize];
        for pos in 0..4 {
            for &op in &self.ops {
                if op != g.ops[pos] {
                    let mut n = g;
                    n.ops[pos] = op;
                    out.extend(self.by_key.get(&hash(n)));
                }
            }
        }
        for link in NBGRAPH_LINKS {
            if link != g.link {
                out.extend(self.by_key.get(&hash(Gnn { link, ops: g.ops })));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_has_the_package_sizes() {
        assert_eq!(NbGraphSpace::for_dataset("cora").size(), 26_206);
        assert_eq!(NbGraphSpace::for_dataset("proteins").size(), 2_021);
    }

    #[test]
    fn keys_decode_as_the_package_hashes() {
        let s = NbGraphSpace::for_dataset("cora");
        // The first key of every full-space table is 0: links [0,0,0,0], four GATs.
        assert_eq!(s.key(0), "0");
        assert_eq!(s.describe(0), "links=[0, 0, 0, 0] ops=[gat,gat,gat,gat]");
        let p = NbGraphSpace::for_dataset("proteins");
        assert_eq!(p.key(0), "1111");
        for id in [0, 5, 2_020] {
            assert_eq!(p.id_of_key(&p.key(id)), Some(id));
        }
    }

    #[test]
    fn every_choice_sequence_but_all_skip_has_a_representative() {
        for space in [
            NbGraphSpace::for_dataset("cora"),
            NbGraphSpace::for_dataset("proteins"),
        ] {
            for arch in 0..space.size() as ArchId {
                assert_eq!(space.arch_of_choices(&space.choices(arch)), Some(arch));
            }
            let d = space.decisions();
            let combos: usize = d.iter().product();
            let mut missing = 0;
            for mut i in 0..combos {
                let choices: Vec<usize> = d
                    .iter()
                    .rev()
                    .map(|&n| {
                        let c = i % n;
                        i /= n;
                        c
                    })
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if space.arch_of_choices(&choices).is_none() {
                    missing += 1;
                }
            }
            // The all-skip network under each of the 9 link patterns has no member.
            assert_eq!(missing, 9, "{}", space.size());
        }
    }

    #[test]
    fn neighbours_stay_in_the_space() {
        let s = NbGraphSpace::for_dataset("arxiv");
        let mut out = Vec::new();
        for id in [0, 100, 26_205] {
            s.neighbours(id, &mut out);
            assert!(!out.is_empty());
            assert!(out.iter().all(|&n| n != id && (n as usize) < s.size()));
        }
    }

    #[test]
    fn interchangeable_branches_are_sorted() {
        let g = Gnn {
            link: [0, 0, 0, 0],
            ops: [2, 1, 0, 3],
        };
        assert!(!is_canonical(g));
        assert!(is_canonical(Gnn {
            link: [0, 0, 0, 0],
            ops: [0, 1, 2, 3]
        }));
    }
}
