/**
 * S7WireClient against a scripted S7 server on loopback: the behaviours snap7's server never
 * shows (answers out of order, silence, garbage, a refused ISO connection, a small MaxAmQ) are
 * played here over a real socket. Request timeouts run on a ManualClock.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { S7WireClient, S7WireError } from '../../../../lib/s7/wire/client';
import { dataFrame, parseTpdu, TpktReader } from '../../../../lib/s7/wire/frames';
import type { ReadItem } from '../../../../lib/s7/wire/s7comm';
import { ManualClock } from '../../../helpers/manual-clock';
import { waitFor } from '../../../helpers/wait';

interface Job { ref: number; items: number; socket: net.Socket }

/** A scripted PLC: confirms ISO, answers setup with `maxJobs`, and holds read jobs until the test answers them. */
async function scriptedPlc(opts: { maxJobs?: number; pduSize?: number; refuseIso?: boolean } = {}) {
  const jobs: Job[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const reader = new TpktReader();
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        if (frame[5] === 0xe0) {
          // connection request: a disconnect request when refusing, else the confirm
          socket.write(Buffer.from(opts.refuseIso ? '0300000b06800001000180' : '0300001611d00001000100c0010ac1020100c2020101', 'hex'));
          continue;
        }
        const tpdu = parseTpdu(frame);
        if (tpdu.type !== 'DT') continue;
        const pdu = tpdu.payload;
        const ref = pdu.readUInt16BE(4);
        if (pdu[10] === 0xf0) {
          const reply = Buffer.from('320300000000000800000000f000000000000000', 'hex');
          reply.writeUInt16BE(ref, 4);
          reply.writeUInt16BE(opts.maxJobs ?? 8, 14);
          reply.writeUInt16BE(opts.maxJobs ?? 8, 16);
          reply.writeUInt16BE(opts.pduSize ?? 240, 18);
          socket.write(dataFrame(reply));
        } else {
          jobs.push({ ref, items: pdu[11], socket });
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    jobs,
    /** Answers a held job: every item one byte, the job's reference as its value. */
    answer(job: Job, ref = job.ref): void {
      const items = Buffer.concat(Array.from({ length: job.items }, (_, i) => Buffer.from([0xff, 0x04, 0x00, 0x08, job.ref & 0xff, ...(i < job.items - 1 ? [0] : [])])));
      const head = Buffer.from('320300000000000200000000', 'hex');
      head.writeUInt16BE(ref, 4);
      head.writeUInt16BE(items.length, 8);
      job.socket.write(dataFrame(Buffer.concat([head, Buffer.from([0x04, job.items]), items])));
    },
    refuse(job: Job, error: number): void {
      const head = Buffer.from('320300000000000000000000', 'hex');
      head.writeUInt16BE(job.ref, 4);
      head.writeUInt16BE(error, 10);
      job.socket.write(dataFrame(head));
    },
    dropAll(): void {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

const item: ReadItem = { area: 'DB', dbNumber: 1, start: 0, length: 1 };

describe('s7 wire client (scripted PLC)', function () {
  this.timeout(30_000);
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(opts: Parameters<typeof scriptedPlc>[0] = {}, clock?: ManualClock) {
    const plc = await scriptedPlc(opts);
    cleanup.push(plc.close);
    const client = new S7WireClient(clock);
    cleanup.push(() => client.close());
    const negotiated = await client.connect({ host: '127.0.0.1', port: plc.port, maxJobs: 8, requestTimeoutMs: 1000 });
    return { plc, client, negotiated };
  }

  it('keeps at most the negotiated jobs in flight and queues the rest', async () => {
    const { plc, client, negotiated } = await setup({ maxJobs: 3 });
    assert.deepEqual(negotiated, { pduSize: 240, maxJobs: 3 });
    const reads = Array.from({ length: 7 }, () => client.read([item]));
    await waitFor('3 requests at the PLC', () => plc.jobs.length === 3);
    assert.equal(client.inFlightCount, 3);
    assert.equal(client.queuedCount, 4);
    // each answer lets one more request go
    plc.answer(plc.jobs[0]);
    await waitFor('a 4th request', () => plc.jobs.length === 4);
    for (let i = 1; i < 7; i++) {
      await waitFor(`request ${i + 1}`, () => plc.jobs.length > i);
      plc.answer(plc.jobs[i]);
    }
    const results = await Promise.all(reads);
    assert.equal(results.length, 7);
    assert.equal(client.peakInFlight, 3);
  });

  it('matches replies to requests by PDU reference, whatever their order', async () => {
    const { plc, client } = await setup();
    const reads = [client.read([item]), client.read([item, item]), client.read([item, item, item])];
    await waitFor('3 requests at the PLC', () => plc.jobs.length === 3);
    for (const job of [...plc.jobs].reverse()) plc.answer(job);
    const results = await Promise.all(reads);
    assert.deepEqual(results.map((r) => r.length), [1, 2, 3]);
    results.forEach((r, i) => {
      for (const one of r) assert.deepEqual(one, { ok: true, data: Buffer.from([plc.jobs[i].ref & 0xff]) });
    });
  });

  it('fails only the read the PLC refuses as a whole, and keeps the connection', async () => {
    const { plc, client } = await setup();
    const refused = client.read([item]);
    const fine = client.read([item]);
    await waitFor('2 requests at the PLC', () => plc.jobs.length === 2);
    plc.refuse(plc.jobs[0], 0x8104);
    plc.answer(plc.jobs[1]);
    await assert.rejects(refused, (e: S7WireError) => e.reason === 'refused' && e.detail === 0x8104 && /PUT\/GET access/.test(e.message) && !e.isLinkError);
    assert.equal((await fine).length, 1);
    assert.equal(client.connected, true);
  });

  it('drops the connection on an answer to a reference nobody awaits, failing every pending read', async () => {
    const { plc, client } = await setup();
    const reads = [client.read([item]), client.read([item])];
    await waitFor('2 requests at the PLC', () => plc.jobs.length === 2);
    plc.answer(plc.jobs[0], 0x7777);
    await Promise.all(reads.map((r) => assert.rejects(r, (e: S7WireError) => e.reason === 'protocol' && /PDU reference 30583, which no request awaits/.test(e.message) && e.message.includes(`127.0.0.1:${plc.port}`))));
    assert.equal(client.connected, false);
    await assert.rejects(client.read([item]), /PDU reference 30583/);
  });

  it('times a request out on its clock and fails every pending read with the reason', async () => {
    const clock = new ManualClock();
    const { plc, client } = await setup({}, clock);
    const reads = [client.read([item]), client.read([item])];
    await waitFor('2 requests at the PLC', () => plc.jobs.length === 2);
    const failed = Promise.all(reads.map((r) => assert.rejects(r, (e: S7WireError) => e.reason === 'timeout' && /no answer to an S7 read request within 1000 ms \(2 reads pending\)/.test(e.message))));
    await clock.advance(999);
    assert.equal(client.connected, true);
    await clock.advance(1);
    await failed;
    assert.equal(client.connected, false);
  });

  it('fails pending reads when the PLC closes the socket, naming host and port', async () => {
    const { plc, client } = await setup();
    const reads = [client.read([item]), client.read([item]), client.read([item])];
    await waitFor('3 requests at the PLC', () => plc.jobs.length === 3);
    plc.dropAll();
    await Promise.all(reads.map((r) => assert.rejects(r, (e: S7WireError) => e.isLinkError && e.message.startsWith(`127.0.0.1:${plc.port}: `))));
  });

  it('says when the PLC refuses the ISO connection', async () => {
    const plc = await scriptedPlc({ refuseIso: true });
    cleanup.push(plc.close);
    const client = new S7WireClient();
    await assert.rejects(client.connect({ host: '127.0.0.1', port: plc.port, rack: 0, slot: 3 }),
      (e: S7WireError) => e.reason === 'iso-refused' && /refused the ISO connection \(wrong rack\/slot or TSAP\?\)/.test(e.message));
  });

  it('times the connect out on its clock when the PLC never answers', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const clock = new ManualClock();
    const client = new S7WireClient(clock);
    const connecting = client.connect({ host: '127.0.0.1', port, timeoutMs: 500 });
    await waitFor('the TCP connection', () => new Promise<boolean>((resolve) => silent.getConnections((_, n) => resolve(n > 0))));
    const failed = assert.rejects(connecting, (e: S7WireError) => e.reason === 'connect-timeout' && new RegExp(`127.0.0.1:${port}: no S7 connection within 500 ms \\((TCP|ISO) connect\\)`).test(e.message));
    await clock.advance(500);
    await failed;
    silent.close();
  });

  it('rejects items that do not fit the PDU without sending them, and keeps the connection', async () => {
    const { plc, client } = await setup();
    await assert.rejects(client.read(Array(20).fill(item)), (e: S7WireError) => e.reason === 'too-large' && /at most 19 items/.test(e.message));
    await assert.rejects(client.read([{ area: 'DB', dbNumber: 0, start: 0, length: 1 }]), (e: S7WireError) => e.reason === 'invalid' && /DB number/.test(e.message));
    const ok = client.read([item]);
    await waitFor('the request at the PLC', () => plc.jobs.length === 1);
    plc.answer(plc.jobs[0]);
    assert.equal((await ok).length, 1);
  });
});
