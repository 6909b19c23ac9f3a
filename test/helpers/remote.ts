import { after, before } from 'node:test';
import { parseArgs } from '../../src/modules/lib/args.js';
import type { ModuleDef } from '../../src/modules/types.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { resolveTarget } from '../../src/transport/target.js';
import { startFleet, type Fleet } from '../fixtures/sshd.js';
import { testContext } from './ctx.js';

type RunOpts = { check?: boolean; diff?: boolean; facts?: Record<string, unknown> };

/** Run a module over transport t; returns the result and how many exec round trips it took. */
export async function runModule(t: SshTransport, mod: ModuleDef, args: unknown, o: RunOpts = {}) {
  const n = t.execs;
  const r = await mod.run(testContext({ transport: t, ...o }), parseArgs(mod.name, mod.schema, args));
  return { r, trips: t.execs - n };
}

/**
 * One loopback sshd host for module tests over SSH. Registers the file's before/after hooks:
 * start the host, connect, make a scratch dir on it; then remove the dir, close, stop. The
 * handles are set once before() has run.
 */
export function sshHost() {
  const h = {
    fleet: undefined as unknown as Fleet,
    t: undefined as unknown as SshTransport,
    dir: '',
    /** Run a module over SSH; returns the result and how many exec round trips it took. */
    run: (mod: ModuleDef, args: unknown, o: RunOpts = {}) => runModule(h.t, mod, args, o),
  };
  before(async () => {
    h.fleet = await startFleet({ count: 1 });
    h.t = new SshTransport(resolveTarget(h.fleet.hosts[0].name, h.fleet.vars(0), { sshConfigFile: '/dev/null' }));
    await h.t.connect();
    h.dir = (await h.t.exec('mktemp -d')).stdout.trim();
  });
  after(async () => {
    if (h.dir) await h.t.exec(`rm -rf '${h.dir}'`);
    await h.t?.close();
    await h.fleet?.stop();
  });
  return h;
}
