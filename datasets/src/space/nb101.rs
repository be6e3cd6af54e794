//! The NAS-Bench-101 cell space (Ying et al., "NAS-Bench-101: Towards Reproducible Neural
//! Architecture Search", ICML 2019), as google-research/nasbench defines it.
//!
//! A cell is a DAG on at most 7 vertices — the input (0), up to 5 interior vertices and the
//! output (last) — with an upper-triangular adjacency of at most 9 edges; each interior vertex
//! is `conv3x3-bn-relu`, `conv1x1-bn-relu` or `maxpool3x3`. A cell is first pruned of the
//! vertices not on an input-to-output path (nasbench's `ModelSpec._prune`); cells are the
//! same when nasbench's `graph_util.hash_module` gives them the same MD5 (an iterated
//! in/out-neighbourhood hash with the ops as labels), which the NAS-Bench-101 files use as
//! the module's key. There are 423,624 classes.
//!
//! Architecture ids are dense over the classes, in the order nasbench's
//! `generate_graphs.py` first meets them (vertices 2 to 7; each adjacency bit string in
//! ascending order, nasbench's `gen_is_edge_fn` layout; each labelling in
//! `itertools.product` order); a class is represented by the cell met first. The space is
//! enumerated once per process (about 3 s here) with a 64-bit hash that refines exactly as
//! `hash_module` does; MD5 keys are computed per cell when asked for.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use md5::{Digest, Md5};

use super::{ArchId, DecisionLabel, Encoding, NetworkOf, OpGraph, SearchSpace};

/// The interior operations, in nasbench's canonical order (the labels of `hash_module`).
pub const NB101_OPS: [&str; 3] = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"];

/// Vertices of a cell at most (input and output included).
pub const MAX_VERTICES: usize = 7;

/// Edges of a pruned cell at most.
pub const MAX_EDGES: usize = 9;

/// The number of NAS-Bench-101 cells up to isomorphism.
pub const NB101_CELLS: usize = 423_624;

/// A cell: `n` vertices, `rows[v]` the bit set of `v`'s successors, `ops[v]` the operation of
/// interior vertex `v` (an index of [`NB101_OPS`]; unused for the input and the output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nb101Cell {
    pub n: usize,
    pub rows: [u8; MAX_VERTICES],
    pub ops: [u8; MAX_VERTICES],
}

impl Nb101Cell {
    /// A cell from an adjacency matrix and nasbench's op names (`input`, …, `output`).
    pub fn from_matrix(matrix: &[Vec<u8>], ops: &[&str]) -> Result<Nb101Cell, String> {
        let n = matrix.len();
        if !(2..=MAX_VERTICES).contains(&n) || ops.len() != n {
            return Err(format!(
                "a cell has 2 to {MAX_VERTICES} vertices and one op per vertex, got a {n}-row \
                 matrix and {} ops",
                ops.len()
            ));
        }
        let mut cell = Nb101Cell {
            n,
            rows: [0; MAX_VERTICES],
            ops: [0; MAX_VERTICES],
        };
        for (v, row) in matrix.iter().enumerate() {
            if row.len() != n {
                return Err(format!("row {v} has {} entries, not {n}", row.len()));
            }
            for (w, &edge) in row.iter().enumerate() {
                match (edge, w > v) {
                    (0, _) => {}
                    (1, true) => cell.rows[v] |= 1 << w,
                    _ => return Err(format!("entry ({v}, {w}) must be 0 (upper triangular 0/1)")),
                }
            }
        }
        if ops[0] != "input" || ops[n - 1] != "output" {
            return Err("the first op must be `input` and the last `output`".into());
        }
        for (v, name) in ops.iter().enumerate().take(n - 1).skip(1) {
            let Some(op) = NB101_OPS.iter().position(|o| o == name) else {
                return Err(format!(
                    "op '{name}' of vertex {v} is not one of {}",
                    NB101_OPS.join(", ")
                ));
            };
            cell.ops[v] = op as u8;
        }
        Ok(cell)
    }

