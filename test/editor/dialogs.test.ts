/**
 * The dialogs in a real browser (Debian's chromium through playwright-core) on the default flow,
 * deployed at start with PLC_HOST, PLC_PORT, PLC_INTERVAL_MS, PLANT_TZ, MONGODB_URI … set in
 * Node-RED's environment, against the PLC simulator and a MongoDB-compatible server:
 * ${ENV} values checked by the runtime and test-read, every field check in words, the inferred
 * type, the signal table's width, mongo-connection's Test connection, German status texts.
 * Screenshots of each dialog go to test-artifacts/screenshots/dialog-*.png.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { catalogue } from '../helpers/catalogue';
import { waitFor } from '../helpers/wait';
import type { NodeRedProcess } from '../runtime/flow/harness';
import {
  deploy, dragFromPalette, nodeIds, openNodeDialog, PACKAGE_TYPES, SCREENSHOTS, setField, switchToGerman, useDemoPlant, type EditorBrowser, type EditorRed,
} from './editor-page';

declare const RED: EditorRed;

/** A node's catalogue text with its __parameters__ filled in, as the editor shows it. */
const text = (type: string, key: string, params: Record<string, string | number> = {}, lang = 'en-US'): string =>
  catalogue(`nodes/${type}`, type, lang)(`${type}.${key}`, params);

