// Foundation scenario: sign in, register a survivor (with a NIK warning confirmed),
// find them, switch language, sign out, and check that another embassy's registrar
// can neither open nor find them. Runs against a real `pulang serve` and Chromium.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addSite,
  addUser,
  launchBrowser,
  makeDataDir,
  navigating,
  newPage,
  pathnameOf,
  removeDataDir,
  signIn,
  startServer,
  withArtifacts,
} from './harness.mjs';

const PERSON = 'Siti Nurhaliza Rahayu';
const NIK = '3204105201980001'; // encodes a woman born 1998-01-12 (day 12 + 40)
const REG1 = { username: 'reg1', role: 'registrar', site: 'PNH', password: 'e2e-Pulang-reg1-correct-horse' };
const REG2 = { username: 'reg2', role: 'registrar', site: 'BKK', password: 'e2e-Pulang-reg2-battery-staple' };
const CASE_NUMBER = /^PNH-\d{4}-\d{6}$/;

describe('foundation: registrar flow, language, sign-out, site isolation', { timeout: 10 * 60_000 }, () => {
  let dataDir;
  let server;
  let browser;
  let page;
  let personPath; // "/people/<id>" of Siti, set by the registration step

  const step = (name, fn) =>
    it(name, { timeout: 120_000 }, withArtifacts(name, { getPages: () => [page], getServer: () => server }, fn));

  const needPerson = () => {
    assert.ok(personPath, 'depends on the registration step, which did not produce a person page');
    return personPath;
  };

  const headingTexts = async () =>
    (await page.locator('h1:visible, h2:visible, h3:visible').allInnerTexts()).map((s) => s.trim()).filter(Boolean);

  const searchPeople = async (q) => {
    await page.goto('/people');
    const input = page.locator('form#search input[name=q]');
    await input.fill(q);
    await navigating(page, () => input.press('Enter'));
    // Result rows are the ones linking to a person (an empty-state row does not count).
    return page.locator('table#people-results tbody tr').filter({ has: page.locator('a.person-link') });
  };

  before(
    async () => {
      dataDir = makeDataDir();
      addSite(dataDir, { code: 'PNH', name: 'KBRI Phnom Penh', timezone: 'Asia/Phnom_Penh' });
      addSite(dataDir, { code: 'BKK', name: 'KBRI Bangkok', timezone: 'Asia/Bangkok' });
      addUser(dataDir, REG1);
      server = await startServer(dataDir);
      browser = await launchBrowser();
      page = await newPage(browser, server.baseURL, { locale: 'id-ID' });
    },
    { timeout: 180_000 },
  );

  after(
    async () => {
      await browser?.close().catch(() => {});
      await server?.stop();
      removeDataDir(dataDir);
    },
    { timeout: 60_000 },
  );

  step('the login page is in Indonesian by default and signs reg1 in to /people', async () => {
    const res = await page.goto('/login');
    assert.equal(res.status(), 200);
    await page.locator('html[lang="id"]').waitFor({ state: 'attached' });
    await signIn(page, REG1.username, REG1.password);
    assert.equal(pathnameOf(page), '/people');
    await page.locator('form#logout').waitFor({ state: 'visible' });
  });

  step('registering with a NIK that contradicts the sex warns, and confirming saves', async () => {
    await page.goto('/people/new');
    const form = page.locator('form#register');
    await form.locator('[name=full_name]').fill(PERSON);
    await form.locator('select[name=sex]').selectOption('M'); // the NIK says F: expect a warning
    await form.locator('[name=birth_date]').fill('1998-01-12');
    await form.locator('[name=nik]').fill(NIK);

    // reg1 belongs to PNH: pick it if the site select is not already set.
    const site = form.locator('select[name=site]');
    if ((await site.count()) > 0 && !(await site.inputValue())) {
      const value = await site.evaluate((sel) => {
        const opt = [...sel.options].find((o) => o.value === 'PNH' || /PNH|Phnom Penh/.test(o.textContent));
        return opt ? opt.value : null;
      });
      if (value !== null) await site.selectOption(value);
    }

    await navigating(page, () => form.locator('button[type=submit]').click());
    await page.locator('.field-warning[data-field="nik"]').waitFor({ state: 'visible' });
    assert.equal(await page.locator('form#register').count(), 1, 'a warning must keep us on the form');
    assert.equal(await page.locator('form#register [name=full_name]').inputValue(), PERSON, 'form keeps its values');

    await page.locator('input[name=confirm_warnings]').check();
    await Promise.all([
      page.waitForURL((url) => /^\/people\/[^/]+$/.test(url.pathname) && url.pathname !== '/people/new'),
      page.locator('form#register button[type=submit]').click(),
    ]);
    personPath = pathnameOf(page);

    const h1s = await page.locator('h1').allInnerTexts();
    assert.ok(h1s.some((t) => t.includes(PERSON)), `an h1 should contain the name; h1s: ${JSON.stringify(h1s)}`);
    const caseNumber = (await page.locator('[data-case-number]').first().innerText()).trim();
    assert.match(caseNumber, CASE_NUMBER);
  });

  step('the person page is sent with strict security headers', async () => {
    const res = await page.goto(needPerson());
    assert.equal(res.status(), 200);
    const headers = await res.allHeaders();

    const csp = headers['content-security-policy'];
    assert.ok(csp, 'content-security-policy header is missing');
    const directives = Object.fromEntries(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((parts) => parts[0])
        .map(([name, ...values]) => [name.toLowerCase(), values]),
    );
    const scriptSrc = directives['script-src'] ?? directives['default-src'];
    assert.ok(scriptSrc, `CSP has neither script-src nor default-src: ${csp}`);
    assert.ok(!scriptSrc.includes("'unsafe-inline'"), `script-src allows 'unsafe-inline': ${csp}`);

    assert.equal((headers['x-frame-options'] ?? '').trim().toUpperCase(), 'DENY');
    assert.match(headers['cache-control'] ?? '', /no-store/);
  });

  step('a partial, different-case name search finds the person and links to them', async () => {
    const rows = await searchPeople('nurhal');
    const row = rows.filter({ hasText: PERSON });
    await row.first().waitFor({ state: 'visible' });
    await Promise.all([
      page.waitForURL((url) => url.pathname === needPerson()),
      row.first().locator('a.person-link').first().click(),
    ]);
    assert.equal(pathnameOf(page), needPerson());

    const none = await searchPeople('zzqx-tidak-ada-orang-ini');
    assert.equal(await none.count(), 0, 'a search that matches nobody must show no rows');
  });

  step('the language links switch between English and Indonesian', async () => {
    await page.goto(needPerson());
    await page.locator('html[lang="id"]').waitFor({ state: 'attached' });
    const inIndonesian = await headingTexts();

    await page.locator('a[data-lang="en"]').first().click();
    await page.locator('html[lang="en"]').waitFor({ state: 'attached' });
    await page.waitForLoadState('domcontentloaded');
    const inEnglish = await headingTexts();

    await page.locator('a[data-lang="id"]').first().click();
    await page.locator('html[lang="id"]').waitFor({ state: 'attached' });
    await page.waitForLoadState('domcontentloaded');
    const backInIndonesian = await headingTexts();

    assert.notDeepEqual(inEnglish, inIndonesian, `no visible heading changed: ${JSON.stringify(inEnglish)}`);
    assert.deepEqual(backInIndonesian, inIndonesian, 'switching back should restore the Indonesian headings');
  });

  step('signing out lands on /login and /people then needs a new sign-in', async () => {
    await page.goto('/people');
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/login'),
      page.locator('form#logout button').first().click(),
    ]);
    assert.equal(pathnameOf(page), '/login');

    await page.goto('/people');
    assert.equal(pathnameOf(page), '/login', 'a signed-out /people must redirect to /login');

    await page.goto(needPerson());
    assert.equal(pathnameOf(page), '/login', 'a signed-out person page must redirect to /login');
    assert.ok(!(await page.content()).includes(PERSON));
  });

  step("a registrar of another site (BKK) can neither open nor find PNH's person", async () => {
    const target = needPerson();
    addUser(dataDir, REG2); // created through the CLI while the server runs
    await signIn(page, REG2.username, REG2.password);
    assert.equal(pathnameOf(page), '/people');

    const res = await page.goto(target);
    assert.equal(res.status(), 404, `GET ${target} as reg2`);
    const html = await page.content();
    assert.ok(!html.includes(PERSON), 'the name must not appear on the 404 page');
    assert.ok(!html.includes(NIK), 'the NIK must not appear on the 404 page');

    const rows = await searchPeople('nurhal');
    assert.equal(await rows.count(), 0, 'reg2 must not find a PNH person');
    assert.ok(!(await page.content()).includes(PERSON));
  });
});
