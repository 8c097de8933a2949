//! One migration tree serves both backends (`migrations/*.sql`, with PostgreSQL's names for
//! the types that differ put in by `src/migrations.rs`): this test opens a store on a fresh database of each backend (which runs the migrations), reads
//! the resulting schemas back from the databases' catalogues, and checks that they agree:
//! the same tables; the same columns with the same type family, nullability and default; the
//! same primary keys, unique constraints, foreign keys; the same named indexes (columns and
//! uniqueness). sqlx's own `_sqlx_migrations` table is ignored.
//!
//! What is normalised, because the backends say the same thing differently:
//! - types, into families: SQLite `INTEGER` and PostgreSQL `bigint` are `int64` (SQLite
//!   integers are 64-bit; a PostgreSQL `integer` is `int32` and would be a difference), `BLOB`
//!   and `bytea` are `bytes`, `DOUBLE PRECISION`/`REAL` and `double precision` are `float64`;
//! - the indexes behind constraints: SQLite names them `sqlite_autoindex_*`, PostgreSQL
//!   `*_pkey` and `*_key`; they are compared as the primary key and the unique constraints,
//!   without names;
//! - primary-key columns are NOT NULL: PostgreSQL enforces it; SQLite, for historical reasons,
//!   lets a primary key other than `INTEGER PRIMARY KEY` hold NULL unless the column also says
//!   NOT NULL (the store always writes its ids);
//! - defaults lose PostgreSQL's casts (`'created'::text` is `'created'`).
//!
//! PostgreSQL comes from `PULANG_TEST_PG`, as in `contract.rs` (the harness is in
//! `common/mod.rs`): skipped with a message unless `PULANG_REQUIRE_PG=1`.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use sqlx::{Connection, Row};

use common::{run_pg, run_sqlite, RawDb};

/// A schema as both backends can describe it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Schema {
    tables: BTreeMap<String, Table>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    /// UNIQUE constraints, by their columns.
    unique: BTreeSet<Vec<String>>,
    /// `CREATE [UNIQUE] INDEX`es, by name.
    indexes: BTreeMap<String, Index>,
    foreign_keys: BTreeSet<ForeignKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    family: String,
    not_null: bool,
    default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Index {
    columns: Vec<String>,
    unique: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    columns: Vec<String>,
    table: String,
    references: Vec<String>,
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.family)?;
        if self.not_null {
            write!(f, " NOT NULL")?;
        }
        if let Some(d) = &self.default {
            write!(f, " DEFAULT {d}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unique = if self.unique { "UNIQUE " } else { "" };
        write!(f, "{unique}({})", self.columns.join(", "))
    }
}

impl fmt::Display for ForeignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "({}) REFERENCES {}({})",
            self.columns.join(", "),
            self.table,
            self.references.join(", ")
        )
    }
}

/// A declared type's family.
fn family(declared: &str) -> String {
    let t = declared.trim().to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or("").trim();
    match base {
        "text" | "varchar" | "character varying" | "char" | "character" | "clob" => "text",
        // SQLite integers are 64-bit whatever the declared name.
        "integer" | "int" | "int8" | "bigint" => "int64",
        "blob" | "bytea" => "bytes",
        "double precision" | "double" | "float8" | "real" | "float" => "float64",
        "boolean" | "bool" => "bool",
        _ => return format!("other({t})"),
    }
    .to_string()
}

/// PostgreSQL's `information_schema` spells `integer` and `real` for what SQLite calls by the
/// same names but stores as 64-bit: keep them apart.
fn pg_family(data_type: &str) -> String {
    match data_type {
        "integer" => "int32".into(),
        "smallint" => "int16".into(),
        "real" => "float32".into(),
        t => family(t),
    }
}

/// A column default without PostgreSQL's trailing casts (`'created'::text`, `0::bigint`).
fn default(d: Option<String>) -> Option<String> {
    let mut d = d?.trim().to_string();
    while let Some(i) = d.rfind("::") {
        let cast = &d[i + 2..];
        if cast
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_')
        {
            d.truncate(i);
        } else {
            break;
        }
    }
    // `(0)` and `0` are the same default.
    while d.starts_with('(') && d.ends_with(')') {
        d = d[1..d.len() - 1].to_string();
    }
    Some(d)
}

const IGNORED: &[&str] = &["_sqlx_migrations"];

