//! Protocols: YAML files parsed into typed structs (unknown keys rejected), validated against
//! the catalog, each error pointing at the file, line and column it is about.
//!
//! Two kinds share the head of the file (`name`, `kind`, `benchmark`, `tasks`, `objective`,
//! `seed_policy`, `replicates`, `base_seed`): `search` protocols run search methods under a
//! budget, `estimation` protocols rank architectures with estimators.

mod estimation;
mod search;

pub use datasets::Budget;
pub use estimation::{EstimationProtocol, Evaluation};
pub use search::SearchProtocol;

use datasets::error::shown;
use std::fmt;
use std::path::Path;

use datasets::SeedPolicy;
use datasets::catalog::{self, BenchmarkDef, MetricDef};
use datasets::images::ImageSource;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use datasets::files::sha256_hex;

/// A protocol error: where in which file, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolError {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for ProtocolError {}

/// A place in the protocol file, kept for checks that can only run once data is loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub file: String,
    pub line: u64,
    pub column: u64,
}

impl Place {
    pub fn error(&self, message: impl Into<String>) -> ProtocolError {
        ProtocolError {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }
}

/// Builds located errors for one file.
struct Source<'a> {
    file: &'a str,
}

impl Source<'_> {
    fn at(&self, loc: &Location) -> Place {
        Place {
            file: self.file.to_string(),
            line: loc.line(),
            column: loc.column(),
        }
    }

    fn fail(&self, loc: &Location, message: impl Into<String>) -> ProtocolError {
        self.at(loc).error(message)
    }

    /// A whole number in `1..=max`, or an error naming `key`.
    fn count(&self, value: &Spanned<i64>, key: &str, max: u32) -> Result<u32, ProtocolError> {
        match u32::try_from(value.value) {
            Ok(v) if (1..=max).contains(&v) => Ok(v),
            _ => Err(self.fail(
                &value.referenced,
                format!(
                    "{key} must be a whole number between 1 and {max}, got {}",
                    value.value
                ),
            )),
        }
    }
}

/// `supernet_images:` (default 2,000): how many images a weight-sharing supernet trains on,
/// split in halves, so at least 4.
fn supernet_images(src: &Source, raw: &Option<Spanned<i64>>) -> Result<usize, ProtocolError> {
    match raw {
        None => Ok(2_000),
        Some(n) if n.value < 4 => Err(src.fail(
            &n.referenced,
            format!(
                "supernet_images must be at least 4 (two per half), got {}",
                n.value
            ),
        )),
        Some(n) => Ok(src.count(n, "supernet_images", 60_000)? as usize),
    }
}

/// `images:` (default noise): what the proxies and supernets see.
fn images(src: &Source, raw: &Option<Spanned<String>>) -> Result<ImageSource, ProtocolError> {
    match raw {
        None => Ok(ImageSource::Noise),
        Some(i) => ImageSource::parse(&i.value).map_err(|m| src.fail(&i.referenced, m)),
    }
}

/// The error for an empty `methods:` or `estimators:` list (`what`: method or estimator).
fn empty_list<'a>(
    src: &Source,
    loc: &Location,
    what: &str,
    valid: impl Iterator<Item = &'a str>,
) -> ProtocolError {
    let valid: Vec<&str> = valid.collect();
    src.fail(
        loc,
        format!(
            "{what}s must list at least one {what}; valid: {}",
            valid.join(", ")
        ),
    )
}

/// Tasks of the benchmark, each once; `twice` words the error for one listed twice.
fn distinct_tasks(
    src: &Source,
    benchmark: &BenchmarkDef,
    raw: &[Spanned<String>],
    twice: impl Fn(&str) -> String,
) -> Result<Vec<String>, ProtocolError> {
    let mut tasks: Vec<String> = Vec::new();
    for task in raw {
        check_task(src, benchmark, task)?;
        if tasks.contains(&task.value) {
            return Err(src.fail(&task.referenced, twice(&task.value)));
        }
        tasks.push(task.value.clone());
    }
    Ok(tasks)
}

