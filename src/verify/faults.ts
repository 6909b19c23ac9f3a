/**
 * The faults verify injects on the MASTER, and how each is undone for the recovery step.
 * Every remote fault prints the master's clock (ms) right before it strikes and right after,
 * so that the takeover is timed from the fault itself and not from when SSH carried the command.
 */
import { OptionsError } from '../errors.js';
import { labKill, labStart } from '../lab/index.js';
import { asShell, type Sh } from '../shell/sh.js';
import type { ClusterSpec, Runner } from './cluster.js';

export const FAULTS = ['kill', 'stop', 'isolate', 'crash'] as const;
export type Fault = (typeof FAULTS)[number];

export const FAULT_TEXT: Record<Fault, string> = {
  kill: 'SIGKILL to every keepalived process',
  stop: 'a clean stop of the keepalived service',
  isolate: 'its outgoing VRRP adverts (IP protocol 112) dropped by the firewall',
  crash: 'a hard stop of the whole lab host (harun lab kill)',
};

/** Refuses a fault that cannot be injected on this inventory, before anything runs. */
export function checkFault(fault: string, spec: ClusterSpec): Fault {
  if (!(FAULTS as readonly string[]).includes(fault)) throw new OptionsError(`--fault: expected one of ${FAULTS.join(', ')}, got "${fault}"`);
  if (fault === 'crash' && !spec.labDir)
    throw new OptionsError(
      '--fault crash hard-stops a whole machine, which verify does only for lab hosts (the inventory of `harun lab up` sets harun_lab_dir); on real hosts use --fault kill, stop or isolate',
    );
  return fault as Fault;
}

const NOW = 'date +%s%3N';
const COMMENT = 'harun-verify';
/**
 * Restarts keepalived under systemd, or through its init script. First waits (10 s at most)
 * until the killed processes are gone: a new keepalived that still sees its old vrrp or
 * checker process alive refuses to start ("already running"). On failure the unit's last
 * log lines go to stderr as evidence.
 */
const GONE = 'i=0; while pgrep -x keepalived >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done';
const RESTART =
  'if [ -d /run/systemd/system ]; then systemctl reset-failed keepalived 2>/dev/null; systemctl restart keepalived ||' +
  ' { systemctl status keepalived --no-pager 2>&1 | tail -15 >&2; exit 1; }; else service keepalived restart; fi';

const isStamp = (line: string) => /^\d{13,}$/.test(line.trim());

/** The clock stamps (ms) a script printed on its first lines, in order. */
function stamps(stdout: string): number[] {
  const out: number[] = [];
  for (const line of stdout.trim().split('\n')) {
    if (!isStamp(line)) break;
    out.push(Number(line));
  }
  return out;
}

/** The fault cannot be applied on this host (no firewall tool, keepalived not running): not run. */
export class FaultUnavailable extends Error {}

export interface Injected {
  /** Right before the fault struck, on the controller's clock (ms). */
  at: number;
  /** Right after it struck (on a loaded host the two can be hundreds of ms apart). */
  until: number;
  detail: string;
}

/**
 * Injects `fault` on `master`; `offset` is the master's clock minus the controller's. Throws
 * with the host's own words when the fault cannot be applied (keepalived not running, no
 * firewall tool), so the failover step can say why it did not run.
 */
export async function inject(fault: Fault, master: Runner, offset: number, spec: ClusterSpec): Promise<Injected> {
  if (fault === 'crash') {
    const at = Date.now();
    await labKill(spec.labDir!, master.name);
    return { at, until: Date.now(), detail: `${master.name} hard-stopped by harun lab kill (lab ${spec.labDir})` };
  }
  // fixed text: no value from the inventory reaches these scripts
  const scripts: Record<Exclude<Fault, 'crash'>, Sh> = {
    // Stopped first, then killed: SIGKILLed one by one, a keepalived parent that outlived its
    // children by a moment forked a fresh vrrp child, which went on as MASTER on its own.
    kill: asShell([
      'p=$(pidof keepalived 2>/dev/null || pgrep -x keepalived)',
      '[ -n "$p" ] || { echo "keepalived is not running" >&2; exit 3; }',
      `${NOW}; kill -STOP $p; kill -9 $p; ${NOW}; echo "killed $p"`,
    ].join('\n')),
    stop: asShell(`${NOW}; { systemctl stop keepalived 2>/dev/null || service keepalived stop; } && ${NOW}`),
    // the first firewall that works: iptables (nft or legacy) may be installed over a kernel
    // that lacks its backend (a uml lab host's kernel has legacy ip_tables, not nf_tables)
    isolate: asShell([
      'errs=',
      `for ipt in iptables iptables-legacy; do`,
      '  command -v $ipt >/dev/null || continue',
      `  t=$(${NOW})`,
      `  if e=$($ipt -w -I OUTPUT -p 112 -m comment --comment ${COMMENT} -j DROP 2>&1); then u=$(${NOW}); printf '%s\\n%s\\n%s\\n' "$t" "$u" "$ipt: OUTPUT -p 112 -j DROP"; exit 0; fi`,
      '  errs="$errs$ipt: $e; "',
      'done',
      'if command -v nft >/dev/null; then',
      `  t=$(${NOW})`,
      `  if e=$({ nft add table inet harun_verify && nft add chain inet harun_verify out '{ type filter hook output priority 0; }' && nft add rule inet harun_verify out ip protocol vrrp drop; } 2>&1); then u=$(${NOW}); printf '%s\\n%s\\n%s\\n' "$t" "$u" "nft: output ip protocol vrrp drop"; exit 0; fi`,
      '  errs="$errs nft: $e"',
      'fi',
      'echo "no firewall here can drop the adverts (install iptables to isolate a director): ${errs:-neither iptables nor nft is installed}" >&2; exit 3',
    ].join('\n')),
  };
  const r = await master.run(scripts[fault]);
  const [t, u] = stamps(r.stdout);
  const why = `${master.name}: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`;
  if (r.code === 3) throw new FaultUnavailable(why);
  if (r.code !== 0 || u === undefined) throw new Error(why);
  const said = r.stdout.trim().split('\n').filter((l) => !isStamp(l)).join('; ');
  return { at: t - offset, until: u - offset, detail: `${master.name}: ${FAULT_TEXT[fault]}${said ? ` (${said})` : ''}` };
}

/**
 * Undoes the fault and (re)starts keepalived on the old master. Returns the controller time
 * when keepalived was started (for a crash: when the lab began to boot the host again, whose
 * keepalived starts at boot); throws with the host's words on failure.
 */
export async function recover(fault: Fault, master: Runner, offset: number, spec: ClusterSpec): Promise<number> {
  if (fault === 'crash') {
    const at = Date.now();
    await labStart(spec.labDir!, master.name);
    master.reconnect(); // the connection to the crashed instance is dead
    return at;
  }
  const undo =
    fault === 'isolate'
      ? [
          `for ipt in iptables iptables-legacy; do while $ipt -w -D OUTPUT -p 112 -m comment --comment ${COMMENT} -j DROP 2>/dev/null; do :; done; done`,
          'nft delete table inet harun_verify 2>/dev/null',
          'true',
        ].join('; ')
      : 'true';
  // fixed text throughout: no value from the inventory reaches these scripts
  const r = await master.run(asShell(`${undo}; ${GONE}; ${NOW}; ${RESTART}`), 120_000);
  const [t] = stamps(r.stdout);
  if (r.code !== 0 || t === undefined) throw new Error(`${master.name}: restarting keepalived failed: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`);
  return t - offset;
}

