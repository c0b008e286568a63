//! The prototype's topology JSON (`{"cpuset": ..., "memset": ...}`): loading
//! with errors that name the file and the field, and writing files the
//! prototype's own tools can load (with the precomputed `distances` table).

use super::{Cpu, Topology, TopologyError};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Loads a topology file. A stale `distances` table is not an error: the
/// rule wins; call [`stale_distances`] to list disagreements.
pub fn load_json_file(path: &Path) -> Result<Topology, TopologyError> {
    let text = std::fs::read_to_string(path).map_err(|source| TopologyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_json(&text, &path.display().to_string())
}

fn field_err(origin: &str, field: &str, message: impl Into<String>) -> TopologyError {
    TopologyError::Field {
        path: PathBuf::from(origin),
        field: field.to_string(),
        message: message.into(),
    }
}

fn get<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    origin: &str,
    at: &str,
) -> Result<&'a Value, TopologyError> {
    obj.get(key)
        .ok_or_else(|| field_err(origin, &format!("{at}.{key}"), "missing"))
}

fn as_obj<'a>(
    v: &'a Value,
    origin: &str,
    at: &str,
) -> Result<&'a Map<String, Value>, TopologyError> {
    v.as_object()
        .ok_or_else(|| field_err(origin, at, "expected an object"))
}

fn as_u64(v: &Value, origin: &str, at: &str) -> Result<u64, TopologyError> {
    match v {
        Value::Number(n) if n.as_u64().is_some() => Ok(n.as_u64().unwrap_or_default()),
        Value::Number(n) if n.as_f64().is_some_and(|f| f >= 0.0 && f.fract() == 0.0) => {
            Ok(n.as_f64().unwrap_or_default() as u64)
        }
        Value::String(s) => s.trim().parse().map_err(|_| {
            field_err(
                origin,
                at,
                format!("expected a non-negative integer, got `{s}`"),
            )
        }),
        other => Err(field_err(
            origin,
            at,
            format!("expected a non-negative integer, got {other}"),
        )),
    }
}

fn as_u32(v: &Value, origin: &str, at: &str) -> Result<u32, TopologyError> {
    let x = as_u64(v, origin, at)?;
    u32::try_from(x).map_err(|_| field_err(origin, at, format!("{x} is too large")))
}

fn as_u32_list(v: &Value, origin: &str, at: &str) -> Result<Vec<u32>, TopologyError> {
    let arr = v
        .as_array()
        .ok_or_else(|| field_err(origin, at, "expected a list"))?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| as_u32(x, origin, &format!("{at}[{i}]")))
        .collect()
}

/// Parses topology JSON text; `origin` names the source in errors.
pub fn parse_json(text: &str, origin: &str) -> Result<Topology, TopologyError> {
    let root: Value = serde_json::from_str(text).map_err(|source| TopologyError::Json {
        path: PathBuf::from(origin),
        source,
    })?;
    let root = as_obj(&root, origin, "(root)")?;
    let cpuset = as_obj(get(root, "cpuset", origin, "(root)")?, origin, "cpuset")?;
    let memset = as_obj(get(root, "memset", origin, "(root)")?, origin, "memset")?;
    let numa = parse_numa(cpuset, origin)?;
    let list = get(cpuset, "cpu_list", origin, "cpuset")?
        .as_array()
        .ok_or_else(|| field_err(origin, "cpuset.cpu_list", "expected a list"))?;
    let mut cpus = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        let at = format!("cpuset.cpu_list[{i}]");
        cpus.push(parse_cpu(entry, origin, &at)?);
    }
    let host_count = match cpuset.get("host_count") {
        Some(v) => as_u32(v, origin, "cpuset.host_count")?,
        None => cpus.iter().map(|c| c.id + 1).max().unwrap_or(0),
    };
    let (total, allowed) = parse_memset(memset, origin)?;
    check_distances_table(cpuset, &cpus, origin)?;
    Topology::new(origin, cpus, numa, host_count, total, allowed)
}

