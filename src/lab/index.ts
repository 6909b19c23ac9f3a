import { rm, rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_REALSERVERS, LabError, hostKernelHasIpvs, readState, stateFile } from './common.js';
import { UmlProvider, removeDeadUmlLab } from './uml.js';
import type { LabProvider, LabState } from './types.js';

export type { LabHost, LabProvider, LabState } from './types.js';
export { LabError, hostKernelHasIpvs } from './common.js';

export type ProviderName = 'docker' | 'uml' | 'auto';

/** The docker provider is loaded lazily: only it pulls in testcontainers. */
async function docker(): Promise<LabProvider> {
  const m = await import('./docker.js');
  return new m.DockerProvider();
}

/** `auto` picks the provider that can prove the most here, and says why. */
export async function getProvider(name: ProviderName, log: (msg: string) => void = () => {}): Promise<LabProvider> {
  if (name === 'uml') return new UmlProvider();
  if (name === 'docker') return docker();
  if (name !== 'auto') throw new LabError(`unknown lab provider "${name}" (expected docker, uml or auto)`);
  const uml = new UmlProvider();
  const umlOk = await uml.available();
  const kernelIpvs = hostKernelHasIpvs();
  let dockerOk: { ok: boolean; reason: string } = { ok: false, reason: 'docker provider not loadable' };
  let d: LabProvider | undefined;
  try {
    d = await docker();
    dockerOk = await d.available();
  } catch (e) {
    dockerOk = { ok: false, reason: (e as Error).message };
  }
  if (d && dockerOk.ok && kernelIpvs) {
    log('lab provider: docker (a Docker engine runs and the host kernel has IPVS)');
    return d;
  }
  if (umlOk.ok) {
    log(`lab provider: uml (${kernelIpvs ? `docker unavailable: ${dockerOk.reason}` : 'the host kernel has no IPVS'}; ${umlOk.reason})`);
    return uml;
  }
  if (d && dockerOk.ok) {
    log(`lab provider: docker (uml unavailable: ${umlOk.reason}); without IPVS in this kernel only VRRP failover can be proven`);
    return d;
  }
  throw new LabError(`no lab provider can run here: docker: ${dockerOk.reason}; uml: ${umlOk.reason}`);
}

export async function readLabState(dir: string): Promise<LabState | undefined> {
  return readState(resolve(dir));
}

export async function labUp(dir: string, provider: LabProvider, log: (msg: string) => void = (m) => process.stderr.write(m + '\n'), realservers = DEFAULT_REALSERVERS): Promise<LabState> {
  dir = resolve(dir);
  const existing = await readState(dir);
  if (existing)
    throw new LabError(`a ${existing.provider} lab is already up in ${dir} (take it down with: harun lab down --dir ${dir})`);
  await removeDeadUmlLab(log);
  try {
    return await provider.up(dir, realservers);
  } catch (e) {
    // Leave nothing half-made behind; the record is what down works from.
    const st = await readState(dir);
    if (st) await labDown(dir).catch(() => {});
    throw e;
  }
}

/** Removes everything the lab in DIR made. Returns false when there was no lab (safe twice). */
export async function labDown(dir: string): Promise<boolean> {
  dir = resolve(dir);
  const state = await readState(dir);
  if (!state) return false;
  const provider = await getProvider(state.provider);
  await provider.down(state);
  await rm(stateFile(dir), { force: true });
  await rmdir(dir).catch(() => {}); // only when empty: console logs stay for post-mortems
  return true;
}

export async function labKill(dir: string, host: string): Promise<void> {
  const state = await readState(resolve(dir));
  if (!state) throw new LabError(`no lab in ${resolve(dir)} (harun lab up --dir ${dir})`);
  await (await getProvider(state.provider)).kill(state, host);
}

export async function labStart(dir: string, host: string): Promise<void> {
  const state = await readState(resolve(dir));
  if (!state) throw new LabError(`no lab in ${resolve(dir)} (harun lab up --dir ${dir})`);
  await (await getProvider(state.provider)).start(state, host);
}

export async function labStatus(dir: string): Promise<LabState | undefined> {
  const state = await readState(resolve(dir));
  if (!state) return undefined;
  const hosts = await (await getProvider(state.provider)).status(state);
  return { ...state, hosts };
}
