/** Editor helpers shared by the nodes' dialogs (edge-counter, hourly-aggregator, mongo-connection, mongo-sink). */
import type * as EditorClient from '@node-red/editor-client';

declare const RED: EditorClient.RED;

export const numberField = (min: number, max: number) => (v: unknown): boolean => {
  const n = Number(v);
  return String(v).trim() !== '' && Number.isFinite(n) && n >= min && n <= max;
};

export const intField = (min: number, max: number) => (v: unknown): boolean => numberField(min, max)(v) && Number.isInteger(Number(v));

/** A `defaults` entry: a required number with its default, checked by the editor's own number validator. */
export const requiredNumber = (value: number) => ({ value, required: true, validate: RED.validators.number() });

/**
 * For a setting added after flows were saved: a node from such a flow lacks it (the runtime
 * then uses the default), which must not mark the node invalid.
 */
export const absentOr = (check: (v: unknown) => boolean) => (v: unknown): boolean => v === undefined || check(v);

/** Fills a select with the context stores configured in settings.js ("" = the default store). */
export function fillStoreSelect(selector: string, current: string, defaultLabel: string): void {
  const settings = RED.settings as unknown as { context?: { default?: string; stores?: string[] } };
  const stores = settings.context?.stores ?? ['memory'];
  const select = $(selector).empty();
  select.append($('<option>').val('').text(`${defaultLabel}${settings.context?.default ? ` (${settings.context.default})` : ''}`));
  for (const store of stores) select.append($('<option>').val(store).text(store));
  // a store that is no longer configured stays visible, so saving does not silently change it
  if (current && !stores.includes(current)) select.append($('<option>').val(current).text(`${current} (?)`));
  select.val(current || '');
}
