//! Bulk import of host-country lists: every row accounted for — registered, matched to a person
//! already registered, sent for review, or rejected with the cell and the reason. A dry run
//! reports without writing. Re-importing the same (or an overlapping) list registers nobody
//! twice, and an interrupted import resumes: each row's writes (the person, the import row, the
//! review pairs) are one transaction.
//!
//! Rows are handled in chunks. A chunk is classified in memory — by the matching engine against
//! the register (in parallel) and against the rows this import registered before it — and then
//! its writes are issued together, so that the store's writer commits them in a few group
//! commits instead of one fsync per row.
use std::collections::{HashMap, HashSet};

use pulang_domain::{EncounterDetails, ImportStatus, PersonDetails, Validation};
use pulang_import::{Field, Parsed, Row};
use pulang_matching::RawRecord;
use pulang_store::accounts::Site;
use pulang_store::imports::{ImportReview, ImportRowRef, ImportWrite, ImportWritten};
use pulang_store::people::PersonRecord;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::identity::{reasons_of, Reason, IMPORT_MATCH_MIN, REVIEW_MIN};
use crate::index::{raw_record, Entry, NameIndex};
use crate::{today, AccessScope, App, AppError, Permission};

pub use pulang_store::imports::RevertReport;

/// Rows classified and written together. Big enough that the writer commits a chunk in a few
/// group commits; small enough that progress moves and an interrupted import loses little work.
const CHUNK: usize = 512;
/// Candidates read per row, from the register and from the list itself.
const CANDIDATES: usize = 6;
/// The candidates [`decide`] looks at: the likely ones, and unlikely ones that share an
/// identifier. Asking for no more lets the engine skip most name comparisons.
const WANT: pulang_matching::Want = pulang_matching::Want {
    limit: CANDIDATES,
    min_probability: REVIEW_MIN,
    same_identifier: true,
    from_slot: 0,
};
/// Identifier fields of the matching engine: an exact one sends a row to review even when the
/// engine's score is low (phones are shared and passed on, NIKs are mistyped: a person decides).
const IDENTIFIERS: [&str; 3] = ["nik", "passport", "phone"];

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
    /// The best candidate's match probability (matched and review rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Review rows: the case number of the person the row may be (the row itself was registered
    /// as `case_number`). Absent in a dry run when the candidate is another row of the list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_case_number: Option<String>,
    /// Why: `column: code` for rejections; for matches and reviews `score 0.997`, the candidate,
    /// then each field's comparison (`name: exact`, `birth_date: near`, …); warnings.
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
    pub status: ImportStatus,
    pub rows: u64,
    pub created: u64,
    pub matched: u64,
    pub review: u64,
    pub rejected: u64,
}

impl App {
    /// Imports at the sites where the caller may register people, newest first.
    pub async fn import_batches(&self, scope: &AccessScope) -> Result<Vec<BatchSummary>, AppError> {
        let filter = scope.require(Permission::RegisterPerson)?;
        let sites = self.sites_cached().await?;
        let batches = self.store.import_batches(&filter).await?;
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
        probability: None,
        candidate_case_number: None,
        reasons,
    }
}

/// Two rows with the same content are not necessarily one person: a list that says only
/// "SITI, P" twice names two women. Each repeat gets a key of its own (`key#2`, `key#3`, …), so
/// every row is registered or matched on its merits (the matching engine still links repeats
/// that carry enough to be sure), and importing the same file again still finds each row.
fn number_repeated_rows(rows: &mut [Row]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in rows {
        let n = seen.entry(r.key.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            r.key = format!("{}#{n}", r.key);
        }
    }
}

/// Replaces each row's content digest (unkeyed, computed by the import crate) with the key
/// stored in `import_rows`: keyed with the key file, so that the database alone cannot confirm
/// a guess of who was on a list. Done once, after [`number_repeated_rows`]: every comparison
/// with the rows imported before is between keyed keys.
fn key_rows(keys: &pulang_store::Keyring, rows: &mut [Row]) {
    for r in rows {
        r.key = keys.import_row_key(&r.key);
    }
}