describe('the dialogs, in chromium, on the default flow', function () {
  this.timeout(120_000);
  let dbName: string;
  let nodeRed: NodeRedProcess;
  let browser: EditorBrowser;
  useDemoPlant({
    name: 'dialogs', paletteTypes: PACKAGE_TYPES, defaultFlow: true, env: { PLC_RACK: '0', PLC_SLOT: '1', PLC_INTERVAL_MS: '500' },
  }, (plant) => ({ dbName, nodeRed, browser } = plant));

  /** The words under a field, once they say what is expected. */
  async function messageOf(page: Page, field: string, expected: string): Promise<void> {
    const message = page.locator(`.s7p-field-message[data-field="${field}"]`);
    await waitFor(`the message under ${field}: "${expected}"`, async () => (await message.innerText().catch(() => '')) === expected || undefined);
    assert.equal(await message.isVisible(), expected !== '', `the message under ${field} is ${expected ? 'shown' : 'hidden'}`);
  }

  async function onlyNode(page: Page, type: string): Promise<string> {
    const [id] = await nodeIds(page, type);
    assert.ok(id, `the default flow has a ${type}`);
    return id;
  }

  async function cancel(page: Page, config = false): Promise<void> {
    const button = config ? '#node-config-dialog-cancel' : '#node-dialog-cancel';
    await page.click(button);
    await page.waitForSelector(button, { state: 'detached' });
  }

  it('the default flow as deployed: no node marked invalid (${ENV} values and settings newer than the flow accepted)', async () => {
    const page = browser.page;
    const invalid = await page.evaluate(() => {
      const found: string[] = [];
      const check = (n: { type: string; valid?: boolean; validationErrors?: unknown[] }) => {
        if (n.valid === false) found.push(`${n.type}: ${JSON.stringify(n.validationErrors)}`);
      };
      RED.nodes.eachNode(check);
      RED.nodes.eachConfig(check);
      return found;
    });
    assert.deepEqual(invalid, []);
  });

  it('plc-connection: ${PLC_HOST} and ${PLC_PORT} checked by the runtime, an unset variable named, host, IP and slot checks in words', async () => {
    const page = browser.page;
    await openNodeDialog(page, await onlyNode(page, 'plc-reader'));
    await page.click('#node-input-btn-connection-edit');
    await page.waitForSelector('#node-config-input-host', { state: 'visible' });
    const t = (key: string, params?: Record<string, string | number>) => text('plc-connection', `check.${key}`, params);

    await messageOf(page, 'host', t('env.ok', { variable: 'PLC_HOST' }));
    await messageOf(page, 'port', t('env.ok', { variable: 'PLC_PORT' }));
    await messageOf(page, 'slot', t('env.ok', { variable: 'PLC_SLOT' }));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dialog-plc-connection-env.png') });

    await setField(page, '#node-config-input-host', '${S7P_NOT_SET_ANYWHERE}');
    await messageOf(page, 'host', t('env.unset', { variable: 'S7P_NOT_SET_ANYWHERE' }));
    await setField(page, '#node-config-input-host', '999.1.1.1');
    await messageOf(page, 'host', t('host.ipv4Octet'));
    await setField(page, '#node-config-input-host', 'not a host!');
    await messageOf(page, 'host', t('host.notHost'));
    await setField(page, '#node-config-input-host', '192.168.0.1:102');
    await messageOf(page, 'host', t('host.split', { host: '192.168.0.1', port: 102 }));
    assert.equal(await page.inputValue('#node-config-input-host'), '192.168.0.1');
    assert.equal(await page.inputValue('#node-config-input-port'), '102');
    await setField(page, '#node-config-input-slot', '40');
    await messageOf(page, 'slot', t('range', { min: 0, max: 31 }));
    await setField(page, '#node-config-input-port', '1.5');
    await messageOf(page, 'port', t('notInteger', { min: 1, max: 65535 }));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dialog-plc-connection-checks.png') });
    await setField(page, '#node-config-input-slot', '1');
    await messageOf(page, 'slot', '');
    await cancel(page, true);
    await cancel(page);
  });

  it('plc-reader: ${PLC_INTERVAL_MS} checked, interval 0 in words, the table fills a wider tray, row problems and the inferred type shown, test read with ${ENV} settings', async () => {
    const page = browser.page;
    await openNodeDialog(page, await onlyNode(page, 'plc-reader'));
    const t = (key: string, params?: Record<string, string | number>) => text('plc-reader', key, params);
    await messageOf(page, 'intervalMs', t('check.env.ok', { variable: 'PLC_INTERVAL_MS' }));
    const intervalField = page.locator('#node-input-intervalMs');
    assert.ok(await intervalField.evaluate((el: HTMLInputElement) => el.scrollWidth <= el.clientWidth), '${PLC_INTERVAL_MS} is not cut off');
    await setField(page, '#node-input-intervalMs', '0');
    await messageOf(page, 'intervalMs', t('check.atLeast', { min: 10 }));
    await setField(page, '#node-input-intervalMs', '${PLC_INTERVAL_MS}');
    await messageOf(page, 'intervalMs', t('check.env.ok', { variable: 'PLC_INTERVAL_MS' }));

    const trayBefore = await page.locator('.red-ui-tray').last().evaluate((el) => el.getBoundingClientRect().width);
    await setField(page, '#node-input-source', 'table');
    const room = await page.evaluate(() => (document.getElementById('red-ui-editor-stack')?.getBoundingClientRect().left ?? 0) - 8);
    await waitFor('the tray widened for the table', async () =>
      (await page.locator('.red-ui-tray').last().evaluate((el) => el.getBoundingClientRect().width)) >= Math.min(1000, room) - 1 || undefined);
    assert.ok(trayBefore < Math.min(1000, room), `the tray was narrower before (${trayBefore} px)`);

    await page.click('.node-input-signals-container-row .red-ui-editableList-addButton');
    const row = page.locator('#node-input-signals-container li').last();
    await row.locator('.plc-reader-name').fill('power');
    await row.locator('.plc-reader-address').fill('DB1.DBX99999.9');
    await row.locator('.plc-reader-address').press('Tab');
    const problems = row.locator('.plc-reader-row-problems');
    assert.equal(await problems.isVisible(), true, 'the row says what is wrong, not only a tooltip');
    assert.match(await problems.innerText(), /bit number must be 0\.\.7/);
    await row.locator('.plc-reader-address').fill('DB1.DBD0');
    await row.locator('.plc-reader-address').press('Tab');
    assert.equal(await problems.isVisible(), false);
    assert.equal(await row.locator('.plc-reader-dataType').getAttribute('placeholder'), t('column.inferred', { type: 'DWORD' }));
    await row.locator('.plc-reader-dataType').fill('STRING[20]');
    assert.ok(await row.locator('.plc-reader-dataType').evaluate((el: HTMLInputElement) => el.scrollWidth <= el.clientWidth), 'STRING[20] is not cut off');
    await row.locator('.plc-reader-dataType').fill('REAL');
    await row.locator('.plc-reader-dataType').press('Tab');
    const table = await page.locator('.node-input-signals-container-row .red-ui-editableList-container').evaluate((el) => el.getBoundingClientRect().height);
    assert.ok(table >= 150, `the table has room (${table} px)`);

    await page.click('#plc-reader-test');
    const summary = page.locator('#plc-reader-test-summary');
    await waitFor('the test read', async () => ((await summary.innerText()) !== '…' && (await summary.innerText()) !== '') || undefined);
    assert.match(await summary.innerText(), new RegExp(`^${t('test.connected')}`), await summary.innerText());
    assert.match(await page.locator('#plc-reader-test-result').innerText(), /power\s+DB1\.DBD0\s+REAL\s+\d/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dialog-plc-reader.png') });
    await cancel(page);
  });

  it('hourly-aggregator: ${PLANT_TZ} is a valid zone to the runtime, a bad zone and a bad number in words', async () => {
    const page = browser.page;
    const id = await onlyNode(page, 'hourly-aggregator');
    await openNodeDialog(page, id);
    const t = (key: string, params?: Record<string, string | number>) => text('hourly-aggregator', `check.${key}`, params);
    await messageOf(page, 'timeZone', t('env.ok', { variable: 'PLANT_TZ' }));
    assert.equal(await page.locator('#node-input-timeZone').evaluate((el) => el.classList.contains('input-error')), false, 'no red border');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dialog-hourly-aggregator.png') });
    await setField(page, '#node-input-timeZone', 'Mars/Olympus');
    await messageOf(page, 'timeZone', t('timeZone'));
    await setField(page, '#node-input-tickSeconds', '0');
    await messageOf(page, 'tickSeconds', t('range', { min: 0.1, max: 60 }));
    await cancel(page);
  });

  it('edge-counter: numbers out of range in words', async () => {
    const page = browser.page;
    await openNodeDialog(page, await onlyNode(page, 'edge-counter'));
    await setField(page, '#node-input-minHighMs', '-1');
    await messageOf(page, 'minHighMs', text('edge-counter', 'check.range', { min: 0, max: 3_600_000 }));
    await setField(page, '#node-input-minHighMs', '1.5');
    await messageOf(page, 'minHighMs', text('edge-counter', 'check.notInteger', { min: 0, max: 3_600_000 }));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dialog-edge-counter.png') });
    await cancel(page);
  });

  it('mongo-connection: Test connection with the flow\'s ${MONGODB_URI} answers ok, a closed port gives the cause', async () => {
    const page = browser.page;
    await openNodeDialog(page, await onlyNode(page, 'mongo-sink'));
    await page.click('#node-input-btn-connection-edit');
    await page.waitForSelector('#mongo-connection-test-button', { state: 'visible' });
    const result = page.locator('#mongo-connection-test-result');
    await page.click('#mongo-connection-test-button');
    await waitFor('the test answer', async () =>
      (await result.innerText()) === text('mongo-connection', 'test.ok', { database: dbName }) || undefined);
    const mechanism = await page.locator('#node-config-input-authMechanism').boundingBox();
    const source = await page.locator('#node-config-input-authSource').boundingBox();
    assert.ok(mechanism && source && mechanism.y > source.y, 'Mechanism has its own row');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dialog-mongo-connection.png') });

    await setField(page, '#node-config-input-uri', 'mongodb://127.0.0.1:1/x');
    await page.click('#mongo-connection-test-button');
    await waitFor('the failure', async () => (await result.innerText()).startsWith(text('mongo-connection', 'test.failed', { error: '' })) || undefined);
    assert.equal(await result.evaluate((el) => el.classList.contains('s7p-field-message-error')), true);
    await cancel(page, true);
    await cancel(page);
  });

  it('in German: fixed status texts in German, palette labels without a break inside a word', async () => {
    const page = browser.page;
    await switchToGerman(page, nodeRed.url, PACKAGE_TYPES);

    // a reader without a connection: its status is the catalogue key the editor translates
    const id = await dragFromPalette(page, 'plc-reader', 150, 500);
    await deploy(page, { confirmInvalid: true });
    const status = page.locator(`#red-ui-workspace-chart g[id="${id}"] .red-ui-flow-node-status-label`);
    const german = text('plc-reader', 'status.noConnection', {}, 'de');
    await waitFor(`the status "${german}"`, async () => (await status.textContent()) === german || undefined);

    for (const type of ['edge-counter', 'hourly-aggregator']) {
      // Node-RED lays the palette label out in lines of its own (breaking a word that does not fit
      // anywhere): the lines, joined by spaces, are the label only when no word was broken
      const label = page.locator(`.red-ui-palette-node[data-palette-type="${type}"] .red-ui-palette-label`);
      const lines = (await label.innerText()).split('\n').map((l) => l.trim()).filter(Boolean);
      assert.equal(lines.join(' '), text(type, 'paletteLabel', {}, 'de'), `${type}: lines ${JSON.stringify(lines)}`);
    }
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dialog-german-status.png') });
  });
});
