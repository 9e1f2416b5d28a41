/**
 * ISO-on-TCP framing (RFC 1006): every S7 PDU travels in a TPKT frame (version 3, 16-bit total
 * length) holding one ISO 8073 COTP TPDU. Only the TPDUs an S7 client needs are built here:
 * the connection request (CR, with the TSAPs that select rack and slot) and data (DT); the
 * answers it may get are the connection confirm (CC), data, a disconnect request (DR) and an
 * error TPDU (ER).
 */

export const TPKT_VERSION = 3;
export const TPKT_HEADER_BYTES = 4;
/** A DT TPDU's header: length indicator (2), type 0xF0, EOT flag and TPDU number. */
const DT_HEADER_BYTES = 3;
/** TPKT and COTP DT headers in front of every S7 PDU. */
export const DATA_FRAME_OVERHEAD = TPKT_HEADER_BYTES + DT_HEADER_BYTES;
/** The largest TPKT frame: its length field is 16 bits. */
const MAX_FRAME_BYTES = 0xffff;

const COTP_CR = 0xe0;
const COTP_CC = 0xd0;
const COTP_DR = 0x80;
const COTP_DT = 0xf0;
const COTP_ER = 0x70;
const EOT = 0x80;
/** CR parameters: the largest TPDU we take (code 0x0A = 1024 bytes), calling and called TSAP. */
const PARAM_TPDU_SIZE = 0xc0;
const PARAM_CALLING_TSAP = 0xc1;
const PARAM_CALLED_TSAP = 0xc2;
const TPDU_SIZE_1024 = 0x0a;

/** Our local TSAP, as snap7's ConnectTo uses it. */
export const LOCAL_TSAP = 0x0100;
/** Connection types of the remote TSAP's high byte. */
export const CONNECTION_TYPE = { PG: 1, OP: 2, S7_BASIC: 3 } as const;
export type ConnectionType = keyof typeof CONNECTION_TYPE;

/** The PLC's TSAP for a rack and slot: the connection type in the high byte, rack × 32 + slot in the low one. */
export function remoteTsap(rack: number, slot: number, type: ConnectionType = 'PG'): number {
  if (!(Number.isInteger(rack) && rack >= 0 && rack <= 7)) throw new RangeError(`rack must be 0..7, not ${rack}`);
  if (!(Number.isInteger(slot) && slot >= 0 && slot <= 31)) throw new RangeError(`slot must be 0..31, not ${slot}`);
  return (CONNECTION_TYPE[type] << 8) | (rack * 0x20 + slot);
}

/** A frame or TPDU that is not what RFC 1006 / ISO 8073 allow: the stream can no longer be trusted. */
export class FrameError extends Error {
  override name = 'FrameError';
}

function tpkt(body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(TPKT_HEADER_BYTES + body.length);
  frame[0] = TPKT_VERSION;
  frame[1] = 0;
  frame.writeUInt16BE(frame.length, 2);
  body.copy(frame, TPKT_HEADER_BYTES);
  return frame;
}

/** The COTP connection request (class 0) from `localTsap` to `remoteTsap`, in its TPKT frame. */
export function connectionRequest(localTsap: number, remoteTsap: number): Buffer {
  for (const [what, tsap] of [['local', localTsap], ['remote', remoteTsap]] as const) {
    if (!(Number.isInteger(tsap) && tsap >= 0 && tsap <= 0xffff)) throw new RangeError(`${what} TSAP must be 0..0xFFFF, not ${tsap}`);
  }
  const tpdu = Buffer.from([
    17, COTP_CR, 0x00, 0x00, 0x00, 0x01, 0x00, // length indicator, CR, destination ref, source ref 1, class 0
    PARAM_TPDU_SIZE, 1, TPDU_SIZE_1024,
    PARAM_CALLING_TSAP, 2, localTsap >> 8, localTsap & 0xff,
    PARAM_CALLED_TSAP, 2, remoteTsap >> 8, remoteTsap & 0xff,
  ]);
  return tpkt(tpdu);
}

