// Strict CBOR for our tokens (docs/qr-format.md §2): a decoder that accepts only the deterministic
// encoding of the subset we sign, and the few encoders the signature and status-list checks need.
//
// Accepting only deterministic bytes is the same rule as the Python verifier's "decode, re-encode
// canonically, compare": shortest integer and length forms, definite lengths, map keys strictly
// increasing by (encoded length, encoded bytes) — cbor2's canonical order — hence no duplicates, and
// nothing after the item. Only major types 0-5 occur (plus the outer tag 18 where the caller allows
// it); floats, true/false/null and other tags are errors, as in app/domain/qrtoken.py.

export class CborError extends Error {}

const MAX_DEPTH = 8; // as cbor2's max_depth in the Python verifier; our data nests 3 deep
const MINIMUM = [24, 0x100, 0x10000, 0x100000000]; // smallest value each longer argument form may carry
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }); // a leading U+FEFF is data

/** A decoded map: its [key, value] pairs in encoded order; keys are numbers/BigInts, strings or bytes. */
export class CborMap {
  constructor(entries) {
    this.entries = entries;
  }

  get size() {
    return this.entries.length;
  }

  /** The value under an integer or text key, or undefined. */
  get(key) {
    const found = this.entries.find(([k]) => k === key);
    return found === undefined ? undefined : found[1];
  }

  /** Whether every key is an integer and the set of keys lies between `required` and `allowed`. */
  hasKeys(required, allowed) {
    const keys = this.entries.map(([k]) => k);
    return keys.every((k) => allowed.includes(k)) && required.every((k) => keys.includes(k));
  }
}

/** A decoded tag (only tag 18, COSE_Sign1, is ever accepted). */
export class CborTag {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

/** Decode `bytes` strictly; `allowTag` is the one tag number accepted at the top level (or null). */
export function decodeStrict(bytes, allowTag = null) {
  const reader = { bytes, pos: 0 };
  const value = readItem(reader, 0, allowTag);
  if (reader.pos !== bytes.length) throw new CborError("trailing bytes");
  return value;
}

function take(reader, count) {
  if (count > reader.bytes.length - reader.pos) throw new CborError("truncated");
  const out = reader.bytes.subarray(reader.pos, reader.pos + count);
  reader.pos += count;
  return out;
}

function readArgument(reader, info) {
  if (info < 24) return info;
  if (info > 27) throw new CborError("indefinite length or reserved"); // 28-30 reserved, 31 indefinite
  const size = 1 << (info - 24);
  let value = 0n;
  for (const byte of take(reader, size)) value = (value << 8n) | BigInt(byte);
  if (value < BigInt(MINIMUM[info - 24])) throw new CborError("not the shortest form");
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function readItem(reader, depth, allowTag) {
  if (depth > MAX_DEPTH) throw new CborError("too deep");
  const initial = take(reader, 1)[0];
  const major = initial >> 5;
  const argument = readArgument(reader, initial & 31);
  switch (major) {
    case 0:
      return argument;
    case 1:
      return typeof argument === "bigint" || argument + 1 > Number.MAX_SAFE_INTEGER
        ? -1n - BigInt(argument) : -1 - argument;
    case 2:
      return take(reader, length(argument)).slice();
    case 3:
      try {
        return utf8.decode(take(reader, length(argument)));
      } catch (error) {
        if (error instanceof CborError) throw error;
        throw new CborError("invalid UTF-8");
      }
    case 4:
      return readArray(reader, length(argument), depth);
    case 5:
      return readMap(reader, length(argument), depth);
    case 6:
      if (allowTag === null || argument !== allowTag) throw new CborError("tag not allowed");
      return new CborTag(argument, readItem(reader, depth + 1, null));
    default:
      throw new CborError("float or simple value"); // major type 7
  }
}

function length(argument) {
  if (typeof argument === "bigint") throw new CborError("too long");
  return argument;
}

function readArray(reader, count, depth) {
  if (count > reader.bytes.length - reader.pos) throw new CborError("truncated"); // each item >= 1 byte
  const items = [];
  for (let i = 0; i < count; i += 1) items.push(readItem(reader, depth + 1, null));
  return items;
}

function readMap(reader, count, depth) {
  if (count * 2 > reader.bytes.length - reader.pos) throw new CborError("truncated");
  const entries = [];
  let previous = null;
  for (let i = 0; i < count; i += 1) {
    const start = reader.pos;
    const key = readItem(reader, depth + 1, null);
    const encoded = reader.bytes.subarray(start, reader.pos);
    if (!isScalarKey(key)) throw new CborError("map key type");
    if (previous !== null && compareKeys(previous, encoded) >= 0) throw new CborError("map key order");
    previous = encoded;
    entries.push([key, readItem(reader, depth + 1, null)]);
  }
  return new CborMap(entries);
}

function isScalarKey(key) {
  return ["number", "bigint", "string"].includes(typeof key) || key instanceof Uint8Array;
}

/** cbor2's canonical key order: shorter encodings first, then bytewise. */
function compareKeys(a, b) {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

// --- encoders (definite, shortest form) -------------------------------------------------------

function head(major, value) {
  if (value < 24) return [(major << 5) | value];
  if (value < 0x100) return [(major << 5) | 24, value];
  if (value < 0x10000) return [(major << 5) | 25, value >> 8, value & 0xff];
  if (value < 0x100000000) {
    return [(major << 5) | 26, value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
  }
  throw new CborError("value too large to encode");
}

/** Concatenate byte arrays. */
export function concat(parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export const encodeUint = (value) => Uint8Array.from(head(0, value));
export const encodeBytes = (bytes) => concat([Uint8Array.from(head(2, bytes.length)), bytes]);
export const encodeArrayHead = (count) => Uint8Array.from(head(4, count));

export function encodeText(text) {
  const bytes = new TextEncoder().encode(text);
  return concat([Uint8Array.from(head(3, bytes.length)), bytes]);
}
