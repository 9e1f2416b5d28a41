import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_MACHINES, HELP, OPTIONS, optionsOf } from '../../../sim/cli';
import { repoRoot } from '../../helpers/catalogue';

const PRESS = { name: 'press', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 3000 };

describe('simulator command line', () => {
  it('takes the port, host and PDU with the demo machines', () => {
    assert.deepEqual(optionsOf(['--port', '1102', '--host', '127.0.0.2', '--pdu', '960', '--demo']),
      { machines: DEMO_MACHINES, port: 1102, host: '127.0.0.2', pduSize: 960 });
  });

  it('takes the machines inline or from a file; without port, host and PDU the simulator\'s defaults apply', () => {
    assert.deepEqual(optionsOf(['--machines-json', JSON.stringify([PRESS])]), { machines: [PRESS] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-cli-'));
    try {
      const file = path.join(dir, 'machines.json');
      fs.writeFileSync(file, JSON.stringify([PRESS]));
      assert.deepEqual(optionsOf(['--machines', file]), { machines: [PRESS] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks for help with --help or -h', () => {
    assert.equal(optionsOf(['--help']), undefined);
    assert.equal(optionsOf(['-h']), undefined);
  });

  it('names what is wrong: no machines, a port out of range, an unknown option, a value missing', () => {
    assert.throws(() => optionsOf([]), /give --machines file.json, --machines-json JSON or --demo/);
    assert.throws(() => optionsOf(['--demo', '--port', '70000']), /--port must be 0..65535/);
    assert.throws(() => optionsOf(['--demo', '--bogus']), /Unknown option '--bogus'/);
    assert.throws(() => optionsOf(['--demo', '--port']), /--port/);
  });

  it('the help and sim/README.md name every option', () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'sim', 'README.md'), 'utf8');
    for (const name of Object.keys(OPTIONS)) {
      assert.match(HELP, new RegExp(`--${name}\\b`), `--${name} in the help`);
      assert.match(readme, new RegExp(`\`--${name}\\b`), `--${name} in sim/README.md`);
    }
  });
});
