//! The libvirt backend (feature `live`, crate `virt` 0.5): defines and
//! starts domains from [`super::domain_xml`], pins vCPUs, re-pins running
//! domains, records each VM's vNode CPU ids in its metadata (so a restart
//! restores the exact placement), destroys and undefines on removal, reads
//! CPU time and memory, and lists the domains present (running or shut
//! off) for adoption and reconciliation.
//!
//! Connection: when a call fails and the connection is dead (libvirtd
//! restarted: "client socket is closed"), the backend reopens it (3
//! attempts, 0.1/0.3/0.9 s apart, each logged) and retries the call once;
//! [`Hypervisor::health`] reports the state for `/status`.
//!
//! Flags: libvirt's test driver accepts only `VIR_DOMAIN_AFFECT_CURRENT`;
//! on other drivers a running domain is changed with `AFFECT_LIVE |
//! AFFECT_CONFIG` so the change survives a restart.

use super::domain_xml::{self, DomainTemplate};
use super::{BackendHealth, FoundVm, Hypervisor, HypervisorError, VmSpec, VmUsage};
use crate::params::is_valid_vm_name;
use slackvm_sim::level::Level;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

/// Bytes of the CPU maps handed to libvirt (1024 CPUs).
const CPUMAP_BYTES: usize = 128;
/// Pauses before each reconnection attempt.
const RECONNECT_BACKOFF_MS: [u64; 3] = [100, 300, 900];

struct Link {
    conn: Connect,
    health: BackendHealth,
}

/// A libvirt connection and the template domains are defined from.
pub struct LibvirtBackend {
    uri: String,
    link: Mutex<Link>,
    template: DomainTemplate,
    test_driver: bool,
}

impl std::fmt::Debug for LibvirtBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibvirtBackend")
            .field("uri", &self.uri)
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
        Ok(Self::from_connect(conn, template))
    }

    /// A backend over an open connection (shared: `Connect` is reference
    /// counted), e.g. to read back what the daemon did.
    pub fn from_connect(conn: Connect, template: DomainTemplate) -> Self {
        let uri = conn.uri().unwrap_or_default();
        LibvirtBackend {
            test_driver: uri.starts_with("test:"),
            uri,
            link: Mutex::new(Link {
                conn,
                health: BackendHealth {
                    connected: true,
                    ..BackendHealth::default()
                },
            }),
            template,
        }
    }

    fn link(&self) -> MutexGuard<'_, Link> {
        self.link
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The connection (a new reference to it).
    pub fn connection(&self) -> Connect {
        self.link().conn.clone()
    }

    /// Reopens the connection if it is dead; true when it was reopened.
    fn revive(&self) -> Result<bool, HypervisorError> {
        let mut link = self.link();
        if link.conn.is_alive().unwrap_or(false) {
            return Ok(false);
        }
        let mut last = String::new();
        for (attempt, pause_ms) in RECONNECT_BACKOFF_MS.iter().enumerate() {
            std::thread::sleep(Duration::from_millis(*pause_ms));
            match Connect::open(Some(&self.uri)) {
                Ok(conn) => {
                    eprintln!(
                        "info: libvirt: reconnected to {} (attempt {})",
                        self.uri,
                        attempt + 1
                    );
                    link.conn = conn;
                    link.health.connected = true;
                    link.health.reconnects += 1;
                    return Ok(true);
                }
                Err(e) => {
                    last = e.to_string();
                    eprintln!(
                        "warning: libvirt: reconnecting to {} (attempt {}): {last}",
                        self.uri,
                        attempt + 1
                    );
                }
            }
        }
        link.health.connected = false;
        link.health.last_error = Some(last.clone());
        Err(HypervisorError::Backend {
            operation: "connect",
            vm: self.uri.clone(),
            message: last,
        })
    }

    /// Runs `op` on the connection; when it fails on a dead connection,
    /// reconnects and runs it once more.
    fn with_conn<T>(
        &self,
        op: impl Fn(&Connect) -> Result<T, HypervisorError>,
    ) -> Result<T, HypervisorError> {
        let conn = self.connection();
        match op(&conn) {
            Err(e) if !matches!(e, HypervisorError::AlreadyExists(_)) => {
                drop(conn);
                if self.revive()? {
                    op(&self.connection())
                } else {
                    Err(e)
                }
            }
            other => other,
        }
    }

    fn domain(conn: &Connect, name: &str) -> Result<Domain, HypervisorError> {
        conn.lookup_domain_by_name(name)
            .map_err(|_| HypervisorError::UnknownVm(name.to_string()))
    }

    fn change_flags(&self, dom: &Domain) -> u32 {
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
        self.with_conn(|c| {
            Self::domain(c, name)?
                .xml_desc(0)
                .map_err(|e| backend_err("xml_desc", name, e))
        })
    }

    /// Pinning of every vCPU, read back with `virDomainGetVcpuPinInfo`.
    pub fn pin_info(&self, name: &str) -> Result<Vec<Vec<u32>>, HypervisorError> {
        let dom = Self::domain(&self.connection(), name)?;
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

    fn found(dom: &Domain) -> Result<Option<FoundVm>, HypervisorError> {
        let name = dom.name().map_err(|e| backend_err("name", "-", e))?;
        if !is_valid_vm_name(&name) {
            eprintln!(
                "warning: libvirt domain `{}` has an unsafe name, not adopted",
                name.escape_debug()
            );
            return Ok(None);
        }
        let info = dom.info().map_err(|e| backend_err("info", &name, e))?;
        let xml = dom
            .xml_desc(0)
            .map_err(|e| backend_err("xml_desc", &name, e))?;
        let level = domain_xml::level(&xml);
        Ok(Some(FoundVm {
            spec: VmSpec {
                name,
                vcpus: info.nr_virt_cpu,
                mem_mb: info.max_mem.div_ceil(1024),
                level: level.unwrap_or(Level::ONE),
                disk: domain_xml::disk(&xml).map(Into::into),
            },
            level_recorded: level.is_some(),
            running: dom.is_active().unwrap_or(false),
            vnode_cpus: domain_xml::recorded_cpus(&xml),
        }))
    }
}

