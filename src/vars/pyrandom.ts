import { createHash, randomInt } from 'node:crypto';

/**
 * Python's random.Random(seed) (MT19937, seeded as CPython 3 seeds it), so that
 * `random(seed=inventory_hostname)` and `shuffle(seed=...)` pick what Ansible picks on the same
 * host: roles spread cron minutes that way, and a rerun under either tool must not move them.
 */
class MersenneTwister {
  private mt = new Uint32Array(624);
  private i = 625;

  constructor(key: number[]) {
    const mt = this.mt;
    mt[0] = 19650218;
    for (let i = 1; i < 624; i++) mt[i] = Math.imul(1812433253, mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
    let i = 1;
    let j = 0;
    for (let k = Math.max(624, key.length); k > 0; k--) {
      mt[i] = (mt[i] ^ Math.imul(mt[i - 1] ^ (mt[i - 1] >>> 30), 1664525)) + key[j] + j;
      i++;
      j++;
      if (i >= 624) { mt[0] = mt[623]; i = 1; }
      if (j >= key.length) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      mt[i] = (mt[i] ^ Math.imul(mt[i - 1] ^ (mt[i - 1] >>> 30), 1566083941)) - i;
      i++;
      if (i >= 624) { mt[0] = mt[623]; i = 1; }
    }
    mt[0] = 0x80000000;
    this.i = 624;
  }

  uint32(): number {
    const mt = this.mt;
    if (this.i >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.i = 0;
    }
    let y = mt[this.i++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** CPython's seed(): a string becomes the integer of its bytes followed by their SHA-512. */
function seedKey(seed: unknown): number[] {
  let n: bigint;
  if (typeof seed === 'number' && Number.isInteger(seed)) n = BigInt(Math.abs(seed));
  else {
    const b = Buffer.from(String(seed), 'utf8');
    n = BigInt(`0x${Buffer.concat([b, createHash('sha512').update(b).digest()]).toString('hex')}`);
  }
  const key: number[] = [];
  for (; n > 0n; n >>= 32n) key.push(Number(n & 0xffffffffn));
  return key.length ? key : [0];
}

/** The few methods of random.Random that Ansible's filters and lookups call. */
export class PyRandom {
  private mt?: MersenneTwister;

  /** No seed: the system's randomness (Ansible uses SystemRandom then). */
  constructor(seed?: unknown) {
    if (seed !== undefined && seed !== null) this.mt = new MersenneTwister(seedKey(seed));
  }

  private bits(k: number): number {
    return k === 0 ? 0 : this.mt!.uint32() >>> (32 - k);
  }

  /** A number in [0, n), as CPython's _randbelow draws it (n below 2**32). */
  below(n: number): number {
    if (!this.mt) return n <= 0 ? 0 : randomInt(n);
    const k = n.toString(2).length;
    let r = this.bits(k);
    while (r >= n) r = this.bits(k);
    return r;
  }

  randrange(start: number, stop: number, step = 1): number {
    const width = stop - start;
    if (step === 1) return start + this.below(width);
    return start + step * this.below(Math.floor((width + step - 1) / step));
  }

  shuffle<T>(x: T[]): T[] {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [x[i], x[j]] = [x[j], x[i]];
    }
    return x;
  }
}
