//! `sweep report` and `sweep trace-stats` (polars, feature `analysis`).

use super::*;

#[cfg(feature = "analysis")]
pub(crate) fn report(inputs: &[PathBuf], out: &Path, quiet: bool) -> Result<()> {
    let files = slackvm_sim::sweep::analysis::report(inputs, out)?;
    for f in files.iter().filter(|_| !quiet) {
        eprintln!("wrote {}", f.display());
    }
    Ok(())
}

#[cfg(not(feature = "analysis"))]
pub(crate) fn report(_inputs: &[PathBuf], _out: &Path, _quiet: bool) -> Result<()> {
    anyhow::bail!("`sweep report` needs the `analysis` feature: cargo run --release --features analysis --bin sweep -- report DIR")
}

#[cfg(feature = "analysis")]
pub(crate) fn trace_stats(trace: &Path, out: Option<&Path>) -> Result<()> {
    let text = slackvm_sim::sweep::analysis::trace_stats_csv(trace)?;
    match out {
        Some(p) => {
            slackvm_sim::output::write_file(p, text.as_bytes(), &[trace]).context("--out")?
        }
        None => print!("{text}"),
    }
    Ok(())
}

#[cfg(not(feature = "analysis"))]
pub(crate) fn trace_stats(_trace: &Path, _out: Option<&Path>) -> Result<()> {
    anyhow::bail!("`sweep trace-stats` needs the `analysis` feature: cargo run --release --features analysis --bin sweep -- trace-stats TRACE")
}
