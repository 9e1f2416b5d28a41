/**
 * The durable state: the journal file on a real disk (a temporary directory), a seam that makes
 * the file system fail the way full disks, read-only mounts and removed directories do, and the
 * context store as Node-RED's memory store behaves (a value kept per store).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import nodeFs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DurableState, NodeState, StateJournal, durabilityAdvice, journalDirOf, journalFileName, storeDurability,
  type ContextStore, type JournalFs, type StateProblem,
} from '../../../lib/shared/state-journal';
import { Backoff } from '../../../lib/shared/backoff';
import { ManualClock } from '../../helpers/manual-clock';
import { waitFor } from '../../helpers/wait';

/** Node-RED's memory context store, per store name. */
class MemoryContext implements ContextStore {
  readonly values = new Map<string, unknown>();
  failSet: string | null = null;

  get(key: string, store: string | undefined, callback: (err: Error | undefined, value: unknown) => void): void {
    setImmediate(() => callback(undefined, this.values.get(`${store ?? 'default'}/${key}`)));
  }

  set(key: string, value: unknown, store: string | undefined, callback: (err?: Error) => void): void {
    setImmediate(() => {
      if (this.failSet) return callback(new Error(this.failSet));
      this.values.set(`${store ?? 'default'}/${key}`, value);
      callback();
    });
  }
}

