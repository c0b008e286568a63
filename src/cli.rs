//! What every command-line tool of the workspace shares: one progress-bar
//! style (elapsed, bar, count, unit, ETA), hidden under `-q`.

use indicatif::{ProgressBar, ProgressStyle};

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
    fn template_parses_with_any_unit() {
        for unit in ["workloads", "timestamps", "runs"] {
            let t = PROGRESS_TEMPLATE.replace("{unit}", unit);
            assert!(ProgressStyle::with_template(&t).is_ok(), "{t}");
        }
    }
}
