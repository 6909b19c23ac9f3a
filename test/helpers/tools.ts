import { execFileSync } from 'node:child_process';

/** Whether a command runs here (`CMD --version`): tests that compare with Ansible skip without it. */
export function installed(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A failed run's output as a test message: the lines that say what failed (fatal, FAILED!,
 * UNREACHABLE!, ERROR, the recap) first, since a report may keep only a message's head, then the
 * output's tail for context.
 */
export function failureOf(out: string, tail = 3000): string {
  const said = out.split('\n').filter((l) => /fatal:|FAILED!|UNREACHABLE!|ERROR|^\S+\s+: ok=/.test(l));
  return [...said, '--- the output ends:', out.slice(-tail)].join('\n');
}
