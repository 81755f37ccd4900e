// COSE_Sign1 / CWT verification of certificate tokens and of the signed status list, the same spec
// and the same strictness as app/domain/qrtoken.py (docs/qr-format.md §2-§6). Every function here
// answers "forged" for anything that is not exactly what the server signs; none throws on input.
import {
  CborError, CborMap, CborTag, concat, decodeStrict, encodeArrayHead, encodeBytes, encodeText, encodeUint,
} from "./cbor.js";
import { verifyEd25519 } from "./ed25519.js";
import { base64urlDecode, base64urlEncode, MAX_TOKEN_BYTES } from "./text.js";

const COSE_SIGN1 = 18;
const HDR_ALG = 1;
const HDR_KID = 4;
const ALG_EDDSA = -8;
const CLAIM_ISS = 1;
const CLAIM_EXP = 4;
const CLAIM_IAT = 6;
const CLAIM_CERT = -70001;
const CLAIM_STATUS_LIST = -70002;
const MAX_STATUS_LIST_BYTES = 64 * 1024 * 1024;
const STATUS_ENTRY_LEN = 16;
const LISTED = { 1: "suspended", 2: "revoked", 3: "cancelled", 4: "superseded", 5: "review_overdue" };

// Keys of the certificate claim (§3) and the text length limits, in code points as Python's len().
const K = { id: 1, version: 2, kind: 3, code: 4, personnel: 5, name: 6, maskedId: 7, idCheck: 8, from: 9,
  until: 10, authority: 11 };
const TEXT_LIMITS = [[K.id, 40], [K.code, 12], [K.personnel, 12], [K.name, 40], [K.maskedId, 18],
  [K.authority, 16]];
const REQUIRED = [K.id, K.version, K.kind, K.code, K.name, K.maskedId, K.idCheck, K.from, K.until, K.authority];

class Forged extends Error {}

function check(condition, why) {
  if (!condition) throw new Forged(why);
}

const isUint = (value, upper) => typeof value === "number" && value >= 0 && value <= upper;
const isText = (value, limit) => typeof value === "string" && value.length > 0 && [...value].length <= limit;

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// --- keys (§5) --------------------------------------------------------------------------------

async function parseJwk(jwk, revoked) {
  check(jwk && typeof jwk === "object" && jwk.kty === "OKP" && jwk.crv === "Ed25519", "jwk type");
  check(typeof jwk.kid === "string" && typeof jwk.x === "string", "jwk fields");
  const x = base64urlDecode(jwk.x);
  check(x !== null && x.length === 32, "jwk x");
  check(base64urlEncode(await sha256(x)).slice(0, 8) === jwk.kid, "kid does not match the key");
  return { kid: jwk.kid, x, revoked };
}

/** A keyring (kid -> {x, revoked}) from a JWKS document as served, or null when it is malformed. */
export async function keyringFromJwks(document) {
  try {
    check(document && Array.isArray(document.keys), "keys");
    const revoked = document.revoked ?? [];
    check(Array.isArray(revoked), "revoked");
    const entries = [...await Promise.all(document.keys.map((j) => parseJwk(j, false))),
      ...await Promise.all(revoked.map((j) => parseJwk(j, true)))];
    return new Map(entries.map((entry) => [entry.kid, entry]));
  } catch (error) {
    if (error instanceof Forged) return null;
    throw error;
  }
}

// --- COSE_Sign1 (§2) --------------------------------------------------------------------------

function kidFromProtected(protectedBytes) {
  check(protectedBytes instanceof Uint8Array, "protected header");
  const header = decodeStrict(protectedBytes);
  check(header instanceof CborMap && header.hasKeys([HDR_ALG, HDR_KID], [HDR_ALG, HDR_KID]), "header keys");
  const kid = header.get(HDR_KID);
  check(header.get(HDR_ALG) === ALG_EDDSA, "alg");
  check(kid instanceof Uint8Array && kid.length > 0 && kid.length <= 16 && kid.every((b) => b < 0x80), "kid");
  return String.fromCharCode(...kid);
}

function sigStructure(protectedBytes, payload) {
  return concat([encodeArrayHead(4), encodeText("Signature1"), encodeBytes(protectedBytes),
    encodeBytes(new Uint8Array(0)), encodeBytes(payload)]);
}

async function openSign1(data, keyring, maxLength) {
  check(data instanceof Uint8Array && data.length <= maxLength, "size");
  const outer = decodeStrict(data, COSE_SIGN1);
  check(outer instanceof CborTag && Array.isArray(outer.value) && outer.value.length === 4, "not COSE_Sign1");
  const [protectedBytes, unprotected, payload, signature] = outer.value;
  const kid = kidFromProtected(protectedBytes);
  check(unprotected instanceof CborMap && unprotected.size === 0, "unprotected header must be empty");
  check(payload instanceof Uint8Array && signature instanceof Uint8Array, "COSE_Sign1 fields");
  const entry = keyring.get(kid);
  check(entry !== undefined, "unknown kid");
  check(await verifyEd25519(entry.x, signature, sigStructure(protectedBytes, payload)), "signature");
  const body = decodeStrict(payload);
  check(body instanceof CborMap, "payload");
  return { kid, entry, body };
}

