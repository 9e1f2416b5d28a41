/** Editor for the plc-connection config node: presets per PLC family, rack/slot or TSAP, status. */
import type * as EditorClient from '@node-red/editor-client';
import { S7_ENGINES, type S7Engine } from '../../lib/s7/engine';
import { legacyConnections, orEnv } from '../../lib/s7/session/connection-config';
import { hostProblem, splitHostPort } from '../../lib/shared/host';
import { messageElement, showFieldMessages, showMessage, type Labels } from '../shared/editor/field-messages';
import { PLC_CONNECTION_CHECKS } from '../shared/editor/node-checks';
import type { PlcColor } from '../shared/editor/palette';
import { CONNECTION_DEFAULTS, PLC_CONNECTION_TYPE, PLC_FAMILY_PRESETS, type PlcConnectionConfig, type PlcFamily } from './types';

declare const RED: EditorClient.RED;

/**
 * This node's labels. Node-RED binds a node's i18n function to its catalogue (this._ in the
 * definition's callbacks); oneditprepare hands it over for the helpers outside them.
 */
let t = (key: string): string => key;
const useLabelsOf = (node: { _: (key: string) => string }): void => {
  t = (key) => node._(`plc-connection.${key}`);
};

const intIn = (min: number, max: number) => orEnv((v) => {
  const n = Number(v);
  return Number.isInteger(n) && n >= min && n <= max;
});
const tsap = orEnv((v) => /^(0x)?[0-9a-f]{1,4}h?$/i.test(String(v).trim()));
const d = CONNECTION_DEFAULTS;

