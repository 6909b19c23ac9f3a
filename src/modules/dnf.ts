import { rpmSchema, runRpm, type RpmArgs } from './yum.js';
import type { ModuleDef } from './types.js';

/** dnf takes yum's arguments; only the binary and a few flags (--refresh, upgrade) differ. */
export const dnf: ModuleDef<RpmArgs> = {
  name: 'dnf',
  get schema() {
    return rpmSchema();
  },
  checkMode: true,
  run: (ctx, a) => runRpm('dnf', ctx, a),
};