fn issues(v: &Validation, warnings: bool) -> Vec<String> {
    let list = if warnings { &v.warnings } else { &v.errors };
    list.iter()
        .map(|i| format!("{}: {}", i.field, i.code))
        .collect()
}

/// Who a candidate is.
#[derive(Debug, Clone, PartialEq)]
enum Who {
    /// A person in the register.
    Person { id: String, case_number: String },
    /// An earlier row of this list that this import registers (index into the parsed rows).
    Row(usize),
}

#[derive(Debug, Clone)]
struct Cand {
    who: Who,
    probability: f64,
    reasons: Vec<Reason>,
}

impl Cand {
    fn level(&self, field: &str) -> Option<&str> {
        self.reasons
            .iter()
            .find(|r| r.field == field)
            .map(|r| r.level.as_str())
    }
}

/// What to do with a row.
#[derive(Debug)]
enum Plan {
    /// Rejected: nothing to write.
    Rejected(Vec<String>),
    /// Imported before at this site (an earlier list, or an interrupted run of this one).
    Already(String),
    /// The same content as an earlier row of this list (its index): nothing to write.
    Same(usize),
    Create,
    Match(Cand),
    /// Registered as new, with pairs queued for review with `cands` (best first).
    Review {
        cands: Vec<Cand>,
        why: Vec<String>,
    },
}

/// A row that passed validation, ready to classify and write.
struct Valid {
    details: PersonDetails,
    encounter: EncounterDetails,
    warnings: Vec<String>,
    rec: RawRecord,
}

struct Item {
    /// Index into the parsed rows.
    idx: usize,
    plan: Plan,
    valid: Option<Valid>,
    /// The match added an arrival after the person had gone home (possible re-trafficking).
    flagged: bool,
}

/// What classifying needs to remember of the rows before.
struct Classifier {
    /// Row key → person, for every row imported at the site before this import started.
    imported: HashMap<String, String>,
    /// Row key → the first row of this list with it.
    first_of_key: HashMap<String, usize>,
    /// Moved to the blocking pool for each chunk.
    matching: OwnRows,
}

/// The matching state of an import: its own rows, and which register entries are its own.
struct OwnRows {
    /// The rows this import registers (or would, in a dry run): the same person twice in one
    /// list is found here. Slot `i` is row `rows[i]`.
    index: pulang_matching::Index,
    rows: Vec<usize>,
    /// People this import registered: left out of register look-ups, as `index` covers them
    /// (a dry run and the real import then classify alike).
    mine: HashSet<String>,
    /// When the import started (Unix ms): people registered before cannot be in `mine`, which
    /// spares hashing every candidate's id.
    started: i64,
}

impl OwnRows {
    fn new() -> OwnRows {
        OwnRows {
            index: pulang_matching::Index::new(crate::index::ref_year()),
            rows: Vec::new(),
            mine: HashSet::new(),
            started: crate::now_ms() - 1,
        }
    }

    fn cands(&self, found: Vec<pulang_matching::Candidate>) -> impl Iterator<Item = Cand> + '_ {
        found.into_iter().map(|c| Cand {
            who: Who::Row(self.rows[c.slot as usize]),
            probability: c.probability,
            reasons: reasons_of(&c.reasons),
        })
    }
}

/// The people the rows registered or matched.
struct Persons<'a> {
    rows: &'a [Row],
    /// Row → (person id, case number).
    person_of: HashMap<usize, (String, String)>,
}

