/**
 * harun verify --junit: one testsuite per step, a testcase per check (failures with what was
 * seen, checks that could not run as skipped with the reason) and the figures as the suites'
 * properties. A case's time is the time since the check before it was decided.
 */
import { junitXml, type JUnitCase, type JUnitSuite } from '../report/junit.js';
import { figureList } from './figure-list.js';
import { STEP_TITLES, verdict, type Report } from './report.js';

export function verifyJUnit(r: Report): string {
  const startedAt = new Date(r.startedAt ?? Date.now() - r.elapsedMs);
  const properties: Array<[string, string]> = [
    ['vip', `${r.vip}:${r.port}`],
    ['fault', r.fault],
    ...(r.master ? [['master', r.master] as [string, string]] : []),
    ...(r.backup ? [['backup', r.backup] as [string, string]] : []),
    ...figureList(r.figures).map((f) => [`figure.${f.key}`, f.text] as [string, string]),
    ['result', verdict(r.checks)],
  ];
  let prev = 0;
  const suites: JUnitSuite[] = [];
  for (const step of [1, 2, 3, 4] as const) {
    const checks = r.checks.filter((c) => c.step === step);
    if (!checks.length) continue;
    const first = prev;
    const cases = checks.map((c): JUnitCase => {
      const at = c.atMs ?? prev;
      const kase: JUnitCase = { name: c.name, classname: `verify.${step} ${STEP_TITLES[step]}`, timeMs: at - prev, out: c.detail };
      prev = at;
      if (c.status === 'fail') kase.failure = { message: c.detail.split('\n')[0].slice(0, 500), type: 'check failed', text: c.detail };
      if (c.status === 'not run') kase.skipped = c.detail.split('\n')[0];
      return kase;
    });
    suites.push({
      name: `harun verify: ${step}. ${STEP_TITLES[step]}`,
      start: new Date(startedAt.getTime() + first),
      timeMs: prev - first,
      properties,
      cases,
    });
  }
  return junitXml(`harun verify ${r.vip}:${r.port} fault ${r.fault}`, suites);
}
