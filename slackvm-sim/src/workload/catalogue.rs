//! VM size catalogues (docs/catalogues.md): the share of VMs of each
//! vCPU count and of each memory size. Owns the three built-in catalogues
//! (`ovhcloud2023`, `azure2017`, `chameleon2020`), the loading of
//! user-given catalogues from JSON or YAML files, and the rank-paired
//! construction of a set of n VM shapes ([`Catalogue::shapes`]).
//!
//! # Catalogue file (JSON or YAML, chosen by the extension `.json`,
//! `.yaml` or `.yml`)
//! ```yaml
//! name: mycloud            # optional, defaults to the file stem
//! vcpus:                   # vCPU count and share of VMs
//!   - {size: 1, share: 0.25}
//!   - {size: 2, share: 0.75}
//! memory_gb:               # memory in GB and share of VMs
//!   - {size: 0.5, share: 0.5}
//!   - {size: 4, share: 0.5}
//! ```
//! The same object in JSON: `{"name": "mycloud", "vcpus": [{"size": 1,
//! "share": 0.25}, ...], "memory_gb": [...]}`. YAML is parsed with the
//! `serde_norway` crate, the maintained fork of the deprecated `serde_yaml`
//! (full YAML, not a subset). Rules: at least one entry in each list; sizes > 0 and distinct (entries may come in any
//! order, they are sorted by size); each share in (0, 1]; the shares of a
//! list sum to 1 within 0.05 (the published Chameleon shares sum to 1.01).
//! Memory GB become MB as `round(gb * 1024)`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Tolerance used when flooring or ceiling `share * count`, so that decimal
/// shares behave as decimals (0.29 * 100 gives 29, not 28).
pub(crate) const SHARE_EPS: f64 = 1e-9;

/// Names of the built-in catalogues, in a fixed order.
pub const BUILTIN_CATALOGUES: [&str; 3] = ["ovhcloud2023", "azure2017", "chameleon2020"];

/// A VM size catalogue: vCPU sizes and memory sizes, each with its share of
/// VMs, both sorted by increasing size.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    /// Name (`ovhcloud2023`, ... or the file's).
    pub name: String,
    /// `(vcpus, share)` by increasing vCPUs.
    pub vcpus: Vec<(u32, f64)>,
    /// `(memory MB, share)` by increasing memory.
    pub mem_mb: Vec<(u64, f64)>,
}