impl Classifier {
    fn precheck(&mut self, rows: &[Row], idx: usize, site: &Site, today: time::Date) -> Item {
        let row = &rows[idx];
        let item = |plan| Item {
            idx,
            plan,
            valid: None,
            flagged: false,
        };
        if !row.issues.is_empty() {
            let reasons = row
                .issues
                .iter()
                .map(|i| format!("{} ({:?}): {}", i.column, i.value, i.code))
                .collect();
            return item(Plan::Rejected(reasons));
        }
        let (details, v) = row.person.validate(today);
        let mut v2 = v.clone();
        let encounter = row.encounter.clone();
        let encounter = pulang_domain::EncounterForm {
            site: Some(site.code.clone()),
            arrival_route: encounter.arrival_route.or(Some("other".into())),
            ..encounter
        }
        .validate(today, Some(&site.code), &mut v2);
        let (Some(details), Some(encounter)) = (details, encounter) else {
            return item(Plan::Rejected(issues(&v2, false)));
        };
        if !v2.errors.is_empty() {
            return item(Plan::Rejected(issues(&v2, false)));
        }
        if let Some(pid) = self.imported.get(&row.key) {
            return item(Plan::Already(pid.clone()));
        }
        if let Some(&first) = self.first_of_key.get(&row.key) {
            return item(Plan::Same(first));
        }
        self.first_of_key.insert(row.key.clone(), idx);
        Item {
            idx,
            plan: Plan::Create,
            valid: Some(Valid {
                rec: raw_record("", &details),
                details,
                encounter,
                warnings: issues(&v, true),
            }),
            flagged: false,
        }
    }
}

impl Persons<'_> {
    /// The person a candidate is, once known (a row of this list: once it is written).
    fn person(&self, who: &Who) -> Option<(String, String)> {
        match who {
            Who::Person { id, case_number } => Some((id.clone(), case_number.clone())),
            Who::Row(j) => self.person_of.get(j).cloned(),
        }
    }

    /// How a report names a candidate: its case number, or the line of the list.
    fn name(&self, who: &Who) -> String {
        match self.person(who) {
            Some((_, case)) => case,
            None => match who {
                Who::Row(j) => format!("line {}", self.rows[*j].at.line),
                Who::Person { case_number, .. } => case_number.clone(),
            },
        }
    }
}

/// Decides a valid row from its candidates (best first).
fn decide(cands: Vec<Cand>) -> Plan {
    let Some(best) = cands.first() else {
        return Plan::Create;
    };
    if best.probability >= IMPORT_MATCH_MIN && best.level("name") != Some("different") {
        return Plan::Match(best.clone());
    }
    if best.probability >= REVIEW_MIN {
        // A near-certain score on identifiers alone, with names that share nothing, is not
        // taken on trust.
        let why = if best.probability >= IMPORT_MATCH_MIN {
            vec!["different_name".to_string()]
        } else {
            Vec::new()
        };
        let cands = cands
            .into_iter()
            .filter(|c| c.probability >= REVIEW_MIN)
            .collect();
        return Plan::Review { cands, why };
    }
    let same: Vec<Cand> = cands
        .into_iter()
        .filter(|c| IDENTIFIERS.iter().any(|f| c.level(f) == Some("exact")))
        .collect();
    match same.first() {
        None => Plan::Create,
        Some(c) => {
            let why = IDENTIFIERS
                .iter()
                .filter(|f| c.level(f) == Some("exact"))
                .map(|f| format!("same_{f}"))
                .collect();
            Plan::Review { cands: same, why }
        }
    }
}

/// `score 0.997`: truncated, so that 0.9996 does not read as certain.
fn score(p: f64) -> String {
    format!("score {:.3}", (p * 1000.0).floor() / 1000.0)
}

fn field_reasons(c: &Cand) -> impl Iterator<Item = String> + '_ {
    c.reasons
        .iter()
        .map(|r| format!("{}: {}", r.field, r.level))
}

