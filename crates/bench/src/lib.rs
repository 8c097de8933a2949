//! What the bench binaries share: writing a large register fast, through the store's bulk path.

use anyhow::Context;
use pulang_app::domain::{EncounterDetails, PersonDetails};
use pulang_store::accounts::Site;
use pulang_store::{Actor, Store, StoreError};
use tokio::task::JoinSet;

/// Register people written per bulk transaction.
pub const PREFILL_BATCH: usize = 20_000;

type Batch = Result<(usize, Vec<(String, String)>), StoreError>;

/// Writes people in batches of [`PREFILL_BATCH`] through the store's bulk path (no audit
/// events: never for real data), two batches in flight: one is sealed while the writer inserts
/// the other.
pub struct Prefill {
    store: Store,
    actor: Actor,
    set: JoinSet<Batch>,
    batches: usize,
    /// `(id, case number)` of each batch, in order, when they are kept.
    ids: Option<Vec<Vec<(String, String)>>>,
}

impl Prefill {
    /// `keep_ids`: whether [`Prefill::finish`] returns the ids of the people written.
    pub fn new(store: Store, actor: Actor, keep_ids: bool) -> Prefill {
        Prefill {
            store,
            actor,
            set: JoinSet::new(),
            batches: 0,
            ids: keep_ids.then(Vec::new),
        }
    }

    /// Starts writing `people` at `site`, waiting for a batch whenever two are in flight.
    pub async fn write(
        &mut self,
        site: &Site,
        people: &[(PersonDetails, EncounterDetails)],
    ) -> anyhow::Result<()> {
        for part in people.chunks(PREFILL_BATCH) {
            if self.set.len() >= 2 {
                let done = self.set.join_next().await.context("a batch")??;
                self.keep(done?);
            }
            let (store, actor, site, part) = (
                self.store.clone(),
                self.actor.clone(),
                site.clone(),
                part.to_vec(),
            );
            let b = self.batches;
            self.batches += 1;
            self.set.spawn(async move {
                store
                    .bulk_register_for_bench(&actor, &site, part)
                    .await
                    .map(|ids| (b, ids))
            });
        }
        Ok(())
    }

    /// Waits for the last batches and closes the store. Returns `(id, case number)` of everyone
    /// written, in the order given, if the ids are kept (empty otherwise).
    pub async fn finish(mut self) -> anyhow::Result<Vec<(String, String)>> {
        while let Some(done) = self.set.join_next().await {
            self.keep(done??);
        }
        self.store.close().await;
        Ok(self.ids.unwrap_or_default().into_iter().flatten().collect())
    }

    fn keep(&mut self, (b, ids): (usize, Vec<(String, String)>)) {
        if let Some(all) = &mut self.ids {
            if all.len() <= b {
                all.resize(b + 1, Vec::new());
            }
            all[b] = ids;
        }
    }
}