/// `cpuset.numa_distances`: node id -> row of distances.
fn parse_numa(
    cpuset: &Map<String, Value>,
    origin: &str,
) -> Result<BTreeMap<u32, Vec<u32>>, TopologyError> {
    let numa_obj = as_obj(
        get(cpuset, "numa_distances", origin, "cpuset")?,
        origin,
        "cpuset.numa_distances",
    )?;
    let mut numa = BTreeMap::new();
    for (k, row) in numa_obj {
        let at = format!("cpuset.numa_distances.{k}");
        let node: u32 = k
            .parse()
            .map_err(|_| field_err(origin, &at, format!("node key `{k}` is not an integer")))?;
        numa.insert(node, as_u32_list(row, origin, &at)?);
    }
    Ok(numa)
}

/// `memset.total` and `memset.allowed` (default: total), both > 0 MB.
fn parse_memset(memset: &Map<String, Value>, origin: &str) -> Result<(u64, u64), TopologyError> {
    let total = as_u64(
        get(memset, "total", origin, "memset")?,
        origin,
        "memset.total",
    )?;
    let allowed = match memset.get("allowed") {
        Some(v) => as_u64(v, origin, "memset.allowed")?,
        None => total,
    };
    // A host with no memory cannot host a VM: refuse the file.
    for (at, mb) in [("memset.total", total), ("memset.allowed", allowed)] {
        if mb == 0 {
            return Err(field_err(origin, at, "must be > 0 MB"));
        }
    }
    Ok((total, allowed))
}

/// Checks that `distances`, when present, is well formed (keys are known
/// CPUs); its values are recomputed, never read.
fn check_distances_table(
    cpuset: &Map<String, Value>,
    cpus: &[Cpu],
    origin: &str,
) -> Result<(), TopologyError> {
    let Some(dist) = cpuset.get("distances") else {
        return Ok(());
    };
    let ids: std::collections::BTreeSet<u32> = cpus.iter().map(|c| c.id).collect();
    let dist = as_obj(dist, origin, "cpuset.distances")?;
    for (k, row) in dist {
        let at = format!("cpuset.distances.{k}");
        let id: u32 = k
            .parse()
            .map_err(|_| field_err(origin, &at, "key is not a cpu id"))?;
        if !ids.contains(&id) {
            return Err(field_err(origin, &at, format!("unknown cpu id {id}")));
        }
        as_obj(row, origin, &at)?;
    }
    Ok(())
}

fn parse_cpu(entry: &Value, origin: &str, at: &str) -> Result<Cpu, TopologyError> {
    let obj = as_obj(entry, origin, at)?;
    let id = as_u32(
        get(obj, "cpu_id", origin, at)?,
        origin,
        &format!("{at}.cpu_id"),
    )?;
    let numa_node = as_u32(
        get(obj, "numa_node", origin, at)?,
        origin,
        &format!("{at}.numa_node"),
    )?;
    let smt = match obj.get("sib_smt") {
        Some(v) => as_u32_list(v, origin, &format!("{at}.sib_smt"))?,
        None => Vec::new(),
    };
    let pkg = match obj.get("sib_cpu") {
        Some(v) => as_u32_list(v, origin, &format!("{at}.sib_cpu"))?,
        None => Vec::new(),
    };
    let cache_ids = parse_cache_levels(obj, origin, at)?;
    let max_freq_khz = match obj.get("max_freq") {
        Some(v) => as_u64(v, origin, &format!("{at}.max_freq"))?,
        None => 0,
    };
    Ok(Cpu {
        id,
        numa_node,
        smt_siblings: smt,
        package_siblings: pkg,
        cache_ids,
        max_freq_khz,
    })
}

/// A CPU's `cache_level` object: cache ids by index 0, 1, ... (no gap).
fn parse_cache_levels(
    obj: &Map<String, Value>,
    origin: &str,
    at: &str,
) -> Result<Vec<i64>, TopologyError> {
    let cache_at = format!("{at}.cache_level");
    let cache = as_obj(get(obj, "cache_level", origin, at)?, origin, &cache_at)?;
    let mut by_level = BTreeMap::new();
    for (k, v) in cache {
        let level: usize = k.parse().map_err(|_| {
            field_err(
                origin,
                &cache_at,
                format!("cache index `{k}` is not an integer"),
            )
        })?;
        let cid = match v {
            Value::Number(n) if n.as_i64().is_some() => n.as_i64().unwrap_or_default(),
            other => {
                return Err(field_err(
                    origin,
                    &format!("{cache_at}.{k}"),
                    format!("expected an integer cache id, got {other}"),
                ))
            }
        };
        by_level.insert(level, cid);
    }
    for (expected, level) in by_level.keys().enumerate() {
        if *level != expected {
            return Err(field_err(
                origin,
                &cache_at,
                format!("missing cache level {expected}"),
            ));
        }
    }
    Ok(by_level.into_values().collect())
}

