//! Query-string parsing and validation of the prototype's parameters
//! (`name`, `cpu`, `mem` in GB, `oc`, `qcow2`). Every failure names the
//! parameter so the daemon can answer HTTP 400 with a useful message.
//! Policies: the accepted levels ([`Levels`], default 1.0/2.0/3.0: every
//! distinct level would otherwise create a vNode for good) and where disk
//! images may come from ([`DiskPolicy`]).

use slackvm_sim::Level;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest vCPU count accepted in a request.
pub const MAX_VCPUS: u32 = 4096;
/// Largest oversubscription level accepted in a request.
pub const MAX_LEVEL: f64 = Level::MAX_VALUE;
/// Largest memory accepted in a request, in GB (1 PiB).
pub const MAX_MEM_GB: f64 = 1024.0 * 1024.0;
/// Longest VM name.
pub const MAX_NAME_LEN: usize = 64;

/// A parameter is missing or malformed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    /// The parameter is absent (or empty).
    #[error("missing parameter `{param}`")]
    Missing {
        /// Parameter name.
        param: &'static str,
    },
    /// The parameter is present but unusable.
    #[error("parameter `{param}`: {message}")]
    Malformed {
        /// Parameter name.
        param: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl ParamError {
    /// Name of the faulty parameter.
    pub fn param(&self) -> &'static str {
        match self {
            ParamError::Missing { param } | ParamError::Malformed { param, .. } => param,
        }
    }
}

fn malformed(param: &'static str, message: impl Into<String>) -> ParamError {
    ParamError::Malformed {
        param,
        message: message.into(),
    }
}

/// Decoded query parameters (the last occurrence of a key wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryParams(BTreeMap<String, String>);

impl QueryParams {
    /// Parses `a=1&b=x%20y` (percent-decoding, `+` as space). Undecodable
    /// bytes are kept as U+FFFD so validation rejects them later.
    pub fn parse(raw: Option<&str>) -> Self {
        let mut map = BTreeMap::new();
        for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            map.insert(percent_decode(k), percent_decode(v));
        }
        QueryParams(map)
    }

    /// True when the key is present, even with an empty value.
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// A raw value, `None` when absent or empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn required(&self, key: &'static str) -> Result<&str, ParamError> {
        self.get(key).ok_or(ParamError::Missing { param: key })
    }
}

/// Percent-decoding of one query component.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encoding of one query component (unreserved characters kept).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).map(|d| d as u8)
}

/// True when `name` matches `[A-Za-z0-9_][A-Za-z0-9._-]{0,63}`: no `.`,
/// `..` or leading `-` (names end up in file names and command lines).
pub fn is_valid_vm_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with(['-', '.'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The `name` parameter.
pub fn vm_name(q: &QueryParams) -> Result<String, ParamError> {
    let name = q.required("name")?;
    if is_valid_vm_name(name) {
        Ok(name.to_string())
    } else {
        Err(malformed(
            "name",
            format!(
                "`{}` must match [A-Za-z0-9_][A-Za-z0-9._-]{{0,{}}}",
                name.escape_debug(),
                MAX_NAME_LEN - 1
            ),
        ))
    }
}

/// The `cpu` parameter: an integer vCPU count in 1..=MAX_VCPUS.
pub fn vcpus(q: &QueryParams) -> Result<u32, ParamError> {
    let raw = q.required("cpu")?;
    let n: u32 = raw.trim().parse().map_err(|_| {
        malformed(
            "cpu",
            format!("`{}` is not a positive integer", raw.escape_debug()),
        )
    })?;
    if (1..=MAX_VCPUS).contains(&n) {
        Ok(n)
    } else {
        Err(malformed("cpu", format!("{n} is outside 1..={MAX_VCPUS}")))
    }
}

fn finite_float(q: &QueryParams, param: &'static str) -> Result<f64, ParamError> {
    let raw = q.required(param)?;
    let x: f64 = raw
        .trim()
        .parse()
        .map_err(|_| malformed(param, format!("`{}` is not a number", raw.escape_debug())))?;
    if x.is_finite() {
        Ok(x)
    } else {
        Err(malformed(param, format!("`{raw}` is not a finite number")))
    }
}

/// The `mem` parameter (GB, may be fractional) converted to MB (x1024,
/// rounded); must give at least 1 MB.
pub fn mem_mb(q: &QueryParams) -> Result<u64, ParamError> {
    let gb = finite_float(q, "mem")?;
    if !(gb > 0.0 && gb <= MAX_MEM_GB) {
        return Err(malformed(
            "mem",
            format!("{gb} GB is outside (0, {MAX_MEM_GB}]"),
        ));
    }
    let mb = (gb * 1024.0).round() as u64;
    if mb == 0 {
        return Err(malformed("mem", format!("{gb} GB is less than 1 MB")));
    }
    Ok(mb)
}

/// The oversubscription levels a daemon accepts (`--levels`).
#[derive(Debug, Clone, PartialEq)]
pub struct Levels(Vec<Level>);

impl Default for Levels {
    /// 1.0, 2.0 and 3.0 (the paper's levels).
    fn default() -> Self {
        Levels(vec![Level::ONE, Level::TWO, Level::THREE])
    }
}

impl Levels {
    /// Parses `1,2,3.5` (each in [1.0, MAX_LEVEL], at least one).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let l: f64 = part
                .parse()
                .map_err(|_| format!("`{part}` is not a number"))?;
            let l = Level::new(l).map_err(|_| format!("{part} is outside [1.0, {MAX_LEVEL}]"))?;
            if !out.contains(&l) {
                out.push(l);
            }
        }
        if out.is_empty() {
            return Err("no level given".into());
        }
        out.sort();
        Ok(Levels(out))
    }

    /// The accepted levels, ascending.
    pub fn as_slice(&self) -> &[Level] {
        &self.0
    }

    fn list(&self) -> String {
        let texts: Vec<String> = self.0.iter().map(Level::to_string).collect();
        texts.join(", ")
    }
}

