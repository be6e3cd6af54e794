//! How polars' streaming engine does the heavy part of nash's search report on a large
//! trials.parquet: per (task, method, step) quartiles of the incumbent's seed-mean value (the
//! curves over queries), and per trial its final incumbent and distinct architectures.
use polars::prelude::*;

fn main() -> PolarsResult<()> {
    let path = std::env::args().nth(1).expect("trials.parquet");
    let only = std::env::args().nth(2).unwrap_or_default();
    let started = std::time::Instant::now();
    let scan = || LazyFrame::scan_parquet(PlRefPath::new(&path), ScanArgsParquet::default());
    let value = || col("incumbent_mean_value");
    let curves = if only == "finals" {
        DataFrame::empty()
    } else {
        scan()?
            .group_by([col("task"), col("method"), col("step")])
            .agg([
                value()
                    .quantile(lit(0.25), QuantileMethod::Linear)
                    .alias("q1"),
                value().median().alias("median"),
                value()
                    .quantile(lit(0.75), QuantileMethod::Linear)
                    .alias("q3"),
            ])
            .collect_with_engine(Engine::Streaming)?
            .unwrap_single()
    };
    let finals = if only == "curves" {
        DataFrame::empty()
    } else {
        scan()?
            .group_by([col("task"), col("method"), col("replicate")])
            .agg([
                value().last().alias("final"),
                col("incumbent_value").last().alias("observed"),
                col("arch_id").n_unique().alias("unique_archs"),
            ])
            .collect_with_engine(Engine::Streaming)?
            .unwrap_single()
    };
    eprintln!(
        "{} curve points, {} trials in {:.2} s",
        curves.height(),
        finals.height(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
