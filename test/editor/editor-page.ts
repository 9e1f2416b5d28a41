/**
 * Drives the Node-RED editor in Debian's chromium (playwright-core, nothing downloaded) the way a
 * user does: palette drags, double-clicks, typing, the deploy button, menus; and sets up the demo
 * plant the browser tests run against.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db, MongoClient } from 'mongodb';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DRIVER_SETTING } from '../../nodes/mongo-connection/types';
import { driverModule, getMongoServers, type MongoServerInfo } from '../helpers/mongo-servers';
import { startSimulator, type SimulatorHandle } from '../helpers/simulator';
import { repoRoot, seed, startNodeRedWithPackage, type NodeRedProcess } from '../runtime/flow/harness';

/** The parts of the editor's global RED these tests touch (evaluated in the page). */
export interface EditorNode { id: string; type: string; valid?: boolean; validationErrors?: unknown[]; [key: string]: unknown }
export interface EditorRed {
  nodes: {
    eachNode(cb: (n: EditorNode) => void): void;
    eachConfig(cb: (n: EditorNode) => void): void;
    remove(id: string): unknown;
    node(id: string): EditorNode | null;
    dirty(): boolean;
  };
  comms: { subscribe(topic: string, cb: (topic: string, msg: unknown) => void): void };
  view: { reveal(id: string): void };
  i18n: { lang(): string };
}
declare const RED: EditorRed;

/** The package's node types in the palette (config nodes have none). */
export const PACKAGE_TYPES = ['plc-reader', 'edge-counter', 'hourly-aggregator', 'mongo-sink'];

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface EditorBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A headless chromium with a fresh profile and one page (1400x900). */
export async function launchEditorBrowser(): Promise<EditorBrowser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'editor-chromium-'));
  // A persistent context is chromium with --user-data-dir=<profile>: a fresh profile per run.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
    locale: 'en-US',
  });
  const page = context.pages()[0] ?? await context.newPage();
  return {
    context,
    page,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the editor and waits until the palette holds the given node types. */
export async function openEditor(page: Page, url: string, types: string[]): Promise<void> {
  await page.goto(url);
  for (const type of types) {
    await page.waitForSelector(`.red-ui-palette-node[data-palette-type="${type}"]`, { timeout: 30_000 });
  }
}

/** Chooses German in the user settings, as a user does, and reloads the editor in it. */
export async function switchToGerman(page: Page, url: string, types: string[]): Promise<void> {
  await page.click('#red-ui-header-button-sidemenu');
  await page.click('#menu-item-user-settings');
  await page.selectOption('#user-settings-editor-language', 'de');
  await page.click('#node-dialog-ok');
  await page.waitForSelector('#user-settings-tabs', { state: 'detached' });
  await page.reload();
  await openEditor(page, url, types);
}

/** Ids of the editor's nodes of a type. */
export function nodeIds(page: Page, type: string): Promise<string[]> {
  return page.evaluate((t) => {
    const ids: string[] = [];
    RED.nodes.eachNode((n) => { if (n.type === t) ids.push(n.id); });
    RED.nodes.eachConfig((n) => { if (n.type === t) ids.push(n.id); });
    return ids;
  }, type);
}

/** Drags a node from the palette onto the workspace at (x, y) of the chart; returns its id. */
export async function dragFromPalette(page: Page, type: string, x: number, y: number): Promise<string> {
  const before = new Set(await nodeIds(page, type));
  const source = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  // jQuery UI's drag and drop now and then misses a drop on a busy page: a user drags again
  for (let attempt = 1; attempt <= 3; attempt++) {
    await source.scrollIntoViewIfNeeded();
    const from = await source.boundingBox();
    const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
    if (!from || !chart) throw new Error(`palette node ${type} or workspace not visible`);
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2 + 20, from.y + from.height / 2, { steps: 4 });
    await page.mouse.move(chart.x + x, chart.y + y, { steps: 12 });
    await page.waitForTimeout(100);
    await page.mouse.up();
    const added = (await nodeIds(page, type)).filter((id) => !before.has(id));
    if (added.length === 1) return added[0];
    if (added.length > 1) throw new Error(`dragging ${type} added ${added.length} nodes`);
  }
  throw new Error(`dragging ${type} from the palette added no node`);
}

