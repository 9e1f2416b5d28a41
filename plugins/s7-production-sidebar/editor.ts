/**
 * The "S7 production" sidebar tab: per machine, reader and sink, what the deployed nodes
 * report (lib/shared/telemetry.ts), live over comms. Engineers see the plant's data collection
 * without debug nodes, and a retune's effect on rate and cycle time as it happens.
 */
import type { ReaderTelemetry, TelemetrySnapshot } from '../../lib/shared/telemetry';
import { TELEMETRY_TOPIC } from '../../lib/shared/telemetry';
import { numberFormatOf, STATUS_TOPIC, wordPhrases, type PhrasedStatus, type Translate } from '../../lib/shared/telemetry-status';

/** A node in the editor, as far as its status goes. */
interface StatusNode {
  _: Translate;
  status?: { text?: string };
  dirty?: boolean;
  dirtyStatus?: boolean;
}

/** The parts of the editor's API used here (the editor-client typings lack plugins and comms). */
interface EditorApi {
  _(key: string, values?: Record<string, string | number>): string;
  plugins: { registerPlugin(id: string, definition: { onadd(): void }): void };
  comms: { subscribe(topic: string, handler: (topic: string, data: unknown) => void): void };
  sidebar: { addTab(tab: { id: string; label: string; name: string; iconClass: string; content: JQuery; enableOnEdit: boolean }): void };
  nodes: { node(id: string): StatusNode | null };
  view: { redrawStatus(node: StatusNode): void };
  i18n: { lang(): string };
}
declare const RED: EditorApi;

/** The plugin's catalogue namespace: Node-RED registers a plugin's messages under its id, module/name. */
const NS = '@linesentry/node-red-s7-production/s7-production-sidebar';
const t = (key: string, values?: Record<string, string | number>): string => RED._(`${NS}:sidebar.${key}`, values);

const CHART_WIDTH = 120;
const CHART_HEIGHT = 24;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function stateText(state: string | undefined): string {
  const text = t(`state.${state ?? 'unknown'}`);
  return text.endsWith(`state.${state}`) ? escapeHtml(state ?? '') : escapeHtml(text);
}

/** The last cycle times as a polyline scaled to their maximum, with that maximum as its title. */
export function cycleChart(times: number[]): string {
  if (times.length < 2) return '';
  const max = Math.max(...times, 1);
  const step = CHART_WIDTH / (times.length - 1);
  const points = times.map((v, i) => `${(i * step).toFixed(1)},${(CHART_HEIGHT - (v / max) * (CHART_HEIGHT - 2) - 1).toFixed(1)}`).join(' ');
  return `<svg class="s7p-chart" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}">`
    + `<title>max ${max} ms</title><polyline fill="none" stroke="currentColor" stroke-width="1" points="${points}"/></svg>`;
}

/** One entity (machine, reader, sink) as a small label/value table: fits the narrow sidebar. */
function card(kind: string, id: string, title: string, fields: Array<[string, string, string]>): string {
  const rows = fields.map(([field, label, value]) => `<tr data-field="${field}"><td>${escapeHtml(label)}</td><td>${value}</td></tr>`).join('');
  return `<table class="red-ui-info-table s7p-card s7p-${kind}" data-id="${escapeHtml(id)}">`
    + `<tr class="s7p-card-title"><th colspan="2">${title}</th></tr>${rows}</table>`;
}

function section(title: string, cards: string[]): string {
  return `<h4 class="s7p-title">${escapeHtml(title)}</h4>${cards.length > 0 ? cards.join('') : `<div class="s7p-none">${escapeHtml(t('none'))}</div>`}`;
}

