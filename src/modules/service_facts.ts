/**
 * service_facts: the host's services as the fact `services` (name -> {name, state, status,
 * source}), computed as Ansible 2.14's module computes them on Linux: the `service` tool's
 * --status-all (or upstart's initctl, RedHat's chkconfig, OpenRC's rc-status), then, where
 * systemd is PID 1, systemctl's list-units and list-unit-files. Read-only, one round trip, no
 * Python on the target. AIX's lssrc and OpenBSD's rcctl (not Linux) are not read.
 */
import { z } from 'zod';
import { raw, sh } from '../shell/sh.js';
import { lazySchema } from './lib/args.js';
import type { ModuleDef, ModuleResult } from './types.js';
import { pySplit } from '../vars/methods.js';

const schema = lazySchema(() => z.object({}).strict());
type Args = z.infer<ReturnType<typeof schema>>;

/** One command the script ran: stdout, exit code and stderr. */
export interface Run {
  out: string;
  rc: number;
  err: string;
}

export interface Service {
  name: string;
  state: string | number;
  status?: string;
  source: string;
  goal?: string;
  runlevels?: string[] | null;
}

/** chkconfig's seven runlevels (Ansible's _list_rh pattern after the name), for grep -E and awk. */
const RL7 = '[[:space:]]+[0-9]:(on|off)'.repeat(7);
const RH_LINE = new RegExp(`^(.*?)${'\\s+[0-9]:(on|off)'.repeat(7)}`, 's');

/**
 * The unit files list-units did not name (Ansible asks systemctl for their ActiveState one by
 * one): list-units' name is its first field, or its second after the status glyph when a field
 * says not-found, masked or failed, as gatherSystemd reads it.
 */
const NEED_AWK = `
FILENAME == ARGV[1] {
  if (index($0, ".service")) {
    n = $1
    for (i = 1; i <= NF; i++) if ($i == "not-found" || $i == "masked" || $i == "failed") { n = $2; break }
    seen[n] = 1
  }
  next
}
index($0, ".service") && !($1 in seen) { seen[$1] = 1; print $1 }`;

/**
 * Each command's output as `@@<what>`, stdout, `@@rc <code>`, stderr, `@@end`. The locale is
 * Ansible's get_best_parsable_locale; tools are found as get_bin_path finds them (PATH, then the
 * sbin dirs; systemctl in /usr/bin and /usr/local/bin first). The init-script tools and systemd
 * are asked at the same time (each part has its own scratch files, $p); the sections say which
 * is which, so the order they come out in does not matter.
 */
const SCRIPT = `avail=$(locale -a 2>/dev/null); L=C
for l in C.utf8 C.UTF-8 en_US.utf8 en_US.UTF-8 C POSIX; do
  case "
$avail
" in *"
$l
"*) L=$l; break ;; esac
done
LANG=$L; LC_ALL=$L; export LANG LC_ALL
PATH=$PATH:/sbin:/usr/sbin:/usr/local/sbin
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
sec() {
  s=$1; shift
  "$@" >"$d/$p.o" 2>"$d/$p.e"; r=$?
  printf '@@%s\\n' "$s"; cat "$d/$p.o"; printf '\\n@@rc %s\\n' "$r"; cat "$d/$p.e"; printf '\\n@@end\\n'
  return $r
}
scan() {
  p=scan
  svc=$(command -v service); chk=$(command -v chkconfig); ini=$(command -v initctl)
  rcs=$(command -v rc-status); rcu=$(command -v rc-update)
  if [ -n "$svc" ] && [ -z "$chk" ] && [ -z "$rcs" ]; then
    sec sysv "$svc" --status-all
    [ -e /etc/init.d ] || sec no-init.d true
  fi
  if [ -n "$ini" ] && [ -z "$chk" ]; then
    sec upstart "$ini" list
  elif [ -n "$chk" ]; then
    # Ansible's probing: SLES 11 lists every service with -l --allservices, RHEL 5 wants --list
    "$chk" >"$d/scan.o" 2>"$d/scan.e"
    set --
    if ! grep -Eq "$rl7" "$d/scan.o"; then
      if grep -Eq '[[:space:]](on|off)' "$d/scan.o"; then set -- -l --allservices
      elif grep -qF -e --list "$d/scan.e"; then set -- --list; fi
    fi
    sec chkconfig "$chk" "$@"
    awk -v re="$rl7" 'match($0, re) { print substr($0, 1, RSTART - 1) }' "$d/scan.o" >"$d/scan.names"
    while IFS= read -r n; do sec "status $n" "\${svc:-service}" "$n" status; done <"$d/scan.names"
  elif [ -n "$rcs" ] && [ -n "$rcu" ]; then
    sec openrc-status sh -c '"$1" -a -s -m 2>&1 | grep "^ " | tr -d "[]"' sh "$rcs"
    sec openrc-update sh -c '"$1" show -v 2>&1 | grep "|"' sh "$rcu"
  fi
}
units() {
  p=sd
  grep -q systemd /proc/1/comm 2>/dev/null || return 0
  sc=$(PATH=/usr/bin:/usr/local/bin:$PATH; command -v systemctl)
  [ -n "$sc" ] || return 0
  sec units "$sc" list-units --no-pager --type service --all || : >"$d/sd.o"
  mv "$d/sd.o" "$d/sd.units"
  sec unit-files "$sc" list-unit-files --no-pager --type service --all || return 0
  awk "$need" "$d/sd.units" "$d/sd.o" >"$d/sd.names"
  # one systemctl show for all but templates (systemd refuses those, and stops there); one
  # show per unit, as Ansible asks, for templates and wherever the one show fails
  grep -v '@\\.service$' "$d/sd.names" >"$d/sd.many"; grep '@\\.service$' "$d/sd.names" >"$d/sd.each"
  set --
  while IFS= read -r n; do set -- "$@" "$n"; done <"$d/sd.many"
  if [ $# -gt 0 ] && "$sc" show --property=ActiveState "$@" >"$d/sd.o" 2>/dev/null && [ "$(grep -c . "$d/sd.o")" = $# ]; then
    awk 'FILENAME == ARGV[1] { n[FNR] = $0; next } /./ { printf "@@show %s\\n%s\\n\\n@@rc 0\\n\\n@@end\\n", n[++i], $0 }' "$d/sd.many" "$d/sd.o"
  else cat "$d/sd.many" >>"$d/sd.each"; fi
  while IFS= read -r n; do sec "show $n" "$sc" show "$n" --property=ActiveState; done <"$d/sd.each"
}
scan >"$d/scan" & units; wait; cat "$d/scan"`;