impl Hypervisor for LibvirtBackend {
    fn kind(&self) -> &'static str {
        "libvirt"
    }

    fn start(&self, spec: &VmSpec, cpus: &[u32]) -> Result<(), HypervisorError> {
        let xml = domain_xml::render(&self.template, spec, cpus);
        self.with_conn(|conn| {
            if conn.lookup_domain_by_name(&spec.name).is_ok() {
                return Err(HypervisorError::AlreadyExists(spec.name.clone()));
            }
            let dom = conn
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
        })
    }

    fn pin(&self, name: &str, cpus: &[u32]) -> Result<(), HypervisorError> {
        let map = cpumap(cpus);
        self.with_conn(|conn| {
            let dom = Self::domain(conn, name)?;
            let vcpus = dom
                .info()
                .map_err(|e| backend_err("info", name, e))?
                .nr_virt_cpu;
            let flags = self.change_flags(&dom);
            for v in 0..vcpus {
                dom.pin_vcpu_flags(v, &map, flags)
                    .map_err(|e| backend_err("pin", name, e))?;
            }
            Ok(())
        })
    }

    fn record_cpus(&self, name: &str, vnode_cpus: &[u32]) -> Result<(), HypervisorError> {
        self.with_conn(|conn| {
            let dom = Self::domain(conn, name)?;
            let xml = dom
                .xml_desc(0)
                .map_err(|e| backend_err("xml_desc", name, e))?;
            let level = domain_xml::level(&xml).unwrap_or(Level::ONE);
            let element = domain_xml::metadata_element(level, vnode_cpus);
            dom.set_metadata(
                sys::VIR_DOMAIN_METADATA_ELEMENT as i32,
                Some(&element),
                Some(domain_xml::METADATA_PREFIX),
                Some(domain_xml::METADATA_NS),
                self.change_flags(&dom),
            )
            .map_err(|e| backend_err("set_metadata", name, e))
        })
    }

    fn stop(&self, name: &str) -> Result<(), HypervisorError> {
        self.with_conn(|conn| {
            let dom = Self::domain(conn, name)?;
            if dom.is_active().unwrap_or(false) {
                dom.destroy().map_err(|e| backend_err("destroy", name, e))?;
            }
            dom.undefine().map_err(|e| backend_err("undefine", name, e))
        })
    }

    fn existing(&self) -> Result<Vec<FoundVm>, HypervisorError> {
        self.with_conn(|conn| {
            let mut doms = conn
                .list_all_domains(0)
                .map_err(|e| backend_err("list", "-", e))?;
            // Running domains by id (start order), then by name.
            doms.sort_by_key(|d| (d.id().unwrap_or(u32::MAX), d.name().unwrap_or_default()));
            let mut out = Vec::new();
            for dom in &doms {
                if let Some(found) = Self::found(dom)? {
                    out.push(found);
                }
            }
            Ok(out)
        })
    }

    fn usage(&self, name: &str) -> Result<VmUsage, HypervisorError> {
        self.with_conn(|conn| {
            let dom = Self::domain(conn, name)?;
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
        })
    }

    fn uuid(&self, name: &str) -> Option<String> {
        Self::domain(&self.connection(), name)
            .ok()?
            .uuid_string()
            .ok()
    }

    fn health(&self) -> BackendHealth {
        self.link().health.clone()
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
