//! The libvirt backend (feature `live`, crate `virt` 0.5): defines and
//! starts domains from [`super::domain_xml`], pins vCPUs, re-pins running
//! domains, destroys and undefines on removal, reads CPU time and memory,
//! and lists the domains present at start-up for adoption.
//!
//! Pinning flags: libvirt's test driver accepts only
//! `VIR_DOMAIN_AFFECT_CURRENT`; on other drivers a running domain is pinned
//! with `AFFECT_LIVE | AFFECT_CONFIG` so the pinning survives a restart.

use super::domain_xml::{self, DomainTemplate};
use super::{FoundVm, Hypervisor, HypervisorError, VmSpec, VmUsage};
use crate::params::is_valid_vm_name;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

/// Bytes of the CPU maps handed to libvirt (1024 CPUs).
const CPUMAP_BYTES: usize = 128;

/// A libvirt connection and the template domains are defined from.
pub struct LibvirtBackend {
    conn: Connect,
    template: DomainTemplate,
    test_driver: bool,
}

impl std::fmt::Debug for LibvirtBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibvirtBackend")
            .field("template", &self.template)
            .field("test_driver", &self.test_driver)
            .finish()
    }
}

fn backend_err(operation: &'static str, vm: &str, e: virt::error::Error) -> HypervisorError {
    HypervisorError::Backend {
        operation,
        vm: vm.to_string(),
        message: e.to_string(),
    }
}

/// A libvirt CPU map with the bits of `cpus` set.
pub fn cpumap(cpus: &[u32]) -> Vec<u8> {
    let mut map = vec![0u8; CPUMAP_BYTES];
    for &c in cpus {
        if let Some(byte) = map.get_mut(c as usize / 8) {
            *byte |= 1 << (c % 8);
        }
    }
    map
}

fn cpus_of_map(map: &[u8]) -> Vec<u32> {
    (0..map.len() * 8)
        .filter(|&i| map[i / 8] & (1 << (i % 8)) != 0)
        .map(|i| i as u32)
        .collect()
}

impl LibvirtBackend {
    /// Opens `uri` (`qemu:///system`, `test:///default`, ...).
    pub fn open(uri: &str, template: DomainTemplate) -> Result<Self, HypervisorError> {
        virt::error::clear_error_callback();
        let conn = Connect::open(Some(uri)).map_err(|e| backend_err("connect", uri, e))?;
        Ok(LibvirtBackend {
            conn,
            template,
            test_driver: uri.starts_with("test:"),
        })
    }

    /// A backend over an open connection (shared: `Connect` is reference
    /// counted), e.g. to read back what the daemon did.
    pub fn from_connect(conn: Connect, template: DomainTemplate) -> Self {
        let test_driver = conn.uri().map(|u| u.starts_with("test:")).unwrap_or(false);
        LibvirtBackend {
            conn,
            template,
            test_driver,
        }
    }

    /// The connection (a new reference to it).
    pub fn connection(&self) -> Connect {
        self.conn.clone()
    }

    fn domain(&self, name: &str) -> Result<Domain, HypervisorError> {
        self.conn
            .lookup_domain_by_name(name)
            .map_err(|_| HypervisorError::UnknownVm(name.to_string()))
    }

    fn pin_flags(&self, dom: &Domain) -> u32 {
        if self.test_driver {
            sys::VIR_DOMAIN_AFFECT_CURRENT
        } else if dom.is_active().unwrap_or(false) {
            sys::VIR_DOMAIN_AFFECT_LIVE | sys::VIR_DOMAIN_AFFECT_CONFIG
        } else {
            sys::VIR_DOMAIN_AFFECT_CONFIG
        }
    }

    /// The domain XML as libvirt reports it.
    pub fn xml(&self, name: &str) -> Result<String, HypervisorError> {
        self.domain(name)?
            .xml_desc(0)
            .map_err(|e| backend_err("xml_desc", name, e))
    }

    /// Pinning of every vCPU, read back with `virDomainGetVcpuPinInfo`.
    pub fn pin_info(&self, name: &str) -> Result<Vec<Vec<u32>>, HypervisorError> {
        let dom = self.domain(name)?;
        let vcpus = dom
            .info()
            .map_err(|e| backend_err("info", name, e))?
            .nr_virt_cpu as usize;
        let mut buf = vec![0u8; vcpus * CPUMAP_BYTES];
        // SAFETY: `buf` holds `vcpus` maps of CPUMAP_BYTES bytes each, as
        // the call is told; `dom` outlives the call.
        let got = unsafe {
            sys::virDomainGetVcpuPinInfo(
                dom.as_ptr(),
                vcpus as i32,
                buf.as_mut_ptr(),
                CPUMAP_BYTES as i32,
                sys::VIR_DOMAIN_AFFECT_CURRENT,
            )
        };
        if got < 0 {
            return Err(HypervisorError::Backend {
                operation: "pin_info",
                vm: name.to_string(),
                message: virt::error::Error::last_error().to_string(),
            });
        }
        Ok(buf
            .chunks(CPUMAP_BYTES)
            .take(got as usize)
            .map(cpus_of_map)
            .collect())
    }

