/**
 * The uml lab's build host: where keepalived compiles at native speed for the lab hosts'
 * platform (inside UML every system call is trapped, and configure and make fork thousands of
 * times). A container of the docker lab's image, which comes from the same rootfs recipe as the
 * UML image (same Debian release, same packages), on the docker engine setup starts. It is in
 * the inventory as group build_hosts and named by keepalived_build_host; it is not a director,
 * a real server or a client, and nothing in site.yml plays against it.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LabError, buildImage, makeHostKey, sshRun } from './common.js';
import type { LabState } from './types.js';

export const BUILD_HOST = 'build';

/** What lab.json records of the build host (`lab down` removes it by the lab's label too). */
export interface BuildHostRecord {
  container: string;
  sshHost: string;
  sshPort: number;
}

const WAIT_MS = 120_000;

/**
 * Starts the build host, or says why not and returns undefined: without it the first director
 * builds (under UML: slow, but the same result).
 */
export async function startBuildHost(state: LabState, log: (m: string) => void): Promise<BuildHostRecord | undefined> {
  const docker = await import('./docker.js');
  const avail = await new docker.DockerProvider().available();
  if (!avail.ok) {
    log(`lab: no build host (${avail.reason}); keepalived will be compiled on lb1, inside UML`);
    return undefined;
  }
  const image = await buildImage('build-docker-image.sh', (name) => name.startsWith('harun-lab:'));
  const hostKey = await makeHostKey(state.dir, BUILD_HOST);
  const seed = join(state.dir, 'hosts', BUILD_HOST, 'seed');
  await writeFile(join(seed, 'env'), `HOSTNAME=${BUILD_HOST}\n`);
  await writeFile(join(seed, 'authorized_keys'), await readFile(state.keyFile + '.pub', 'utf8'));
  const name = `harun-lab-build-${resolve(state.dir).replace(/[^A-Za-z0-9]+/g, '-').slice(-40).replace(/^-/, '')}`;
  const c = await docker.startServerContainer({ image, name, dir: state.dir, host: BUILD_HOST, seed });
  const rec: BuildHostRecord = { container: c.id, sshHost: '127.0.0.1', sshPort: c.sshPort };
  await appendFile(state.knownHosts, `[${rec.sshHost}]:${rec.sshPort} ${hostKey}\n`);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const r = await sshRun(state, rec, 'true', 15_000);
    if (r.code === 0) return rec;
    if (Date.now() > deadline) throw new LabError(`build host: sshd at 127.0.0.1:${rec.sshPort} refuses the lab key: ${r.stderr.trim()}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** Removes the build host (and any container a crashed `lab up` left with the lab's label). */
export async function removeBuildHost(dir: string, rec?: BuildHostRecord): Promise<void> {
  const docker = await import('./docker.js');
  if (!rec && !(await new docker.DockerProvider().available()).ok) return; // no engine, no container
  await docker.removeLabContainers(dir, rec ? [rec.container] : []);
}

/** The inventory's build_hosts group, and the variable that sends keepalived's build there. */
export function buildHostInventory(state: LabState, rec: BuildHostRecord): { vars: Record<string, unknown>; groups: Record<string, unknown> } {
  return {
    vars: { keepalived_build_host: BUILD_HOST },
    groups: {
      build_hosts: {
        hosts: {
          [BUILD_HOST]: {
            ansible_host: rec.sshHost,
            ansible_port: rec.sshPort,
            ansible_user: 'root',
            ansible_ssh_private_key_file: resolve(state.keyFile),
            ansible_ssh_common_args: `-o UserKnownHostsFile=${resolve(state.knownHosts)}`,
          },
        },
      },
    },
  };
}