function readerCard(r: ReaderTelemetry): string {
  const last = r.cycleTimesMs[r.cycleTimesMs.length - 1];
  return card('reader', r.nodeId, escapeHtml(r.name), [
    ['state', t('status'), stateText(r.state)],
    ['interval', t('interval'), `${r.intervalMs} ms`],
    ['rate', t('rate'), r.ratePerS === undefined ? '–' : `${r.ratePerS.toFixed(1)}/s`],
    ['cycleTime', t('cycleTime'), `${last === undefined ? '–' : `${Math.round(last)} ms`} ${cycleChart(r.cycleTimesMs)}`],
    ['requests', t('requests'), String(r.requestsPerCycle)],
    ['pdu', t('pdu'), r.pduSize === undefined ? '–' : `${r.pduSize} B`],
    ['pduUse', t('pduUse'), r.pduUse === undefined ? '–' : escapeHtml(t('pduUsed', { percent: Math.round(r.pduUse * 100) }))],
    ['overruns', t('overruns'), String(r.overruns)],
    ['bad', t('bad'), String(r.bad)],
  ]);
}

export function render(snapshot: TelemetrySnapshot): string {
  const machines = snapshot.machines.map((m) => card('machine', m.machineId, `<code>${escapeHtml(m.machineId)}</code>`, [
    ['status', t('status'), stateText(m.status)],
    ['hour', t('hour'), m.date ? `${escapeHtml(m.date)} ${m.hour}:00` : '–'],
    ['units', t('units'), String(m.units)],
    ['running', t('running'), escapeHtml(t('minutes', { count: m.running }))],
    ['stoppage', t('stoppage'), escapeHtml(t('minutes', { count: m.stopped }))],
  ]));
  const sinks = snapshot.sinks.map((s) => card('sink', s.nodeId, escapeHtml(s.name), [
    ['writtenPerS', t('writtenPerS'), s.writtenPerS.toFixed(1)],
    ['queued', t('queued'), String(s.queued)],
    ['spooled', t('spooled'), String(s.spooled)],
    ['lastError', t('lastError'), s.lastError ? `<span class="s7p-error">${escapeHtml(s.lastError)}</span>` : '–'],
  ]));
  return `<div class="s7p-updated">${escapeHtml(t('updated', { time: new Date(snapshot.at).toLocaleTimeString() }))}</div>`
    + section(t('machines'), machines) + section(t('readers'), snapshot.readers.map(readerCard)) + section(t('sinks'), sinks);
}

/**
 * The package's node statuses in the editor's language: the nodes send their statuses' phrases
 * on "s7-production/status/<id>" beside the text in the runtime's language (lib/shared/telemetry-status.ts);
 * a status whose text is the one the phrases were worded as is worded again here.
 */
function translateStatuses(): void {
  const phrased = new Map<string, PhrasedStatus>();
  const rephrase = (id: string): void => {
    const said = phrased.get(id);
    const node = RED.nodes.node(id);
    if (!said || !node?.status || node.status.text !== said.text) return;
    const text = wordPhrases(said.phrases, (key, values) => node._(key, values), numberFormatOf(RED.i18n.lang()));
    if (text === said.text) return;
    node.status = { ...node.status, text };
    node.dirtyStatus = true;
    node.dirty = true;
    RED.view.redrawStatus(node);
  };
  RED.comms.subscribe(`${STATUS_TOPIC}+`, (topic, data) => {
    const id = topic.slice(STATUS_TOPIC.length);
    if (data) phrased.set(id, data as PhrasedStatus);
    else phrased.delete(id);
    rephrase(id);
  });
  // after the editor's own handler of the same message has set the node's status, whichever subscribed first
  RED.comms.subscribe('status/#', (topic) => setTimeout(() => rephrase(topic.slice('status/'.length)), 0));
}

RED.plugins.registerPlugin('s7-production-sidebar', {
  onadd() {
    translateStatuses();
    const content = $('<div class="s7p-sidebar"></div>');
    content.text(t('waiting'));
    RED.sidebar.addTab({ id: 's7-production', label: t('label'), name: t('name'), iconClass: 'fa fa-industry', content, enableOnEdit: true });
    RED.comms.subscribe(TELEMETRY_TOPIC, (_topic, data) => {
      content.html(render(data as TelemetrySnapshot));
    });
  },
});
