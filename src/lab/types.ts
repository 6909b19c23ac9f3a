/** A lab host (the seed's five, more real servers with --realservers), its address, and where harun reaches its sshd. */
export interface LabHost {
  /** client, lb1, lb2, web1 ... webN */
  name: string;
  /** Address on the lab's private network (the LVS traffic uses it). */
  address: string;
  /** Where the controller reaches sshd (may differ from address: a mapped port on 127.0.0.1). */
  sshHost: string;
  sshPort: number;
  state?: 'running' | 'stopped' | 'unknown';
}

/** Everything `lab up` made, written to DIR/lab.json so that `lab down` works after a crash. */
export interface LabState {
  provider: 'docker' | 'uml';
  dir: string;
  subnet: string;
  vip: string;
  hosts: LabHost[];
  /** Path of the private key and known_hosts file written for the inventory. */
  keyFile: string;
  knownHosts: string;
  /** Provider-specific record of what was created (container ids, taps, pids, NAT rules). */
  resources: Record<string, unknown>;
}

export interface LabProvider {
  readonly name: 'docker' | 'uml';
  /** Whether this provider can run here, and why not. */
  available(): Promise<{ ok: boolean; reason: string }>;
  /** Whether the kernel the hosts run on has IPVS (docker: the host's; uml: always). */
  hasIpvs(): Promise<boolean>;
  /** Start the lab's hosts with `realservers` real servers (web1 ... webN). */
  up(dir: string, realservers: number): Promise<LabState>;
  status(state: LabState): Promise<LabHost[]>;
  /** Hard-stop one host (a crash). */
  kill(state: LabState, host: string): Promise<void>;
  /**
   * Boot a hard-stopped host again on the disk it had (what was written before the crash
   * stays) and wait until its sshd takes the lab key; where the controller reaches it does not
   * change, so the inventory stays valid.
   */
  start(state: LabState, host: string): Promise<void>;
  /** Remove everything in state.resources; safe to call twice. */
  down(state: LabState): Promise<void>;
}