function checkCwt(payload, privateClaim, needExp) {
  check(payload.hasKeys([CLAIM_ISS, CLAIM_IAT, privateClaim], [CLAIM_ISS, CLAIM_IAT, CLAIM_EXP, privateClaim]),
    "claims");
  check(typeof payload.get(CLAIM_ISS) === "string" && isUint(payload.get(CLAIM_IAT), 2 ** 40), "iss/iat");
  const exp = payload.get(CLAIM_EXP);
  check(exp === undefined || isUint(exp, 2 ** 40), "exp");
  check(!needExp || exp !== undefined, "exp required");
}

function claimsFromMap(m) {
  check(m instanceof CborMap && m.hasKeys(REQUIRED, [...REQUIRED, K.personnel]), "certificate claim keys");
  for (const [key, limit] of TEXT_LIMITS) check(m.get(key) === undefined || isText(m.get(key), limit), "text");
  check(isUint(m.get(K.version), 0xffff) && m.get(K.version) >= 1, "version");
  check(m.get(K.kind) === 1 || m.get(K.kind) === 2, "kind");
  check(m.get(K.idCheck) instanceof Uint8Array && m.get(K.idCheck).length === 1, "id check");
  check(isUint(m.get(K.from), 200000) && isUint(m.get(K.until), 200000), "dates");
  return {
    certId: m.get(K.id), version: m.get(K.version), kind: m.get(K.kind), code: m.get(K.code),
    personnelType: m.get(K.personnel) ?? null, holderName: m.get(K.name), maskedIdNumber: m.get(K.maskedId),
    idCheck: m.get(K.idCheck), validFrom: m.get(K.from), validUntil: m.get(K.until),
    authorityCode: m.get(K.authority),
  };
}

function forgedOr(error, value) {
  if (error instanceof Forged || error instanceof CborError) return value;
  console.error("offline verifier: unexpected error, treated as forged", error); // eslint-disable-line no-console
  return value;
}

/** Verify token bytes at unix time `now`: {outcome: genuine|forged|key_revoked|expired_live_code, ...}. */
export async function verifyToken(token, keyring, now) {
  let opened;
  let claims;
  try {
    opened = await openSign1(token, keyring, MAX_TOKEN_BYTES);
    checkCwt(opened.body, CLAIM_CERT, false);
    claims = claimsFromMap(opened.body.get(CLAIM_CERT));
  } catch (error) {
    return forgedOr(error, { outcome: "forged" });
  }
  const { kid, entry, body } = opened;
  const common = { kid, issuer: body.get(CLAIM_ISS), issuedAt: body.get(CLAIM_IAT) };
  if (entry.revoked) return { outcome: "key_revoked", ...common };
  const expiresAt = body.get(CLAIM_EXP) ?? null;
  if (expiresAt !== null && now >= expiresAt) return { outcome: "expired_live_code", claims, expiresAt, ...common };
  return { outcome: "genuine", claims, expiresAt, ...common };
}

// --- the signed status list (§6) --------------------------------------------------------------

/** The list entry of one certificate version: SHA-256(CBOR [id, version])[0:16], as hex. */
export async function statusEntry(certId, version) {
  const encoded = concat([encodeArrayHead(2), encodeText(certId), encodeUint(version)]);
  return toHex((await sha256(encoded)).subarray(0, STATUS_ENTRY_LEN));
}

function entriesFromMap(m) {
  check(m instanceof CborMap, "status list body");
  const entries = new Map();
  for (const [key, value] of m.entries) {
    check(key instanceof Uint8Array && key.length === STATUS_ENTRY_LEN && LISTED[value] !== undefined
      && typeof value === "number", "status list entry");
    entries.set(toHex(key), LISTED[value]);
  }
  return entries;
}

/** Verify a status list: {outcome: valid|stale|forged|key_revoked, entries (hex -> reason), issuedAt, expiresAt}. */
export async function verifyStatusList(data, keyring, now) {
  let opened;
  let entries;
  try {
    opened = await openSign1(data, keyring, MAX_STATUS_LIST_BYTES);
    checkCwt(opened.body, CLAIM_STATUS_LIST, true);
    entries = entriesFromMap(opened.body.get(CLAIM_STATUS_LIST));
  } catch (error) {
    return forgedOr(error, { outcome: "forged", entries: new Map() });
  }
  if (opened.entry.revoked) return { outcome: "key_revoked", entries: new Map() };
  const issuedAt = opened.body.get(CLAIM_IAT);
  const expiresAt = opened.body.get(CLAIM_EXP);
  return { outcome: now >= expiresAt ? "stale" : "valid", entries, issuedAt, expiresAt };
}