    /// A cell from NASLib's tuple form (`nasbench101/conversions.py`, the keys of
    /// NAS-Bench-Suite-Zero's samples): the n × n adjacency row by row, then each vertex's
    /// index in NASLib's `[input, output, maxpool3x3, conv1x1-bn-relu, conv3x3-bn-relu]`.
    pub fn from_naslib_tuple(tuple: &[u8]) -> Result<Nb101Cell, String> {
        const NASLIB_OPS: [&str; 5] = [
            "input",
            "output",
            "maxpool3x3",
            "conv1x1-bn-relu",
            "conv3x3-bn-relu",
        ];
        let n = (2..=MAX_VERTICES)
            .find(|n| n * n + n == tuple.len())
            .ok_or_else(|| {
                format!(
                    "{} values are not an n × n adjacency and n ops",
                    tuple.len()
                )
            })?;
        let (adjacency, op_codes) = tuple.split_at(n * n);
        let matrix: Vec<Vec<u8>> = adjacency.chunks(n).map(<[u8]>::to_vec).collect();
        let ops = op_codes
            .iter()
            .map(|&c| NASLIB_OPS.get(c as usize).copied())
            .collect::<Option<Vec<&str>>>()
            .ok_or_else(|| format!("op codes {op_codes:?} are not all below 5"))?;
        Nb101Cell::from_matrix(&matrix, &ops)
    }

    pub fn edge(&self, v: usize, w: usize) -> bool {
        self.rows[v] >> w & 1 == 1
    }

    pub fn edges(&self) -> usize {
        self.rows[..self.n]
            .iter()
            .map(|r| r.count_ones() as usize)
            .sum()
    }

    fn in_degree(&self, w: usize) -> usize {
        (0..self.n).filter(|&v| self.edge(v, w)).count()
    }

    /// Whether every vertex but the output has a successor and every vertex but the input a
    /// predecessor (nasbench's `is_full_dag`).
    pub fn is_full(&self) -> bool {
        let n = self.n;
        (0..n - 1).all(|v| self.rows[v] != 0) && (1..n).all(|w| self.in_degree(w) > 0)
    }

    /// The cell without the vertices that are not on an input-to-output path, as nasbench's
    /// `ModelSpec` prunes it; `None` when the output is not reachable from the input.
    pub fn pruned(&self) -> Option<Nb101Cell> {
        let n = self.n;
        let mut from_input = 1u8;
        for v in 0..n {
            if from_input >> v & 1 == 1 {
                from_input |= self.rows[v];
            }
        }
        let mut to_output = 1u8 << (n - 1);
        for v in (0..n).rev() {
            if self.rows[v] & to_output != 0 {
                to_output |= 1 << v;
            }
        }
        let kept = from_input & to_output;
        if kept >> (n - 1) & 1 == 0 {
            return None;
        }
        let index: Vec<usize> = (0..n).filter(|&v| kept >> v & 1 == 1).collect();
        let mut cell = Nb101Cell {
            n: index.len(),
            rows: [0; MAX_VERTICES],
            ops: [0; MAX_VERTICES],
        };
        for (i, &v) in index.iter().enumerate() {
            cell.ops[i] = self.ops[v];
            for (j, &w) in index.iter().enumerate() {
                if self.edge(v, w) {
                    cell.rows[i] |= 1 << j;
                }
            }
        }
        Some(cell)
    }

    /// `hash_module`'s vertex label: the op index, -1 for the input and -2 for the output.
    fn label(&self, v: usize) -> i32 {
        match v {
            0 => -1,
            v if v == self.n - 1 => -2,
            v => i32::from(self.ops[v]),
        }
    }

    /// nasbench's `graph_util.hash_module` of the cell: the key of its module in the
    /// NAS-Bench-101 files (32 hex digits).
    pub fn module_hash(&self) -> String {
        let n = self.n;
        let mut hashes: Vec<String> = (0..n)
            .map(|v| {
                let out = self.rows[v].count_ones();
                md5_hex(&format!(
                    "({out}, {}, {})",
                    self.in_degree(v),
                    self.label(v)
                ))
            })
            .collect();
        for _ in 0..n {
            hashes = (0..n)
                .map(|v| {
                    let mut ins: Vec<&str> = (0..n)
                        .filter(|&w| self.edge(w, v))
                        .map(|w| hashes[w].as_str())
                        .collect();
                    let mut outs: Vec<&str> = (0..n)
                        .filter(|&w| self.edge(v, w))
                        .map(|w| hashes[w].as_str())
                        .collect();
                    ins.sort_unstable();
                    outs.sort_unstable();
                    md5_hex(&format!("{}|{}|{}", ins.concat(), outs.concat(), hashes[v]))
                })
                .collect();
        }
        hashes.sort_unstable();
        // Python's str() of a list of strings.
        let listed: Vec<String> = hashes.iter().map(|h| format!("'{h}'")).collect();
        md5_hex(&format!("[{}]", listed.join(", ")))
    }