async fn sqlite_schema(raw: &RawDb) -> Schema {
    let mut c = sqlx::SqliteConnection::connect(&raw.url())
        .await
        .expect("connect to the SQLite database");
    let mut s = Schema::default();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&mut c)
    .await
    .expect("sqlite_master");
    for name in tables
        .into_iter()
        .filter(|t| !IGNORED.contains(&t.as_str()))
    {
        let mut t = Table::default();
        let cols = sqlx::query(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind(&name)
        .fetch_all(&mut c)
        .await
        .expect("pragma_table_info");
        let mut pk: Vec<(i64, String)> = Vec::new();
        for r in cols {
            let col: String = r.get("name");
            let pk_pos: i64 = r.get("pk");
            if pk_pos > 0 {
                pk.push((pk_pos, col.clone()));
            }
            let declared: String = r.get("type");
            let notnull: i64 = r.get("notnull");
            t.columns.insert(
                col,
                Column {
                    family: family(&declared),
                    not_null: notnull == 1 || pk_pos > 0,
                    default: default(r.get("dflt_value")),
                },
            );
        }
        pk.sort();
        t.primary_key = pk.into_iter().map(|(_, c)| c).collect();

        let indexes = sqlx::query("SELECT name, \"unique\", origin FROM pragma_index_list(?)")
            .bind(&name)
            .fetch_all(&mut c)
            .await
            .expect("pragma_index_list");
        for ix in indexes {
            let ix_name: String = ix.get("name");
            let unique: i64 = ix.get("unique");
            let origin: String = ix.get("origin");
            let cols: Vec<Option<String>> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&ix_name)
                    .fetch_all(&mut c)
                    .await
                    .expect("pragma_index_info");
            let columns: Vec<String> = cols
                .into_iter()
                .map(|c| c.unwrap_or_else(|| "<expression>".into()))
                .collect();
            match origin.as_str() {
                // The primary key is read from the columns above.
                "pk" => {}
                "u" => {
                    t.unique.insert(columns);
                }
                _ => {
                    t.indexes.insert(
                        ix_name,
                        Index {
                            columns,
                            unique: unique == 1,
                        },
                    );
                }
            }
        }

        let fks = sqlx::query(
            "SELECT id, seq, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(&mut c)
        .await
        .expect("pragma_foreign_key_list");
        let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for r in fks {
            let fk = by_id.entry(r.get("id")).or_insert_with(|| ForeignKey {
                columns: Vec::new(),
                table: r.get("table"),
                references: Vec::new(),
            });
            fk.columns.push(r.get("from"));
            // NULL `to`: the referenced table's primary key (filled in below).
            let to: Option<String> = r.get("to");
            fk.references.push(to.unwrap_or_default());
        }
        t.foreign_keys = by_id.into_values().collect();
        s.tables.insert(name, t);
    }
    // `REFERENCES t` without columns means t's primary key.
    let pks: BTreeMap<String, Vec<String>> = s
        .tables
        .iter()
        .map(|(n, t)| (n.clone(), t.primary_key.clone()))
        .collect();
    for t in s.tables.values_mut() {
        t.foreign_keys = std::mem::take(&mut t.foreign_keys)
            .into_iter()
            .map(|mut fk| {
                if fk.references.iter().all(String::is_empty) {
                    fk.references = pks.get(&fk.table).cloned().unwrap_or_default();
                }
                fk
            })
            .collect();
    }
    let _ = c.close().await;
    s
}

