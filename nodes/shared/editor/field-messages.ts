/**
 * Field checks in words: a message under each field of a dialog, updated as the user types.
 * A field holding an ${ENV} reference is checked by the runtime (POST <type>/check-env), which
 * alone knows the variable; it answers whether the variable is set and what is wrong with its
 * value, never the value.
 */
import type { EnvFieldReport, FieldCheck, FieldProblem } from './field-checks';
import { envReferenceOf } from './field-checks';

/** The node's catalogue function (this._ in a node definition's callbacks). */
export type Labels = (key: string, params?: Record<string, string | number>) => string;

export interface FieldMessagesOptions {
  /** The node type: its catalogue holds the "check" group and its runtime the check-env endpoint. */
  type: string;
  /** The edited node's id: the runtime resolves variables as this node sees them once deployed. */
  nodeId: string;
  /** "node-input" or "node-config-input": the dialog's input id prefix. */
  prefix: string;
  checks: Readonly<Record<string, FieldCheck>>;
  labels: Labels;
}

const ENV_DELAY_MS = 300;

/** The message of a problem in the node's language; a detail from the library follows it as it is. */
export function problemText(labels: Labels, type: string, problem: FieldProblem): string {
  const text = labels(`${type}.check.${problem.key}`, problem.params);
  return problem.detail ? `${text} (${problem.detail})` : text;
}

export function envReportText(labels: Labels, type: string, report: EnvFieldReport): { text: string; bad: boolean } {
  const variable = report.variable;
  if (!report.set) return { text: labels(`${type}.check.env.unset`, { variable }), bad: true };
  if (report.problem) return { text: labels(`${type}.check.env.invalid`, { variable, problem: problemText(labels, type, report.problem) }), bad: true };
  return { text: labels(`${type}.check.env.ok`, { variable }), bad: false };
}

/** The message element of a field: one per field, at the end of the field's form row. */
export function messageElement(input: JQuery, field: string): JQuery {
  const row = input.closest('.form-row');
  let el = row.find(`.s7p-field-message[data-field="${field}"]`);
  if (el.length === 0) {
    el = $('<div class="s7p-field-message">').attr('data-field', field).appendTo(row);
  }
  return el;
}

// Each node's editor bundle has its own copy of this module: the page has the style once.
const STYLE_ID = 's7p-field-message-style';
function addStyle(): void {
  if (document.getElementById(STYLE_ID)) return;
  $('<style>').attr('id', STYLE_ID).text(`
    .s7p-field-message { margin: 3px 0 0 104px; font-size: 0.9em; line-height: 1.3; white-space: normal; color: var(--red-ui-secondary-text-color, #777) }
    .s7p-field-message-error { color: var(--red-ui-text-color-error, #d6615f) }`).appendTo('head');
}

export function showMessage(el: JQuery, text: string, bad: boolean): void {
  addStyle();
  el.text(text).toggle(text !== '').toggleClass('s7p-field-message-error', bad);
}

/**
 * Shows each field's check as words under it, now and on every change. Returns a function that
 * re-checks every field (after a dialog changed values itself, e.g. a preset).
 */
export function showFieldMessages(options: FieldMessagesOptions): () => void {
  addStyle();
  const { type, nodeId, prefix, checks, labels } = options;
  const recheck: Array<() => void> = [];
  for (const [field, check] of Object.entries(checks)) {
    const input = $(`#${prefix}-${field}`);
    if (input.length === 0) continue;
    const el = messageElement(input, field);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let asked = '';
    const update = (): void => {
      const value = String(input.val() ?? '');
      const variable = envReferenceOf(value);
      // the same reference again (a change event after input events) keeps its question going
      if (variable && asked === value) return;
      clearTimeout(timer);
      if (!variable) {
        asked = '';
        const problem = check(value);
        showMessage(el, problem ? problemText(labels, type, problem) : '', true);
        return;
      }
      asked = value;
      showMessage(el, labels(`${type}.check.env.asking`, { variable }), false);
      timer = setTimeout(() => {
        $.ajax({
          url: `${type}/check-env`,
          method: 'POST',
          contentType: 'application/json',
          data: JSON.stringify({ id: nodeId, fields: { [field]: value } }),
        }).done((answer: { fields?: Record<string, EnvFieldReport> }) => {
          if (String(input.val() ?? '') !== value) return;
          const report = answer.fields?.[field];
          if (!report) return showMessage(el, '', false);
          const shown = envReportText(labels, type, report);
          showMessage(el, shown.text, shown.bad);
        }).fail((xhr: JQuery.jqXHR) => {
          if (String(input.val() ?? '') !== value) return;
          asked = '';
          showMessage(el, labels(`${type}.check.env.unknown`, { variable, error: xhr.status === 401 || xhr.status === 403 ? labels(`${type}.check.env.noPermission`) : xhr.statusText }), false);
        });
      }, ENV_DELAY_MS);
    };
    input.on('input change', update);
    update();
    recheck.push(update);
  }
  return () => recheck.forEach((update) => update());
}
