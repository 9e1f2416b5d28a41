/** Editor for edge-counter: fields per mode, context store choice. */
import type * as EditorClient from '@node-red/editor-client';
import { showFieldMessages } from '../shared/editor/field-messages';
import { absentOr, fillStoreSelect, intField, numberField } from '../shared/editor/fields';
import { EDGE_COUNTER_CHECKS } from '../shared/editor/node-checks';
import type { ProductionColor } from '../shared/editor/palette';
import { EDGE_COUNTER_CONFIG_DEFAULTS, EDGE_COUNTER_LIMITS as l, EDGE_COUNTER_TYPE, type EdgeCounterConfig } from './types';

declare const RED: EditorClient.RED;
const d = EDGE_COUNTER_CONFIG_DEFAULTS;

RED.nodes.registerType<EdgeCounterConfig>('edge-counter' satisfies typeof EDGE_COUNTER_TYPE, {
  category: 'S7 production',
  color: '#5BB9BF' satisfies ProductionColor,
  icon: 'edge-counter.svg',
  inputs: 1,
  outputs: 1,
  defaults: {
    name: { value: d.name },
    mode: { value: d.mode, required: true },
    keyBy: { value: d.keyBy, required: true },
    minHighMs: { value: d.minHighMs, validate: intField(...l.debounceMs) },
    minLowMs: { value: d.minLowMs, validate: intField(...l.debounceMs) },
    counterBits: { value: d.counterBits },
    maxStep: { value: d.maxStep, validate: intField(...l.maxStep) },
    idealCycleSeconds: { value: d.idealCycleSeconds, validate: absentOr(numberField(...l.idealCycleSeconds)) },
    gapWarnSeconds: { value: d.gapWarnSeconds, validate: numberField(...l.gapWarnSeconds) },
    store: { value: d.store },
  },
  inputLabels: function () { return this._('edge-counter.port.input'); },
  outputLabels: function () { return this._('edge-counter.port.output'); },
  paletteLabel: function () { return this._('edge-counter.paletteLabel'); },
  label: function () {
    return this.name || `${this._('edge-counter.paletteLabel')} (${this._(`edge-counter.mode.${this.mode}`)})`;
  },
  labelStyle: function () {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function () {
    showFieldMessages({ type: 'edge-counter', nodeId: this.id, prefix: 'node-input', checks: EDGE_COUNTER_CHECKS, labels: (key, params) => this._(key, params) });
    fillStoreSelect('#node-input-store', this.store, this._('edge-counter.label.defaultStore'));
    const showMode = (): void => {
      const counter = $('#node-input-mode').val() === 'counter';
      $('.edge-counter-counter').toggle(counter);
      $('.edge-counter-edges').toggle(!counter);
      $('#edge-counter-tip').toggle(!counter);
    };
    $('#node-input-mode').on('change', showMode);
    $('#node-input-counterBits').val(String(this.counterBits));
    showMode();
  },
});
