/**
 * Node statuses with numbers in the editor's language, in chromium: the runtime speaks English,
 * the editor German; the default flow's reader, counter, aggregator and sink show German texts
 * with German numbers on the canvas (nodes send their statuses as catalogue phrases, the
 * package's editor plugin words them: lib/shared/telemetry-status.ts). And the sidebar's PDU use.
 * Screenshots go to test-artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Db, MongoClient } from 'mongodb';
import { driverModule, getMongoServers, type MongoServerInfo } from '../helpers/mongo-servers';
import { startSimulator, type SimulatorHandle } from '../helpers/simulator';
import { waitFor } from '../helpers/wait';
import { repoRoot, seed, startNodeRedWithPackage, type NodeRedProcess } from '../runtime/flow/harness';
import { closeDialogs, launchEditorBrowser, nodeIds, openEditor, type EditorBrowser, type EditorRed } from './editor-page';

declare const RED: EditorRed;

const SCREENSHOTS = path.join(repoRoot, 'test-artifacts', 'screenshots');
const PACKAGE_TYPES = ['plc-reader', 'edge-counter', 'hourly-aggregator', 'mongo-sink'];

describe('statuses with numbers in the German editor, and the sidebar\'s PDU use, in chromium', function () {
  this.timeout(300_000);
  let server: MongoServerInfo;
  let client: MongoClient;
  let db: Db;
  let plc: SimulatorHandle;
  let nodeRed: NodeRedProcess;
  let browser: EditorBrowser;
  const log: string[] = [];
  const dbName = `status_de_${Date.now().toString(36)}`;

  before(async function () {
    this.timeout(300_000);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    server = (await getMongoServers())[0];
    const driver = driverModule(server);
    client = new driver.MongoClient(server.uri) as unknown as MongoClient;
    await client.connect();
    db = client.db(dbName);
    plc = await startSimulator({ demo: true });
    await seed.seedIfEmpty(db, {
      ObjectId: driver.ObjectId,
      department: 'Demo line',
      machines: [{ name: 'press-1', powerPin: 0, cyclePin: 1 }, { name: 'lathe-2', powerPin: 2, cyclePin: 3 }],
    });
    nodeRed = await startNodeRedWithPackage({
      flowSource: path.join(repoRoot, 'flows', 'default-flow.json'),
      env: { PLC_HOST: '127.0.0.1', PLC_PORT: String(plc.port), MONGODB_URI: server.uri, MONGODB_DB: dbName, PLANT_TZ: 'Europe/Berlin' },
      settings: server.driver === 'mongodb' ? {} : { s7productionMongoDriver: server.driver },
      onLine: (line) => log.push(line),
    });
    browser = await launchEditorBrowser();
    // the editor's language, as its user settings store it
    await browser.page.addInitScript(() => localStorage.setItem('editor-language', 'de'));
    await openEditor(browser.page, nodeRed.url, PACKAGE_TYPES);
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await nodeRed?.stop();
    await plc?.close();
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !browser) return;
    await browser.page.screenshot({ path: path.join(SCREENSHOTS, `status-german-failure-${Date.now()}.png`) }).catch(() => undefined);
    console.log(`Node-RED log (last 40 lines):\n${log.slice(-40).join('\n')}`);
    await closeDialogs(browser.page);
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
