import type { Command } from 'commander';
import { setMaxListeners } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../config/cfg.js';
import { parseKv } from '../config/kv.js';
import type { Item, Play, Task } from '../config/model.js';
import { loadPlaybook } from '../config/playbook.js';
import { parseYaml, yamlWarnings } from '../config/yaml.js';
import { EXIT, OptionsError, ValidationError } from '../errors.js';
import { checkRoles } from '../engine/rolechecks.js';
import { Runner } from '../engine/play.js';
import { selected } from '../engine/select.js';
import { setManagedFormat } from '../vars/managed.js';
import { loadInventory, unknownConnectionVars, type Inventory } from '../inventory/index.js';
import type { HostStats } from '../report/events.js';
import { masking } from '../report/mask.js';
import { makeReporter, type OutputKind } from '../report/index.js';
import { askSecret, collect, fail, outputFile, positiveInt, setupVault, vaultOptions } from './common.js';
import { openVaultedSources } from '../vault/preflight.js';
import type { VaultOptions } from '../vault/sources.js';
import type { TaskTiming } from '../report/profile.js';

interface PlayOpts extends VaultOptions {
  inventory: string[];
  limit?: string;
  tags: string[];
  skipTags: string[];
  check?: boolean;
  diff?: boolean;
  forks?: number;
  extraVars: string[];
  user?: string;
  privateKey?: string;
  become?: boolean;
  becomeUser?: string;
  askBecomePass?: boolean;
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  syntaxCheck?: boolean;
  startAtTask?: string;
  verbose: number;
  output?: OutputKind;
  timeout?: number;
  forceHandlers?: boolean;
  hostKeyChecking?: string;
  knownHosts?: string;
  junit?: string;
  profile?: boolean;
}

