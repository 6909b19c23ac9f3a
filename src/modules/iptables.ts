/**
 * iptables: one rule, a chain's policy, a flush or a user chain, as ansible-core 2.14's module
 * manages them, in ONE exec round trip whether or not something changes: the script finds the
 * binary, asks (`-C`, `-L`) and changes (`-A`/`-I`/`-D`, `-N`/`-X`, `-P`, `-F`) on the host.
 *
 * The rule's words come from constructRule, a line-for-line port of Ansible's construct_rule:
 * their order decides what `iptables -C` finds, so it must not drift (the tests compare it with
 * Ansible's own function). Ansible's quirks are kept: `rule` in the result is built before
 * log_prefix/log_level imply `-j LOG`; state=absent without rule arguments reports the chain's
 * existence as `changed` and deletes it only with chain_management; flush always changes.
 * Differences: listings run with --numeric (Ansible 2.15's `numeric`, accepted here: harun reads
 * only the header and the exit code, and a reverse DNS lookup per rule can hang a host without a
 * resolver); the two argument checks Ansible makes at run time (chain or flush; logging options
 * need the LOG target) fail before the connection, not after the binary lookup; arguments that
 * crash Ansible's module (an empty value, match_set without match_set_flags, tcp_flags without
 * both lists) are refused with a message.
 */
import { z } from 'zod';
import { asShell, joinSh, quote, raw, sh, type Sh } from '../shell/sh.js';
import { bool, lazySchema, str, strList } from './lib/args.js';
import type { ModuleDef, ModuleResult } from './types.js';

/** Ansible's list of str: a list, a comma-separated string, or one number. */
const listOf = () => z.preprocess((v) => (typeof v === 'number' ? [String(v)] : v), strList());
const list = () => listOf().default([]);
const opt = () => str().optional();

/** Rule arguments of type str that go through append_param, where an empty string crashes Ansible (param[0]). */
const RULE_STRS = [
  'protocol', 'source', 'destination', 'jump', 'log_prefix', 'to_destination', 'to_source', 'goto',
  'in_interface', 'out_interface', 'fragment', 'set_counters', 'source_port', 'destination_port', 'to_ports',
  'set_dscp_mark', 'set_dscp_mark_class', 'src_range', 'dst_range', 'match_set', 'limit', 'limit_burst',
  'uid_owner', 'gid_owner', 'reject_with', 'icmp_type', 'comment',
] as const;
const strs = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, opt()])) as Record<K, ReturnType<typeof opt>>;
const EXCLUSIVE = [['set_dscp_mark', 'set_dscp_mark_class'], ['flush', 'policy']];

const schema = lazySchema(() => z.preprocess(
  (v, ctx) => {
    // Ansible checks mutual exclusion on the arguments as given, before defaults: flush: false counts
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const pair of EXCLUSIVE) {
        if (pair.every((k) => (v as Record<string, unknown>)[k] !== undefined)) {
          ctx.issues.push({ code: 'custom', message: `parameters are mutually exclusive: ${pair.join('|')}`, input: v });
        }
      }
    }
    return v;
  },
  z
    .object({
      ...strs(RULE_STRS),
      ...strs(['chain', 'rule_num', 'wait', 'gateway'] as const),
      table: z.enum(['filter', 'nat', 'mangle', 'raw', 'security']).default('filter'),
      state: z.enum(['absent', 'present']).default('present'),
      action: z.enum(['append', 'insert']).default('append'),
      ip_version: z.enum(['ipv4', 'ipv6']).default('ipv4'),
      match: list(),
      tcp_flags: z.object({ flags: listOf().optional(), flags_set: listOf().optional() }).strict().optional(),
      log_level: str()
        .pipe(z.enum(['0', '1', '2', '3', '4', '5', '6', '7', 'emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug']))
        .optional(),
      destination_ports: list(),
      ctstate: list(),
      match_set_flags: z.enum(['src', 'dst', 'src,dst', 'dst,src']).optional(),
      syn: z.enum(['ignore', 'match', 'negate']).default('ignore'),
      flush: bool().default(false),
      policy: z.enum(['ACCEPT', 'DROP', 'QUEUE', 'RETURN']).optional(),
      chain_management: bool().default(false),
      numeric: bool().default(false),
    })
    .strict()
    .superRefine((a, c) => {
      if ((a.jump === 'TEE' || a.jump === 'tee') && a.gateway === undefined) {
        c.addIssue({ code: 'custom', message: `jump is ${a.jump} but all of the following are missing: gateway` });
      }
      for (const k of RULE_STRS) if (a[k] === '') c.addIssue({ code: 'custom', path: [k], message: 'must not be empty' });
      if (a.match.includes('')) c.addIssue({ code: 'custom', path: ['match'], message: 'a match must not be empty' });
      if ((a.match_set !== undefined || a.match.includes('set')) && a.match_set_flags === undefined) {
        c.addIssue({ code: 'custom', path: ['match_set_flags'], message: 'is required with match_set (or match: set)' });
      }
      if (a.tcp_flags && (!a.tcp_flags.flags || !a.tcp_flags.flags_set)) {
        c.addIssue({ code: 'custom', path: ['tcp_flags'], message: 'needs both flags and flags_set' });
      }
    }),
));
type Args = z.infer<ReturnType<typeof schema>>;

