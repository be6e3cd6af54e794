//! The rows of NAS-Bench-101's published files (`nasbench_only108.tfrecord`,
//! `nasbench_full.tfrecord`; google-research/nasbench, `api.py`): each TFRecord record is a
//! JSON array `[module_hash, epochs, adjacency, operations, metrics]` — the adjacency as a
//! string of `0`/`1` row by row, the operations comma-separated, and the metrics a base64
//! `ModelMetrics` protobuf (`lib/model_metrics.proto`): `evaluation_data` (repeated, field 1:
//! the evaluations at the start, halfway and end of training), `trainable_parameters` (2)
//! and `total_time` (3). One row is one training run (a repeat) of one cell for `epochs`
//! epochs; the 108-epoch file holds 3 repeats of each of the 423,624 cells.

use std::io::Read;

use base64::Engine as _;

use crate::error::DataError;
use crate::space::{ArchId, NB101_OPS, Nb101Cell, Nb101Space, SearchSpace};
use crate::table::Table;
use crate::tfrecord::Records;

/// One evaluation of a training run (`EvaluationData`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Evaluation {
    pub current_epoch: f64,
    pub training_time: f64,
    pub train_accuracy: f64,
    pub validation_accuracy: f64,
    pub test_accuracy: f64,
}

/// One training run of one cell, as nasbench's API reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub module_hash: String,
    pub epochs: u32,
    pub cell: Nb101Cell,
    pub trainable_parameters: i64,
    pub total_time: f64,
    /// The evaluation halfway through training (`evaluation_data[1]`).
    pub halfway: Evaluation,
    /// The evaluation at the end of training (`evaluation_data[2]`).
    pub last: Evaluation,
}

