/**
 * S7comm PDUs of a reading client: "Setup communication" (negotiates the PDU size and how many
 * jobs may be outstanding, MaxAmQ) and "Read Var" with S7ANY items, and their replies.
 *
 * A job's header is 10 bytes (protocol id 0x32, ROSCTR, redundancy id, PDU reference, parameter
 * and data lengths); an acknowledgement's is 12 (plus error class and code). The PDU reference
 * is the client's to choose and comes back in the reply: it matches pipelined replies to their
 * requests. Read Var reply items are a return code, a transport size, a length (in bits or bytes,
 * by transport size) and the data, padded to an even length before the next item.
 */
import type { S7Area } from '../address';
import { maxItemsPerRequest, replyBytes, requestBytes } from '../planner';

const PROTOCOL_ID = 0x32;
export const ROSCTR = { job: 0x01, ack: 0x02, ackData: 0x03, userData: 0x07 } as const;
const JOB_HEADER_BYTES = 10;
const ACK_HEADER_BYTES = 12;
const FUNCTION_READ_VAR = 0x04;
const FUNCTION_SETUP = 0xf0;
const SETUP_PARAM_BYTES = 8;
const ITEM_SPEC = 0x12;
const ITEM_SPEC_LENGTH = 0x0a;
const SYNTAX_S7ANY = 0x10;
/** Request transport sizes: what the length counts. */
const REQUEST_TRANSPORT = { bit: 0x01, byte: 0x02 } as const;
const ITEM_BYTES = 12;
const REPLY_ITEM_HEADER_BYTES = 4;

/** Area codes of an S7ANY address. */
export const AREA_CODE: Readonly<Record<S7Area, number>> = { I: 0x81, Q: 0x82, M: 0x83, DB: 0x84 };

/** Return codes of a reply item. */
export const RETURN_CODE = {
  success: 0xff,
  hardwareFault: 0x01,
  accessDenied: 0x03,
  addressOutOfRange: 0x05,
  dataTypeNotSupported: 0x06,
  dataTypeInconsistent: 0x07,
  objectDoesNotExist: 0x0a,
} as const;

const RETURN_TEXT: Record<number, string> = {
  [RETURN_CODE.hardwareFault]: 'hardware fault',
  [RETURN_CODE.accessDenied]: 'access to the object not allowed',
  [RETURN_CODE.addressOutOfRange]: 'address out of range',
  [RETURN_CODE.dataTypeNotSupported]: 'data type not supported',
  [RETURN_CODE.dataTypeInconsistent]: 'data type inconsistent',
  [RETURN_CODE.objectDoesNotExist]: 'object does not exist',
};

export function returnCodeText(code: number): string {
  return `${RETURN_TEXT[code] ?? 'item refused'} (S7 return code 0x${code.toString(16).padStart(2, '0')})`;
}

/** Reply transport sizes whose length counts bits; the others (0x07 real, 0x09 octet string) count bytes. */
const LENGTH_IN_BITS = new Set([0x03, 0x04, 0x05]);
const LENGTH_IN_BYTES = new Set([0x07, 0x09]);

/** A reply that breaks the protocol: the connection can no longer be trusted. */
export class S7ProtocolError extends Error {
  override name = 'S7ProtocolError';
}

/**
 * One item to read: `length` bytes from byte `start` of an area (of DB `dbNumber`), or with
 * `bit` set the one bit `start.bit` (then `length` must be 1).
 */
export interface ReadItem {
  area: S7Area;
  dbNumber?: number;
  start: number;
  length: number;
  bit?: number;
}

/** A reply item: its bytes, or the PLC's return code and what it means. */
export type ItemResult = { ok: true; data: Buffer } | { ok: false; returnCode: number; error: string };

export interface S7Header {
  rosctr: number;
  pduRef: number;
  paramLength: number;
  dataLength: number;
  /** Error class × 256 + error code of an acknowledgement; 0 for none. */
  error: number;
  /** Where the parameters start. */
  headerLength: number;
}

function jobHeader(pdu: Buffer, pduRef: number, paramLength: number): void {
  pdu[0] = PROTOCOL_ID;
  pdu[1] = ROSCTR.job;
  pdu.writeUInt16BE(0, 2);
  pdu.writeUInt16BE(pduRef, 4);
  pdu.writeUInt16BE(paramLength, 6);
  pdu.writeUInt16BE(0, 8);
}

