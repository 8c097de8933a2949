//! Following the store's change feed: every process (several servers on one PostgreSQL, a CLI
//! import beside a running server) keeps its in-memory copies — the name and matching indexes,
//! the site list — current with what any process commits.
//!
//! One path applies every change, this process's own included, in sequence order and under one
//! lock: a use case that wrote calls [`App::caught_up`] before it answers (so its caller finds
//! what it wrote), and a background task catches up at each PostgreSQL notification and at
//! least every [`POLL`]. Each change names a record; the record is read again as committed now
//! (only the changed people are decrypted), so applying a change twice or late is harmless.
use std::collections::BTreeSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use pulang_domain::ChangeKind;
use pulang_store::SiteFilter;

use crate::index::NameIndex;
use crate::{App, AppError, AppInner};

/// The longest a committed change waits to be seen here when a notification is lost (and the
/// only way on SQLite, which has no notifications).
pub const POLL: Duration = Duration::from_millis(500);

/// Changes read at a time.
const PAGE: i64 = 2000;

impl App {
    /// Applies every change committed since the last one applied; returns how many. Changes are
    /// contiguous (see the store's `changes`): a gap means some were pruned before this process
    /// saw them, and the indexes are rebuilt from the register.
    pub async fn catch_up(&self) -> Result<usize, AppError> {
        let mut seen = self.feed.lock().await;
        let mut applied = 0;
        loop {
            let changes = self.store.changes_after(*seen, PAGE).await?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                break;
            };
            if changes[0].seq != *seen + 1 {
                tracing::warn!(
                    seen = *seen,
                    next = changes[0].seq,
                    "change feed: changes were pruned before this process saw them; rebuilding the indexes"
                );
                let now = self.store.last_change().await?;
                let register = self.store.person_summaries(&SiteFilter::All).await?;
                *self.index.write().await = NameIndex::build(register.people);
                self.note_damaged(register.damaged).await?;
                self.forget_sites().await;
                *seen = now;
                continue;
            }
            let mut people = BTreeSet::new();
            let mut sites = false;
            for c in &changes {
                match c.kind {
                    ChangeKind::Person => {
                        people.insert(c.record_id.clone());
                    }
                    ChangeKind::Site => sites = true,
                }
            }
            let ids: Vec<String> = people.into_iter().collect();
            let read = self
                .store
                .person_summaries_of(&SiteFilter::All, &ids)
                .await?;
            self.note_damaged(read.damaged).await?;
            let found = read.people;
            {
                let mut index = self.index.write().await;
                for p in &found {
                    index.upsert(p);
                }
                // Not there any more: deleted by an import's revert.
                let present: BTreeSet<&str> = found.iter().map(|p| p.id.as_str()).collect();
                for id in ids.iter().filter(|id| !present.contains(id.as_str())) {
                    index.remove(id);
                }
            }
            if sites {
                self.forget_sites().await;
            }
            applied += changes.len();
            *seen = last;
            if (changes.len() as i64) < PAGE {
                break;
            }
        }
        Ok(applied)
    }

    /// [`App::catch_up`] after this process wrote: the write has committed, so a failure here
    /// is only logged (the background follower tries again within [`POLL`]).
    pub(crate) async fn caught_up(&self) {
        if let Err(e) = self.catch_up().await {
            tracing::warn!(error = %e, "change feed: could not catch up after a write");
        }
    }
}

/// Catches up at each notification and every [`POLL`] until the application is dropped or its
/// store closed.
pub(crate) async fn follow(app: Weak<AppInner>) {
    loop {
        let Some(inner) = app.upgrade() else { return };
        let app = App { inner };
        let _ = tokio::time::timeout(POLL, app.store.change_signalled()).await;
        if app.store.is_closed() {
            return;
        }
        if let Err(e) = app.catch_up().await {
            if app.store.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "change feed: could not catch up; retrying");
        }
        drop(app);
    }
}

/// Starts [`follow`] for `app`.
pub(crate) fn start(app: &App) {
    tokio::spawn(follow(Arc::downgrade(&app.inner)));
}
