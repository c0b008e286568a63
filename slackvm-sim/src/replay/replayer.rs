//! The replayer: the host and the state a replay carries from one
//! timestamp to the next. At the end of each timestamp it deploys the VMs
//! first seen then, removes those last seen at the timestamp before, and
//! hands over to the emission ([`super::emit`]).

use super::first_pass::{Learnt, VmTrace};
use super::shortage::ShortageTracker;
use super::step::Step;
use super::summary::{Refusal, ReplayOutcome, ReplaySummary, Sizes, VNodeSeries};
use super::view::VNodeView;
use super::{ReplayError, ReplayOptions, TraceSource};
use crate::host::Host;
use crate::level::Level;
use crate::pyfmt;
use crate::scheduler::{DeployError, VmRequest};
use crate::topology::Topology;
use crate::trace::{RecKind, Record, Res, TraceWriter};
use std::path::PathBuf;
use std::sync::Arc;

/// The state a replay carries from one timestamp to the next.
pub(super) struct Replayer<'a> {
    pub host: Host,
    pub opts: ReplayOptions,
    pub learnt: &'a Learnt,
    pub summary: ReplaySummary,
    pub series: Vec<VNodeSeries>,
    pub sizes: Sizes,
    pub step: Step,
    /// Views of the CPU vNodes and of the memory pool, per resource.
    pub views: [Vec<VNodeView>; 2],
    /// The host changed since the views were built.
    pub dirty: bool,
    next_arrival: usize,
    next_departure: usize,
    /// VMs to drop after this timestamp's rows, with the resource that did
    /// not report them (quirk `replay-drop-unreported`), reused.
    pub unreported: Vec<(u32, Res)>,
    /// CPU shortage per level (recomputed replays).
    pub shortage: ShortageTracker,
}

impl<'a> Replayer<'a> {
    pub fn new(
        topo: Arc<Topology>,
        opts: ReplayOptions,
        input: &TraceSource,
        learnt: &'a Learnt,
    ) -> Self {
        let mut summary =
            ReplaySummary::new(input.name(), topo.name().to_string(), &opts.host.quirks);
        summary.timestamps = learnt.timestamps;
        summary.rows_in = learnt.rows;
        summary.vms_seen = learnt.vms.len() as u64;
        Replayer {
            host: Host::new(topo, opts.host),
            opts,
            summary,
            learnt,
            series: Vec::new(),
            sizes: Sizes::default(),
            step: Step::new(learnt.vms.len()),
            views: [Vec::new(), Vec::new()],
            dirty: true,
            next_arrival: 0,
            next_departure: 0,
            unreported: Vec::new(),
            shortage: ShortageTracker::default(),
        }
    }

    /// After a timestamp's rows: arrivals, departures, output rows.
    pub fn finish_step(
        &mut self,
        tmp: u64,
        previous: Option<u64>,
        out: &mut Option<&mut TraceWriter>,
    ) -> Result<(), ReplayError> {
        self.shortage.begin(tmp);
        self.deploy_arrivals(tmp);
        // The first timestamp has no previous one; a quirk uses itself.
        let clamp = self.opts.host.quirks.replay_first_step_clamp;
        self.remove_departures(previous.or(clamp.then_some(tmp)));
        self.emit(tmp, out)
    }

    /// The outcome, once every timestamp is replayed.
    pub fn finish(self, wall_s: f64) -> ReplayOutcome {
        let mut summary = self.summary;
        summary.vnodes = self.sizes.into_summaries();
        if !self.opts.host.quirks.replay_copy_records {
            summary.shortage = self.shortage.finish();
        }
        summary.set_wall(wall_s);
        ReplayOutcome {
            summary,
            series: self.series,
        }
    }

    fn replayed_mem_mb(&self, vm: &VmTrace) -> Option<u64> {
        let mem = vm.mem? as u64;
        Some(if self.opts.host.quirks.replay_mem_kib {
            mem / 1024
        } else {
            mem
        })
    }

