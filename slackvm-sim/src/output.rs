//! Every output file of every command goes through this module, with two
//! promises:
//!
//! - an output path equal to one of the run's inputs is refused before
//!   anything is written ([`OutputError::SameAsInput`]);
//! - a file is written to a temporary sibling (`.tmp-PID-NAME`, same folder,
//!   same extension) and renamed over its target only when the run
//!   succeeded, so a failed run leaves the previous outputs intact and
//!   never a half-written file. A temporary file not committed is removed
//!   when its [`Staged`] handle is dropped.
//!
//! [`OutputSet`] stages the several files of one run and commits them
//! together at the end; [`write_file`] writes one file the same way.
//!
//! ```
//! use slackvm_sim::output::OutputSet;
//! let dir = std::env::temp_dir().join(format!("slackvm-output-doc-{}", std::process::id()));
//! let input = dir.join("in.tsv");
//! std::fs::create_dir_all(&dir)?;
//! std::fs::write(&input, "data")?;
//!
//! let mut set = OutputSet::new([input.as_path()]);
//! assert!(set.write(&input, b"oops").is_err()); // the input is never a target
//! set.write(&dir.join("out.txt"), b"result")?;
//! assert!(!dir.join("out.txt").exists()); // nothing visible before commit
//! set.commit()?;
//! assert_eq!(std::fs::read_to_string(dir.join("out.txt"))?, "result");
//! assert_eq!(std::fs::read_to_string(&input)?, "data");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The output path is one of the run's inputs.
    #[error("{path}: this file is also an input of the run; refusing to overwrite it (choose another output)")]
    SameAsInput {
        /// The path given as output.
        path: PathBuf,
    },
    /// The same output path was staged twice in one run.
    #[error("{path}: written twice by one run")]
    Twice {
        /// The path.
        path: PathBuf,
    },
    /// Creating, writing or renaming failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl OutputError {
    /// The error as an `io::Error` without its path, for error types that
    /// already name the path (`Io` gives back its source).
    pub fn into_io(self) -> std::io::Error {
        match self {
            OutputError::Io { source, .. } => source,
            other => std::io::Error::other(other.to_string()),
        }
    }

    fn io(path: &Path, source: std::io::Error) -> Self {
        OutputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The canonical form of an existing path (`None` when it does not exist).
fn canonical(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// One output file being written: write to [`Staged::tmp_path`], then
/// [`Staged::commit`]. Dropped uncommitted, the temporary file is removed.
#[derive(Debug)]
pub struct Staged {
    target: PathBuf,
    tmp: PathBuf,
    committed: bool,
}

impl Staged {
    /// Prepares `target` (its folder is created if needed); nothing is
    /// written yet.
    pub fn new(target: &Path) -> Result<Self, OutputError> {
        let name = target
            .file_name()
            .ok_or_else(|| OutputError::io(target, std::io::Error::other("not a file name")))?
            .to_string_lossy()
            .into_owned();
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|e| OutputError::io(&dir, e))?;
        let tmp = dir.join(format!(".tmp-{}-{name}", std::process::id()));
        Ok(Staged {
            target: target.to_path_buf(),
            tmp,
            committed: false,
        })
    }

    /// Where to write the content (same folder and extension as the target).
    pub fn tmp_path(&self) -> &Path {
        &self.tmp
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the temporary file over the target.
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        std::fs::rename(&self.tmp, &self.target).map_err(|e| OutputError::io(&self.target, e))?;
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The outputs of one run, checked against its inputs and committed
/// together at the end.
#[derive(Debug, Default)]
pub struct OutputSet {
    inputs: Vec<PathBuf>,
    staged: Vec<Staged>,
}

impl OutputSet {
    /// A set whose targets may not be any of `inputs` (paths that do not
    /// exist are ignored).
    pub fn new<'a>(inputs: impl IntoIterator<Item = &'a Path>) -> Self {
        let mut set = OutputSet::default();
        for p in inputs {
            set.add_input(p);
        }
        set
    }

    /// Declares one more input.
    pub fn add_input(&mut self, path: &Path) {
        if let Some(c) = canonical(path) {
            self.inputs.push(c);
        }
    }

    /// Refuses `target` if it is an input or already staged.
    pub fn check(&self, target: &Path) -> Result<(), OutputError> {
        check_not_input(target, &self.inputs)?;
        if self.staged.iter().any(|s| s.target == target) {
            return Err(OutputError::Twice {
                path: target.to_path_buf(),
            });
        }
        Ok(())
    }

    /// Stages `target` and returns the temporary path to write it to.
    pub fn stage(&mut self, target: &Path) -> Result<PathBuf, OutputError> {
        self.check(target)?;
        let staged = Staged::new(target)?;
        let tmp = staged.tmp.clone();
        self.staged.push(staged);
        Ok(tmp)
    }

    /// Stages `target` with `bytes` as its content.
    pub fn write(&mut self, target: &Path, bytes: &[u8]) -> Result<(), OutputError> {
        let tmp = self.stage(target)?;
        std::fs::write(&tmp, bytes).map_err(|e| OutputError::io(target, e))
    }

    /// Targets staged so far, in order.
    pub fn targets(&self) -> Vec<PathBuf> {
        self.staged.iter().map(|s| s.target.clone()).collect()
    }

    /// Renames every staged file over its target, in staging order.
    pub fn commit(self) -> Result<Vec<PathBuf>, OutputError> {
        self.staged.into_iter().map(Staged::commit).collect()
    }
}

/// Refuses `target` when it names the same file as one of `inputs`
/// (canonical paths; `inputs` as given by the caller are canonicalised here).
pub fn check_not_input(target: &Path, inputs: &[PathBuf]) -> Result<(), OutputError> {
    let Some(t) = canonical(target) else {
        return Ok(());
    };
    let same = inputs.iter().any(|i| canonical(i).is_some_and(|c| c == t));
    if same {
        return Err(OutputError::SameAsInput {
            path: target.to_path_buf(),
        });
    }
    Ok(())
}

/// Writes one file atomically (temporary sibling, then rename), refusing a
/// target that is one of `inputs`.
pub fn write_file(target: &Path, bytes: &[u8], inputs: &[&Path]) -> Result<(), OutputError> {
    let mut set = OutputSet::new(inputs.iter().copied());
    set.write(target, bytes)?;
    set.commit().map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("slackvm-output-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_dropped_set_leaves_previous_outputs_and_no_temporary() {
        let d = dir("drop");
        let target = d.join("summary.json");
        std::fs::write(&target, "previous").unwrap();
        {
            let mut set = OutputSet::new([]);
            set.write(&target, b"new").unwrap();
            // the run fails here: the set is dropped uncommitted
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "previous");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
    }

    #[test]
    fn an_input_reached_through_another_spelling_is_refused() {
        let d = dir("same");
        let input = d.join("trace.tsv");
        std::fs::write(&input, "rows").unwrap();
        let other = d.join(".").join("trace.tsv");
        let set = OutputSet::new([input.as_path()]);
        let err = set.check(&other).unwrap_err();
        assert!(matches!(err, OutputError::SameAsInput { .. }), "{err}");
        assert!(err.to_string().contains("trace.tsv"));
    }

    #[test]
    fn staging_twice_is_refused_and_commit_keeps_the_extension() {
        let d = dir("twice");
        let mut set = OutputSet::new([]);
        let tmp = set.stage(&d.join("a.tsv.gz")).unwrap();
        assert!(tmp.to_string_lossy().ends_with("a.tsv.gz"));
        assert!(matches!(
            set.stage(&d.join("a.tsv.gz")),
            Err(OutputError::Twice { .. })
        ));
        std::fs::write(&tmp, "x").unwrap();
        assert_eq!(set.commit().unwrap(), vec![d.join("a.tsv.gz")]);
        assert!(d.join("a.tsv.gz").exists());
    }
}
