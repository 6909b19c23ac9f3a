/**
 * The variables of the LVS-DR roles (roles/keepalived, roles/realserver, ...) and the checks
 * that run on them before any host is touched: a wrong VIP or two MASTERs should fail in
 * milliseconds with the place the value was set, not after keepalived split the cluster.
 */
import { z } from 'zod';
import { lineAt } from '../config/yaml.js';
import type { Preflight, PreflightInput } from '../engine/preflight.js';
import { formatPos, ValidationError } from '../errors.js';

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

/** IPVS schedulers keepalived 2.2 knows (lb_algo). */
export const LVS_ALGOS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'] as const;

const BOOL_WORDS = new Map<string, boolean>([
  ['true', true], ['yes', true], ['on', true], ['1', true],
  ['false', false], ['no', false], ['off', false], ['0', false],
]);

/** INI inventories hand numbers over as text: accept "51" where 51 is meant. */
const numeric = (v: unknown) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v);

const int = (min: number, max: number, what: string) =>
  z.preprocess(
    numeric,
    z.number({ error: `${what}: expected an integer from ${min} to ${max}` })
      .int({ error: `${what}: expected an integer from ${min} to ${max}` })
      .min(min, { error: `${what}: expected an integer from ${min} to ${max}` })
      .max(max, { error: `${what}: expected an integer from ${min} to ${max}` }),
  );

const ipv4 = (what: string) =>
  z.string({ error: `${what}: expected an IPv4 address such as 192.168.2.100` }).regex(IPV4, {
    error: `${what}: expected an IPv4 address such as 192.168.2.100`,
  });

const bool = z.preprocess(
  (v) => (typeof v === 'string' && BOOL_WORDS.has(v.trim().toLowerCase()) ? BOOL_WORDS.get(v.trim().toLowerCase()) : v),
  z.boolean({ error: 'expected a boolean (true/false, yes/no)' }),
);

const oneOf = (values: readonly string[], what: string) =>
  z.string().refine((v) => values.includes(v), { error: `${what}: expected one of ${values.join(', ')}` });

/**
 * Every variable of the roles. All are optional here because role defaults supply them; a
 * value is checked when it is set and fully templated (fact-based defaults are skipped).
 */
export const lvsVarsSchema = z.object({
  lvs_vip: ipv4('the virtual IP'),
  lvs_port: int(1, 65535, 'a TCP/UDP port'),
  lvs_protocol: oneOf(['TCP', 'UDP', 'SCTP'], 'the protocol'),
  lvs_algo: oneOf(LVS_ALGOS, 'an IPVS scheduler'),
  lvs_kind: z.string().refine((v) => v === 'DR', {
    error: (iss) =>
      ['NAT', 'TUN'].includes(String(iss.input).toUpperCase())
        ? `lb_kind ${String(iss.input)} is not built: these roles set up direct routing (DR) only, where each real server holds the VIP on lo and answers clients itself; NAT and TUN need different real-server settings`
        : 'expected DR (the only forwarding method these roles build)',
  }),
  // keepalived 2.2 refuses persistence_timeout 0: the template leaves the line out then
  lvs_persistence_timeout: int(0, 2678400, 'seconds (0 = off, at most 31 days)'),
  lvs_delay_loop: int(1, 2 ** 31 - 1, 'seconds between health checks'),
  lvs_health_check: oneOf(['TCP_CHECK', 'HTTP_GET'], 'the health check'),
  lvs_http_path: z.string().startsWith('/', { error: 'an HTTP path starting with /' }),
  lvs_http_status: int(100, 599, 'an HTTP status code'),
  lvs_connect_timeout: int(1, 2 ** 31 - 1, 'seconds'),
  lvs_retry: int(0, 2 ** 31 - 1, 'a number of retries'),
  lvs_delay_before_retry: int(0, 2 ** 31 - 1, 'seconds'),
  lvs_weight: int(0, 65535, 'a real server weight'),
  lvs_address: ipv4("the host's address on the cluster network"),
  vrrp_instance_name: z.string().regex(/^\S+$/, { error: 'a name without spaces' }),
  vrrp_interface: z.string().regex(/^[^\s/]+$/, { error: 'an interface name such as eth0' }),
  vrrp_router_id: int(1, 255, 'a VRRP virtual_router_id (VRID)'),
  vrrp_priority: int(1, 254, 'a VRRP priority (255 is reserved for the address owner)'),
  vrrp_state: oneOf(['MASTER', 'BACKUP'], 'the initial VRRP state'),
  vrrp_advert_int: z.preprocess(numeric, z.number({ error: 'seconds between adverts' }).positive({ error: 'seconds between adverts, more than 0' })),
  vrrp_auth_pass: z.preprocess(
    (v) => (typeof v === 'number' ? String(v) : v),
    z.string({ error: 'a password of at most 8 characters' }).max(8, {
      error: (iss) => `keepalived uses only the first 8 characters of auth_pass and this one has ${String((iss.input as string).length)}: give at most 8`,
    }),
  ),
  vrrp_unicast: bool,
  vrrp_nopreempt: bool,
  keepalived_install: oneOf(['source', 'package'], 'how keepalived is installed'),
  keepalived_version: z.string().regex(/^\d+\.\d+\.\d+$/, { error: 'a version such as 2.2.7' }),
  keepalived_sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, { error: '64 hexadecimal digits' }),
}).partial();