function errno(code: string, syscall: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: ${syscall} failed`) as NodeJS.ErrnoException;
  err.code = code;
  return err;
}

/** The real file system, failing the operations named in `failing` with an errno error. */
function failingFs(): JournalFs & { failing: Map<string, string> } {
  const failing = new Map<string, string>();
  const check = (op: string) => {
    const code = failing.get(op);
    if (code) throw errno(code, op);
  };
  return {
    failing,
    async mkdir(dir, options) {
      check('mkdir');
      return nodeFs.mkdir(dir, options);
    },
    async open(file, flags) {
      check('open');
      const handle = await nodeFs.open(file, flags);
      return {
        writeFile: async (data: string) => {
          check('write');
          await handle.writeFile(data);
        },
        sync: async () => {
          check('fsync');
          await handle.sync();
        },
        close: () => handle.close(),
      };
    },
    async rename(from, to) {
      check('rename');
      return nodeFs.rename(from, to);
    },
    readFile: (file, encoding) => nodeFs.readFile(file, encoding),
    async rm(file, options) {
      check('rm');
      return nodeFs.rm(file, options);
    },
  };
}

describe('shared/state-journal', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'state-journal-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('StateJournal', () => {
    it('replaces the file atomically and reads back what was written; nothing saved reads as undefined', async () => {
      const journal = new StateJournal(path.join(dir, 'state'), 'a1b2c3d4e5f60718');
      assert.equal(await journal.read(), undefined);
      await journal.write(JSON.stringify({ format: 's7p-state/1', savedAt: 5, state: { m1: { total: 3 } } }));
      assert.deepEqual(await journal.read(), { savedAt: 5, state: { m1: { total: 3 } } });
      assert.deepEqual(fs.readdirSync(path.join(dir, 'state')), ['a1b2c3d4e5f60718.json'], 'no temp file left behind');
      await journal.remove();
      assert.equal(await journal.read(), undefined);
    });

    it('refuses a file that is not a state file, naming it', async () => {
      const journal = new StateJournal(dir, 'n1');
      fs.writeFileSync(journal.file, '{"total": 3}');
      await assert.rejects(journal.read(), /n1\.json is not a state file/);
      fs.writeFileSync(journal.file, '{"format": "s7p-st');
      await assert.rejects(journal.read(), SyntaxError);
    });

    it('makes a file name of any node id, and finds its directory in the user directory', () => {
      assert.equal(journalFileName('a1b2c3d4e5f60718'), 'a1b2c3d4e5f60718.json');
      assert.equal(journalFileName('../x/y.z'), '~2e~2e~2fx~2fy~2ez.json');
      assert.equal(journalDirOf({ userDir: '/home/nr/.node-red' }), path.join('/home/nr/.node-red', 's7-production-state'));
      assert.equal(journalDirOf({}), null);
      assert.equal(journalDirOf(undefined), null);
    });
  });

  describe('DurableState', () => {
    function durable(options: { fs?: JournalFs; context?: MemoryContext; clock?: ManualClock; state?: () => unknown; journalDir?: string | null } = {}) {
      const problems: StateProblem[] = [];
      let recovered = 0;
      const clock = options.clock ?? new ManualClock();
      const journalDir = options.journalDir === undefined ? path.join(dir, 'state') : options.journalDir;
      const d = new DurableState({
        context: options.context ?? new MemoryContext(),
        store: undefined,
        journal: journalDir === null ? null : new StateJournal(journalDir, 'node1', options.fs),
        snapshot: options.state ?? (() => ({ n: 1 })),
        onProblem: (p) => problems.push(p),
        onRecovered: () => {
          recovered += 1;
        },
        clock,
        retry: new Backoff({ initialMs: 1000, maxMs: 4000 }),
      });
      return { d, problems, clock, recovered: () => recovered };
    }

    it('saves to the journal and the context store within the interval; on start the newer copy wins', async () => {
      const context = new MemoryContext();
      let n = 1;
      const { d, clock } = durable({ context, state: () => ({ n }) });
      d.changed();
      await clock.advance(1000);
      await waitFor('the first save', () => context.values.size > 0);
      assert.deepEqual((await durable({ context }).d.load()).state, { n: 1 });

      // The journal is newer: a memory store that came back with an older value (or none) loses.
      n = 2;
      clock.time += 5000;
      d.changed();
      await d.close(false);
      context.values.set('default/productionState', { format: 's7p-state/1', savedAt: clock.time - 1, state: { n: 'older' } });
      const fromJournal = await durable({ context }).d.load();
      assert.deepEqual([fromJournal.from, fromJournal.state], ['journal', { n: 2 }]);
      context.values.set('default/productionState', { format: 's7p-state/1', savedAt: clock.time + 1, state: { n: 'newer' } });
      const fromContext = await durable({ context }).d.load();
      assert.deepEqual([fromContext.from, fromContext.state], ['context', { n: 'newer' }]);
      context.values.clear();
      assert.deepEqual((await durable({ context }).d.load()).state, { n: 2 }, 'a memory store emptied by a restart: the journal has it');
    });

    it('takes a bare state from versions before the journal, but never over a journal file', async () => {
      const context = new MemoryContext();
      context.values.set('default/productionState', { m1: { total: 7 } });
      const legacy = await durable({ context, journalDir: null }).d.load();
      assert.deepEqual([legacy.from, legacy.state], ['context', { m1: { total: 7 } }]);
      const { d } = durable({ context });
      d.changed();
      await d.close(false);
      context.values.set('default/productionState', { m1: { total: 7 } });
      assert.equal((await durable({ context }).d.load()).from, 'journal');
    });

    for (const [what, op, code] of [['a full disk', 'write', 'ENOSPC'], ['a read-only mount', 'open', 'EROFS'], ['a failing fsync', 'fsync', 'EIO'], ['a failing rename', 'rename', 'EROFS']] as const) {
      it(`${what} (${code} on ${op}): reported, the state stays in memory, saving is retried and succeeds once the disk is back`, async () => {
        const seam = failingFs();
        const context = new MemoryContext();
        let n = 1;
        const { d, problems, clock, recovered } = durable({ fs: seam, context, state: () => ({ n }) });
        const before = await durable({ context }).d.load();
        assert.equal(before.state, undefined);
        seam.failing.set(op, code);
        d.changed();
        await clock.advance(1000);
        await waitFor('the failure reported', () => problems.length > 0);
        assert.deepEqual(problems.map((p) => [p.copy, p.action]), [['journal', 'write']]);
        assert.match(problems[0].error, new RegExp(code));
        assert.equal(d.unsaved, true);
        n = 2;
        await clock.advance(1000);
        await waitFor('a retry', () => problems.length > 1);
        assert.equal(recovered(), 0);
        seam.failing.clear();
        await clock.advance(2000);
        await waitFor('the retry that succeeds', () => recovered() === 1);
        assert.equal(d.unsaved, false);
        const journalOnly = await durable({ context: new MemoryContext() }).d.load();
        assert.deepEqual([journalOnly.from, journalOnly.state], ['journal', { n: 2 }], 'the state reached the journal, without a new change');
        await d.close(false);
      });
    }

    it('a removed state directory is made again', async () => {
      const { d, problems } = durable();
      d.changed();
      await d.close(false);
      fs.rmSync(path.join(dir, 'state'), { recursive: true });
      const again = durable();
      again.d.changed();
      await again.d.close(false);
      assert.deepEqual([...problems, ...again.problems], []);
      assert.ok(fs.existsSync(path.join(dir, 'state', 'node1.json')));
    });

    it('a failing context store is reported too, and the journal still gets the state', async () => {
      const context = new MemoryContext();
      context.failSet = 'store not writable';
      const { d, problems } = durable({ context });
      d.changed();
      await d.close(false);
      assert.deepEqual(problems.map((p) => [p.copy, p.action, p.error]), [['context', 'write', 'store not writable']]);
      assert.equal((await durable().d.load()).from, 'journal');
    });

    it('a damaged journal file is reported on load, and the context copy is used', async () => {
      const context = new MemoryContext();
      const { d } = durable({ context });
      d.changed();
      await d.close(false);
      fs.writeFileSync(path.join(dir, 'state', 'node1.json'), 'garbage');
      const { d: next, problems } = durable({ context });
      const restored = await next.load();
      assert.equal(restored.from, 'context');
      assert.deepEqual(problems.map((p) => [p.copy, p.action]), [['journal', 'read']]);
    });

    it('a removed node takes its journal file with it, and does not write it again', async () => {
      const { d } = durable();
      d.changed();
      await d.close(false);
      assert.ok(fs.existsSync(path.join(dir, 'state', 'node1.json')));
      const { d: again } = durable();
      again.changed();
      await again.close(true);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'state')), []);
    });
  });

  describe('NodeState', () => {
    function host() {
      const warnings: string[] = [];
      const context = new MemoryContext();
      return { warnings, context, node: { id: 'n1', context: () => context, warn: (t: string) => warnings.push(t), log: () => undefined } };
    }
    const t = (key: string, params?: Record<string, string | number>) => `${key}${params ? ` ${JSON.stringify(params)}` : ''}`;

    it('while the journal fails: a status text, a warning once a minute per copy, then a recovery message', async () => {
      const seam = failingFs();
      const clock = new ManualClock();
      const h = host();
      let statusRequests = 0;
      const state = new NodeState({
        host: h.node, settings: { userDir: dir }, t, store: undefined, snapshot: () => ({ n: 1 }), fs: seam, clock,
        onStatus: () => {
          statusRequests += 1;
        },
      });
      await state.load();
      assert.deepEqual(h.warnings, [], 'with the journal, a memory store is no risk');
      seam.failing.set('write', 'ENOSPC');
      state.changed();
      await clock.advance(1000);
      await waitFor('the status text', () => state.statusProblem ?? undefined);
      assert.match(state.statusProblem ?? '', /^state\.unsaved .*ENOSPC/);
      assert.equal(statusRequests, 1);
      assert.equal(h.warnings.length, 2, 'the failure, and what the memory store alone cannot survive');
      assert.match(h.warnings[0], /^state\.writeFailed .*state\.copy\.journal.*ENOSPC/);
      assert.match(h.warnings[1], /^durability\.memoryOnly/);
      await clock.advance(30_000);
      assert.equal(h.warnings.length, 2, 'retries within the minute are not warned about again');
      seam.failing.clear();
      // The next retry comes within the backoff's 30 s cap; time moves only as the test moves it.
      await waitFor('recovered', async () => {
        await clock.advance(1000);
        return state.statusProblem === null;
      });
      assert.equal(h.warnings.at(-1), 'state.recovered');
      await state.close(false);
    });

    it('sendInOrder: a send carrying counts waits until the journal holds the state of its call; sends keep their order; a failing save holds nothing back', async () => {
      const seam = failingFs();
      // Renames wait until the test lets them: a save is seen under way, its state not yet in the journal.
      let releaseRename!: () => void;
      const renameHeld = new Promise<void>((resolve) => {
        releaseRename = resolve;
      });
      const rename = seam.rename.bind(seam);
      seam.rename = async (from, to) => {
        await renameHeld;
        return rename(from, to);
      };
      const clock = new ManualClock();
      const h = host();
      let n = 1;
      const state = new NodeState({ host: h.node, settings: { userDir: dir }, t, store: undefined, snapshot: () => ({ n }), fs: seam, clock, onStatus: () => undefined });
      await state.load();
      const file = path.join(dir, 's7-production-state', 'n1.json');
      const journal = (): unknown => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { state: { n: number } }).state.n : 'none');
      const sent: string[] = [];

      state.sendInOrder(() => sent.push('status 1'), false);
      assert.deepEqual(sent, ['status 1'], 'nothing waits: at once');
      n = 2;
      state.sendInOrder(() => sent.push(`units at 2, journal ${journal()}`), true);
      state.sendInOrder(() => sent.push('status 2'), false);
      await waitFor('the save of state 2 under way', () => fs.existsSync(`${file}.tmp`));
      // Changed after that save took its state: this send needs the next save.
      n = 3;
      state.sendInOrder(() => sent.push(`units at 3, journal ${journal()}`), true);
      state.sendInOrder(() => sent.push(`units at 3 too, journal ${journal()}`), true);
      await clock.advance(0);
      assert.deepEqual(sent, ['status 1'], 'nothing leaves before the journal holds its state, nor after it');
      releaseRename();
      await waitFor('every send made', () => sent.length === 5);
      assert.deepEqual(sent, ['status 1', 'units at 2, journal 2', 'status 2', 'units at 3, journal 3', 'units at 3 too, journal 3']);

      seam.failing.set('write', 'ENOSPC');
      n = 4;
      state.sendInOrder(() => sent.push(`units at 4, journal ${journal()}`), true);
      await waitFor('the send after the failed save', () => sent.length === 6);
      assert.equal(sent[5], 'units at 4, journal 3');
      assert.match(state.statusProblem ?? '', /ENOSPC/, 'the unsaved state is shown');
      seam.failing.clear();
      await state.close(false);
      assert.equal(journal(), 4, 'saved at close');
    });

    it('without a user directory, warns at start what the chosen store cannot survive', async () => {
      const h = host();
      const state = new NodeState({
        host: h.node, settings: { contextStorage: { default: { module: 'localfilesystem' } } }, t, store: undefined, snapshot: () => ({}), onStatus: () => undefined,
      });
      await state.load();
      assert.deepEqual(h.warnings, ['durability.fileFlush {"store":"default","seconds":30}']);
      await state.close(false);
    });
  });

  describe('what a context store survives', () => {
    it('reads Node-RED\'s contextStorage setting', () => {
      assert.deepEqual(storeDurability(undefined, undefined), { name: 'default', module: 'memory' });
      const stores = {
        default: 'file',
        file: { module: 'localfilesystem', config: { flushInterval: 1 } },
        slow: { module: 'localfilesystem' },
        direct: { module: 'localfilesystem', config: { cache: false } },
        memory: { module: 'memory' },
        redis: { module: 'node-red-context-redis' },
      };
      assert.deepEqual(storeDurability(stores, undefined), { name: 'file', module: 'localfilesystem', flushSeconds: 1 });
      assert.deepEqual(storeDurability(stores, 'slow'), { name: 'slow', module: 'localfilesystem', flushSeconds: 30 });
      assert.deepEqual(storeDurability(stores, 'direct'), { name: 'direct', module: 'localfilesystem', flushSeconds: 0 });
      assert.deepEqual(storeDurability(stores, 'memory'), { name: 'memory', module: 'memory' });
      assert.deepEqual(storeDurability(stores, 'redis'), { name: 'redis', module: 'other' });
      assert.deepEqual(storeDurability({ default: { module: 'memory' } }, '__proto__'), { name: '__proto__', module: 'other' });
    });

    it('advises only when the journal is missing and the store loses more than a second', () => {
      assert.equal(durabilityAdvice({ name: 'default', module: 'memory' }, true), null);
      assert.deepEqual(durabilityAdvice({ name: 'default', module: 'memory' }, false), { key: 'memoryOnly', params: { store: 'default' } });
      assert.deepEqual(durabilityAdvice({ name: 'f', module: 'localfilesystem', flushSeconds: 30 }, false), { key: 'fileFlush', params: { store: 'f', seconds: 30 } });
      assert.equal(durabilityAdvice({ name: 'f', module: 'localfilesystem', flushSeconds: 1 }, false), null);
      assert.deepEqual(durabilityAdvice({ name: 'r', module: 'other' }, false), { key: 'unknownStore', params: { store: 'r' } });
    });
  });
});
