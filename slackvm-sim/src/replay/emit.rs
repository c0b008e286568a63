//! Emission: a timestamp's output rows, per resource the global record,
//! then each vNode's record followed by its VMs' records. The vNode
//! columns come from [`crate::trace::snapshot`] (rebuilt only after the
//! host changed). By default the usage columns are recomputed for this
//! host (`recompute.rs`); with `replay-copy-records` (the prototype) they
//! are copied from the input rows, and so are the VM records.

use super::replayer::Replayer;
use super::summary::{record_series, SeriesPoint};
use super::view::VNodeView;
use super::ReplayError;
use crate::host::HostResource;
use crate::trace::{global_row, snapshot, DscShape, Res, Row, TraceWriter, VNodeSnapshot, VmId};

impl Replayer<'_> {
    /// Writes this timestamp's rows.
    pub(super) fn emit(
        &mut self,
        tmp: u64,
        out: &mut Option<&mut TraceWriter>,
    ) -> Result<(), ReplayError> {
        if self.dirty {
            self.views = self.vnode_views();
            self.dirty = false;
        }
        let views = std::mem::take(&mut self.views);
        let result = [Res::Cpu, Res::Mem]
            .into_iter()
            .try_for_each(|res| self.emit_res(tmp, res, &views[res.index()], out));
        self.views = views;
        result?;
        self.drop_unreported();
        Ok(())
    }

    /// Drops the VMs [`Self::note_unreported`] listed: from the resource
    /// that did not report them with `replay-drop-per-resource` (the
    /// prototype), else from the host.
    fn drop_unreported(&mut self) {
        let per_resource = self.opts.host.quirks.replay_drop_per_resource;
        for (i, res) in std::mem::take(&mut self.unreported) {
            self.dirty = true;
            let uuid = &self.learnt.vms[i as usize].uuid;
            if per_resource {
                let res = match res {
                    Res::Cpu => HostResource::Cpu,
                    Res::Mem => HostResource::Mem,
                };
                self.host.drop_from(uuid, res);
            } else {
                let _ = self.host.remove(uuid);
            }
        }
    }

    fn emit_res(
        &mut self,
        tmp: u64,
        res: Res,
        views: &[VNodeView],
        out: &mut Option<&mut TraceWriter>,
    ) -> Result<(), ReplayError> {
        if !self.opts.host.quirks.replay_copy_records {
            return self.emit_recomputed(tmp, res, views, out);
        }
        let i = res.index();
        let topo = self.host.topology();
        let capacity = match res {
            Res::Cpu => topo.cpu_count() as f64,
            Res::Mem => topo.mem_allowed_mb() as f64,
        };
        self.put(out, &global_row(tmp, res, self.step.global[i], capacity))?;
        for (order, v) in views.iter().enumerate() {
            let val = self.step.rows(i, v.id).and_then(|r| r.val);
            if res == Res::Cpu {
                let point = SeriesPoint {
                    time_s: tmp,
                    held: v.snap.size,
                    busy: val,
                    demand: None,
                };
                record_series(&mut self.series, order, v.snap.level, point);
            }
            self.sizes
                .track(order + i * 1000, &v.snap.subset, res.as_str(), v.snap.size);
            self.put(out, &v.snap.subset_row(tmp, val))?;
            self.emit_vms(tmp, res, v, out)?;
            self.note_unreported(res, v);
        }
        Ok(())
    }

    /// With `replay-drop-unreported`, the vNode's VMs with no row at this
    /// timestamp are dropped once the timestamp's rows are written. With
    /// `replay-drop-skips-next`, the VM right after each dropped one (in
    /// the vNode's deployment order) is not checked, as in the prototype's
    /// loop that deletes from the list it iterates over.
    pub(super) fn note_unreported(&mut self, res: Res, v: &VNodeView) {
        let quirks = self.opts.host.quirks;
        if !quirks.replay_drop_unreported {
            return;
        }
        let mut skip = false;
        for &hosted in &v.vms {
            if std::mem::take(&mut skip) {
                continue;
            }
            if !self.step.reported(res.index(), v.id, hosted) {
                self.unreported.push((hosted, res));
                skip = quirks.replay_drop_skips_next;
            }
        }
    }

    /// The VM rows reported under the vNode, in input order.
    fn emit_vms(
        &mut self,
        tmp: u64,
        res: Res,
        v: &VNodeView,
        out: &mut Option<&mut TraceWriter>,
    ) -> Result<(), ReplayError> {
        let Some(rows) = self.step.rows(res.index(), v.id) else {
            return Ok(());
        };
        let mut written = 0;
        for &(vm, val) in &rows.vms {
            let trace = &self.learnt.vms[vm as usize];
            let id = VmId {
                uuid: Some(&trace.uuid),
                name: Some(&trace.name),
            };
            let row = v.snap.vm_row(tmp, val, self.vm_config(vm, res), id);
            if let Some(w) = out.as_deref_mut() {
                w.write_row(&row)?;
            }
            written += 1;
        }
        self.summary.rows_out += written;
        Ok(())
    }

    pub(super) fn put(
        &mut self,
        out: &mut Option<&mut TraceWriter>,
        row: &Row<'_>,
    ) -> Result<(), ReplayError> {
        if let Some(w) = out.as_deref_mut() {
            w.write_row(row)?;
        }
        self.summary.rows_out += 1;
        Ok(())
    }

    /// Views of the CPU vNodes and of the memory pool, per resource.
    fn vnode_views(&mut self) -> [Vec<VNodeView>; 2] {
        let snap = snapshot(&self.host, DscShape::Replay);
        let cpu = snap.cpu.into_iter().map(|s| self.view(s)).collect();
        let mem = snap.mem.into_iter().map(|s| self.view(s)).collect();
        [cpu, mem]
    }

    fn view(&mut self, snap: VNodeSnapshot) -> VNodeView {
        let vms = snap
            .vms
            .iter()
            .filter_map(|n| {
                let i = self.learnt.index.get(n.as_str()).copied();
                debug_assert!(i.is_some(), "hosted VM {n} not in the trace");
                i
            })
            .collect();
        VNodeView {
            id: self.step.id(&snap.subset),
            snap,
            vms,
        }
    }
}
