import type * as EditorClient from '@node-red/editor-client';
import { requiredNumber } from '../shared/editor/fields';
import type { MongoColor } from '../shared/editor/palette';
import { MONGO_SINK_DEFAULTS as D, MONGO_SINK_TYPE, collectionNameProblem, type MongoSinkConfig } from './types';

declare const RED: EditorClient.RED;

const collection = (v: string) => ({ value: v, validate: (name: string) => !name || !collectionNameProblem(name) });

RED.nodes.registerType<MongoSinkConfig & EditorClient.NodeProperties>('mongo-sink' satisfies typeof MONGO_SINK_TYPE, {
  category: 'S7 production',
  color: '#2E8C93' satisfies MongoColor,
  defaults: {
    name: { value: D.name },
    connection: { value: '', type: 'mongo-connection', required: true },
    signalMode: { value: D.signalMode },
    historyCollection: collection(D.historyCollection),
    latestCollection: {
      value: D.latestCollection,
      validate(this: { signalMode?: string; historyCollection?: string }, name: string) {
        // An upsert by sensorId into the history collection would overwrite history documents.
        if (this.signalMode === 'both' && name === this.historyCollection) return false;
        return !name || !collectionNameProblem(name);
      },
    },
    writeBadQuality: { value: D.writeBadQuality },
    writeProduction: { value: D.writeProduction },
    productionCollection: collection(D.productionCollection),
    writeStatus: { value: D.writeStatus },
    machinesCollection: collection(D.machinesCollection),
    generic: { value: D.generic },
    genericCollection: collection(D.genericCollection),
    genericOperation: { value: D.genericOperation },
    genericKey: { value: D.genericKey },
    genericObjectIdFields: { value: D.genericObjectIdFields },
    genericTimestamps: { value: D.genericTimestamps },
    batchSize: requiredNumber(D.batchSize),
    flushIntervalMs: requiredNumber(D.flushIntervalMs),
    maxEntries: requiredNumber(D.maxEntries),
    maxMegabytes: requiredNumber(D.maxMegabytes),
    overflow: { value: D.overflow },
    retryInitialMs: requiredNumber(D.retryInitialMs),
    retryMaxMs: requiredNumber(D.retryMaxMs),
    spool: { value: D.spool },
    createIndexes: { value: D.createIndexes },
  } as never,
  inputs: 1,
  outputs: 2,
  icon: 'mongo-sink.svg',
  align: 'right',
  paletteLabel: 'mongo sink',
  label(this: MongoSinkConfig) {
    return this.name || 'mongo sink';
  },
  outputLabels(i: number) {
    return this._(i === 0 ? 'mongo-sink.outputs.written' : 'mongo-sink.outputs.results');
  },
  oneditprepare() {
    const toggle = () => {
      const mode = String($('#node-input-signalMode').val());
      $('.mongo-sink-history').toggle(mode === 'history' || mode === 'both');
      $('.mongo-sink-latest').toggle(mode === 'latest' || mode === 'both');
      $('.mongo-sink-signals').toggle(mode !== 'off');
      $('.mongo-sink-production').toggle($('#node-input-writeProduction').is(':checked'));
      $('.mongo-sink-status').toggle($('#node-input-writeStatus').is(':checked'));
      $('.mongo-sink-generic').toggle($('#node-input-generic').is(':checked'));
      $('.mongo-sink-generic-key').toggle($('#node-input-genericOperation').val() === 'upsert');
    };
    $('#node-input-signalMode').on('change', () => {
      // Choosing "both" with one collection would make the two writes collide: suggest a second.
      if ($('#node-input-signalMode').val() === 'both' && $('#node-input-latestCollection').val() === $('#node-input-historyCollection').val()) {
        $('#node-input-latestCollection').val(`${$('#node-input-historyCollection').val()}_latest`);
      }
      toggle();
    });
    $('#node-input-writeProduction, #node-input-writeStatus, #node-input-generic, #node-input-genericOperation').on('change', toggle);
    toggle();
  },
});
