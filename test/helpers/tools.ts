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
