//! What every command-line tool of the workspace shares: one progress-bar
//! style (elapsed, bar, count, unit, ETA), hidden under `-q`, and one way
//! to report an error (one line, each cause once, no backtrace).

use indicatif::{ProgressBar, ProgressStyle};
use std::process::ExitCode;

/// Runs a binary's `main` body: on error prints `Error: ` and the error's
/// chain on one line (a cause already quoted by its context is not
/// repeated; no backtrace, whatever `RUST_BACKTRACE` says) and exits 1.
pub fn run(main: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    match main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {}", error_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error chain as one line: `context: cause: cause`, each text once.
///
/// ```
/// let io = std::io::Error::other("disk full");
/// let e = anyhow::Error::new(io).context("out.csv: disk full");
/// assert_eq!(slackvm::cli::error_line(&e), "out.csv: disk full");
/// ```
pub fn error_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Value parser of a flag that must be a finite number > 0 (a rate, a
/// size): refuses `inf`, `NaN`, 0 and negatives; clap names the flag.
///
/// ```
/// assert_eq!(slackvm::cli::positive_finite("2.5"), Ok(2.5));
/// assert!(slackvm::cli::positive_finite("inf").is_err());
/// assert!(slackvm::cli::positive_finite("-1").is_err());
/// ```
pub fn positive_finite(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("must be a finite number > 0, got `{text}`"))
    }
}

/// Value parser of a count that must be at least 1 (hosts, VMs, threads,
/// sizes); clap names the flag in the error.
///
/// ```
/// assert_eq!(slackvm::cli::at_least_one("3"), Ok(3));
/// assert!(slackvm::cli::at_least_one("0").is_err());
/// assert!(slackvm::cli::at_least_one("-5").is_err());
/// ```
pub fn at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{text}` is not a count >= 1")),
    }
}

/// The one progress-bar template: elapsed time, bar, position/length, unit,
/// estimated time left, free message.
pub const PROGRESS_TEMPLATE: &str =
    "{elapsed_precise} [{bar:40}] {pos}/{len} {unit} ETA {eta} {msg}";

/// A progress bar over `len` `unit`s (`len` may be set later with
/// [`ProgressBar::set_length`]); hidden when `quiet`.
///
/// ```
/// let bar = slackvm::cli::progress_bar(10, "workloads", true);
/// bar.inc(1);
/// assert_eq!(bar.position(), 1);
/// bar.finish_and_clear();
/// ```
pub fn progress_bar(len: u64, unit: &str, quiet: bool) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len)
    };
    let template = PROGRESS_TEMPLATE.replace("{unit}", unit);
    // The template is a constant tested below: it always parses.
    let style = ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_prints_each_cause_once() {
        let e = anyhow::Error::new(std::io::Error::other("no such file"))
            .context("trace.tsv: no such file")
            .context("--trace");
        assert_eq!(error_line(&e), "--trace: trace.tsv: no such file");
    }

    #[test]
    fn template_parses_with_any_unit() {
        for unit in ["workloads", "timestamps", "runs"] {
            let t = PROGRESS_TEMPLATE.replace("{unit}", unit);
            assert!(ProgressStyle::with_template(&t).is_ok(), "{t}");
        }
    }
}
