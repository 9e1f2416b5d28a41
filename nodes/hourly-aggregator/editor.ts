/** Editor for hourly-aggregator: time zone with suggestions and a check, timing, state. */
import type * as EditorClient from '@node-red/editor-client';
import { parseMachineScope } from '../../lib/app-contract/machine-scope';
import { orEnv } from '../../lib/s7/session/connection-config';
import { envReferenceOf } from '../shared/editor/field-checks';
import { showFieldMessages } from '../shared/editor/field-messages';
import { absentOr, fillStoreSelect, numberField } from '../shared/editor/fields';
import { HOURLY_AGGREGATOR_CHECKS } from '../shared/editor/node-checks';
import type { ProductionColor } from '../shared/editor/palette';
import { HOURLY_AGGREGATOR_CONFIG_DEFAULTS, HOURLY_AGGREGATOR_LIMITS as l, HOURLY_AGGREGATOR_TYPE, type HourlyAggregatorConfig } from './types';

declare const RED: EditorClient.RED;
const d = HOURLY_AGGREGATOR_CONFIG_DEFAULTS;

function isTimeZone(v: unknown): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: String(v).trim() });
    return String(v).trim() !== '';
  } catch {
    return false;
  }
}

function isMachineScope(v: unknown): boolean {
  try {
    parseMachineScope(String(v ?? ''));
    return true;
  } catch {
    return false;
  }
}

RED.nodes.registerType<HourlyAggregatorConfig>('hourly-aggregator' satisfies typeof HOURLY_AGGREGATOR_TYPE, {
  category: 'S7 production',
  color: '#5BB9BF' satisfies ProductionColor,
  icon: 'hourly-aggregator.svg',
  inputs: 1,
  outputs: 2,
  defaults: {
    name: { value: d.name },
    timeZone: { value: d.timeZone, required: true, validate: orEnv(isTimeZone) },
    powerTimeoutMinutes: { value: d.powerTimeoutMinutes, validate: numberField(...l.timeoutMinutes) },
    cycleTimeoutMinutes: { value: d.cycleTimeoutMinutes, validate: numberField(...l.timeoutMinutes) },
    powerThresholdKw: { value: d.powerThresholdKw, validate: numberField(...l.powerThresholdKw) },
    snapshotMinutes: { value: d.snapshotMinutes, validate: numberField(...l.snapshotMinutes) },
    graceMinutes: { value: d.graceMinutes, validate: numberField(...l.graceMinutes) },
    tickSeconds: { value: d.tickSeconds, validate: numberField(...l.tickSeconds) },
    retainHours: { value: d.retainHours, validate: numberField(...l.retainHours) },
    staleSeconds: { value: d.staleSeconds, validate: absentOr(numberField(...l.staleSeconds)) },
    zeroFill: { value: d.zeroFill },
    endStoppageOnPowerLoss: { value: d.endStoppageOnPowerLoss },
    store: { value: d.store },
    mongo: { value: d.mongo, type: 'mongo-connection', required: false },
    timeoutsFromDb: { value: d.timeoutsFromDb },
    restoreFromDb: { value: d.restoreFromDb },
    // This instance's share of the machines (README "Scaling"); the runtime's parser decides.
    machineScope: { value: d.machineScope, validate: orEnv(isMachineScope) },
  },
  inputLabels: function () { return this._('hourly-aggregator.port.input'); },
  outputLabels: function (i: number) { return this._(i === 0 ? 'hourly-aggregator.port.production' : 'hourly-aggregator.port.status'); },
  paletteLabel: function () { return this._('hourly-aggregator.paletteLabel'); },
  label: function () {
    return this.name || `${this._('hourly-aggregator.paletteLabel')} (${this.timeZone})`;
  },
  labelStyle: function () {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function () {
    showFieldMessages({ type: 'hourly-aggregator', nodeId: this.id, prefix: 'node-input', checks: HOURLY_AGGREGATOR_CHECKS, labels: (key, params) => this._(key, params) });
    fillStoreSelect('#node-input-store', this.store, this._('hourly-aggregator.label.defaultStore'));
    const zones = (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
    const list = $('#hourly-aggregator-zones');
    for (const zone of zones) list.append($('<option>').val(zone));
    const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const hint = $('#hourly-aggregator-zone-hint');
    const showHint = (): void => {
      const zone = String($('#node-input-timeZone').val()).trim();
      // a bad zone, or an ${ENV} one (the runtime's to judge), is described by the message under the field
      if (envReferenceOf(zone) || !isTimeZone(zone)) {
        hint.text('');
        return;
      }
      const now = new Intl.DateTimeFormat(undefined, { timeZone: zone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date());
      hint.text(`${this._('hourly-aggregator.tip.localNow')} ${now}${zone !== browserZone ? ` · ${this._('hourly-aggregator.tip.browserZone')} ${browserZone}` : ''}`);
    };
    $('#node-input-timeZone').on('input change', showHint);
    showHint();
    const showDb = (): void => {
      const mongo = $('#node-input-mongo').val();
      $('.hourly-aggregator-db').toggle(typeof mongo === 'string' && mongo !== '' && mongo !== '_ADD_');
    };
    $('#node-input-mongo').on('change', showDb);
    showDb();
  },
});
