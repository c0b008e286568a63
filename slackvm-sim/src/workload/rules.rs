//! Oversubscription levels of trace VMs (`--levels RULE`). Traces carry no
//! level; a rule gives each VM one of 1:1, 2:1, 3:1. A rule that cannot
//! apply to a format is an error, never ignored.
//!
//! | rule | formats | what it does |
//! |---|---|---|
//! | `A/B/C` | all | seeded shares as the grid: `ceil(A% x n)` 1:1 ... shuffled ([`crate::workload::levels`]) |
//! | `flavor:FILE` | all | a CSV maps a VM type (`vm_type,level`: packing `vmTypeId`) or a shape (`vcpus,mem_gb,level`) to a level; a `*` key is the default; a VM matching nothing is an error |
//! | `azure-category[:interactive=1,delay-insensitive=3,unknown=2]` | azure-vmtable | by vmtable category (defaults shown; override any) |
//! | `priority[:0=1,1=3]` | azure-packing | by priority (0 high -> 1:1, 1 low -> 3:1 by default; override any) |
//! | `huawei-shared` | huawei | per flavour, the share of VMs the Huawei dataset page puts on shared CPUs (2U4G 65%, 4U8G 75%, 8U16G 60%; 1U2G, 4U16G, 1U1G, 2U8G, 8U32G, 1U4G 90%) get the shared level (`--shared-level`, default 3:1), the rest 1:1; exact counts per flavour (`round(share x n)`), which VMs drawn with the seed |
//! | `file` | events | the levels written in the event list |
//!
//! Levels are written `1`, `2`, `3`, `1.0` or `3:1`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::csvrows::{open_input, CsvRows};
use super::levels::{check_level_shares, level_list};
use super::readers::{Category, TraceError, TraceFormat, TraceRead};
use crate::level::Level;
use crate::rng::Rng;

/// The levels a rule may give.
pub const RULE_LEVELS: [Level; 3] = [Level::ONE, Level::TWO, Level::THREE];

/// Huawei-East-1 flavours (vCPUs, GB) and the permille of their VMs on
/// shared CPUs (the dataset's README).
pub const HUAWEI_SHARED: [((u32, u64), u64); 9] = [
    ((2, 4), 650),
    ((4, 8), 750),
    ((8, 16), 600),
    ((1, 2), 900),
    ((4, 16), 900),
    ((1, 1), 900),
    ((2, 8), 900),
    ((8, 32), 900),
    ((1, 4), 900),
];

/// Why a rule cannot be read or applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The rule text is malformed.
    #[error("{option}: {message}")]
    Parse {
        /// The option (`--levels`, `--shared-level`).
        option: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The rule needs what this format does not have.
    #[error(
        "--levels: rule `{rule}` does not apply to the {format} format (it applies to: {applies})"
    )]
    NotForFormat {
        /// Rule.
        rule: String,
        /// Format.
        format: &'static str,
        /// Formats it applies to.
        applies: &'static str,
    },
    /// A VM matches no row of the flavor file.
    #[error("--levels: {file}: VM `{vm}` ({key}) matches no row and there is no `*` row")]
    Unmapped {
        /// Flavor file.
        file: String,
        /// VM id.
        vm: String,
        /// Its key.
        key: String,
    },
    /// The flavor file is unreadable or malformed.
    #[error(transparent)]
    File(#[from] TraceError),
}

/// A level rule.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LevelRule {
    /// Seeded shares of 1:1, 2:1, 3:1 (integer %).
    Shares([u32; 3]),
    /// A flavor file.
    Flavor(FlavorTable),
    /// By vmtable category: levels of interactive, delay-insensitive, unknown.
    AzureCategory([Level; 3]),
    /// By packing priority.
    Priority(BTreeMap<i64, Level>),
    /// Huawei's shared-CPU shares per flavour; the shared level.
    HuaweiShared(Level),
    /// The levels of the event list.
    File,
}

