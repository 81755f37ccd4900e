// The keys (JWKS) and the signed status list kept on the phone, in Cache Storage. Only copies that
// verified are stored; every load verifies them again against the stored keys, so a key revoked by a
// later JWKS also stops its status list from being trusted.
import { keyringFromJwks, verifyStatusList } from "./token.js";

const CACHE = "ecert-offline-data-v1";
const JWKS_KEY = "/inspect/offline/data/jwks.json"; // cache keys only: never requested over the network
const LIST_KEY = "/inspect/offline/data/status-list.cose";

async function readStored() {
  const cache = await caches.open(CACHE);
  const [jwks, list] = await Promise.all([cache.match(JWKS_KEY), cache.match(LIST_KEY)]);
  return {
    jwks: jwks ? await jwks.json() : null,
    list: list ? new Uint8Array(await list.arrayBuffer()) : null,
  };
}

/** The stored keyring and status list, verified at unix time `now`: {keyring, statusList}. */
export async function loadStored(now) {
  const stored = await readStored();
  const keyring = stored.jwks ? await keyringFromJwks(stored.jwks) : null;
  const statusList = keyring && stored.list ? await verifyStatusList(stored.list, keyring, now) : null;
  return { keyring, statusList };
}

// A signal that connects but carries nothing (a tunnel, a lift) must not hold the update forever; the
// stored copies stay in use and 更新 can be pressed again. Generous: the list grows with the registry.
const UPDATE_TIMEOUT_MS = 30000;

async function fetchBytes(url, signal) {
  // no-store: never an HTTP-cached copy; omit: these are public files, no cookie goes with them
  const response = await fetch(url, { cache: "no-store", credentials: "omit", signal });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Both files, or an error when either fails or the two take longer than UPDATE_TIMEOUT_MS. */
async function download(jwksUrl, listUrl) {
  const controller = new AbortController(); // not AbortSignal.timeout: older WeChat webviews lack it
  const timer = setTimeout(() => controller.abort(), UPDATE_TIMEOUT_MS);
  try {
    return await Promise.all([fetchBytes(jwksUrl, controller.signal), fetchBytes(listUrl, controller.signal)]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Download the JWKS and the status list (the only requests this page makes after it loads), verify
 * them and store what verified. Returns {keyring, statusList, listTrusted}; throws when offline or
 * when the download does not finish in time.
 */
export async function refresh(jwksUrl, listUrl, now) {
  const [jwksBytes, listBytes] = await download(jwksUrl, listUrl);
  const document = JSON.parse(new TextDecoder().decode(jwksBytes));
  const keyring = await keyringFromJwks(document);
  if (keyring === null) throw new Error("the JWKS is malformed");
  const cache = await caches.open(CACHE);
  await cache.put(JWKS_KEY, new Response(jwksBytes, { headers: { "Content-Type": "application/json" } }));
  const statusList = await verifyStatusList(listBytes, keyring, now);
  const listTrusted = statusList.outcome === "valid" || statusList.outcome === "stale";
  if (listTrusted) {
    await cache.put(LIST_KEY, new Response(listBytes, { headers: { "Content-Type": "application/cose" } }));
    return { keyring, statusList, listTrusted };
  }
  return { ...(await loadStored(now)), listTrusted }; // keep the list stored before, checked with the new keys
}
