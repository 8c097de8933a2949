//! Loads a synthetic surge (`pulang-demo`) into a register: the sites, the arrival groups, every
//! arrival registered at the desk with its ticket and triage flags, the duplicates registered in
//! the rush and queued for review, the host police's lists imported, screenings in progress and
//! signed, and the milestones reached. For `pulang demo` and `pulang serve --demo`.
use pulang_demo::{ScreeningPlan, Surge};
use pulang_domain::{AuditAction, ReviewOrigin};
use pulang_store::people::Intake;
use serde::Serialize;
use tokio::task::JoinSet;

use crate::{AccessScope, App, AppError, Permission};

/// What was loaded.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SurgeLoaded {
    pub people: usize,
    pub groups: usize,
    pub duplicates_queued: usize,
    pub police_lists: usize,
    pub police_rows: usize,
    pub screenings_signed: usize,
    pub screenings_draft: usize,
    pub milestones: usize,
    /// The demo caseworker's password (printed once), when the user was created now.
    pub password: Option<String>,
}

/// Writes in flight at once: enough for the store's group commit to batch them.
const IN_FLIGHT: usize = 256;

async fn drain<T: 'static>(
    set: &mut JoinSet<Result<T, AppError>>,
    out: &mut Vec<T>,
) -> Result<(), AppError> {
    while let Some(r) = set.join_next().await {
        out.push(r.map_err(|e| AppError::internal(format!("task failed: {e}")))??);
    }
    Ok(())
}