/// The `oc` parameter: one of the accepted levels.
pub fn level(q: &QueryParams, levels: &Levels) -> Result<Level, ParamError> {
    let r = finite_float(q, "oc")?;
    match Level::new(r).ok().filter(|l| levels.0.contains(l)) {
        Some(level) => Ok(level),
        None => Err(malformed(
            "oc",
            format!("{r} is not an accepted level ({})", levels.list()),
        )),
    }
}

/// Where disk images may come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiskPolicy {
    /// No disk accepted (a daemon reachable from other machines without
    /// `--image-root`).
    #[default]
    Refuse,
    /// Any existing regular file named by an absolute path (a daemon on
    /// loopback without `--image-root`: the prototype's tools send the path
    /// of an image of the same machine).
    AnyFile,
    /// Only regular files under this canonical directory (`--image-root`).
    Under(PathBuf),
}

impl DiskPolicy {
    /// The policy of a daemon: `--image-root` when given, else any file
    /// when it listens on loopback only, else none.
    pub fn of(image_root: Option<PathBuf>, loopback_only: bool) -> Self {
        match image_root {
            Some(root) => DiskPolicy::Under(root),
            None if loopback_only => DiskPolicy::AnyFile,
            None => DiskPolicy::Refuse,
        }
    }
}

/// The optional `qcow2` parameter, canonicalised and checked against the
/// policy; it must name an existing regular file. Present but empty is an
/// error (the prototype would have made a diskless VM).
pub fn qcow2(q: &QueryParams, disks: &DiskPolicy) -> Result<Option<PathBuf>, ParamError> {
    let Some(raw) = q.get("qcow2") else {
        if q.has("qcow2") {
            return Err(malformed("qcow2", "empty disk path"));
        }
        return Ok(None);
    };
    let root = match disks {
        DiskPolicy::Refuse => {
            return Err(malformed(
                "qcow2",
                "no --image-root is configured on a daemon reachable from other machines: disk images are refused",
            ))
        }
        DiskPolicy::AnyFile if !Path::new(raw).is_absolute() => {
            return Err(malformed("qcow2", format!("`{}` is not an absolute path", raw.escape_debug())))
        }
        DiskPolicy::AnyFile => None,
        DiskPolicy::Under(root) => Some(root.as_path()),
    };
    let path = std::fs::canonicalize(raw)
        .map_err(|e| malformed("qcow2", format!("`{}`: {e}", raw.escape_debug())))?;
    if let Some(root) = root.filter(|r| !path.starts_with(r)) {
        return Err(malformed(
            "qcow2",
            format!(
                "`{}` is not under the image root {}",
                path.display(),
                root.display()
            ),
        ));
    }
    if !path.is_file() {
        return Err(malformed(
            "qcow2",
            format!("`{}` is not a regular file", path.display()),
        ));
    }
    Ok(Some(path))
}

