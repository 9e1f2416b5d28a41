/**
 * The plc-reader dialog's live view while tuning: each signal's current value, quality, time of
 * last change and the shortest pulse seen, from the deployed node (GET plc-reader/:id/live, no
 * PLC connection of its own), refreshed about once a second while the dialog is open.
 */
import type { LiveView } from '../../../lib/shared/telemetry-signals';
import { pollWhileOpen, type Polling } from '../../shared/editor/poll-while-open';

const REFRESH_MS = 1000;

let polling: Polling | undefined;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function render(view: LiveView, t: (key: string) => string): string {
  if (view.signals.length === 0) return `<i>${escapeHtml(t('live.none'))}</i>`;
  const head = ['signal', 'value', 'quality', 'changed', 'shortestPulse'].map((k) => `<th>${escapeHtml(t(`live.${k}`))}</th>`).join('');
  const rows = view.signals.map((s) => {
    const quality = s.quality === 'good'
      ? escapeHtml(t('live.good'))
      : `<span style="color: #c00" title="${escapeHtml(s.error ?? '')}">${escapeHtml(t('live.bad'))}</span>`;
    return `<tr data-signal="${escapeHtml(s.name)}"><td>${escapeHtml(s.name)}</td><td class="plc-reader-live-value">${escapeHtml(JSON.stringify(s.value) ?? '')}</td>`
      + `<td>${quality}</td><td>${escapeHtml(new Date(s.changedAt).toLocaleTimeString())}</td>`
      + `<td>${s.shortestPulseMs === undefined ? '–' : `${s.shortestPulseMs} ms`}</td></tr>`;
  });
  return `<table class="red-ui-info-table" style="width: 100%"><tr>${head}</tr>${rows.join('')}</table>`;
}

/** Shows the live view at the end of the open dialog and keeps it current until stopLiveView. */
export function startLiveView(nodeId: string, t: (key: string) => string): void {
  stopLiveView();
  const row = $('<div class="form-row" id="plc-reader-live-row"></div>').appendTo('#dialog-form');
  $('<label style="width: auto"></label>').text(t('live.title')).appendTo(row);
  const body = $('<div id="plc-reader-live" style="max-height: 240px; overflow: auto"></div>').text('…').appendTo(row);
  polling = pollWhileOpen<LiveView>(
    `plc-reader/${encodeURIComponent(nodeId)}/live`,
    REFRESH_MS,
    (view) => body.html(render(view, t)),
    (xhr) => body.text(xhr.status === 404 ? t('live.notDeployed') : `${t('live.failed')}: ${xhr.statusText}`),
  );
}

export function stopLiveView(): void {
  polling?.stop();
  polling = undefined;
  $('#plc-reader-live-row').remove();
}