    /// The `config` of a VM's record: vCPUs or MB as replayed.
    pub fn vm_config(&self, vm: u32, res: Res) -> Option<f64> {
        let vm = &self.learnt.vms[vm as usize];
        match res {
            Res::Cpu => vm.vcpus.map(f64::trunc),
            Res::Mem => self.replayed_mem_mb(vm).map(|m| m as f64),
        }
    }

    /// Groups one input row into the current timestamp.
    pub fn add(&mut self, rec: &Record, input: &TraceSource, line: u64) -> Result<(), ReplayError> {
        let vm = if rec.rec == Some(RecKind::Vm) {
            let uuid = rec.vm_uuid.as_deref().unwrap_or("None");
            let Some(&i) = self.learnt.index.get(uuid) else {
                return Err(ReplayError::Changed {
                    path: PathBuf::from(input.name()),
                    line,
                    uuid: uuid.to_string(),
                });
            };
            Some(i)
        } else {
            None
        };
        self.step.add(rec, vm);
        Ok(())
    }

    fn deploy_arrivals(&mut self, tmp: u64) {
        let learnt = self.learnt;
        while let Some(&i) = learnt.arrivals.get(self.next_arrival) {
            let vm = &learnt.vms[i as usize];
            if vm.first_s > Some(tmp) {
                break;
            }
            self.next_arrival += 1;
            debug_assert_eq!(vm.first_s, Some(tmp), "every sighting is a timestamp");
            if vm.first_s != Some(tmp) {
                continue;
            }
            let (Some(vcpus), Some(mem_mb), Some(level)) =
                (vm.vcpus, self.replayed_mem_mb(vm), vm.level)
            else {
                continue; // the prototype cannot build such a VM either
            };
            let key = pyfmt::float(level);
            self.dirty = true;
            let deployed = Level::new(level)
                .map_err(|e| DeployError::InvalidRequest {
                    vm: vm.uuid.clone(),
                    message: e.to_string(),
                })
                .and_then(|level| {
                    let req = VmRequest::new(vm.uuid.clone(), vcpus as u32, mem_mb, level);
                    self.deploy(&req)
                });
            match deployed {
                Ok(_) => *self.summary.accepted.entry(key).or_default() += 1,
                Err(e) => self.refuse(vm, tmp, key, &e),
            }
        }
    }

    /// Deploys `req`; with `replay-rollback-regrows`, a refusal by memory
    /// then grows and shrinks the CPU side as the prototype's rollback.
    fn deploy(&mut self, req: &VmRequest) -> Result<(), DeployError> {
        let created = self.host.vnode_of_level(req.level).is_none();
        match self.host.deploy(req) {
            Err(e @ DeployError::NotEnoughMem { .. })
                if self.opts.host.quirks.replay_rollback_regrows =>
            {
                self.host.roll_back_cpu(req, created);
                Err(e)
            }
            other => other.map(|_| ()),
        }
    }

    fn refuse(&mut self, vm: &VmTrace, tmp: u64, key: String, e: &DeployError) {
        *self
            .summary
            .refused_per_level
            .entry(key.clone())
            .or_default() += 1;
        let resource = match e {
            DeployError::NotEnoughCpu { .. } => "cpu",
            DeployError::NotEnoughMem { .. } => "mem",
            _ => "invalid",
        };
        self.summary.refused.push(Refusal {
            vm: vm.name.clone(),
            uuid: vm.uuid.clone(),
            time_s: tmp,
            level: key,
            resource: resource.into(),
            reason: e.to_string(),
        });
    }

    /// Removes the VMs last seen at `previous` (the timestamp before this one).
    fn remove_departures(&mut self, previous: Option<u64>) {
        let Some(previous) = previous else { return };
        let learnt = self.learnt;
        while let Some(&i) = learnt.departures.get(self.next_departure) {
            let vm = &learnt.vms[i as usize];
            if vm.last_s > previous {
                break;
            }
            self.next_departure += 1;
            if vm.last_s == previous {
                self.dirty = true;
                self.depart(vm);
            }
        }
    }

