/**
 * Ansible connection and privilege variables are ordinary variables to the inventory; this
 * lists the ones harun does not act on, so the engine can say so at -v instead of letting a
 * user believe e.g. ansible_ssh_timeout took effect.
 */

/** Connection/become variables harun's ssh/local transports and become wrapping honour. */
export const SUPPORTED_CONNECTION_VARS: ReadonlySet<string> = new Set([
  'ansible_host', 'ansible_ssh_host',
  'ansible_port', 'ansible_ssh_port',
  'ansible_user', 'ansible_ssh_user',
  'ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password',
  'ansible_ssh_private_key_file', 'ansible_private_key_file',
  'ansible_connection',
  'ansible_become', 'ansible_become_user', 'ansible_become_method', 'ansible_become_pass', 'ansible_become_password',
  'ansible_ssh_common_args', 'ansible_ssh_extra_args',
]);

// Families of Ansible connection, become, shell and interpreter settings (not facts or magic vars).
const CONNECTION_LIKE =
  /^ansible_(ssh|sftp|scp|paramiko|libssh|winrm|psrp|docker|podman|kubectl|lxd|chroot|become|shell|network|httpapi|netconf|connection|host_key|private_key|remote|pipelining|timeout|persistent|module_compression|keepalive|sudo|su)(_|$)|^ansible_[a-z0-9]+_interpreter$/;

/** The `ansible_*` connection-looking variables in vars that harun ignores, sorted. */
export function unknownConnectionVars(vars: Record<string, unknown>): string[] {
  return Object.keys(vars)
    .filter((k) => CONNECTION_LIKE.test(k) && !SUPPORTED_CONNECTION_VARS.has(k))
    .sort();
}
