/**
 * The editor in a real browser (Debian's chromium through playwright-core), against Node-RED in a
 * child process with this build as the package, the PLC simulator and a MongoDB-compatible server:
 * each node dragged from the palette, bad values rejected (red fields), fixed, deployed and read
 * back from the admin API; the default flow imported from Import > Examples, deployed, live;
 * the reader retuned in its dialog (the counter's advisor and the dialog's advice at 1000 ms, green
 * and counting at 200 ms); the editor in German.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from 'mongodb';
import type { MongoServerInfo } from '../helpers/mongo-servers';
import type { SimulatorHandle } from '../helpers/simulator';
import { waitFor } from '../helpers/wait';
import { repoRoot, type NodeRedProcess } from '../runtime/flow/harness';
import {
  clickDone, deploy, deployedFlows, dragFromPalette, isMarkedInvalid, nodeIds, invalidProperties,
  openNodeDialog, PACKAGE_TYPES, setField, switchToGerman, useDemoPlant, type EditorBrowser, type EditorRed,
} from './editor-page';

declare const RED: EditorRed;

type FlowNode = Record<string, unknown> & { id: string; type: string };

describe('the editor, in chromium', function () {
  this.timeout(120_000);
  let server: MongoServerInfo;
  let db: Db;
  let plc: SimulatorHandle;
  let nodeRed: NodeRedProcess;
  let browser: EditorBrowser;
  useDemoPlant({ name: 'editor', paletteTypes: PACKAGE_TYPES, seedMachines: true }, (plant) => ({ server, db, plc, nodeRed, browser } = plant));

  const deployedNode = async (id: string): Promise<FlowNode> => {
    const node = (await deployedFlows(nodeRed.url)).find((n) => n.id === id);
    assert.ok(node, `node ${id} is deployed`);
    return node;
  };

  /** Types a bad value, sees the field turn red, types a good one, sees it clear. */
  async function rejectsThenAccepts(field: string, bad: string[], good: string): Promise<void> {
    const page = browser.page;
    for (const value of bad) {
      await setField(page, field, value);
      assert.equal(await isMarkedInvalid(page, field), true, `${field} = "${value}" is marked invalid`);
    }
    await setField(page, field, good);
    assert.equal(await isMarkedInvalid(page, field), false, `${field} = "${good}" is accepted`);
  }

  /** The node and the config nodes it uses have no red triangle. */
  async function assertValid(id: string): Promise<void> {
    const page = browser.page;
    const configs = await page.evaluate((nodeId) => {
      const node = RED.nodes.node(nodeId) ?? {};
      return Object.values(node).filter((v): v is string => typeof v === 'string' && v !== nodeId && !!RED.nodes.node(v));
    }, id);
    for (const config of configs) assert.deepEqual(await invalidProperties(page, config), [], `config node ${config} is valid`);
    assert.deepEqual(await invalidProperties(page, id), [], `node ${id} is valid`);
  }

  it('plc-reader with a new plc-connection: bad values rejected, fixed, deployed', async () => {
    const page = browser.page;
    const id = await dragFromPalette(page, 'plc-reader', 150, 300);
    await openNodeDialog(page, id);
    await rejectsThenAccepts('#node-input-intervalMs', ['5', 'fast'], '500');
    await setField(page, '#node-input-outputMode', 'per-cycle');
    // a signal row with an address the parser rejects, then a good one
    await page.click('.node-input-signals-container-row .red-ui-editableList-addButton');
    const row = page.locator('#node-input-signals-container li').last();
    await row.locator('.plc-reader-name').fill('cycle');
    await row.locator('.plc-reader-address').fill('DB1.DBQ9');
    await row.locator('.plc-reader-address').press('Tab');
    assert.equal(await row.locator('.plc-reader-address').evaluate((el) => el.classList.contains('input-error')), true, 'bad address is red');
    await row.locator('.plc-reader-address').fill('Q0.1');
    await row.locator('.plc-reader-address').press('Tab');
    assert.equal(await row.locator('.plc-reader-address').evaluate((el) => el.classList.contains('input-error')), false, 'Q0.1 is accepted');
    await row.locator('.plc-reader-kind').selectOption('unit-cycle');

    // the connection: a new plc-connection through the pencil button
    await page.click('#node-input-btn-connection-add');
    await page.waitForSelector('#node-config-input-host', { state: 'visible' });
    await rejectsThenAccepts('#node-config-input-host', ['not a host!'], '127.0.0.1');
    await rejectsThenAccepts('#node-config-input-port', ['70000', 'x'], String(plc.port));
    await rejectsThenAccepts('#node-config-input-slot', ['99'], '1');
    await clickDone(page, true);
    await clickDone(page);
    await assertValid(id);
    await deploy(page);

    const reader = await deployedNode(id);
    assert.equal(Number(reader.intervalMs), 500);
    assert.equal(reader.outputMode, 'per-cycle');
    assert.deepEqual((reader.signals as Array<Record<string, unknown>>).map((s) => [s.name, s.address, s.kind]), [['cycle', 'Q0.1', 'unit-cycle']]);
    const connection = await deployedNode(reader.connection as string);
    assert.equal(connection.type, 'plc-connection');
    assert.equal(connection.host, '127.0.0.1');
    assert.equal(Number(connection.port), plc.port);
  });

  it('edge-counter: bad values rejected, fixed, deployed', async () => {
    const page = browser.page;
    const id = await dragFromPalette(page, 'edge-counter', 150, 400);
    await openNodeDialog(page, id);
    await rejectsThenAccepts('#node-input-minHighMs', ['-1', 'abc'], '20');
    await rejectsThenAccepts('#node-input-gapWarnSeconds', ['-3'], '30');
    // the counter-register settings show in counter mode
    await setField(page, '#node-input-mode', 'counter');
    await rejectsThenAccepts('#node-input-maxStep', ['0'], '50');
    await setField(page, '#node-input-mode', 'both');
    await clickDone(page);
    await assertValid(id);
    await deploy(page);
    const counter = await deployedNode(id);
    assert.deepEqual([counter.mode, Number(counter.minHighMs), Number(counter.maxStep), Number(counter.gapWarnSeconds)], ['both', 20, 50, 30]);
  });

  it('hourly-aggregator: bad values rejected, fixed, deployed', async () => {
    const page = browser.page;
    const id = await dragFromPalette(page, 'hourly-aggregator', 150, 500);
    await openNodeDialog(page, id);
    await rejectsThenAccepts('#node-input-timeZone', ['Mars/Olympus_Mons'], 'Asia/Kolkata');
    await rejectsThenAccepts('#node-input-powerTimeoutMinutes', ['0', 'soon'], '4');
    await rejectsThenAccepts('#node-input-retainHours', ['1'], '48');
    await clickDone(page);
    await assertValid(id);
    await deploy(page);
    const aggregator = await deployedNode(id);
    assert.deepEqual([aggregator.timeZone, Number(aggregator.powerTimeoutMinutes), Number(aggregator.retainHours)], ['Asia/Kolkata', 4, 48]);
  });

  it('mongo-sink with a new mongo-connection: bad values rejected, fixed, deployed; no password in the flow', async () => {
    const page = browser.page;
    const id = await dragFromPalette(page, 'mongo-sink', 150, 600);
    await openNodeDialog(page, id);
    await rejectsThenAccepts('#node-input-batchSize', ['many'], '200');
    await setField(page, '#node-input-signalMode', 'history');
    await rejectsThenAccepts('#node-input-historyCollection', ['system.readings', 'a$b'], 'line_readings');
    await page.click('#node-input-btn-connection-add');
    await page.waitForSelector('#node-config-input-uri', { state: 'visible' });
    await rejectsThenAccepts('#node-config-input-uri', ['http://127.0.0.1/', 'mongodb://'], server.uri);
    await rejectsThenAccepts('#node-config-input-maxPoolSize', ['lots'], '5');
    await setField(page, '#node-config-input-username', 'recorder');
    await setField(page, '#node-config-input-password', 'not-in-the-flow');
    await clickDone(page, true);
    await clickDone(page);
    await assertValid(id);
    await deploy(page);
    const sink = await deployedNode(id);
    assert.deepEqual([Number(sink.batchSize), sink.signalMode, sink.historyCollection], [200, 'history', 'line_readings']);
    const connection = await deployedNode(sink.connection as string);
    assert.equal(connection.uri, server.uri);
    assert.ok(!JSON.stringify(await deployedFlows(nodeRed.url)).includes('not-in-the-flow'), 'the password is not in the deployed flow');
  });

  it('the default flow, imported from Import > Examples and deployed: live status on every node, production documents written', async function () {
    this.timeout(300_000); // a limit: the first production document takes about a minute
    const page = browser.page;
    // an empty workspace first: select everything on the tab, delete, deploy
    await page.locator('#red-ui-workspace-chart').click({ position: { x: 600, y: 500 } });
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Delete');
    // and the config nodes the earlier tests made, now unused
    await page.evaluate(() => {
      const unused: string[] = [];
      RED.nodes.eachConfig((n) => { if (Array.isArray(n.users) && n.users.length === 0) unused.push(n.id); });
      unused.forEach((id) => RED.nodes.remove(id));
    });
    await deploy(page);

    await page.click('#red-ui-header-button-sidemenu');
    await page.click('#menu-item-import');
    await page.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples');
    await page.locator('#red-ui-clipboard-dialog-import-tab-examples .red-ui-treeList-label', { hasText: '@linesentry/node-red-s7-production' }).click();
    await page.locator('#red-ui-clipboard-dialog-import-tab-examples .red-ui-treeList-label', { hasText: 'production-pipeline' }).click();
    await page.click('#red-ui-clipboard-dialog-ok');
    const file = JSON.parse(fs.readFileSync(path.join(repoRoot, 'flows', 'default-flow.json'), 'utf8')) as FlowNode[];
    // the imported nodes hang on the mouse until a click drops them (on a busy machine they may
    // arrive after the first click)
    const importedIds = await waitFor('the imported default flow on the canvas', async () => {
      await page.mouse.move(700, 400);
      await page.mouse.click(700, 400);
      const ids = await page.evaluate((types) => {
        const found: string[] = [];
        RED.nodes.eachNode((n) => { if (types.includes(n.type)) found.push(n.id); });
        return found;
      }, PACKAGE_TYPES);
      return ids.length === file.filter((f) => PACKAGE_TYPES.includes(f.type)).length && ids;
    });
    for (const id of importedIds) await assertValid(id);
    await deploy(page);

    const deployed = await deployedFlows(nodeRed.url);
    const imported = deployed.filter((n) => PACKAGE_TYPES.includes(n.type) && n.name && file.some((f) => f.type === n.type && f.name === n.name));
    assert.equal(imported.length, file.filter((f) => PACKAGE_TYPES.includes(f.type)).length, 'every node of the default flow is deployed');
    const reader = imported.find((n) => n.type === 'plc-reader')!;
    assert.equal(reader.intervalMs, '${PLC_INTERVAL_MS}', 'deployed as imported: configured from the environment');

    // live status on every node of the package, as the editor shows it
    await page.waitForFunction((ids) => ids.every((id) => {
      const status = RED.nodes.node(id)?.status as { text?: string } | undefined;
      return !!status?.text;
    }), imported.map((n) => n.id), { timeout: 60_000 });
    const statuses = await page.evaluate((ids) => ids.map((id) => (RED.nodes.node(id)?.status as { text: string }).text), imported.map((n) => n.id));
    assert.ok(statuses.every((s) => !/error|fehler/i.test(s)), `statuses: ${statuses.join(' | ')}`);

    // The aggregator writes an open hour once a minute: a production document comes after about one.
    await waitFor('a production document', async () => await db.collection('productionrecords').countDocuments() >= 1, 3 * 60_000);
    const machine = await db.collection('machines').findOne({ name: 'press-1' });
    assert.equal(machine?.status, 'running', 'the steady machine runs');
  });

  it('retuning the reader in its dialog: at 1000 ms the counter turns yellow and the dialog shows what it asks for; at 200 ms green again, units counting', async function () {
    this.timeout(300_000);
    const page = browser.page;
    const readers = await nodeIds(page, 'plc-reader');
    const counters = await nodeIds(page, 'edge-counter');
    assert.equal(readers.length, 1, 'the default flow\'s reader only');
    assert.equal(counters.length, 1, 'the default flow\'s counter only');
    const [readerId] = readers;
    const [counterId] = counters;
    /** The status the editor's canvas shows for a node. */
    const statusOf = (id: string): Promise<{ fill: string; text: string }> => page.evaluate((nodeId) => {
      const status = RED.nodes.node(nodeId)?.status as { fill?: string; text?: string } | undefined;
      return { fill: status?.fill ?? '', text: status?.text ?? '' };
    }, id);
    const unitsIn = (text: string): number => Number(/(\d+) units/.exec(text)?.[1] ?? NaN);
    const advice = page.locator('#plc-reader-advice');
    const screenshots = path.join(repoRoot, 'test-artifacts', 'screenshots');
    fs.mkdirSync(screenshots, { recursive: true });
    const accepted = await plc.connectionsAccepted();

    // 1000 ms: the simulator's 500 ms pulses are read in one sample or none (its demo cycles are no
    // whole multiples of a reading interval: see DEMO_MACHINES in sim/cli.ts)
    await openNodeDialog(page, readerId);
    await setField(page, '#node-input-intervalMs', '1000');
    await clickDone(page);
    await deploy(page);
    assert.equal(Number((await deployedNode(readerId)).intervalMs), 1000);
    await waitFor('the reader\'s status: every 1000 ms', async () => /^every 1000 ms · /.test((await statusOf(readerId)).text));
    const yellow = await waitFor('the counter\'s advisor turns it yellow', async () => {
      const status = await statusOf(counterId);
      return status.fill === 'yellow' && /: read every ≤ \d+ ms/.test(status.text) && status;
    }, 120_000);
    assert.match(yellow.text, /: pulses (≈ \d+ ms|shorter than a reading \(\d+ ms\)): read every ≤ \d+ ms/);

    await openNodeDialog(page, readerId);
    const slowAdvice = await waitFor('the dialog\'s advice: the interval is slower than asked', async () =>
      (await advice.getAttribute('data-too-slow')) === 'true' && advice.innerText());
    const asked = Number(/Counters ask for ≤ (\d+) ms: /.exec(slowAdvice)?.[1]);
    assert.ok(asked < 1000, `the counter asks for ≤ ${asked} ms: ${slowAdvice}`);
    assert.match(slowAdvice, /1000 ms is slower: units are missed\./);
    await page.screenshot({ path: path.join(screenshots, 'dialog-plc-reader-advice-too-slow.png') });
    // the advice follows the field as it is typed in, before a deploy
    await setField(page, '#node-input-intervalMs', '200');
    await waitFor('the advice no longer marks 200 ms', async () => (await advice.getAttribute('data-too-slow')) === 'false');
    await clickDone(page);
    await deploy(page);

    // 200 ms: green again, units counting
    await waitFor('the reader\'s status: every 200 ms', async () => /^every 200 ms · /.test((await statusOf(readerId)).text));
    const green = await waitFor('the counter green again', async () => {
      const status = await statusOf(counterId);
      return status.fill === 'green' && status;
    }, 120_000);
    const unitsBefore = unitsIn(green.text);
    assert.ok(Number.isInteger(unitsBefore), `units in "${green.text}"`);
    // counted at 200 ms, and still green: the advisor has judged those pulses and is satisfied
    await waitFor('units counting, the counter green', async () => {
      const status = await statusOf(counterId);
      return status.fill === 'green' && unitsIn(status.text) >= unitsBefore + 2;
    }, 120_000);
    await openNodeDialog(page, readerId);
    // the mark and the words read at once: the dialog refreshes its advice every 2 s
    await waitFor('the dialog\'s advice at 200 ms: what the counters ask for, 200 ms not marked slower', async () => {
      const shown = await advice.evaluate((el) => ({ tooSlow: el.getAttribute('data-too-slow'), text: (el as HTMLElement).innerText }));
      return shown.tooSlow === 'false' && /Counters ask for ≤ \d+ ms/.test(shown.text) && !/slower/.test(shown.text);
    });
    await page.screenshot({ path: path.join(screenshots, 'dialog-plc-reader-advice.png') });
    await page.click('#node-dialog-cancel');
    assert.equal(await plc.connectionsAccepted(), accepted, 'no new S7 connection: the plc-connection was kept across both deploys');
  });

  it('in German: the palette and the dialogs show the translated labels', async () => {
    const page = browser.page;
    await switchToGerman(page, nodeRed.url, PACKAGE_TYPES);
    assert.equal(await page.evaluate(() => localStorage.getItem('editor-language')), 'de', 'the choice is stored');
    assert.equal(await page.evaluate(() => RED.i18n.lang()), 'de');

    const de = (type: string): Record<string, unknown> =>
      (JSON.parse(fs.readFileSync(path.join(repoRoot, 'nodes', type, 'locales', 'de', `${type}.json`), 'utf8')) as Record<string, Record<string, unknown>>)[type];
    const lookup = (tree: Record<string, unknown>, key: string): unknown => key.split('.').reduce<unknown>((t, k) => (t as Record<string, unknown> | undefined)?.[k], tree);

    // every mismatch is collected, so one run shows all that is not translated
    const wrong: string[] = [];
    let checked = 0;
    for (const type of ['edge-counter', 'hourly-aggregator']) {
      // the palette wraps long labels over lines
      const label = (await page.locator(`.red-ui-palette-node[data-palette-type="${type}"] .red-ui-palette-label`).innerText()).replace(/\s+/g, '');
      const expected = String(lookup(de(type), 'paletteLabel')).replace(/\s+/g, '');
      checked += 1;
      if (label !== expected) wrong.push(`${type} palette label: "${label}", expected "${expected}"`);
    }
    for (const [i, type] of PACKAGE_TYPES.entries()) {
      const [existing] = await nodeIds(page, type);
      const id = existing ?? await dragFromPalette(page, type, 150, 300 + 100 * i);
      await openNodeDialog(page, id);
      // Node-RED prefixes the keys with the node set's namespace: "<module>/<set>:plc-reader.label.name"
      const labels = await page.evaluate((t) => Array.from(document.querySelectorAll('.red-ui-tray [data-i18n]'))
        .map((el) => [(el.getAttribute('data-i18n') ?? '').replace(/^[^:[]*:/, ''), (el as HTMLElement).innerText.trim()])
        .filter(([key]) => key.startsWith(`${t}.`)), type);
      assert.ok(labels.length >= 3, `${type}: ${labels.length} translated labels in the dialog`);
      for (const [key, text] of labels) {
        const expected = lookup(de(type), key.slice(type.length + 1));
        checked += 1;
        if (typeof expected !== 'string') wrong.push(`${type}: ${key} has no German text`);
        else if (text !== expected) wrong.push(`${type}: ${key} shows "${text}", expected "${expected}"`);
      }
      await page.click('#node-dialog-cancel');
      await page.waitForSelector('#node-dialog-cancel', { state: 'detached' });
    }
    assert.deepEqual(wrong, [], `${wrong.length} of ${checked} labels not in German`);
  });
});
