//! Shards of a sweep that outgrows one machine (Slurm job arrays):
//! - [`shard_from_env`]: `--shard auto` reads `SLURM_ARRAY_TASK_ID`,
//!   `SLURM_ARRAY_TASK_MIN` and `SLURM_ARRAY_TASK_COUNT` (0- and 1-based
//!   arrays both work: the shard is `ID - MIN + 1` of `COUNT`);
//! - [`Manifest`]: `shard.json`, written beside a shard's `sizing.csv`:
//!   which shard of how many, how many units it ran of the whole, and a
//!   fingerprint of the sweep's parameters;
//! - [`check_complete`]: `sweep merge` accepts shard directories only as a
//!   complete set of one sweep (every index once, same count and
//!   fingerprint), and directories without `shard.json` only as whole runs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::grid::Shard;
use super::SweepError;

/// The manifest file name.
pub const MANIFEST: &str = "shard.json";

/// `shard.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// 1-based shard index.
    pub index: usize,
    /// Shards in the sweep.
    pub count: usize,
    /// Units (workloads) of the whole sweep.
    pub units_total: usize,
    /// Units this shard ran (0: an empty shard).
    pub units: usize,
    /// Fingerprint of the sweep's parameters (hex).
    pub sweep: String,
}

fn bad(message: String) -> SweepError {
    SweepError::Param {
        param: "--shard",
        message,
    }
}

/// The shard of this Slurm array task, from the environment (`var` reads
/// one variable).
pub fn shard_from_env(var: impl Fn(&str) -> Option<String>) -> Result<Shard, SweepError> {
    let get = |name: &str| -> Result<usize, SweepError> {
        let text = var(name).ok_or_else(|| {
            bad(format!(
                "auto: {name} is not set (not inside a Slurm job array; give --shard i/n)"
            ))
        })?;
        text.trim()
            .parse()
            .map_err(|_| bad(format!("auto: {name}=`{text}` is not a number")))
    };
    let (id, min, count) = (
        get("SLURM_ARRAY_TASK_ID")?,
        get("SLURM_ARRAY_TASK_MIN")?,
        get("SLURM_ARRAY_TASK_COUNT")?,
    );
    if id < min || id - min >= count {
        return Err(bad(format!(
            "auto: task {id} is outside the array {min}..{} ({count} tasks; arrays with steps are not supported)",
            min + count.saturating_sub(1)
        )));
    }
    Ok(Shard {
        index: id - min + 1,
        count,
    })
}

/// A short hex fingerprint of a sweep's description.
pub fn fingerprint(description: &str) -> String {
    use std::hash::Hasher;
    let mut h = crate::workload::csvrows::FxHasher::default();
    h.write(description.as_bytes());
    format!("{:016x}", h.finish())
}

/// Writes `shard.json` into `dir`.
pub fn write_manifest(dir: &Path, m: &Manifest) -> Result<PathBuf, SweepError> {
    let path = dir.join(MANIFEST);
    let text = serde_json::to_string_pretty(m)
        .map_err(|e| SweepError::io(&path, std::io::Error::other(e)))?;
    std::fs::write(&path, text + "\n").map_err(|e| SweepError::io(&path, e))?;
    Ok(path)
}

fn read_manifest(dir: &Path) -> Result<Option<Manifest>, SweepError> {
    let path = dir.join(MANIFEST);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| SweepError::Csv {
                path,
                line: e.line(),
                message: format!("not a shard manifest: {e}"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SweepError::io(path, e)),
    }
}

fn merge_error(message: String) -> SweepError {
    SweepError::Param {
        param: "merge",
        message,
    }
}

/// Checks that `dirs` are whole runs, or one complete set of shards.
pub fn check_complete(dirs: &[PathBuf]) -> Result<(), SweepError> {
    let mut shards: Vec<(PathBuf, Manifest)> = Vec::new();
    let mut whole = Vec::new();
    for d in dirs {
        match read_manifest(d)? {
            Some(m) => shards.push((d.clone(), m)),
            None => whole.push(d.clone()),
        }
    }
    let Some((first_dir, first)) = shards.first().cloned() else {
        return Ok(());
    };
    if let Some(w) = whole.first() {
        return Err(merge_error(format!(
            "{} holds no {MANIFEST} but {} is shard {}/{}: merge the shards of one sweep, or whole runs",
            w.display(),
            first_dir.display(),
            first.index,
            first.count
        )));
    }
    check_set(&first_dir, &first, &shards)
}

