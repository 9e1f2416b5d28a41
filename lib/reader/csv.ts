/**
 * The signal table as CSV in the columns of a TIA Portal PLC tag table (Name, Path, Data Type,
 * Logical Address, Comment, Hmi ...) plus this package's columns (Kind, Machine ID, Sensor ID,
 * Interval (ms), Deadband). Reads comma-, semicolon- (German Excel) and tab-separated files,
 * quoted fields (RFC 4180), a UTF-8 BOM, TIA's type spellings (Bool, Time_Of_Day,
 * Array[0..9] of Int). Pure: the editor bundle uses it.
 */
import { SIGNAL_KINDS, type SignalKind } from '../shared/messages';
import { reservedNameProblem } from '../shared/validate';
import type { SignalRow } from './signals';

export const TIA_COLUMNS = ['Name', 'Path', 'Data Type', 'Logical Address', 'Comment', 'Hmi Visible', 'Hmi Accessible', 'Hmi Writeable'] as const;
export const EXTRA_COLUMNS = ['Kind', 'Machine ID', 'Sensor ID', 'Interval (ms)', 'Deadband'] as const;
export const DEFAULT_TAG_TABLE = 'Default tag table';

const TIA_TYPE_NAMES: Record<string, string> = {
  BOOL: 'Bool', BYTE: 'Byte', WORD: 'Word', DWORD: 'DWord', CHAR: 'Char', SINT: 'SInt', USINT: 'USInt',
  INT: 'Int', UINT: 'UInt', DINT: 'DInt', UDINT: 'UDInt', LINT: 'LInt', ULINT: 'ULInt', REAL: 'Real',
  LREAL: 'LReal', STRING: 'String', WSTRING: 'WString', DATE: 'Date', TIME: 'Time', TOD: 'Time_Of_Day',
  DT: 'Date_And_Time', DTL: 'DTL',
};
const LONG_TYPE_NAMES: Record<string, string> = { TIME_OF_DAY: 'TOD', DATE_AND_TIME: 'DT' };

/** TIA's spelling of a data type -> ours: "Time_Of_Day" -> "TOD", "Array[0..9] of Int" -> "INT[10]". */
export function dataTypeFromTia(text: string): string {
  const t = text.trim();
  const array = /^array\s*\[\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*\]\s*of\s+(.+)$/i.exec(t);
  if (array) {
    const count = Number(array[2]) - Number(array[1]) + 1;
    return `${dataTypeFromTia(array[3])}[${count}]`;
  }
  const m = /^([A-Za-z_]+)\s*(\[.*\])?$/.exec(t);
  if (!m) return t.toUpperCase();
  const base = m[1].toUpperCase();
  return (LONG_TYPE_NAMES[base] ?? base) + (m[2] ?? '').replace(/\s+/g, '');
}

/** Our data type -> TIA's spelling ("REAL" -> "Real", "INT[10]" -> "Array[0..9] of Int"). */
export function dataTypeToTia(dataType: string): string {
  const m = /^([A-Za-z]+)(\[\d+\])?(\[\d+\])?$/.exec(dataType.trim());
  if (!m) return dataType;
  const base = m[1].toUpperCase();
  const tiaBase = TIA_TYPE_NAMES[base];
  if (!tiaBase) return dataType;
  const isString = base === 'STRING' || base === 'WSTRING';
  const length = isString ? m[2] ?? '' : '';
  const arrayPart = isString ? m[3] : m[2];
  const scalar = tiaBase + length;
  if (!arrayPart) return scalar;
  return `Array[0..${Number(arrayPart.slice(1, -1)) - 1}] of ${scalar}`;
}

/** Splits CSV text into records of fields (RFC 4180 quoting; the delimiter is detected from the first line). */
export function parseCsvRecords(text: string): string[][] {
  const src = text.replace(/^\uFEFF/, '');
  const delimiter = detectDelimiter(src);
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === delimiter) {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records.filter((r) => r.some((f) => f.trim() !== ''));
}

function detectDelimiter(src: string): string {
  const firstLine = src.split(/\r?\n/, 1)[0].replace(/"[^"]*"/g, '');
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][1] > 0 ? counts[0][0] : ',';
}