// ---------------------------------------------------------------- Ansible's construct_rule

function appendParam(rule: string[], param: string | undefined, flag: string): void {
  if (param === undefined) return;
  if (param[0] === '!') rule.push('!', flag, param.slice(1));
  else rule.push(flag, param);
}
function appendMatchFlag(rule: string[], param: string | undefined, flag: string, negatable: boolean): void {
  if (param === 'match') rule.push(flag);
  else if (negatable && param === 'negate') rule.push('!', flag);
}
function appendCsv(rule: string[], param: string[], flag: string): void {
  if (param.length) rule.push(flag, param.join(','));
}
/** append_match and append_jump: the words when param is truthy (Python's truthiness). */
function appendIf(rule: string[], param: string | string[] | undefined, ...words: string[]): void {
  if (param !== undefined && param.length) rule.push(...words);
}

/** The rule's words in construct_rule's order (the args as parsed, defaults filled). */
export function constructRule(p: Args): string[] {
  const rule: string[] = [];
  appendIf(rule, p.wait, '-w', p.wait!);
  appendParam(rule, p.protocol, '-p');
  appendParam(rule, p.source, '-s');
  appendParam(rule, p.destination, '-d');
  for (const m of p.match) appendParam(rule, m, '-m');
  if (p.tcp_flags?.flags && p.tcp_flags.flags_set) rule.push('--tcp-flags', p.tcp_flags.flags.join(','), p.tcp_flags.flags_set.join(','));
  appendParam(rule, p.jump, '-j');
  if (p.jump && p.jump.toLowerCase() === 'tee') appendParam(rule, p.gateway, '--gateway');
  appendParam(rule, p.log_prefix, '--log-prefix');
  appendParam(rule, p.log_level, '--log-level');
  appendParam(rule, p.to_destination, '--to-destination');
  appendIf(rule, p.destination_ports, '-m', 'multiport');
  appendCsv(rule, p.destination_ports, '--dports');
  appendParam(rule, p.to_source, '--to-source');
  appendParam(rule, p.goto, '-g');
  appendParam(rule, p.in_interface, '-i');
  appendParam(rule, p.out_interface, '-o');
  appendParam(rule, p.fragment, '-f');
  appendParam(rule, p.set_counters, '-c');
  appendParam(rule, p.source_port, '--source-port');
  appendParam(rule, p.destination_port, '--destination-port');
  appendParam(rule, p.to_ports, '--to-ports');
  appendParam(rule, p.set_dscp_mark, '--set-dscp');
  appendParam(rule, p.set_dscp_mark_class, '--set-dscp-class');
  appendMatchFlag(rule, p.syn, '--syn', true);
  if (p.match.includes('conntrack')) appendCsv(rule, p.ctstate, '--ctstate');
  else if (p.match.includes('state')) appendCsv(rule, p.ctstate, '--state');
  else if (p.ctstate.length) {
    rule.push('-m', 'conntrack');
    appendCsv(rule, p.ctstate, '--ctstate');
  }
  if (p.match.includes('iprange')) {
    appendParam(rule, p.src_range, '--src-range');
    appendParam(rule, p.dst_range, '--dst-range');
  } else if (p.src_range || p.dst_range) {
    rule.push('-m', 'iprange');
    appendParam(rule, p.src_range, '--src-range');
    appendParam(rule, p.dst_range, '--dst-range');
  }
  if (p.match.includes('set')) {
    appendParam(rule, p.match_set, '--match-set');
    rule.push(p.match_set_flags!);
  } else if (p.match_set) {
    rule.push('-m', 'set');
    appendParam(rule, p.match_set, '--match-set');
    rule.push(p.match_set_flags!);
  }
  appendIf(rule, p.limit || p.limit_burst, '-m', 'limit');
  appendParam(rule, p.limit, '--limit');
  appendParam(rule, p.limit_burst, '--limit-burst');
  appendIf(rule, p.uid_owner, '-m', 'owner');
  appendMatchFlag(rule, p.uid_owner, '--uid-owner', true);
  appendParam(rule, p.uid_owner, '--uid-owner');
  appendIf(rule, p.gid_owner, '-m', 'owner');
  appendMatchFlag(rule, p.gid_owner, '--gid-owner', true);
  appendParam(rule, p.gid_owner, '--gid-owner');
  if (p.jump === undefined) appendIf(rule, p.reject_with, '-j', 'REJECT');
  appendParam(rule, p.reject_with, '--reject-with');
  appendParam(rule, p.icmp_type, p.ip_version === 'ipv4' ? '--icmp-type' : '--icmpv6-type');
  appendIf(rule, p.comment, '-m', 'comment');
  appendParam(rule, p.comment, '--comment');
  return rule;
}