export function registerPlay(program: Command): void {
  vaultOptions(program.command('play'))
    .description('run Ansible-format playbooks against an inventory')
    .argument('<playbook...>', 'playbook files (looked up in the config playbook_dir too)')
    .option('-i, --inventory <source>', 'inventory file, directory or host list (repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'further limit the hosts with a host pattern')
    .option('-t, --tags <tags>', 'only run tasks with these tags (comma separated, repeatable)', collect, [])
    .option('--skip-tags <tags>', 'skip tasks with these tags', collect, [])
    .option('-C, --check', 'do not change anything; report what would change')
    .option('-D, --diff', 'show the differences of changed files')
    .option('-f, --forks <n>', 'hosts worked on at once (default 20)', positiveInt('--forks'))
    .option('-e, --extra-vars <vars>', 'k=v pairs, JSON, or @file.yml (repeatable)', collect, [])
    .option('-u, --user <user>', 'connect as this user')
    .option('--private-key <file>', 'SSH private key file')
    .option('-b, --become', 'run operations with become (sudo)')
    .option('--become-user <user>', 'become this user (default root)')
    .option('-K, --ask-become-pass', 'ask for the become password')
    .option('--list-hosts', 'list the hosts each play would run on')
    .option('--list-tasks', 'list the tasks each play would run')
    .option('--list-tags', 'list the tags of the tasks')
    .option('--syntax-check', 'load and validate everything, run nothing')
    .option('--start-at-task <name>', 'start at the first task with this name')
    .option('--force-handlers', 'run notified handlers even on hosts that failed')
    .option('-v, --verbose', 'more output (-vv commands, -vvv connections)', (_v: string, n: number) => n + 1, 0)
    .option('--output <kind>', 'pretty | plain | json (default: pretty on a terminal)')
    .option('--timeout <seconds>', 'SSH connect timeout in seconds (default 10)', positiveInt('--timeout'))
    .option('--host-key-checking <on|off>', 'check SSH host keys (default on; env HARUN_HOST_KEY_CHECKING)')
    .option('--known-hosts <file>', 'known_hosts file to check host keys against')
    .option('--junit <file>', 'also write the results as JUnit XML for CI (a test case per task and host)', outputFile('--junit'))
    .option('--profile', 'after the recap, list the slowest tasks with their wall time (as profile_tasks)')
    .action(async (books: string[], o: PlayOpts) => {
      process.exitCode = await play(books, o).catch(fail);
    });
}

function extraVars(specs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of specs) {
    if (s.startsWith('@')) {
      const file = s.slice(1);
      if (!existsSync(file)) throw new OptionsError(`--extra-vars: file not found: ${file}`);
      Object.assign(out, parseYaml(readFileSync(file, 'utf8'), file) as object);
    } else if (/^\s*[{[]/.test(s)) {
      try {
        Object.assign(out, JSON.parse(s));
      } catch (e) {
        throw new OptionsError(`--extra-vars: invalid JSON: ${(e as Error).message}`);
      }
    } else {
      const { args, free } = parseKv(s);
      if (free) throw new OptionsError(`--extra-vars: expected key=value, JSON or @file, got "${free}"`);
      Object.assign(out, args);
    }
  }
  return out;
}

function findBook(name: string, dir?: string): string {
  if (existsSync(name)) return resolve(name);
  if (dir && existsSync(join(dir, name))) return join(dir, name);
  throw new OptionsError(`playbook not found: ${name}${dir ? ` (nor in ${dir})` : ''}`);
}

/** What --list-tasks shows: tasks, and dynamic includes as themselves (as ansible-playbook does). */
function tasksOf(items: Item[]): Pick<Task, 'name' | 'inherited'>[] {
  return items.flatMap((i) => (i.kind !== 'block' ? [i] : [...tasksOf(i.block), ...tasksOf(i.rescue), ...tasksOf(i.always)]));
}

function listing(plays: Play[], o: PlayOpts, runner: Runner, out: (s: string) => void): void {
  plays.forEach((p, i) => {
    out(`\n  play #${i + 1} (${p.hosts}): ${p.name}\tTAGS: [${(p.raw.tags as string[] | undefined) ?? ''}]`);
    if (o.listHosts) {
      const hosts = runner.playHosts(p);
      out(`    pattern: ['${p.hosts}']\n    hosts (${hosts.length}):`);
      for (const h of hosts) out(`      ${h}`);
    }
    const tasks = p.sections.flatMap(tasksOf).filter((t) => selected(t, o));
    if (o.listTasks) {
      out('    tasks:');
      for (const t of tasks) out(`      ${t.name}\tTAGS: [${[...new Set(t.inherited.tags)].join(', ')}]`);
    }
    if (o.listTags) out(`      TASK TAGS: [${[...new Set(tasks.flatMap((t) => t.inherited.tags))].sort().join(', ')}]`);
  });
}

async function play(books: string[], o: PlayOpts): Promise<number> {
  const t0 = Date.now();
  const cfg = loadConfig();
  setManagedFormat(cfg.ansibleManaged);
  if (o.output && !['pretty', 'plain', 'json'].includes(o.output)) throw new OptionsError(`--output: expected pretty, plain or json, got "${o.output}"`);
  const hkc = o.hostKeyChecking ?? process.env.HARUN_HOST_KEY_CHECKING;
  if (hkc !== undefined && !['on', 'off', 'true', 'false', 'yes', 'no', 'accept-new'].includes(hkc.toLowerCase())) throw new OptionsError(`--host-key-checking: expected on or off, got "${hkc}"`);
  const files = books.map((b) => findBook(b, cfg.playbookDir));
  await setupVault(o, cfg);
  let sources = o.inventory.length ? o.inventory : cfg.inventory;
  if (o.syntaxCheck && !o.inventory.length && sources.some((s) => !existsSync(s))) {
    // as ansible-playbook warns and goes on: a syntax check needs no hosts (an -i given is still checked)
    process.stderr.write(`[WARNING]: inventory ${sources.join(', ')} (from ansible.cfg) does not exist: checking the playbooks without it\n`);
    sources = [];
  }
  const inventory: Inventory = loadInventory(sources, { extraVarDirs: [...new Set(files.map(dirname))] });
  const ev = extraVars(o.extraVars);
  const plays = files.flatMap((f) => loadPlaybook(f, { rolesPath: cfg.rolesPath, collectionsPath: cfg.collectionsPath }));
  for (const w of new Set([...yamlWarnings.splice(0), ...plays.flatMap((p) => p.warnings)])) process.stderr.write(`[WARNING]: ${w}\n`);
  for (const p of plays.flatMap((x) => x.prompts)) {
    if (p.default === undefined && !(p.name in ev)) throw new ValidationError('vars_prompt', `vars_prompt '${p.name}' has no default: harun runs unattended, pass it with -e ${p.name}=...`, p.src);
  }
  const out = (s: string) => process.stdout.write(s + '\n');
  if (o.syntaxCheck) {
    for (const f of files) out(`\nplaybook: ${f}`);
    return EXIT.ok;
  }
  const become = o.askBecomePass ? await askSecret('BECOME password: ') : undefined;
  let reporter = await makeReporter(o.output, o.verbose);
  if (o.junit) {
    const { JUnitReporter, teeReporter } = await import('../report/junit.js');
    reporter = teeReporter(reporter, masking(new JUnitReporter(o.junit)));
  }
  const timings: TaskTiming[] = [];
  const abort = new AbortController();
  // every running exec listens on it: with many hosts that is far more than the default 10
  setMaxListeners(0, abort.signal);
  const checking = hkc === undefined ? cfg.hostKeyChecking : !['off', 'false', 'no'].includes(hkc.toLowerCase());
  const runner = new Runner({
    inventory,
    extraVars: ev,
    check: Boolean(o.check),
    diff: Boolean(o.diff),
    forks: o.forks ?? cfg.forks ?? 20,
    limit: o.limit,
    tags: o.tags.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean),
    skipTags: o.skipTags.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean),
    startAtTask: o.startAtTask,
    forceHandlers: Boolean(o.forceHandlers),
    become: { become: o.become, user: o.becomeUser, password: become },
    remoteUser: o.user ?? cfg.remoteUser,
    ssh: {
      user: o.user,
      privateKey: o.privateKey ?? cfg.privateKeyFile,
      timeoutSec: o.timeout ?? cfg.timeout,
      knownHosts: o.knownHosts,
      hostKeyChecking: hkc?.toLowerCase() === 'accept-new' ? 'accept-new' : checking,
    },
    timeoutMs: undefined,
    verbosity: o.verbose,
    emit: (e) => {
      if (e.kind === 'task_end') timings.push({ name: e.name, source: e.source, handler: e.handler, hosts: e.hosts, ms: e.ms });
      reporter.on(e);
    },
    signal: abort.signal,
  });
  if (o.listHosts || o.listTasks || o.listTags) {
    listing(plays, o, runner, out);
    return EXIT.ok;
  }
  // Everything is validated before the first connection: what each role declares of its
  // variables, and every vault the run loads is opened (a wrong password or a changed file stops it here).
  for (const p of plays) {
    for (const h of runner.playHosts(p)) inventory.hostVars(h);
    openVaultedSources([...p.sections.flatMap(tasksOf), ...p.handlers].filter((t): t is Task => 'module' in t), p.dir);
  }
  checkRoles(plays, (p) => runner.varsEnv(p));
  if (o.verbose > 0) {
    for (const w of inventory.warnings) reporter.on({ kind: 'warning', message: w });
    for (const h of inventory.hosts()) {
      const odd = unknownConnectionVars(inventory.hostVars(h));
      if (odd.length) reporter.on({ kind: 'warning', message: `${h}: ignoring connection variables harun does not use: ${odd.join(', ')}` });
    }
  }
  let interrupted = false;
  const onSig = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    abort.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  try {
    reporter.on({ kind: 'playbook_start', file: files.join(', ') });
    for (const p of plays) {
      if (abort.signal.aborted) break;
      if (!(await runner.runPlay(p))) break;
    }
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    if (interrupted) reporter.on({ kind: 'interrupted' });
    const stats: Record<string, HostStats> = {};
    for (const [h, r] of runner.hosts) if (r.processed) stats[h] = r.stats;
    reporter.on({ kind: 'recap', stats, elapsedMs: Date.now() - t0 });
    if (o.profile) reporter.on({ kind: 'profile', tasks: timings });
    if (o.verbose >= 3) {
      for (const [h, r] of runner.hosts) {
        const c = await r.channels();
        reporter.on({ kind: 'verbose', level: 3, host: h, message: `ssh channels opened: ${c.channels}; commands run: ${c.execs}` });
      }
    }
    await runner.close();
    await reporter.done();
  }
  if (interrupted) return EXIT.interrupted;
  const all = [...runner.hosts.values()];
  if (all.some((r) => r.stats.failed > 0)) return EXIT.hostFailed;
  if (all.some((r) => r.unreachable)) return EXIT.unreachable;
  return EXIT.ok;
}
