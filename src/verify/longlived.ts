/**
 * Connections that live through a failover. Before the fault the client opens two through the
 * VIP: a download it reads slowly (curl --limit-rate), so that it is still flowing when the VIP
 * moves, and an idle keep-alive connection (bash's /dev/tcp) that sends its second request once
 * service is back through the BACKUP. Both must end intact, on the real server they started on.
 * Without IPVS connection sync the new MASTER has no entry for them, and its own kernel answers
 * their next packet with a reset.
 *
 * The download is a file of random bytes that verify writes to every real server's document root
 * (removed after), so its sha256 says whether it arrived intact and from which real server.
 */
import { joinSh, sh } from '../shell/sh.js';
import type { Runner } from './cluster.js';

export const DOWNLOAD_BYTES = 4 * 1024 * 1024;
/** Client read rate, bytes/s: 4 MiB take about 20 s, longer than the time to the fault plus a takeover. */
export const DOWNLOAD_RATE = 200 * 1024;
/**
 * The sync daemon sends a connection after its third packet, but the kernel flushes a partly
 * filled sync buffer only once it is 2 s old, checked every second: the fault waits that long
 * after the connections opened, or a connection made just before it is not on the BACKUP yet.
 */
export const SYNC_SETTLE_MS = 3500;
/** How long each read on the idle connection waits for an answer. */
const READ_TIMEOUT_S = 15;

export interface LongLivedHandle {
  client: Runner;
  /** Real servers' download files: host name -> sha256. */
  sums: Map<string, string>;
  files: Array<{ rs: Runner; path: string }>;
  prefix: string;
  /** When the connections were opened (controller clock). */
  openedAt: number;
}

/** Copies stdin to stdout at no more than ARGV[0] bytes/s (one process: no fork per chunk). */
const PACE = 'binmode STDIN; binmode STDOUT; while ((my $n = sysread STDIN, my $b, 16384) > 0) { syswrite STDOUT, $b; select undef, undef, undef, $n / $ARGV[0] }';

/** The client's script (bash: /dev/tcp); exported for tests of its output. */
export function clientScript(vip: string, port: number, path: string, prefix: string, maxWaitS: number, rate = DOWNLOAD_RATE): string {
  const url = `http://${vip}:${port}${path}`;
  // a look every 0.5 s: each look forks a sleep, and the probe shares the client's CPU
  const steps = Math.ceil(maxWaitS * 2);
  return joinSh([
    sh`set -f; export LC_ALL=C`,
    sh`ms() { date +%s%3N; }`,
    // The download, read slowly. curl's --limit-rate averages over seconds: on a fast link (this
    // machine as the client) the whole file can arrive in its first burst. A reader paced at the
    // rate behind a pipe holds curl, and through TCP's window the real server, to it (perl-base
    // is on every Debian host; without perl, --limit-rate alone). curl's status and size follow
    // the body on the pipe, after a newline: the last line of the file.
    sh`  pace() { if command -v perl >/dev/null; then perl -e ${PACE} ${rate}; else cat; fi; }`,
    sh`( s=$(ms); curl -sS --limit-rate ${rate} -m ${maxWaitS + 120} -w '\\n%{http_code} %{size_download}' ${url} 2>${`${prefix}.err`} | pace > ${`${prefix}.bin`}; rc=\${PIPESTATUS[0]}; e=$(ms)`,
    sh`  w=$(tail -n 1 ${`${prefix}.bin`}); n=\${w#* }; case $n in ''|*[!0-9]*) n=0 ;; esac`,
    sh`  echo "download $s $e $rc $w $(head -c "$n" ${`${prefix}.bin`} | sha256sum | cut -c1-64)" $(head -c 200 ${`${prefix}.err`}) >> ${`${prefix}.log`} ) &`,
    // the idle keep-alive connection
    // no SIGPIPE: a write to a connection reset meanwhile is an error to report, not the end
    sh`( trap '' PIPE; ask() {`,
    sh`    printf 'GET / HTTP/1.1\r\nHost: %s\r\n\r\n' ${vip} >&3 2>/dev/null || { echo "error $1 $(ms) cannot write to the connection"; return 1; }`,
    sh`    IFS= read -r -t ${READ_TIMEOUT_S} status <&3; rc=$?`,
    sh`    if [ "$rc" -gt 128 ]; then echo "error $1 $(ms) no answer within ${READ_TIMEOUT_S} s"; return 1; fi`,
    sh`    if [ "$rc" -ne 0 ]; then echo "error $1 $(ms) the connection was reset or closed instead of an answer"; return 1; fi`,
    sh`    len=0`,
    sh`    while IFS= read -r -t ${READ_TIMEOUT_S} line <&3; do line=\${line%$'\r'}; [ -z "$line" ] && break; case $line in [Cc]ontent-[Ll]ength:*) len=\${line//[!0-9]/} ;; esac; done`,
    sh`    body=; [ "$len" -gt 0 ] && IFS= read -r -N "$len" -t ${READ_TIMEOUT_S} body <&3`,
    sh`    code=\${status#* }; echo "answer $1 $(ms) \${code%% *}" $body`,
    sh`  }`,
    sh`  exec 3<>/dev/tcp/${vip}/${port} 2>/dev/null || { echo "error 1 $(ms) cannot connect"; exit; }`,
    sh`  ask 1 || exit`,
    sh`  i=0; while [ ! -e ${`${prefix}.go`} ] && [ "$i" -lt ${steps} ]; do sleep 0.5; i=$((i+1)); done`,
    sh`  if read -r -t 0 <&3; then echo "error 2 $(ms) the real server closed the idle connection before the second request (its keep-alive timeout is shorter than the failover: web_keepalive_timeout)"; exit; fi`,
    sh`  ask 2 ) >> ${`${prefix}.log`} &`,
    sh`wait; echo done >> ${`${prefix}.log`}`,
  ], '\n');
}

