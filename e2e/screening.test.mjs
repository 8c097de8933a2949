// Screening scenario: a caseworker runs a full interview in Indonesian — answers in several
// sections (one declined), watches the outcome update beside the questions, records a
// liability, signs off (the screening locks) and downloads the PDF record.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  RESULTS_DIR,
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

const CW = { username: 'cw1', role: 'caseworker', site: 'PNH', password: 'e2e-Pulang-cw1-long-password' };
const PERSON = 'Dewi Lestari Wulandari';

describe('screening: a full interview in Indonesian ending in a PDF record', { timeout: 10 * 60_000 }, () => {
  let dataDir;
  let server;
  let browser;
  let page;
  let screeningPath;

  const step = (name, fn) =>
    it(name, { timeout: 120_000 }, withArtifacts(name, { getPages: () => [page], getServer: () => server }, fn));

  const answer = async (id, value) => {
    await page.locator(`fieldset[data-id="${id}"] input[type=radio][value="${value}"]`).check();
  };
  const outcome = async () => page.locator('#outcome [data-outcome]').getAttribute('data-outcome');

  before(
    async () => {
      dataDir = makeDataDir();
      addSite(dataDir, { code: 'PNH', name: 'KBRI Phnom Penh', timezone: 'Asia/Phnom_Penh' });
      addUser(dataDir, CW);
      server = await startServer(dataDir);
      browser = await launchBrowser();
      page = await newPage(browser, server.baseURL, { locale: 'id-ID', acceptDownloads: true });
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

  step('the caseworker registers the person and starts a screening from their record', async () => {
    await signIn(page, CW.username, CW.password);
    await page.goto('/people/new');
    await page.locator('form#register [name=full_name]').fill(PERSON);
    await page.locator('form#register select[name=sex]').selectOption('F');
    await Promise.all([
      page.waitForURL((u) => /^\/people\/[^/]+$/.test(u.pathname) && u.pathname !== '/people/new'),
      page.locator('form#register button[type=submit]').click(),
    ]);
    await navigating(page, () => page.getByRole('button', { name: 'Mulai atau lanjutkan wawancara skrining' }).click());
    screeningPath = pathnameOf(page);
    assert.match(screeningPath, /^\/screenings\/[^/]+$/);
    await page.locator('html[lang="id"]').waitFor({ state: 'attached' });
    assert.equal(await outcome(), 'no_indicators_yet');
  });

  step('recruitment answers, one declined, are saved and the outcome updates', async () => {
    await page.locator('#age_at_recruitment').fill('24');
    await answer('ilo.d1.1', 'present');
    await answer('fc.fake_job_offer', 'present');
    await answer('ilo.d2.7', 'declined');
    await navigating(page, () => page.getByRole('button', { name: 'Simpan dan lanjutkan' }).click());
    assert.match(page.url(), /section=journey/);
    assert.notEqual(await outcome(), 'no_indicators_yet');
    // Resumable: the saved answers are there when the section is opened again.
    await page.goto(`${screeningPath}?section=recruitment`);
    assert.ok(await page.locator('fieldset[data-id="ilo.d2.7"] input[value="declined"]').isChecked());
    assert.equal(await page.locator('#age_at_recruitment').inputValue(), '24');
  });

  step('the compound section raises the outcome to presumed victim', async () => {
    await page.goto(`${screeningPath}?section=compound`);
    for (const id of ['fc.forced_to_scam', 'fc.quota_violence', 'fc.passport_taken_on_arrival', 'fc.guarded_compound']) {
      await answer(id, 'present');
    }
    // The outcome beside the questions updates as answers change (saved in the background).
    await page.locator('#outcome [data-outcome="presumed_victim"]').waitFor({ state: 'attached', timeout: 15_000 });
    await navigating(page, () => page.getByRole('button', { name: 'Simpan', exact: true }).click());
    assert.equal(await outcome(), 'presumed_victim');
    const why = await page.locator('#outcome').innerText();
    assert.match(why, /Alasan/);
  });

  step('a liability is recorded and the caseworker signs off; the screening locks', async () => {
    await page.goto(`${screeningPath}?section=now`);
    await page.locator('input[name=liability][value="participation_in_fraud"]').check();
    await page.locator('input[name=confirm_sign]').check();
    await navigating(page, () => page.getByRole('button', { name: 'Tandatangani' }).click());
    assert.match(pathnameOf(page), /\/record$/);
    const text = await page.locator('article.record').innerText();
    for (const expected of ['Catatan skrining', PERSON, 'Penilaian non-penghukuman', 'Ditandatangani oleh: cw1']) {
      assert.ok(text.includes(expected), `record should contain ${expected}`);
    }
    await page.goto(screeningPath);
    assert.equal(await page.locator('form#interview').count(), 0, 'a signed screening has no editable form');
    await page.getByRole('button', { name: 'Mulai koreksi' }).waitFor({ state: 'visible' });
  });

  step('the PDF record downloads', async () => {
    await page.goto(`${screeningPath}/record`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Unduh PDF' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^screening-PNH-\d{4}-\d{6}-v1-id\.pdf$/);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, download.suggestedFilename());
    await download.saveAs(file);
    const bytes = fs.readFileSync(file);
    assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
    assert.ok(bytes.length > 2000, `PDF too small: ${bytes.length} bytes`);
    fs.rmSync(file);
  });
});
