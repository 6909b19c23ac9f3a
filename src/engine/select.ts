import type { Task } from '../config/model.js';

export interface TagFilter {
  tags: string[];
  skipTags: string[];
}

/** Ansible's tag selection: always/never/all/tagged/untagged included. */
export function selected(task: Pick<Task, 'inherited'>, f: TagFilter): boolean {
  const t = new Set(task.inherited.tags);
  const want = f.tags.length ? f.tags : ['all'];
  const has = (x: string) => t.has(x);
  if (f.skipTags.length) {
    if (f.skipTags.some(has)) return false;
    if (f.skipTags.includes('all') && !has('always')) return false;
    if (f.skipTags.includes('tagged') && t.size && !has('always')) return false;
    if (f.skipTags.includes('untagged') && !t.size) return false;
  }
  if (has('always') && !f.skipTags.includes('always')) return true;
  if (has('never') && !want.some((w) => w === 'never' || (w !== 'all' && w !== 'tagged' && has(w)))) return false;
  if (want.includes('all')) return true;
  if (want.includes('tagged') && t.size) return true;
  if (want.includes('untagged') && !t.size) return true;
  return want.some(has);
}
