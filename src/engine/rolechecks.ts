import type { ArgOption, RoleCheck } from '../config/argspec.js';
import { argProblem } from '../config/argspec.js';
import type { Play, Role } from '../config/model.js';
import { lineAt, posOf } from '../config/yaml.js';
import { formatPos, ValidationError, type SourcePos } from '../errors.js';
import { VaultError } from '../vault/keyring.js';
import { VaultText } from '../vault/value.js';
import { Undefined } from '../vars/py.js';
import { evalCondition, renderString, renderValue } from '../vars/template.js';
import { hostVars, renderedView, type VarsEnv } from './vars.js';

/**
 * Before any connection, every role of a play is held to what it declares (DESIGN.md,
 * principle 10): its argument specs on each host's variables, then its cross-host checks. The
 * variables are the ones a task of the role would see (vars_files and role params included);
 * a value that needs facts cannot be judged yet and is left to the run.
 */
export function checkRoles(plays: Play[], envOf: (p: Play) => VarsEnv): void {
  for (const play of plays) {
    const env = envOf(play);
    const hosts = env.playHosts();
    const seen = new Set<string>();
    for (const role of play.roles) {
      if (seen.has(role.path)) continue;
      seen.add(role.path);
      const c = new Judge(env, play, role);
      for (const h of hosts) for (const [name, opt] of Object.entries(role.argSpec)) c.arg(h, name, opt);
      for (const check of role.checks) for (const h of hosts) c.cross(h, check, hosts);
      if (c.errors.length) throw c.errors[0];
    }
  }
}

const UNSET = Symbol('unset');
const PENDING = Symbol('pending');

class Judge {
  readonly errors: ValidationError[] = [];
  private readonly seen = new Set<string>();
  private readonly cache = new Map<string, Record<string, unknown>>();
  /** role_hostvars of the cross-host checks: built once, so each host's values render once. */
  private hostvars?: Record<string, unknown>;

  constructor(private env: VarsEnv, private play: Play, private role: Role) {}

  /** The host's variables as a task of this role sees them. */
  vars(h: string): Record<string, unknown> {
    let v = this.cache.get(h);
    if (!v) {
      v = hostVars(this.env, h);
      for (const [k, x] of Object.entries(this.role.params)) if (!(k in this.env.extraVars)) v[k] = x;
      this.cache.set(h, v);
    }
    return v;
  }

  private value(h: string, name: string): unknown {
    const vars = this.vars(h);
    if (vars[name] === undefined || vars[name] === null) return UNSET;
    try {
      const v = renderValue(vars[name], vars);
      return v instanceof Undefined || v instanceof VaultText ? PENDING : v;
    } catch (e) {
      // a vaulted value no password opens is an error of its own, not a value to judge
      if (e instanceof VaultError) throw e;
      return PENDING;
    }
  }

  /** Where the value a host sees was set, highest precedence first. */
  private origin(h: string, name: string): SourcePos | undefined {
    if (name in this.env.extraVars) return { file: '--extra-vars', line: 1, col: 1 };
    const roles = this.play.roles;
    for (const r of [...roles].reverse()) if (name in r.vars) return posOf(r.vars, name);
    for (const f of [...this.play.varsFiles].reverse()) if (name in f) return posOf(f, name);
    if (name in this.play.vars) return posOf(this.play.vars, name);
    const inv = this.env.inventory.varOrigin(h, name);
    if (inv) return inv;
    for (const r of roles) if (name in r.defaults) return posOf(r.defaults, name);
    return undefined;
  }

  private add(h: string, name: string, problem: string, at?: SourcePos): void {
    const set = this.origin(h, name);
    const pos = set ?? at;
    const where = set ? ` (set at ${formatPos(set)})` : '';
    // one message per place: a group variable is wrong once, not once per host
    const key = `${pos ? formatPos(pos) : h}|${name}|${problem}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.errors.push(new ValidationError('role', `${name} of host ${h}${where}: ${problem}`, pos, lineAt(pos)));
  }

  arg(h: string, name: string, opt: ArgOption): void {
    const v = this.value(h, name);
    if (v === PENDING) return;
    const specAt = posOf(this.role.argSpec, name);
    if (v === UNSET) {
      if (opt.required) {
        const what = typeof opt.description === 'string' ? ` (${opt.description})` : '';
        this.add(h, name, `is not set, and role ${this.role.name} requires it${what}`, specAt);
      }
      return;
    }
    const p = argProblem(opt, v);
    if (p) this.add(h, name, `${p}${opt.no_log ? '' : `, got ${JSON.stringify(v)}`}`, specAt);
  }

  cross(h: string, check: RoleCheck, hosts: string[]): void {
    this.hostvars ??= Object.fromEntries(hosts.map((x) => [x, renderedView(this.vars(x))]));
    const vars = { ...this.vars(h), role_hostvars: this.hostvars };
    let ok: boolean;
    try {
      ok = evalCondition(check.that, vars);
    } catch (e) {
      if (e instanceof VaultError) throw e;
      return; // a value it needs is not known before the run
    }
    if (ok) return;
    let msg = `check '${check.name ?? check.that}' of role ${this.role.name} failed`;
    if (check.msg) {
      try {
        msg = renderString(check.msg, vars);
      } catch {
        msg = check.msg;
      }
    }
    this.add(h, check.var, msg, check.src);
  }
}
