//! Bulk import of host-country lists: every row accounted for — registered, matched to a person
//! already registered, sent for review, or rejected with the cell and the reason. A dry run
//! reports without writing. Re-importing the same (or an overlapping) list registers nobody
//! twice, and an interrupted import resumes: each registered row is recorded with the person in
//! the same transaction.
use std::collections::HashMap;

use pulang_domain::{nik::Nik, passport, phone, Validation};
use pulang_import::{Field, Parsed, Row};
use pulang_store::accounts::Site;
use pulang_store::imports::ImportRowRef;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{today, AccessScope, App, AppError, Permission};

/// What will happen (dry run) or happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    Created,
    Matched,
    Review,
    Rejected,
}

#[derive(Debug, Clone, Serialize)]
pub struct RowReport {
    pub sheet: String,
    pub line: usize,
    pub outcome: RowOutcome,
    /// The person registered or matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_number: Option<String>,
    /// Why: `column: code` for rejections, the agreeing identifier for matches, warnings for review.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
    /// An earlier, interrupted import of this file was resumed.
    pub resumed: bool,
    pub site: String,
    pub file_hash: String,
    pub rows: usize,
    pub created: usize,
    pub matched: usize,
    pub review: usize,
    pub rejected: usize,
    /// Rows with no value at all, skipped (not records).
    pub empty_rows: usize,
    pub mappings: Vec<pulang_import::read::SheetSummary>,
    pub items: Vec<RowReport>,
}

/// A past import as listed for the people who may import at its site.
#[derive(Debug, Clone, Serialize)]
pub struct BatchSummary {
    pub id: String,
    pub site: String,
    pub source: String,
    pub file_name: String,
    pub created_by: String,
    pub created_at: i64,
    pub status: String,
    pub rows: u64,
    pub created: u64,
    pub matched: u64,
    pub review: u64,
    pub rejected: u64,
}

impl App {
    /// Imports at the sites where the caller may register people, newest first.
    pub async fn import_batches(&self, scope: &AccessScope) -> Result<Vec<BatchSummary>, AppError> {
        scope.require(Permission::RegisterPerson)?;
        let sites = self.registration_sites(scope).await?;
        let ids: Vec<String> = sites.iter().map(|s| s.id.clone()).collect();
        let batches = self.store.import_batches(&ids).await?;
        Ok(batches
            .into_iter()
            .map(|b| {
                let r: serde_json::Value = b
                    .report
                    .as_deref()
                    .and_then(|j| serde_json::from_str(j).ok())
                    .unwrap_or_default();
                let n = |k: &str| r[k].as_u64().unwrap_or(0);
                BatchSummary {
                    site: crate::people::site_code(&sites, &b.site_id),
                    rows: n("rows"),
                    created: n("created"),
                    matched: n("matched"),
                    review: n("review"),
                    rejected: n("rejected"),
                    id: b.id,
                    source: b.source,
                    file_name: b.file_name,
                    created_by: b.created_by,
                    created_at: b.created_at,
                    status: b.status,
                }
            })
            .collect())
    }
}

/// A field name as used in column overrides (`full_name`, `birth_date`, …, `ignore`).
/// `ignore` maps to `None`: the column is not imported.
pub fn field(name: &str) -> Option<Option<Field>> {
    match Field::parse(name)? {
        Field::Ignore => Some(None),
        f => Some(Some(f)),
    }
}

/// How an import is asked for.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    pub file_name: String,
    pub source: String,
    /// Site code; defaults to the caller's only registration site.
    pub site: Option<String>,
    pub dry_run: bool,
    /// Header → field overrides (`None`: do not import that column).
    pub overrides: Vec<(String, Option<Field>)>,
}

fn rejected(row: &Row, reasons: Vec<String>) -> RowReport {
    RowReport {
        sheet: row.at.sheet.clone(),
        line: row.at.line,
        outcome: RowOutcome::Rejected,
        person_id: None,
        case_number: None,
        reasons,
    }
}

