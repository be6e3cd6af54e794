//! The documentation runs: every `sh` block of the README and of the guide in docs/ is
//! executed by bash, the blocks of one page in order in one scratch directory (holding links
//! to the repository's protocols/, examples/ and python/), with the `nash` just built first on
//! `PATH`. A block preceded by `<!-- not run: REASON -->` is skipped; the reason is required.
//! The method catalogue (docs/catalogue.md) must equal `nash list --markdown`, and the key
//! tables of docs/protocols.md must list exactly the keys the protocol parser accepts.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{NASH, nash, repo, scratch, stderr};

/// A fenced `sh` block: where it starts, its text, and why it is not run (if it is not).
struct Block {
    line: usize,
    text: String,
    not_run: Option<String>,
}

/// The `sh` blocks of a Markdown text.
fn sh_blocks(markdown: &str) -> Vec<Block> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut blocks = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        if lines[at].trim_end() != "```sh" {
            at += 1;
            continue;
        }
        let end = (at + 1..lines.len())
            .find(|&i| lines[i].starts_with("```"))
            .unwrap_or_else(|| panic!("line {}: unclosed sh block", at + 1));
        let above = lines[..at].iter().rev().find(|l| !l.trim().is_empty());
        let not_run = above.and_then(|l| {
            let reason = l
                .trim()
                .strip_prefix("<!-- not run:")?
                .strip_suffix("-->")?;
            Some(reason.trim().to_string())
        });
        blocks.push(Block {
            line: at + 1,
            text: lines[at + 1..end].join("\n"),
            not_run,
        });
        at = end + 1;
    }
    blocks
}

/// The README and every page of the guide.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![PathBuf::from(repo("README.md"))];
    let mut guide: Vec<PathBuf> = std::fs::read_dir(repo("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    guide.sort();
    pages.extend(guide);
    pages
}

/// A scratch directory for one page's blocks, with the repository's inputs linked in.
fn workspace(page: &Path) -> PathBuf {
    let stem = page.file_stem().unwrap().to_string_lossy();
    let dir = scratch(&format!("docs-{stem}"));
    for linked in ["protocols", "examples", "python"] {
        std::os::unix::fs::symlink(repo(linked), dir.join(linked)).unwrap();
    }
    dir
}

/// Runs one block with bash -euo pipefail; panics with its output if it fails.
fn run(block: &Block, page: &Path, dir: &Path) {
    let bin = Path::new(NASH).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &block.text])
        .current_dir(dir)
        .env("PATH", path)
        .env("GITHUB_STEP_SUMMARY", dir.join("step-summary.md"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}:{}: the block failed ({}):\n{}\n--- stdout\n{}--- stderr\n{}",
        page.display(),
        block.line,
        out.status,
        block.text,
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
}

#[test]
fn every_shell_block_of_the_readme_and_the_guide_runs() {
    let (mut ran, mut skipped) = (0, 0);
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let blocks = sh_blocks(&text);
        if blocks.iter().all(|b| b.not_run.is_some()) {
            skipped += blocks.len();
            continue;
        }
        let dir = workspace(&page);
        for block in &blocks {
            match &block.not_run {
                Some(reason) => {
                    assert!(
                        !reason.is_empty(),
                        "{}:{}: a reason",
                        page.display(),
                        block.line
                    );
                    skipped += 1;
                }
                None => {
                    run(block, &page, &dir);
                    ran += 1;
                }
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
    eprintln!("{ran} documentation blocks ran, {skipped} are marked not run");
    assert!(ran >= 10, "only {ran} blocks ran");
}

#[test]
fn a_failing_block_fails_and_a_block_without_its_reason_is_run() {
    let blocks = sh_blocks(
        "text\n<!-- not run: needs a GPU -->\n```sh\nnvidia-smi\n```\n\n```sh\nnash --no-such-flag\n```\n",
    );
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].not_run.as_deref(), Some("needs a GPU"));
    assert_eq!((blocks[1].line, blocks[1].not_run.is_none()), (7, true));
    let dir = scratch("docs-failing");
    let failed = std::panic::catch_unwind(|| run(&blocks[1], Path::new("x.md"), &dir));
    let message = *failed.err().unwrap().downcast::<String>().unwrap();
    assert!(message.contains("x.md:7: the block failed"), "{message}");
    assert!(message.contains("--no-such-flag"), "{message}");
}

#[test]
fn the_catalogue_page_is_what_nash_list_prints() {
    let out = nash(&["list", "--markdown"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8(out.stdout).unwrap();
    let page = std::fs::read_to_string(repo("docs/catalogue.md")).unwrap();
    assert!(
        page == printed,
        "docs/catalogue.md differs from `nash list --markdown`; write it again with \
         `cargo run -- list --markdown > docs/catalogue.md`"
    );
}

/// The keys the parser accepts in a protocol of `kind`, as its refusal of an unknown key
/// lists them.
fn parser_keys(kind: &str, body: &str) -> Vec<String> {
    let dir = scratch(&format!("docs-keys-{kind}"));
    let text = format!(
        "name: k\nkind: {kind}\nbenchmark: nb201\ntasks: [cifar10]\n{body}no_such_key: 1\n"
    );
    let protocol = dir.join("p.yaml");
    std::fs::write(&protocol, text).unwrap();
    let out = nash(&[
        "run",
        protocol.to_str().unwrap(),
        "--out",
        dir.join("run").to_str().unwrap(),
    ]);
    let err = stderr(&out);
    let listed = err
        .split("expected one of ")
        .nth(1)
        .and_then(|rest| rest.split(" (at ").next())
        .unwrap_or_else(|| panic!("no key list in: {err}"));
    let mut keys: Vec<String> = listed.split(", ").map(|k| k.trim().to_string()).collect();
    keys.sort();
    std::fs::remove_dir_all(&dir).unwrap();
    keys
}

/// The keys of the `n`th key table (| `key` | … |) of docs/protocols.md.
fn documented_keys(n: usize) -> Vec<String> {
    let page = std::fs::read_to_string(repo("docs/protocols.md")).unwrap();
    let section = page
        .split("## Every key")
        .nth(1)
        .expect("an 'Every key' section");
    let tables: Vec<Vec<String>> = section
        .split("| key |")
        .skip(1)
        .map(|table| {
            table
                .lines()
                .skip(2)
                .map_while(|l| l.strip_prefix("| `")?.split('`').next().map(str::to_string))
                .collect()
        })
        .collect();
    let mut keys = tables[n].clone();
    keys.sort();
    keys
}

#[test]
fn the_protocol_page_lists_every_key_the_parser_accepts() {
    let search = parser_keys(
        "search",
        "budget: { queries: 5 }\nreplicates: 1\nmethods:\n  - random_search: {}\n",
    );
    assert_eq!(
        documented_keys(0),
        search,
        "search keys: docs/protocols.md against the parser"
    );
    let estimation = parser_keys("estimation", "evaluation: 5\nestimators:\n  - params: {}\n");
    assert_eq!(
        documented_keys(1),
        estimation,
        "estimation keys: docs/protocols.md against the parser"
    );
}
