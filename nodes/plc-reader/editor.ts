/**
 * Editor for plc-reader: the signal table (editableList) with per-row validation by the same
 * address parser the runtime uses, CSV import/export in TIA tag-table columns, and
 * "test connection / read now" showing live values while editing.
 */
import type * as EditorClient from '@node-red/editor-client';
import { parseMachineScope, type MachineScope } from '../../lib/app-contract/machine-scope';
import { orEnv } from '../../lib/s7/session/connection-config';
import { exportSignalsCsv, importSignalsCsv } from '../../lib/reader/csv';
import { checkRow, parsePinMap, type SignalRow } from '../../lib/reader/signals';
import { SIGNAL_KINDS, type SignalKind } from '../../lib/shared/messages';
import type { ReadOnceReport } from '../../lib/reader/read-once';
import { inferredDataType } from '../shared/editor/field-checks';
import { showFieldMessages, type Labels } from '../shared/editor/field-messages';
import { PLC_READER_CHECKS } from '../shared/editor/node-checks';
import type { PlcColor } from '../shared/editor/palette';
import { startAdvice, stopAdvice } from './editor/advice';
import { startLiveView, stopLiveView } from './editor/live-view';
import { MIN_INTERVAL_MS, PLC_READER_DEFAULTS, PLC_READER_TYPE, type PlcReaderConfig } from './types';

declare const RED: EditorClient.RED;

/**
 * This node's labels. Node-RED binds a node's i18n function to its catalogue (this._ in the
 * definition's callbacks); oneditprepare hands it over for the helpers outside them.
 */
let t: Labels = (key) => key;
const useLabelsOf = (node: { _: Labels }): void => {
  t = (key, params) => node._(`plc-reader.${key}`, params);
};

const DATA_TYPES = ['BOOL', 'BYTE', 'WORD', 'DWORD', 'CHAR', 'SINT', 'USINT', 'INT', 'UINT', 'DINT', 'UDINT', 'LINT', 'ULINT',
  'REAL', 'LREAL', 'STRING[20]', 'WSTRING[20]', 'DATE', 'TIME', 'TOD', 'DT', 'DTL'];

function pinMapOf(text: unknown): ReturnType<typeof parsePinMap> | undefined {
  try {
    return parsePinMap(String(text ?? ''));
  } catch {
    return undefined;
  }
}

function scopeOf(text: unknown): MachineScope | undefined {
  try {
    return parseMachineScope(String(text ?? ''));
  } catch {
    return undefined;
  }
}

/** Reads one row's inputs back into a SignalRow. */
function rowFromElement(el: JQuery): SignalRow {
  const val = (field: string): string => String(el.find(`.plc-reader-${field}`).val() ?? '').trim();
  const row: SignalRow = { name: val('name'), address: val('address') };
  if (val('dataType')) row.dataType = val('dataType');
  if (val('kind')) row.kind = val('kind') as SignalKind;
  if (val('machineId')) row.machineId = val('machineId');
  if (val('sensorId')) row.sensorId = val('sensorId');
  if (val('intervalMs')) row.intervalMs = Number(val('intervalMs'));
  if (val('deadband')) row.deadband = Number(val('deadband'));
  const comment = el.data('comment') as string | undefined;
  if (comment) row.comment = comment;
  return row;
}

function currentRows(): SignalRow[] {
  const rows: SignalRow[] = [];
  $('#node-input-signals-container').editableList('items').each(function () {
    rows.push(rowFromElement($(this)));
  });
  return rows;
}

