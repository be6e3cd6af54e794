//! The rows of NAS-Bench-101's published files (`nasbench_only108.tfrecord`,
//! `nasbench_full.tfrecord`; google-research/nasbench, `api.py`): each TFRecord record is a
//! JSON array `[module_hash, epochs, adjacency, operations, metrics]` — the adjacency as a
//! string of `0`/`1` row by row, the operations comma-separated, and the metrics a base64
//! `ModelMetrics` protobuf (`lib/model_metrics.proto`): `evaluation_data` (repeated, field 1:
//! the evaluations at the start, halfway and end of training), `trainable_parameters` (2)
//! and `total_time` (3). One row is one training run (a repeat) of one cell for `epochs`
//! epochs; the 108-epoch file holds 3 repeats of each of the 423,624 cells.

use base64::Engine as _;

use crate::space::Nb101Cell;

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

    /// Protobuf bytes of a message, written field by field (made here for the fixtures).
    pub(crate) struct Message(pub Vec<u8>);

    impl Message {
        fn key(&mut self, number: u64, wire: u64) {
            self.varint(number << 3 | wire);
        }

        fn varint(&mut self, mut v: u64) {
            while v >= 0x80 {
                self.0.push(v as u8 | 0x80);
                v >>= 7;
            }
            self.0.push(v as u8);
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

    #[test]
    fn a_tfrecord_of_rows_keys_each_run_by_its_cells_module_hash() {
        use crate::space::{NB101_OPS, Nb101Space, SearchSpace};
        use crate::tfrecord::{Records, frame};
        let space = Nb101Space::shared();
        let mut file = Vec::new();
        for arch in [5, 77_777, 423_623] {
            let c = space.cell(arch);
            let adjacency: String = (0..c.n)
                .flat_map(|v| {
                    (0..c.n).map(move |w| if c.rows[v] >> w & 1 == 1 { '1' } else { '0' })
                })
                .collect();
            let mut ops = vec!["input"];
            ops.extend((1..c.n - 1).map(|v| NB101_OPS[c.ops[v] as usize]));
            ops.push("output");
            let data = row(&space.key(arch), 108, &adjacency, &ops.join(","), 0.9);
            file.extend(frame(&data));
        }
        for (record, arch) in Records::new(&file[..], 1 << 20).zip([5, 77_777, 423_623]) {
            let run = parse_row(&record.unwrap()).unwrap();
            assert_eq!(space.id_of_cell(&run.cell), Some(arch));
            assert_eq!(run.cell.module_hash(), run.module_hash);
        }
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
