/**
 * Node statuses with numbers in the editor's language. Node-RED's editor translates a status
 * text only as a whole catalogue key, without values (red.js: `node._(text, {defaultValue: text})`
 * on "status/<id>"), and the runtime passes on only a status's text, fill and shape. So a node
 * says its status as catalogue phrases with values: it sends the text worded in the runtime's
 * language as usual (Status nodes, logs and editors see that), and the phrases on the comms topic
 * "s7-production/status/<id>"; the package's editor plugin words them again in the editor's
 * language, numbers in its format (plugins/s7-production-sidebar/status-i18n.ts). Node-RED free.
 */

/** A number shown with a fixed count of decimals ("5.0/s" in English, "5,0/s" in German). */
export interface Decimal {
  decimal: number;
  digits: number;
}

export type PhraseValue = string | number | Decimal | Phrase;

/** A catalogue key with its `__name__` values; a value may itself be a phrase. */
export interface Phrase {
  key: string;
  values?: Record<string, PhraseValue>;
}

/** What the editor plugin gets: the text as sent in the node's status, and its phrases. */
export interface PhrasedStatus {
  text: string;
  phrases: Phrase[];
}

export const STATUS_TOPIC = 's7-production/status/';
/** Between the phrases of a status, in every language. */
export const PHRASE_SEPARATOR = ' · ';

export type Translate = (key: string, values?: Record<string, string | number>) => string;
export type FormatNumber = (value: number, digits?: number) => string;

/** The runtime's numbers: as JavaScript prints them, decimals fixed where asked. */
export const plainNumber: FormatNumber = (value, digits) => (digits === undefined ? String(value) : value.toFixed(digits));

/** Numbers in a language's format, without grouping (an interval reads "1000 ms" in every language). */
export function numberFormatOf(lang: string): FormatNumber {
  return (value, digits) => new Intl.NumberFormat(lang, {
    useGrouping: false,
    ...(digits === undefined ? { maximumFractionDigits: 20 } : { minimumFractionDigits: digits, maximumFractionDigits: digits }),
  }).format(value);
}

const isDecimal = (v: PhraseValue): v is Decimal => typeof v === 'object' && 'decimal' in v;

export function wordPhrase(phrase: Phrase, t: Translate, format: FormatNumber): string {
  const values: Record<string, string> = {};
  for (const [name, v] of Object.entries(phrase.values ?? {})) {
    values[name] = typeof v === 'string' ? v : typeof v === 'number' ? format(v) : isDecimal(v) ? format(v.decimal, v.digits) : wordPhrase(v, t, format);
  }
  return t(phrase.key, values);
}

/** A status's phrases in words, joined as every status of the package is. */
export function wordPhrases(phrases: readonly Phrase[], t: Translate, format: FormatNumber): string {
  return phrases.map((p) => wordPhrase(p, t, format)).join(PHRASE_SEPARATOR);
}
