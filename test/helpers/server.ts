import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { buildImage, makeHostKey, run } from '../../src/lab/common.js';
import type { ModuleDef } from '../../src/modules/types.js';
import { asShell } from '../../src/shell/sh.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { resolveTarget } from '../../src/transport/target.js';
import { runModule } from './remote.js';

/**
 * A disposable Debian server for module tests that change the system (packages, apt sources,
 * services, the hostname): one container of the docker lab's image (systemd as PID 1, sshd on
 * 127.0.0.1, root login with a key made here), started before the file's tests and removed
 * after. Where no Docker engine answers, `skip` says why: each test then calls t.skip(h.skip).
 */
export function serverHost() {
  const h = {
    t: undefined as unknown as SshTransport,
    /** Why the tests cannot run here (no Docker engine), or undefined. */
    skip: undefined as string | undefined,
    vars: {} as Record<string, unknown>,
    /** Run a module over SSH as root; returns the result and how many round trips it took. */
    run: (mod: ModuleDef, args: unknown, o: { check?: boolean; diff?: boolean } = {}) => runModule(h.t, mod, args, o),
    /** A shell command on the server as root: its stdout; throws on a non-zero exit. */
    async sh(cmd: string): Promise<string> {
      const r = await h.t.exec(asShell(cmd));
      if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
  };
  let dir = '';
  let container = '';
  before(async () => {
    const docker = await import('../../src/lab/docker.js');
    const avail = await new docker.DockerProvider().available();
    if (!avail.ok) {
      h.skip = `no Docker engine answers (${avail.reason}): bash scripts/start-dockerd.sh`;
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'harun-server-'));
    const image = await buildImage('build-docker-image.sh', (name) => name.startsWith('harun-lab:'));
    const hostKey = await makeHostKey(dir, 'server');
    const key = join(dir, 'id_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const seed = join(dir, 'hosts', 'server', 'seed');
    writeFileSync(join(seed, 'env'), 'HOSTNAME=server\n');
    writeFileSync(join(seed, 'authorized_keys'), readFileSync(key + '.pub', 'utf8'));
    const name = `harun-test-server-${process.pid}-${Date.now()}`;
    const c = await docker.startServerContainer({ image, name, dir, host: 'server', seed });
    container = c.id;
    const known = join(dir, 'known_hosts');
    writeFileSync(known, `[127.0.0.1]:${c.sshPort} ${hostKey}\n`);
    h.vars = {
      ansible_host: '127.0.0.1',
      ansible_port: c.sshPort,
      ansible_user: 'root',
      ansible_ssh_private_key_file: key,
      ansible_ssh_common_args: `-o UserKnownHostsFile=${known}`,
    };
    // sshd comes up a moment after the port is mapped
    const deadline = Date.now() + 120_000;
    for (;;) {
      const t = new SshTransport(resolveTarget('server', h.vars, { sshConfigFile: '/dev/null' }));
      try {
        await t.connect();
        if ((await t.exec(asShell('true'))).code === 0) {
          h.t = t;
          break;
        }
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
      await t.close();
      await new Promise((go) => setTimeout(go, 500));
    }
    // systemd finished booting: services can be asked about
    await h.t.exec(asShell('systemctl is-system-running --wait >/dev/null 2>&1 || true'), { timeoutMs: 60_000 });
  });
  after(async () => {
    await h.t?.close();
    if (dir) {
      const docker = await import('../../src/lab/docker.js');
      await docker.removeLabContainers(dir, container ? [container] : []);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return h;
}
