// The offline verdict, step for step as app/services/offline_verdict.decide: the signature's outcome
// first, then the stored status list (a stale one still counts; the page warns), then the validity
// dates carried in the token. The browser test holds the two to the same answers.
import { statusEntry, verifyToken } from "./token.js";
import { classifyText } from "./text.js";

const CHINA_OFFSET_SECONDS = 8 * 3600; // certificate dates are Beijing dates; China has no daylight saving

/** Days since 1970-01-01 of the date in China at unix time `now` (the token's date unit). */
export const chinaDay = (now) => Math.floor((now + CHINA_OFFSET_SECONDS) / 86400);

/** The verdict key for a verified token and the stored status list (null when none is trusted). */
export async function decide(result, statusList, now) {
  if (result.outcome !== "genuine") return result.outcome;
  const trusted = statusList && (statusList.outcome === "valid" || statusList.outcome === "stale") ? statusList : null;
  const listed = trusted ? trusted.entries.get(await statusEntry(result.claims.certId, result.claims.version)) : null;
  if (listed) return listed;
  if (result.claims.validUntil < chinaDay(now)) return "expired";
  return trusted ? "valid" : "unchecked";
}

/** From scanned text to {verdict, result}: what the page shows. */
export async function judgeText(text, keyring, statusList, now) {
  const read = classifyText(text);
  if (read.kind !== "token") return { verdict: read.kind, result: null };
  if (read.token === null) return { verdict: "forged", result: null };
  const result = await verifyToken(read.token, keyring, now);
  return { verdict: await decide(result, statusList, now), result };
}