function quote(value: string, delimiter: string): string {
  return /["\r\n]/.test(value) || value.includes(delimiter) ? `"${value.replace(/"/g, '""')}"` : value;
}

export interface CsvImportResult {
  rows: SignalRow[];
  /** One per rejected line: "line 4: ...". */
  errors: string[];
}

const normalizeHeader = (h: string): string => h.trim().toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Reads a tag table. Columns are found by header name (any order, case-insensitive);
 * "Name" and "Logical Address" are required. A line without name or address is reported,
 * not silently dropped; the remaining lines still import.
 */
export function importSignalsCsv(text: string): CsvImportResult {
  const records = parseCsvRecords(text);
  if (records.length === 0) return { rows: [], errors: ['the file is empty'] };
  const header = records[0].map(normalizeHeader);
  const col = (name: string): number => header.indexOf(normalizeHeader(name));
  const nameCol = col('Name');
  const addressCol = col('Logical Address') >= 0 ? col('Logical Address') : col('Address');
  if (nameCol < 0 || addressCol < 0) {
    return { rows: [], errors: [`the header must have the columns "Name" and "Logical Address"; found: ${records[0].join(', ')}`] };
  }
  const cols = {
    dataType: col('Data Type'), comment: col('Comment'), kind: col('Kind'), machineId: col('Machine ID'),
    sensorId: col('Sensor ID'), intervalMs: col('Interval (ms)'), deadband: col('Deadband'),
  };
  const rows: SignalRow[] = [];
  const errors: string[] = [];
  records.slice(1).forEach((rec, i) => {
    const line = i + 2;
    const get = (c: number): string => (c >= 0 && c < rec.length ? rec[c].trim() : '');
    const row: SignalRow = { name: get(nameCol), address: get(addressCol) };
    const problems: string[] = [];
    if (!row.name) problems.push('no name');
    const reserved = row.name ? reservedNameProblem(row.name, 'name') : undefined;
    if (reserved) problems.push(reserved);
    if (!row.address) problems.push('no logical address');
    const dataType = get(cols.dataType);
    if (dataType) row.dataType = dataTypeFromTia(dataType);
    const comment = get(cols.comment);
    if (comment) row.comment = comment;
    const kind = get(cols.kind).toLowerCase();
    if (kind) {
      if (SIGNAL_KINDS.includes(kind as SignalKind)) row.kind = kind as SignalKind;
      else problems.push(`kind "${kind}" is not one of ${SIGNAL_KINDS.join(', ')}`);
    }
    const machineId = get(cols.machineId);
    if (machineId) row.machineId = machineId;
    const sensorId = get(cols.sensorId);
    if (sensorId) row.sensorId = sensorId;
    for (const key of ['intervalMs', 'deadband'] as const) {
      const raw = get(cols[key]).replace(',', '.');
      if (!raw) continue;
      const n = Number(raw);
      if (Number.isFinite(n)) row[key] = n;
      else problems.push(`${key === 'intervalMs' ? 'interval' : 'deadband'} "${raw}" is not a number`);
    }
    if (problems.length > 0) errors.push(`line ${line}${row.name ? ` (${row.name})` : ''}: ${problems.join('; ')}`);
    else rows.push(row);
  });
  return { rows, errors };
}

/** Writes a tag table that TIA-minded tools and importSignalsCsv read back. */
export function exportSignalsCsv(rows: readonly SignalRow[], options: { delimiter?: string; tagTable?: string } = {}): string {
  const d = options.delimiter ?? ',';
  const tagTable = options.tagTable ?? DEFAULT_TAG_TABLE;
  const lines = [[...TIA_COLUMNS, ...EXTRA_COLUMNS].map((h) => quote(h, d)).join(d)];
  for (const r of rows) {
    const fields = [
      r.name, tagTable, r.dataType ? dataTypeToTia(r.dataType) : '', r.address, r.comment ?? '',
      'True', 'True', 'False',
      r.kind ?? '', r.machineId ?? '', r.sensorId ?? '',
      r.intervalMs ? String(r.intervalMs) : '', r.deadband !== undefined ? String(r.deadband) : '',
    ];
    lines.push(fields.map((f) => quote(f, d)).join(d));
  }
  return lines.join('\r\n') + '\r\n';
}