/// Reads one record's JSON row.
pub fn parse_row(data: &[u8]) -> Result<Run, String> {
    let (module_hash, epochs, adjacency, operations, metrics): (
        String,
        u32,
        String,
        String,
        String,
    ) = serde_json::from_slice(data).map_err(|e| format!("not a NAS-Bench-101 row: {e}"))?;
    let dim = (1..=7).find(|d| d * d == adjacency.len()).ok_or_else(|| {
        format!(
            "adjacency of {} characters is not a square of 2 to 7 rows",
            adjacency.len()
        )
    })?;
    let bits: Vec<u8> = adjacency
        .bytes()
        .map(|b| match b {
            b'0' => Ok(0),
            b'1' => Ok(1),
            _ => Err(format!(
                "adjacency '{adjacency}' holds a character other than 0 and 1"
            )),
        })
        .collect::<Result<_, _>>()?;
    let matrix: Vec<Vec<u8>> = bits.chunks(dim).map(<[u8]>::to_vec).collect();
    let ops: Vec<&str> = operations.split(',').collect();
    let cell =
        Nb101Cell::from_matrix(&matrix, &ops).map_err(|e| format!("module {module_hash}: {e}"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(metrics.as_bytes())
        .map_err(|e| format!("module {module_hash}: metrics are not base64: {e}"))?;
    let metrics =
        ModelMetrics::decode(&bytes).map_err(|e| format!("module {module_hash}: metrics: {e}"))?;
    let [_, halfway, last, ..] = metrics.evaluations[..] else {
        return Err(format!(
            "module {module_hash}: {} evaluations, nasbench's rows have 3 (start, halfway, end)",
            metrics.evaluations.len()
        ));
    };
    Ok(Run {
        module_hash,
        epochs,
        cell,
        trainable_parameters: metrics.trainable_parameters,
        total_time: metrics.total_time,
        halfway,
        last,
    })
}

/// `run` as the published files hold it (the inverse of [`parse_row`]): the JSON row with its
/// `ModelMetrics` in base64, the evaluations at the start (epoch 0, all zero), halfway and end.
/// For fixtures and the import benchmark; the checkpoint paths the published rows carry are
/// left out.
pub fn write_row(run: &Run) -> Vec<u8> {
    let c = &run.cell;
    let adjacency: String = (0..c.n)
        .flat_map(|v| (0..c.n).map(move |w| if c.rows[v] >> w & 1 == 1 { '1' } else { '0' }))
        .collect();
    let mut ops = vec!["input"];
    ops.extend((1..c.n - 1).map(|v| NB101_OPS[c.ops[v] as usize]));
    ops.push("output");
    let mut metrics = Vec::new();
    for e in [Evaluation::default(), run.halfway, run.last] {
        let mut bytes = Vec::new();
        let values = [
            e.current_epoch,
            e.training_time,
            e.train_accuracy,
            e.validation_accuracy,
            e.test_accuracy,
        ];
        for (number, v) in (1..).zip(values) {
            put_key(&mut bytes, number, 1);
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        put_key(&mut metrics, 1, 2);
        put_varint(&mut metrics, bytes.len() as u64);
        metrics.extend(bytes);
    }
    put_key(&mut metrics, 2, 0);
    put_varint(&mut metrics, run.trainable_parameters as u64);
    put_key(&mut metrics, 3, 1);
    metrics.extend_from_slice(&run.total_time.to_le_bytes());
    let metrics = base64::engine::general_purpose::STANDARD.encode(metrics);
    let row = (
        &run.module_hash,
        run.epochs,
        adjacency,
        ops.join(","),
        metrics,
    );
    serde_json::to_vec(&row).expect("a row serializes")
}

fn put_key(out: &mut Vec<u8>, number: u64, wire: u64) {
    put_varint(out, number << 3 | wire);
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The values a table keeps of one run, in the order of the `nb101` benchmark's metrics:
/// final validation, test and training accuracy (%), training time (s), parameters (millions).
fn run_values(run: &Run) -> [f64; RUN_VALUES] {
    [
        run.last.validation_accuracy * 100.0,
        run.last.test_accuracy * 100.0,
        run.last.train_accuracy * 100.0,
        run.last.training_time,
        run.trainable_parameters as f64 / 1e6,
    ]
}

/// How many values [`run_values`] keeps.
pub const RUN_VALUES: usize = 5;

/// The repeats of every cell at one epoch budget, as the records bring them.
struct Repeats {
    epochs: u32,
    /// `[arch][repeat][value]`, flat.
    values: Vec<f64>,
    counts: Vec<u8>,
    /// The module hash the file keys each cell by (empty until seen).
    hashes: Vec<String>,
}

const MAX_REPEATS: usize = 3;

impl Repeats {
    fn new(epochs: u32, n: usize) -> Repeats {
        Repeats {
            epochs,
            values: vec![f64::NAN; n * MAX_REPEATS * RUN_VALUES],
            counts: vec![0; n],
            hashes: vec![String::new(); n],
        }
    }

    fn add(&mut self, arch: usize, run: &Run) -> Result<(), String> {
        let k = self.counts[arch] as usize;
        if k == MAX_REPEATS {
            return Err(format!(
                "module {}: more than {MAX_REPEATS} runs at {} epochs",
                run.module_hash, self.epochs
            ));
        }
        if k == 0 {
            self.hashes[arch] = run.module_hash.clone();
        } else if self.hashes[arch] != run.module_hash {
            return Err(format!(
                "modules {} and {} are the same cell",
                self.hashes[arch], run.module_hash
            ));
        }
        let start = (arch * MAX_REPEATS + k) * RUN_VALUES;
        self.values[start..start + RUN_VALUES].copy_from_slice(&run_values(run));
        self.counts[arch] += 1;
        Ok(())
    }

    fn finish(self, file: &str, space: &Nb101Space) -> Result<Imported, DataError> {
        let n = self.counts.len();
        if let Some(arch) = self.counts.iter().position(|&c| c as usize != MAX_REPEATS) {
            return Err(DataError::shape(
                file,
                space.key(arch as ArchId),
                format!(
                    "has {} of the {MAX_REPEATS} runs at {} epochs NAS-Bench-101 has of every cell",
                    self.counts[arch], self.epochs
                ),
            ));
        }
        check_hashes(file, space, &self.hashes)?;
        let mut table = Table::new(n, MAX_REPEATS, RUN_VALUES);
        let mut seeds = [0.0; MAX_REPEATS];
        for arch in 0..n {
            for m in 0..RUN_VALUES {
                for (k, seed) in seeds.iter_mut().enumerate() {
                    *seed = self.values[(arch * MAX_REPEATS + k) * RUN_VALUES + m];
                }
                table
                    .set_seeds(arch, m, &seeds)
                    .map_err(|e| DataError::shape(file, &self.hashes[arch], e))?;
            }
        }
        table.finish().expect("every value was set");
        Ok(Imported {
            epochs: self.epochs,
            table,
            keys: self.hashes,
        })
    }
}

/// One epoch budget's table over the NB101 space and the module hash of each cell.
#[derive(Debug)]
pub struct Imported {
    pub epochs: u32,
    pub table: Table,
    pub keys: Vec<String>,
}

/// Reads a NAS-Bench-101 TFRecord stream (`file` names it in errors) into one table per
/// epoch budget of `epochs`, over `space`'s classes; records at other budgets are skipped.
/// Every cell must have 3 runs at each budget, and the file's module hash of each cell must
/// be the one nash computes for its class (checked on all cores).
pub fn import(
    reader: impl Read,
    file: &str,
    space: &Nb101Space,
    epochs: &[u32],
) -> Result<Vec<Imported>, DataError> {
    let n = space.size();
    let mut budgets: Vec<Repeats> = epochs.iter().map(|&e| Repeats::new(e, n)).collect();
    for (i, record) in Records::new(reader, MAX_RECORD).enumerate() {
        let bad = |m: String| DataError::shape(file, format!("record {i}"), m);
        let run =
            parse_row(&record.map_err(|m| DataError::shape(file, "<records>", m))?).map_err(bad)?;
        let Some(budget) = budgets.iter_mut().find(|b| b.epochs == run.epochs) else {
            continue;
        };
        let arch = space.id_of_cell(&run.cell).ok_or_else(|| {
            bad(format!(
                "module {} is not a cell of the NB101 space",
                run.module_hash
            ))
        })?;
        budget.add(arch as usize, &run).map_err(bad)?;
    }
    budgets.into_iter().map(|b| b.finish(file, space)).collect()
}

/// Checks that `hashes[arch]` is nasbench's module hash of each class.
fn check_hashes(file: &str, space: &Nb101Space, hashes: &[String]) -> Result<(), DataError> {
    let ours = space.module_hashes();
    match hashes
        .iter()
        .zip(ours)
        .find(|(theirs, ours)| theirs != ours)
    {
        None => Ok(()),
        Some((theirs, ours)) => Err(DataError::shape(
            file,
            theirs,
            format!("is the module hash of a cell nash hashes as {ours}"),
        )),
    }
}

/// The largest record nash reads (NAS-Bench-101's are about 400 bytes).
const MAX_RECORD: u64 = 1 << 20;

/// `ModelMetrics`, the fields nash reads.
#[derive(Debug, Default, PartialEq)]
struct ModelMetrics {
    evaluations: Vec<Evaluation>,
    trainable_parameters: i64,
    total_time: f64,
}

impl ModelMetrics {
    fn decode(bytes: &[u8]) -> Result<ModelMetrics, String> {
        let mut out = ModelMetrics::default();
        for field in Fields(bytes) {
            match field? {
                (1, Value::Bytes(b)) => out.evaluations.push(decode_evaluation(b)?),
                (2, Value::Varint(v)) => out.trainable_parameters = v as i32 as i64,
                (3, Value::Fixed64(v)) => out.total_time = f64::from_bits(v),
                (n @ 1..=3, _) => return Err(format!("field {n} has the wrong wire type")),
                _ => {} // fields a later version added
            }
        }
        Ok(out)
    }
}

fn decode_evaluation(bytes: &[u8]) -> Result<Evaluation, String> {
    let mut e = Evaluation::default();
    for field in Fields(bytes) {
        let slot = match field? {
            (1, Value::Fixed64(v)) => (&mut e.current_epoch, v),
            (2, Value::Fixed64(v)) => (&mut e.training_time, v),
            (3, Value::Fixed64(v)) => (&mut e.train_accuracy, v),
            (4, Value::Fixed64(v)) => (&mut e.validation_accuracy, v),
            (5, Value::Fixed64(v)) => (&mut e.test_accuracy, v),
            (n @ 1..=5, _) => return Err(format!("evaluation field {n} is not a double")),
            _ => continue, // checkpoint_path, or a later field
        };
        *slot.0 = f64::from_bits(slot.1);
    }
    Ok(e)
}

/// A protobuf field's value by wire type.
enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32,
}

/// The fields of a protobuf message, as (number, value).
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.0.split_first().ok_or("truncated varint")?;
            self.0 = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(format!(
                "truncated: {n} bytes wanted, {} left",
                self.0.len()
            ));
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(taken)
    }

    fn field(&mut self) -> Result<(u64, Value<'a>), String> {
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => Value::Fixed64(u64::from_le_bytes(
                self.take(8)?.try_into().expect("8 bytes"),
            )),
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
                Value::Bytes(self.take(n)?)
            }
            5 => {
                self.take(4)?;
                Value::Fixed32
            }
            w => return Err(format!("wire type {w} is not supported")),
        };
        Ok((key >> 3, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Value<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let field = self.field();
        if field.is_err() {
            self.0 = &[];
        }
        Some(field)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tfrecord::frame;

    /// Protobuf bytes of a message, written field by field (made here for the fixtures).
    pub(crate) struct Message(pub Vec<u8>);

    impl Message {
        fn key(&mut self, number: u64, wire: u64) {
            put_key(&mut self.0, number, wire);
        }

        fn varint(&mut self, v: u64) {
            put_varint(&mut self.0, v);
        }

        pub(crate) fn double(mut self, number: u64, v: f64) -> Message {
            self.key(number, 1);
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }

        pub(crate) fn int(mut self, number: u64, v: i64) -> Message {
            self.key(number, 0);
            self.varint(v as u64);
            self
        }

        pub(crate) fn bytes(mut self, number: u64, b: &[u8]) -> Message {
            self.key(number, 2);
            self.varint(b.len() as u64);
            self.0.extend_from_slice(b);
            self
        }
    }

    /// A row as nasbench's files hold it (JSON with a base64 `ModelMetrics`), with the
    /// evaluations at epochs 0, `epochs / 2` and `epochs`.
    pub(crate) fn row(
        hash: &str,
        epochs: u32,
        adjacency: &str,
        ops: &str,
        accuracy: f64,
    ) -> Vec<u8> {
        let evaluation = |epoch: f64, acc: f64| {
            Message(Vec::new())
                .double(1, epoch)
                .double(2, epoch * 10.0)
                .double(3, acc + 0.05)
                .double(4, acc)
                .double(5, acc - 0.01)
                .bytes(6, b"/tmp/model.ckpt-0")
                .0
        };
        let e = f64::from(epochs);
        let metrics = Message(Vec::new())
            .bytes(1, &evaluation(0.0, 0.1))
            .bytes(1, &evaluation(e / 2.0, accuracy - 0.1))
            .bytes(1, &evaluation(e, accuracy))
            .int(2, 2_694_282)
            .double(3, 1_234.5)
            .0;
        let metrics = base64::engine::general_purpose::STANDARD.encode(metrics);
        serde_json::to_vec(&(hash, epochs, adjacency, ops, metrics)).unwrap()
    }

    #[test]
    fn a_row_reads_as_nasbench_reads_it() {
        let ops = "input,conv3x3-bn-relu,maxpool3x3,output";
        let run = parse_row(&row("abc", 108, "0110000100010000", ops, 0.9)).unwrap();
        assert_eq!((run.module_hash.as_str(), run.epochs), ("abc", 108));
        assert_eq!(
            (run.cell.n, run.cell.edges(), run.trainable_parameters),
            (4, 4, 2_694_282)
        );
        assert_eq!(run.last.validation_accuracy, 0.9);
        assert_eq!(run.last.training_time, 1080.0);
        assert_eq!(run.halfway.current_epoch, 54.0);
        assert_eq!(run.total_time, 1_234.5);
    }

    /// A run of `arch` of `space` at `epochs`, repeat `k`, its values telling them apart.
    fn run_of(space: &Nb101Space, arch: ArchId, epochs: u32, k: usize) -> Run {
        let accuracy = 0.5 + f64::from(arch) * 1e-6 + k as f64 * 0.1;
        let evaluation = |at: f64, acc: f64| Evaluation {
            current_epoch: at,
            training_time: at * 10.0,
            train_accuracy: acc + 0.05,
            validation_accuracy: acc,
            test_accuracy: acc - 0.01,
        };
        let e = f64::from(epochs);
        // Every second repeat as the padded 7-vertex cell, which prunes to the class.
        let cell = *space.cell(arch);
        Run {
            module_hash: space.key(arch),
            epochs,
            cell: if k == 1 { cell.padded() } else { cell },
            trainable_parameters: 1_000_000 + i64::from(arch),
            total_time: e * 11.0,
            halfway: evaluation(e / 2.0, accuracy - 0.1),
            last: evaluation(e, accuracy),
        }
    }

    /// Every run of `space` at `epochs` (3 repeats), framed as TFRecords, repeats interleaved.
    fn file_of(space: &Nb101Space, epochs: &[u32]) -> Vec<u8> {
        let mut file = Vec::new();
        for k in 0..3 {
            for &e in epochs {
                for arch in 0..space.size() as ArchId {
                    file.extend(frame(&write_row(&run_of(space, arch, e, k))));
                }
            }
        }
        file
    }

    /// The 2,532 classes of at most 5 vertices, complete at 4, 12 and 108 epochs: the 108- and
    /// 4-epoch tables hold every class's 3 runs, keyed by module hash; 12 is skipped.
    #[test]
    fn a_complete_file_imports_one_table_per_epoch_budget() {
        let space = Nb101Space::up_to(5);
        assert_eq!(space.size(), 2_532);
        let file = file_of(&space, &[4, 12, 108]);
        let tables = import(&file[..], "f.tfrecord", &space, &[108, 4]).unwrap();
        assert_eq!(tables.len(), 2);
        let t = &tables[0];
        assert_eq!(
            (t.epochs, t.table.n_archs(), t.table.n_seeds()),
            (108, 2_532, 3)
        );
        assert_eq!(t.keys[7], space.key(7));
        // val, test, train accuracy in %, training time, parameters in millions.
        let arch = 2_000;
        let expected = 50.0 + 0.2 + 10.0;
        assert!((t.table.value(0, arch, 1) - expected).abs() < 1e-9);
        assert!((t.table.mean(1, arch) - (expected - 1.0)).abs() < 1e-9);
        assert!((t.table.value(2, arch, 0) - (expected - 10.0 + 5.0)).abs() < 1e-9);
        assert_eq!(t.table.value(3, arch, 2), 1_080.0);
        assert_eq!(t.table.mean(4, arch), 1.002);
        assert_eq!(tables[1].table.value(3, arch, 0), 40.0);
    }

    #[test]
    fn an_incomplete_or_inconsistent_file_names_what_is_wrong() {
        let space = Nb101Space::up_to(4);
        let file = file_of(&space, &[108]);
        let cut = &file[..file.len() - 2];
        let err = import(cut, "f", &space, &[108]).unwrap_err().to_string();
        assert!(err.contains("truncated in its data checksum"), "{err}");
        let mut one_short = Vec::new();
        let mut records = Records::new(&file[..], 1 << 20);
        records.next();
        for r in records {
            one_short.extend(frame(&r.unwrap()));
        }
        let err = import(&one_short[..], "f", &space, &[108])
            .unwrap_err()
            .to_string();
        assert!(err.contains("has 2 of the 3 runs at 108 epochs"), "{err}");
        let mut wrong = run_of(&space, 3, 108, 0);
        wrong.module_hash = "0".repeat(32);
        let mut bad = file.clone();
        bad.extend(frame(&write_row(&wrong)));
        let err = import(&bad[..], "f", &space, &[108])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("are the same cell") || err.contains("more than 3 runs"),
            "{err}"
        );
        let renamed: Vec<u8> = Records::new(&file[..], 1 << 20)
            .flat_map(|r| {
                let mut run = parse_row(&r.unwrap()).unwrap();
                if space.id_of_cell(&run.cell) == Some(3) {
                    run.module_hash = "f".repeat(32);
                }
                frame(&write_row(&run))
            })
            .collect();
        let err = import(&renamed[..], "f", &space, &[108])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("f: key 'ffffffff"), "{err}");
        assert!(err.contains("nash hashes as"), "{err}");
    }

    #[test]
    fn bad_rows_say_what_is_wrong() {
        let ops = "input,conv3x3-bn-relu,maxpool3x3,output";
        let e = parse_row(&row("abc", 108, "011000010001000", ops, 0.9)).unwrap_err();
        assert!(e.contains("not a square"), "{e}");
        let e = parse_row(&row(
            "abc",
            108,
            "0110000100010000",
            "input,conv5x5,maxpool3x3,output",
            0.9,
        ))
        .unwrap_err();
        assert!(e.contains("op 'conv5x5' of vertex 1"), "{e}");
        let e = parse_row(b"[1, 2]").unwrap_err();
        assert!(e.starts_with("not a NAS-Bench-101 row"), "{e}");
        let short = serde_json::to_vec(&("h", 4, "0100", "input,output", "EAE=")).unwrap();
        let e = parse_row(&short).unwrap_err();
        assert!(e.contains("0 evaluations"), "{e}");
        let truncated = serde_json::to_vec(&("h", 4, "0100", "input,output", "CgQJAAAA")).unwrap();
        let e = parse_row(&truncated).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
    }
}
