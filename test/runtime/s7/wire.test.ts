/**
 * The wire client (lib/s7/wire) against the PLC simulator (node-snap7's S7Server in a child
 * process) over real S7 on loopback, compared byte for byte with node-snap7's client reading
 * the same addresses, and run through the existing planning and decoding (planner.ts,
 * client-pool.ts runRequest, prepared-read.ts planResult) by way of its snap7-shaped adapter.
 */
import assert from 'node:assert/strict';
import { parseAddress, type S7Address } from '../../../lib/s7/address';
import { runRequest } from '../../../lib/s7/client-pool';
import { S7Connection } from '../../../lib/s7/connection';
import { planReads } from '../../../lib/s7/planner';
import { planResult, type PartOutcome, type RequestOutcome } from '../../../lib/s7/prepared-read';
import { snap7, type MultiVarRequest, type MultiVarResult, type Snap7Client } from '../../../lib/s7/snap7';
import { S7WireClient, S7WireError } from '../../../lib/s7/wire/client';
import { readRequestProblem } from '../../../lib/s7/wire/s7comm';
import { WireSnap7Client } from '../../../lib/s7/wire/snap7-adapter';
import { MACHINE_DB_LAYOUT, PROCESS_LAYOUT, sampleAddress, startSimulator, type SimulatorHandle } from '../../helpers/simulator';
import { waitFor } from '../../helpers/wait';

const connect = (client: Snap7Client, sim: SimulatorHandle): Promise<void> => new Promise((resolve, reject) => {
  client.SetParam(client.RemotePort, sim.port);
  client.ConnectTo(sim.host, 0, 1, (err) => (err ? reject(new Error(`connect: ${client.ErrorText(Number(err))}`)) : resolve()));
});

const readMulti = (client: Snap7Client, vars: MultiVarRequest[]): Promise<{ err: number; results: MultiVarResult[] }> => new Promise((resolve) => {
  client.ReadMultiVars(vars, (err, results) => resolve({ err: Number(err ?? 0), results: results ?? [] }));
});

const readArea = (client: Snap7Client, area: number, db: number, start: number, amount: number): Promise<Buffer> => new Promise((resolve, reject) => {
  client.ReadArea(area, db, start, amount, client.S7WLByte, (err, data) => (err ? reject(new Error(client.ErrorText(Number(err)))) : resolve(data)));
});

/** `vars` in requests that fit the PDU (greedy, in order). */
function fitting(vars: MultiVarRequest[], pduSize: number): MultiVarRequest[][] {
  const requests: MultiVarRequest[][] = [[]];
  for (const v of vars) {
    const last = requests[requests.length - 1];
    const candidate = [...last, v];
    if (readRequestProblem(candidate.map((c) => ({ area: 'DB', dbNumber: 1, start: 0, length: c.Amount })), pduSize) === undefined) last.push(v);
    else requests.push([v]);
  }
  return requests;
}

const MACHINES = [1, 2].map((db) => ({ name: `m${db}`, db, scenario: 'off' as const }));
const samples = Object.values(MACHINE_DB_LAYOUT.samples);

