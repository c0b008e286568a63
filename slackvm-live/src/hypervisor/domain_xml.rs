//! Domain XML for the libvirt backend: the template a VM is defined from
//! (vCPUs, memory, qcow2 disk, its level in `<metadata>`, one
//! `<cputune><vcpupin>` per vCPU) and the few read-backs the daemon needs
//! (level, vCPU pinning, disk). Plain text, no XML crate: libvirt writes
//! these elements in a fixed, simple form. Compiled without the `live`
//! feature so it is unit-tested everywhere.

use super::VmSpec;
use slackvm_sim::level::Level;
use slackvm_sim::pyfmt;
use std::collections::BTreeMap;

/// Namespace URI of the daemon's metadata element.
pub const METADATA_NS: &str = "https://slackvm.invalid/ns/vm/1";
/// Prefix of the metadata element.
pub const METADATA_PREFIX: &str = "slackvm";

/// Host-specific parts of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainTemplate {
    /// `kvm` (real hosts), `qemu` (software emulation) or `test` (libvirt's
    /// test driver).
    pub domain_type: String,
    /// Emulator binary (`QEMU_LOC`), omitted when `None`.
    pub emulator: Option<String>,
    /// Machine type (`QEMU_MACHINE`), omitted when `None`.
    pub machine: Option<String>,
}

impl Default for DomainTemplate {
    fn default() -> Self {
        DomainTemplate {
            domain_type: "kvm".into(),
            emulator: None,
            machine: None,
        }
    }
}

