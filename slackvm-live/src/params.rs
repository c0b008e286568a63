//! Query-string parsing and validation of the prototype's parameters
//! (`name`, `cpu`, `mem` in GB, `oc`, `qcow2`). Every failure names the
//! parameter so the daemon can answer HTTP 400 with a useful message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest vCPU count accepted in a request.
pub const MAX_VCPUS: u32 = 4096;
/// Largest oversubscription level accepted in a request.
pub const MAX_LEVEL: f64 = 1000.0;
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

/// True when `name` matches `[A-Za-z0-9._-]{1,64}`.
pub fn is_valid_vm_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
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
                "`{}` must match [A-Za-z0-9._-]{{1,{MAX_NAME_LEN}}}",
                name.escape_debug()
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

/// The `oc` parameter: the oversubscription level, in [1.0, MAX_LEVEL].
pub fn level(q: &QueryParams) -> Result<f64, ParamError> {
    let r = finite_float(q, "oc")?;
    if (1.0..=MAX_LEVEL).contains(&r) {
        Ok(r)
    } else {
        Err(malformed(
            "oc",
            format!("{r} is outside [1.0, {MAX_LEVEL}]"),
        ))
    }
}

/// The optional `qcow2` parameter: canonicalised, must name an existing
/// regular file under `image_root` (canonicalised too). Without an image
/// root every disk path is refused.
pub fn qcow2(q: &QueryParams, image_root: Option<&Path>) -> Result<Option<PathBuf>, ParamError> {
    let Some(raw) = q.get("qcow2") else {
        return Ok(None);
    };
    let root = image_root.ok_or_else(|| {
        malformed(
            "qcow2",
            "no --image-root is configured: disk images are refused",
        )
    })?;
    let path = std::fs::canonicalize(raw)
        .map_err(|e| malformed("qcow2", format!("`{}`: {e}", raw.escape_debug())))?;
    if !path.starts_with(root) {
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
    pub level: f64,
    /// Disk image (canonical path) when given.
    pub qcow2: Option<PathBuf>,
}

/// Parses `/deploy` parameters in the order name, cpu, mem, oc, qcow2.
pub fn deploy(q: &QueryParams, image_root: Option<&Path>) -> Result<DeployParams, ParamError> {
    Ok(DeployParams {
        name: vm_name(q)?,
        vcpus: vcpus(q)?,
        mem_mb: mem_mb(q)?,
        level: level(q)?,
        qcow2: qcow2(q, image_root)?,
    })
}

/// Parameters of `/progress`: (vCPUs, MB, level).
pub fn progress(q: &QueryParams) -> Result<(u32, u64, f64), ParamError> {
    Ok((vcpus(q)?, mem_mb(q)?, level(q)?))
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
        assert!(!is_valid_vm_name(&"a".repeat(65)));
        assert_eq!(vm_name(&q("")).unwrap_err().param(), "name");
    }

    #[test]
    fn parses_deploy() {
        let p = deploy(&q("name=v&cpu=2&mem=0.5&oc=2"), None).unwrap();
        assert_eq!((p.vcpus, p.mem_mb, p.level), (2, 512, 2.0));
        for (s, param) in [
            ("name=v&mem=1&oc=1", "cpu"),
            ("name=v&cpu=0&mem=1&oc=1", "cpu"),
            ("name=v&cpu=-1&mem=1&oc=1", "cpu"),
            ("name=v&cpu=1&mem=nan&oc=1", "mem"),
            ("name=v&cpu=1&mem=0&oc=1", "mem"),
            ("name=v&cpu=1&mem=1&oc=0.5", "oc"),
            ("name=v&cpu=1&mem=1&oc=inf", "oc"),
            ("name=v&cpu=1&mem=1&oc=1&qcow2=/etc/passwd", "qcow2"),
        ] {
            assert_eq!(deploy(&q(s), None).unwrap_err().param(), param, "{s}");
        }
    }
}
