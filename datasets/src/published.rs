//! Benchmark files that no package registry carries, known by name, size and sha256 and by
//! where they are published. `nash data import FILE…` recognises a file by its sha256 among
//! these; `nash data fetch BENCHMARK` downloads it from `url` where the network allows.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::DataError;

/// How a published file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// NAS-Bench-101's TFRecord of training runs (`datasets::nasbench101`).
    Nb101Records,
    /// NAS-Bench-Suite-Zero's JSON: `{task path…: {architecture key: {proxy: score or
    /// {score, time}, …, val_accuracy}}}` (`datasets::suite_zero`).
    SuiteZero,
}

/// One published file and the benchmark tasks it provides.
#[derive(Debug)]
pub struct PublishedFile {
    /// The file's name as published.
    pub name: &'static str,
    pub bytes: u64,
    pub sha256: &'static str,
    /// Where `nash data fetch` downloads it from.
    pub url: &'static str,
    /// Where it was published: `repository@commit:path`.
    pub published_at: &'static str,
    pub benchmark: &'static str,
    /// The benchmark's tasks the file holds; empty: all of them.
    pub tasks: &'static [&'static str],
    pub format: Format,
}

macro_rules! suite_zero {
    ($name:literal, $bytes:literal, $sha:literal, $benchmark:literal) => {
        PublishedFile {
            name: $name,
            bytes: $bytes,
            sha256: $sha,
            url: concat!(
                "https://raw.githubusercontent.com/automl/NASLib/",
                "6639fd1579010457885c641553c55b0c153045aa/naslib/data/",
                $name
            ),
            published_at: concat!("automl/NASLib@6639fd157901:naslib/data/", $name),
            benchmark: $benchmark,
            tasks: &[],
            format: Format::SuiteZero,
        }
    };
}

pub const ZC_NASBENCH101: PublishedFile = suite_zero!(
    "zc_nasbench101.json",
    259_564,
    "c34840bc9af68b6ebaa7f052e42c1749a9a737d7243078be2a5548052bc5a0c2",
    "zc-nb101"
);

pub const ZC_NASBENCH201: PublishedFile = suite_zero!(
    "zc_nasbench201.json",
    1_963_032,
    "5dcbbcd56812a9f62164a376bc7df4082ab3af612082b6d26a845930e6eb8641",
    "zc-nb201"
);

pub const ZC_NASBENCH301: PublishedFile = suite_zero!(
    "zc_nasbench301.json",
    820_765,
    "537e9abd6f0b14fdffdfcb3c07b18a037647b5c80808b3b2cf9a51b1b491aba1",
    "zc-nb301"
);

/// NAS-Bench-101's 108-epoch runs (google-research/nasbench README: "Subset of the dataset
/// with only models trained at 108 epochs"; sha256 from that README, size from two
/// independent download scripts that check it).
pub const NASBENCH_ONLY108: PublishedFile = PublishedFile {
    name: "nasbench_only108.tfrecord",
    bytes: 522_767_376,
    sha256: "4c39c3936e36a85269881d659e44e61a245babcb72cb374eacacf75d0e5f4fd1",
    url: "https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord",
    published_at: "google-research/nasbench@b94247037ee4:README.md",
    benchmark: "nb101",
    tasks: &["cifar10"],
    format: Format::Nb101Records,
};

/// Every NAS-Bench-101 run: 4, 12, 36 and 108 epochs, 3 repeats each.
pub const NASBENCH_FULL: PublishedFile = PublishedFile {
    name: "nasbench_full.tfrecord",
    bytes: 2_085_986_016,
    sha256: "3d64db8180fb1b0207212f9032205064312b6907a3bbc81eabea10db2f5c7e9c",
    url: "https://storage.googleapis.com/nasbench/nasbench_full.tfrecord",
    published_at: "google-research/nasbench@b94247037ee4:README.md",
    benchmark: "nb101",
    tasks: &[],
    format: Format::Nb101Records,
};

/// Every published file nash can import.
pub const PUBLISHED: &[&PublishedFile] = &[
    &NASBENCH_ONLY108,
    &NASBENCH_FULL,
    &ZC_NASBENCH101,
    &ZC_NASBENCH201,
    &ZC_NASBENCH301,
];