describe('s7 wire client over real S7 (simulator)', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;
  let snap: Snap7Client;
  let wire: WireSnap7Client;
  before(async () => {
    sim = await startSimulator({ pduSize: 240, machines: MACHINES });
    snap = new (snap7().S7Client)();
    wire = new WireSnap7Client();
    await connect(snap, sim);
    await connect(wire, sim);
  });
  after(async () => {
    snap?.Disconnect();
    wire?.Disconnect();
    await sim?.close();
  });

  it('negotiates the PDU the simulator imposes; snap7\'s server grants the parallel jobs asked for', async () => {
    assert.equal(wire.PDULength(), 240);
    assert.equal(wire.PDULength(), snap.PDULength());
    assert.equal(wire.maxJobs, 8);
    for (const asked of [1, 3, 20]) {
      const client = new S7WireClient();
      try {
        assert.deepEqual(await client.connect({ host: sim.host, port: sim.port, pduSize: 960, maxJobs: asked }), { pduSize: 240, maxJobs: asked });
      } finally {
        await client.close();
      }
    }
  });

  it('reads the same bytes as node-snap7: DB, inputs, outputs, merkers; bits, bytes, words, reals, strings', async () => {
    const { S7AreaDB: DB, S7AreaPE: I, S7AreaPA: Q, S7AreaMK: M, S7WLByte: BYTE, S7WLBit: BIT } = snap;
    const byteVar = (Area: number, Start: number, Amount: number, DBNumber = 0): MultiVarRequest => ({ Area, WordLen: BYTE, DBNumber, Start, Amount });
    const requests: MultiVarRequest[][] = [
      // every DB sample (bits, bytes, words, reals, strings ...) of both machines
      ...[1, 2].flatMap((db) => fitting(samples.map((s) => byteVar(DB, s.offset, parseAddress(sampleAddress(db, s), s.dataType).byteLength, db)), 240)),
      [
        byteVar(I, 0, 1), byteVar(I, 64, 2), byteVar(Q, 0, 8), byteVar(M, 2, 2), byteVar(M, 10, 4), byteVar(M, 1, 1),
        byteVar(DB, MACHINE_DB_LAYOUT.stringArray.offset, 18, 1), byteVar(DB, 201, 7, 1), byteVar(DB, 0, 1, 2),
        { Area: M, WordLen: BIT, Start: 1 * 8 + 3, Amount: 1 }, { Area: DB, WordLen: BIT, DBNumber: 1, Start: 8 * 8 + 2, Amount: 1 },
        { Area: DB, WordLen: BIT, DBNumber: 1, Start: 8 * 8 + 1, Amount: 1 },
      ],
      // item errors: a DB that does not exist, an address beyond the end of a DB and of the merkers, between good items
      [byteVar(DB, 0, 4, 1), byteVar(DB, 0, 4, 99), byteVar(DB, 1020, 8, 1), byteVar(M, PROCESS_LAYOUT.merkersSize - 1, 2), byteVar(I, 64, 2)],
    ];
    let errorsSeen = 0;
    for (const vars of requests) {
      const [ours, theirs] = await Promise.all([readMulti(wire, vars), readMulti(snap, vars)]);
      assert.equal(ours.err, theirs.err);
      assert.equal(ours.results.length, vars.length);
      ours.results.forEach((r, i) => {
        const want = theirs.results[i];
        assert.equal(r.Result, want.Result, `item ${i} of ${JSON.stringify(vars[i])}: result code`);
        if (want.Result === 0) assert.deepEqual(r.Data, want.Data, `item ${i} of ${JSON.stringify(vars[i])}: bytes`);
        else {
          errorsSeen++;
          assert.equal(wire.ErrorText(r.Result), snap.ErrorText(want.Result));
        }
      });
    }
    assert.equal(errorsSeen, 3);
    // a whole DB in one call: PDU-sized items, sent at once
    assert.deepEqual(await readArea(wire, DB, 1, 0, MACHINE_DB_LAYOUT.size), await readArea(snap, DB, 1, 0, MACHINE_DB_LAYOUT.size));
  });

  it('runs the planner\'s requests through client-pool\'s runRequest, pipelined, and decodes what S7Connection decodes', async () => {
    const addresses: S7Address[] = [
      ...[1, 2].flatMap((db) => samples.map((s) => parseAddress(sampleAddress(db, s), s.dataType))),
      parseAddress('IW64', 'WORD'), parseAddress('IB0', 'BYTE'), parseAddress('MW2', 'INT'), parseAddress('MD10', 'REAL'), parseAddress('M1.3', 'BOOL'),
      parseAddress('DB1.DBB200', `REAL[${MACHINE_DB_LAYOUT.bulk.count}]`), parseAddress('DB2.DBB200', 'REAL[60]'),
    ];
    const plan = planReads(addresses, { pduSize: wire.PDULength() as number });
    assert.ok(plan.requests.length >= 6, `several requests (${plan.requests.length})`);
    assert.ok(plan.requests.some((r) => r.kind === 'area'), 'a ReadArea among them');
    const outcomes = await Promise.all(plan.requests.map((request) => new Promise<RequestOutcome>((resolve, reject) => {
      runRequest(wire, request, (err: number | null, parts?: PartOutcome[]) => (err !== null ? reject(new Error(wire.ErrorText(err))) : resolve({ parts: parts ?? [], at: Date.now() })));
    })));
    const ours = planResult(addresses, plan, outcomes).items;
    const connection = new S7Connection({ host: sim.host, port: sim.port, pduSize: 240 });
    connection.start();
    try {
      await waitFor('S7Connection connected', () => connection.state === 'connected');
      const theirs = (await connection.read(connection.prepare(addresses))).items;
      assert.deepEqual(ours, theirs);
    } finally {
      await connection.close();
    }
    samples.forEach((s, i) => assert.deepEqual(ours[i], { ok: true, value: s.value }, s.dataType));
    assert.deepEqual(ours.slice(-7, -2).map((r) => r.value), [PROCESS_LAYOUT.inputs.IW64, PROCESS_LAYOUT.inputs.IB0, PROCESS_LAYOUT.merkers.MW2, PROCESS_LAYOUT.merkers.MD10, true]);
    assert.deepEqual(ours.at(-2)?.value, Array.from({ length: MACHINE_DB_LAYOUT.bulk.count }, (_, i) => MACHINE_DB_LAYOUT.bulk.value(i)));
  });

  it('keeps the negotiated number of requests in flight on one socket', async () => {
    const client = new S7WireClient();
    try {
      const { maxJobs } = await client.connect({ host: sim.host, port: sim.port, maxJobs: 4 });
      const reads = Array.from({ length: 30 }, (_, i) => client.read([{ area: 'DB', dbNumber: 1, start: MACHINE_DB_LAYOUT.bulk.offset + 4 * i, length: 4 }]));
      const results = await Promise.all(reads);
      results.forEach((r, i) => {
        assert.equal(r[0].ok, true);
        assert.equal((r[0] as { data: Buffer }).data.readFloatBE(0), MACHINE_DB_LAYOUT.bulk.value(i));
      });
      assert.equal(client.peakInFlight, maxJobs);
      assert.equal(maxJobs, 4);
    } finally {
      await client.close();
    }
  });
});

