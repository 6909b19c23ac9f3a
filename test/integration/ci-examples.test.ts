/**
 * The CI workflows shipped in examples/ci (and written by `harun init`): they parse as YAML, have
 * the shape of a GitHub Actions workflow, and every harun command they run exists with every
 * option they pass (checked against that command's --help).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYaml } from '../../src/config/yaml.js';
import { harun, ROOT } from '../e2e/helpers.js';

const DIR = join(ROOT, 'examples', 'ci');
const SUBCOMMANDS: Record<string, string[]> = { lab: ['up', 'down', 'status', 'kill'] };

/** `harun ...` invocations in a shell script: the command path and the options passed. */
export function harunCalls(script: string): Array<{ path: string[]; options: string[]; line: string }> {
  const calls = [];
  for (const line of script.split('\n')) {
    const words = line.replace(/\s[>|;&].*$/, '').trim().split(/\s+/);
    const i = words.indexOf('harun');
    if (i < 0) continue;
    const args = words.slice(i + 1);
    const path = args[0] && !args[0].startsWith('-') ? [args[0]] : [];
    if (path[0] && SUBCOMMANDS[path[0]]?.includes(args[1])) path.push(args[1]);
    calls.push({ path, options: args.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0]), line: line.trim() });
  }
  return calls;
}

test('examples/ci: every workflow parses, and every harun command in it has the options it uses', { timeout: 300_000 }, async () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yml'));
  assert.ok(files.length >= 2, 'a hosted Docker workflow and a uml one');
  const seen = new Set<string>();
  for (const f of files) {
    const doc = parseYaml(readFileSync(join(DIR, f), 'utf8'), f) as { name?: string; on?: unknown; jobs?: Record<string, { 'runs-on'?: unknown; steps?: Array<{ run?: string; uses?: string }> }> };
    // harun reads YAML 1.1, where the key `on` is the boolean true; GitHub reads it as "on"
    const on = doc.on ?? (doc as Record<string, unknown>).true;
    assert.ok(doc.name && on && doc.jobs, `${f}: not a workflow (name, on, jobs)`);
    const calls = [];
    for (const [job, j] of Object.entries(doc.jobs)) {
      assert.ok(j['runs-on'], `${f}: job ${job} has no runs-on`);
      assert.ok(Array.isArray(j.steps) && j.steps.length, `${f}: job ${job} has no steps`);
      for (const s of j.steps) {
        assert.ok(s.run || s.uses, `${f}: a step with neither run nor uses`);
        if (s.run) calls.push(...harunCalls(s.run));
      }
    }
    const used = calls.map((c) => c.path.join(' '));
    for (const want of ['lab up', 'play', 'verify', 'lab down']) assert.ok(used.includes(want), `${f} never runs harun ${want}`);
    for (const c of calls) {
      const key = `${c.path.join(' ')} ${c.options.join(' ')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const h = await harun([...c.path, '--help'], 60_000);
      assert.equal(h.code, 0, `${f}: harun ${c.path.join(' ')} --help failed: ${h.stderr}`);
      for (const o of c.options.filter((o) => o !== '--version')) assert.match(h.stdout, new RegExp(`(^|[\\s,])${o}\\b`), `${f}: "${c.line}": harun ${c.path.join(' ')} has no option ${o}`);
    }
  }
});

test('harunCalls reads the commands and options of a run script', () => {
  const calls = harunCalls('mkdir -p reports\nsudo env "PATH=$PATH" harun verify --fault kill --junit r.xml > out.json\nharun lab up --provider docker\nharun --version');
  assert.deepEqual(calls.map((c) => [c.path, c.options]), [
    [['verify'], ['--fault', '--junit']],
    [['lab', 'up'], ['--provider']],
    [[], ['--version']],
  ]);
});
