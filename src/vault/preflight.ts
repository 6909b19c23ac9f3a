/**
 * Before any connection: open every vaulted file a task sends from the controller (copy,
 * template and unarchive with a literal `src`), so that a wrong password or a changed file
 * stops the run with exit 4 instead of failing a task halfway through the play.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Task } from '../config/model.js';
import { localPath } from '../engine/task.js';
import { hasTemplate } from '../vars/lazy.js';
import { readControllerFile } from './files.js';
import { vaultSecrets } from './keyring.js';

const KIND: Record<string, string> = { copy: 'files', template: 'templates', unarchive: 'files' };

export function openVaultedSources(tasks: Task[], playbookDir: string): void {
  if (!vaultSecrets().length) return;
  for (const t of tasks) {
    const kind = KIND[t.module];
    const src = t.args.src;
    if (!kind || typeof src !== 'string' || hasTemplate(src) || t.args.remote_src === true || t.args.decrypt === false) continue;
    const searchPath = [t.inherited.role?.path, t.src && dirname(t.src.file)].filter(Boolean);
    const path = localPath({ playbook_dir: playbookDir, ansible_search_path: searchPath }, kind, src);
    if (existsSync(path)) readControllerFile(path);
  }
}
