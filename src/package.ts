/**
 * Where harun's own files are: the checkout, or node_modules/harun of an installation. The
 * content harun ships (roles, playbooks, lab image recipes, CI examples) is read from there, so
 * it is found from any working directory. Found by walking up from this code's location: the
 * compiled tree (dist/src/...) and the bundle (dist/bundle/harun.cjs) sit at different depths.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HarunError } from './errors.js';

let found: { dir: string; version: string } | undefined;

function locate(): { dir: string; version: string } {
  if (found) return found;
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, d = dirname(d)) {
    const pj = join(d, 'package.json');
    if (!existsSync(pj)) continue;
    const meta = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; version?: string };
    if (meta.name === 'harun') return (found = { dir: d, version: meta.version ?? '0.0.0' });
  }
  throw new HarunError('install', `harun's package.json not found above ${fileURLToPath(import.meta.url)}: the installation is incomplete`);
}

/** The directory holding harun's package.json. */
export const packageDir = (): string => locate().dir;

/** A file or directory shipped with harun (`packagePath('scripts', 'lab')`). */
export const packagePath = (...parts: string[]): string => join(locate().dir, ...parts);

export const packageVersion = (): string => locate().version;