    /// A 64-bit hash that refines as `module_hash` does (the same labels, neighbourhoods and
    /// number of rounds), so that two cells share it exactly when they share `module_hash`
    /// (barring a 64-bit collision, which the class count would show).
    fn fingerprint(&self) -> u64 {
        let n = self.n;
        let start = |v: usize| {
            let out = u64::from(self.rows[v].count_ones());
            let label = (self.label(v) + 2) as u64;
            mix(mix(out, self.in_degree(v) as u64), label)
        };
        let mut hashes: Vec<u64> = (0..n).map(start).collect();
        let mut next = vec![0u64; n];
        let mut buffer: Vec<u64> = Vec::with_capacity(n);
        for _ in 0..n {
            for (v, new) in next.iter_mut().enumerate() {
                let mut h = hashes[v];
                for (forward, tag) in [(false, 1), (true, 2)] {
                    buffer.clear();
                    let linked = |w: usize| {
                        if forward {
                            self.edge(v, w)
                        } else {
                            self.edge(w, v)
                        }
                    };
                    buffer.extend((0..n).filter(|&w| linked(w)).map(|w| hashes[w]));
                    buffer.sort_unstable();
                    h = buffer.iter().fold(mix(h, tag), |h, &x| mix(h, x));
                }
                *new = h;
            }
            std::mem::swap(&mut hashes, &mut next);
        }
        hashes.sort_unstable();
        hashes.iter().fold(n as u64, |h, &x| mix(h, x))
    }

    /// The cell on 7 vertices: its vertices but the output in place, the output last, the
    /// vertices between unconnected (`conv3x3-bn-relu`); pruning gives the cell back.
    pub fn padded(&self) -> Nb101Cell {
        let n = self.n;
        let mut cell = Nb101Cell {
            n: MAX_VERTICES,
            rows: [0; MAX_VERTICES],
            ops: [0; MAX_VERTICES],
        };
        let to = |w: usize| if w == n - 1 { MAX_VERTICES - 1 } else { w };
        for v in 0..n - 1 {
            cell.ops[v] = self.ops[v];
            for w in v + 1..n {
                if self.edge(v, w) {
                    cell.rows[v] |= 1 << to(w);
                }
            }
        }
        cell
    }
}