export type LvsVars = z.infer<typeof lvsVarsSchema>;
type Key = keyof LvsVars;
/** Values never repeated in an error message. */
const SECRET = new Set<string>(['vrrp_auth_pass']);
const KEYS = Object.keys(lvsVarsSchema.shape) as Key[];

/** Marks a value that cannot be judged before the hosts are reached (it needs facts). */
const PENDING = Symbol('pending');

/** A variable as the preflight sees it: undefined when unset, PENDING when not renderable yet. */
function read(input: PreflightInput, host: string, name: string): unknown {
  let v: unknown;
  try {
    v = input.vars(host)[name];
  } catch {
    return PENDING;
  }
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && (v.includes('{{') || v.includes('{%'))) return PENDING;
  // a template engine's Undefined (or another foreign object): a default that needs facts
  if (typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) return PENDING;
  return v;
}

/** A usable value, or undefined (unset or pending). */
function valueOf(input: PreflightInput, host: string, name: string): unknown {
  const v = read(input, host, name);
  return v === PENDING ? undefined : v;
}

class Collector {
  readonly errors: ValidationError[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly input: PreflightInput) {}

  /** An error about variable `name` of `host`, located where it was set. */
  add(host: string, name: string, problem: string): void {
    const pos = this.input.origin(host, name);
    const where = pos ? `set at ${formatPos(pos)}` : 'set by a role default or on the command line';
    const msg = `${name} of host ${host} (${where}): ${problem}`;
    // one message per place: a group variable is wrong once, not once per host
    const key = `${pos ? formatPos(pos) : host}|${name}|${problem}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.errors.push(new ValidationError('lvs', msg, pos, lineAt(pos)));
  }
}

/** Every variable of the schema that is set on a host, with each failing one reported. */
function checkSchema(input: PreflightInput, c: Collector): Map<string, LvsVars> {
  const out = new Map<string, LvsVars>();
  for (const host of input.hosts) {
    const good: Record<string, unknown> = {};
    for (const key of KEYS) {
      const v = valueOf(input, host, key);
      if (v === undefined) continue;
      const r = lvsVarsSchema.shape[key].safeParse(v);
      if (r.success) good[key] = r.data;
      else {
        const got = SECRET.has(key) ? '' : `, got ${JSON.stringify(v)}`;
        c.add(host, key, `${r.error.issues[0]?.message ?? 'invalid'}${got}`);
      }
    }
    out.set(host, good as LvsVars);
  }
  return out;
}

/** Every host of the inventory (groups.all, else the union of all groups). */
function allHosts(input: PreflightInput): string[] {
  return input.groups.all ?? [...new Set(Object.values(input.groups).flat())];
}

/** The VIP must be an unused address: keepalived moves it, real servers hold it on lo. */
function checkVipNotAHost(input: PreflightInput, vars: Map<string, LvsVars>, c: Collector): void {
  for (const host of input.hosts) {
    const vip = vars.get(host)?.lvs_vip;
    if (!vip) continue;
    for (const other of allHosts(input)) {
      for (const name of ['ansible_host', 'lvs_address']) {
        if (valueOf(input, other, name) !== vip) continue;
        const pos = input.origin(other, name);
        c.add(host, 'lvs_vip', `${vip} is also ${name} of host ${other}${pos ? ` (${formatPos(pos)})` : ''}: the VIP must be an address no host owns, since keepalived moves it between the directors`);
      }
    }
  }
}

/** One MASTER per virtual router, and the same VRID on every director. */
function checkDirectors(input: PreflightInput, vars: Map<string, LvsVars>, c: Collector): void {
  const masters = new Map<number, string[]>();
  let first: { host: string; vrid: number } | undefined;
  for (const host of input.hosts) {
    const v = vars.get(host)!;
    if (v.vrrp_router_id !== undefined) {
      if (!first) first = { host, vrid: v.vrrp_router_id };
      else if (v.vrrp_router_id !== first.vrid) {
        c.add(host, 'vrrp_router_id', `${v.vrrp_router_id} differs from ${first.vrid} of ${first.host}: the directors of one cluster share one virtual_router_id`);
      }
    }
    if (v.vrrp_state !== 'MASTER') continue;
    const vrid = v.vrrp_router_id ?? 51;
    const list = masters.get(vrid) ?? [];
    list.push(host);
    masters.set(vrid, list);
    if (list.length > 1) {
      c.add(host, 'vrrp_state', `${list.join(' and ')} are all MASTER of virtual router ${vrid}: exactly one director may be MASTER, set vrrp_state: BACKUP (and a lower vrrp_priority) on the others`);
    }
  }
}

function run(input: PreflightInput, directors: boolean): ValidationError[] {
  const c = new Collector(input);
  const vars = checkSchema(input, c);
  for (const host of input.hosts) {
    if (read(input, host, 'lvs_vip') === undefined) c.add(host, 'lvs_vip', 'is not set: give the virtual IPv4 address of the cluster (e.g. in the inventory\'s [all:vars])');
  }
  checkVipNotAHost(input, vars, c);
  if (directors) checkDirectors(input, vars, c);
  return c.errors;
}

/** Preflight checks by role name, for the engine to run before any connection is opened. */
export const lvsPreflight: Record<string, Preflight> = {
  keepalived: (input) => run(input, true),
  realserver: (input) => run(input, false),
  lvs_facts: (input) => run(input, false),
};