/** The script's output as its commands, by what each was run for (`units`, `show ssh.service`). */
export function parseSections(stdout: string): Map<string, Run> {
  const runs = new Map<string, Run>();
  const re = /@@([^\n]*)\n([\s\S]*?)\n@@rc (\d+)\n([\s\S]*?)\n@@end\n/g;
  for (const m of stdout.matchAll(re)) runs.set(m[1], { out: m[2], rc: Number(m[3]), err: m[4] });
  return runs;
}

/** Python's str.split(): runs of whitespace, no empty fields. */
const fieldsOf = (line: string) => pySplit(line);

const BAD_STATES = new Set(['not-found', 'masked', 'failed']);

/** Ansible's ServiceScanService: sysv, then upstart, chkconfig or OpenRC. */
function gatherScan(s: Map<string, Run>, warn: (m: string) => void): Map<string, Service> {
  const services = new Map<string, Service>();
  const sysv = s.get('sysv');
  // rc 4 without /etc/init.d: RHEL 9's `service` where chkconfig is missing; nothing to say
  if (sysv && !(sysv.rc === 4 && s.has('no-init.d'))) {
    if (sysv.rc !== 0) warn(`Unable to query 'service' tool (${sysv.rc}): ${sysv.err}`);
    for (const m of sysv.out.matchAll(/^\s*\[ ([+-]) \]\s+([^\n]+)$/gm)) {
      services.set(m[2], { name: m[2], state: m[1] === '+' ? 'running' : 'stopped', source: 'sysv' });
    }
  }
  const upstart = s.get('upstart');
  if (upstart && upstart.rc !== 0) warn(`Unable to query upstart for service data: ${upstart.err}`);
  else if (upstart) {
    const p = /^\s?(.*)\s([\p{L}\p{N}_]+)\/([\p{L}\p{N}_]+)(,\sprocess\s([0-9]+))?\s*$/su;
    for (const line of upstart.out.replaceAll('\r', '').split('\n')) {
      const m = p.exec(line);
      if (m) services.set(m[1], { name: m[1], state: m[3], goal: m[2], source: 'upstart' });
    }
  }
  const chk = s.get('chkconfig');
  for (const line of chk ? chk.out.split('\n') : []) {
    const m = RH_LINE.exec(line);
    if (!m) continue;
    const name = m[1];
    const st = s.get(`status ${name}`) ?? { out: '', rc: 1, err: '' };
    let state: string | number = 'running';
    if (st.rc !== 0) {
      // Ansible keeps the exit code as the state when the error says it lacked the rights
      const e = st.err.toLowerCase();
      if (['root', 'permission', 'not in sudoers'].some((x) => e.includes(x))) {
        warn(`Insufficient permissions to query sysV service "${name}" and their states`);
        state = st.rc;
      } else state = 'stopped';
    }
    services.set(name, { name, state, status: m[5] === 'on' ? 'enabled' : 'disabled', source: 'sysv' });
  }
  const rcStatus = s.get('openrc-status');
  if (rcStatus) {
    const runlevels = new Map<string, string[] | null>();
    for (const line of (s.get('openrc-update')?.out ?? '').split('\n')) {
      const f = line.split('|');
      if (f.length < 2) continue;
      const levels = f[1].trim();
      runlevels.set(f[0].trim(), levels ? fieldsOf(levels) : null);
    }
    for (const line of rcStatus.out.split('\n')) {
      const f = fieldsOf(line);
      if (f.length < 2) continue;
      // Ansible fails with a KeyError on a service rc-update does not show; harun says null
      services.set(f[0], { name: f[0], runlevels: runlevels.get(f[0]) ?? null, state: f[1], source: 'openrc' });
    }
  }
  return services;
}

