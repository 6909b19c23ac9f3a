/**
 * The file attributes harun does not apply natively: SELinux context (setype, seuser, serole,
 * selevel) and chattr flags (attributes). When a task gives any of them, the native module does
 * its work, then Ansible's own file module (through the fallback) applies just these to the path:
 * it reads the current context and flags, changes only what differs, honours check mode, and is a
 * no-op for SELinux where SELinux is disabled, exactly as under Ansible. Tasks without them pay nothing.
 */
import { fallbackModule } from '../fallback/module.js';
import { resolveAnsibleModule } from '../fallback/resolve.js';
import type { ModuleDef, ModuleResult } from '../types.js';
import { str } from './args.js';

const KEYS = ['setype', 'seuser', 'serole', 'selevel', 'attributes'] as const;

export const extraAttrArgs = () => ({
  setype: str().optional(),
  seuser: str().optional(),
  serole: str().optional(),
  selevel: str().optional(),
  attributes: str().optional(),
});

type Extra = Partial<Record<(typeof KEYS)[number], string>>;

let ansibleFile: ModuleDef | undefined;
function fileModule(): ModuleDef {
  if (ansibleFile) return ansibleFile;
  const r = resolveAnsibleModule('ansible.builtin.file');
  if (!r || 'error' in r) throw new Error('setype, seuser, serole, selevel and attributes are applied by Ansible\'s file module, and no ansible-core was found on the controller');
  return (ansibleFile = fallbackModule(r));
}

/** The module, plus these attributes applied to the path `pathOf` names in its result or arguments. */
export function withExtraAttrs<A extends Extra>(mod: ModuleDef<A>, pathOf: (a: A, r: ModuleResult) => string | undefined): ModuleDef<A> {
  return {
    name: mod.name,
    get schema() {
      return mod.schema;
    },
    freeForm: mod.freeForm,
    checkMode: mod.checkMode,
    async run(ctx, a) {
      const extra = Object.fromEntries(KEYS.filter((k) => a[k] !== undefined).map((k) => [k, a[k]]));
      const r = await mod.run(ctx, a);
      if (!Object.keys(extra).length || r.failed || r.skipped) return r;
      const path = pathOf(a, r);
      // in check mode a path the module would create does not exist yet: it counts as changed already
      if (path === undefined || (ctx.check && r.changed)) return r;
      const fr = await fileModule().run(ctx, { path, ...extra });
      if (fr.failed) return { ...r, changed: r.changed, failed: true, msg: `${path}: ${Object.keys(extra).join(', ')}: ${fr.msg}` };
      return { ...r, changed: r.changed || fr.changed, ...(fr.attributes !== undefined ? { attributes: fr.attributes } : {}), ...(fr.secontext !== undefined ? { secontext: fr.secontext } : {}) };
    },
  };
}