/** A row's problems in words under it, and the type an empty Type cell will be read as. */
function showRowProblems(el: JQuery): void {
  const pinMap = pinMapOf($('#node-input-pinMap').val());
  const row = rowFromElement(el);
  const problems = checkRow(row, pinMap);
  el.find('.plc-reader-address').toggleClass('input-error', problems.length > 0).attr('title', problems.join('\n'));
  el.find('.plc-reader-row-problems').text(problems.join('; ')).toggle(problems.length > 0);
  const inferred = row.address ? inferredDataType(row.address, pinMap) : undefined;
  el.find('.plc-reader-dataType').attr('placeholder', inferred ? t('column.inferred', { type: inferred }) : t('column.fromAddress'));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function showTestReport(report: ReadOnceReport): void {
  const summary = report.connected
    ? `${t('test.connected')} · PDU ${report.negotiatedPdu ?? '?'} · ${report.requests ?? 0} ${t('test.requests')} · ${report.durationMs ?? 0} ms`
    : `${t('test.failed')}: ${report.error ?? ''}`;
  $('#plc-reader-test-summary').text(summary);
  const rows = report.items.map((i) => {
    const value = i.quality === 'good' ? JSON.stringify(i.value) : `<span style="color: #c00">${escapeHtml(i.error ?? 'bad')}</span>`;
    return `<tr><td>${escapeHtml(i.name)}</td><td><code>${escapeHtml(i.address)}</code></td><td>${escapeHtml(i.dataType)}</td><td>${i.quality === 'good' ? escapeHtml(value) : value}</td></tr>`;
  });
  const problems = report.problems.map((p) => `<div style="color: #c00">${escapeHtml(p)}</div>`);
  $('#plc-reader-test-result').html(
    (rows.length ? `<table class="red-ui-info-table" style="width: 100%">${rows.join('')}</table>` : '') + problems.join(''));
}

/** The width at which every column of the signal table shows its values in full. */
const TABLE_TRAY_WIDTH = 1000;

/**
 * Widens the edit tray for the signal table, as far as the workspace allows (Node-RED sizes a
 * tray once, for what shows when it opens: a reader opened with the mapping source stays narrow).
 * The window resize makes the tray lay out again and call oneditresize, which fits the height.
 */
function widenTray(): void {
  const tray = $('#dialog-form').closest('.red-ui-tray');
  const stack = $('#red-ui-editor-stack');
  if (tray.length === 0 || stack.length === 0) return;
  const room = (stack.position()?.left ?? 0) - 8;
  const width = Math.min(TABLE_TRAY_WIDTH, room);
  if ((tray.width() ?? 0) >= width) return;
  tray.width(width);
  $(window).trigger('resize');
}

RED.nodes.registerType<PlcReaderConfig>('plc-reader' satisfies typeof PLC_READER_TYPE, {
  category: 'S7 production',
  color: '#3FADB5' satisfies PlcColor,
  defaults: {
    name: { value: '' },
    connection: { value: '', type: 'plc-connection', required: true },
    source: { value: PLC_READER_DEFAULTS.source },
    signals: {
      value: [],
      validate: function (value: unknown) {
        const map = pinMapOf((this as { pinMap?: string }).pinMap);
        return Array.isArray(value) && value.every((r: SignalRow) => checkRow(r, map).length === 0);
      },
    },
    intervalMs: { value: PLC_READER_DEFAULTS.intervalMs, required: true, validate: orEnv((v) => Number(v) >= MIN_INTERVAL_MS) },
    outputMode: { value: PLC_READER_DEFAULTS.outputMode },
    heartbeatS: { value: PLC_READER_DEFAULTS.heartbeatS, validate: orEnv((v) => Number(v) >= 0) },
    mongo: {
      value: '', type: 'mongo-connection',
      required: false,
      validate: function (v: string) {
        return (this as { source?: string }).source === 'table' || !!v;
      },
    },
    mappingRefreshS: { value: PLC_READER_DEFAULTS.mappingRefreshS, validate: orEnv((v) => Number(v) >= 1) },
    mappingIntervalMs: { value: PLC_READER_DEFAULTS.mappingIntervalMs, validate: orEnv((v) => Number(v) === 0 || Number(v) >= MIN_INTERVAL_MS) },
    pinMap: { value: PLC_READER_DEFAULTS.pinMap, validate: orEnv((v) => pinMapOf(v) !== undefined) },
    // This instance's share of the machines (README "Scaling"); the runtime's parser decides.
    machineScope: { value: PLC_READER_DEFAULTS.machineScope, validate: orEnv((v) => scopeOf(v) !== undefined) },
  },
  inputs: 1,
  outputs: 1,
  icon: 'plc-reader.svg',
  paletteLabel: 'plc reader',
  inputLabels: function () {
    return this._('plc-reader.port.input');
  },
  outputLabels: function () {
    return this._(`plc-reader.port.${this.outputMode}`);
  },
  label: function () {
    const count = Array.isArray(this.signals) ? this.signals.length : 0;
    return this.name || (this.source === 'table' ? `plc reader (${count})` : 'plc reader');
  },
  labelStyle: function () {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function () {
    useLabelsOf(this);
    startLiveView(this.id, t);
    showFieldMessages({ type: 'plc-reader', nodeId: this.id, prefix: 'node-input', checks: PLC_READER_CHECKS, labels: (key, params) => this._(key, params) });
    startAdvice(this.id, t);
    const list = $('#node-input-signals-container');
    const datalist = $('<datalist id="plc-reader-data-types"></datalist>').appendTo('body');
    DATA_TYPES.forEach((dt) => $('<option>').attr('value', dt).appendTo(datalist));

    list.css({ 'min-height': '150px' }).editableList<SignalRow>({
      addButton: true,
      removable: true,
      sortable: true,
      header: $('<div style="display: flex; gap: 4px; padding: 0 36px 0 28px; font-size: 0.9em">').append(
        ...['name', 'address', 'dataType', 'kind', 'machineId', 'sensorId', 'intervalMs', 'deadband'].map((f) =>
          $(`<div class="plc-reader-cell plc-reader-col-${f}">`).text(t(`column.${f}`)))),
      addItem: function (container, _index, row) {
        const r: Partial<SignalRow> = row ?? {};
        const line = $('<div style="display: flex; gap: 4px">').appendTo(container);
        const input = (field: string, value: unknown, placeholder = ''): JQuery =>
          $(`<input type="text" class="plc-reader-cell plc-reader-${field} plc-reader-col-${field}">`)
            .attr('placeholder', placeholder).val(value === undefined ? '' : String(value)).appendTo(line);
        input('name', r.name, t('column.name'));
        input('address', r.address, 'DB1.DBD0');
        input('dataType', r.dataType).attr('list', 'plc-reader-data-types');
        const kind = $('<select class="plc-reader-cell plc-reader-kind plc-reader-col-kind">').appendTo(line);
        SIGNAL_KINDS.forEach((k) => $('<option>').attr('value', k).text(t(`kind.${k}`)).appendTo(kind));
        kind.val(r.kind ?? 'other');
        input('machineId', r.machineId, 'machines._id');
        input('sensorId', r.sensorId, 'sensors._id');
        input('intervalMs', r.intervalMs || '', t('column.default'));
        input('deadband', r.deadband, '0');
        $('<div class="plc-reader-row-problems s7p-field-message s7p-field-message-error">').hide().appendTo(container);
        container.data('comment', r.comment ?? null);
        line.find('input, select').on('change keyup', () => showRowProblems(container));
        showRowProblems(container);
      },
    });
    $('<style>').text(`
      #dialog-form .plc-reader-cell { flex: none; box-sizing: border-box; margin: 0; min-width: 0 }
      #dialog-form .plc-reader-col-name { flex: 2 1 130px } #dialog-form .plc-reader-col-address { flex: 1 1 110px }
      #dialog-form .plc-reader-col-dataType { width: 120px } #dialog-form .plc-reader-col-kind { width: 95px }
      #dialog-form .plc-reader-col-machineId, #dialog-form .plc-reader-col-sensorId { flex: 1 1 110px }
      #dialog-form .plc-reader-col-intervalMs { width: 65px } #dialog-form .plc-reader-col-deadband { width: 55px }
      #dialog-form .plc-reader-row-problems { margin-left: 0 }`).appendTo(list.parent());
    (Array.isArray(this.signals) ? this.signals : []).forEach((row) => list.editableList('addItem', row));

    const showSource = (): void => {
      const source = $('#node-input-source').val();
      $('.plc-reader-mongo').toggle(source !== 'table');
      $('.plc-reader-table').toggle(source !== 'mongo');
      if (source !== 'mongo') widenTray();
    };
    $('#node-input-source').on('change', showSource);
    showSource();
    const showHeartbeat = (): void => {
      $('.plc-reader-heartbeat').toggle($('#node-input-outputMode').val() === 'on-change');
    };
    $('#node-input-outputMode').on('change', showHeartbeat);
    showHeartbeat();
    $('#node-input-pinMap').on('change keyup', () => list.editableList('items').each(function () {
      showRowProblems($(this));
    }));

    $('#plc-reader-export').on('click', () => {
      const blob = new Blob([exportSignalsCsv(currentRows())], { type: 'text/csv' });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `${String($('#node-input-name').val() || 'plc-reader')}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    });
    $('#plc-reader-import').on('click', () => $('#plc-reader-import-file').trigger('click'));
    $('#plc-reader-import-file').on('change', function () {
      const file = (this as HTMLInputElement).files?.[0];
      if (!file) return;
      file.text().then((text) => {
        const { rows, errors } = importSignalsCsv(text);
        rows.forEach((row) => list.editableList('addItem', row));
        $('#plc-reader-import-errors').toggle(errors.length > 0).text(errors.join('\n')).css('white-space', 'pre-line');
        RED.notify(`${rows.length} ${t('csv.imported')}${errors.length ? `, ${errors.length} ${t('csv.rejected')}` : ''}`,
          errors.length ? 'warning' : 'success');
        (this as HTMLInputElement).value = '';
      }, (err: Error) => RED.notify(err.message, 'error'));
    });

    $('#plc-reader-test').on('click', () => {
      const connectionId = String($('#node-input-connection').val() ?? '');
      const connection = RED.nodes.node(connectionId) as unknown as Record<string, unknown> | null;
      if (!connection) {
        $('#plc-reader-test-summary').text(t('test.noConnection'));
        return;
      }
      // the id lets the runtime resolve ${ENV} references as the deployed connection sees them
      const settings: Record<string, unknown> = { id: connectionId };
      for (const key of Object.keys((connection._def as { defaults?: object } | undefined)?.defaults ?? {})) settings[key] = connection[key];
      $('#plc-reader-test-summary').text('…');
      $('#plc-reader-test-result').empty();
      $.ajax({
        url: 'plc-reader/test-read',
        method: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ connection: settings, signals: currentRows(), pinMap: $('#node-input-pinMap').val() }),
      }).done(showTestReport).fail((xhr: JQuery.jqXHR) => {
        $('#plc-reader-test-summary').text(`${t('test.failed')}: ${(xhr.responseJSON as { error?: string } | undefined)?.error ?? xhr.statusText}`);
      });
    });
  },
  oneditsave: function () {
    stopLiveView();
    stopAdvice();
    this.signals = currentRows();
    $('#plc-reader-data-types').remove();
  },
  oneditcancel: function () {
    stopLiveView();
    stopAdvice();
    $('#plc-reader-data-types').remove();
  },
  oneditresize: function (size) {
    const rows = $('#dialog-form>div:not(.node-input-signals-container-row)');
    let height = size.height;
    rows.each(function () {
      height -= $(this).outerHeight(true) ?? 0;
    });
    $('#node-input-signals-container').editableList('height', Math.max(150, height - 120));
  },
});