/// Every shard of `first`'s sweep, each once.
fn check_set(
    first_dir: &Path,
    first: &Manifest,
    shards: &[(PathBuf, Manifest)],
) -> Result<(), SweepError> {
    let mut seen = vec![None::<PathBuf>; first.count + 1];
    for (d, m) in shards {
        if m.count != first.count || m.sweep != first.sweep {
            return Err(merge_error(format!(
                "{} is shard {}/{} of sweep {}, but {} is of {}/{} of sweep {}: not the same sweep",
                d.display(),
                m.index,
                m.count,
                m.sweep,
                first_dir.display(),
                first.index,
                first.count,
                first.sweep
            )));
        }
        match seen.get_mut(m.index) {
            Some(Some(other)) => {
                return Err(merge_error(format!(
                    "shard {}/{} given twice: already read from {}, again in {}",
                    m.index,
                    m.count,
                    other.display(),
                    d.display()
                )))
            }
            Some(slot) if m.index >= 1 => *slot = Some(d.clone()),
            _ => {
                return Err(merge_error(format!(
                    "{}: shard index {} of {}",
                    d.display(),
                    m.index,
                    m.count
                )))
            }
        }
    }
    let missing: Vec<String> = (1..=first.count)
        .filter(|&i| seen[i].is_none())
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(merge_error(format!(
            "incomplete set: {} of {} shards given; missing shard(s) {} of sweep {}",
            first.count - missing.len(),
            first.count,
            missing.join(", "),
            first.sweep
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn auto_shards_from_slurm_arrays_zero_and_one_based() {
        let s = |id, min, count| {
            shard_from_env(env(&[
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_MIN", min),
                ("SLURM_ARRAY_TASK_COUNT", count),
            ]))
        };
        assert_eq!(s("0", "0", "3").unwrap(), Shard { index: 1, count: 3 });
        assert_eq!(s("2", "0", "3").unwrap(), Shard { index: 3, count: 3 });
        assert_eq!(s("1", "1", "4").unwrap(), Shard { index: 1, count: 4 });
        assert_eq!(s("4", "1", "4").unwrap(), Shard { index: 4, count: 4 });
        assert!(s("5", "1", "4").is_err());
        assert!(s("x", "1", "4")
            .unwrap_err()
            .to_string()
            .contains("SLURM_ARRAY_TASK_ID=`x`"));
        let e = shard_from_env(env(&[])).unwrap_err().to_string();
        assert!(e.contains("not inside a Slurm job array"), "{e}");
    }

    #[test]
    fn merge_needs_every_shard_of_one_sweep() {
        let root = std::env::temp_dir().join(format!("slackvm-shards-{}", std::process::id()));
        let dirs: Vec<PathBuf> = (1..=3).map(|i| root.join(format!("s{i}"))).collect();
        for (i, d) in dirs.iter().enumerate() {
            std::fs::create_dir_all(d).unwrap();
            let m = Manifest {
                index: i + 1,
                count: 3,
                units_total: 5,
                units: 2,
                sweep: "ab".into(),
            };
            write_manifest(d, &m).unwrap();
        }
        check_complete(&dirs).unwrap();
        let e = check_complete(&dirs[..2]).unwrap_err().to_string();
        assert!(e.contains("2 of 3 shards given; missing shard(s) 3"), "{e}");
        let e = check_complete(&[dirs[0].clone(), dirs[0].clone()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("given twice"), "{e}");
        let other = root.join("whole");
        std::fs::create_dir_all(&other).unwrap();
        assert!(check_complete(&[dirs[0].clone(), other.clone()]).is_err());
        check_complete(&[other]).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
    }
}