    fn found(&self, dom: &Domain) -> Result<Option<FoundVm>, HypervisorError> {
        let name = dom.name().map_err(|e| backend_err("name", "-", e))?;
        if !is_valid_vm_name(&name) {
            eprintln!(
                "warning: libvirt domain `{}` has an unsafe name, not adopted",
                name.escape_debug()
            );
            return Ok(None);
        }
        if !dom.is_active().unwrap_or(false) {
            eprintln!("warning: libvirt domain `{name}` is not running, not adopted");
            return Ok(None);
        }
        let info = dom.info().map_err(|e| backend_err("info", &name, e))?;
        let xml = dom
            .xml_desc(0)
            .map_err(|e| backend_err("xml_desc", &name, e))?;
        let level = domain_xml::level(&xml);
        if level.is_none() {
            eprintln!("warning: libvirt domain `{name}` has no SlackVM level in its metadata: adopted at level 1.0");
        }
        Ok(Some(FoundVm {
            spec: VmSpec {
                name,
                vcpus: info.nr_virt_cpu,
                mem_mb: info.max_mem.div_ceil(1024),
                level: level.unwrap_or(1.0),
                disk: domain_xml::disk(&xml).map(Into::into),
            },
            level_recorded: level.is_some(),
        }))
    }
}

impl Hypervisor for LibvirtBackend {
    fn kind(&self) -> &'static str {
        "libvirt"
    }

    fn start(&mut self, spec: &VmSpec, cpus: &[u32]) -> Result<(), HypervisorError> {
        if self.conn.lookup_domain_by_name(&spec.name).is_ok() {
            return Err(HypervisorError::AlreadyExists(spec.name.clone()));
        }
        let xml = domain_xml::render(&self.template, spec, cpus);
        let dom = self
            .conn
            .define_domain_xml(&xml)
            .map_err(|e| backend_err("define", &spec.name, e))?;
        if let Err(e) = dom.create() {
            if let Err(u) = dom.undefine() {
                eprintln!(
                    "warning: undefine `{}` after a failed start: {u}",
                    spec.name
                );
            }
            return Err(backend_err("start", &spec.name, e));
        }
        Ok(())
    }

    fn pin(&mut self, name: &str, cpus: &[u32]) -> Result<(), HypervisorError> {
        let dom = self.domain(name)?;
        let vcpus = dom
            .info()
            .map_err(|e| backend_err("info", name, e))?
            .nr_virt_cpu;
        let map = cpumap(cpus);
        let flags = self.pin_flags(&dom);
        for v in 0..vcpus {
            dom.pin_vcpu_flags(v, &map, flags)
                .map_err(|e| backend_err("pin", name, e))?;
        }
        Ok(())
    }

    fn stop(&mut self, name: &str) -> Result<(), HypervisorError> {
        let dom = self.domain(name)?;
        if dom.is_active().unwrap_or(false) {
            dom.destroy().map_err(|e| backend_err("destroy", name, e))?;
        }
        dom.undefine().map_err(|e| backend_err("undefine", name, e))
    }

    fn existing(&mut self) -> Result<Vec<FoundVm>, HypervisorError> {
        let mut doms = self
            .conn
            .list_all_domains(0)
            .map_err(|e| backend_err("list", "-", e))?;
        // Running domains by id (start order), then by name.
        doms.sort_by_key(|d| (d.id().unwrap_or(u32::MAX), d.name().unwrap_or_default()));
        let mut out = Vec::new();
        for dom in &doms {
            if let Some(found) = self.found(dom)? {
                out.push(found);
            }
        }
        Ok(out)
    }

    fn usage(&mut self, name: &str) -> Result<VmUsage, HypervisorError> {
        let dom = self.domain(name)?;
        let info = dom.info().map_err(|e| backend_err("info", name, e))?;
        let rss_kb = dom.memory_stats(0).ok().and_then(|stats| {
            stats
                .iter()
                .find(|s| s.tag == sys::VIR_DOMAIN_MEMORY_STAT_RSS)
                .map(|s| s.val)
        });
        Ok(VmUsage {
            cpu_time_ns: info.cpu_time,
            mem_used_mb: Some(rss_kb.unwrap_or(info.memory) / 1024),
        })
    }

    fn uuid(&mut self, name: &str) -> Option<String> {
        self.domain(name).ok()?.uuid_string().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpumap_bits() {
        let m = cpumap(&[0, 3, 9]);
        assert_eq!(m[0], 0b1001);
        assert_eq!(m[1], 0b10);
        assert_eq!(cpus_of_map(&m), vec![0, 3, 9]);
    }
}