    /// Removes a departing VM. Refused or already gone: nothing to free,
    /// but with `replay-absent-removal-shrinks` its level's vNode and the
    /// memory pool still shrink, as the prototype's removal does for every
    /// VM it can build (vCPUs, memory and level known).
    fn depart(&mut self, vm: &VmTrace) {
        let shrinks = self.opts.host.quirks.replay_absent_removal_shrinks;
        let level = match (vm.vcpus, vm.mem, vm.level) {
            (Some(_), Some(_), Some(level)) if shrinks => Level::new(level).ok(),
            _ => None,
        };
        match level {
            Some(level) => self.host.remove_shrinking(&vm.uuid, level),
            None => {
                let _ = self.host.remove(&vm.uuid);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{source, trace};
    use super::super::{replay, ReplayOptions};
    use crate::host::{HostOptions, Quirks};
    use crate::topology;
    use std::sync::Arc;

    fn opts(quirks: Quirks) -> ReplayOptions {
        ReplayOptions {
            host: HostOptions {
                quirks,
                ..HostOptions::default()
            },
        }
    }

    fn vm(tmp: u64, uuid: &str, vcpus: u32, level: &str, mem_mb: u64) -> [String; 2] {
        [
            format!(
                "{tmp}\tvm\tcpu\t0.5\t{vcpus}\tsubset-{level}\t{uuid}\t{uuid}\t{level}\tNone\tNone"
            ),
            format!("{tmp}\tvm\tmem\t0.5\t{mem_mb}\tsubset-1\t{uuid}\t{uuid}\t1\tNone\tNone"),
        ]
    }

    #[test]
    fn arrivals_departures_and_a_refusal_by_hand() {
        // laptop-8: 8 CPUs. a (6 vCPUs, 1:1) fits, b (4 vCPUs, 1:1) does
        // not while a is there; a leaves after 15 (removed at 30, after
        // that timestamp's arrivals), so c (4 vCPUs) fits at 45.
        let mut rows: Vec<String> = Vec::new();
        rows.extend(vm(0, "a", 6, "1.0", 1024));
        rows.extend(vm(15, "a", 6, "1.0", 1024));
        rows.extend(vm(15, "b", 4, "1.0", 1024));
        rows.push("30\tglobal\tcpu\t0.1\t8\tNone\tNone\tNone\tNone\tNone\tNone".into());
        rows.extend(vm(45, "c", 4, "1.0", 1024));
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let topo = Arc::new(topology::preset("laptop-8").expect("preset"));
        let outcome = replay(
            topo,
            opts(Quirks::fixed()),
            &source(&trace(&rows)),
            None,
            &mut |_, _| {},
        )
        .expect("replays");
        let s = &outcome.summary;
        assert_eq!(s.accepted["1.0"], 2);
        assert_eq!(s.refused_per_level["1.0"], 1);
        assert_eq!((s.refused[0].vm.as_str(), s.refused[0].time_s), ("b", 15));
        assert_eq!(s.refused[0].resource, "cpu");
        assert_eq!(
            outcome.series[0]
                .points
                .iter()
                .map(|p| p.1)
                .collect::<Vec<_>>(),
            vec![6, 6, 0, 4]
        );
    }

    #[test]
    fn memory_read_as_kib_is_a_quirk() {
        let mut rows: Vec<String> = vm(0, "a", 1, "1.0", 4096).into();
        rows.extend(vm(15, "a", 1, "1.0", 4096));
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let topo = Arc::new(topology::preset("laptop-8").expect("preset"));
        let run = |q| {
            let o = replay(
                topo.clone(),
                opts(q),
                &source(&trace(&rows)),
                None,
                &mut |_, _| {},
            )
            .expect("replays");
            o.summary
                .vnodes
                .iter()
                .find(|v| v.res == "mem")
                .map(|v| v.max)
        };
        assert_eq!(run(Quirks::fixed()), Some(4096));
        assert_eq!(run(Quirks::prototype()), Some(4));
    }
}
