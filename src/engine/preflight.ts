import type { SourcePos, ValidationError } from '../errors.js';

/**
 * A check of a role's variables across the whole play, run after inventory and vars are
 * resolved and before any connection is opened (e.g. two keepalived MASTERs).
 */
export interface PreflightInput {
  /** Hosts the role applies to in this play, in inventory order. */
  hosts: string[];
  /** Variables of a host as the role sees them, templated. */
  vars(host: string): Record<string, unknown>;
  /** Where a variable of a host was set (inventory, group_vars, role defaults...). */
  origin(host: string, name: string): SourcePos | undefined;
  /** Group name -> hosts, as the `groups` magic variable. */
  groups: Record<string, string[]>;
}

export type Preflight = (input: PreflightInput) => ValidationError[];