/** The download file's name under each real server's document root. */
function downloadPath(id: string): string {
  return `/harun-verify-${id}.bin`;
}

/**
 * Writes the download to every real server and opens both connections from the client.
 * Throws (with the host and the reason) when a host cannot take part.
 */
export async function openLongLived(client: Runner, realservers: Array<{ rs: Runner; docroot: string }>, vip: string, port: number, maxWaitS: number): Promise<LongLivedHandle> {
  const id = `${process.pid}-${Date.now()}`;
  const path = downloadPath(id);
  const sums = new Map<string, string>();
  const files: LongLivedHandle['files'] = [];
  await Promise.all(realservers.map(async ({ rs, docroot }) => {
    const file = `${docroot}${path}`;
    files.push({ rs, path: file });
    const r = await rs.run(sh`head -c ${DOWNLOAD_BYTES} /dev/urandom > ${`${file}.tmp`} && chmod 644 ${`${file}.tmp`} && mv ${`${file}.tmp`} ${file} && sha256sum < ${file} | cut -c1-64`);
    const sum = r.stdout.trim();
    if (r.code !== 0 || !/^[0-9a-f]{64}$/.test(sum)) throw new Error(`${rs.name}: cannot write the download ${file}: ${(r.stderr || r.stdout).trim()}`);
    sums.set(rs.name, sum);
  }));
  const prefix = `/tmp/harun-verify-long-${id}`;
  const script = clientScript(vip, port, path, prefix, maxWaitS);
  const r = await client.run(sh`command -v bash >/dev/null && command -v curl >/dev/null && command -v sha256sum >/dev/null || { echo 'the client needs bash, curl and sha256sum' >&2; exit 3; }; (setsid bash -c ${script} </dev/null >/dev/null 2>&1 &) ; echo started`);
  const h = { client, sums, files, prefix, openedAt: Date.now() };
  if (r.code !== 0 || !r.stdout.includes('started')) {
    await closeLongLived(h);
    throw new Error(`${client.name}: cannot open the long-lived connections: ${(r.stderr || r.stdout).trim()}`);
  }
  // open means established: the first bytes of the download and the first answer arrived (on a
  // busy client curl can take a second to start); the sync settle time counts from here
  await client.run(
    sh`i=0; while [ "$i" -lt 100 ] && ! { [ -s ${`${prefix}.bin`} ] && grep -q '^[a-z]* 1 ' ${`${prefix}.log`} 2>/dev/null; }; do sleep 0.2; i=$((i+1)); done`,
    60_000,
  );
  h.openedAt = Date.now();
  return h;
}

/** Lets the idle connection send its second request. */
export async function triggerSecondRequest(h: LongLivedHandle): Promise<void> {
  await h.client.run(sh`touch ${`${h.prefix}.go`}`);
}

/** Waits (up to `timeoutMs`) until both connections ended; returns the client's log. */
export async function collectLongLived(h: LongLivedHandle, timeoutMs: number): Promise<string> {
  const steps = Math.ceil(timeoutMs / 500);
  const r = await h.client.run(
    sh`i=0; while ! grep -qx done ${`${h.prefix}.log`} 2>/dev/null && [ "$i" -lt ${steps} ]; do sleep 0.5; i=$((i+1)); done; cat ${`${h.prefix}.log`} 2>/dev/null`,
    timeoutMs + 30_000,
  );
  return r.stdout;
}

/** Removes the client's files and the real servers' downloads. */
export async function closeLongLived(h: LongLivedHandle): Promise<void> {
  await Promise.all([
    h.client.run(sh`touch ${`${h.prefix}.go`}; rm -f ${`${h.prefix}.bin`} ${`${h.prefix}.err`} ${`${h.prefix}.log`}; sleep 0.3; rm -f ${`${h.prefix}.go`}`).catch(() => undefined),
    ...h.files.map(({ rs, path }) => rs.run(sh`rm -f ${path} ${`${path}.tmp`}`).catch(() => undefined)),
  ]);
}

export interface Download {
  start: number;
  end: number;
  rc: number;
  status: number;
  bytes: number;
  sha256: string;
  error: string;
}

export interface Exchange {
  n: number;
  at: number;
  ok: boolean;
  /** The HTTP status code, or what went wrong. */
  what: string;
  body: string;
}