async fn pg_schema(raw: &RawDb) -> Schema {
    let mut c = sqlx::PgConnection::connect(&raw.url())
        .await
        .expect("connect to the PostgreSQL database");
    let mut s = Schema::default();
    let cols = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty,
                is_nullable::text AS nullable, column_default::text AS dflt
         FROM information_schema.columns
         WHERE table_schema = current_schema()
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut c)
    .await
    .expect("information_schema.columns");
    for r in cols {
        let table: String = r.get("t");
        if IGNORED.contains(&table.as_str()) {
            continue;
        }
        let nullable: String = r.get("nullable");
        s.tables.entry(table).or_default().columns.insert(
            r.get("c"),
            Column {
                family: pg_family(&r.get::<String, _>("ty")),
                not_null: nullable == "NO",
                default: default(r.get("dflt")),
            },
        );
    }

    // Every index of the schema's tables, its columns in order, and the constraint behind it.
    let indexes = sqlx::query(
        "SELECT t.relname::text AS t, i.relname::text AS ix, x.indisunique AS uniq,
                x.indisprimary AS pk, con.contype::text AS contype,
                array_agg(coalesce(a.attname::text, '<expression>') ORDER BY k.ord) AS cols
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.contype IN ('p', 'u')
         CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
         LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
         WHERE n.nspname = current_schema()
         GROUP BY t.relname, i.relname, x.indisunique, x.indisprimary, con.contype",
    )
    .fetch_all(&mut c)
    .await
    .expect("pg_index");
    for r in indexes {
        let table: String = r.get("t");
        if IGNORED.contains(&table.as_str()) {
            continue;
        }
        let t = s.tables.entry(table).or_default();
        let columns: Vec<String> = r.get("cols");
        let contype: Option<String> = r.get("contype");
        if r.get::<bool, _>("pk") {
            t.primary_key = columns;
        } else if contype.as_deref() == Some("u") {
            t.unique.insert(columns);
        } else {
            t.indexes.insert(
                r.get("ix"),
                Index {
                    columns,
                    unique: r.get("uniq"),
                },
            );
        }
    }

    let fks = sqlx::query(
        "SELECT cl.relname::text AS t, rf.relname::text AS rt,
                array_agg(a.attname::text ORDER BY k.ord) AS cols,
                array_agg(ra.attname::text ORDER BY k.ord) AS refs
         FROM pg_constraint con
         JOIN pg_class cl ON cl.oid = con.conrelid
         JOIN pg_class rf ON rf.oid = con.confrelid
         JOIN pg_namespace n ON n.oid = cl.relnamespace
         CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(col, refcol, ord)
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.col
         JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.refcol
         WHERE con.contype = 'f' AND n.nspname = current_schema()
         GROUP BY con.oid, cl.relname, rf.relname",
    )
    .fetch_all(&mut c)
    .await
    .expect("pg_constraint");
    for r in fks {
        let table: String = r.get("t");
        if IGNORED.contains(&table.as_str()) {
            continue;
        }
        s.tables
            .entry(table)
            .or_default()
            .foreign_keys
            .insert(ForeignKey {
                columns: r.get("cols"),
                table: r.get("rt"),
                references: r.get("refs"),
            });
    }
    let _ = c.close().await;
    s
}

