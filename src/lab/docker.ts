import type { LabHost, LabProvider, LabState } from './types.js';
import { LabError } from './common.js';

/** Placeholder until the testcontainers provider lands. */
export class DockerProvider implements LabProvider {
  readonly name = 'docker' as const;
  async available() {
    return { ok: false, reason: 'the docker lab provider is not implemented yet' };
  }
  async hasIpvs() {
    return false;
  }
  async up(_dir: string): Promise<LabState> {
    throw new LabError('the docker lab provider is not implemented yet; use --provider uml');
  }
  async status(state: LabState): Promise<LabHost[]> {
    return state.hosts;
  }
  async kill(): Promise<void> {}
  async down(): Promise<void> {}
}