fn md5_hex(text: &str) -> String {
    let digest = Md5::digest(text.as_bytes());
    let mut hex = String::with_capacity(32);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// A 64-bit mixing of two words (the multiply-xorshift finaliser of SplitMix64 over their
/// combination).
fn mix(h: u64, x: u64) -> u64 {
    let mut z = (h ^ x.rotate_left(29)).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// BANANAS' path encoding of a cell (White, Neiswanger & Savani, AAAI 2021, the NB101
/// variant): index `3⁰ + … + 3^(k−1)` plus the base-3 number of a path's k interior ops, for
/// every input-to-output path (at most 5 interior vertices: 1 + 3 + … + 243 = 364 entries).
fn path_encoding(cell: &Nb101Cell) -> Vec<f64> {
    let mut out = vec![0.0; (0..MAX_VERTICES - 1).map(|k| 3usize.pow(k as u32)).sum()];
    // Depth-first from the input: (vertex, ops so far as a base-3 number, their count).
    let mut stack = vec![(0usize, 0usize, 0u32)];
    while let Some((v, code, len)) = stack.pop() {
        for w in v + 1..cell.n {
            if !cell.edge(v, w) {
                continue;
            }
            if w == cell.n - 1 {
                let offset: usize = (0..len).map(|k| 3usize.pow(k)).sum();
                out[offset + code] = 1.0;
            } else {
                stack.push((w, code * 3 + usize::from(cell.ops[w]), len + 1));
            }
        }
    }
    out
}

/// Whether edge `v → w` is set in nasbench's bit string layout (`gen_is_edge_fn`: column by
/// column, least significant bit first).
fn bit_index(v: usize, w: usize) -> usize {
    v + w * (w - 1) / 2
}

/// Every class of cells up to `max_vertices` vertices, represented by the first cell
/// `generate_graphs.py` meets, in that order, each with its fingerprint.
fn classes(max_vertices: usize) -> Vec<(u64, Nb101Cell)> {
    let mut seen: HashSet<u64> = HashSet::new();
    let mut cells = Vec::new();
    for n in 2..=max_vertices {
        let pairs = n * (n - 1) / 2;
        for bits in 0u32..1 << pairs {
            if bits.count_ones() as usize > MAX_EDGES {
                continue;
            }
            let mut cell = Nb101Cell {
                n,
                rows: [0; MAX_VERTICES],
                ops: [0; MAX_VERTICES],
            };
            for w in 1..n {
                for v in 0..w {
                    if bits >> bit_index(v, w) & 1 == 1 {
                        cell.rows[v] |= 1 << w;
                    }
                }
            }
            if !cell.is_full() {
                continue;
            }
            for labelling in 0..3usize.pow(n as u32 - 2) {
                // itertools.product: the last interior vertex varies fastest.
                let mut rest = labelling;
                for v in (1..n - 1).rev() {
                    cell.ops[v] = (rest % 3) as u8;
                    rest /= 3;
                }
                let fingerprint = cell.fingerprint();
                if seen.insert(fingerprint) {
                    cells.push((fingerprint, cell));
                }
            }
        }
    }
    cells
}

/// NAS-Bench-101's network (Ying et al., ICML 2019; nasbench `lib/model_builder.py`): a 3×3
/// conv-BN-ReLU stem, `stacks` stacks of `modules_per_stack` modules (the cell), a 2×2/2
/// max-pool and doubled channels at the start of every stack but the first, global average
/// pooling and a dense layer. Convolutions have no bias; BN has a scale and a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nb101Macro {
    pub stem_channels: usize,
    pub stacks: usize,
    pub modules_per_stack: usize,
    pub input_size: usize,
    pub classes: usize,
}

impl Nb101Macro {
    /// The network the benchmark trained: 128 stem channels, 3 × 3 modules, CIFAR-10.
    pub const CIFAR10: Nb101Macro = Nb101Macro {
        stem_channels: 128,
        stacks: 3,
        modules_per_stack: 3,
        input_size: 32,
        classes: 10,
    };

    /// Each module's input and output channels, in forward order.
    pub fn module_channels(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut channels = self.stem_channels;
        for stack in 0..self.stacks {
            let input = channels;
            if stack > 0 {
                channels *= 2;
            }
            for m in 0..self.modules_per_stack {
                out.push((if m == 0 { input } else { channels }, channels));
            }
        }
        out
    }

    /// Trainable parameters of the network of `cell` (pruned first), as TensorFlow and
    /// NASLib's PyTorch port count them.
    pub fn params(&self, cell: &Nb101Cell) -> u64 {
        let cell = cell.pruned().unwrap_or(*cell);
        let conv_bn = |cin: usize, cout: usize, k: usize| (cin * cout * k * k + 2 * cout) as u64;
        let module = |cin: usize, cout: usize| -> u64 {
            let channels = vertex_channels(&cell, cin, cout);
            let out = cell.n - 1;
            let vertex = |t: usize| {
                let project = if cell.edge(0, t) {
                    conv_bn(cin, channels[t], 1)
                } else {
                    0
                };
                let op = match cell.ops[t] {
                    0 => conv_bn(channels[t], channels[t], 3),
                    1 => conv_bn(channels[t], channels[t], 1),
                    _ => 0,
                };
                project + op
            };
            let output = if cell.edge(0, out) {
                conv_bn(cin, cout, 1)
            } else {
                0
            };
            (1..out).map(vertex).sum::<u64>() + output
        };
        let last = self
            .module_channels()
            .last()
            .map_or(self.stem_channels, |m| m.1);
        conv_bn(3, self.stem_channels, 3)
            + self
                .module_channels()
                .iter()
                .map(|&(i, o)| module(i, o))
                .sum::<u64>()
            + (last * self.classes + self.classes) as u64
    }
}

/// nasbench's `compute_vertex_channels` on a pruned cell: the output's channels split among
/// the vertices that feed it (the remainder one each to the first), every other interior
/// vertex as wide as the widest vertex it feeds; the input has `input` channels.
pub fn vertex_channels(cell: &Nb101Cell, input: usize, output: usize) -> Vec<usize> {
    let n = cell.n;
    let mut channels = vec![0; n];
    channels[0] = input;
    channels[n - 1] = output;
    if n == 2 {
        return channels;
    }
    let fan_in = (1..n - 1).filter(|&v| cell.edge(v, n - 1)).count().max(1);
    let mut correction = output % fan_in;
    for (v, c) in channels.iter_mut().enumerate().take(n - 1).skip(1) {
        if cell.edge(v, n - 1) {
            *c = output / fan_in + usize::from(correction > 0);
            correction = correction.saturating_sub(1);
        }
    }
    for v in (1..n - 2).rev() {
        if !cell.edge(v, n - 1) {
            let widest = (v + 1..n - 1)
                .filter(|&d| cell.edge(v, d))
                .map(|d| channels[d])
                .max();
            channels[v] = channels[v].max(widest.unwrap_or(0));
        }
    }
    channels
}

/// The NAS-Bench-101 space: dense ids over the 423,624 cell classes.
pub struct Nb101Space {
    cells: Vec<Nb101Cell>,
    by_fingerprint: HashMap<u64, ArchId>,
    module_hashes: OnceLock<Vec<String>>,
    by_hash: OnceLock<HashMap<String, ArchId>>,
}

impl Nb101Space {
    /// The space, enumerated once per process.
    pub fn shared() -> &'static Nb101Space {
        Self::once()
    }

    /// The same space as a benchmark holds it.
    pub fn handle() -> Arc<Nb101Space> {
        Arc::clone(Self::once())
    }

    fn once() -> &'static Arc<Nb101Space> {
        static SPACE: OnceLock<Arc<Nb101Space>> = OnceLock::new();
        SPACE.get_or_init(|| Arc::new(Nb101Space::up_to(MAX_VERTICES)))
    }

    /// The classes of cells with at most `vertices` vertices (the benchmark's space is
    /// [`Nb101Space::shared`], 7): a small complete space for fixtures of the files' format.
    pub fn up_to(vertices: usize) -> Nb101Space {
        let classes = classes(vertices.min(MAX_VERTICES));
        let by_fingerprint = classes
            .iter()
            .enumerate()
            .map(|(i, (f, _))| (*f, i as ArchId))
            .collect();
        Nb101Space {
            cells: classes.into_iter().map(|(_, c)| c).collect(),
            by_fingerprint,
            module_hashes: OnceLock::new(),
            by_hash: OnceLock::new(),
        }
    }

    /// The representative cell of `arch`.
    pub fn cell(&self, arch: ArchId) -> &Nb101Cell {
        &self.cells[arch as usize]
    }

    /// The class of a cell as given (pruned first); `None` when it is not in the space
    /// (disconnected, or more than 9 edges once pruned).
    pub fn id_of_cell(&self, cell: &Nb101Cell) -> Option<ArchId> {
        let pruned = cell.pruned().filter(|c| c.edges() <= MAX_EDGES)?;
        self.by_fingerprint.get(&pruned.fingerprint()).copied()
    }

    /// Every class's module hash (the files' keys), computed once on all cores (about 50 µs
    /// per cell: nasbench's hash is 7 rounds of md5 over every vertex).
    pub fn module_hashes(&self) -> &[String] {
        self.module_hashes.get_or_init(|| {
            let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
            let chunk = self.cells.len().div_ceil(threads).max(1);
            std::thread::scope(|scope| {
                let parts: Vec<_> = self
                    .cells
                    .chunks(chunk)
                    .map(|part| {
                        scope.spawn(move || {
                            part.iter().map(Nb101Cell::module_hash).collect::<Vec<_>>()
                        })
                    })
                    .collect();
                parts
                    .into_iter()
                    .flat_map(|p| p.join().expect("hashing does not panic"))
                    .collect()
            })
        })
    }

    fn hashes(&self) -> &HashMap<String, ArchId> {
        self.by_hash.get_or_init(|| {
            let key = |(i, h): (usize, &String)| (h.clone(), i as ArchId);
            self.module_hashes().iter().enumerate().map(key).collect()
        })
    }
}