impl App {
    /// Loads the surge generated for `seed` at `scale` (1.0 = the 1,440 arrivals of January
    /// 2026). Returns `None` when the demo sites exist already (nothing is added twice).
    pub async fn seed_surge(
        &self,
        scope: &AccessScope,
        seed: u64,
        scale: f64,
        progress: &(dyn Fn(&str, usize, usize) + Send + Sync),
    ) -> Result<Option<SurgeLoaded>, AppError> {
        scope.require(Permission::ManageSites)?;
        let existing = self.sites_cached().await?;
        if existing.iter().any(|s| s.code == pulang_demo::SITES[0].0) {
            return Ok(None);
        }
        for (code, name) in pulang_demo::SITES {
            let tz = if code.ends_with("YGN") {
                "Asia/Yangon"
            } else {
                "Asia/Phnom_Penh"
            };
            self.add_site(scope, code, &format!("{name} (demo)"), tz)
                .await?;
        }
        let surge: Surge = tokio::task::spawn_blocking(move || {
            pulang_demo::surge(seed, scale, pulang_demo::JANUARY_2026)
        })
        .await
        .map_err(|e| AppError::internal(format!("generator failed: {e}")))?;
        let sites = self.sites_cached().await?;
        let site_of = |code: &str| sites.iter().find(|s| s.code == code).cloned();
        let mut loaded = SurgeLoaded::default();

        // Groups.
        let mut group_ids: Vec<String> = Vec::with_capacity(surge.groups.len());
        for g in &surge.groups {
            let site = site_of(&g.site).ok_or(AppError::NotFound)?;
            let made = self
                .store
                .create_group(&scope.actor(), &site.id, &g.name, g.kind, g.date)
                .await?;
            group_ids.push(made.id);
        }
        loaded.groups = group_ids.len();

        // Arrivals, in order, a few hundred in flight at once.
        let total = surge.arrivals.len();
        let mut person_ids: Vec<Option<String>> = vec![None; total];
        let mut set: JoinSet<Result<(usize, String), AppError>> = JoinSet::new();
        let mut done: Vec<(usize, String)> = Vec::new();
        for (i, a) in surge.arrivals.iter().enumerate() {
            let (details, mut v) = a.person.validate(surge.as_of);
            let enc = a.encounter.validate(surge.as_of, None, &mut v);
            let (Some(details), Some(enc)) = (details, enc) else {
                continue;
            };
            let Some(site) = site_of(&enc.site) else {
                continue;
            };
            let intake = Intake {
                group_id: a.group.and_then(|g| group_ids.get(g).cloned()),
                ticket: true,
                flags: a.triage.clone(),
                from_import: None,
            };
            let (app, actor) = (self.clone(), scope.actor());
            set.spawn(async move {
                let r = app
                    .store
                    .register_person_with(&actor, &site, details, enc, intake)
                    .await?;
                app.caught_up().await;
                Ok((i, r.record.id))
            });
            if set.len() >= IN_FLIGHT {
                drain(&mut set, &mut done).await?;
                progress("registering arrivals", i + 1, total);
            }
        }
        drain(&mut set, &mut done).await?;
        progress("registering arrivals", total, total);
        for (i, id) in done.drain(..) {
            person_ids[i] = Some(id);
        }
        loaded.people = person_ids.iter().flatten().count();

        // The duplicates registered in the rush go to the review queue with their original.
        for (i, a) in surge.arrivals.iter().enumerate() {
            if let (Some(orig), Some(id)) = (a.duplicate_of, &person_ids[i]) {
                if person_ids.get(orig).and_then(|x| x.as_ref()).is_some() {
                    let rec = self
                        .store
                        .read_person(
                            &scope.actor(),
                            &pulang_store::SiteFilter::All,
                            id,
                            AuditAction::PersonReadForDemo,
                        )
                        .await?;
                    loaded.duplicates_queued += self
                        .queue_candidates(
                            &rec,
                            ReviewOrigin::Intake,
                            &pulang_store::SiteFilter::All,
                        )
                        .await?;
                }
            }
        }

        // Screenings and milestones.
        let mut set: JoinSet<Result<(bool, bool, usize), AppError>> = JoinSet::new();
        let mut results = Vec::new();
        for (i, a) in surge.arrivals.iter().enumerate() {
            let Some(id) = person_ids[i].clone() else {
                continue;
            };
            let (plan, milestones) = (a.screening.clone(), a.milestones.clone());
            if matches!(plan, ScreeningPlan::None) && milestones.is_empty() {
                continue;
            }
            let (app, scope2) = (self.clone(), scope.clone());
            set.spawn(async move {
                let (mut signed, mut draft) = (false, false);
                if let Some(input) = plan.input() {
                    let sign = matches!(plan, ScreeningPlan::Signed(_));
                    let rec = app.start_screening(&scope2, &id).await?;
                    app.save_screening(&scope2, &rec.id, input.clone(), sign)
                        .await?;
                    signed = sign;
                    draft = !sign;
                }
                for (m, on) in &milestones {
                    app.store
                        .set_milestone(
                            &scope2.actor(),
                            &pulang_store::SiteFilter::All,
                            &id,
                            *m,
                            Some(*on),
                        )
                        .await?;
                }
                Ok((signed, draft, milestones.len()))
            });
            if set.len() >= IN_FLIGHT {
                drain(&mut set, &mut results).await?;
                progress("screenings and milestones", i + 1, total);
            }
        }
        drain(&mut set, &mut results).await?;
        for (s, d, m) in results {
            loaded.screenings_signed += usize::from(s);
            loaded.screenings_draft += usize::from(d);
            loaded.milestones += m;
        }

        // The police's lists, imported as they came: most rows find the person registered at
        // the desk; the rest are the lists' own errors and people who never arrived.
        for (k, list) in surge.police_lists.iter().enumerate() {
            let site = surge
                .groups
                .get(list.group)
                .map(|g| g.site.clone())
                .unwrap_or_else(|| pulang_demo::SITES[0].0.to_string());
            let report = self
                .import_list(
                    scope,
                    list.csv.as_bytes(),
                    crate::import::ImportRequest {
                        file_name: list.file_name.clone(),
                        source: "Host police hand-over list".into(),
                        site: Some(site),
                        dry_run: false,
                        overrides: vec![],
                    },
                    &|_, _| {},
                )
                .await?;
            loaded.police_lists += 1;
            loaded.police_rows += report.rows;
            progress("importing police lists", k + 1, surge.police_lists.len());
        }

        // A caseworker for both sites, to try everything but administration.
        let password = crate::auth::random_token()[..16].to_string();
        let mut created = false;
        for (code, _) in pulang_demo::SITES {
            match self
                .add_user(
                    scope,
                    "demo",
                    &password,
                    pulang_domain::Role::Caseworker,
                    Some(code),
                )
                .await
            {
                Ok(_) => created = true,
                Err(AppError::Conflict(_)) => {
                    // Second site: grant the existing demo user there too.
                    self.grant_role(scope, "demo", pulang_domain::Role::Caseworker, Some(code))
                        .await?;
                }
                Err(e) => return Err(e),
            }
        }
        loaded.password = created.then_some(password);
        Ok(Some(loaded))
    }
}
