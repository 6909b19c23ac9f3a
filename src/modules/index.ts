import type { ModuleDef } from './types.js';
import { fallbackModule, setNativeNames } from './fallback/module.js';
import { candidateNames, resolveAnsibleModule } from './fallback/resolve.js';
// one import per module; keep each list sorted, one line per module
// core modules:
import { addHost } from './add_host.js';
import { assemble } from './assemble.js';
import { assertModule } from './assert.js';
import { asyncStatus } from './async_status.js';
import { command } from './command.js';
import { copy } from './copy.js';
import { debug } from './debug.js';
import { failModule } from './fail.js';
import { fetch } from './fetch.js';
import { file } from './file.js';
import { find } from './find.js';
import { includeVars } from './include_vars.js';
import { pause } from './pause.js';
import { ping } from './ping.js';
import { rawModule } from './raw.js';
import { script } from './script.js';
import { setFact } from './set_fact.js';
import { shell } from './shell.js';
import { slurp } from './slurp.js';
import { stat } from './stat.js';
import { tempfile } from './tempfile.js';
import { template } from './template.js';
import { waitFor } from './wait_for.js';
import { waitForConnection } from './wait_for_connection.js';
// system modules:
import { apt } from './apt.js';
import { apt_key } from './apt_key.js';
import { apt_repository } from './apt_repository.js';
import { blockinfile } from './blockinfile.js';
import { cron } from './cron.js';
import { debconf } from './debconf.js';
import { dnf } from './dnf.js';
import { dpkg_selections } from './dpkg_selections.js';
import { getent } from './getent.js';
import { get_url } from './get_url.js';
import { git } from './git.js';
import { group } from './group.js';
import { groupBy } from './group_by.js';
import { hostname } from './hostname.js';
import { iptables } from './iptables.js';
import { known_hosts } from './known_hosts.js';
import { lineinfile } from './lineinfile.js';
import { modprobe } from './modprobe.js';
import { pkg } from './package.js';
import { packageFacts } from './package_facts.js';
import { pip } from './pip.js';
import { reboot } from './reboot.js';
import { replace } from './replace.js';
import { service } from './service.js';
import { serviceFacts } from './service_facts.js';
import { gatherFactsModule, setup } from './setup.js';
import { sysctl } from './sysctl.js';
import { systemd } from './systemd.js';
import { unarchive } from './unarchive.js';
import { uri } from './uri.js';
import { user } from './user.js';
import { validateArgumentSpec } from './validate_argument_spec.js';
import { yum } from './yum.js';
import { yum_repository } from './yum_repository.js';

const all: ModuleDef[] = [
  // core modules:
  addHost,
  assemble,
  assertModule,
  asyncStatus,
  command,
  copy,
  debug,
  failModule,
  fetch,
  file,
  find,
  includeVars,
  pause,
  ping,
  rawModule,
  script,
  setFact,
  shell,
  slurp,
  stat,
  tempfile,
  template,
  waitFor,
  waitForConnection,
  // system modules:
  apt,
  apt_key,
  apt_repository,
  blockinfile,
  cron,
  debconf,
  dnf,
  dpkg_selections,
  getent,
  get_url,
  git,
  group,
  groupBy,
  hostname,
  iptables,
  known_hosts,
  lineinfile,
  modprobe,
  pkg,
  packageFacts,
  pip,
  reboot,
  replace,
  service,
  serviceFacts,
  setup,
  gatherFactsModule,
  sysctl,
  systemd,
  unarchive,
  uri,
  user,
  validateArgumentSpec,
  yum,
  yum_repository,
];

const registry = new Map(all.map((m) => [m.name, m]));
// Ansible's other names of native modules (systemd_service is systemd's name since ansible-core 2.15)
const ALIASES: Record<string, string> = { systemd_service: 'systemd' };
const fallbacks = new Map<string, ModuleDef>();

/** A native module by its short name or FQCN (ansible.builtin.copy, ansible.legacy.copy). */
export function findNative(name: string): ModuleDef | undefined {
  const short = name.replace(/^ansible\.(builtin|legacy|posix)\./, '').replace(/^community\.general\./, '');
  return registry.get(ALIASES[short] ?? short);
}

/**
 * Look a module up: native first; else Ansible's own module as Ansible resolves the name
 * (ansible-core, then collections), run through the fallback. undefined: Ansible would not
 * find it either. A name Ansible knows but cannot be run (removed, an action plugin) throws.
 */
export function findModule(name: string): ModuleDef | undefined {
  const native = findNative(name);
  if (native) return native;
  const known = fallbacks.get(name);
  if (known) return known;
  const r = resolveAnsibleModule(name);
  if (r === undefined) return undefined;
  if ('error' in r) throw new Error(r.error);
  const def = fallbacks.get(r.fqcn) ?? fallbackModule(r);
  fallbacks.set(r.fqcn, def);
  fallbacks.set(name, def);
  return def;
}

/** Ansible's own module of this name, through the fallback, even where harun has a native one. */
export function ansibleModule(name: string): { def: ModuleDef; actionPlugin: boolean } | undefined {
  let r: ReturnType<typeof resolveAnsibleModule>;
  try {
    r = resolveAnsibleModule(name);
  } catch {
    return undefined;
  }
  if (r === undefined || 'error' in r) return undefined;
  const def = fallbacks.get(r.fqcn) ?? fallbackModule(r);
  fallbacks.set(r.fqcn, def);
  return { def, actionPlugin: r.actionPlugin };
}

/** Whether `name` names a module, native or Ansible's (a removed module counts: it is named). */
export function isModule(name: string): boolean {
  try {
    return findModule(name) !== undefined;
  } catch {
    return true;
  }
}

export function moduleNames(): string[] {
  return [...registry.keys()].sort();
}

/** Names near an unknown module name: harun's native ones and those of the controller's Ansible. */
export function moduleSuggestions(name: string): string[] {
  return [...moduleNames(), ...candidateNames(name)];
}

setNativeNames(() => moduleNames().filter((n) => !registry.get(n)!.controller));