impl SearchSpace for Nb101Space {
    fn network(&self, arch: ArchId) -> Option<NetworkOf> {
        Some(NetworkOf::Nb101(*self.cell(arch)))
    }

    fn name(&self) -> &str {
        "nb101"
    }

    fn size(&self) -> usize {
        self.cells.len()
    }

    /// The module hash the NAS-Bench-101 files key the cell by.
    fn key(&self, arch: ArchId) -> String {
        self.cell(arch).module_hash()
    }

    fn id_of_key(&self, key: &str) -> Option<ArchId> {
        self.hashes().get(key).copied()
    }

    /// The adjacency rows and the ops, e.g. `0110/0001/0001/0000 conv3x3-bn-relu,maxpool3x3`.
    fn describe(&self, arch: ArchId) -> String {
        let c = self.cell(arch);
        let rows: Vec<String> = (0..c.n)
            .map(|v| {
                (0..c.n)
                    .map(|w| if c.edge(v, w) { '1' } else { '0' })
                    .collect()
            })
            .collect();
        let ops: Vec<&str> = (1..c.n - 1).map(|v| NB101_OPS[c.ops[v] as usize]).collect();
        match ops.is_empty() {
            true => rows.join("/"),
            false => format!("{} {}", rows.join("/"), ops.join(",")),
        }
    }

