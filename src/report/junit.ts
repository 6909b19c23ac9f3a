/**
 * JUnit XML, the test report format CI systems display (GitHub via report actions, GitLab's
 * `artifacts:reports:junit`, Jenkins' junit step, Azure's PublishTestResults): the Ant/Jenkins
 * shape, testsuites > testsuite > testcase with failure, error or skipped, times in seconds.
 * `harun play --junit` writes a case per task and host (JUnitReporter); `harun verify --junit`
 * a case per check (verify/junit.ts). The readers disagree on little else than how strict they
 * are, so every attribute the strictest (Ant's schema) requires is always written.
 */
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RunEvent } from './events.js';
import { failureText } from './format.js';
import { xmlEscape } from './xml.js';
import type { Reporter } from './index.js';

export interface JUnitCase {
  name: string;
  classname: string;
  timeMs: number;
  /** A test that ran and failed (a task failed, a check failed). */
  failure?: { message: string; type: string; text: string };
  /** A test that could not run (a host unreachable). */
  error?: { message: string; type: string; text: string };
  /** Why it did not run (a skipped task, a check that could not run). */
  skipped?: string;
  /** What was seen: shown by most readers beside the case. */
  out?: string;
}

export interface JUnitSuite {
  name: string;
  /** When it started. */
  start: Date;
  timeMs: number;
  properties?: Array<[name: string, value: string]>;
  cases: JUnitCase[];
}

const secs = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);
/** Ant's schema wants the timestamp without a zone: it is UTC here. */
const stamp = (d: Date) => d.toISOString().slice(0, 19);

function caseXml(c: JUnitCase): string {
  const attrs = `name="${xmlEscape(c.name)}" classname="${xmlEscape(c.classname)}" time="${secs(c.timeMs)}"`;
  const body = [
    c.skipped !== undefined ? `      <skipped message="${xmlEscape(c.skipped)}"/>` : '',
    c.error ? `      <error message="${xmlEscape(c.error.message)}" type="${xmlEscape(c.error.type)}">${xmlEscape(c.error.text)}</error>` : '',
    c.failure ? `      <failure message="${xmlEscape(c.failure.message)}" type="${xmlEscape(c.failure.type)}">${xmlEscape(c.failure.text)}</failure>` : '',
    c.out ? `      <system-out>${xmlEscape(c.out)}</system-out>` : '',
  ].filter(Boolean);
  return body.length ? `    <testcase ${attrs}>\n${body.join('\n')}\n    </testcase>` : `    <testcase ${attrs}/>`;
}

const count = (cases: JUnitCase[]) => ({
  tests: cases.length,
  failures: cases.filter((c) => c.failure).length,
  errors: cases.filter((c) => c.error).length,
  skipped: cases.filter((c) => c.skipped !== undefined).length,
});

export function junitXml(name: string, suites: JUnitSuite[]): string {
  const all = count(suites.flatMap((s) => s.cases));
  const total = suites.reduce((t, s) => t + s.timeMs, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(name)}" tests="${all.tests}" failures="${all.failures}" errors="${all.errors}" skipped="${all.skipped}" time="${secs(total)}">`,
  ];
  suites.forEach((s, id) => {
    const n = count(s.cases);
    out.push(
      `  <testsuite name="${xmlEscape(s.name)}" id="${id}" package="harun" hostname="${xmlEscape(hostname())}" timestamp="${stamp(s.start)}" ` +
        `tests="${n.tests}" failures="${n.failures}" errors="${n.errors}" skipped="${n.skipped}" time="${secs(s.timeMs)}">`,
    );
    if (s.properties?.length) {
      out.push('    <properties>');
      for (const [k, v] of s.properties) out.push(`      <property name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`);
      out.push('    </properties>');
    }
    for (const c of s.cases) out.push(caseXml(c));
    out.push('    <system-out/>', '    <system-err/>', '  </testsuite>');
  });
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

type HostResult = Extract<RunEvent, { kind: 'host_result' }>;

/** A testcase for one host's result of one task, as Ansible's junit callback counts them. */
export function taskCase(e: HostResult, handler: boolean): JUnitCase {
  const c: JUnitCase = { name: `${handler ? 'handler: ' : ''}${e.task}`, classname: e.host, timeMs: e.ms };
  const res = e.result;
  const msg = 'censored' in res ? String(res.censored) : typeof res.msg === 'string' && res.msg ? res.msg : e.status;
  const first = msg.split('\n')[0].slice(0, 500);
  if (e.status === 'failed' && !e.ignored) c.failure = { message: first, type: 'failed', text: failureText(res) };
  else if (e.status === 'unreachable') c.error = { message: first, type: 'unreachable', text: failureText(res) };
  else if (e.status === 'skipped') c.skipped = 'censored' in res ? 'skipped' : String(res.skip_reason ?? res.msg ?? 'skipped');
  else c.out = e.status === 'failed' ? `failed (ignored): ${failureText(res)}` : e.status;
  return c;
}

/** Collects the play's results and writes them as JUnit XML when the run ends. */
export class JUnitReporter implements Reporter {
  private suites: JUnitSuite[] = [];
  private handler = false;
  private at = Date.now();

  constructor(private file: string, private playbook = 'harun play') {}

  on(e: RunEvent): void {
    const suite = this.suites[this.suites.length - 1];
    switch (e.kind) {
      case 'playbook_start':
        this.playbook = e.file;
        return;
      case 'play_start':
        if (suite) suite.timeMs = Date.now() - suite.start.getTime();
        this.suites.push({ name: `PLAY [${e.name}]${e.check ? ' (check mode)' : ''}`, start: new Date(), timeMs: 0, cases: [] });
        return;
      case 'task_start':
        this.handler = e.handler;
        return;
      case 'host_result':
        // loops: the aggregate result per host is the case, as in the JSON output
        if (suite && e.item === undefined) suite.cases.push(taskCase(e, this.handler));
        return;
      case 'recap':
        if (suite) suite.timeMs = Date.now() - suite.start.getTime();
        return;
      case 'task_end':
      case 'warning':
      case 'verbose':
      case 'diff':
      case 'interrupted':
        return;
    }
  }

  async done(): Promise<void> {
    const suites = this.suites.length ? this.suites : [{ name: 'no play ran', start: new Date(this.at), timeMs: 0, cases: [] }];
    writeFileSync(this.file, junitXml(this.playbook, suites));
  }
}

/** Several reporters fed the same events (the terminal's and the JUnit file's). */
export function teeReporter(...rs: Reporter[]): Reporter {
  return {
    on: (e) => rs.forEach((r) => r.on(e)),
    done: async () => {
      for (const r of rs) await r.done();
    },
  };
}