/** The client's log: one `download` line, the idle connection's `answer`/`error` lines. */
export function parseLongLived(text: string): { download?: Download; exchanges: Exchange[]; done: boolean } {
  let download: Download | undefined;
  const exchanges: Exchange[] = [];
  let done = false;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'done') done = true;
    else if (f[0] === 'download' && f.length >= 7) {
      // a failed curl may print no status and size: rc is followed by the checksum then
      const [start, end, rc] = f.slice(1, 4).map(Number);
      const rest = f.slice(4);
      const hasW = rest.length >= 3 && /^\d+$/.test(rest[0]) && /^\d+$/.test(rest[1]);
      download = {
        start, end, rc,
        status: hasW ? Number(rest[0]) : 0,
        bytes: hasW ? Number(rest[1]) : 0,
        sha256: (hasW ? rest[2] : rest[0]) ?? '',
        error: (hasW ? rest.slice(3) : rest.slice(1)).join(' '),
      };
    } else if ((f[0] === 'answer' || f[0] === 'error') && /^\d+$/.test(f[1] ?? '') && /^\d{12,}$/.test(f[2] ?? '')) {
      const ok = f[0] === 'answer';
      exchanges.push({ n: Number(f[1]), at: Number(f[2]), ok, what: ok ? f[3] ?? '' : f.slice(3).join(' '), body: ok ? f.slice(4).join(' ') : '' });
    }
  }
  return { download, exchanges, done };
}

export interface LongLivedVerdict {
  status: 'pass' | 'fail' | 'not run';
  detail: string;
  /** Whether the connection broke (fail for a reason other than a broken connection is not). */
  broken: boolean;
}

const rel = (t: number, fault: number) => `${t >= fault ? '+' : ''}${((t - fault) / 1000).toFixed(1)} s`;

/**
 * The download's verdict. Times are the client's clock: `fault` the fault, `takeover` when the
 * BACKUP held the VIP.
 */
export function judgeDownload(d: Download | undefined, sums: Map<string, string>, fault: number, takeover: number): LongLivedVerdict {
  if (!d) return { status: 'fail', detail: 'the download did not end within the wait', broken: true };
  const from = [...sums].find(([, s]) => s === d.sha256)?.[0];
  const span = `from ${rel(d.start, fault)} to ${rel(d.end, fault)} around the fault`;
  if (d.rc !== 0 || d.status !== 200)
    return { status: 'fail', detail: `broken at ${rel(d.end, fault)} after ${d.bytes} of ${DOWNLOAD_BYTES} bytes: curl exit ${d.rc}${d.status ? `, HTTP ${d.status}` : ''}${d.error ? ` (${d.error})` : ''}`, broken: true };
  if (d.bytes !== DOWNLOAD_BYTES || !from)
    return { status: 'fail', detail: `${d.bytes} bytes arrived, sha256 ${d.sha256.slice(0, 12)}… matches no real server's file: the bytes were damaged`, broken: true };
  if (d.start >= fault || d.end <= takeover)
    return { status: 'not run', detail: `the download ran ${span}, not through the takeover at ${rel(takeover, fault)}: it proves nothing`, broken: false };
  return { status: 'pass', detail: `${DOWNLOAD_BYTES} bytes intact from ${from} (sha256 of its file), ${span}; the VIP moved at ${rel(takeover, fault)}`, broken: false };
}

/** The idle keep-alive connection's verdict; `pages` tells real servers apart by their page. */
export function judgeKeepAlive(ex: Exchange[], pages: Map<string, string>, fault: number, takeover: number): LongLivedVerdict {
  const who = (body: string) => [...pages].find(([, p]) => p === body)?.[0];
  const first = ex.find((e) => e.n === 1);
  const second = ex.find((e) => e.n === 2);
  if (!first || !first.ok) return { status: 'not run', detail: `the first request did not get an answer (${first?.what ?? 'no record'}), so nothing was open through the fault`, broken: false };
  const s1 = who(first.body);
  const opened = `request 1 answered by ${s1 ?? `"${first.body}"`} at ${rel(first.at, fault)}`;
  if (first.at >= fault) return { status: 'not run', detail: `${opened}, after the fault: it proves nothing`, broken: false };
  if (!second) return { status: 'fail', detail: `${opened}; no record of request 2`, broken: true };
  if (!second.ok) return { status: 'fail', detail: `${opened}; request 2 on the same connection at ${rel(second.at, fault)}: ${second.what}`, broken: !/closed the idle connection/.test(second.what) };
  const s2 = who(second.body);
  if (second.at <= takeover) return { status: 'not run', detail: `${opened}; request 2 answered at ${rel(second.at, fault)}, before the VIP moved at ${rel(takeover, fault)}: it proves nothing`, broken: false };
  if (second.what !== '200' || !s2 || s2 !== s1)
    return { status: 'fail', detail: `${opened}; request 2 on the same connection got HTTP ${second.what} "${second.body.slice(0, 40)}" from ${s2 ?? 'no known real server'}`, broken: true };
  return { status: 'pass', detail: `${opened}; request 2 on the same connection answered by ${s2} at ${rel(second.at, fault)}, after the VIP moved at ${rel(takeover, fault)}`, broken: false };
}
