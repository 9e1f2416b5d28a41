// A real Node-RED runtime in this process (node-red-node-test-helper starts the actual
// runtime: flows, wires, message cloning, done() tracking), and a throughput meter that
// counts completions through a Complete node scoped to the node under test.
import path from 'node:path';
import { distDir, requireFromRepo } from './env.mjs';

const helper = requireFromRepo('node-red-node-test-helper');
helper.init(requireFromRepo.resolve('node-red'));

const coreNodes = path.dirname(requireFromRepo.resolve('@node-red/nodes/package.json'));

/** Node modules by short name: ours from the build under test, Node-RED's core ones, peers by path. */
export function nodeModule(name) {
  const core = { function: 'core/function/10-function.js', complete: 'core/common/24-complete.js', catch: 'core/common/25-catch.js' };
  if (core[name]) return requireFromRepo(path.join(coreNodes, core[name]));
  return requireFromRepo(path.join(distDir, 'nodes', name, `${name}.js`));
}

export function loadFlow(modules, flow, settings = {}) {
  helper.settings(settings);
  return new Promise((resolve, reject) => {
    try {
      helper.load(modules, flow, () => resolve(helper));
    } catch (err) {
      reject(err);
    }
  });
}

/**
 * The test helper spies on every node's send/status/log calls and sinon keeps each call's
 * arguments: forget them, or the heap grows with every message sent (and the node under test
 * pays for it). Call this often in long runs.
 */
export function forgetCalls() {
  helper._sandbox?.resetHistory();
}

export async function unloadFlow() {
  await helper.unload();
  helper.settings({});
}

/**
 * Flow pieces that count what `targetId` finished (done() called, with or without error) and
 * what it sent. Add them to a flow whose target node wires to 'bench-out'.
 */
export function meterNodes(targetId) {
  return [
    { id: 'bench-complete', z: 'tab', type: 'complete', scope: [targetId], uncaught: false, wires: [['bench-done']] },
    { id: 'bench-catch', z: 'tab', type: 'catch', scope: [targetId], uncaught: false, wires: [['bench-errors']] },
    { id: 'bench-done', z: 'tab', type: 'helper' },
    { id: 'bench-errors', z: 'tab', type: 'helper' },
    { id: 'bench-out', z: 'tab', type: 'helper' },
  ];
}

/**
 * Feeds `messages` into the target in slices (letting the event loop run in between) and
 * resolves when all of them completed: { seconds, perSecond, outputs, errors }.
 */
export function pump(runtime, targetId, messages, { slice = 500, timeoutMs = 120000 } = {}) {
  const target = runtime.getNode(targetId);
  const doneNode = runtime.getNode('bench-done');
  const errorNode = runtime.getNode('bench-errors');
  const outNode = runtime.getNode('bench-out');
  let completed = 0;
  let errors = 0;
  let outputs = 0;
  let firstError;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`only ${completed}/${messages.length} messages completed within ${timeoutMs} ms`)), timeoutMs);
    const onDone = () => { completed++; if (completed === messages.length) finish(); };
    const onError = (msg) => { errors++; firstError ??= msg.error?.message; completed++; if (completed === messages.length) finish(); };
    const onOut = (msg) => { outputs += Array.isArray(msg) ? msg.length : 1; };
    doneNode.on('input', onDone);
    errorNode.on('input', onError);
    outNode.on('input', onOut);
    const started = performance.now();
    function finish(err) {
      clearTimeout(timer);
      doneNode.off('input', onDone);
      errorNode.off('input', onError);
      outNode.off('input', onOut);
      if (err) return reject(err);
      const seconds = (performance.now() - started) / 1000;
      // Let the last sends arrive before counting outputs.
      setImmediate(() => resolve({ messages: messages.length, seconds, perSecond: messages.length / seconds, outputs, errors, firstError }));
    }
    let i = 0;
    const feed = () => {
      const end = Math.min(messages.length, i + slice);
      for (; i < end; i++) target.receive(messages[i]);
      forgetCalls();
      if (i < messages.length) setImmediate(feed);
    };
    feed();
  });
}
