// Arrival desk in a surge: a caseworker creates a police hand-over group, registers arrivals
// keyboard-only (slip with queue number and QR code), sees the possible-match panel while
// typing a second record of the same person, registers it anyway (queued for review), follows
// the group's progress, merges and unmerges the pair from the review queue, and sees a person
// who had gone home and arrives again flagged for possible re-trafficking.
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

const CW = { username: 'desk1', role: 'caseworker', site: 'PNH', password: 'e2e-Pulang-desk1-correct-horse' };
const NAME = 'Rizky Ananda Pratama';
const POLICE_STYLE = 'PRATAMA RIZKY ANANDA';
const PHONE = '0812 3456 7801';

describe('arrival desk: groups, keyboard-only intake, possible matches, reviews, re-trafficking', { timeout: 10 * 60_000 }, () => {
  let dataDir;
  let server;
  let browser;
  let page;
  let groupPath;
  let firstPerson; // "/people/<id>"
  let secondPerson;

  // Form posts answer 303: wait for where the redirect lands, not the post's own response.
  const landing = async (action, where) => {
    await Promise.all([page.waitForURL((u) => where.test(u.pathname)), action()]);
    await page.waitForLoadState('domcontentloaded');
  };

  const step = (name, fn) =>
    it(name, { timeout: 120_000 }, withArtifacts(name, { getPages: () => [page], getServer: () => server }, fn));

  before(
    async () => {
      dataDir = makeDataDir();
      addSite(dataDir, { code: 'PNH', name: 'KBRI Phnom Penh', timezone: 'Asia/Phnom_Penh' });
      addUser(dataDir, CW);
      server = await startServer(dataDir);
      browser = await launchBrowser();
      page = await newPage(browser, server.baseURL, { locale: 'en-US' });
      await signIn(page, CW.username, CW.password);
      await page.locator('a[data-lang="en"]').first().click();
      await page.locator('html[lang="en"]').waitFor({ state: 'attached' });
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

  step('a police hand-over group is created and opens with empty progress', async () => {
    await page.goto('/groups');
    await page.locator('#g-name').fill('Police hand-over Sihanoukville');
    await page.locator('#g-kind').selectOption('police_handover');
    await landing(() => page.locator('form[action="/groups"] button[type=submit]').click(), /^\/groups\/[^/]+$/);
    groupPath = pathnameOf(page);
    assert.match(groupPath, /^\/groups\/[^/]+$/);
    const registered = page.locator('.progress[data-step="registered"] .progress-count');
    assert.match(await registered.innerText(), /^0 \/ 0/);
  });

  step('the first arrival is registered keyboard-only in under a minute and gets a slip', async () => {
    await navigating(page, () => page.locator('a', { hasText: 'Register arrivals of this group' }).click());
    assert.equal(pathnameOf(page), '/desk');
    const started = Date.now();
    // The name field has the focus; everything else by Tab, keys and Enter.
    assert.equal(await page.evaluate(() => document.activeElement?.name), 'full_name');
    await page.keyboard.type(NAME);
    await page.keyboard.press('Tab'); // sex
    await page.keyboard.press('M'); // "Male", by its first letter
    await page.keyboard.press('Tab'); // age
    await page.keyboard.type('24');
    await page.keyboard.press('Tab'); // birth date
    await page.keyboard.press('Tab'); // phone
    await page.keyboard.type(PHONE);
    await page.keyboard.press('Tab'); // passport
    await page.keyboard.press('Tab'); // child
    await page.keyboard.press('Tab'); // medical
    await page.keyboard.press('Space');
    assert.equal(await page.evaluate(() => document.activeElement?.value), 'medical');
    await landing(() => page.keyboard.press('Enter'), /^\/desk\/slip\//);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 60_000, `first record took ${elapsed} ms`);

    assert.match(pathnameOf(page), /^\/desk\/slip\/[^/]+$/);
    assert.equal(await page.locator('.slip[data-ticket="1"]').count(), 1, 'queue number 1');
    assert.equal(await page.locator('.slip .qr svg').count(), 1, 'a QR code');
    assert.match(await page.locator('.slip [data-case-number]').innerText(), /^PNH-\d{4}-\d{6}$/);
    assert.ok((await page.locator('.slip-flags').innerText()).includes('Medical urgency'));
    firstPerson = '/people/' + pathnameOf(page).split('/').pop();
    // "Next arrival" has the focus: Enter goes back to the desk with the group kept.
    await landing(() => page.keyboard.press('Enter'), /^\/desk$/);
    assert.notEqual(await page.locator('select[name=group]').inputValue(), '');
  });

  step('typing the same person again shows them in the possible-match panel', async () => {
    await page.locator('[name=full_name]').fill('');
    await page.keyboard.type(POLICE_STYLE);
    await page.locator('[name=age]').fill('24');
    await page.locator('[name=phones]').fill(PHONE);
    const match = page.locator('#matches-body li.match', { hasText: NAME });
    await match.first().waitFor({ state: 'visible', timeout: 10_000 });
    const reasons = await match.first().locator('ul.reasons').innerText();
    assert.ok(/Name/.test(reasons) && /Phone/.test(reasons), reasons);
    // Submitting shows the candidates; the registrar says it is someone else anyway.
    await navigating(page, () => page.locator('form#desk button[type=submit]').first().click());
    await page.locator('section.candidates').waitFor({ state: 'visible' });
    await landing(() => page.locator('button[name=confirmed_new]').click(), /^\/desk\/slip\//);
    assert.equal(await page.locator('.slip[data-ticket="2"]').count(), 1, 'queue number 2');
    secondPerson = '/people/' + pathnameOf(page).split('/').pop();
  });

  step("the group's progress shows both arrivals, one needing attention, and records shelter", async () => {
    await page.goto(groupPath);
    assert.match(await page.locator('.progress[data-step="registered"] .progress-count').innerText(), /^2 \/ 2/);
    assert.equal(await page.locator('p.flagged').getAttribute('data-count'), '1');
    const row = page.locator(`tr[data-person="${firstPerson.split('/').pop()}"]`);
    await landing(() => row.locator('button[data-milestone="sheltered"]').click(), /^\/groups\//);
    assert.equal(pathnameOf(page), groupPath);
    assert.match(await page.locator('.progress[data-step="sheltered"] .progress-count').innerText(), /^1 \/ 2/);
  });

  step('the review queue merges the two records, and the merge can be undone', async () => {
    await page.goto('/reviews');
    const pair = page.locator('table.reviews tbody tr').first();
    await pair.waitFor({ state: 'visible' });
    await navigating(page, () => pair.locator('a').click());
    assert.equal(await page.locator('.pair .side').count(), 2);
    await page.locator(`input[name=keep][value="${firstPerson.split('/').pop()}"]`).check();
    await landing(() => page.locator('button[name=decision][value=confirm]').click(), /^\/people\//);
    assert.equal(pathnameOf(page), firstPerson);
    const merges = page.locator('section.merges li');
    assert.equal(await merges.count(), 1);
    // The merged record now points at the person it was merged into.
    await page.goto(secondPerson);
    await page.locator('[data-merged-into]').waitFor({ state: 'visible' });
    await page.goto(firstPerson);
    await landing(() => page.locator('section.merges button[type=submit]').click(), /^\/people\//);
    await page.goto(secondPerson);
    assert.equal(await page.locator('[data-merged-into]').count(), 0, 'unmerged');
  });

  step('someone who went home and arrives again is flagged for possible re-trafficking', async () => {
    await page.goto(firstPerson);
    const returned = page.locator('li[data-milestone="returned"] form');
    await returned.locator('input[name=on]').fill('2026-01-20');
    await landing(() => returned.locator('button[type=submit]').click(), /^\/people\//);
    assert.ok((await page.locator('li[data-milestone="returned"]').innerText()).includes('2026-01-20'));

    await page.goto('/desk');
    await page.locator('[name=full_name]').fill(NAME);
    await page.locator('[name=age]').fill('24');
    await page.locator('[name=phones]').fill(PHONE);
    await navigating(page, () => page.locator('form#desk button[type=submit]').first().click());
    const same = page.locator(`section.candidates button[name=same_as][value="${firstPerson.split('/').pop()}"]`);
    await same.waitFor({ state: 'visible' });
    await landing(() => same.click(), /^\/desk\/slip\//);
    assert.match(pathnameOf(page), /^\/desk\/slip\//);
    await page.goto(firstPerson);
    await page.locator('[data-flag="retrafficking"]').waitFor({ state: 'visible' });
  });
});