/**
 * Ansible's SystemctlScanService. A list-units line with not-found, masked or failed in any field
 * starts with systemd's status glyph: that field is dropped and the bad word is the status (the
 * first such field; Ansible takes whichever its frozenset yields first, which varies per run).
 * Otherwise the status is the ACTIVE column; the state is running when SUB is, else stopped.
 * list-unit-files then sets the status (unless it is a bad one) and adds the units list-units
 * did not name, with systemctl show's ActiveState as the state.
 */
function gatherSystemd(s: Map<string, Run>, warn: (m: string) => void): Map<string, Service> | string {
  const services = new Map<string, Service>();
  const units = s.get('units');
  if (units && units.rc !== 0) warn(`Could not list units from systemd: ${units.err}`);
  else if (units) {
    for (const line of units.out.split('\n')) {
      if (!line.includes('.service')) continue;
      let fields = fieldsOf(line);
      const bad = fields.find((f) => BAD_STATES.has(f));
      if (bad) fields = fields.slice(1);
      // too few fields: Ansible's module dies with an IndexError; harun leaves the line out
      if (fields.length < 4) continue;
      const name = fields[0];
      services.set(name, { name, state: fields[3] === 'running' ? 'running' : 'stopped', status: bad ?? fields[2], source: 'systemd' });
    }
  }
  const files = s.get('unit-files');
  if (files && files.rc !== 0) warn(`Could not get unit files data from systemd: ${files.err}`);
  else if (files) {
    for (const line of files.out.split('\n')) {
      if (!line.includes('.service')) continue;
      const [name, status] = fieldsOf(line);
      if (status === undefined) return `Malformed output discovered from systemd list-unit-files: ${line}`;
      const known = services.get(name);
      if (!known) {
        const show = s.get(`show ${name}`);
        const state = show && show.rc === 0 && show.out !== '' ? show.out.replaceAll('ActiveState=', '').trimEnd() : 'unknown';
        services.set(name, { name, state, status, source: 'systemd' });
      } else if (!BAD_STATES.has(known.status ?? '')) known.status = status;
    }
  }
  return services;
}

/** The services fact and Ansible's warnings from the script's commands; a string: the module fails. */
export function gatherServices(s: Map<string, Run>): { services: Record<string, Service>; warnings: string[] } | string {
  const warnings: string[] = [];
  const warn = (m: string) => warnings.push(m);
  const scan = gatherScan(s, warn);
  const systemd = gatherSystemd(s, warn);
  if (typeof systemd === 'string') return systemd;
  // Map, then fromEntries: any unit name is an own key (even __proto__), in Ansible's order
  const all = new Map([...scan, ...systemd]);
  return { services: Object.fromEntries(all), warnings };
}

export const serviceFacts: ModuleDef<Args> = {
  name: 'service_facts',
  get schema() {
    return schema();
  },
  checkMode: true,
  hostFacts: true,
  async run(ctx): Promise<ModuleResult> {
    const r = await ctx.run(sh`rl7=${RL7}; need=${NEED_AWK}; ${raw(SCRIPT)}`);
    const runs = parseSections(r.stdout);
    if (r.code !== 0 && !runs.size) return { changed: false, failed: true, msg: `service_facts: listing the services failed (exit ${r.code}): ${r.stderr.trim()}` };
    const got = gatherServices(runs);
    if (typeof got === 'string') return { changed: false, failed: true, msg: got };
    const warnings = got.warnings.length ? { warnings: got.warnings } : {};
    if (!Object.keys(got.services).length) {
      return { changed: false, skipped: true, msg: 'Failed to find any services. This can be due to privileges or some other configuration issue.', ...warnings };
    }
    const facts = { services: got.services };
    return { changed: false, facts, ansible_facts: facts, ...warnings };
  },
};
