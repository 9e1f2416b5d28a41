/**
 * The "S7 production" sidebar tab and the plc-reader dialog's live view, in chromium, against
 * Node-RED running the default flow with the PLC simulator and a MongoDB-compatible server:
 * the sidebar's machines match the production documents in the database, its reader row shows
 * the configured interval and the achieved rate, and the dialog's live view follows the
 * deployed reader. Screenshots go to test-artifacts/screenshots/ (the README names it).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Db } from 'mongodb';
import { waitFor } from '../helpers/wait';
import type { NodeRedProcess } from '../runtime/flow/harness';
import { nodeIds, openNodeDialog, SCREENSHOTS, useDemoPlant, type EditorBrowser } from './editor-page';

type Card = Record<string, string> & { id: string };

/** The sidebar's cards of a kind (machine, reader, sink): each field's shown text, by field. */
const cards = (browser: EditorBrowser, kind: string): Promise<Card[]> =>
  browser.page.evaluate((k) => Array.from(document.querySelectorAll(`.s7p-sidebar table.s7p-${k}`)).map((table) => {
    const card: Record<string, string> = { id: table.getAttribute('data-id') ?? '' };
    for (const tr of Array.from(table.querySelectorAll('tr[data-field]'))) card[tr.getAttribute('data-field')!] = (tr.children[1].textContent ?? '').trim();
    return card as Card;
  }), kind);

describe('the S7 production sidebar and the reader\'s live view, in chromium', function () {
  this.timeout(300_000);
  let db: Db;
  let nodeRed: NodeRedProcess;
  let browser: EditorBrowser;
  useDemoPlant({ name: 'sidebar', paletteTypes: ['plc-reader'], defaultFlow: true, seedMachines: true }, (plant) => ({ db, nodeRed, browser } = plant));

  it('the sidebar tab shows the machines as the database has them, the reader\'s interval and rate, and the sink', async () => {
    const page = browser.page;
    // Opened through the editor's own API: Node-RED 4 folds the tab's button into a menu on a
    // narrow sidebar, and Node-RED 5 lays out the sidebar differently.
    // Shown again until it stays shown: the editor may bring another tab forward meanwhile.
    await waitFor('the S7 production tab shown with its reader card', async () => {
      await page.evaluate(() => (window as unknown as { RED: { sidebar: { show(id: string): void } } }).RED.sidebar.show('s7-production'));
      return page.locator('.s7p-sidebar table.s7p-reader').first().isVisible();
    });

    const [readerId] = await nodeIds(page, 'plc-reader');
    const reader = await waitFor('the reader\'s achieved rate in the sidebar', async () => {
      const shown = await cards(browser, 'reader');
      return shown.length === 1 && shown[0].rate !== '–' && shown[0];
    });
    assert.equal(reader.id, readerId);
    assert.equal(reader.state, 'connected');
    assert.equal(reader.interval, '200 ms', 'the default flow\'s interval (PLC_INTERVAL_MS default 200)');
    const rate = Number(reader.rate.replace('/s', ''));
    assert.ok(rate > 0 && rate <= 5.5, `achieved rate ${reader.rate}: at most the configured 5/s`);
    assert.equal(reader.requests, '1');
    assert.match(reader.pdu, /^\d+ B$/);
    assert.ok(await page.locator('.s7p-sidebar table.s7p-reader svg.s7p-chart polyline').count() === 1, 'the cycle-time chart');

    // the aggregator writes an open hour once a minute: wait until the sidebar and the database agree on a count above 0
    const machines = await db.collection('machines').find({}).toArray();
    const names = new Map(machines.map((m) => [String(m._id), m.name as string]));
    const agreed = await waitFor('the sidebar\'s units matching the production documents', async () => {
      const shown = (await cards(browser, 'machine')).filter((c) => names.has(c.id));
      if (shown.length === 0) return false;
      for (const card of shown) {
        const [date, hour] = card.hour.split(' ');
        const doc = await db.collection('productionrecords').findOne({ startTime: new Date(`${date}T00:00:00.000Z`), machineId: machines.find((m) => String(m._id) === card.id)!._id });
        const entry = (doc?.hourlyData as Array<{ hour: number; unitsProduced: number }> | undefined)?.find((h) => h.hour === parseInt(hour, 10));
        if (!entry || entry.unitsProduced !== Number(card.units)) return false;
      }
      return shown.some((c) => Number(c.units) > 0) && shown;
    }, 4 * 60_000);
    const press = agreed.find((c) => names.get(c.id) === 'press-1');
    assert.ok(press, `press-1 in the sidebar: ${JSON.stringify(agreed)}`);
    assert.equal(press.status, 'running', 'the steady machine runs');

    const sinks = await cards(browser, 'sink');
    assert.equal(sinks.length, 1);
    assert.equal(sinks[0].lastError, '–', 'no write error');
    assert.ok(Number(sinks[0].writtenPerS) > 0, `written per second: ${sinks[0].writtenPerS}`);
    const sidebarText = await page.locator('.s7p-sidebar').innerText();
    assert.ok(!/mongodb:\/\/|password/i.test(sidebarText), 'no connection string or secret in the sidebar');
    await page.locator('#red-ui-sidebar').screenshot({ path: path.join(SCREENSHOTS, 'sidebar-s7-production.png') });
  });

  it('the reader\'s dialog shows each signal live from the deployed node, updating while it is open', async () => {
    const page = browser.page;
    const [readerId] = await nodeIds(page, 'plc-reader');
    const requests: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/live')) requests.push(r.url()); });
    await openNodeDialog(page, readerId);
    const first = await waitFor('live rows in the dialog', async () => {
      const rows = await page.locator('#plc-reader-live tr[data-signal]').allInnerTexts();
      return rows.length > 0 && rows;
    });
    const deployed = await (await fetch(`${nodeRed.url}/plc-reader/${readerId}/live`)).json() as { signals: Array<{ name: string }> };
    assert.equal(first.length, deployed.signals.length, 'a row per signal the deployed reader reads');
    // the simulator's cycle signals pulse: the view changes while the dialog stays open
    await waitFor('the live view updating', async () => {
      const rows = await page.locator('#plc-reader-live tr[data-signal]').allInnerTexts();
      return rows.join('\n') !== first.join('\n');
    });
    await waitFor('a shortest pulse measured', async () =>
      (await page.locator('#plc-reader-live tr[data-signal] td:last-child').allInnerTexts()).some((t) => /^\d+ ms$/.test(t)));
    assert.ok(requests.length >= 2, 'refreshed from the runtime');
    assert.ok(requests.every((u) => u.endsWith(`/plc-reader/${readerId}/live`)), 'from the deployed node only');
    await page.locator('#plc-reader-live').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'plc-reader-dialog.png') });

    await page.click('#node-dialog-cancel');
    await page.waitForSelector('#plc-reader-live-row', { state: 'detached' });
  });
});
