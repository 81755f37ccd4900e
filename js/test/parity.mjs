// Runs the page's verifier modules under Node for tests/unit/test_offline_js_parity.py: reads
// {jwks, now, tokens: [hex], lists: [hex], texts: [string]} on stdin, prints what the JavaScript decides.
import { keyringFromJwks, toHex, verifyStatusList, verifyToken } from "../src/token.js";
import { signatureEngine } from "../src/ed25519.js";
import { judgeText } from "../src/verdict.js";

const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));

function claimsOut(claims) {
  if (!claims) return null;
  return { ...claims, idCheck: toHex(claims.idCheck) };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf-8"));
if (input.noWebCryptoEd25519) { // as a browser without Ed25519 in WebCrypto: the noble library checks
  const { subtle } = globalThis.crypto;
  const importKey = subtle.importKey.bind(subtle);
  subtle.importKey = (format, key, algorithm, ...rest) => (algorithm?.name === "Ed25519"
    ? Promise.reject(new Error("NotSupportedError")) : importKey(format, key, algorithm, ...rest));
}
const keyring = await keyringFromJwks(input.jwks);
const tokens = [];
for (const hex of input.tokens) {
  const result = await verifyToken(fromHex(hex), keyring, input.now);
  tokens.push({ outcome: result.outcome, claims: claimsOut(result.claims), expiresAt: result.expiresAt ?? null });
}
const lists = [];
let trusted = null;
for (const hex of input.lists) {
  const list = await verifyStatusList(fromHex(hex), keyring, input.now);
  lists.push({ outcome: list.outcome, entries: Object.fromEntries(list.entries) });
  trusted ??= list.outcome === "valid" ? list : null;
}
const texts = [];
for (const text of input.texts) texts.push((await judgeText(text, keyring, trusted, input.now)).verdict);
process.stdout.write(JSON.stringify({ engine: await signatureEngine(), tokens, lists, texts }));
