/**
 * Beside the reader dialog's interval field: the fastest safe interval the deployed edge counters
 * fed by this reader ask for (GET plc-reader/:id/advice, lib/shared/telemetry-advice.ts),
 * highlighted when the interval in the field is slower; refreshed while the dialog is open.
 */
import type { ReaderAdvice } from '../../../lib/shared/telemetry-advice';
import type { Labels } from '../../shared/editor/field-messages';
import { pollWhileOpen, type Polling } from '../../shared/editor/poll-while-open';
import { adviceLines, judgedInterval } from '../../shared/editor/reader-advice';

const REFRESH_MS = 2000;

let polling: Polling | undefined;

/** Shows the advice under the interval field and keeps it current until stopAdvice. */
export function startAdvice(nodeId: string, t: Labels): void {
  stopAdvice();
  const box = $('<div id="plc-reader-advice" class="s7p-field-message"></div>').text('…').appendTo($('#node-input-intervalMs').closest('.form-row'));
  let latest: ReaderAdvice | undefined;
  const show = (): void => {
    if (!latest) return;
    const { summary, tooSlow, details } = adviceLines(latest, judgedInterval(String($('#node-input-intervalMs').val() ?? ''), latest.intervalMs), t);
    box.toggleClass('s7p-field-message-error', tooSlow).attr('data-too-slow', String(tooSlow)).empty()
      .append($('<div class="plc-reader-advice-summary">').text(summary))
      .append(details.map((line) => $('<div class="plc-reader-advice-key">').text(line)));
  };
  $('#node-input-intervalMs').on('change.plc-reader-advice keyup.plc-reader-advice', show);
  polling = pollWhileOpen<ReaderAdvice>(
    `plc-reader/${encodeURIComponent(nodeId)}/advice`,
    REFRESH_MS,
    (advice) => {
      latest = advice;
      show();
    },
    (xhr) => {
      latest = undefined;
      box.removeClass('s7p-field-message-error').text(xhr.status === 404 ? t('advice.notDeployed') : `${t('advice.failed')}: ${xhr.statusText}`);
    },
  );
}

export function stopAdvice(): void {
  polling?.stop();
  polling = undefined;
  $('#node-input-intervalMs').off('.plc-reader-advice');
  $('#plc-reader-advice').remove();
}