/// Every difference between the two schemas, one line each.
fn differences(sqlite: &Schema, pg: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = sqlite.tables.keys().chain(pg.tables.keys()).collect();
    for name in names {
        let (a, b) = match (sqlite.tables.get(name), pg.tables.get(name)) {
            (Some(a), Some(b)) => (a, b),
            (Some(_), None) => {
                out.push(format!("table {name}: only in SQLite"));
                continue;
            }
            (None, _) => {
                out.push(format!("table {name}: only in PostgreSQL"));
                continue;
            }
        };
        let cols: BTreeSet<&String> = a.columns.keys().chain(b.columns.keys()).collect();
        for col in cols {
            match (a.columns.get(col), b.columns.get(col)) {
                (Some(x), Some(y)) if x == y => {}
                (Some(x), Some(y)) => out.push(format!("{name}.{col}: SQLite {x}, PostgreSQL {y}")),
                (Some(x), None) => out.push(format!("{name}.{col}: only in SQLite ({x})")),
                (None, Some(y)) => out.push(format!("{name}.{col}: only in PostgreSQL ({y})")),
                (None, None) => unreachable!(),
            }
        }
        if a.primary_key != b.primary_key {
            out.push(format!(
                "{name}: primary key SQLite ({}), PostgreSQL ({})",
                a.primary_key.join(", "),
                b.primary_key.join(", ")
            ));
        }
        for u in a.unique.difference(&b.unique) {
            out.push(format!("{name}: UNIQUE ({}) only in SQLite", u.join(", ")));
        }
        for u in b.unique.difference(&a.unique) {
            out.push(format!(
                "{name}: UNIQUE ({}) only in PostgreSQL",
                u.join(", ")
            ));
        }
        let ixs: BTreeSet<&String> = a.indexes.keys().chain(b.indexes.keys()).collect();
        for ix in ixs {
            match (a.indexes.get(ix), b.indexes.get(ix)) {
                (Some(x), Some(y)) if x == y => {}
                (Some(x), Some(y)) => {
                    out.push(format!("index {ix} on {name}: SQLite {x}, PostgreSQL {y}"))
                }
                (Some(x), None) => out.push(format!("index {ix} on {name}: only in SQLite {x}")),
                (None, Some(y)) => {
                    out.push(format!("index {ix} on {name}: only in PostgreSQL {y}"))
                }
                (None, None) => unreachable!(),
            }
        }
        for fk in a.foreign_keys.difference(&b.foreign_keys) {
            out.push(format!("{name}: {fk} only in SQLite"));
        }
        for fk in b.foreign_keys.difference(&a.foreign_keys) {
            out.push(format!("{name}: {fk} only in PostgreSQL"));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_schemas_match() {
    let sqlite = Arc::new(Mutex::new(None));
    let slot = sqlite.clone();
    run_sqlite(move |_store, raw| async move {
        let s = sqlite_schema(&raw).await;
        *slot.lock().unwrap() = Some(s);
    })
    .await;
    let sqlite = sqlite.lock().unwrap().take().expect("the SQLite schema");
    // Not vacuous: the migrations ran and were read back.
    for t in ["people", "audit_events", "encounters", "import_rows"] {
        assert!(sqlite.tables.contains_key(t), "no table {t} in {sqlite:#?}");
    }
    assert!(sqlite.tables["people"].indexes.contains_key("people_site"));

    let pg = Arc::new(Mutex::new(None));
    let slot = pg.clone();
    run_pg(move |_store, raw| async move {
        let s = pg_schema(&raw).await;
        *slot.lock().unwrap() = Some(s);
    })
    .await;
    // None: PostgreSQL was skipped, and `run_pg` said so.
    let Some(pg) = pg.lock().unwrap().take() else {
        return;
    };
    let diffs = differences(&sqlite, &pg);
    assert!(
        diffs.is_empty(),
        "the SQLite and PostgreSQL migrations give different schemas ({} differences); \
         fix with a new migration pair, never by editing an applied migration:\n  - {}",
        diffs.len(),
        diffs.join("\n  - ")
    );
}

/// The comparison itself finds what it should, and says it in one line per difference.
#[test]
fn differences_are_listed() {
    let col = |family: &str, not_null: bool| Column {
        family: family.into(),
        not_null,
        default: None,
    };
    let mut a = Table::default();
    a.columns.insert("id".into(), col("text", true));
    a.columns.insert("n".into(), col("int64", true));
    a.columns.insert("gone".into(), col("bytes", false));
    a.primary_key = vec!["id".into()];
    a.indexes.insert(
        "t_n".into(),
        Index {
            columns: vec!["n".into()],
            unique: false,
        },
    );
    let mut b = a.clone();
    b.columns.insert("n".into(), col("int32", false));
    b.columns.remove("gone");
    b.indexes.get_mut("t_n").unwrap().unique = true;
    b.unique.insert(vec!["n".into()]);
    b.foreign_keys.insert(ForeignKey {
        columns: vec!["n".into()],
        table: "u".into(),
        references: vec!["id".into()],
    });
    let mut sqlite = Schema::default();
    sqlite.tables.insert("t".into(), a.clone());
    sqlite.tables.insert("only_here".into(), Table::default());
    let mut pg = Schema::default();
    pg.tables.insert("t".into(), b);
    assert_eq!(
        differences(&sqlite, &pg),
        [
            "table only_here: only in SQLite",
            "t.gone: only in SQLite (bytes)",
            "t.n: SQLite int64 NOT NULL, PostgreSQL int32",
            "t: UNIQUE (n) only in PostgreSQL",
            "index t_n on t: SQLite (n), PostgreSQL UNIQUE (n)",
            "t: (n) REFERENCES u(id) only in PostgreSQL",
        ]
    );
    let mut same = Schema::default();
    same.tables.insert("t".into(), a);
    assert!(differences(&same, &same.clone()).is_empty());
}

#[test]
fn types_and_defaults_are_normalised() {
    assert_eq!(family("INTEGER"), pg_family("bigint"));
    assert_eq!(family("BLOB"), pg_family("bytea"));
    assert_eq!(family("DOUBLE PRECISION"), pg_family("double precision"));
    assert_eq!(family("TEXT"), pg_family("text"));
    assert_eq!(family("BOOLEAN"), pg_family("boolean"));
    assert_ne!(family("INTEGER"), pg_family("integer"));
    assert_eq!(
        default(Some("'created'::text".into())).unwrap(),
        "'created'"
    );
    assert_eq!(default(Some("0".into())).unwrap(), "0");
    assert_eq!(default(Some("(0)::bigint".into())).unwrap(), "0");
}