/** One S7 PDU as a single COTP DT TPDU (end of TSDU set) in its TPKT frame. */
export function dataFrame(pdu: Buffer): Buffer {
  if (pdu.length + DATA_FRAME_OVERHEAD > MAX_FRAME_BYTES) throw new RangeError(`an S7 PDU of ${pdu.length} bytes does not fit a TPKT frame`);
  const frame = Buffer.allocUnsafe(DATA_FRAME_OVERHEAD + pdu.length);
  frame[0] = TPKT_VERSION;
  frame[1] = 0;
  frame.writeUInt16BE(frame.length, 2);
  frame[4] = DT_HEADER_BYTES - 1;
  frame[5] = COTP_DT;
  frame[6] = EOT;
  pdu.copy(frame, DATA_FRAME_OVERHEAD);
  return frame;
}

/**
 * Splits a TCP byte stream into TPKT frames: a chunk may end inside a frame or hold several.
 * Complete frames inside one chunk are returned as views of it, without copying.
 */
export class TpktReader {
  private pending: Buffer | undefined;

  /** Bytes held back until their frame is complete. */
  get pendingBytes(): number {
    return this.pending?.length ?? 0;
  }

  /** The frames completed by `chunk`; throws FrameError when the stream is not TPKT. */
  push(chunk: Buffer): Buffer[] {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const frames: Buffer[] = [];
    while (data.length >= TPKT_HEADER_BYTES) {
      if (data[0] !== TPKT_VERSION) throw new FrameError(`not a TPKT frame (version byte 0x${data[0].toString(16)}, expected 3)`);
      const length = data.readUInt16BE(2);
      if (length < TPKT_HEADER_BYTES + 2) throw new FrameError(`TPKT frame length ${length} is too short for a COTP TPDU`);
      if (data.length < length) break;
      frames.push(data.subarray(0, length));
      data = data.subarray(length);
    }
    if (data.length > 0) this.pending = data;
    return frames;
  }
}

export type Tpdu =
  | { type: 'CC'; sourceRef: number }
  | { type: 'DT'; endOfTsdu: boolean; payload: Buffer }
  | { type: 'DR'; reason: number }
  | { type: 'ER'; cause: number };

/** The COTP TPDU in a TPKT frame; throws FrameError for a malformed or unexpected one. */
export function parseTpdu(frame: Buffer): Tpdu {
  const li = frame[TPKT_HEADER_BYTES];
  const start = TPKT_HEADER_BYTES + 1;
  if (li < 1 || start + li > frame.length) throw new FrameError(`COTP length indicator ${li} does not fit a frame of ${frame.length} bytes`);
  const type = frame[start] & 0xf0;
  switch (type) {
    case COTP_DT:
      if (li < 2) throw new FrameError('COTP data TPDU without its EOT byte');
      return { type: 'DT', endOfTsdu: (frame[start + 1] & EOT) !== 0, payload: frame.subarray(start + li) };
    case COTP_CC:
      if (li < 6) throw new FrameError(`COTP connection confirm too short (length indicator ${li})`);
      return { type: 'CC', sourceRef: frame.readUInt16BE(start + 3) };
    case COTP_DR:
      return { type: 'DR', reason: li >= 6 ? frame[start + 5] : 0 };
    case COTP_ER:
      return { type: 'ER', cause: li >= 4 ? frame[start + 3] : 0 };
    default:
      throw new FrameError(`unexpected COTP TPDU type 0x${type.toString(16)}`);
  }
}

/**
 * Joins the DT TPDUs of one S7 PDU: a sender may split a PDU over several TPDUs, all but the
 * last without the end-of-TSDU flag.
 */
export class TsduAssembler {
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes = MAX_FRAME_BYTES) {}

  /** The whole S7 PDU once `payload` ended it, else undefined. */
  push(payload: Buffer, endOfTsdu: boolean): Buffer | undefined {
    this.bytes += payload.length;
    if (this.bytes > this.maxBytes) throw new FrameError(`fragments of one S7 PDU exceed ${this.maxBytes} bytes`);
    if (endOfTsdu && this.parts.length === 0) {
      this.bytes = 0;
      return payload;
    }
    this.parts.push(payload);
    if (!endOfTsdu) return undefined;
    const whole = Buffer.concat(this.parts);
    this.parts = [];
    this.bytes = 0;
    return whole;
  }
}
