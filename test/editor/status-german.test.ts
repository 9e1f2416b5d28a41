/**
 * Node statuses with numbers in the editor's language, in chromium: the runtime speaks English,
 * the editor German; the default flow's reader, counter, aggregator and sink show German texts
 * with German numbers on the canvas (nodes send their statuses as catalogue phrases, the
 * package's editor plugin words them: lib/shared/telemetry-status.ts). And the sidebar's PDU use.
 * Screenshots go to test-artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { waitFor } from '../helpers/wait';
import { nodeIds, PACKAGE_TYPES, SCREENSHOTS, switchToGerman, useDemoPlant, type DemoPlant, type EditorBrowser, type EditorRed } from './editor-page';

declare const RED: EditorRed;

describe('statuses with numbers in the German editor, and the sidebar\'s PDU use, in chromium', function () {
  this.timeout(300_000);
  let browser: EditorBrowser;
  let url: string;
  useDemoPlant({ name: 'status_de', paletteTypes: PACKAGE_TYPES, defaultFlow: true, seedMachines: true }, (plant: DemoPlant) => {
    browser = plant.browser;
    url = plant.nodeRed.url;
  });

  before(async function () {
    this.timeout(120_000);
    // the runtime keeps speaking English; the editor is switched to German as a user does it
    await switchToGerman(browser.page, url, PACKAGE_TYPES);
  });

  /** The status text the editor's canvas shows for the first node of a type. */
  const shownStatus = async (type: string): Promise<string> => {
    const [id] = await nodeIds(browser.page, type);
    assert.ok(id, `a ${type} in the default flow`);
    return browser.page.evaluate((nodeId) => {
      const label = document.getElementById(nodeId)?.querySelector('.red-ui-flow-node-status-label');
      return label?.textContent ?? '';
    }, id);
  };

  it('the reader, counter, aggregator and sink say their numbers in German', async () => {
    const page = browser.page;
    assert.equal(await page.evaluate(() => RED.i18n.lang()), 'de');
    const reader = await waitFor('the reader in German, with a decimal comma', async () => {
      const text = await shownStatus('plc-reader');
      return /^alle 200 ms · \d+,\d\/s · 4 Signale · 1 Anfr\. · \d+ ms/.test(text) && text;
    });
    const counter = await waitFor('the counter in German', async () => {
      const text = await shownStatus('edge-counter');
      return /\d+ Stück · 2 Schlüssel$/.test(text) && text;
    });
    const aggregator = await waitFor('the aggregator in German', async () => {
      const text = await shownStatus('hourly-aggregator');
      return /^2 Maschinen · Europe\/Berlin$/.test(text) && text;
    });
    const sink = await waitFor('the sink in German', async () => {
      const text = await shownStatus('mongo-sink');
      return /^verbunden · \S+ \d+ · \S+ \d+/.test(text) && text;
    });
    console.log(`      ${[reader, counter, aggregator, sink].join('\n      ')}`);
    await page.locator('#red-ui-workspace-chart').screenshot({ path: path.join(SCREENSHOTS, 'status-german.png') });
  });

  it('the sidebar shows how full the reader\'s requests are: PDU use, in German', async () => {
    const page = browser.page;
    await page.evaluate(() => (RED as unknown as { sidebar: { show(id: string): void } }).sidebar.show('s7-production'));
    const use = await waitFor('PDU use in the sidebar', async () => {
      const cell = page.locator('.s7p-sidebar table.s7p-reader tr[data-field="pduUse"] td').nth(1);
      if (await cell.count() === 0) return false;
      const text = (await cell.innerText()).trim();
      return /^\d+ % genutzt$/.test(text) && text;
    });
    // one request of the four pins (Q0): 24 request bytes of the simulator's PDU of 480
    assert.equal(use, '5 % genutzt');
    assert.match((await page.locator('.s7p-sidebar table.s7p-reader tr[data-field="pdu"] td').nth(1).innerText()).trim(), /^480 B$/);
    await page.locator('#red-ui-sidebar').screenshot({ path: path.join(SCREENSHOTS, 'sidebar-pdu-use.png') });
  });
});
