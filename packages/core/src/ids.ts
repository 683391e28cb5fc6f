/**
 * ULIDs (26 Crockford base-32 characters: 10 of time in ms, 16 of randomness), written here rather
 * than with the ulid package because every guarded call makes one or two: that package builds each
 * id a character at a time, drawing randomness per character. Here randomness comes from a pooled
 * buffer of cryptographic randomness (one byte per character: 256 is a multiple of 32, so
 * `byte & 31` is uniform over the 32 symbols) and the id is made as one string.
 */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODES = Uint16Array.from(ALPHABET, (c) => c.charCodeAt(0));
const MAX_TIME = 2 ** 48 - 1;

const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let cursor = POOL_SIZE;

/** Fills `digits[from..26)` with random base-32 digits. */
function randomDigits(digits: Uint8Array, from: number): void {
  if (cursor + (26 - from) > POOL_SIZE) {
    globalThis.crypto.getRandomValues(pool);
    cursor = 0;
  }
  for (let i = from; i < 26; i++) digits[i] = (pool[cursor++] as number) & 31;
}

/** Writes the time (ms since the epoch) as the first 10 digits. */
function timeDigits(digits: Uint8Array, now: number): void {
  if (!Number.isInteger(now) || now < 0 || now > MAX_TIME) {
    throw new TypeError(`a ULID's time must be an integer between 0 and 2^48 - 1, got ${now}`);
  }
  let t = now;
  for (let i = 9; i >= 0; i--) {
    digits[i] = t % 32;
    t = Math.floor(t / 32);
  }
}

const codes: number[] = new Array(26).fill(0);

function text(digits: Uint8Array): string {
  for (let i = 0; i < 26; i++) codes[i] = CODES[digits[i] as number] as number;
  return String.fromCharCode.apply(null, codes);
}

const scratch = new Uint8Array(26);
/** The time of the last {@link newId}: calls come in bursts within one millisecond. */
let scratchTime = -1;

/** Returns a new ULID (26 Crockford base-32 characters, time-ordered). */
export function newId(now: number = Date.now()): string {
  if (now !== scratchTime) {
    timeDigits(scratch, now);
    scratchTime = now;
  }
  randomDigits(scratch, 10);
  return text(scratch);
}

/** The shape of a ULID. */
export const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/**
 * Returns ULIDs that sort in creation order even within one millisecond, or when the clock steps
 * back: the random part is incremented rather than redrawn (the ULID spec's monotonic mode), which
 * is also cheaper. For audit events.
 */
export function monotonicIds(): (now: number) => string {
  const digits = new Uint8Array(26);
  let last = -1;
  return (now) => {
    if (now <= last) {
      // Same millisecond (or an earlier one): the last id plus one, in the random part.
      let i = 25;
      while (i >= 10 && digits[i] === 31) digits[i--] = 0;
      if (i < 10) throw new Error("ULID random part exhausted within one millisecond");
      digits[i] = (digits[i] as number) + 1;
      return text(digits);
    }
    timeDigits(digits, now);
    randomDigits(digits, 10);
    last = now;
    return text(digits);
  };
}