    /// The classes one edge flip or one op change of the padded 7-vertex cell away, as NASLib's
    /// NB101 neighbourhood (those that stay in the space), without `arch` itself.
    fn neighbours(&self, arch: ArchId, out: &mut Vec<ArchId>) {
        out.clear();
        let padded = self.cell(arch).padded();
        let mut push = |cell: Nb101Cell| {
            if let Some(id) = self.id_of_cell(&cell)
                && id != arch
                && !out.contains(&id)
            {
                out.push(id);
            }
        };
        for w in 1..MAX_VERTICES {
            for v in 0..w {
                let mut flipped = padded;
                flipped.rows[v] ^= 1 << w;
                push(flipped);
            }
        }
        for v in 1..MAX_VERTICES - 1 {
            for op in 0..NB101_OPS.len() as u8 {
                let mut changed = padded;
                changed.ops[v] = op;
                push(changed);
            }
        }
    }

    /// 21 edge bits of the 7-vertex adjacency (nasbench's bit order), then the ops of the 5
    /// interior vertices.
    fn decisions(&self) -> Vec<usize> {
        let mut d = vec![2; MAX_VERTICES * (MAX_VERTICES - 1) / 2];
        d.extend([NB101_OPS.len(); MAX_VERTICES - 2]);
        d
    }

    fn decision_labels(&self) -> Vec<DecisionLabel> {
        let mut labels = Vec::new();
        // Column by column: nasbench's bit order.
        for w in 1..MAX_VERTICES {
            for v in 0..w {
                labels.push(DecisionLabel {
                    name: format!("edge_{v}_{w}"),
                    choices: vec!["0".into(), "1".into()],
                });
            }
        }
        for v in 1..MAX_VERTICES - 1 {
            labels.push(DecisionLabel {
                name: format!("op_{v}"),
                choices: NB101_OPS.iter().map(|o| o.to_string()).collect(),
            });
        }
        labels
    }

    fn choices(&self, arch: ArchId) -> Vec<usize> {
        let padded = self.cell(arch).padded();
        let mut choices = vec![0; MAX_VERTICES * (MAX_VERTICES - 1) / 2];
        for w in 1..MAX_VERTICES {
            for v in 0..w {
                choices[bit_index(v, w)] = usize::from(padded.edge(v, w));
            }
        }
        choices.extend((1..MAX_VERTICES - 1).map(|v| usize::from(padded.ops[v])));
        choices
    }

