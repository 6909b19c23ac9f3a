import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { OptionsError } from '../errors.js';
import { quote } from '../shell/sh.js';
import { expandTilde, loadSshConfig, lookupSshConfig, mergeOptions, parseSshArgs, splitWords, type SshOptions } from './sshconfig.js';

export type HostKeyChecking = 'yes' | 'no' | 'accept-new';

/** Everything needed to open one SSH connection, after all sources are merged. */
export interface SshTarget {
  /** Inventory name (for messages). */
  name: string;
  host: string;
  port: number;
  user: string;
  password?: string;
  /** Key files to try in order (only those that exist). */
  identityFiles: string[];
  /** ssh-agent socket, unless IdentityAgent none / IdentitiesOnly. */
  agent?: string;
  knownHostsFiles: string[];
  hostKeyChecking: HostKeyChecking;
  timeoutSec: number;
  keepaliveSec: number;
  /** The hop to connect through first (itself chained). */
  jump?: SshTarget;
}

export interface CliSsh {
  user?: string;
  privateKey?: string;
  timeoutSec?: number;
  knownHosts?: string;
  /** false or "off"/"no" = off; "accept-new" adds unknown keys; other text is an OptionsError. */
  hostKeyChecking?: boolean | string;
  /** For tests: an ssh config file instead of ~/.ssh/config. */
  sshConfigFile?: string;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_rsa', 'id_ecdsa'];

function str(v: unknown): string | undefined {
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

function first(o: SshOptions, k: string): string | undefined {
  return o[k]?.[0];
}

function parseHostKeyChecking(v: string | boolean, what: string): HostKeyChecking {
  const s = String(v).toLowerCase();
  if (['yes', 'true', 'on', '1', 'ask'].includes(s)) return 'yes';
  if (['no', 'false', 'off', '0'].includes(s)) return 'no';
  if (s === 'accept-new') return 'accept-new';
  throw new OptionsError(`${what}: expected yes, no/off or accept-new, got "${v}"`);
}

function num(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new OptionsError(`${what}: expected a positive integer, got "${v}"`);
  return n;
}

/** %h %p %r %u %d %% as ssh_config(5) defines them. */
function tokens(s: string, t: { h: string; p?: number; r?: string }): string {
  return s.replace(/%([%hprud])/g, (_, c: string) =>
    c === '%' ? '%' : c === 'h' ? t.h : c === 'p' ? String(t.p ?? 22) : c === 'r' ? (t.r ?? '') : c === 'u' ? userInfo().username : homedir(),
  );
}

/** "user@host:port" (also [v6]:port) of a ProxyJump hop. */
function parseHop(hop: string): { user?: string; host: string; port?: number } {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop.trim());
  if (!m) throw new OptionsError(`ProxyJump: cannot parse hop "${hop}" (expected [user@]host[:port])`);
  return { user: m[1], host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : undefined };
}

/**
 * Where and how to connect to `hostName`. Precedence, highest first: explicit ansible_* vars,
 * ssh options from ansible_ssh_common_args/extra_args, the CLI flags, ~/.ssh/config (matched
 * against ansible_host when set, as ssh itself sees that name), then defaults.
 * --known-hosts and --host-key-checking (or HARUN_HOST_KEY_CHECKING) override everything.
 */
export function resolveTarget(hostName: string, vars: Record<string, unknown>, cli: CliSsh = {}, depth = 0): SshTarget {
  if (depth > 8) throw new OptionsError(`${hostName}: ProxyJump chain longer than 8 hops (a loop?)`);
  const argsText = [str(vars.ansible_ssh_common_args), str(vars.ansible_ssh_extra_args)].filter(Boolean).join(' ');
  let args;
  try {
    args = parseSshArgs(argsText);
  } catch (e) {
    throw new OptionsError(`${hostName}: ansible_ssh_common_args/extra_args: ${(e as Error).message}`);
  }
  const varHost = str(vars.ansible_host) ?? str(vars.ansible_ssh_host);
  const alias = varHost ?? hostName;
  const blocks = loadSshConfig(expandTilde(args.configFile ?? cli.sshConfigFile ?? join(homedir(), '.ssh', 'config')));
  const o = mergeOptions(mergeOptions({}, args.options), lookupSshConfig(blocks, alias));

  const host = varHost ?? (first(o, 'hostname') ? tokens(first(o, 'hostname')!, { h: alias }) : alias);
  const portText = str(vars.ansible_port) ?? str(vars.ansible_ssh_port) ?? (args.port !== undefined ? String(args.port) : undefined) ?? first(o, 'port');
  const port = portText ? num(portText, `${hostName}: port`) : 22;
  const user =
    str(vars.ansible_user) ?? str(vars.ansible_ssh_user) ?? args.user ?? first(args.options, 'user') ?? cli.user ?? first(o, 'user') ?? userInfo().username;
  const t = { h: host, p: port, r: user };

  const keyVar = str(vars.ansible_ssh_private_key_file) ?? str(vars.ansible_private_key_file);
  let identityFiles: string[];
  if (keyVar) identityFiles = [keyVar];
  else if (args.identityFiles.length) identityFiles = args.identityFiles;
  else if (cli.privateKey) identityFiles = [cli.privateKey];
  else if (o.identityfile?.length) identityFiles = o.identityfile;
  else identityFiles = DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k));
  identityFiles = identityFiles.map((f) => expandTilde(tokens(f, t))).filter((f) => existsSync(f));
  if (keyVar && !identityFiles.length) throw new OptionsError(`${hostName}: ansible_ssh_private_key_file ${keyVar} does not exist`);

  const agentOpt = first(o, 'identityagent');
  const identitiesOnly = first(o, 'identitiesonly')?.toLowerCase() === 'yes' || !!keyVar;
  const agent =
    identitiesOnly || agentOpt?.toLowerCase() === 'none'
      ? undefined
      : agentOpt && agentOpt !== 'SSH_AUTH_SOCK'
        ? expandTilde(tokens(agentOpt.replace(/^\$/, ''), t))
        : process.env.SSH_AUTH_SOCK || undefined;

  let knownHostsFiles: string[];
  if (cli.knownHosts) knownHostsFiles = [cli.knownHosts];
  else {
    const user = o.userknownhostsfile ?? ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
    const global = o.globalknownhostsfile ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
    knownHostsFiles = [...user, ...global]
      .flatMap((f) => splitWords(f))
      .filter((f) => f.toLowerCase() !== 'none')
      .map((f) => expandTilde(tokens(f, t)));
  }

  const envHkc = str(process.env.HARUN_HOST_KEY_CHECKING);
  const hkcText =
    cli.hostKeyChecking !== undefined ? cli.hostKeyChecking : envHkc ?? str(vars.ansible_host_key_checking) ?? first(o, 'stricthostkeychecking');
  const hostKeyChecking = hkcText === undefined ? 'yes' : parseHostKeyChecking(hkcText, `${hostName}: host key checking`);

  const timeoutText =
    str(vars.ansible_timeout) ?? str(vars.ansible_ssh_timeout) ?? first(args.options, 'connecttimeout') ?? cli.timeoutSec?.toString() ?? first(o, 'connecttimeout');
  const timeoutSec = timeoutText ? num(timeoutText, `${hostName}: timeout`) : 10;
  const keepaliveText = first(o, 'serveraliveinterval');
  const keepaliveSec = keepaliveText && Number(keepaliveText) > 0 ? Number(keepaliveText) : 15;

  if (first(o, 'proxycommand') && first(o, 'proxycommand')!.toLowerCase() !== 'none' && !args.jump && !first(o, 'proxyjump'))
    throw new OptionsError(`${hostName}: ProxyCommand is not supported by harun; use ProxyJump (ssh -J) instead`);
  const jumpSpec = args.jump ?? first(o, 'proxyjump');
  let jump: SshTarget | undefined;
  if (jumpSpec && jumpSpec.toLowerCase() !== 'none') {
    // "a,b": connect to a, through it to b, through b to the target.
    const hopCli: CliSsh = { ...cli, user: undefined, privateKey: undefined, sshConfigFile: args.configFile ?? cli.sshConfigFile };
    // Hops trust the same known_hosts files as the target (identities come from their own config).
    const trust = ['userknownhostsfile', 'globalknownhostsfile', 'stricthostkeychecking']
      .filter((k) => args.options[k])
      .map((k) => `-o ${k}=${quote(args.options[k].join(' '))}`);
    for (const hopText of jumpSpec.split(',')) {
      const hop = parseHop(hopText);
      const hopVars: Record<string, unknown> = {};
      if (hop.user) hopVars.ansible_user = hop.user;
      if (hop.port) hopVars.ansible_port = hop.port;
      // An explicit chain replaces a hop's own ProxyJump, except for the first hop.
      hopVars.ansible_ssh_common_args = [...trust, ...(jump ? ['-o ProxyJump=none'] : [])].join(' ');
      const next = resolveTarget(hop.host, hopVars, hopCli, depth + 1);
      if (jump) next.jump = jump;
      jump = next;
    }
  }

  return {
    name: hostName,
    host,
    port,
    user,
    password: str(vars.ansible_password) ?? str(vars.ansible_ssh_pass) ?? str(vars.ansible_ssh_password),
    identityFiles,
    agent,
    knownHostsFiles,
    hostKeyChecking,
    timeoutSec,
    keepaliveSec,
    jump,
  };
}