/// Methods or estimators (`what`), each passing `check` and with an id of its own.
fn distinct_ids<T: Clone>(
    src: &Source,
    raw: &[Spanned<T>],
    what: &str,
    check: impl Fn(&T) -> Result<(), String>,
    id: impl Fn(&T) -> &str,
) -> Result<Vec<T>, ProtocolError> {
    let mut chosen: Vec<T> = Vec::new();
    for item in raw {
        let fail = |message: String| src.fail(&item.referenced, message);
        check(&item.value).map_err(fail)?;
        let item_id = id(&item.value);
        if chosen.iter().any(|x| id(x) == item_id) {
            return Err(fail(format!(
                "{what} id '{item_id}' is used twice; give one of them an `id:`"
            )));
        }
        chosen.push(item.value.clone());
    }
    Ok(chosen)
}

/// The most replicates a protocol (or `--replicates`) may ask for.
pub const MAX_REPLICATES: u32 = 100_000;

/// The most trials a protocol may expand to (tasks × methods × sizes × replicates).
pub const MAX_TRIALS: u64 = 10_000_000;

/// The most methods or estimators one protocol may list.
const MAX_METHODS: usize = 1_000;

/// The fields every protocol kind has, validated.
#[derive(Debug)]
pub struct Common {
    pub name: String,
    pub description: Option<String>,
    /// The file's text, exactly as read; its sha256 names the run.
    pub text: String,
    pub sha256: String,
    pub benchmark: &'static BenchmarkDef,
    pub tasks: Vec<String>,
    pub objective: Objective,
    pub seed_policy: SeedPolicy,
    pub seed_policy_at: Place,
    pub replicates: u32,
    pub replicates_at: Place,
    pub base_seed: u64,
}

/// The metric a protocol optimises or predicts: its column in the task tables and its
/// definition (name, direction).
#[derive(Debug, Clone, Copy)]
pub struct Objective {
    pub column: usize,
    pub metric: &'static MetricDef,
}

/// The head fields as read, before validation. Each file struct (`SearchFile`,
/// `EstimationFile`) spells these fields itself rather than flattening one shared struct:
/// serde's `flatten` switches off `deny_unknown_fields` and loses the spans that errors cite.
struct RawCommon<'a> {
    name: &'a Spanned<String>,
    description: &'a Option<String>,
    benchmark: &'a Spanned<String>,
    tasks: &'a [Spanned<String>],
    objective: &'a Option<Spanned<String>>,
    seed_policy: &'a Option<Spanned<String>>,
    replicates: &'a Spanned<i64>,
    base_seed: u64,
}

impl RawCommon<'_> {
    fn validate(&self, src: &Source, text: &str) -> Result<Common, ProtocolError> {
        check_name(&self.name.value).map_err(|m| src.fail(&self.name.referenced, m))?;
        let benchmark = catalog::benchmark(&self.benchmark.value)
            .map_err(|e| src.fail(&self.benchmark.referenced, e.to_string()))?;
        if self.tasks.is_empty() {
            return Err(src.fail(
                &self.benchmark.referenced,
                "tasks must list at least one task",
            ));
        }
        let twice = |task: &str| format!("task '{task}' is listed twice");
        let tasks = distinct_tasks(src, benchmark, self.tasks, twice)?;
        let (column, metric) = match self.objective {
            None => benchmark
                .metric(benchmark.objective)
                .expect("catalog objective exists"),
            Some(o) => benchmark
                .metric(&o.value)
                .map_err(|e| src.fail(&o.referenced, format!("objective: {e}")))?,
        };
        let (seed_policy, seed_policy_at) = match self.seed_policy {
            None => (SeedPolicy::Sample, src.at(&self.name.referenced)),
            Some(s) => (
                parse_seed_policy(&s.value, benchmark).map_err(|m| src.fail(&s.referenced, m))?,
                src.at(&s.referenced),
            ),
        };
        Ok(Common {
            name: self.name.value.clone(),
            description: self.description.clone(),
            text: text.to_string(),
            sha256: sha256_hex(text.as_bytes()),
            benchmark,
            tasks,
            objective: Objective { column, metric },
            seed_policy,
            seed_policy_at,
            replicates: src.count(self.replicates, "replicates", MAX_REPLICATES)?,
            replicates_at: src.at(&self.replicates.referenced),
            base_seed: self.base_seed,
        })
    }
}

