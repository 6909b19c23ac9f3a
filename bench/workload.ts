import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The template both tools render (bench/motd.j2 in the source tree; tsc does not copy it). */
export const TEMPLATE = fileURLToPath(new URL('../../bench/motd.j2', import.meta.url));

/** What every tool must leave on each host, file name -> content. */
export function expected(host: { name: string; addr: string; port: number }): Record<string, string> {
  return {
    'hello.txt': `hello from ${host.name}\n`,
    'motd': renderMotd(host),
    'settings.conf': 'bench=1\n',
  };
}

/** The floor renders the template with plain substitution (it only uses these four variables). */
export function renderMotd(host: { name: string; addr: string; port: number }): string {
  const vars: Record<string, string> = {
    inventory_hostname: host.name,
    ansible_host: host.addr,
    ansible_port: String(host.port),
    'inventory_hostname | upper': host.name.toUpperCase(),
  };
  return readFileSync(TEMPLATE, 'utf8').replace(/\{\{\s*(.*?)\s*\}\}/g, (_, k: string) => vars[k] ?? '');
}

/** The playbook that harun and ansible-playbook both run unchanged (facts off). */
export function playbook(): string {
  return `- name: benchmark workload
  hosts: fleet
  gather_facts: false
  vars:
    dir: "{{ bench_root }}/{{ inventory_hostname }}"
  tasks:
    - name: make a folder
      file:
        path: "{{ dir }}"
        state: directory
        mode: "0755"

    - name: write a file
      copy:
        content: "hello from {{ inventory_hostname }}\\n"
        dest: "{{ dir }}/hello.txt"
        mode: "0644"

    - name: render a template
      template:
        src: ${TEMPLATE}
        dest: "{{ dir }}/motd"
        mode: "0644"

    - name: ensure a line
      lineinfile:
        path: "{{ dir }}/settings.conf"
        line: bench=1
        create: true
        mode: "0644"

    - name: read the kernel release
      command: uname -r
      changed_when: false
`;
}

/** Tasks that change on the first run (file, copy, template, lineinfile). */
export const CHANGING_TASKS = 4;
/** Tasks in the workload, per host. */
export const TASKS = 5;