/** "Setup communication": at most `maxJobs` outstanding jobs either way, PDUs of up to `pduSize` bytes. */
export function setupCommunication(pduRef: number, maxJobs: number, pduSize: number): Buffer {
  if (!(Number.isInteger(maxJobs) && maxJobs >= 1 && maxJobs <= 0xffff)) throw new RangeError(`parallel jobs must be 1..65535, not ${maxJobs}`);
  if (!(Number.isInteger(pduSize) && pduSize >= 240 && pduSize <= 0xffff)) throw new RangeError(`PDU size must be 240..65535, not ${pduSize}`);
  const pdu = Buffer.alloc(JOB_HEADER_BYTES + SETUP_PARAM_BYTES);
  jobHeader(pdu, pduRef, SETUP_PARAM_BYTES);
  pdu[10] = FUNCTION_SETUP;
  pdu.writeUInt16BE(maxJobs, 12);
  pdu.writeUInt16BE(maxJobs, 14);
  pdu.writeUInt16BE(pduSize, 16);
  return pdu;
}

/** The header of a PDU from the PLC; throws S7ProtocolError when it is not S7comm. */
export function parseHeader(pdu: Buffer): S7Header {
  if (pdu.length < JOB_HEADER_BYTES || pdu[0] !== PROTOCOL_ID) {
    throw new S7ProtocolError(`not an S7comm PDU (${pdu.length} bytes, first byte 0x${(pdu[0] ?? 0).toString(16)})`);
  }
  const rosctr = pdu[1];
  const ack = rosctr === ROSCTR.ack || rosctr === ROSCTR.ackData;
  const headerLength = ack ? ACK_HEADER_BYTES : JOB_HEADER_BYTES;
  if (pdu.length < headerLength) throw new S7ProtocolError(`S7 acknowledgement of ${pdu.length} bytes is shorter than its header`);
  const header = {
    rosctr,
    pduRef: pdu.readUInt16BE(4),
    paramLength: pdu.readUInt16BE(6),
    dataLength: pdu.readUInt16BE(8),
    error: ack ? pdu.readUInt16BE(10) : 0,
    headerLength,
  };
  if (headerLength + header.paramLength + header.dataLength > pdu.length) {
    throw new S7ProtocolError(`S7 PDU announces ${header.paramLength} parameter and ${header.dataLength} data bytes but holds ${pdu.length - headerLength}`);
  }
  return header;
}

/** The negotiated values of a "Setup communication" acknowledgement. */
export function parseSetupReply(pdu: Buffer, header: S7Header = parseHeader(pdu)): { pduSize: number; maxJobsCalling: number; maxJobsCalled: number } {
  const p = header.headerLength;
  if (header.rosctr !== ROSCTR.ackData || header.paramLength < SETUP_PARAM_BYTES || pdu[p] !== FUNCTION_SETUP) {
    throw new S7ProtocolError(`not an answer to "Setup communication" (ROSCTR ${header.rosctr}, function 0x${(pdu[p] ?? 0).toString(16)})`);
  }
  return { maxJobsCalling: pdu.readUInt16BE(p + 2), maxJobsCalled: pdu.readUInt16BE(p + 4), pduSize: pdu.readUInt16BE(p + 6) };
}

/** Why `items` do not fit one Read Var request at this PDU size, or undefined when they do. */
export function readRequestProblem(items: readonly ReadItem[], pduSize: number): string | undefined {
  if (items.length > 0xff) return `${items.length} items exceed the 255 of one request`;
  if (requestBytes(items.length) > pduSize) {
    return `${items.length} items need a ${requestBytes(items.length)}-byte request, over the PDU of ${pduSize} (at most ${maxItemsPerRequest(pduSize)} items)`;
  }
  const reply = replyBytes(items.map((i) => i.length));
  if (reply > pduSize) return `the reply to these items needs ${reply} bytes, over the PDU of ${pduSize}`;
  return undefined;
}