RED.nodes.registerType<PlcConnectionConfig>('plc-connection' satisfies typeof PLC_CONNECTION_TYPE, {
  category: 'config',
  color: '#3FADB5' satisfies PlcColor,
  defaults: {
    name: { value: '' },
    // flows saved before this setting have none: the runtime gives them the default
    engine: { value: d.engine, validate: (v: unknown) => v === undefined || v === '' || S7_ENGINES.includes(v as S7Engine) },
    family: { value: d.family },
    host: { value: d.host, required: true, validate: orEnv((v) => hostProblem(String(v)) === undefined) },
    port: { value: d.port, required: true, validate: intIn(1, 65535) },
    addressing: { value: d.addressing },
    rack: { value: d.rack, validate: intIn(0, 7) },
    slot: { value: d.slot, validate: intIn(0, 31) },
    localTSAP: { value: d.localTSAP, validate: tsap },
    remoteTSAP: { value: d.remoteTSAP, validate: tsap },
    connectionType: { value: d.connectionType },
    pduSize: { value: d.pduSize, validate: intIn(240, 960) },
    connectTimeoutMs: { value: d.connectTimeoutMs, validate: intIn(100, 60000) },
    receiveTimeoutMs: { value: d.receiveTimeoutMs, validate: intIn(100, 60000) },
    reconnectMinMs: { value: d.reconnectMinMs, validate: intIn(100, 600000) },
    reconnectMaxMs: { value: d.reconnectMaxMs, validate: intIn(100, 3600000) },
    // flows saved before this setting existed have none (the runtime maps their poolSize): not invalid
    maxConnections: { value: d.maxConnections, validate: (v: unknown) => v === undefined || intIn(1, 8)(v) },
    fixedConnections: { value: d.fixedConnections },
    // flows saved before the adaptive pool; the dialog turns it into the two settings above
    poolSize: { value: '' },
    maxGap: { value: d.maxGap, validate: intIn(0, 512) },
  },
  label: function () {
    return this.name || `${this.host || '?'}:${this.port} (${this.family})`;
  },
  oneditprepare: function () {
    useLabelsOf(this);
    const legacy = legacyConnections(this.poolSize) ?? (this.maxConnections === undefined ? { maxConnections: d.maxConnections, fixedConnections: d.fixedConnections } : undefined);
    if (legacy) {
      $('#node-config-input-maxConnections').val(String(legacy.maxConnections));
      $('#node-config-input-fixedConnections').prop('checked', legacy.fixedConnections === true);
    }
    const labels: Labels = (key, params) => this._(key, params);
    const recheck = showFieldMessages({ type: 'plc-connection', nodeId: this.id, prefix: 'node-config-input', checks: PLC_CONNECTION_CHECKS, labels });
    // "192.168.0.1:102" typed into the host field: the port goes where the runtime reads it
    const hostInput = $('#node-config-input-host');
    hostInput.on('change', () => {
      const split = splitHostPort(String(hostInput.val() ?? ''));
      if (!split || hostProblem(split.host)) return;
      hostInput.val(split.host);
      $('#node-config-input-port').val(String(split.port));
      recheck();
      showMessage(messageElement(hostInput, 'host'), labels('plc-connection.check.host.split', { host: split.host, port: split.port }), false);
    });
    const showAddressing = (): void => {
      const tsapMode = $('#node-config-input-addressing').val() === 'tsap';
      $('.plc-connection-tsap').toggle(tsapMode);
      $('.plc-connection-rack-slot').toggle(!tsapMode);
    };
    const showHint = (): void => {
      const family = $('#node-config-input-family').val() as PlcFamily;
      $('#plc-connection-pdu-hint').text(family === 'custom' ? '' : PLC_FAMILY_PRESETS[family].pduHint);
    };
    // choosing another family fills in its preset; the fields stay editable afterwards. The editor
    // also fires change when the dialog opens: that must not overwrite the stored values (${PLC_SLOT} …).
    let shownFamily = this.family;
    $('#node-config-input-family').on('change', () => {
      const family = $('#node-config-input-family').val() as PlcFamily;
      const chosen = family !== shownFamily;
      shownFamily = family;
      if (chosen && family !== 'custom') {
        const preset = PLC_FAMILY_PRESETS[family];
        $('#node-config-input-addressing').val(preset.addressing);
        if (preset.rack !== undefined) $('#node-config-input-rack').val(preset.rack);
        if (preset.slot !== undefined) $('#node-config-input-slot').val(preset.slot);
        if (preset.localTSAP) $('#node-config-input-localTSAP').val(preset.localTSAP);
        if (preset.remoteTSAP) $('#node-config-input-remoteTSAP').val(preset.remoteTSAP);
        $('#node-config-input-pduSize').val(String(preset.pduSize));
      }
      showAddressing();
      showHint();
      recheck();
    });
    $('#node-config-input-addressing').on('change', showAddressing);
    $('#node-config-input-pduSize').val(String(this.pduSize));
    showAddressing();
    showHint();
    $('#plc-connection-status-button').on('click', () => {
      const out = $('#plc-connection-status');
      out.text('…');
      $.getJSON(`plc-connection/${encodeURIComponent(this.id)}/status`)
        .done((s: { state: string; negotiatedPdu?: number; connections?: number; jobsPerConnection?: number; lastError?: string; error?: string }) => {
          const pdu = s.negotiatedPdu ? `, ${t('status.pdu')} ${s.negotiatedPdu}` : '';
          const connections = s.connections ? `, ${s.connections} ${t('status.connections')}` : '';
          const jobs = s.connections && s.jobsPerConnection ? `, ${labels('plc-connection.status.jobs', { count: s.jobsPerConnection })}` : '';
          const err = s.lastError || s.error ? ` – ${s.lastError ?? s.error}` : '';
          out.text(`${s.state}${pdu}${connections}${jobs}${err}`);
        })
        .fail((xhr: JQuery.jqXHR) => out.text(xhr.status === 404 ? t('status.notDeployed') : xhr.statusText));
    });
  },
  oneditsave: function () {
    // the old setting now lives in maxConnections / fixedConnections
    this.poolSize = '';
  },
});