// ---------------------------------------------------------------- the host side

/**
 * Finds the binary as Ansible's get_bin_path does (PATH, then the sbin directories that exist);
 * exit 11 prints the paths searched. d ID CMD... runs a command whose failure fails the task
 * (Ansible's check_rc): exit 12 prints `@@fail RC N`, the N words of the command NUL-terminated,
 * then its stdout; its stderr follows the last marker on stderr. `iptables --version` runs
 * first, as Ansible runs it before anything else.
 */
const PRELUDE = asShell(`P=$PATH; for x in /sbin /usr/sbin /usr/local/sbin; do case :$P: in *:$x:*) ;; *) [ -e $x ] && P=$P:$x;; esac; done
B=$(PATH=$P; command -v "$N") || { printf '%s' "$P"; exit 11; }
m() { printf '\\n@@harun@@\\n' >&2; }
d() { shift; m; o=$("$@"; r=$?; echo .; exit $r); r=$?; o=\${o%.}; [ $r = 0 ] || { printf '@@fail %s %s\\n' $r $#; printf '%s\\0' "$@"; printf '%s' "$o"; exit 12; }; }
d V "$B" --version
`);

/**
 * Ansible drops wait on iptables older than 1.6.0 (1.4.20-1.5.x: its empty value means no -w;
 * older: none): the rule's first two words are `-w N` when wait is given.
 */
const WAIT_GATE = asShell(`v=\${o#*v}; v=\${v%%v*}; M=\${v%%.*}; n=\${v#*.}; n=\${n%%[!0-9]*}
case $M in ''|*[!0-9]*) ;; *) if [ "$M" -lt 1 ] || { [ "$M" = 1 ] && [ "\${n:-0}" -lt 6 ]; }; then shift 2; fi;; esac
`);

/** What Ansible's main() does, in its order of precedence. */
type Mode = 'flush' | 'policy' | 'chain' | 'rule';