/// A protocol's name names its default run directory, `runs/<name>`, and its seeds: letters,
/// digits, `.`, `_` and `-`, at most 100, not starting with `.` (so never `..`, `/` or a
/// hidden directory).
fn check_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > 100 || name.starts_with('.') || !name.chars().all(allowed) {
        return Err(format!(
            "name must be 1 to 100 letters, digits, '.', '_' or '-', not starting with '.' \
             (it names the run directory runs/<name>), got '{}'",
            shown(name)
        ));
    }
    Ok(())
}

fn check_task(
    src: &Source,
    benchmark: &BenchmarkDef,
    task: &Spanned<String>,
) -> Result<(), ProtocolError> {
    benchmark.task(&task.value).map(|_| ()).map_err(|e| {
        src.fail(
            &task.referenced,
            format!("{e} (benchmark {})", benchmark.name),
        )
    })
}

fn parse_seed_policy(text: &str, benchmark: &BenchmarkDef) -> Result<SeedPolicy, String> {
    match text {
        "mean" => Ok(SeedPolicy::Mean),
        "sample" => Ok(SeedPolicy::Sample),
        other => {
            let k = other
                .strip_prefix("fixed:")
                .and_then(|k| k.trim().parse::<u8>().ok())
                .ok_or_else(|| {
                    format!(
                        "seed_policy must be mean, sample or fixed:K, got '{}'",
                        shown(other)
                    )
                })?;
            if k as usize >= benchmark.max_seeds {
                return Err(format!(
                    "seed_policy fixed:{k}: {} has at most {} training seeds (0 to {})",
                    benchmark.name,
                    benchmark.max_seeds,
                    benchmark.max_seeds - 1
                ));
            }
            Ok(SeedPolicy::Fixed(k))
        }
    }
}

/// A protocol of either kind.
#[derive(Debug)]
pub enum Protocol {
    Search(SearchProtocol),
    Estimation(EstimationProtocol),
}

impl Protocol {
    pub fn from_file(path: &Path) -> Result<Protocol, ProtocolError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ProtocolError {
            file: file.clone(),
            line: 0,
            column: 0,
            message: match e.kind() {
                std::io::ErrorKind::InvalidData => "not UTF-8 text, so not a YAML protocol".into(),
                _ => format!("cannot read: {e}"),
            },
        })?;
        Protocol::parse(&file, &text)
    }

    /// Reads `kind`, then parses the whole file as that kind; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Protocol, ProtocolError> {
        #[derive(Deserialize)]
        struct Head {
            kind: Spanned<String>,
        }
        let head: Head = serde_saphyr::from_str(text).map_err(|e| yaml_error(file, text, &e))?;
        match head.kind.value.as_str() {
            "search" => SearchProtocol::parse(file, text).map(Protocol::Search),
            "estimation" => EstimationProtocol::parse(file, text).map(Protocol::Estimation),
            other => Err(Source { file }.fail(
                &head.kind.referenced,
                format!("unknown kind '{}'; valid: search, estimation", shown(other)),
            )),
        }
    }

    /// The image source a run's networks see, when it has networks that see images (an
    /// estimation protocol's zero-cost proxies, a search protocol's weight-sharing methods):
    /// what `--images` replaces.
    pub fn images_mut(&mut self) -> Option<&mut datasets::images::ImageSource> {
        match self {
            Protocol::Search(p) => p.weight_sharing().then_some(&mut p.images),
            Protocol::Estimation(p) => {
                (!p.proxies().is_empty() || p.weight_sharing()).then_some(&mut p.images)
            }
        }
    }

    pub fn common(&self) -> &Common {
        match self {
            Protocol::Search(p) => &p.common,
            Protocol::Estimation(p) => &p.common,
        }
    }
}