/// Escapes text for an XML attribute or element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// CPU ids as a libvirt cpuset (`0-3,8`).
pub fn cpuset(cpus: &[u32]) -> String {
    let mut ids = cpus.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let start = ids[i];
        let mut end = start;
        while i + 1 < ids.len() && ids[i + 1] == end + 1 {
            i += 1;
            end = ids[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(",")
}

/// The domain XML of a VM pinned to `cpus`.
pub fn render(t: &DomainTemplate, spec: &VmSpec, cpus: &[u32]) -> String {
    let set = cpuset(cpus);
    let pins: String = (0..spec.vcpus)
        .map(|v| format!("    <vcpupin vcpu='{v}' cpuset='{set}'/>\n"))
        .collect();
    let machine = t
        .machine
        .as_deref()
        .map(|m| format!(" machine='{}'", escape(m)))
        .unwrap_or_default();
    let emulator = t
        .emulator
        .as_deref()
        .map(|e| format!("    <emulator>{}</emulator>\n", escape(e)))
        .unwrap_or_default();
    let disk = spec
        .disk
        .as_deref()
        .map(|p| {
            format!(
                "    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n      \
                 <source file='{}'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n",
                escape(&p.display().to_string())
            )
        })
        .unwrap_or_default();
    format!(
        "<domain type='{dtype}'>\n  <name>{name}</name>\n  <memory unit='MiB'>{mem}</memory>\n  \
         <currentMemory unit='MiB'>{mem}</currentMemory>\n  <vcpu placement='static'>{vcpus}</vcpu>\n  \
         <metadata>\n    <{p}:vm xmlns:{p}='{ns}' level='{level}'/>\n  </metadata>\n  <cputune>\n{pins}  \
         </cputune>\n  <os>\n    <type arch='x86_64'{machine}>hvm</type>\n    <boot dev='hd'/>\n  </os>\n  \
         <features>\n    <acpi/>\n  </features>\n  <on_poweroff>destroy</on_poweroff>\n  <devices>\n{emulator}{disk}  \
         </devices>\n</domain>\n",
        dtype = escape(&t.domain_type),
        name = escape(&spec.name),
        mem = spec.mem_mb,
        vcpus = spec.vcpus,
        p = METADATA_PREFIX,
        ns = METADATA_NS,
        level = pyfmt::float(spec.level),
    )
}

/// Value of attribute `attr` inside the tag text `tag` (`<x a='1' b="2"/>`).
fn attribute(tag: &str, attr: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(pos) = rest.find(attr) {
        let before_ok = pos == 0 || rest.as_bytes()[pos - 1].is_ascii_whitespace();
        let after = rest[pos + attr.len()..].trim_start();
        if before_ok {
            if let Some(after_eq) = after.strip_prefix('=') {
                let after_eq = after_eq.trim_start();
                let quote = after_eq.chars().next()?;
                if quote == '\'' || quote == '"' {
                    let body = &after_eq[1..];
                    let end = body.find(quote)?;
                    return Some(unescape(&body[..end]));
                }
            }
        }
        rest = &rest[pos + attr.len()..];
    }
    None
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Every start tag `<name ...>` (or `<name .../>`) in the document.
fn tags<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(pos) = rest.find(&open) {
        let tail = &rest[pos..];
        let next = tail.as_bytes().get(open.len()).copied().unwrap_or(b'>');
        let Some(end) = tail.find('>') else { break };
        if next.is_ascii_whitespace() || next == b'>' || next == b'/' {
            out.push(&tail[..=end]);
        }
        rest = &tail[end..];
    }
    out
}

/// The content of the daemon's metadata element as given to
/// `virDomainSetMetadata` (prefix and namespace are added by libvirt): the
/// level and the vNode's CPU ids in the scheduler's order.
pub fn metadata_element(level: Level, vnode_cpus: &[u32]) -> String {
    let ids: Vec<String> = vnode_cpus.iter().map(u32::to_string).collect();
    format!(
        "<vm level='{}' cpus='{}'/>",
        pyfmt::float(level),
        ids.join(",")
    )
}

/// An attribute of the daemon's metadata element. libvirt may rewrite the
/// prefix, so any element whose namespace is ours counts.
fn metadata_attribute(xml: &str, attr: &str) -> Option<String> {
    let mut rest = xml;
    while let Some(pos) = rest.find(METADATA_NS) {
        let tag_start = rest[..pos].rfind('<')?;
        let tag_end = pos + rest[pos..].find('>')?;
        if let Some(v) = attribute(&rest[tag_start..=tag_end], attr) {
            return Some(v);
        }
        rest = &rest[tag_end..];
    }
    None
}

/// The level recorded in the daemon's metadata element, if any.
pub fn level(xml: &str) -> Option<Level> {
    metadata_attribute(xml, "level")?.parse().ok()
}

/// The vNode CPU ids recorded in the metadata element, in order (empty
/// when none, or when the list does not parse).
pub fn recorded_cpus(xml: &str) -> Vec<u32> {
    metadata_attribute(xml, "cpus")
        .and_then(|text| {
            text.split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| p.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// vCPU -> CPU ids from `<cputune><vcpupin>`.
pub fn vcpu_pins(xml: &str) -> BTreeMap<u32, Vec<u32>> {
    tags(xml, "vcpupin")
        .into_iter()
        .filter_map(|t| {
            let vcpu = attribute(t, "vcpu")?.parse().ok()?;
            let set = slackvm_sim::topology::parse_cpu_list(&attribute(t, "cpuset")?).ok()?;
            Some((vcpu, set))
        })
        .collect()
}

/// The file of the first disk (`<source file=...>`).
pub fn disk(xml: &str) -> Option<String> {
    tags(xml, "source")
        .into_iter()
        .find_map(|t| attribute(t, "file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let spec = VmSpec {
            name: "vm-1".into(),
            vcpus: 3,
            mem_mb: 2048,
            level: Level::TWO,
            disk: Some("/img/a&b.qcow2".into()),
        };
        let xml = render(&DomainTemplate::default(), &spec, &[5, 1, 2, 3]);
        assert!(xml.contains("<vcpu placement='static'>3</vcpu>"));
        assert_eq!(level(&xml), Some(Level::TWO));
        let pins = vcpu_pins(&xml);
        assert_eq!(pins.len(), 3);
        assert_eq!(pins[&2], vec![1, 2, 3, 5]);
        assert_eq!(disk(&xml).as_deref(), Some("/img/a&b.qcow2"));
        assert_eq!(cpuset(&[0, 1, 2, 4, 6, 7]), "0-2,4,6-7");
        assert_eq!(level("<domain><metadata/></domain>"), None);
        let rewritten = format!("<metadata>\n <ns0:vm xmlns:ns0=\"{METADATA_NS}\" level=\"3.5\"/>");
        assert_eq!(level(&rewritten), Some(Level::new(3.5).unwrap()));
        assert!(recorded_cpus(&rewritten).is_empty());
        let element = metadata_element(Level::TWO, &[5, 1, 12]);
        assert_eq!(element, "<vm level='2.0' cpus='5,1,12'/>");
        let stored = format!(
            "<metadata>\n <slackvm:vm xmlns:slackvm=\"{METADATA_NS}\" level=\"2.0\" cpus=\"5,1,12\"/>"
        );
        assert_eq!(recorded_cpus(&stored), vec![5, 1, 12]);
        assert_eq!(level(&stored), Some(Level::TWO));
    }
}
