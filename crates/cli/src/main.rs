//! `pulang`: the server and the operator's console. Commands that touch data take
//! `--data-dir DIR` (key file and embedded SQLite) or `--database postgres://…`.
//!
//! Must not: touch the store directly; it calls `pulang-app` as the local operator (the one
//! caller allowed to), prints one clear line on error and exits non-zero.
// The console acts as the local operator (it holds the key file); see clippy.toml.
#![allow(clippy::disallowed_methods)]

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use clap::{Args, Parser, Subcommand};
use pulang_app::domain::Role;
use pulang_app::{AccessScope, App, DataConfig};

mod dedupe;
mod import;
mod screen;

#[derive(Parser)]
#[command(
    name = "pulang",
    version,
    about = "Pulang: registry and case management for people returning from scam compounds"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args, Clone)]
struct DataOpts {
    /// Data directory: key file and the embedded SQLite database.
    #[arg(
        long,
        env = "PULANG_DATA_DIR",
        default_value = "pulang-data",
        global = true
    )]
    data_dir: PathBuf,
    /// Database URL; `postgres://…` selects PostgreSQL (the key file stays in --data-dir).
    #[arg(long, env = "PULANG_DATABASE_URL", global = true)]
    database: Option<String>,
}

impl DataOpts {
    fn config(&self) -> DataConfig {
        DataConfig {
            data_dir: self.data_dir.clone(),
            database_url: self.database.clone(),
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the web server (creates the database, key file and first admin on first start).
    Serve {
        #[arg(long, env = "PULANG_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Also load the demo surge (1,440 synthetic arrivals over five days, as in January 2026).
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure (use when served over HTTPS).
        #[arg(long, env = "PULANG_SECURE_COOKIES")]
        secure_cookies: bool,
        /// A reverse proxy whose X-Forwarded-For is trusted (repeatable).
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<IpAddr>,
        /// The address staff use to reach Pulang (e.g. https://pulang.example.org), for the
        /// link in the slip's QR code. Without it, slips carry a link only when listening on
        /// a loopback address.
        #[arg(long, env = "PULANG_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        data: DataOpts,
    },
    /// Manage sites.
    Site {
        #[command(subcommand)]
        cmd: SiteCmd,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// The key file.
    Key {
        #[command(subcommand)]
        cmd: KeyCmd,
    },
    /// Find records of the same person in a CSV file (no database), or with --register in the
    /// register (likely pairs go to the review queue).
    Dedupe {
        #[command(flatten)]
        args: dedupe::DedupeArgs,
        #[command(flatten)]
        data: DataOpts,
    },
    /// Import a list of arrivals (CSV or XLSX): dry run, then commit; every row accounted for.
    Import(import::ImportArgs),
    /// Trafficking screening: print the catalogue or evaluate answers (JSON in, JSON out).
    Screen(screen::ScreenArgs),
    /// Load a synthetic surge to rehearse on: the arrivals of January 2026 (1,440 in five
    /// days, 520 on the peak day) at any scale, with groups, police lists, duplicates,
    /// screenings and milestones (see docs/demo.md).
    Demo {
        /// 1.0 = 1,440 arrivals; 0.1 = 144; 700 ≈ one million.
        #[arg(long, default_value_t = 1.0, conflicts_with = "people")]
        scale: f64,
        /// About this many arrivals instead of a scale.
        #[arg(long)]
        people: Option<usize>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[command(flatten)]
        data: DataOpts,
    },
}

#[derive(Subcommand)]
enum SiteCmd {
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        timezone: String,
        #[command(flatten)]
        data: DataOpts,
    },
    List {
        #[command(flatten)]
        data: DataOpts,
    },
}

/// A role for a user, on one site (--site) or on every site.
#[derive(Args)]
struct GrantOpts {
    #[arg(long)]
    username: String,
    /// admin, registrar, caseworker, police_liaison, analyst or auditor.
    #[arg(long)]
    role: String,
    #[arg(long)]
    site: Option<String>,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a user with a role, on one site (--site) or on every site.
    Add {
        #[command(flatten)]
        grant: GrantOpts,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        data: DataOpts,
    },
    /// Give an existing user another role.
    Grant {
        #[command(flatten)]
        grant: GrantOpts,
        #[command(flatten)]
        data: DataOpts,
    },
    List {
        #[command(flatten)]
        data: DataOpts,
    },
    /// End all of a user's sessions.
    RevokeSessions {
        #[arg(long)]
        username: String,
        #[command(flatten)]
        data: DataOpts,
    },
    Disable {
        #[arg(long)]
        username: String,
        #[command(flatten)]
        data: DataOpts,
    },
    Enable {
        #[arg(long)]
        username: String,
        #[command(flatten)]
        data: DataOpts,
    },
    /// Set a new password (read from standard input).
    Passwd {
        #[arg(long)]
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        data: DataOpts,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Create an API token for a user; printed once (its id and expiry go to standard error).
    Create {
        #[arg(long)]
        username: String,
        /// What the token is for, shown when tokens are listed.
        #[arg(long, default_value = "command line")]
        label: String,
        /// Days until it expires (at most 365).
        #[arg(long, default_value_t = pulang_app::tokens::DEFAULT_DAYS)]
        days: u32,
        #[command(flatten)]
        data: DataOpts,
    },
    /// List tokens (never their secrets): id, user, label, created, expires, last used.
    List {
        /// Only this user's tokens.
        #[arg(long)]
        username: Option<String>,
        #[command(flatten)]
        data: DataOpts,
    },
    /// Revoke one token by its id.
    Revoke {
        id: String,
        #[command(flatten)]
        data: DataOpts,
    },
}

/// A time in Unix milliseconds as `YYYY-MM-DD HH:MM` UTC.
fn utc_minute(ms: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| "?".into())
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Re-encrypt all data under a new key and retire the old key file (stop the server
    /// first). Run it again to finish a rotation that was interrupted.
    Rotate {
        #[command(flatten)]
        data: DataOpts,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Check the hash chain; exit 0 when intact, 1 naming the first bad event otherwise.
    Verify {
        #[command(flatten)]
        data: DataOpts,
    },
    /// Print the newest events as JSON lines.
    Log {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        subject: Option<String>,
        #[command(flatten)]
        data: DataOpts,
    },
}

fn read_password() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading the password from standard input")?;
    let s = s.strip_suffix('\n').unwrap_or(&s);
    let s = s.strip_suffix('\r').unwrap_or(s);
    if s.is_empty() {
        bail!("no password on standard input");
    }
    Ok(s.to_string())
}

fn role(s: &str) -> anyhow::Result<Role> {
    Role::parse(s).ok_or_else(|| anyhow!("unknown role {s:?}: use admin, registrar, caseworker, police_liaison, analyst or auditor"))
}

async fn open(data: &DataOpts) -> anyhow::Result<App> {
    let opened = App::open(&data.config())
        .await
        .map_err(|e| anyhow!("cannot open the database: {}", start_err(e)))?;
    if opened.key_created {
        eprintln!("Created a new key file at {} (mode 0600). Back it up: without it the data cannot be read.", data.config().key_path().display());
    }
    Ok(opened.app)
}

/// Why the data could not be opened, named: a wrong or missing key, a key file others can read,
/// a newer schema, undecryptable data (the store's error, never just "internal error").
fn start_err(e: pulang_app::AppError) -> String {
    match e {
        pulang_app::AppError::Internal(inner) => inner.to_string(),
        other => other.to_string(),
    }
}

fn app_err(e: pulang_app::AppError) -> anyhow::Error {
    match e {
        pulang_app::AppError::Internal(inner) => anyhow!("internal error: {inner}"),
        // Say why, as the web pages do (a weak password: zxcvbn's warning and suggestions).
        pulang_app::AppError::Invalid(v) => anyhow!(
            "{}",
            v.errors
                .iter()
                .map(|i| format!(
                    "{}: {}",
                    i.field,
                    pulang_web::i18n::t(
                        pulang_web::i18n::Lang::En,
                        &format!("issue-{}", i.code.replace('_', "-"))
                    )
                ))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => anyhow!("{other}"),
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let op = AccessScope::local_operator();
    match cli.cmd {
        Cmd::Serve {
            listen,
            demo,
            secure_cookies,
            trusted_proxies,
            public_url,
            data,
        } => {
            // A bad public URL stops the start before anything is opened.
            pulang_web::link_base(public_url.as_deref(), listen)?;
            let app = open(&data).await?;
            if let Some(pw) = app.bootstrap_admin().await.map_err(app_err)? {
                println!("First start: created user 'admin' with password: {pw}");
                println!("This password is shown only once. Sign in and create named users for your staff.");
            }
            if demo {
                load_surge(&app, &op, 2026, 1.0).await?;
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let addr = listener.local_addr()?;
            let link_base = pulang_web::link_base(public_url.as_deref(), addr)?;
            if link_base.is_none() {
                tracing::warn!(
                    "no --public-url and not listening on a loopback address: slips will have no QR code"
                );
            }
            println!(
                "Pulang is running at http://{addr}/ ({:?}, {} people indexed). Stop with Ctrl-C.",
                app.backend(),
                app.indexed_people().await
            );
            let cfg = pulang_web::WebConfig {
                secure_cookies,
                trusted_proxies,
                link_base,
            };
            let shutdown = async {
                let ctrl_c = tokio::signal::ctrl_c();
                #[cfg(unix)]
                {
                    let mut term =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                            .expect("signal handler");
                    tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
                }
                #[cfg(not(unix))]
                let _ = ctrl_c.await;
            };
            pulang_web::serve(app.clone(), cfg, listener, shutdown).await?;
            app.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Site {
            cmd:
                SiteCmd::Add {
                    code,
                    name,
                    timezone,
                    data,
                },
        } => {
            let app = open(&data).await?;
            let s = app
                .add_site(&op, &code, &name, &timezone)
                .await
                .map_err(app_err)?;
            println!("Added site {} ({}, {})", s.code, s.name, s.timezone);
            app.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Site {
            cmd: SiteCmd::List { data },
        } => {
            let app = open(&data).await?;
            for s in app.sites(&op).await.map_err(app_err)? {
                println!("{}\t{}\t{}", s.code, s.name, s.timezone);
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::User { cmd } => user(cmd, &op).await,
        Cmd::Token {
            cmd:
                TokenCmd::Create {
                    username,
                    label,
                    days,
                    data,
                },
        } => {
            let app = open(&data).await?;
            let t = app
                .create_token(&op, &username, &label, Some(days))
                .await
                .map_err(app_err)?;
            println!("{}", t.secret);
            eprintln!(
                "Token {} for {username} ({}), expires {} UTC",
                t.id,
                t.label,
                utc_minute(t.expires_at)
            );
            app.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Token {
            cmd: TokenCmd::List { username, data },
        } => {
            let app = open(&data).await?;
            let tokens = app.all_tokens(&op).await.map_err(app_err)?;
            for t in tokens
                .iter()
                .filter(|t| username.as_deref().is_none_or(|u| u == t.username))
            {
                println!(
                    "{}\t{}\t{}\t{}\t{}{}\t{}",
                    t.id,
                    t.username,
                    t.label,
                    utc_minute(t.created_at),
                    utc_minute(t.expires_at),
                    if t.expired { " (expired)" } else { "" },
                    t.last_used_at.map_or("never".into(), utc_minute)
                );
            }
            app.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Token {
            cmd: TokenCmd::Revoke { id, data },
        } => {
            let app = open(&data).await?;
            let t = app.revoke_token(&op, &id).await.map_err(app_err)?;
            println!("Revoked token {} of {} ({})", t.id, t.username, t.label);
            app.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Key {
            cmd: KeyCmd::Rotate { data },
        } => {
            let cfg = data.config();
            let bar = indicatif::ProgressBar::new_spinner();
            if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            let progress = |part: &str, done: u64| {
                bar.set_message(format!("{part}: {done} fields and seals re-encrypted"));
                bar.tick();
            };
            let r = pulang_app::keys::rotate_key(&op, &cfg, &progress)
                .await
                .map_err(|e| anyhow!("key rotation stopped: {}", start_err(e)))?;
            bar.finish_and_clear();
            println!(
                "Key rotated: {} fields re-encrypted and {} audit seals renewed in this run.",
                r.fields, r.events
            );
            println!(
                "The new key is {}: back it up now. The old key is {}: keep it as long as you keep backups made before now (they need it), then destroy it.",
                r.key_file.display(),
                r.retired.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Audit {
            cmd: AuditCmd::Verify { data },
        } => {
            let app = open(&data).await?;
            match app.verify_audit(&op).await.map_err(app_err)? {
                Ok(n) => {
                    println!("audit log intact: {n} events");
                    Ok(ExitCode::SUCCESS)
                }
                Err(b) => {
                    eprintln!("audit log BROKEN: {b}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Cmd::Audit {
            cmd:
                AuditCmd::Log {
                    limit,
                    subject,
                    data,
                },
        } => {
            let app = open(&data).await?;
            for e in app
                .audit_events(&op, subject.as_deref(), limit)
                .await
                .map_err(app_err)?
            {
                println!("{}", serde_json::to_string(&e)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Dedupe { args, data } if args.register => {
            let app = open(&data).await?;
            let queued = app.scan_for_duplicates(&op).await.map_err(app_err)?;
            println!(
                "{queued} new pairs queued for review (pairs already known are not queued again)."
            );
            app.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Dedupe { args, .. } => dedupe::run(args),
        Cmd::Import(args) => import::run(args, &op).await,
        Cmd::Screen(args) => screen::run(args),
        Cmd::Demo {
            scale,
            people,
            seed,
            data,
        } => {
            let app = open(&data).await?;
            app.bootstrap_admin()
                .await
                .map_err(app_err)?
                .inspect(|pw| println!("Created user 'admin' with password: {pw}"));
            let scale = people.map_or(scale, |n| n as f64 / 1440.0);
            if !(scale.is_finite() && scale > 0.0) {
                anyhow::bail!("--scale must be a positive number");
            }
            load_surge(&app, &op, seed, scale).await?;
            app.close().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Loads the demo surge, with a progress bar on a terminal, and says what was loaded.
async fn load_surge(
    app: &pulang_app::App,
    op: &AccessScope,
    seed: u64,
    scale: f64,
) -> anyhow::Result<()> {
    let bar = indicatif::ProgressBar::new(0);
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let progress = |stage: &str, done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(stage.to_string());
    };
    let loaded = app
        .seed_surge(op, seed, scale, &progress)
        .await
        .map_err(app_err)?;
    bar.finish_and_clear();
    match loaded {
        Some(l) => {
            println!(
                "Demo surge loaded at PNH and YGN: {} people in {} arrival groups, {} duplicates queued for review, {} police lists ({} rows) imported, {} screenings signed and {} in progress, {} milestones.",
                l.people, l.groups, l.duplicates_queued, l.police_lists, l.police_rows, l.screenings_signed, l.screenings_draft, l.milestones
            );
            if let Some(pw) = l.password {
                println!("Caseworker 'demo' (both demo sites) with password: {pw}");
            }
        }
        None => println!("The demo sites already exist; nothing added."),
    }
    Ok(())
}

/// Disables a user (which ends their sessions and tokens) or enables them again.
async fn set_disabled(
    op: &AccessScope,
    username: &str,
    data: &DataOpts,
    disabled: bool,
) -> anyhow::Result<()> {
    let app = open(data).await?;
    app.set_disabled(op, username, disabled)
        .await
        .map_err(app_err)?;
    if disabled {
        println!("Disabled {username}; their sessions and tokens are ended");
    } else {
        println!("Enabled {username}");
    }
    app.close().await;
    Ok(())
}

async fn user(cmd: UserCmd, op: &AccessScope) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCmd::Add {
            grant:
                GrantOpts {
                    username,
                    role: r,
                    site,
                },
            password_stdin: _,
            data,
        } => {
            let r = role(&r)?;
            let pw = read_password()?;
            let app = open(&data).await?;
            app.add_user(op, &username, &pw, r, site.as_deref())
                .await
                .map_err(app_err)?;
            println!(
                "Added user {username} as {r}{}",
                site.map(|s| format!(" at {s}"))
                    .unwrap_or_else(|| " on every site".into())
            );
            app.close().await;
        }
        UserCmd::Grant {
            grant:
                GrantOpts {
                    username,
                    role: r,
                    site,
                },
            data,
        } => {
            let r = role(&r)?;
            let app = open(&data).await?;
            app.grant_role(op, &username, r, site.as_deref())
                .await
                .map_err(app_err)?;
            println!("Granted {r} to {username}");
            app.close().await;
        }
        UserCmd::List { data } => {
            let app = open(&data).await?;
            for u in app.users(op).await.map_err(app_err)? {
                let grants: Vec<String> =
                    u.grants.iter().map(|(s, r)| format!("{r}@{s}")).collect();
                println!(
                    "{}\t{}{}",
                    u.username,
                    grants.join(","),
                    if u.disabled { "\t(disabled)" } else { "" }
                );
            }
        }
        UserCmd::RevokeSessions { username, data } => {
            let app = open(&data).await?;
            let n = app.revoke_sessions(op, &username).await.map_err(app_err)?;
            println!("Ended {n} sessions of {username}");
            app.close().await;
        }
        UserCmd::Disable { username, data } => set_disabled(op, &username, &data, true).await?,
        UserCmd::Enable { username, data } => set_disabled(op, &username, &data, false).await?,
        UserCmd::Passwd {
            username,
            password_stdin: _,
            data,
        } => {
            let pw = read_password()?;
            let app = open(&data).await?;
            app.set_password(op, &username, &pw)
                .await
                .map_err(app_err)?;
            println!("Password changed for {username}; their sessions are ended");
            app.close().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PULANG_LOG")
                .unwrap_or_else(|_| "warn,pulang=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