describe('s7 wire client when the PLC goes away mid-request', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({ pduSize: 480, machines: MACHINES });
  });
  after(async () => {
    await sim?.close();
  });

  it('fails every pending read with an error naming the PLC, and refuses new ones', async () => {
    const client = new S7WireClient();
    try {
      await client.connect({ host: sim.host, port: sim.port });
      await sim.silence();
      const reads = Array.from({ length: 12 }, () => client.read([{ area: 'DB', dbNumber: 1, start: 0, length: 8 }]));
      // the simulator's proxy hangs up (FIN): "closed by the PLC"; a reset would name the socket error instead
      const failed = Promise.all(reads.map((r) => assert.rejects(r, (e: S7WireError) => e.isLinkError && e.message.startsWith(`${sim.host}:${sim.port}: `) && e.message.endsWith(' (12 reads pending)'))));
      await waitFor('the requests on their way', () => client.inFlightCount === 8);
      assert.equal(client.queuedCount, 4);
      await sim.stopServer();
      await failed;
      assert.equal(client.connected, false);
      await assert.rejects(client.read([{ area: 'DB', dbNumber: 1, start: 0, length: 8 }]), (e: S7WireError) => e === client.closeReason && e.isLinkError);
    } finally {
      await client.close();
      await sim.startServer();
      await sim.unsilence();
    }
  });
});