    fn arch_of_choices(&self, choices: &[usize]) -> Option<ArchId> {
        let pairs = MAX_VERTICES * (MAX_VERTICES - 1) / 2;
        if choices.len() != pairs + MAX_VERTICES - 2 {
            return None;
        }
        let mut cell = Nb101Cell {
            n: MAX_VERTICES,
            rows: [0; MAX_VERTICES],
            ops: [0; MAX_VERTICES],
        };
        for w in 1..MAX_VERTICES {
            for v in 0..w {
                match choices[bit_index(v, w)] {
                    0 => {}
                    1 => cell.rows[v] |= 1 << w,
                    _ => return None,
                }
            }
        }
        for (v, &op) in (1..MAX_VERTICES - 1).zip(&choices[pairs..]) {
            cell.ops[v] = u8::try_from(op).ok().filter(|&o| o < 3)?;
        }
        self.id_of_cell(&cell)
    }

    /// `Onehot`: the 21 adjacency bits of the padded cell and a one-hot of each interior op
    /// (36 values, NASLib's adjacency encoding of NB101). `Path`: BANANAS' path encoding, one
    /// indicator per sequence of interior ops along an input-to-output path (364 values).
    fn encode(&self, arch: ArchId, encoding: Encoding) -> Option<Vec<f64>> {
        match encoding {
            Encoding::Onehot => {
                let choices = self.choices(arch);
                let pairs = MAX_VERTICES * (MAX_VERTICES - 1) / 2;
                let mut x: Vec<f64> = choices[..pairs].iter().map(|&c| c as f64).collect();
                for &op in &choices[pairs..] {
                    x.extend((0..NB101_OPS.len()).map(|o| f64::from(u8::from(o == op))));
                }
                Some(x)
            }
            Encoding::Path => Some(path_encoding(self.cell(arch))),
        }
    }

