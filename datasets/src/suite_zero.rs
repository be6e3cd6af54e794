//! NAS-Bench-Suite-Zero's labelled samples (Krishnakumar, White et al., NeurIPS 2022 Datasets
//! and Benchmarks; published in automl/NASLib, `naslib/data/zc_<space>.json`): for each task,
//! `{architecture key: {proxy: value, …, val_accuracy}}`, a proxy's value either a number
//! (the NB101 file) or `{score, time}` (the others), plus the bookkeeping fields `idx` and
//! `arch`. The keys are NASLib's: NB101's 56-tuple (the 7 × 7 adjacency row by row, then the op
//! codes; `Nb101Cell::from_naslib_tuple`), NB201's six op indices
//! (`Nb201Space::from_naslib_ops`).
//!
//! Rows come out in the order of their keys (the file's objects are maps), one per key.
//! A score may be undefined (NaN in the table, ranked last by the estimator that reads it, as a
//! counted fallback): Python's `json` wrote `-Infinity` for 3 NASWOT scores of the NB201 file
//! (the log-determinant of a singular kernel), and one of its CIFAR-10 cells has no synflow.
//! `Infinity`, `-Infinity` and `NaN` outside strings are read as such an undefined value;
//! the label (`val_accuracy`) must be there and finite.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::catalog::{BenchmarkDef, MetricDef, SampleOf, TaskDef};
use crate::error::DataError;
use crate::space::{
    ArchId, DartsSample, Nb101Cell, Nb101Space, Nb201Space, NetworkOf, SampleSpace, SearchSpace,
};
use crate::table::Table;

/// One architecture of a task: its key, and each catalog metric's value in catalog order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: String,
    pub values: Vec<f64>,
}

/// The file field a catalog metric reads: `val_acc` is the file's `val_accuracy`.
fn field(metric: &str) -> &str {
    match metric {
        "val_acc" => "val_accuracy",
        other => other,
    }
}

/// The rows of the task at `path` (keys from the root, e.g. `["nasbench101", "cifar10"]`) of a
/// Suite-Zero file; `file` names it in errors.
pub fn read(
    file: &str,
    bytes: &[u8],
    path: &[&str],
    metrics: &[MetricDef],
) -> Result<Vec<Row>, DataError> {
    let root: Value = serde_json::from_slice(&python_specials_as_null(bytes))
        .map_err(|e| DataError::shape(file, "<root>", format!("not JSON: {e}")))?;
    let mut node = &root;
    for (depth, key) in path.iter().enumerate() {
        node = node
            .get(key)
            .ok_or_else(|| DataError::shape(file, path[..=depth].join("/"), "is missing"))?;
    }
    let task = path.join("/");
    let entries = node
        .as_object()
        .ok_or_else(|| DataError::shape(file, &task, "is not an object of architectures"))?;
    entries
        .iter()
        .map(|(key, entry)| {
            let values = row(entry, metrics)
                .map_err(|m| DataError::shape(file, format!("{task}/{key}"), m))?;
            Ok(Row {
                key: key.clone(),
                values,
            })
        })
        .collect()
}

/// `bytes` with Python's `NaN`, `Infinity` and `-Infinity` outside strings written as `null`.
fn python_specials_as_null(bytes: &[u8]) -> Vec<u8> {
    const WORDS: [&[u8]; 3] = [b"-Infinity", b"Infinity", b"NaN"];
    let mut out = Vec::with_capacity(bytes.len());
    let (mut in_string, mut escaped) = (false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            in_string = escaped || b != b'"';
            escaped = !escaped && b == b'\\';
        } else if b == b'"' {
            in_string = true;
        } else if let Some(word) = WORDS.iter().find(|w| bytes[i..].starts_with(w)) {
            out.extend_from_slice(b"null");
            i += word.len();
            continue;
        }
        out.push(b);
        i += 1;
    }
    out
}

fn row(entry: &Value, metrics: &[MetricDef]) -> Result<Vec<f64>, String> {
    let object: &Map<String, Value> = entry.as_object().ok_or("is not an object")?;
    metrics
        .iter()
        .map(|m| {
            let name = field(m.name);
            let value = match object.get(name) {
                Some(Value::Object(o)) => o.get("score").unwrap_or(&Value::Null),
                Some(other) => other,
                None if m.may_be_undefined => &Value::Null,
                None => return Err(format!("has no '{name}'")),
            };
            match value {
                Value::Null if m.may_be_undefined => Ok(f64::NAN),
                Value::Number(n) => n.as_f64().ok_or_else(|| format!("'{name}' is {n}")),
                other => Err(format!("'{name}' is not a number or {{score}}: {other}")),
            }
        })
        .collect()
}

/// The base architecture a sample's key names (NB101 and NB201 samples).
pub fn member(of: SampleOf, key: &str) -> Result<ArchId, String> {
    let values = tuple(key)?;
    match of {
        SampleOf::Darts => Err("the DARTS space has no dense ids".to_string()),
        SampleOf::Nb101 => {
            let cell = Nb101Cell::from_naslib_tuple(&values)?;
            Nb101Space::shared()
                .id_of_cell(&cell)
                .ok_or_else(|| "is not a cell of the NB101 space".to_string())
        }
        SampleOf::Nb201 => Nb201Space::from_naslib_ops(&values)
            .ok_or_else(|| "is not six NASLib op indices below 5".to_string()),
    }
}

/// The network of an NB101 sample's key, from its cell as the file gives it (pruned): NASLib
/// built it so, and nasbench's channel split follows the vertex order, which the class's
/// representative may not share. `key` was read by `member` already.
fn nb101_network(key: &str) -> NetworkOf {
    let cell = tuple(key)
        .and_then(|t| Nb101Cell::from_naslib_tuple(&t))
        .expect("a key member() read");
    NetworkOf::Nb101(cell.pruned().unwrap_or(cell))
}