/// A parsed flavor file.
#[derive(Debug, Clone, PartialEq)]
pub struct FlavorTable {
    /// The file.
    pub path: PathBuf,
    /// Keyed by VM type (`vm_type,level`) or by shape (`vcpus,mem_gb,level`).
    pub by_type: bool,
    /// Key -> level; key `*` is the default.
    pub levels: BTreeMap<String, Level>,
}

/// Parses a level: `1`, `2.0`, `3:1`; one of [`RULE_LEVELS`].
pub fn parse_level(text: &str) -> Option<Level> {
    let t = text.trim();
    let t = t.strip_suffix(":1").unwrap_or(t);
    let l = Level::new(t.parse().ok()?).ok()?;
    RULE_LEVELS.contains(&l).then_some(l)
}

fn parse_map(option: &'static str, text: &str) -> Result<Vec<(String, Level)>, RuleError> {
    text.split(',')
        .map(|kv| {
            let bad = || RuleError::Parse {
                option,
                message: format!("`{kv}` is not KEY=LEVEL (levels 1, 2, 3)"),
            };
            let (k, v) = kv.split_once('=').ok_or_else(bad)?;
            Ok((k.trim().to_string(), parse_level(v).ok_or_else(bad)?))
        })
        .collect()
}

impl LevelRule {
    /// Parses `--levels`; `shared_level` is `--shared-level` (for
    /// `huawei-shared`).
    pub fn parse(text: &str, shared_level: Level) -> Result<LevelRule, RuleError> {
        let bad = |message: String| RuleError::Parse {
            option: "--levels",
            message,
        };
        let (name, arg) = match text.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (text, None),
        };
        match (name, arg) {
            ("file", None) => Ok(LevelRule::File),
            ("huawei-shared", None) => Ok(LevelRule::HuaweiShared(shared_level)),
            ("flavor", Some(file)) => Ok(LevelRule::Flavor(FlavorTable::read(Path::new(file))?)),
            ("azure-category", arg) => {
                let mut levels = [Level::ONE, Level::THREE, Level::TWO];
                for (k, l) in arg.map_or(Ok(vec![]), |a| parse_map("--levels", a))? {
                    let c = match Category::parse_rule_key(&k) {
                        Some(c) => c,
                        None => return Err(bad(format!("`{k}` is not interactive, delay-insensitive or unknown"))),
                    };
                    levels[c as usize] = l;
                }
                Ok(LevelRule::AzureCategory(levels))
            }
            ("priority", arg) => {
                let mut map = BTreeMap::from([(0, Level::ONE), (1, Level::THREE)]);
                for (k, l) in arg.map_or(Ok(vec![]), |a| parse_map("--levels", a))? {
                    let p: i64 = k.parse().map_err(|_| bad(format!("`{k}` is not a priority number")))?;
                    map.insert(p, l);
                }
                Ok(LevelRule::Priority(map))
            }
            _ if text.contains('/') => {
                let shares = super::levels::parse_shares(text).ok_or_else(|| {
                    bad(format!("`{text}` is not three integer percents A/B/C summing to 100"))
                })?;
                check_level_shares(shares).map_err(|e| bad(e.to_string()))?;
                Ok(LevelRule::Shares(shares))
            }
            _ => Err(bad(format!(
                "unknown rule `{text}` (known: A/B/C, flavor:FILE, azure-category, priority, huawei-shared, file)"
            ))),
        }
    }

    /// The rule as written in outputs (`34/33/33`, `huawei-shared-3:1`...).
    pub fn name(&self) -> String {
        let l = |x: f64| format!("{x}:1");
        match self {
            LevelRule::Shares(s) => format!("{}/{}/{}", s[0], s[1], s[2]),
            LevelRule::Flavor(t) => format!(
                "flavor-{}",
                t.path
                    .file_name()
                    .map_or("?".into(), |n| n.to_string_lossy().into_owned())
            ),
            LevelRule::AzureCategory(_) => "azure-category".into(),
            LevelRule::Priority(_) => "priority".into(),
            LevelRule::HuaweiShared(s) => format!("huawei-shared-{}", l(s.get())),
            LevelRule::File => "file".into(),
        }
    }

    /// True when the seed changes the levels.
    pub fn is_seeded(&self) -> bool {
        matches!(self, LevelRule::Shares(_) | LevelRule::HuaweiShared(_))
    }

    /// Checks the rule can apply to `format` (before reading a large file).
    pub fn check_format(&self, format: TraceFormat) -> Result<(), RuleError> {
        let (ok, applies) = match self {
            LevelRule::Shares(_) => (true, "all"),
            LevelRule::Flavor(t) if t.by_type => (
                format == TraceFormat::AzurePacking,
                "azure-packing (vm_type key), all (vcpus,mem_gb key)",
            ),
            LevelRule::Flavor(_) => (true, "all"),
            LevelRule::AzureCategory(_) => (format == TraceFormat::AzureVmtable, "azure-vmtable"),
            LevelRule::Priority(_) => (format == TraceFormat::AzurePacking, "azure-packing"),
            LevelRule::HuaweiShared(_) => (format == TraceFormat::Huawei, "huawei"),
            LevelRule::File => (
                matches!(format, TraceFormat::Events | TraceFormat::Monitoring),
                "events, monitoring",
            ),
        };
        if ok {
            Ok(())
        } else {
            Err(RuleError::NotForFormat {
                rule: self.name(),
                format: format.name(),
                applies,
            })
        }
    }

    /// Sets the level of every VM of `trace`; returns the VM count per level
    /// of [`RULE_LEVELS`].
    pub fn apply(&self, trace: &mut TraceRead, seed: u64) -> Result<[usize; 3], RuleError> {
        self.check_format(trace.format)?;
        if let LevelRule::Flavor(t) = self {
            t.apply(trace)?;
        }
        let vms = &mut trace.list.vms;
        match self {
            LevelRule::Shares(s) => {
                let levels = level_list(*s, vms.len(), &mut Rng::derive(seed, "levels", 0));
                vms.iter_mut().zip(levels).for_each(|(v, l)| v.level = l);
            }
            LevelRule::Flavor(_) => {}
            LevelRule::AzureCategory(by) => {
                for (i, v) in vms.iter_mut().enumerate() {
                    v.level = trace
                        .attrs
                        .get(i)
                        .category
                        .map_or(by[Category::Unknown as usize], |c| by[c as usize]);
                }
            }
            LevelRule::Priority(map) => {
                for (i, v) in vms.iter_mut().enumerate() {
                    let p = trace.attrs.get(i).priority.unwrap_or(0);
                    v.level = *map.get(&p).ok_or_else(|| RuleError::Parse {
                        option: "--levels",
                        message: format!("VM `{}` has priority {p}, which the rule does not map (add priority:{p}=LEVEL)", v.id),
                    })?;
                }
            }
            LevelRule::HuaweiShared(shared) => huawei_shared(vms, *shared, seed),
            LevelRule::File => {
                if let Some(v) = vms.iter().find(|v| !RULE_LEVELS.contains(&v.level)) {
                    return Err(RuleError::Parse {
                        option: "--levels",
                        message: format!(
                            "VM `{}` has level {}; sizing handles 1, 2 and 3",
                            v.id, v.level
                        ),
                    });
                }
            }
        }
        let mut counts = [0usize; 3];
        for v in vms.iter() {
            if let Some(i) = RULE_LEVELS.iter().position(|&l| l == v.level) {
                counts[i] += 1;
            }
        }
        Ok(counts)
    }
}

