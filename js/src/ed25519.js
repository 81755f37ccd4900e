// Ed25519 signature checks: the browser's WebCrypto where it has Ed25519, else @noble/ed25519
// (audited, no dependencies) in RFC 8032 mode. Both run locally; nothing is sent anywhere.
import { verifyAsync } from "@noble/ed25519";

import { base64urlDecode } from "./text.js";

const PROBE_KEY = "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"; // the example key of docs/qr-format.md §7

let engine = null; // "webcrypto" or "noble", decided once

async function webCryptoWorks() {
  try {
    const subtle = globalThis.crypto?.subtle;
    if (!subtle) return false;
    const key = await subtle.importKey("raw", base64urlDecode(PROBE_KEY), { name: "Ed25519" }, false, ["verify"]);
    await subtle.verify({ name: "Ed25519" }, key, new Uint8Array(64), new Uint8Array(1));
    return true;
  } catch {
    return false;
  }
}

/** Which implementation checks signatures in this browser. */
export async function signatureEngine() {
  if (engine === null) engine = (await webCryptoWorks()) ? "webcrypto" : "noble";
  return engine;
}

/** True when `signature` is a valid Ed25519 signature of `message` by the 32-byte `publicKey`. */
export async function verifyEd25519(publicKey, signature, message) {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    if ((await signatureEngine()) === "webcrypto") {
      const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
      return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
    }
    return await verifyAsync(signature, message, publicKey, { zip215: false });
  } catch {
    return false; // a key or signature the library refuses to parse is not a valid signature
  }
}
