// Helpers for Pulang's browser suite: a throwaway data dir, the `pulang` CLI,
// a `pulang serve` process on a free port, and headless Chromium via playwright-core.
//
// Environment:
//   PULANG_BIN          absolute path of the `pulang` binary (scripts/test sets it)
//   PULANG_CHROMIUM     browser executable (default /usr/bin/chromium)
//   PULANG_E2E_VERBOSE  =1 to copy the server's output to stderr as it runs
//   PULANG_E2E_KEEP     =1 to keep data dirs after the run
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Where screenshots, page HTML and server logs of failed tests go. */
export const RESULTS_DIR = path.join(HERE, 'test-results');

export const CHROMIUM_PATH = process.env.PULANG_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Absolute path of the CLI under test; throws a helpful error if unset. */
export function pulangBin() {
  const bin = process.env.PULANG_BIN;
  if (!bin) {
    throw new Error(
      'PULANG_BIN is not set: run scripts/test, or `cargo build -p pulang-cli` and ' +
        'export PULANG_BIN=$PWD/target/debug/pulang',
    );
  }
  if (!path.isAbsolute(bin)) throw new Error(`PULANG_BIN must be absolute, got ${bin}`);
  if (!existsSync(bin)) throw new Error(`PULANG_BIN=${bin} does not exist`);
  return bin;
}

// ---------------------------------------------------------------------------
// (a) data dir
// ---------------------------------------------------------------------------