impl Category {
    /// The category named by a rule key (`interactive`...).
    fn parse_rule_key(key: &str) -> Option<Category> {
        [
            Category::Interactive,
            Category::DelayInsensitive,
            Category::Unknown,
        ]
        .into_iter()
        .find(|c| c.name() == key)
    }
}

/// Flavour `(vcpus, GB)` of a VM whose memory is a whole number of GB.
fn flavour(vcpus: u32, mem_mb: u64) -> Option<(u32, u64)> {
    mem_mb
        .is_multiple_of(1024)
        .then_some((vcpus, mem_mb / 1024))
}

fn huawei_shared(vms: &mut [super::events::VmSpec], shared: Level, seed: u64) {
    for (k, &(shape, permille)) in HUAWEI_SHARED.iter().enumerate() {
        let mut members: Vec<usize> = (0..vms.len())
            .filter(|&i| flavour(vms[i].vcpus, vms[i].mem_mb) == Some(shape))
            .collect();
        let n = members.len() as u64;
        let on_shared = ((permille * n + 500) / 1000) as usize;
        Rng::derive(seed, "huawei-shared", k as u64).shuffle(&mut members);
        for (j, &i) in members.iter().enumerate() {
            vms[i].level = if j < on_shared { shared } else { Level::ONE };
        }
    }
    for v in vms.iter_mut() {
        if flavour(v.vcpus, v.mem_mb).is_none_or(|f| !HUAWEI_SHARED.iter().any(|(s, _)| *s == f)) {
            v.level = Level::ONE;
        }
    }
}