/// Whether two names share a word of two letters or more, ignoring case and accents.
fn names_share_a_word(a: &str, b: &str) -> bool {
    let fa = pulang_domain::text::fold(a);
    let fb = pulang_domain::text::fold(b);
    fa.split(' ')
        .filter(|w| w.len() >= 2)
        .any(|w| fb.split(' ').any(|x| x == w))
}

fn issues(v: &Validation, warnings: bool) -> Vec<String> {
    let list = if warnings { &v.warnings } else { &v.errors };
    list.iter()
        .map(|i| format!("{}: {}", i.field, i.code))
        .collect()
}

impl App {
    /// Imports (or, with `dry_run`, reports on) a list. `progress(done, total)` is called as rows
    /// are processed.
    pub async fn import_list(
        &self,
        scope: &AccessScope,
        bytes: &[u8],
        req: ImportRequest,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<ImportReport, AppError> {
        let filter = scope.require(Permission::RegisterPerson)?;
        let sites = self.sites_cached().await?;
        let site: Site = self
            .pick_site(
                scope,
                &sites,
                req.site.as_deref(),
                Permission::RegisterPerson,
            )?
            .clone();
        let today = today();
        let parsed: Parsed = pulang_import::parse(bytes, &req.overrides, today)
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        let file_hash = hex::encode(Sha256::digest(bytes));
        let source = if req.source.trim().is_empty() {
            req.file_name.clone()
        } else {
            req.source.trim().to_string()
        };
        let mut report = ImportReport {
            dry_run: req.dry_run,
            site: site.code.clone(),
            file_hash: file_hash.clone(),
            rows: parsed.rows.len(),
            empty_rows: parsed.empty_rows,
            mappings: parsed
                .mappings
                .iter()
                .map(pulang_import::read::SheetSummary::from)
                .collect(),
            ..Default::default()
        };
        let batch = if req.dry_run {
            None
        } else {
            let (b, resumed) = self
                .store
                .start_import(
                    &scope.actor(),
                    &site.id,
                    &source,
                    &req.file_name,
                    &file_hash,
                )
                .await?;
            report.resumed = resumed;
            report.batch_id = Some(b.id.clone());
            Some(b)
        };
        let total = parsed.rows.len();
        let mut first_line_of_key: HashMap<String, usize> = HashMap::new();
        for (done, row) in parsed.rows.iter().enumerate() {
            if done % 256 == 0 {
                progress(done, total);
            }
            let item = self
                .import_row(
                    scope,
                    &filter,
                    &site,
                    row,
                    batch.as_ref().map(|b| b.id.as_str()),
                    &mut first_line_of_key,
                )
                .await?;
            match item.outcome {
                RowOutcome::Created => report.created += 1,
                RowOutcome::Matched => report.matched += 1,
                RowOutcome::Review => report.review += 1,
                RowOutcome::Rejected => report.rejected += 1,
            }
            report.items.push(item);
        }
        progress(total, total);
        if let Some(b) = &batch {
            let json = serde_json::to_string(&report).unwrap_or_default();
            self.store
                .finish_import(&scope.actor(), &b.id, &json)
                .await?;
        }
        Ok(report)
    }

    async fn import_row(
        &self,
        scope: &AccessScope,
        filter: &pulang_store::SiteFilter,
        site: &Site,
        row: &Row,
        batch_id: Option<&str>,
        first_line_of_key: &mut HashMap<String, usize>,
    ) -> Result<RowReport, AppError> {
        if !row.issues.is_empty() {
            let reasons = row
                .issues
                .iter()
                .map(|i| format!("{} ({:?}): {}", i.column, i.value, i.code))
                .collect();
            return Ok(rejected(row, reasons));
        }
        let (details, v) = row.person.validate(today());
        let mut v2 = v.clone();
        let encounter = row.encounter.clone();
        let encounter = pulang_domain::EncounterForm {
            site: Some(site.code.clone()),
            arrival_route: encounter.arrival_route.or(Some("other".into())),
            ..encounter
        }
        .validate(today(), Some(&site.code), &mut v2);
        let (Some(details), Some(encounter)) = (details, encounter) else {
            return Ok(rejected(row, issues(&v2, false)));
        };
        if !v2.errors.is_empty() {
            return Ok(rejected(row, issues(&v2, false)));
        }
        let base = RowReport {
            sheet: row.at.sheet.clone(),
            line: row.at.line,
            outcome: RowOutcome::Matched,
            person_id: None,
            case_number: None,
            reasons: vec![],
        };
        // The same row already imported here (this file earlier, or an earlier list).
        if let Some(pid) = self.store.imported_person(&site.id, &row.key).await? {
            let case = self
                .index
                .read()
                .await
                .get(&pid)
                .map(|e| e.case_number.clone());
            return Ok(RowReport {
                person_id: Some(pid),
                case_number: case,
                reasons: vec!["already_imported".into()],
                ..base
            });
        }
        if let Some(first) = first_line_of_key.get(&row.key) {
            return Ok(RowReport {
                reasons: vec![format!("same_as_line {first}")],
                ..base
            });
        }
        // A person already registered with the same NIK, passport or phone.
        let mut agree = Vec::new();
        if let Some(n) = details.nik.as_deref().and_then(|n| Nik::parse(n).ok()) {
            for id in self.store.lookup(filter, "nik", n.as_str()).await? {
                agree.push((id, "nik"));
            }
        }
        if let Some(p) = details
            .passport_no
            .as_deref()
            .and_then(|p| passport::normalize(p).ok())
        {
            for id in self.store.lookup(filter, "passport", &p).await? {
                agree.push((id, "passport_no"));
            }
        }
        for p in details
            .phones
            .iter()
            .filter_map(|p| phone::normalize(p).ok())
        {
            for id in self.store.lookup(filter, "phone", &p).await? {
                agree.push((id, "phone"));
            }
        }
        if let Some((pid, _)) = agree.first() {
            let pid = pid.clone();
            let mut reasons: Vec<String> = agree
                .iter()
                .filter(|(i, _)| *i == pid)
                .map(|(_, k)| format!("same_{k}"))
                .collect();
            reasons.dedup();
            let (case, their_name) = match self.index.read().await.get(&pid) {
                Some(e) => (Some(e.case_number.clone()), e.full_name.clone()),
                None => (None, String::new()),
            };
            // An identifier alone is not enough (phones are shared and passed on, NIKs are
            // mistyped): the names must share a word too, or a person decides.
            let outcome = if names_share_a_word(&details.full_name, &their_name) {
                RowOutcome::Matched
            } else {
                reasons.push("different_name".into());
                RowOutcome::Review
            };
            return Ok(RowReport {
                outcome,
                person_id: Some(pid),
                case_number: case,
                reasons,
                ..base
            });
        }
        if !v.warnings.is_empty() {
            return Ok(RowReport {
                outcome: RowOutcome::Review,
                reasons: issues(&v, true),
                ..base
            });
        }
        first_line_of_key.insert(row.key.clone(), row.at.line);
        let Some(batch_id) = batch_id else {
            return Ok(RowReport {
                outcome: RowOutcome::Created,
                ..base
            });
        };
        let tag = ImportRowRef {
            batch_id: batch_id.to_string(),
            row_key: row.key.clone(),
            line: row.at.line as i64,
        };
        let rec = self
            .store
            .register_person_from(&scope.actor(), site, details, encounter, Some(tag))
            .await?;
        self.index_record(&rec).await;
        Ok(RowReport {
            outcome: RowOutcome::Created,
            person_id: Some(rec.id),
            case_number: Some(rec.case_number),
            ..base
        })
    }
}