/** A new empty temp directory for `--data-dir`. */
export function makeDataDir(prefix = 'pulang-e2e-') {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDataDir(dir) {
  if (!dir) return;
  if (process.env.PULANG_E2E_KEEP === '1') {
    console.error(`PULANG_E2E_KEEP=1: keeping ${dir}`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------
// (b) CLI, run synchronously
// ---------------------------------------------------------------------------

/**
 * Runs `pulang ...args` and waits for it. Throws (with its output) unless it exits 0.
 * `input` is written to its stdin (then stdin is closed).
 */
export function runCli(args, { input, env, timeoutMs = 120_000, allowFailure = false } = {}) {
  const r = spawnSync(pulangBin(), args, {
    input: input ?? '',
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: timeoutMs,
  });
  if (r.error) throw new Error(`pulang ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0 && !allowFailure) {
    throw new Error(
      `pulang ${args.join(' ')} exited with ${r.status ?? r.signal}\n` +
        `--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`,
    );
  }
  return r;
}

/** `pulang site add --data-dir DIR --code CODE --name NAME --timezone TZ` */
export function addSite(dataDir, { code, name, timezone }) {
  return runCli(['site', 'add', '--data-dir', dataDir, '--code', code, '--name', name, '--timezone', timezone]);
}

/**
 * `pulang user add --data-dir DIR --username U --role R [--site S] --password-stdin`,
 * the password on stdin (no trailing newline, so both read-a-line and read-all CLIs get it exactly).
 */
export function addUser(dataDir, { username, role, site, password }) {
  const args = ['user', 'add', '--data-dir', dataDir, '--username', username, '--role', role];
  if (site) args.push('--site', site);
  args.push('--password-stdin');
  return runCli(args, { input: password });
}

// ---------------------------------------------------------------------------
// (c) the server
// ---------------------------------------------------------------------------

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const LOG_LIMIT = 2_000_000;

/**
 * Starts `pulang serve --data-dir DIR --listen 127.0.0.1:PORT` and waits until
 * GET /readyz answers 200. Returns { baseURL, port, child, log(), stop() }.
 */
export async function startServer(dataDir, { env, readyTimeoutMs = 60_000, extraArgs = [] } = {}) {
  const bin = pulangBin();
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const baseURL = `http://${listen}`;
  const child = spawn(bin, ['serve', '--data-dir', dataDir, '--listen', listen, ...extraArgs], {
    env: { RUST_LOG: 'info', ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let log = '';
  const verbose = process.env.PULANG_E2E_VERBOSE === '1';
  const collect = (chunk) => {
    if (log.length < LOG_LIMIT) log += chunk.toString('utf8');
    if (verbose) process.stderr.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  let spawnError = null;
  child.on('error', (err) => {
    spawnError = err;
  });
  // Never leave a server behind if this test process dies.
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (exited || spawnError) return exited;
    child.kill('SIGTERM');
    const done = await Promise.race([exitPromise, sleep(10_000).then(() => null)]);
    if (!done) {
      child.kill('SIGKILL');
      await exitPromise;
    }
    return exited;
  };

  const deadline = Date.now() + readyTimeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (spawnError) throw new Error(`could not start ${bin}: ${spawnError.message}`);
    if (exited) {
      throw new Error(
        `pulang serve exited (${exited.code ?? exited.signal}) before /readyz answered\n--- server output ---\n${log}`,
      );
    }
    try {
      const res = await fetch(`${baseURL}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `pulang serve: GET /readyz did not answer 200 within ${readyTimeoutMs} ms (last: ${last})\n` +
          `--- server output ---\n${log}`,
      );
    }
    await sleep(200);
  }

  return { baseURL, port, child, log: () => log, stop };
}

// ---------------------------------------------------------------------------
// (d) the browser
// ---------------------------------------------------------------------------

/** Debian's Chromium, headless, with the flags this sandboxed network needs. */
export function launchBrowser(options = {}) {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set PULANG_CHROMIUM)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    ...options,
  });
}

/** A fresh context (own cookies) pointing at the server; Indonesian by default. */
export async function newPage(browser, baseURL, { locale = 'id-ID', ...options } = {}) {
  const context = await browser.newContext({ baseURL, locale, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(30_000);
  return page;
}

// ---------------------------------------------------------------------------
// UI helpers shared by test files
// ---------------------------------------------------------------------------

/** Waits for the main-frame navigation that `action` triggers (GET or POST form). */
export async function navigating(page, action) {
  const nav = page.waitForResponse(
    (res) => res.request().isNavigationRequest() && res.frame() === page.mainFrame(),
  );
  await action();
  const res = await nav;
  await page.waitForLoadState('domcontentloaded');
  return res;
}

/** Signs in through form#login and waits to leave /login. */
export async function signIn(page, username, password) {
  await page.goto('/login');
  const form = page.locator('form#login');
  await form.locator('input[name=username]').fill(username);
  await form.locator('input[name=password]').fill(password);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/login'),
    form.locator('button[type=submit]').click(),
  ]);
}

export function pathnameOf(page) {
  return new URL(page.url()).pathname;
}

// ---------------------------------------------------------------------------
// Failure artefacts
// ---------------------------------------------------------------------------

function slug(s) {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'test';
}

/**
 * Wraps a test body: on failure, saves a full-page screenshot and the HTML of each page
 * returned by getPages() (plus the server log, if getServer() gives one) under
 * e2e/test-results/, then rethrows.
 */
export function withArtifacts(name, { getPages = () => [], getServer = () => null } = {}, fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (err) {
      await saveArtifacts(name, getPages(), getServer());
      throw err;
    }
  };
}

export async function saveArtifacts(name, pages, server) {
  try {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const base = `${new Date().toISOString().replace(/[:.]/g, '-')}-${slug(name)}`;
    let i = 0;
    for (const page of pages.filter(Boolean)) {
      const suffix = pages.length > 1 ? `-${i++}` : '';
      if (page.isClosed()) continue;
      const png = path.join(RESULTS_DIR, `${base}${suffix}.png`);
      await page.screenshot({ path: png, fullPage: true, timeout: 10_000 }).catch(() => {});
      const html = await page.content().catch(() => null);
      if (html !== null) {
        writeFileSync(path.join(RESULTS_DIR, `${base}${suffix}.html`), `<!-- ${page.url()} -->\n${html}`);
      }
      console.error(`failure artefacts: ${png} (url ${page.url()})`);
    }
    if (server) writeFileSync(path.join(RESULTS_DIR, `${base}-server.log`), server.log());
  } catch (e) {
    console.error(`could not save failure artefacts: ${e.message}`);
  }
}
