//! Write + audit: the shape of almost every write. A write and its audit event commit
//! together or not at all (the writer runs each job in its own savepoint). A leaf: it imports
//! no feature module.
use pulang_domain::AuditAction;

use crate::audit::append;
use crate::sql::person_site;
use crate::{SiteFilter, Store, StoreError, WriteFn};

impl Store {
    /// Runs `f` in the writer's transaction, then records that `actor` did `action` to
    /// `subject` at `site`.
    pub(crate) async fn write_audited<T, F>(
        &self,
        actor: &str,
        site: &str,
        action: AuditAction,
        subject: &str,
        f: F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: WriteFn<T>,
    {
        let (actor, site, subject) = (actor.to_string(), site.to_string(), subject.to_string());
        self.write(move |conn| {
            Box::pin(async move {
                let out = f(&mut *conn).await?;
                append(conn, &actor, &site, action, &subject).await?;
                Ok(out)
            })
        })
        .await
    }

    /// Runs `f` on a person the filter allows (`NotFound` for another site's person, before
    /// anything is written), then records that `actor` did `action` to them at their site.
    pub(crate) async fn write_to_person<T, F>(
        &self,
        actor: &str,
        filter: &SiteFilter,
        person_id: &str,
        action: AuditAction,
        f: F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: WriteFn<T>,
    {
        let (actor, filter, id) = (actor.to_string(), filter.clone(), person_id.to_string());
        self.write(move |conn| {
            Box::pin(async move {
                let site = person_site(conn, &filter, &id).await?;
                let out = f(&mut *conn).await?;
                append(conn, &actor, &site, action, &id).await?;
                Ok(out)
            })
        })
        .await
    }
}