impl PublishedFile {
    /// Whether the file holds `task` of its benchmark.
    pub fn holds(&self, task: &str) -> bool {
        self.tasks.is_empty() || self.tasks.contains(&task)
    }
}

/// The published files that provide `benchmark`.
pub fn files_of(benchmark: &str) -> Vec<&'static PublishedFile> {
    PUBLISHED
        .iter()
        .copied()
        .filter(|f| f.benchmark == benchmark)
        .collect()
}

/// The file of `known` (nash's: [`PUBLISHED`]) whose sha256 is `sha256`, else an error naming
/// `path` and every file expected.
pub fn recognise(
    path: &Path,
    sha256: &str,
    known: &[&'static PublishedFile],
) -> Result<&'static PublishedFile, DataError> {
    known
        .iter()
        .copied()
        .find(|f| f.sha256 == sha256)
        .ok_or_else(|| DataError::Unrecognised {
            path: path.to_path_buf(),
            sha256: sha256.to_string(),
            expected: known
                .iter()
                .map(|f| format!("{} ({} bytes, sha256 {})", f.name, f.bytes, f.sha256))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The one-line hint for a benchmark that is not in the cache: which file, from where, and
/// the commands that bring it in.
pub fn missing_hint(benchmark: &str) -> Option<String> {
    let files = files_of(benchmark);
    let first = files.first()?;
    let names: Vec<String> = files
        .iter()
        .map(|f| format!("{} ({} bytes, from {})", f.name, f.bytes, f.url))
        .collect();
    Some(format!(
        "get {} and run `nash data import {}`, or `nash data fetch {benchmark}` where the \
         network allows",
        names.join(" or "),
        first.name
    ))
}

/// Downloads `file` with curl into `dir` (through a `.partial` name, so an interrupted
/// download leaves nothing that looks whole); returns the downloaded path.
pub fn download(file: &PublishedFile, dir: &Path) -> Result<PathBuf, DataError> {
    std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    let target = dir.join(file.name);
    let partial = dir.join(format!("{}.partial", file.name));
    let output = Command::new("curl")
        .args([
            "--fail",
            "--location",
            "--silent",
            "--show-error",
            "--retry",
            "2",
        ])
        .arg("--output")
        .arg(&partial)
        .arg(file.url)
        .output();
    let failure = match output {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        Err(e) => Some(format!("curl: {e}")),
    };
    if let Some(reason) = failure {
        let _ = std::fs::remove_file(&partial);
        return Err(DataError::Fetch(format!(
            "could not download {} from {} ({reason}); download it elsewhere and run `nash data \
             import PATH`",
            file.name, file.url
        )));
    }
    std::fs::rename(&partial, &target).map_err(|e| DataError::io(&target, e))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASLIB_RAW: &str = "https://raw.githubusercontent.com/automl/NASLib";

    #[test]
    fn every_published_file_is_named_once_with_a_sha256_and_a_pinned_url() {
        for (i, f) in PUBLISHED.iter().enumerate() {
            assert_eq!(f.sha256.len(), 64, "{}", f.name);
            assert!(f.url.ends_with(f.name), "{}", f.url);
            if f.format == Format::SuiteZero {
                assert!(f.url.starts_with(NASLIB_RAW), "{}", f.url);
            }
            assert!(
                PUBLISHED[..i].iter().all(|g| g.sha256 != f.sha256),
                "{}",
                f.name
            );
        }
    }

    #[test]
    fn files_and_benchmarks_name_each_other() {
        for f in PUBLISHED {
            let def = crate::catalog::benchmark(f.benchmark).unwrap();
            assert!(def.package().is_none(), "{}", f.name);
        }
        for b in crate::BENCHMARKS.iter().filter(|b| b.package().is_none()) {
            assert!(
                !files_of(b.name).is_empty(),
                "{} has no published file",
                b.name
            );
            assert!(missing_hint(b.name).unwrap().contains("nash data import"));
        }
    }

    #[test]
    fn an_unknown_file_is_refused_naming_the_files_expected() {
        let err = recognise(Path::new("x.json"), &"0".repeat(64), PUBLISHED).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("x.json: not a published file nash knows"),
            "{text}"
        );
        assert!(text.contains("zc_nasbench101.json (259564 bytes"), "{text}");
        assert!(!text.contains('\n'));
    }
}
