import type { Play } from '../config/model.js';
import { posOf } from '../config/yaml.js';
import type { Inventory } from '../inventory/index.js';
import { lvsPreflight } from '../lvs/schema.js';
import { renderValue } from '../vars/template.js';
import { VaultError } from '../vault/keyring.js';
import type { Preflight } from './preflight.js';

/** Role name -> its whole-play variable check. */
const PREFLIGHTS: Record<string, Preflight> = { ...lvsPreflight };

/**
 * Run the preflight of every role a play uses, before any connection. Values that need facts
 * (or anything else unknown yet) stay unrendered; the check judges what it can.
 */
export function runPreflights(plays: Play[], inv: Inventory, extra: Record<string, unknown>, hostsOf: (p: Play) => string[]): void {
  for (const play of plays) {
    const hosts = hostsOf(play);
    for (const role of play.roles) {
      const check = PREFLIGHTS[role.name];
      if (!check) continue;
      const vars = (h: string) => {
        const raw: Record<string, unknown> = { ...role.defaults, ...inv.hostVars(h), ...play.vars, ...role.vars, ...extra };
        const ctx = { ...raw, inventory_hostname: h, groups: inv.groups(), group_names: inv.groupNames(h), hostvars: new Proxy({}, { get: (_t, k) => (typeof k === 'string' && inv.has(k) ? { ...role.defaults, ...inv.hostVars(k) } : undefined) }) };
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(raw)) {
          try {
            out[k] = renderValue(v, ctx);
          } catch (e) {
            // a vaulted value no password opens is an error of its own, not a value to judge
            if (e instanceof VaultError) throw e;
            out[k] = v;
          }
        }
        return out;
      };
      const origin = (h: string, name: string) =>
        (name in extra ? { file: '--extra-vars', line: 1, col: 1 } : undefined) ??
        (name in role.vars ? posOf(role.vars, name) : undefined) ??
        (name in play.vars ? posOf(play.vars, name) : undefined) ??
        inv.varOrigin(h, name) ??
        (name in role.defaults ? posOf(role.defaults, name) : undefined);
      const errors = check({ hosts, vars, origin, groups: inv.groups() });
      if (errors.length) throw errors[0];
    }
  }
}