/** Double-clicks a node on the workspace and waits for its edit tray. */
export async function openNodeDialog(page: Page, id: string): Promise<void> {
  // as a user would: go to the node's flow tab and find it there (an imported flow opens a tab of its own)
  await page.evaluate((nodeId) => RED.view.reveal(nodeId), id);
  await page.locator(`#red-ui-workspace-chart g[id="${id}"] .red-ui-flow-node`).dblclick();
  await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
}

/** Sets a text input or select as a user would (type, then leave the field). */
export async function setField(page: Page, selector: string, value: string): Promise<void> {
  const field = page.locator(selector);
  const tag = await field.evaluate((el) => el.tagName.toLowerCase());
  if (tag === 'select') await field.selectOption(value);
  else {
    await field.fill(value);
    await field.press('Tab');
  }
}

/** True when the editor marks the field invalid (red border). */
export function isMarkedInvalid(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((el) => el.classList.contains('input-error'));
}

/** The editor's own verdict on a node (the red triangle): the properties it finds invalid. */
export function invalidProperties(page: Page, id: string): Promise<string[]> {
  return page.evaluate((nodeId) => {
    const node = RED.nodes.node(nodeId);
    if (!node) return [`no node ${nodeId}`];
    if (node.valid !== false) return [];
    const errors = node.validationErrors;
    return Array.isArray(errors) && errors.length > 0 ? errors.map((p) => `${String(p)} = ${JSON.stringify(node[String(p)])}`) : ['(invalid)'];
  }, id);
}

/** Closes the open tray with Done (the node's or the config node's dialog). */
export async function clickDone(page: Page, config = false): Promise<void> {
  const button = config ? '#node-config-dialog-ok' : '#node-dialog-ok';
  await page.click(button);
  await page.waitForSelector(button, { state: 'detached' });
}

/** Cancels whatever trays and dialogs are open (after a failed step, so the next test starts clean). */
export async function closeDialogs(page: Page): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const open = page.locator('#node-config-dialog-cancel:visible, #node-dialog-cancel:visible, .ui-dialog:visible');
    if (await open.count() === 0) return;
    await page.keyboard.press('Escape');
    await page.waitForTimeout(300);
    const cancel = page.locator('#node-config-dialog-cancel:visible, #node-dialog-cancel:visible').first();
    if (await cancel.count() > 0) await cancel.click({ timeout: 2000 }).catch(() => undefined);
  }
}

/**
 * Presses Deploy and waits for the runtime to take the flow. When the editor asks about nodes that
 * are not properly configured, confirms only if `confirmInvalid`, else fails.
 */
export async function deploy(page: Page, { confirmInvalid = false } = {}): Promise<void> {
  await page.click('#red-ui-header-button-deploy');
  const confirm = page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
  const done = page.waitForFunction(() => !RED.nodes.dirty(), undefined, { timeout: 30_000 });
  const asked = confirm.waitFor({ state: 'visible', timeout: 30_000 }).then(() => true, () => false);
  if (await Promise.race([done.then(() => false), asked])) {
    if (!confirmInvalid) throw new Error('the editor asks to confirm a deploy of nodes that are not properly configured');
    await confirm.click();
  }
  await done;
}