/// The sample of `def`'s base space that `keys` name, in their order.
pub fn space(
    def: &BenchmarkDef,
    task: &str,
    of: SampleOf,
    keys: Vec<String>,
    file: &str,
) -> Result<Arc<dyn SearchSpace>, DataError> {
    if of == SampleOf::Darts {
        let sample =
            DartsSample::new(def.name, keys).map_err(|(key, m)| DataError::shape(file, key, m))?;
        return Ok(Arc::new(sample));
    }
    let members = keys
        .iter()
        .map(|k| member(of, k).map_err(|m| DataError::shape(file, k, m)))
        .collect::<Result<Vec<ArchId>, DataError>>()?;
    let base: Arc<dyn SearchSpace> = def.space(task);
    let networks = match of {
        SampleOf::Nb101 => Some(keys.iter().map(|k| nb101_network(k)).collect()),
        _ => None,
    };
    let sample = SampleSpace::new(def.name, base, keys, members);
    Ok(Arc::new(match networks {
        Some(networks) => sample.with_networks(networks),
        None => sample,
    }))
}

/// One task of a Suite-Zero file as a sample space and its one-seed table; the file must
/// hold the task's published number of architectures.
pub fn import(
    def: &BenchmarkDef,
    task: &TaskDef,
    of: SampleOf,
    file: &str,
    bytes: &[u8],
) -> Result<(Arc<dyn SearchSpace>, Table), DataError> {
    let path: Vec<&str> = task.member.split('/').collect();
    let rows = read(file, bytes, &path, def.metrics)?;
    if let Some(n) = task.archs
        && rows.len() != n
    {
        return Err(DataError::shape(
            file,
            task.member,
            format!(
                "holds {} architectures, the published sample {n}",
                rows.len()
            ),
        ));
    }
    let mut table = def.empty_table(rows.len());
    for (arch, row) in rows.iter().enumerate() {
        for (m, &value) in row.values.iter().enumerate() {
            table
                .set_seeds(arch, m, &[value])
                .map_err(|e| DataError::shape(file, &row.key, e))?;
        }
    }
    table.finish().expect("every row has every metric");
    let keys = rows.into_iter().map(|r| r.key).collect();
    Ok((space(def, task.name, of, keys, file)?, table))
}

/// The integers of a NASLib tuple key, `(0, 2, 3)`.
pub fn tuple(key: &str) -> Result<Vec<u8>, String> {
    let inner = key
        .trim()
        .strip_prefix('(')
        .and_then(|k| k.strip_suffix(')'))
        .ok_or("is not a parenthesised tuple")?;
    inner
        .split(',')
        .map(|v| {
            v.trim()
                .parse::<u8>()
                .map_err(|_| format!("'{}' is not a small integer", v.trim()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Direction;

    const METRICS: &[MetricDef] = &[
        MetricDef {
            name: "val_acc",
            direction: Direction::Maximize,
            help: "",
            may_be_undefined: false,
        },
        MetricDef {
            name: "snip",
            direction: Direction::Maximize,
            help: "",
            may_be_undefined: true,
        },
    ];

    /// Both value forms, in the layout of the published files (made here, not taken from
    /// them).
    #[test]
    fn reads_plain_and_scored_values_in_key_order() {
        let file = br#"{"space": {"cifar10": {
            "(1, 2)": {"idx": "3", "arch": "(1, 2)", "snip": {"score": 2.5, "time": 0.1},
                       "val_accuracy": 91.0},
            "(0, 4)": {"snip": -1, "val_accuracy": 80.5}}}}"#;
        let rows = read("f.json", file, &["space", "cifar10"], METRICS).unwrap();
        assert_eq!(rows[0].key, "(0, 4)");
        assert_eq!(rows[0].values, [80.5, -1.0]);
        assert_eq!(rows[1].values, [91.0, 2.5]);
        assert_eq!(tuple(&rows[1].key).unwrap(), [1, 2]);
    }

    #[test]
    fn python_infinities_and_missing_scores_are_undefined_but_labels_are_required() {
        let file = br#"{"t": {"(\"Infinity\")": {"snip": -Infinity, "val_accuracy": 2},
                               "(2)": {"val_accuracy": 3}}}"#;
        let rows = read("f.json", file, &["t"], METRICS).unwrap();
        assert_eq!(rows[0].key, "(\"Infinity\")");
        assert!(rows[0].values[1].is_nan() && rows[1].values[1].is_nan());
        let label = br#"{"t": {"(1)": {"snip": 1, "val_accuracy": NaN}}}"#;
        let err = read("f.json", label, &["t"], METRICS)
            .unwrap_err()
            .to_string();
        assert!(err.contains("'val_accuracy' is not a number"), "{err}");
    }

    #[test]
    fn names_the_file_and_key_of_what_is_wrong() {
        let missing = read("f.json", br#"{"a": {}}"#, &["a", "b"], METRICS).unwrap_err();
        assert_eq!(missing.to_string(), "f.json: key 'a/b': is missing");
        let bad = br#"{"t": {"(1)": {"snip": "x", "val_accuracy": 1}}}"#;
        let err = read("f.json", bad, &["t"], METRICS)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("f.json: key 't/(1)': 'snip' is not a number"),
            "{err}"
        );
        let err = read("f.json", b"{", &["t"], METRICS)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("f.json: key '<root>': not JSON"), "{err}");
        assert!(tuple("1, 2").is_err());
        assert!(tuple("(1, x)").unwrap_err().contains("'x'"));
    }
}