impl App {
    /// Imports (or, with `dry_run`, reports on) a list. `progress(done, total)` is called as rows
    /// are processed.
    /// Parses a list off the async workers, a few at a time: a hostile XLSX (a small file that
    /// unpacks to hundreds of megabytes of XML) must not stall every other request while it is
    /// read. Beyond a minute's wait for a free parser the caller is told to retry.
    async fn parse_list(
        &self,
        bytes: &[u8],
        overrides: &[(String, Option<Field>)],
        today: time::Date,
    ) -> Result<Parsed, AppError> {
        let permit = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            self.parsers.clone().acquire_owned(),
        )
        .await
        .map_err(|_| AppError::Throttled {
            retry_after_secs: 10,
        })?
        .map_err(AppError::internal)?;
        let (bytes, overrides) = (bytes.to_vec(), overrides.to_vec());
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            pulang_import::parse(&bytes, &overrides, today)
        })
        .await
        .map_err(AppError::internal)?
        .map_err(|e| AppError::BadRequest(e.to_string()))
    }

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
        let mut parsed: Parsed = self.parse_list(bytes, &req.overrides, today).await?;
        number_repeated_rows(&mut parsed.rows);
        key_rows(self.store.keys(), &mut parsed.rows);
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
        let mut cls = Classifier {
            imported: self.store.imported_rows(&filter, &site.id).await?,
            first_of_key: HashMap::new(),
            matching: OwnRows::new(),
        };
        let mut persons = Persons {
            rows: &parsed.rows,
            person_of: HashMap::new(),
        };
        let total = parsed.rows.len();
        progress(0, total);
        // The writes of one chunk go on while the next is classified (the writer works on its
        // own thread; classifying uses the cores). A chunk's people reach the register index,
        // and `mine`, only once both are done, so classification sees a consistent register.
        let mut written: Option<Vec<Item>> = None;
        let mut starts = (0..total).step_by(CHUNK).peekable();
        while starts.peek().is_some() || written.is_some() {
            let mut items: Vec<Item> = match starts.next() {
                Some(start) => (start..(start + CHUNK).min(total))
                    .map(|i| cls.precheck(&parsed.rows, i, &site, today))
                    .collect(),
                None => Vec::new(),
            };
            let mut done = written.take();
            let (classified, registered) =
                tokio::join!(self.classify(&filter, &mut cls, &mut items), async {
                    match (&batch, done.as_mut()) {
                        (Some(b), Some(chunk)) => {
                            self.write_chunk(scope, &site, &b.id, &mut persons, chunk)
                                .await
                        }
                        _ => Ok(Vec::new()),
                    }
                });
            classified?;
            let registered = registered?;
            cls.matching
                .mine
                .extend(registered.iter().map(|r| r.id.clone()));
            if !registered.is_empty() {
                self.caught_up().await;
            }
            if batch.is_none() {
                // Nothing to write: report at once.
                done = Some(std::mem::take(&mut items));
            } else if !items.is_empty() {
                written = Some(items);
            }
            if let Some(chunk) = done.filter(|c| !c.is_empty()) {
                // Rows matched to the register are known without writing (a dry run too): a
                // later identical row names the same person.
                for item in &chunk {
                    if let Plan::Match(c) = &item.plan {
                        if let Some(p) = persons.person(&c.who) {
                            persons.person_of.entry(item.idx).or_insert(p);
                        }
                    }
                }
                let index = self.index.read().await;
                for item in &chunk {
                    let r = persons.report(&index, item);
                    match r.outcome {
                        RowOutcome::Created => report.created += 1,
                        RowOutcome::Matched => report.matched += 1,
                        RowOutcome::Review => report.review += 1,
                        RowOutcome::Rejected => report.rejected += 1,
                    }
                    report.items.push(r);
                }
                drop(index);
                progress(report.items.len(), total);
            }
        }
        if let Some(b) = &batch {
            let json = serde_json::to_string(&report).unwrap_or_default();
            self.store
                .finish_import(&scope.actor(), &b.id, &json)
                .await?;
        }
        Ok(report)
    }

    /// Classifies the valid rows of a chunk, on the blocking pool (the writes of the chunk
    /// before go on meanwhile). Each row's candidates come from the register and from this
    /// import's rows before it: those of earlier chunks are looked up in parallel with the
    /// register, those of this chunk in order, as each row may be the one before it.
    async fn classify(
        &self,
        filter: &pulang_store::SiteFilter,
        cls: &mut Classifier,
        items: &mut [Item],
    ) -> Result<(), AppError> {
        let recs: Vec<(usize, RawRecord)> = items
            .iter()
            .enumerate()
            .filter_map(|(k, it)| it.valid.as_ref().map(|v| (k, v.rec.clone())))
            .collect();
        if recs.is_empty() {
            return Ok(());
        }
        let rows: Vec<usize> = items.iter().map(|it| it.idx).collect();
        let app = self.clone();
        let filter = filter.clone();
        // Taken for the blocking task and put back after it (a panic there is re-raised).
        let mut own = std::mem::replace(&mut cls.matching, OwnRows::new());
        let (plans, own) = tokio::task::spawn_blocking(move || {
            let index = app.index.blocking_read();
            let (started, mine) = (own.started, &own.mine);
            let keep = |e: &Entry| e.created_at < started || !mine.contains(&e.id);
            let earlier = &own.index;
            let found: Vec<(Vec<Cand>, Vec<pulang_matching::Candidate>)> = recs
                .par_iter()
                .map(|(_, r)| {
                    let reg = register_candidates(&index, &filter, r, &keep);
                    (reg, earlier.query_with(r, &WANT, &|_| true).0)
                })
                .collect();
            drop(index);
            let chunk_start = own.index.len() as u32;
            let this_chunk = pulang_matching::Want {
                from_slot: chunk_start,
                ..WANT
            };
            let mut plans = Vec::with_capacity(recs.len());
            for ((k, r), (mut cands, earlier)) in recs.into_iter().zip(found) {
                cands.extend(own.cands(earlier));
                let now = own.index.query_with(&r, &this_chunk, &|_| true).0;
                cands.extend(own.cands(now));
                cands.sort_by(|a, b| b.probability.total_cmp(&a.probability));
                cands.truncate(CANDIDATES);
                let plan = decide(cands);
                if matches!(plan, Plan::Create | Plan::Review { .. }) {
                    own.index.insert(&r);
                    own.rows.push(rows[k]);
                }
                plans.push((k, plan));
            }
            (plans, own)
        })
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        cls.matching = own;
        for (k, plan) in plans {
            items[k].plan = plan;
        }
        Ok(())
    }

    /// Writes a chunk's rows in one store call (one transaction, multi-row inserts). A row that
    /// refers to another row of the chunk (the same person twice; a review pair) waits for that
    /// row's person to exist: rows go out in waves, usually one or two per chunk.
    async fn write_chunk(
        &self,
        scope: &AccessScope,
        site: &Site,
        batch_id: &str,
        run: &mut Persons<'_>,
        items: &mut [Item],
    ) -> Result<Vec<PersonRecord>, AppError> {
        let deps = |p: &Plan| -> Vec<usize> {
            let cands: &[Cand] = match p {
                Plan::Match(c) => std::slice::from_ref(c),
                Plan::Review { cands, .. } => cands,
                _ => &[],
            };
            cands
                .iter()
                .filter_map(|c| match c.who {
                    Who::Row(j) => Some(j),
                    Who::Person { .. } => None,
                })
                .collect()
        };
        let mut pending: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, it)| {
                matches!(it.plan, Plan::Create | Plan::Match(_) | Plan::Review { .. })
            })
            .map(|(k, _)| k)
            .collect();
        let actor = scope.actor();
        let mut registered = Vec::new();
        while !pending.is_empty() {
            let (ready, waiting): (Vec<usize>, Vec<usize>) = pending.into_iter().partition(|&k| {
                deps(&items[k].plan)
                    .iter()
                    .all(|j| run.person_of.contains_key(j))
            });
            // Rows only ever refer to earlier rows, so each wave has at least one ready row.
            assert!(!ready.is_empty(), "import rows wait on each other");
            let mut writes = Vec::with_capacity(ready.len());
            for &k in &ready {
                let it = &items[k];
                let row = &run.rows[it.idx];
                let v = it.valid.as_ref().expect("rows to write are valid");
                let mut tag = ImportRowRef {
                    batch_id: batch_id.to_string(),
                    row_key: row.key.clone(),
                    line: row.at.line as i64,
                    review: Vec::new(),
                };
                let (details, encounter) = (v.details.clone(), v.encounter.clone());
                writes.push(match &it.plan {
                    Plan::Match(c) => ImportWrite::Match {
                        person_id: run.person(&c.who).expect("resolved above").0,
                        encounter,
                        row: tag,
                    },
                    Plan::Review { cands, .. } => {
                        tag.review = cands
                            .iter()
                            .filter_map(|c| {
                                Some(ImportReview {
                                    person_id: run.person(&c.who)?.0,
                                    probability: c.probability,
                                    reasons_json: serde_json::to_string(&c.reasons)
                                        .unwrap_or_else(|_| "[]".into()),
                                })
                            })
                            .collect();
                        ImportWrite::Register {
                            details,
                            encounter,
                            row: tag,
                        }
                    }
                    _ => ImportWrite::Register {
                        details,
                        encounter,
                        row: tag,
                    },
                });
            }
            // One transaction for the wave: committed whole or not at all.
            let written = self.store.write_import_rows(&actor, site, writes).await?;
            for (k, w) in ready.into_iter().zip(written) {
                let it = &mut items[k];
                match w {
                    ImportWritten::Registered(rec) => {
                        run.person_of
                            .insert(it.idx, (rec.id.clone(), rec.case_number.clone()));
                        registered.push(*rec);
                    }
                    ImportWritten::Matched { flagged } => {
                        it.flagged = flagged;
                        if let Plan::Match(c) = &it.plan {
                            if let Some(p) = run.person(&c.who) {
                                run.person_of.insert(it.idx, p);
                            }
                        }
                    }
                }
            }
            pending = waiting;
        }
        Ok(registered)
    }

    /// Reverts an import batch (administrators): removes the people it registered unless work
    /// was done on them since, forgets its matches, and marks it reverted. Importing the same
    /// list again afterwards registers its rows anew.
    pub async fn revert_import(
        &self,
        scope: &AccessScope,
        batch_id: &str,
    ) -> Result<RevertReport, AppError> {
        let filter = scope.require(Permission::RevertImport)?;
        let report = self
            .store
            .revert_import(&scope.actor(), &filter, batch_id.trim())
            .await
            .map_err(|e| match e {
                // "already reverted", said as is.
                pulang_store::StoreError::Conflict(why) => AppError::Conflict(why),
                other => other.into(),
            })?;
        self.caught_up().await;
        Ok(report)
    }
}