/// Why a catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    /// The file could not be read.
    #[error("catalogue {path}: cannot read: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid JSON/YAML of the expected shape.
    #[error("catalogue {path}: line {line}, column {column}: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// Parser message.
        message: String,
    },
    /// A field has a value outside its rules.
    #[error("catalogue {path}: field `{field}`: {message}")]
    Field {
        /// File (or `<builtin>`).
        path: PathBuf,
        /// Field, e.g. `vcpus[2].share`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The extension is neither `.json`, `.yaml` nor `.yml`.
    #[error("catalogue {path}: unknown format (expected a .json, .yaml or .yml file)")]
    UnknownFormat {
        /// File.
        path: PathBuf,
    },
    /// A name that is neither built-in nor an existing file.
    #[error("unknown catalogue `{name}` (built-in: ovhcloud2023, azure2017, chameleon2020; or a .json/.yaml file)")]
    Unknown {
        /// What was asked.
        name: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    size: f64,
    share: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCatalogue {
    name: Option<String>,
    vcpus: Vec<FileEntry>,
    memory_gb: Vec<FileEntry>,
}

/// Converts GB to MB as `round(gb * 1024)`.
pub fn gb_to_mb(gb: f64) -> u64 {
    (gb * 1024.0).round() as u64
}

/// `(vCPU table, memory GB table)` of a built-in catalogue.
type BuiltinTables = (&'static [(u32, f64)], &'static [(f64, f64)]);

fn builtin_table(name: &str) -> Option<BuiltinTables> {
    const OVH_CPU: [(u32, f64); 5] = [(1, 0.10), (2, 0.48), (4, 0.34), (8, 0.05), (16, 0.03)];
    const OVH_MEM: [(f64, f64); 7] = [
        (2.0, 0.10),
        (4.0, 0.21),
        (7.0, 0.27),
        (8.0, 0.14),
        (15.0, 0.20),
        (30.0, 0.05),
        (60.0, 0.03),
    ];
    const AZ_CPU: [(u32, f64); 4] = [(1, 0.51), (2, 0.25), (4, 0.17), (8, 0.07)];
    const AZ_MEM: [(f64, f64); 6] = [
        (0.75, 0.04),
        (1.75, 0.47),
        (3.5, 0.25),
        (7.0, 0.16),
        (14.0, 0.06),
        (56.0, 0.02),
    ];
    const CH_CPU: [(u32, f64); 4] = [(1, 0.26), (2, 0.20), (4, 0.12), (8, 0.43)];
    const CH_MEM: [(f64, f64); 5] = [
        (0.5, 0.02),
        (2.0, 0.24),
        (4.0, 0.20),
        (8.0, 0.12),
        (16.0, 0.43),
    ];
    match name {
        "ovhcloud2023" => Some((&OVH_CPU, &OVH_MEM)),
        "azure2017" => Some((&AZ_CPU, &AZ_MEM)),
        "chameleon2020" => Some((&CH_CPU, &CH_MEM)),
        _ => None,
    }
}

impl Catalogue {
    /// A built-in catalogue by name (see [`BUILTIN_CATALOGUES`]).
    pub fn builtin(name: &str) -> Option<Catalogue> {
        let (cpu, mem) = builtin_table(name)?;
        Some(Catalogue {
            name: name.to_string(),
            vcpus: cpu.to_vec(),
            mem_mb: mem.iter().map(|&(gb, s)| (gb_to_mb(gb), s)).collect(),
        })
    }

    /// OVHcloud 2023.
    pub fn ovhcloud2023() -> Catalogue {
        Self::builtin("ovhcloud2023").unwrap_or_else(|| unreachable!("built-in"))
    }

    /// Azure 2017.
    pub fn azure2017() -> Catalogue {
        Self::builtin("azure2017").unwrap_or_else(|| unreachable!("built-in"))
    }

    /// Chameleon 2020.
    pub fn chameleon2020() -> Catalogue {
        Self::builtin("chameleon2020").unwrap_or_else(|| unreachable!("built-in"))
    }

    /// A built-in name, or else a path to a `.json`/`.yaml`/`.yml` file.
    pub fn resolve(name_or_path: &str) -> Result<Catalogue, CatalogueError> {
        if let Some(c) = Self::builtin(name_or_path) {
            return Ok(c);
        }
        let path = Path::new(name_or_path);
        if path.is_file() {
            return Self::load(path);
        }
        Err(CatalogueError::Unknown {
            name: name_or_path.to_string(),
        })
    }

    /// Loads a catalogue file (format by extension).
    pub fn load(path: &Path) -> Result<Catalogue, CatalogueError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let yaml = match ext.as_deref() {
            Some("json") => false,
            Some("yaml") | Some("yml") => true,
            _ => {
                return Err(CatalogueError::UnknownFormat {
                    path: path.to_path_buf(),
                })
            }
        };
        let text = std::fs::read_to_string(path).map_err(|source| CatalogueError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("catalogue")
            .to_string();
        if yaml {
            Self::from_yaml_str(&text, path, &stem)
        } else {
            Self::from_json_str(&text, path, &stem)
        }
    }

    /// Parses a JSON catalogue; `path` only names the source in errors,
    /// `default_name` is used when the document has no `name`.
    pub fn from_json_str(
        text: &str,
        path: &Path,
        default_name: &str,
    ) -> Result<Catalogue, CatalogueError> {
        let file: FileCatalogue =
            serde_json::from_str(text).map_err(|e| CatalogueError::Parse {
                path: path.to_path_buf(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        Self::from_file(file, path, default_name)
    }

    /// Parses a YAML catalogue (same rules as [`Catalogue::from_json_str`]).
    pub fn from_yaml_str(
        text: &str,
        path: &Path,
        default_name: &str,
    ) -> Result<Catalogue, CatalogueError> {
        let file: FileCatalogue = serde_norway::from_str(text).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            CatalogueError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message: e.to_string(),
            }
        })?;
        Self::from_file(file, path, default_name)
    }

    fn from_file(
        file: FileCatalogue,
        path: &Path,
        default_name: &str,
    ) -> Result<Catalogue, CatalogueError> {
        let field_err = |field: String, message: String| CatalogueError::Field {
            path: path.to_path_buf(),
            field,
            message,
        };
        let name = file.name.unwrap_or_else(|| default_name.to_string());
        if name.trim().is_empty() {
            return Err(field_err("name".into(), "empty name".into()));
        }
        let vcpu_entries = check_entries(&file.vcpus, "vcpus", &field_err)?;
        let mut vcpus = Vec::with_capacity(vcpu_entries.len());
        for (i, (size, share)) in vcpu_entries.into_iter().enumerate() {
            if size.fract() != 0.0 || size > f64::from(u32::MAX) {
                return Err(field_err(
                    format!("vcpus[{i}].size"),
                    format!("{size} is not a whole number of vCPUs"),
                ));
            }
            vcpus.push((size as u32, share));
        }
        let mem_entries = check_entries(&file.memory_gb, "memory_gb", &field_err)?;
        let mut mem_mb: Vec<(u64, f64)> = Vec::with_capacity(mem_entries.len());
        for (i, (gb, share)) in mem_entries.into_iter().enumerate() {
            let mb = gb_to_mb(gb);
            if mb == 0 || mem_mb.last().is_some_and(|&(prev, _)| prev == mb) {
                return Err(field_err(
                    format!("memory_gb[{i}].size"),
                    format!("{gb} GB rounds to {mb} MB, zero or equal to another size"),
                ));
            }
            mem_mb.push((mb, share));
        }
        Ok(Catalogue {
            name,
            vcpus,
            mem_mb,
        })
    }

    /// The rank-paired VM shapes `(vcpus, mem_mb)` of a set of `n` VMs
    /// (docs/catalogues.md "How a set of n VMs is built", steps 1 and 2), by increasing
    /// vCPUs then memory. May hold fewer than `n` shapes (floors).
    pub fn shapes(&self, n: usize) -> Vec<(u32, u64)> {
        let mut cpus: Vec<u32> = Vec::with_capacity(n);
        for &(v, share) in &self.vcpus {
            let count = floor_share(share, n);
            cpus.extend(std::iter::repeat_n(v, count));
        }
        let total = cpus.len();
        let mut mems: Vec<u64> = Vec::with_capacity(total);
        for (i, &(mb, share)) in self.mem_mb.iter().enumerate() {
            let count = if i + 1 == self.mem_mb.len() {
                total.saturating_sub(mems.len())
            } else {
                round_share(share, total)
            };
            let count = count.min(total - mems.len());
            mems.extend(std::iter::repeat_n(mb, count));
        }
        cpus.into_iter().zip(mems).collect()
    }
}

type FieldErr<'a> = dyn Fn(String, String) -> CatalogueError + 'a;

/// Validates a list of entries and returns `(size, share)` sorted by size.
fn check_entries(
    entries: &[FileEntry],
    list: &str,
    err: &FieldErr<'_>,
) -> Result<Vec<(f64, f64)>, CatalogueError> {
    if entries.is_empty() {
        return Err(err(list.to_string(), "needs at least one entry".into()));
    }
    let mut sum = 0.0;
    for (i, e) in entries.iter().enumerate() {
        if !(e.size.is_finite() && e.size > 0.0) {
            return Err(err(
                format!("{list}[{i}].size"),
                format!("{} is not > 0", e.size),
            ));
        }
        if !(e.share.is_finite() && e.share > 0.0 && e.share <= 1.0) {
            return Err(err(
                format!("{list}[{i}].share"),
                format!("{} is not in (0, 1]", e.share),
            ));
        }
        sum += e.share;
    }
    if (sum - 1.0).abs() > 0.05 {
        return Err(err(
            list.to_string(),
            format!("shares sum to {sum}, not 1 (within 0.05)"),
        ));
    }
    let mut sorted: Vec<(f64, f64)> = entries.iter().map(|e| (e.size, e.share)).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(err(
            list.to_string(),
            format!("size {} appears twice", w[0].0),
        ));
    }
    Ok(sorted)
}

/// `floor(share * n)` with a decimal tolerance.
pub(crate) fn floor_share(share: f64, n: usize) -> usize {
    (share * n as f64 + SHARE_EPS).floor().max(0.0) as usize
}

/// `ceil(share * n)` with a decimal tolerance.
pub(crate) fn ceil_share(share: f64, n: usize) -> usize {
    (share * n as f64 - SHARE_EPS).ceil().max(0.0) as usize
}

/// `round(share * n)`, halves away from zero.
pub(crate) fn round_share(share: f64, n: usize) -> usize {
    (share * n as f64).round().max(0.0) as usize
}

#[cfg(test)]
#[path = "catalogue_tests.rs"]
mod tests;