/** The body of the script for the mode; what it found is printed as an `@@state` line. */
function body(mode: Mode, a: Args, check: boolean, ruleCmd: string[]): Sh {
  const L = raw('"$B" -t "$T" -L "$C" --numeric');
  const unless = (s: Sh) => (check ? sh`` : s);
  switch (mode) {
    case 'flush':
      return unless(sh`d F "$B" -t "$T" -F ${raw(a.chain === undefined ? '' : '"$C"')}\n`);
    case 'policy':
      // the listing's first line: "Chain INPUT (policy ACCEPT)"; a user chain has none
      return joinSh([
        sh`d L ${L}; h=\${o%%"$NL"*}\n`,
        sh`case $h in *"(policy "${a.policy}")"*) s=same;; *"(policy "[A-Z]*")"*) s=diff;; *) s=none;; esac; echo "@@state $s"\n`,
        unless(sh`[ $s != diff ] || d P "$B" -t "$T" -P "$C" ${a.policy}\n`),
      ], '');
    case 'chain':
      return joinSh([
        sh`if ${L} >/dev/null 2>&1; then c=1; else c=0; fi; echo "@@state $c"\n`,
        a.chain_management ? unless(sh`[ $c = 0 ] || d X "$B" -t "$T" -X "$C"\n`) : sh``,
      ], '');
    case 'rule': {
      const create = raw(a.chain_management ? '[ $c = 1 ] || d N "$B" -t "$T" -N "$C"; ' : '');
      const add = a.action === 'insert' ? sh`d I "$B" -t "$T" -I "$C" ${a.rule_num || raw('')} "$@"` : sh`d A "$B" -t "$T" -A "$C" "$@"`;
      return joinSh([
        sh`set -- ${ruleCmd}\n`,
        a.wait ? WAIT_GATE : sh``,
        sh`if "$B" -t "$T" -C "$C" "$@" >/dev/null 2>&1; then p=1; c=1; else p=0; if ${L} >/dev/null 2>&1; then c=1; else c=0; fi; fi\n`,
        sh`echo "@@state $p"\n`,
        unless(a.state === 'present' ? sh`if [ $p = 0 ]; then ${create}${raw(add)}; fi\n` : sh`[ $p = 0 ] || d D "$B" -t "$T" -D "$C" "$@"\n`),
      ], '');
    }
  }
}

/** Python's shlex.quote, for the `cmd` of a failure as Ansible prints it. */
const pyQuote = (s: string) => (quote(s).startsWith("'") ? `'${s.replace(/'/g, `'"'"'`)}'` : s);

const MARK = '\n@@harun@@\n';

export const iptables: ModuleDef<Args> = {
  name: 'iptables',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const rule = constructRule(a);
    const result: ModuleResult = {
      changed: false, ip_version: a.ip_version, table: a.table, chain: a.chain ?? null, flush: a.flush,
      rule: rule.join(' '), state: a.state, chain_management: a.chain_management,
    };
    if (!a.flush && a.chain === undefined) return { changed: false, failed: true, msg: 'Either chain or flush parameter must be specified.' };
    // logging options imply the LOG target for the commands (not for the `rule` reported)
    let cmdArgs = a;
    if (a.log_prefix || a.log_level) {
      if (a.jump === undefined) cmdArgs = { ...a, jump: 'LOG' };
      else if (a.jump !== 'LOG') return { changed: false, failed: true, msg: 'Logging options can only be used with the LOG jump target.' };
    }
    const mode: Mode = a.flush ? 'flush' : a.policy ? 'policy' : a.state === 'absent' && !rule.length ? 'chain' : 'rule';
    const bin = a.ip_version === 'ipv4' ? 'iptables' : 'ip6tables';
    const script = joinSh([
      sh`N=${bin}; T=${a.table}; C=${a.chain ?? ''}; NL=${'\n'}\n`,
      PRELUDE,
      body(mode, cmdArgs, ctx.check, constructRule(cmdArgs)),
    ], '');
    const r = await ctx.run(script);
    if (r.code === 11) return { changed: false, failed: true, msg: `Failed to find required executable "${bin}" in paths: ${r.stdout}` };
    if (r.code === 12) {
      const at = r.stdout.indexOf('@@fail ');
      const nl = r.stdout.indexOf('\n', at);
      const [rc, n] = r.stdout.slice(at + 7, nl).split(' ').map(Number);
      const parts = r.stdout.slice(nl + 1).split('\0');
      const stderr = r.stderr.slice(r.stderr.lastIndexOf(MARK) + MARK.length);
      // Ansible's run_command(check_rc=True): msg is the command's stderr
      return {
        changed: false, failed: true, msg: stderr.trimEnd(), cmd: parts.slice(0, n).map(pyQuote).join(' '), rc,
        stdout: parts.slice(n).join('\0'), stderr,
      };
    }
    if (r.code !== 0) return { changed: false, failed: true, rc: r.code, stderr: r.stderr, msg: `iptables: the script failed: ${r.stderr.trim() || `exit ${r.code}`}` };
    const found = /^@@state (.*)$/m.exec(r.stdout)?.[1];
    if (mode === 'policy' && found === 'none') return { changed: false, failed: true, msg: "Can't detect current policy" };
    // flush always changes; state=absent without a rule reports whether the chain exists
    result.changed = mode === 'flush' || (mode === 'policy' ? found === 'diff' : mode === 'chain' ? found === '1' : (found === '1') !== (a.state === 'present'));
    return result;
  },
};
