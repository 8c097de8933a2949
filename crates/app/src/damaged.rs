//! Records that cannot be read — a field that does not decrypt with this key and this record's
//! id, because it was tampered with or damaged on disk. One such record must not stop the
//! register: it is left out of search and matching, logged, recorded in the audit log once per
//! process, and listed for auditors and administrators, while everyone else carries on.
use pulang_domain::AuditAction;
use pulang_store::people::DamagedRecord;

use crate::{AccessScope, App, AppError, Permission};

impl App {
    /// Notes records found unreadable: logged and audited the first time this process sees
    /// each.
    pub(crate) async fn note_damaged(&self, found: Vec<DamagedRecord>) -> Result<(), AppError> {
        let new: Vec<DamagedRecord> = {
            let mut known = self.damaged.lock().unwrap_or_else(|e| e.into_inner());
            found
                .into_iter()
                .filter(|d| known.insert(d.id.clone(), d.clone()).is_none())
                .collect()
        };
        for d in new {
            tracing::error!(record = %d.id, site = %d.site_id, problem = %d.problem,
                "a stored record cannot be read; it is left out of search and matching");
            self.store
                .audit("pulang", &d.site_id, AuditAction::RecordDamaged, &d.id)
                .await?;
        }
        Ok(())
    }

    /// The unreadable records at the caller's sites (auditors and administrators).
    pub fn damaged_records(&self, scope: &AccessScope) -> Result<Vec<DamagedRecord>, AppError> {
        let filter = scope.require(Permission::ViewAudit)?;
        let known = self.damaged.lock().unwrap_or_else(|e| e.into_inner());
        Ok(known
            .values()
            .filter(|d| filter.allows(&d.site_id))
            .cloned()
            .collect())
    }
}
