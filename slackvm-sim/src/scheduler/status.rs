//! The status of a host as the global scheduler sees it (docs/scheduler.md,
//! "Status") and its one JSON form, the prototype's `/status` answer,
//! written by the local daemon and read back by the global daemon:
//! `{"cpu": {"avail": n, "subset": {"2.0": {"pcap", "palloc", "vavail",
//! "vpotential"}}}, "mem": {"avail": n, "subset": {"1": {...}}}}`, CPU
//! values as floats, memory values as integers, vNodes in creation order.

use crate::level::Level;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One vNode's line of a status.
#[derive(Debug, Clone, PartialEq)]
pub struct VNodeStatus {
    /// Level key as the prototype writes it (`"1.0"`, `"2.0"`, `"1"` for memory).
    pub key: String,
    /// Level.
    pub level: Level,
    /// Physical units held (CPUs or MB).
    pub pcap: u64,
    /// Units allocated (vCPUs or MB).
    pub palloc: u64,
    /// `pcap * level - palloc`.
    pub vavail: f64,
    /// `free * level`: what the vNode could still gain.
    pub vpotential: f64,
}

/// Status of one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceStatus {
    /// Free units (CPUs or MB).
    pub avail: u64,
    /// vNodes in creation order.
    pub subsets: Vec<VNodeStatus>,
}

/// Status of a host: CPU and memory. (De)serialised in the prototype's
/// `/status` shape (see the module header).
#[derive(Debug, Clone, PartialEq)]
pub struct HostStatus {
    /// CPU vNodes.
    pub cpu: ResourceStatus,
    /// The memory pool (key `"1"`).
    pub mem: ResourceStatus,
}

impl ResourceStatus {
    /// The vNode line of a level, if present.
    pub fn subset(&self, level: Level) -> Option<&VNodeStatus> {
        self.subsets.iter().find(|s| s.level == level)
    }
}

impl HostStatus {
    /// The `/status` JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a status is always representable in JSON")
    }
}

/// A resource written with integral values as integers (memory) or not.
struct ResourceJson<'a>(&'a ResourceStatus, bool);
struct SubsetsJson<'a>(&'a [VNodeStatus], bool);
struct SubsetJson<'a>(&'a VNodeStatus, bool);

fn number(x: f64, integral: bool) -> serde_json::Value {
    if integral && x.fract() == 0.0 && x.abs() < 9.0e15 {
        serde_json::Value::from(x as i64)
    } else {
        serde_json::Value::from(x)
    }
}

impl Serialize for HostStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("cpu", &ResourceJson(&self.cpu, false))?;
        m.serialize_entry("mem", &ResourceJson(&self.mem, true))?;
        m.end()
    }
}

impl Serialize for ResourceJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("avail", &self.0.avail)?;
        m.serialize_entry("subset", &SubsetsJson(&self.0.subsets, self.1))?;
        m.end()
    }
}

impl Serialize for SubsetsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for v in self.0 {
            m.serialize_entry(&v.key, &SubsetJson(v, self.1))?;
        }
        m.end()
    }
}

impl Serialize for SubsetJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (v, integral) = (self.0, self.1);
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("pcap", &v.pcap)?;
        m.serialize_entry("palloc", &v.palloc)?;
        m.serialize_entry("vavail", &number(v.vavail, integral))?;
        m.serialize_entry("vpotential", &number(v.vpotential, integral))?;
        m.end()
    }
}

#[derive(Deserialize)]
struct HostWire {
    cpu: ResourceWire,
    mem: ResourceWire,
}

#[derive(Deserialize)]
struct ResourceWire {
    avail: u64,
    subset: SubsetsWire,
}

#[derive(Deserialize)]
struct SubsetWire {
    pcap: u64,
    palloc: u64,
    vavail: f64,
    vpotential: f64,
}

/// The `subset` object, in its order, keys read as levels.
struct SubsetsWire(Vec<VNodeStatus>);

impl<'de> Deserialize<'de> for SubsetsWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Ordered;
        impl<'de> Visitor<'de> for Ordered {
            type Value = SubsetsWire;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of vNode lines keyed by level")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SubsetsWire, A::Error> {
                let mut out = Vec::new();
                while let Some((key, w)) = map.next_entry::<String, SubsetWire>()? {
                    let level: Level = key
                        .parse()
                        .map_err(|e| de::Error::custom(format!("subset key `{key}`: {e}")))?;
                    out.push(VNodeStatus {
                        key,
                        level,
                        pcap: w.pcap,
                        palloc: w.palloc,
                        vavail: w.vavail,
                        vpotential: w.vpotential,
                    });
                }
                Ok(SubsetsWire(out))
            }
        }
        d.deserialize_map(Ordered)
    }
}

impl From<ResourceWire> for ResourceStatus {
    fn from(w: ResourceWire) -> Self {
        ResourceStatus {
            avail: w.avail,
            subsets: w.subset.0,
        }
    }
}

impl<'de> Deserialize<'de> for HostStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = HostWire::deserialize(d)?;
        Ok(HostStatus {
            cpu: w.cpu.into(),
            mem: w.mem.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> HostStatus {
        HostStatus {
            cpu: ResourceStatus {
                avail: 5,
                subsets: vec![VNodeStatus {
                    key: "2.0".into(),
                    level: Level::TWO,
                    pcap: 3,
                    palloc: 3,
                    vavail: 3.0,
                    vpotential: 10.0,
                }],
            },
            mem: ResourceStatus {
                avail: 1000,
                subsets: vec![VNodeStatus {
                    key: "1".into(),
                    level: Level::ONE,
                    pcap: 2048,
                    palloc: 1024,
                    vavail: 1024.0,
                    vpotential: 1000.0,
                }],
            },
        }
    }

    #[test]
    fn written_in_the_prototype_shape() {
        let text = serde_json::to_string(&sample()).unwrap();
        assert_eq!(
            text,
            r#"{"cpu":{"avail":5,"subset":{"2.0":{"pcap":3,"palloc":3,"vavail":3.0,"vpotential":10.0}}},"mem":{"avail":1000,"subset":{"1":{"pcap":2048,"palloc":1024,"vavail":1024,"vpotential":1000}}}}"#
        );
        assert_eq!(
            sample().to_json(),
            serde_json::from_str::<serde_json::Value>(&text).unwrap()
        );
    }

    #[test]
    fn read_back_to_the_same_status() {
        let text = serde_json::to_string(&sample()).unwrap();
        let back: HostStatus = serde_json::from_str(&text).unwrap();
        assert_eq!(back, sample());
        assert_eq!(back.cpu.subset(Level::TWO).unwrap().pcap, 3);
        // `2` and `2.0` are the same level key.
        let two = text.replace("\"2.0\"", "\"2\"");
        let back: HostStatus = serde_json::from_str(&two).unwrap();
        assert_eq!(back.cpu.subset(Level::TWO).unwrap().key, "2");
    }

    #[test]
    fn malformed_statuses_are_errors() {
        assert!(serde_json::from_str::<HostStatus>("{}").is_err());
        let bad_key = serde_json::to_string(&sample())
            .unwrap()
            .replace("\"2.0\"", "\"x\"");
        let e = serde_json::from_str::<HostStatus>(&bad_key).unwrap_err();
        assert!(e.to_string().contains("subset key `x`"), "{e}");
    }
}