/// A row's candidates in the register, best first.
fn register_candidates(
    index: &NameIndex,
    filter: &pulang_store::SiteFilter,
    rec: &RawRecord,
    keep: &(dyn Fn(&Entry) -> bool + Sync),
) -> Vec<Cand> {
    index
        .possible_matches_where(filter, rec, &WANT, keep)
        .into_iter()
        .map(|(e, c)| Cand {
            who: Who::Person {
                id: e.id.clone(),
                case_number: e.case_number.clone(),
            },
            probability: c.probability,
            reasons: reasons_of(&c.reasons),
        })
        .collect()
}

impl Persons<'_> {
    /// The report of a row, once written (or classified, in a dry run).
    fn report(&self, index: &NameIndex, item: &Item) -> RowReport {
        let run = self;
        let row = &run.rows[item.idx];
        let mut r = RowReport {
            sheet: row.at.sheet.clone(),
            line: row.at.line,
            outcome: RowOutcome::Matched,
            person_id: None,
            case_number: None,
            probability: None,
            candidate_case_number: None,
            reasons: Vec::new(),
        };
        let warnings = || item.valid.iter().flat_map(|v| v.warnings.iter().cloned());
        let own = run.person_of.get(&item.idx).cloned();
        match &item.plan {
            Plan::Rejected(reasons) => return rejected(row, reasons.clone()),
            Plan::Already(pid) => {
                r.case_number = index.get(pid).map(|e| e.case_number.clone());
                r.person_id = Some(pid.clone());
                r.reasons.push("already_imported".into());
            }
            Plan::Same(first) => {
                (r.person_id, r.case_number) = run.person_of.get(first).cloned().unzip();

                r.reasons
                    .push(format!("same_as_line {}", run.rows[*first].at.line));
            }
            Plan::Create => {
                r.outcome = RowOutcome::Created;
                (r.person_id, r.case_number) = own.unzip();
                r.reasons.extend(warnings());
            }
            Plan::Match(c) => {
                (r.person_id, r.case_number) = run.person(&c.who).unzip();
                r.probability = Some(c.probability);
                r.reasons.push(score(c.probability));
                if let Who::Row(j) = c.who {
                    r.reasons
                        .push(format!("same_person_as_line {}", run.rows[j].at.line));
                }
                r.reasons.extend(field_reasons(c));
                if item.flagged {
                    r.reasons.push("arrived_again_after_return".into());
                }
                r.reasons.extend(warnings());
            }
            Plan::Review { cands, why } => {
                r.outcome = RowOutcome::Review;
                (r.person_id, r.case_number) = own.unzip();
                r.reasons.extend(why.iter().cloned());
                if let Some(best) = cands.first() {
                    r.probability = Some(best.probability);
                    r.candidate_case_number = run.person(&best.who).map(|p| p.1);
                    r.reasons.push(score(best.probability));
                    r.reasons.push(format!("candidate {}", run.name(&best.who)));
                    r.reasons.extend(field_reasons(best));
                    for c in &cands[1..] {
                        r.reasons.push(format!(
                            "also {} {}",
                            run.name(&c.who),
                            score(c.probability)
                        ));
                    }
                }
                r.reasons.extend(warnings());
            }
        }
        r
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // the tests act as the local operator
mod tests {
    use super::*;
    use crate::DataConfig;

    async fn open() -> (tempfile::TempDir, App, AccessScope) {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(&DataConfig {
            data_dir: dir.path().into(),
            database_url: None,
        })
        .await
        .unwrap()
        .app;
        let op = AccessScope::local_operator();
        app.add_site(&op, "PNH", "KBRI Phnom Penh", "Asia/Phnom_Penh")
            .await
            .unwrap();
        (dir, app, op)
    }

    fn req(dry_run: bool) -> ImportRequest {
        ImportRequest {
            file_name: "police.csv".into(),
            source: "police".into(),
            dry_run,
            ..Default::default()
        }
    }

    fn outcomes(r: &ImportReport) -> Vec<RowOutcome> {
        r.items.iter().map(|i| i.outcome).collect()
    }

    /// A made-up name, different for every `n` below 70³.
    fn word(n: usize) -> String {
        const C: &[u8] = b"bdghklmnprstwy";
        const V: &[u8] = b"aiueo";
        let mut w = String::new();
        let mut n = n;
        for _ in 0..3 {
            w.push(C[(n % 70) / 5] as char);
            w.push(V[n % 5] as char);
            n /= 70;
        }
        w
    }

    #[tokio::test]
    async fn the_same_person_across_chunks_and_within_one() {
        let (_dir, app, op) = open().await;
        let n = CHUNK * 2 + 100;
        let mut csv = String::from("Nama,Tgl Lahir,L/P,No HP\n");
        let person = |i: usize| {
            (
                format!("{} {}", word(i), word(i * 7919 % 343_000 + 1)),
                format!("19{:02}-{:02}-{:02}", 60 + i % 40, 1 + i % 12, 1 + i % 28),
                format!("0812{:08}", 3_000_000 + i * 7),
            )
        };
        for i in 0..n {
            // Row CHUNK + 20 is row 10 again (an earlier chunk); row 30 is row 25 again (the
            // same chunk: written after it); both written differently, so not the same content.
            let j = match i {
                i if i == CHUNK + 20 => 10,
                30 => 25,
                i => i,
            };
            let (name, birth, phone) = person(j);
            let (name, birth) = if j != i {
                let (y, rest) = birth.split_at(4);
                let (m, d) = (&rest[1..3], &rest[4..6]);
                // Family name first.
                let (a, b) = name.split_once(' ').expect("two words");
                (format!("{b} {a}"), format!("{d}/{m}/{y}"))
            } else {
                (name, birth)
            };
            csv.push_str(&format!("{name},{birth},L,{phone}\n"));
        }
        let dry = app
            .import_list(&op, csv.as_bytes(), req(true), &|_, _| {})
            .await
            .unwrap();
        let real = app
            .import_list(&op, csv.as_bytes(), req(false), &|_, _| {})
            .await
            .unwrap();
        for r in [&dry, &real] {
            // Made-up names can be alike enough for review: those rows are registered too.
            assert_eq!((r.rows, r.created + r.review, r.matched), (n, n - 2, 2));
        }
        assert_eq!(outcomes(&dry), outcomes(&real));
        for (i, j) in [(CHUNK + 20, 10), (30, 25)] {
            assert_eq!(real.items[i].outcome, RowOutcome::Matched);
            assert_eq!(real.items[i].person_id, real.items[j].person_id, "row {i}");
            assert!(real.items[i].reasons[1].starts_with("same_person_as_line"));
        }
        assert_eq!(app.indexed_people().await, n - 2);
        let again = app
            .import_list(&op, csv.as_bytes(), req(false), &|_, _| {})
            .await
            .unwrap();
        assert_eq!(again.matched, n);
        assert!(again
            .items
            .iter()
            .all(|i| i.reasons == ["already_imported"]));
    }

    /// The keys stored in `import_rows` are keyed with the key file: not the digest of a row's
    /// name, birth date and identifiers that anyone can compute, different under another key
    /// file; importing the list again still finds every row (repeats included).
    #[tokio::test]
    async fn stored_row_keys_are_keyed() {
        let (_dir, app, op) = open().await;
        let (_other_dir, other, _) = open().await;
        let csv = "Nama,Tgl Lahir,L/P\nSiti,1998-01-12,P\nSITI,12/01/1998,P\nBudi,1995,L\n";
        for a in [&app, &other] {
            a.import_list(&op, csv.as_bytes(), req(false), &|_, _| {})
                .await
                .unwrap();
        }
        let mut parsed = pulang_import::parse(csv.as_bytes(), &[], today()).unwrap();
        number_repeated_rows(&mut parsed.rows);
        let digests: HashSet<String> = parsed.rows.iter().map(|r| r.key.clone()).collect();
        assert_eq!(digests.len(), 3, "the repeat has a key of its own");
        let stored = async |a: &App| -> HashSet<String> {
            let site = a.store.site_by_code("PNH").await.unwrap().unwrap();
            a.store
                .imported_rows(&pulang_store::SiteFilter::All, &site.id)
                .await
                .unwrap()
                .into_keys()
                .collect()
        };
        let (mine, theirs) = (stored(&app).await, stored(&other).await);
        assert_eq!(mine.len(), 3);
        assert!(
            mine.is_disjoint(&digests),
            "{mine:?} holds an unkeyed digest"
        );
        assert!(mine.is_disjoint(&theirs), "the same under another key file");
        let again = app
            .import_list(&op, csv.as_bytes(), req(false), &|_, _| {})
            .await
            .unwrap();
        assert_eq!(again.matched, 3);
        assert!(again
            .items
            .iter()
            .all(|i| i.reasons == ["already_imported"]));
    }
}