/// One line: `file:line:column: message (at `source text`)`, without serde-saphyr's source
/// snippet or its repeated position, its advice to programmers turned into the user's fix,
/// and an unclosed `[` or `{` blamed where it opens rather than where the parser gave up.
fn yaml_error(file: &str, text: &str, e: &serde_saphyr::Error) -> ProtocolError {
    let bare = e.without_snippet();
    let (mut line, mut column) = bare
        .location()
        .or_else(|| e.location())
        .map_or((0, 0), |l| (l.line(), l.column()));
    let rendered = bare.to_string();
    let mut message = rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(at) = message.find(" at line ") {
        message.truncate(at);
    }
    message = for_users(message);
    if let Some((open, open_line, open_column)) = unclosed_flow(text, line, column)
        && open_line < line
    {
        message = format!(
            "`{open}` is never closed (the parser stopped at line {line}, column {column}: \
             {message})"
        );
        (line, column) = (open_line, open_column);
    }
    // Name the key (or list item) the error is on, from the source line itself (or the last
    // non-empty line before it, for errors reported at the end of a block).
    let lines: Vec<&str> = text.lines().collect();
    let source = lines[..(line as usize).min(lines.len())]
        .iter()
        .rev()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find(|l| !l.is_empty());
    // A missing key is reported where its mapping ends, which is not where to add it.
    let source = source.filter(|_| !message.starts_with("the key "));
    if let Some(source) = source {
        let shown: String = source.chars().take(80).collect();
        let more = if source.chars().count() > 80 {
            "…"
        } else {
            ""
        };
        message.push_str(&format!(" (at `{shown}{more}`)"));
        if message.starts_with("expected mapping") && !source.contains(':') {
            message.push_str(&format!("; write `{shown}: {{}}`"));
        }
    }
    ProtocolError {
        file: file.to_string(),
        line,
        column,
        message,
    }
}

/// serde-saphyr's messages that speak of its API or its types, said as what to change in the
/// file.
fn for_users(message: String) -> String {
    for (parser, user) in [
        ("invalid u64", "expected a whole number from 0"),
        ("invalid u32", "expected a whole number from 0"),
        ("invalid u16", "expected a whole number from 0"),
        ("invalid u8", "expected a whole number from 0"),
        ("invalid usize", "expected a whole number from 0"),
        ("invalid i64", "expected a whole number"),
        ("invalid f64", "expected a number"),
        (
            "expected mapping start",
            "expected a mapping (`key: value`) here",
        ),
        (
            "expected sequence start",
            "expected a list here, e.g. `[a, b]`",
        ),
        (
            "unexpected end of input",
            "the file holds no protocol (it is empty, or only comments)",
        ),
    ] {
        if let Some(rest) = message.strip_prefix(parser) {
            return format!("{user}{rest}");
        }
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("the key {rest} is missing");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return format!("unknown key {rest}");
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return format!(
            "unknown name {}",
            rest.replacen(", expected one of ", "; valid: ", 1)
        );
    }
    if message.starts_with("non-finite float") {
        return "NaN and infinite numbers are not accepted".into();
    }
    if message.starts_with("tabs disallowed") {
        return "a tab indents this line; YAML indents with spaces".into();
    }
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return format!("key `{key}` is given twice in the same mapping");
    }
    if let Some(limit) = message.strip_prefix("budget breached: ") {
        return format!(
            "the YAML expands beyond the parser's safety limit ({limit}), e.g. through aliases \
             of aliases; a protocol needs no aliases"
        );
    }
    if message.starts_with("multiple YAML documents detected") {
        return "the file holds a second YAML document (after `---`); a protocol is one \
                document"
            .into();
    }
    message
}

/// The innermost `[` or `{` that opens a flow collection before (line, column) (1-based) and
/// is not closed by then, with its line and column. Brackets inside quotes or comments, or
/// inside a plain scalar (not at the start of a value), do not count.
fn unclosed_flow(text: &str, line: u64, column: u64) -> Option<(char, u64, u64)> {
    let mut open: Vec<(char, u64, u64)> = Vec::new();
    for (l, source) in text.lines().enumerate() {
        let l = l as u64 + 1;
        if l > line {
            break;
        }
        let mut quote: Option<char> = None;
        let mut previous = ' ';
        for (c, ch) in source.chars().enumerate() {
            let c = c as u64 + 1;
            if l == line && c >= column {
                break;
            }
            match (quote, ch) {
                (Some(q), _) if ch == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(ch),
                (None, '#') if previous == ' ' => break,
                (None, '[' | '{') if matches!(previous, ' ' | ':' | '-' | ',' | '[' | '{') => {
                    open.push((ch, l, c));
                }
                (None, ']' | '}') => {
                    open.pop();
                }
                _ => {}
            }
            if ch != ' ' {
                previous = ch;
            }
        }
    }
    open.pop()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_protocol_parses() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("protocols");
        let mut count = 0;
        for dir in [root.clone(), root.join("paper")] {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "yaml") {
                    Protocol::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
                    count += 1;
                }
            }
        }
        assert!(count >= 14, "{count} protocols");
    }
}
