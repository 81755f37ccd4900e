// From scanned QR text to token bytes (docs/qr-format.md §1), as app/domain/qrtoken.extract_token
// does, plus the upper-case form whose path segment is /V/ and whose token is base32.
//
// The offline page accepts any host: it proves nothing, only the signature does (as `flask verify`).

export const MAX_TEXT_CHARS = 1200;
export const MAX_TOKEN_BYTES = 600;
const MIN_TOKEN_CHARS = 100; // our tokens are ~270 characters; shorter alphanumerics are numbers
const CERT_NUMBER = /^[A-Za-z0-9]{6,32}$/;
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Strict RFC 4648 decoding without padding; non-canonical trailing bits are errors (null). */
function decodeRadix(text, alphabet, bits) {
  if (!text) return null;
  const out = [];
  let buffer = 0;
  let held = 0;
  for (const char of text) {
    const digit = alphabet.indexOf(char);
    if (digit < 0) return null;
    buffer = ((buffer << bits) | digit) & 0xffff;
    held += bits;
    if (held >= 8) {
      held -= 8;
      out.push((buffer >> held) & 0xff);
    }
  }
  if (held >= bits || (buffer & ((1 << held) - 1)) !== 0) return null; // a dangling digit or unused bits set
  return Uint8Array.from(out);
}

export const base64urlDecode = (text) => decodeRadix(text, B64URL, 6);
export const base32Decode = (text) => decodeRadix(text, B32, 5);

export function base64urlEncode(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j += 1) out += B64URL[(chunk >> (18 - 6 * j)) & 63];
  }
  return out;
}

/**
 * What a scanned text is: {token} (bytes, or null when a token was meant but is malformed → forged),
 * {kind: "not_ours"} or {kind: "cert_number"}.
 */
export function classifyText(raw) {
  if (typeof raw !== "string" || raw.length > MAX_TEXT_CHARS) return { kind: "not_ours" };
  const text = raw.trim();
  const lower = text.lastIndexOf("/v/");
  const upper = text.lastIndexOf("/V/");
  if (lower >= 0 || upper >= 0) {
    const base32 = upper > lower;
    const segment = text.slice(Math.max(lower, upper) + 3).split("?")[0].split("#")[0].replace(/\/+$/, "");
    return { kind: "token", token: sized(base32 ? base32Decode(segment) : base64urlDecode(segment)) };
  }
  if (/[/.:]/.test(text)) return { kind: "not_ours" };
  if (text.length >= MIN_TOKEN_CHARS) return { kind: "token", token: sized(base64urlDecode(text)) };
  return { kind: CERT_NUMBER.test(text) ? "cert_number" : "not_ours" };
}

function sized(token) {
  return token !== null && token.length <= MAX_TOKEN_BYTES ? token : null;
}
