/**
 * Which runtime this lane really runs: `npm run test:runtime` is Node-RED 4.1 (devDependency),
 * `npm run test:node22` is Node 22 + Node-RED 5 with node-snap7 built for Node 22. The lane
 * scripts say what they expect (EXPECT_NODE_RED_MAJOR, EXPECT_NODE_MAJOR); this checks the
 * runtime and the native addon that the tests actually load.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { helper, nodeRedPath } from '../../helpers/node-red';

function nodeRedPackageVersion(): string {
  // nodeRedPath is <node-red>/lib/red.js
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(nodeRedPath), '..', 'package.json'), 'utf8')) as { name: string; version: string };
  assert.equal(pkg.name, 'node-red');
  return pkg.version;
}

describe('smoke: test lane', function () {
  it('runs the Node-RED the lane asks for', async function () {
    const version = nodeRedPackageVersion();
    await helper.load([], []);
    try {
      // the version the loaded runtime reports, not just the package on disk
      const running = (helper as unknown as { _RED: { version(): string } })._RED.version();
      assert.equal(running.replace(/-.*$/, ''), version.replace(/-.*$/, ''));
    } finally {
      await helper.unload();
    }
    const expected = process.env.EXPECT_NODE_RED_MAJOR;
    if (expected) assert.equal(version.split('.')[0], expected, `Node-RED ${version} in a lane for Node-RED ${expected}`);
    else assert.ok(Number(version.split('.')[0]) >= 4, `Node-RED ${version} is older than the supported 4.1`);
  });

  it('runs the Node.js the lane asks for', function () {
    const expected = process.env.EXPECT_NODE_MAJOR;
    const major = process.versions.node.split('.')[0];
    if (expected) assert.equal(major, expected);
    else assert.ok(Number(major) >= 20, `Node ${process.versions.node} is older than the supported 20`);
  });

  it('loads node-snap7 built for this Node.js ABI', function () {
    // An addon built for another ABI throws here (NODE_MODULE_VERSION mismatch). Nothing is
    // constructed: node-snap7's S7Server destructor frees a libuv handle it has only begun to
    // close, so a server collected by the GC in this process can crash it later.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const snap7 = require('node-snap7') as { S7Client: unknown; S7Server: unknown };
    assert.equal(typeof snap7.S7Client, 'function');
    assert.equal(typeof snap7.S7Server, 'function');
  });
});