impl FlavorTable {
    /// Reads a flavor file: header `vm_type,level` or `vcpus,mem_gb,level`.
    pub fn read(path: &Path) -> Result<FlavorTable, RuleError> {
        let name = path.display().to_string();
        let mut rows = CsvRows::new(open_input(path)?, &name);
        let header = rows.next_row()?.ok_or_else(|| TraceError::Csv {
            source_name: name.clone(),
            line: 1,
            message: "empty file: header `vm_type,level` or `vcpus,mem_gb,level` missing".into(),
        })?;
        let cols: Vec<String> = (0..header.len())
            .map(|i| String::from_utf8_lossy(header.bytes(i)).into_owned())
            .collect();
        let by_type = match cols.join(",").as_str() {
            "vm_type,level" => true,
            "vcpus,mem_gb,level" => false,
            found => {
                return Err(TraceError::Header {
                    source_name: name,
                    expected: "vm_type,level` or `vcpus,mem_gb,level".into(),
                    found: found.to_string(),
                }
                .into())
            }
        };
        let names: &[&'static str] = if by_type {
            &["vm_type", "level"]
        } else {
            &["vcpus", "mem_gb", "level"]
        };
        let mut levels = BTreeMap::new();
        while let Some(row) = rows.next_row()? {
            let row = row.named(names);
            row.expect_width(cols.len())?;
            let key = if by_type || row.bytes(0) == b"*" {
                row.non_empty(0)?.to_string()
            } else {
                format!("{},{}", row.vcpus(0)?, row.uint(1)?)
            };
            let last = cols.len() - 1;
            let level = parse_level(row.str(last)?).ok_or_else(|| {
                row.error(last, "not a level 1, 2 or 3 (or 1:1, 2:1, 3:1)".into())
            })?;
            levels.insert(key, level);
        }
        Ok(FlavorTable {
            path: path.to_path_buf(),
            by_type,
            levels,
        })
    }

    fn apply(&self, trace: &mut TraceRead) -> Result<(), RuleError> {
        for (i, v) in trace.list.vms.iter_mut().enumerate() {
            let a = trace.attrs.get(i);
            let key = if self.by_type {
                a.vm_type.map_or("?".to_string(), |t| t.to_string())
            } else {
                format!("{},{}", v.vcpus, v.mem_mb as f64 / 1024.0)
            };
            v.level = *self
                .levels
                .get(&key)
                .or_else(|| self.levels.get("*"))
                .ok_or_else(|| RuleError::Unmapped {
                    file: self.path.display().to_string(),
                    vm: v.id.clone(),
                    key: key.clone(),
                })?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
