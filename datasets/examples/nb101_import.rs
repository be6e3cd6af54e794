//! Times the NAS-Bench-101 import at the published file's size (`just nb101-import`): writes a
//! synthetic `nasbench_only108.tfrecord` in the real format — every one of the 423,624 cells
//! with 3 runs at 108 epochs, made-up accuracies, nasbench's module hashes — then imports it
//! through `Cache::import`, the path of `nash data import`, into a scratch cache. The real
//! file is not reachable from the machines nash is built on; its import runs the same code.
//!
//! `cargo run --example nb101_import -- write DIR`, then `… -- import DIR` (DIR receives the
//! file and the cache).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use datasets::cache::Cache;
use datasets::nasbench101::{Evaluation, Run, write_row};
use datasets::published::{Format, PublishedFile};
use datasets::space::{ArchId, Nb101Space};
use datasets::tfrecord::frame;

fn main() {
    let mut args = std::env::args().skip(1);
    let (step, dir) = (args.next(), args.next().map(PathBuf::from));
    match (step.as_deref(), dir) {
        (Some("write"), Some(dir)) => write(&dir),
        (Some("import"), Some(dir)) => import(&dir),
        _ => eprintln!("usage: nb101_import write|import DIR"),
    }
}

/// Writes `DIR/nasbench_only108.tfrecord` and its sha256 beside it.
fn write(dir: &Path) {
    std::fs::create_dir_all(dir).expect("the scratch directory");
    let space = Nb101Space::shared();
    let start = Instant::now();
    let keys = space.module_hashes();
    eprintln!("module hashes: {:.1} s", start.elapsed().as_secs_f64());
    let path = dir.join("nasbench_only108.tfrecord");
    let bytes = write_file(&path, space, keys);
    let (_, sha) = datasets::files::sha256_file(&path).expect("the file reads");
    std::fs::write(dir.join("sha256"), &sha).expect("the checksum writes");
    eprintln!("wrote {} ({bytes} bytes, sha256 {sha})", path.display());
}

/// Imports the file `write` made into `DIR/cache`, as `nash data import` would the published
/// one (in a fresh process, so the space and its hashes are computed as a user's import
/// computes them), then loads the table.
fn import(dir: &Path) {
    let path = dir.join("nasbench_only108.tfrecord");
    let sha = std::fs::read_to_string(dir.join("sha256")).expect("run `write` first");
    let bytes = std::fs::metadata(&path).expect("run `write` first").len();
    let synthetic: &'static PublishedFile = Box::leak(Box::new(PublishedFile {
        name: "nasbench_only108.tfrecord",
        bytes,
        sha256: Box::leak(sha.into_boxed_str()),
        url: "synthetic",
        published_at: "synthetic, made by datasets/examples/nb101_import.rs",
        benchmark: "nb101",
        tasks: &["cifar10"],
        format: Format::Nb101Records,
    }));
    let cache = Cache::new(dir.join("cache"));
    let start = Instant::now();
    cache
        .import(&[path], &[synthetic], &mut |line| eprintln!("{line}"))
        .expect("the import");
    eprintln!("import: {:.1} s", start.elapsed().as_secs_f64());
    let start = Instant::now();
    let task = cache.load("nb101", "cifar10").expect("the table loads");
    eprintln!(
        "load: {} cells × {} runs in {:.1} s",
        task.table.n_archs(),
        task.table.n_seeds(),
        start.elapsed().as_secs_f64()
    );
}

/// 3 runs of every cell at 108 epochs, repeat by repeat, as nasbench's generator wrote them.
fn write_file(path: &std::path::Path, space: &Nb101Space, keys: &[String]) -> u64 {
    let file = std::fs::File::create(path).expect("the file");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut bytes = 0;
    for (arch, key) in keys.iter().enumerate() {
        for repeat in 0..3 {
            let accuracy = 0.8 + (arch % 1000) as f64 * 1e-4 + repeat as f64 * 1e-3;
            let at = |epoch: f64, acc: f64| Evaluation {
                current_epoch: epoch,
                training_time: epoch * 20.0,
                train_accuracy: acc + 0.1,
                validation_accuracy: acc,
                test_accuracy: acc - 0.005,
            };
            let run = Run {
                module_hash: key.clone(),
                epochs: 108,
                cell: *space.cell(arch as ArchId),
                trainable_parameters: 2_000_000 + arch as i64,
                total_time: 2_200.0,
                halfway: at(54.0, accuracy - 0.05),
                last: at(108.0, accuracy),
            };
            let record = frame(&write_row(&run));
            bytes += record.len() as u64;
            out.write_all(&record).expect("the file writes");
        }
    }
    out.flush().expect("the file writes");
    bytes
}