/// Pairs `(a, b, file value, rule value)` where the file's precomputed
/// `distances` table disagrees with the distance rule.
pub fn stale_distances(text: &str, topo: &Topology) -> Vec<(u32, u32, u64, u16)> {
    let mut out = Vec::new();
    let Ok(root) = serde_json::from_str::<Value>(text) else {
        return out;
    };
    let Some(dist) = root.pointer("/cpuset/distances").and_then(Value::as_object) else {
        return out;
    };
    for (k, row) in dist {
        let Ok(a) = k.parse::<u32>() else { continue };
        let Some(row) = row.as_object() else { continue };
        for (k2, v) in row {
            let (Ok(b), Some(v)) = (k2.parse::<u32>(), v.as_u64()) else {
                continue;
            };
            if let Some(rule) = topo.distance(a, b) {
                if u64::from(rule) != v {
                    out.push((a, b, v, rule));
                }
            }
        }
    }
    out
}

/// Serialises in the prototype's format, `distances` included (each row
/// sorted by distance, then by CPU order, as the prototype writes them).
pub fn to_json_string(topo: &Topology) -> String {
    let mut numa = Map::new();
    for (node, row) in topo.numa_distances() {
        numa.insert(node.to_string(), Value::from(row.clone()));
    }
    let mut list = Vec::with_capacity(topo.cpu_count());
    let mut dist = Map::new();
    for (i, cpu) in topo.cpus().iter().enumerate() {
        let mut cache = Map::new();
        for (level, cid) in cpu.cache_ids.iter().enumerate() {
            cache.insert(level.to_string(), Value::from(*cid));
        }
        let mut obj = Map::new();
        obj.insert("cpu_id".into(), Value::from(cpu.id));
        obj.insert("numa_node".into(), Value::from(cpu.numa_node));
        obj.insert("sib_smt".into(), Value::from(cpu.smt_siblings.clone()));
        obj.insert("sib_cpu".into(), Value::from(cpu.package_siblings.clone()));
        obj.insert("cache_level".into(), Value::Object(cache));
        obj.insert("max_freq".into(), Value::from(cpu.max_freq_khz));
        list.push(Value::Object(obj));
        let mut order: Vec<usize> = (0..topo.cpu_count()).filter(|&j| j != i).collect();
        order.sort_by_key(|&j| topo.distance_idx(i, j));
        let mut row = Map::new();
        for j in order {
            row.insert(
                topo.cpus()[j].id.to_string(),
                Value::from(topo.distance_idx(i, j)),
            );
        }
        dist.insert(cpu.id.to_string(), Value::Object(row));
    }
    let mut cpuset = Map::new();
    cpuset.insert("numa_distances".into(), Value::Object(numa));
    cpuset.insert("cpu_list".into(), Value::Array(list));
    cpuset.insert("distances".into(), Value::Object(dist));
    cpuset.insert("host_count".into(), Value::from(topo.host_cpu_count()));
    let mut memset = Map::new();
    memset.insert("total".into(), Value::from(topo.mem_total_mb()));
    memset.insert("allowed".into(), Value::from(topo.mem_allowed_mb()));
    let mut root = Map::new();
    root.insert("cpuset".into(), Value::Object(cpuset));
    root.insert("memset".into(), Value::Object(memset));
    Value::Object(root).to_string()
}

/// Writes [`to_json_string`] to a file (through [`crate::output`]: a
/// temporary file renamed on success).
pub fn write_json_file(topo: &Topology, path: &Path) -> Result<(), TopologyError> {
    crate::output::write_file(path, to_json_string(topo).as_bytes(), &[]).map_err(|e| {
        TopologyError::Io {
            path: path.to_path_buf(),
            source: e.into_io(),
        }
    })
}