/// Parameters of `/deploy`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployParams {
    /// VM name.
    pub name: String,
    /// vCPUs.
    pub vcpus: u32,
    /// Memory in MB.
    pub mem_mb: u64,
    /// Oversubscription level.
    pub level: Level,
    /// Disk image (canonical path) when given.
    pub qcow2: Option<PathBuf>,
}

/// Parses `/deploy` parameters in the order name, cpu, mem, oc, qcow2.
pub fn deploy(
    q: &QueryParams,
    disks: &DiskPolicy,
    levels: &Levels,
) -> Result<DeployParams, ParamError> {
    Ok(DeployParams {
        name: vm_name(q)?,
        vcpus: vcpus(q)?,
        mem_mb: mem_mb(q)?,
        level: level(q, levels)?,
        qcow2: qcow2(q, disks)?,
    })
}

/// Parameters of `/progress`: (vCPUs, MB, level).
pub fn progress(q: &QueryParams, levels: &Levels) -> Result<(u32, u64, Level), ParamError> {
    Ok((vcpus(q)?, mem_mb(q)?, level(q, levels)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> QueryParams {
        QueryParams::parse(Some(s))
    }

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(percent_decode("a%20b+c%2F"), "a b c/");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode(&percent_encode("x y/é&=")), "x y/é&=");
    }

    #[test]
    fn validates_names() {
        assert!(is_valid_vm_name("vm-1.a_b"));
        assert!(!is_valid_vm_name(""));
        assert!(!is_valid_vm_name("a/b"));
        assert!(!is_valid_vm_name("<x>"));
        for bad in [".", "..", "-rf", ".hidden"] {
            assert!(!is_valid_vm_name(bad), "{bad}");
        }
        assert!(is_valid_vm_name("_a.b-c"));
        assert!(!is_valid_vm_name(&"a".repeat(65)));
        assert_eq!(vm_name(&q("")).unwrap_err().param(), "name");
    }

    #[test]
    fn parses_deploy() {
        let (none, levels) = (DiskPolicy::Refuse, Levels::default());
        let p = deploy(&q("name=v&cpu=2&mem=0.5&oc=2"), &none, &levels).unwrap();
        assert_eq!((p.vcpus, p.mem_mb, p.level.get()), (2, 512, 2.0));
        for (s, param) in [
            ("name=v&mem=1&oc=1", "cpu"),
            ("name=v&cpu=0&mem=1&oc=1", "cpu"),
            ("name=v&cpu=-1&mem=1&oc=1", "cpu"),
            ("name=v&cpu=1&mem=nan&oc=1", "mem"),
            ("name=v&cpu=1&mem=0&oc=1", "mem"),
            ("name=v&cpu=1&mem=1&oc=0.5", "oc"),
            ("name=v&cpu=1&mem=1&oc=inf", "oc"),
            ("name=v&cpu=1&mem=1&oc=1&qcow2=/etc/passwd", "qcow2"),
            ("name=v&cpu=1&mem=1&oc=2.5", "oc"),
            ("name=v&cpu=1&mem=1&oc=1&qcow2=", "qcow2"),
            ("name=..&cpu=1&mem=1&oc=1", "name"),
            ("name=-rf&cpu=1&mem=1&oc=1", "name"),
        ] {
            assert_eq!(
                deploy(&q(s), &none, &levels).unwrap_err().param(),
                param,
                "{s}"
            );
        }
        let any = DiskPolicy::AnyFile;
        assert!(deploy(&q("name=v&cpu=1&mem=1&oc=1&qcow2=rel.qcow2"), &any, &levels).is_err());
        let custom = Levels::parse("1, 2.5,2.5").unwrap();
        assert_eq!(custom.as_slice(), &[1.0, 2.5]);
        assert!(Levels::parse("0.5").is_err());
        assert!(Levels::parse("").is_err());
    }
}