/** What the runtime has deployed (admin API). */
export async function deployedFlows(url: string): Promise<Array<Record<string, unknown> & { id: string; type: string }>> {
  const res = await fetch(`${url}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } });
  if (!res.ok) throw new Error(`GET /flows: ${res.status}`);
  return (await res.json()) as Array<Record<string, unknown> & { id: string; type: string }>;
}

/** Where the browser tests put their screenshots (README, Development). */
export const SCREENSHOTS = path.join(repoRoot, 'test-artifacts', 'screenshots');

export interface DemoPlantOptions {
  /** Names the plant's own database (`<name>_<time>`) and its failure screenshots. */
  name: string;
  /** Node types the palette must show before the tests start. */
  paletteTypes: string[];
  /** Node-RED starts with flows/default-flow.json deployed; else with an empty workspace. */
  defaultFlow?: boolean;
  /** The application's configuration for the demo machines press-1 and lathe-2 is seeded first. */
  seedMachines?: boolean;
  /** Node-RED's environment beyond PLC_HOST, PLC_PORT, MONGODB_URI, MONGODB_DB and PLANT_TZ. */
  env?: Record<string, string>;
}

/** The PLC simulator's demo machines, a database server, Node-RED with this package, and the editor in chromium. */
export interface DemoPlant {
  server: MongoServerInfo;
  dbName: string;
  db: Db;
  plc: SimulatorHandle;
  nodeRed: NodeRedProcess;
  browser: EditorBrowser;
  /** Node-RED's output lines and the page's errors. */
  log: string[];
  /** After a failed test: a screenshot, the log's last lines, the open dialogs cancelled. */
  recordFailure(): Promise<void>;
  /** Stops what started, the database dropped; also after a start that failed half-way. */
  stop(): Promise<void>;
}

export async function startDemoPlant(options: DemoPlantOptions): Promise<DemoPlant> {
  const log: string[] = [];
  const dbName = `${options.name}_${Date.now().toString(36)}`;
  const parts: Partial<DemoPlant> & { client?: MongoClient } = { dbName, log };
  const stop = async (): Promise<void> => {
    await parts.browser?.close();
    await parts.nodeRed?.stop();
    await parts.plc?.close();
    await parts.db?.dropDatabase().catch(() => undefined);
    await parts.client?.close();
  };
  try {
    const server = parts.server = (await getMongoServers())[0];
    const driver = driverModule(server);
    const client = parts.client = new driver.MongoClient(server.uri) as unknown as MongoClient;
    await client.connect();
    const db = parts.db = client.db(dbName);
    const plc = parts.plc = await startSimulator({ demo: true });
    if (options.seedMachines) {
      await seed.seedIfEmpty(db, {
        ObjectId: driver.ObjectId,
        department: 'Demo line',
        machines: [{ name: 'press-1', powerPin: 0, cyclePin: 1 }, { name: 'lathe-2', powerPin: 2, cyclePin: 3 }],
      });
    }
    const nodeRed = parts.nodeRed = await startNodeRedWithPackage({
      flowSource: options.defaultFlow ? path.join(repoRoot, 'flows', 'default-flow.json') : undefined,
      env: { PLC_HOST: '127.0.0.1', PLC_PORT: String(plc.port), MONGODB_URI: server.uri, MONGODB_DB: dbName, PLANT_TZ: 'Europe/Berlin', ...options.env },
      settings: server.driver === 'mongodb' ? {} : { [DRIVER_SETTING]: server.driver },
      onLine: (line) => log.push(line),
    });
    const browser = parts.browser = await launchEditorBrowser();
    browser.page.on('pageerror', (err) => log.push(`page error: ${err.message}`));
    browser.page.on('console', (msg) => { if (msg.type() === 'error') log.push(`console: ${msg.text()}`); });
    await openEditor(browser.page, nodeRed.url, options.paletteTypes);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    return {
      server, dbName, db, plc, nodeRed, browser, log, stop,
      async recordFailure() {
        const shot = path.join(SCREENSHOTS, `${options.name}-failure-${Date.now()}.png`);
        await browser.page.screenshot({ path: shot }).catch(() => undefined);
        console.log(`screenshot: ${shot}\nNode-RED log (last 40 lines):\n${log.slice(-40).join('\n')}`);
        await closeDialogs(browser.page);
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The demo plant for the enclosing describe: started before its tests (`started` receives it),
 * stopped after them; a failed test leaves a screenshot and Node-RED's log.
 */
export function useDemoPlant(options: DemoPlantOptions, started: (plant: DemoPlant) => void): void {
  let plant: DemoPlant | undefined;
  before(async function () {
    this.timeout(300_000); // a limit, not a measure: a first run installs the database servers
    plant = await startDemoPlant(options);
    started(plant);
  });
  after(async function () {
    this.timeout(60_000);
    await plant?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await plant?.recordFailure();
  });
}