function checkItem(item: ReadItem, index: number): void {
  const fail = (why: string): never => {
    throw new RangeError(`read item ${index} (${item.area}${item.area === 'DB' ? item.dbNumber : ''} at byte ${item.start}): ${why}`);
  };
  if (AREA_CODE[item.area] === undefined) fail(`unknown area ${String(item.area)}`);
  if (item.area === 'DB' && !(Number.isInteger(item.dbNumber) && (item.dbNumber as number) >= 1 && (item.dbNumber as number) <= 0xffff)) {
    fail(`DB number must be 1..65535, not ${item.dbNumber}`);
  }
  if (!(Number.isInteger(item.start) && item.start >= 0 && item.start <= 0x1fffff)) fail('the start byte must be 0..2097151');
  if (!(Number.isInteger(item.length) && item.length >= 1 && item.length <= 0xffff)) fail(`length must be 1..65535 bytes, not ${item.length}`);
  if (item.bit !== undefined && !(Number.isInteger(item.bit) && item.bit >= 0 && item.bit <= 7 && item.length === 1)) {
    fail('a bit read needs bit 0..7 and length 1');
  }
}

/** A Read Var job for `items`; throws RangeError for an item no S7ANY address can express. */
export function readVarRequest(pduRef: number, items: readonly ReadItem[]): Buffer {
  if (items.length < 1 || items.length > 0xff) throw new RangeError(`a Read Var request carries 1..255 items, not ${items.length}`);
  const paramLength = 2 + ITEM_BYTES * items.length;
  const pdu = Buffer.allocUnsafe(JOB_HEADER_BYTES + paramLength);
  jobHeader(pdu, pduRef, paramLength);
  pdu[10] = FUNCTION_READ_VAR;
  pdu[11] = items.length;
  items.forEach((item, i) => {
    checkItem(item, i);
    const at = JOB_HEADER_BYTES + 2 + ITEM_BYTES * i;
    const bit = item.bit !== undefined;
    pdu[at] = ITEM_SPEC;
    pdu[at + 1] = ITEM_SPEC_LENGTH;
    pdu[at + 2] = SYNTAX_S7ANY;
    pdu[at + 3] = bit ? REQUEST_TRANSPORT.bit : REQUEST_TRANSPORT.byte;
    pdu.writeUInt16BE(item.length, at + 4);
    pdu.writeUInt16BE(item.area === 'DB' ? (item.dbNumber as number) : 0, at + 6);
    pdu[at + 8] = AREA_CODE[item.area];
    pdu.writeUIntBE(item.start * 8 + (item.bit ?? 0), at + 9, 3);
  });
  return pdu;
}

/**
 * The items of a Read Var acknowledgement without a header error, in request order. Data are
 * views of `pdu`. Throws S7ProtocolError when the reply does not answer `expectedItems` items.
 */
export function parseReadVarReply(pdu: Buffer, header: S7Header, expectedItems: number): ItemResult[] {
  const p = header.headerLength;
  if (header.rosctr !== ROSCTR.ackData || header.paramLength < 2 || pdu[p] !== FUNCTION_READ_VAR) {
    throw new S7ProtocolError(`not a Read Var answer (ROSCTR ${header.rosctr}, function 0x${(pdu[p] ?? 0).toString(16)})`);
  }
  const count = pdu[p + 1];
  if (count !== expectedItems) throw new S7ProtocolError(`the reply holds ${count} items, the request asked for ${expectedItems}`);
  const end = p + header.paramLength + header.dataLength;
  let at = p + header.paramLength;
  const results: ItemResult[] = new Array(count);
  for (let i = 0; i < count; i++) {
    if (at + REPLY_ITEM_HEADER_BYTES > end) throw new S7ProtocolError(`the reply ends before item ${i + 1} of ${count}`);
    const code = pdu[at];
    const transport = pdu[at + 1];
    const length = pdu.readUInt16BE(at + 2);
    at += REPLY_ITEM_HEADER_BYTES;
    let bytes: number;
    // an error item carries no data, whatever length it announces (snap7's server repeats the requested one)
    if (code !== RETURN_CODE.success) bytes = 0;
    else if (LENGTH_IN_BITS.has(transport)) bytes = Math.ceil(length / 8);
    else if (LENGTH_IN_BYTES.has(transport)) bytes = length;
    else throw new S7ProtocolError(`item ${i + 1}: unknown transport size 0x${transport.toString(16)}`);
    if (at + bytes > end) throw new S7ProtocolError(`item ${i + 1} announces ${bytes} bytes, the reply holds ${end - at}`);
    results[i] = code === RETURN_CODE.success
      ? { ok: true, data: pdu.subarray(at, at + bytes) }
      : { ok: false, returnCode: code, error: returnCodeText(code) };
    at += bytes;
    // the fill byte after an odd-length item; none after the last
    if ((bytes & 1) === 1 && i < count - 1) at++;
  }
  return results;
}
