//! One replay's output folder, written the same way by `replay` and by
//! `replay --cluster` (one folder per host), so both give the same bytes:
//! `monitoring.tsv`, `summary.json` (without timings), `figure3.csv` (the
//! plotted series) and, unless turned off, `figure3.svg`. Every file is
//! staged and renamed into place only once the whole replay succeeded
//! ([`crate::output`]): a failed replay leaves the folder as it was.

use super::{
    replay_learnt, FirstPass, ReplayError, ReplayOptions, ReplayOutcome, ReplaySummary, TraceSource,
};
use crate::output::{OutputError, OutputSet};
use crate::plot::figure3;
use crate::topology::Topology;
use crate::trace::{TraceError, TraceWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The files a replay writes into its folder.
pub const OUTPUT_NAMES: [&str; 4] = [
    "monitoring.tsv",
    "summary.json",
    "figure3.csv",
    "figure3.svg",
];

/// Why a replay's folder could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FolderError {
    /// The replay itself failed.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// An output file could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The figure could not be drawn.
    #[error("{0}")]
    Figure(String),
    /// A host's topology file could not be read.
    #[error("{0}")]
    Topology(String),
}

impl From<TraceError> for FolderError {
    fn from(e: TraceError) -> Self {
        FolderError::Replay(e.into())
    }
}

/// One replay into one folder.
#[derive(Debug, Clone)]
pub struct FolderReplay {
    /// The host's topology.
    pub topo: Arc<Topology>,
    /// Options (quirks).
    pub opts: ReplayOptions,
    /// The input trace.
    pub source: TraceSource,
    /// The output folder.
    pub out: PathBuf,
    /// Write `figure3.svg`.
    pub figure: bool,
    /// Files the outputs may not overwrite (the trace, the topology file).
    pub inputs: Vec<PathBuf>,
}

impl FolderReplay {
    /// Refuses outputs that are inputs, before anything is read.
    pub fn check(&self) -> Result<(), OutputError> {
        check_outputs(&self.out, &self.inputs)
    }

    fn output_set(&self) -> OutputSet {
        OutputSet::new(self.inputs.iter().map(PathBuf::as_path))
    }

    /// Replays (second pass, after `first`) and writes the folder.
    pub fn run(
        &self,
        first: FirstPass,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ReplayOutcome, FolderError> {
        let mut outputs = self.output_set();
        let out_path = self.out.join("monitoring.tsv");
        let mut writer = TraceWriter::create_as(&outputs.stage(&out_path)?, &out_path)?;
        let outcome = replay_learnt(
            self.topo.clone(),
            self.opts,
            &self.source,
            first,
            Some(&mut writer),
            progress,
        )?;
        writer.finish()?;
        let json = summary_json(&outcome.summary);
        outputs.write(&self.out.join("summary.json"), json.as_bytes())?;
        let csv = figure3::series_csv(&outcome.series);
        outputs.write(&self.out.join("figure3.csv"), csv.as_bytes())?;
        if self.figure {
            let svg = outputs.stage(&self.out.join("figure3.svg"))?;
            figure3::draw(&outcome.series, &figure_title(&self.topo), &svg)
                .map_err(FolderError::Figure)?;
        }
        outputs.commit()?;
        Ok(outcome)
    }
}

/// Refuses a folder whose outputs would overwrite one of `inputs`.
pub fn check_outputs(out: &Path, inputs: &[PathBuf]) -> Result<(), OutputError> {
    let set = OutputSet::new(inputs.iter().map(PathBuf::as_path));
    OUTPUT_NAMES
        .iter()
        .try_for_each(|name| set.check(&out.join(name)))
}

/// Figure 3's title: the host's name (its topology file's stem, without
/// the `embedded:` / `topology_` decorations) and CPUs.
pub fn figure_title(topo: &Topology) -> String {
    format!(
        "vNodes on {} ({} CPUs)",
        host_name(topo.name()),
        topo.cpu_count()
    )
}

/// `embedded:topology_EPYC-7662-exp.json` -> `EPYC-7662-exp`.
fn host_name(name: &str) -> &str {
    let name = name.strip_prefix("embedded:").unwrap_or(name);
    let stem = Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(name);
    stem.strip_prefix("topology_").unwrap_or(stem)
}

/// `summary.json` without the machine's timings (`wall_s`, `rows_per_s`),
/// so that the file depends on the inputs only.
pub fn summary_json(summary: &ReplaySummary) -> String {
    let mut value = serde_json::to_value(summary).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("wall_s");
        map.remove("rows_per_s");
    }
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

/// The folder replay of `trace` on `topo` into `out` with default options
/// and its figure, no other input declared.
pub fn folder(topo: Arc<Topology>, opts: ReplayOptions, trace: &Path, out: &Path) -> FolderReplay {
    FolderReplay {
        topo,
        opts,
        source: TraceSource::File(trace.to_path_buf()),
        out: out.to_path_buf(),
        figure: true,
        inputs: vec![trace.to_path_buf()],
    }
}

#[cfg(test)]
mod tests {
    use super::super::first_pass;
    use super::super::testkit::{trace, vm_rows};
    use super::*;
    use crate::topology;

    #[test]
    fn writes_the_folder_and_leaves_it_alone_on_failure() {
        let dir = std::env::temp_dir().join(format!("slackvm-folder-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let good: Vec<String> = vm_rows(0, "a", 2, "1.0", 1024, "0.5").into();
        let rows: Vec<&str> = good.iter().map(String::as_str).collect();
        std::fs::write(dir.join("in.tsv"), trace(&rows)).expect("write");
        let topo = Arc::new(topology::preset("laptop-8").expect("preset"));
        let job = folder(
            topo,
            ReplayOptions::default(),
            &dir.join("in.tsv"),
            &dir.join("out"),
        );
        job.check().expect("outputs are not inputs");
        let first = first_pass(&job.source).expect("first pass");
        job.run(first, &mut |_, _| {}).expect("replays");
        for name in OUTPUT_NAMES {
            assert!(dir.join("out").join(name).exists(), "{name}");
        }
        let summary = std::fs::read_to_string(dir.join("out/summary.json")).expect("summary");
        assert!(!summary.contains("wall_s") && summary.contains("\"accepted\""));
        // A malformed usage fails in the second pass: the folder keeps its files.
        std::fs::write(
            dir.join("in.tsv"),
            trace(&["0\tvm\tcpu\tx\t2\tsubset-1.0\ta\ta\t1.0\tNone\tNone"]),
        )
        .expect("write");
        let first = first_pass(&job.source).expect("first pass");
        let e = job.run(first, &mut |_, _| {}).expect_err("bad val");
        assert!(e.to_string().contains("in.tsv:2"), "{e}");
        let again = std::fs::read_to_string(dir.join("out/summary.json")).expect("summary");
        assert_eq!(again, summary);
        let mut bad = job.clone();
        bad.out = dir.clone();
        bad.inputs.push(dir.join("summary.json"));
        std::fs::write(dir.join("summary.json"), "{}").expect("write");
        assert!(bad.check().is_err(), "an input is never an output");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