    /// Node types: 0 input, 1 output, 2 + the op of each interior vertex.
    fn op_graph(&self, arch: ArchId) -> Option<OpGraph> {
        let c = self.cell(arch);
        let ops = (0..c.n)
            .map(|v| match v {
                0 => 0,
                v if v == c.n - 1 => 1,
                v => 2 + usize::from(c.ops[v]),
            })
            .collect();
        let edges = (0..c.n)
            .flat_map(|v| (0..c.n).filter(move |&w| c.edge(v, w)).map(move |w| (v, w)))
            .collect();
        Some(OpGraph {
            ops,
            edges,
            op_types: 2 + NB101_OPS.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(matrix: &[&[u8]], ops: &[&str]) -> Nb101Cell {
        let matrix: Vec<Vec<u8>> = matrix.iter().map(|r| r.to_vec()).collect();
        Nb101Cell::from_matrix(&matrix, ops).unwrap()
    }

    /// nasbench's example cell (`example.py`, an Inception-like module).
    fn inception() -> Nb101Cell {
        cell(
            &[
                &[0, 1, 1, 1, 0, 1, 0],
                &[0, 0, 0, 0, 0, 0, 1],
                &[0, 0, 0, 0, 0, 0, 1],
                &[0, 0, 0, 0, 1, 0, 0],
                &[0, 0, 0, 0, 0, 0, 1],
                &[0, 0, 0, 0, 0, 0, 1],
                &[0, 0, 0, 0, 0, 0, 0],
            ],
            &[
                "input",
                "conv1x1-bn-relu",
                "conv3x3-bn-relu",
                "conv3x3-bn-relu",
                "conv3x3-bn-relu",
                "maxpool3x3",
                "output",
            ],
        )
    }

    #[test]
    fn module_hashes_are_nasbenchs() {
        // Expected values: nasbench's graph_util.hash_module run on these cells
        // (google-research/nasbench, lib/graph_util.py, Python 3, numpy 2.4).
        assert_eq!(
            inception().module_hash(),
            "28cfc7874f6d200472e1a9dcd8650aa0"
        );
        let pair = cell(&[&[0, 1], &[0, 0]], &["input", "output"]);
        assert_eq!(pair.module_hash(), "043721b9c7fe8c5fad811d47d83132ec");
        let pool = cell(
            &[&[0, 1, 0], &[0, 0, 1], &[0, 0, 0]],
            &["input", "maxpool3x3", "output"],
        );
        assert_eq!(pool.module_hash(), "53cee42601ad14d661bb6878031d6acb");
        let skip = cell(
            &[&[0, 1, 1], &[0, 0, 1], &[0, 0, 0]],
            &["input", "conv1x1-bn-relu", "output"],
        );
        assert_eq!(skip.module_hash(), "09fc2d10bdd6225e167a6f81a22a3f06");
        let square = [
            &[0u8, 1, 1, 0][..],
            &[0, 0, 0, 1],
            &[0, 0, 0, 1],
            &[0, 0, 0, 0],
        ];
        let a = cell(
            &square,
            &["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"],
        );
        let b = cell(
            &square,
            &["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "output"],
        );
        assert_eq!(a.module_hash(), "1af995a92568cf42af2c2668f72834ea");
        assert_eq!(
            (a.module_hash(), a.fingerprint()),
            (b.module_hash(), b.fingerprint())
        );
        assert_ne!(pool.fingerprint(), skip.fingerprint());
    }

    #[test]
    fn the_path_encoding_marks_each_input_to_output_path() {
        // inception(): input→{1: conv1x1, 2: conv3x3, 3→4: conv3x3, conv3x3, 5: maxpool}→output.
        let x = path_encoding(&inception());
        let ones: Vec<usize> = (0..x.len()).filter(|&i| x[i] == 1.0).collect();
        // Length 1 (offset 1): conv3x3 = 0, conv1x1 = 1, maxpool = 2; length 2 (offset 4):
        // conv3x3 then conv3x3 = 0.
        assert_eq!(ones, [1, 2, 3, 4]);
    }

    #[test]
    fn pruning_removes_what_is_off_every_path() {
        // Vertex 2 feeds nothing, vertex 3 is fed by nothing: both go.
        let c = cell(
            &[
                &[0, 1, 1, 0, 0],
                &[0, 0, 0, 0, 1],
                &[0, 0, 0, 0, 0],
                &[0, 0, 0, 0, 1],
                &[0, 0, 0, 0, 0],
            ],
            &[
                "input",
                "maxpool3x3",
                "conv1x1-bn-relu",
                "conv3x3-bn-relu",
                "output",
            ],
        );
        let p = c.pruned().unwrap();
        assert_eq!((p.n, p.edges(), p.ops[1]), (3, 2, 2));
        let cut = cell(&[&[0, 0], &[0, 0]], &["input", "output"]);
        assert_eq!(cut.pruned(), None);
        assert!(inception().is_full() && !c.is_full());
    }

    #[test]
    fn small_spaces_have_nasbenchs_counts() {
        // generate_graphs.py's unique hashes with max_vertices 2 to 5 (run here).
        let counts: Vec<usize> = (2..=5).map(|v| classes(v).len()).collect();
        assert_eq!(counts, [1, 7, 91, 2532]);
    }

    #[test]
    fn the_space_has_423624_cells_and_ids_round_trip() {
        let space = Nb101Space::shared();
        assert_eq!(space.size(), NB101_CELLS);
        let example = space.id_of_cell(&inception()).unwrap();
        assert_eq!(space.key(example), "28cfc7874f6d200472e1a9dcd8650aa0");
        let mut near = Vec::new();
        for arch in [0, 1, example, 200_000, NB101_CELLS as ArchId - 1] {
            assert_eq!(space.arch_of_choices(&space.choices(arch)), Some(arch));
            assert_eq!(space.id_of_cell(space.cell(arch)), Some(arch));
            assert_eq!(space.encode(arch, Encoding::Onehot).unwrap().len(), 36);
            assert_eq!(space.encode(arch, Encoding::Path).unwrap().len(), 364);
            space.neighbours(arch, &mut near);
            assert!(!near.contains(&arch), "{arch}");
            // The input wired straight to the output is one flip from nothing else.
            assert_eq!(near.is_empty(), arch == 0, "{arch}");
        }
        assert_eq!(space.describe(0), "01/00");
    }
}
