//! The host shape of a sweep, the same flags for every command:
//! `--host-cpus N --host-mem-gb G` (the `counting` model's host) and
//! `--topology FILE|PRESET` (the `vnode` model's host; a prototype JSON
//! file or a preset name, as `replay` takes).
//!
//! - neither: 32 CPUs / 128 GB and the `host-32` preset (the paper's host);
//! - only `--topology`: `counting` hosts take the topology's usable CPUs
//!   and allowed memory;
//! - only `--host-cpus`/`--host-mem-gb` (the other defaults to 32 CPUs or
//!   128 GB): `vnode` hosts are a synthetic one-socket machine of that many
//!   cores (8 per L3);
//! - both: each model uses its own.

use std::path::Path;
use std::sync::Arc;

use super::SweepError;
use crate::cluster::{ModelKind, ModelOptions, SizingConfig};
use crate::topology::{load_json_file, preset, synthetic, Topology};

/// The hosts of a sweep.
#[derive(Debug, Clone)]
pub struct HostSpec {
    /// CPUs of a `counting` host.
    pub cpus: u32,
    /// MB of a `counting` host.
    pub mem_mb: u64,
    /// Topology of a `vnode` host.
    pub topology: Arc<Topology>,
}

fn param(param: &'static str, message: String) -> SweepError {
    SweepError::Param { param, message }
}

/// A topology from a JSON file (when the path exists or ends in `.json`)
/// or a preset name.
pub fn load_topology(spec: &str) -> Result<Topology, SweepError> {
    if Path::new(spec).exists() {
        return load_json_file(Path::new(spec)).map_err(|e| param("--topology", e.to_string()));
    }
    if spec.ends_with(".json") {
        return Err(param("--topology", format!("file `{spec}` does not exist")));
    }
    preset(spec).map_err(|e| param("--topology", e.to_string()))
}

impl HostSpec {
    /// The paper's host: 32 CPUs, 128 GB, `host-32`.
    pub fn paper() -> Result<HostSpec, SweepError> {
        HostSpec::resolve(None, None, None)
    }

    /// Resolves the flags (see the module header).
    pub fn resolve(
        host_cpus: Option<u32>,
        host_mem_gb: Option<u64>,
        topology: Option<&str>,
    ) -> Result<HostSpec, SweepError> {
        let counting = match (host_cpus, host_mem_gb) {
            (Some(0), _) => return Err(param("--host-cpus", "must be at least 1".into())),
            (_, Some(0)) => return Err(param("--host-mem-gb", "must be at least 1".into())),
            (None, None) => None,
            (c, g) => {
                let g = g.unwrap_or(128);
                let mem_mb = g
                    .checked_mul(1024)
                    .ok_or_else(|| param("--host-mem-gb", format!("{g} is too large")))?;
                Some((c.unwrap_or(32), mem_mb))
            }
        };
        let topology = match (topology, counting) {
            (Some(t), _) => load_topology(t)?,
            (None, Some((cpus, mem_mb))) => {
                synthetic(1, cpus, 1, 8, mem_mb).map_err(|e| param("--host-cpus", e.to_string()))?
            }
            (None, None) => preset("host-32").map_err(|e| param("--topology", e.to_string()))?,
        };
        let (cpus, mem_mb) = match counting {
            Some(c) => c,
            None if topology.name() == "host-32" => (32, 131_072),
            None => (topology.cpu_count() as u32, topology.mem_allowed_mb()),
        };
        Ok(HostSpec {
            cpus,
            mem_mb,
            topology: Arc::new(topology),
        })
    }

    /// The host as written in outputs: `32cpu-128gb` (`counting`) or the
    /// topology's name (`vnode`).
    pub fn name(&self, model: ModelKind) -> String {
        match model {
            ModelKind::Counting if self.mem_mb.is_multiple_of(1024) => {
                format!("{}cpu-{}gb", self.cpus, self.mem_mb / 1024)
            }
            ModelKind::Counting => format!("{}cpu-{}mb", self.cpus, self.mem_mb),
            ModelKind::Vnode => {
                let name = self.topology.name();
                Path::new(name)
                    .file_name()
                    .map_or(name.to_string(), |n| n.to_string_lossy().into_owned())
            }
        }
    }

    /// A sizing configuration on these hosts.
    pub fn sizing_config(&self) -> SizingConfig {
        let mut sc = SizingConfig::paper(Arc::clone(&self.topology));
        sc.counting = ModelOptions {
            cpus: u64::from(self.cpus),
            mem_mb: self.mem_mb,
            ..ModelOptions::default()
        };
        sc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_from_flags() {
        let p = HostSpec::paper().unwrap();
        assert_eq!(
            (p.cpus, p.mem_mb, p.name(ModelKind::Counting)),
            (32, 131_072, "32cpu-128gb".into())
        );
        assert_eq!(p.name(ModelKind::Vnode), "host-32");
        let c = HostSpec::resolve(Some(64), Some(128), None).unwrap();
        assert_eq!(c.topology.cpu_count(), 64);
        assert_eq!(c.name(ModelKind::Counting), "64cpu-128gb");
        let t = HostSpec::resolve(None, None, Some("epyc-7662-exp")).unwrap();
        assert_eq!(t.cpus, 232);
        for (c, g) in [(Some(0), Some(1)), (Some(4), Some(0))] {
            assert!(HostSpec::resolve(c, g, None).is_err());
        }
        assert_eq!(
            HostSpec::resolve(Some(64), None, None).unwrap().mem_mb,
            131_072
        );
        let e = load_topology("nope.json").unwrap_err().to_string();
        assert!(e.contains("--topology") && e.contains("nope.json"), "{e}");
    }
}
