// The /inspect/offline page: keeps the keys and status list, reads a QR code, shows the verdict.
// Nothing scanned leaves the phone: the only requests are the JWKS and the status list (store.js).
import { signatureEngine } from "./ed25519.js";
import { readImageFile, startCamera, useWasmFrom } from "./scan.js";
import { loadStored, refresh } from "./store.js";
import { judgeText } from "./verdict.js";

const $ = (id) => document.getElementById(id);
const body = document.body;
const T = JSON.parse($("offline-texts").textContent);
const UI = T.ui;
const state = { keyring: null, statusList: null, stopCamera: null };

const nowSeconds = () => Math.floor(Date.now() / 1000);
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));

/** "刚刚" / "5分钟前" / "3小时前" / "2天前" for a moment `seconds` ago. */
function ageText(seconds) {
  if (seconds < 60) return UI.just_now;
  if (seconds < 3600) return fill(UI.minutes_ago, { n: Math.floor(seconds / 60) });
  if (seconds < 86400) return fill(UI.hours_ago, { n: Math.floor(seconds / 3600) });
  return fill(UI.days_ago, { n: Math.floor(seconds / 86400) });
}

function chinaTime(unix) {
  const shifted = new Date((unix + 8 * 3600) * 1000).toISOString(); // Beijing time, whatever the phone's zone
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 16)}`;
}

const dayText = (days) => new Date(days * 86400000).toISOString().slice(0, 10);

/** 张伟 -> 张*, 张小伟 -> 张*伟: as verdict_texts.mask_name on the /v/ page (anonymous viewers). */
function maskName(name) {
  const chars = [...name];
  if (chars.length <= 2) return `${chars[0]}*`;
  return chars[0] + "*".repeat(chars.length - 2) + chars[chars.length - 1];
}

function showListState() {
  const list = state.statusList;
  const line = $("list-status");
  const trusted = list && (list.outcome === "valid" || list.outcome === "stale");
  body.dataset.listState = !state.keyring ? "no-keys" : trusted ? list.outcome : "missing";
  if (!state.keyring) {
    line.textContent = UI.keys_missing;
  } else if (!trusted) {
    line.textContent = UI.list_missing;
  } else {
    const now = nowSeconds();
    line.textContent = fill(UI.list_age, { age: ageText(Math.max(0, now - list.issuedAt)) });
    const stale = now >= list.expiresAt;
    $("list-stale").textContent = stale ? fill(UI.list_stale, { until: chinaTime(list.expiresAt) }) : "";
  }
  $("list-stale").hidden = !trusted || nowSeconds() < list.expiresAt;
}

async function update() {
  $("refresh").disabled = true;
  $("update-note").textContent = UI.updating;
  try {
    const fresh = await refresh(body.dataset.jwksUrl, body.dataset.listUrl, nowSeconds());
    Object.assign(state, { keyring: fresh.keyring, statusList: fresh.statusList });
    const entries = fresh.statusList?.entries?.size ?? 0;
    $("update-note").textContent = fresh.listTrusted ? fill(UI.updated, { keys: fresh.keyring.size, entries })
      : UI.list_untrusted;
  } catch {
    $("update-note").textContent = UI.update_failed;
  } finally {
    $("refresh").disabled = false;
    showListState();
  }
}

function fieldRows(claims) {
  const rows = [["证书类型", T.kinds[claims.kind] ?? String(claims.kind)], ["姓名", maskName(claims.holderName)],
    ["证件号码", claims.maskedIdNumber]];
  if (claims.kind === 1) rows.push(["操作项目", T.items[claims.code] ?? claims.code]);
  else {
    rows.push(["人员类型", T.personnel_types[claims.personnelType] ?? claims.personnelType ?? "—"]);
    rows.push(["行业类别", T.industries[claims.code] ?? claims.code]);
  }
  rows.push(["有效期", `${dayText(claims.validFrom)} 至 ${dayText(claims.validUntil)}`]);
  rows.push(["签发机关", T.authorities[claims.authorityCode] ?? claims.authorityCode]);
  rows.push(["版本", `第${claims.version}版`]);
  return rows;
}

function renderRows(list, rows) {
  list.replaceChildren(...rows.map(([label, value]) => {
    const cell = document.createElement("div");
    cell.className = "vcell";
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = label;
    dd.textContent = value;
    cell.append(dt, dd);
    return cell;
  }));
}

async function showVerdict(verdict, result) {
  const text = T.verdicts[verdict];
  const box = $("result");
  box.hidden = false;
  $("verdict-box").className = `verdict verdict-${text.tone}`;
  $("verdict-icon").textContent = { ok: "✓", warn: "!", bad: "✕" }[text.tone];
  const headline = $("verdict");
  headline.textContent = text.headline;
  headline.dataset.outcome = verdict;
  $("explanation").textContent = text.explanation;
  const showFields = result && result.claims && verdict !== "expired_live_code";
  $("fields-title").hidden = !showFields;
  renderRows($("fields"), showFields ? fieldRows(result.claims) : []);
  const list = state.statusList;
  const stale = result?.claims && list && list.outcome === "stale" && verdict !== "expired_live_code";
  $("verdict-warning").hidden = !stale;
  $("verdict-warning").textContent = stale ? fill(UI.list_stale, { until: chinaTime(list.expiresAt) }) : "";
  const tech = [["核验时间", chinaTime(nowSeconds())], ["核验方式", "本机离线核验"]];
  if (result?.claims && list?.issuedAt) {
    tech.push(["状态列表", fill(UI.list_updated, { age: ageText(nowSeconds() - list.issuedAt) })]);
  }
  if (result?.kid) tech.push(["签名密钥", result.kid]);
  if (result?.expiresAt) tech.push(["动态码有效至", chinaTime(result.expiresAt)]);
  renderRows($("tech"), tech);
  $("tech").dataset.engine = await signatureEngine(); // WebCrypto or the noble library: for support staff
  box.scrollIntoView({ block: "start" });
}

/** The line under the scan buttons; `error` marks a failed read (tests wait on it). */
function note(text, error = false) {
  const line = $("scan-note");
  line.textContent = text;
  if (error) line.dataset.error = "1";
  else delete line.dataset.error;
}

async function judge(text) {
  note(UI.working);
  const now = nowSeconds();
  const { verdict, result } = await judgeText(text, state.keyring ?? new Map(), state.statusList, now);
  note("");
  await showVerdict(verdict, result);
}

async function onFile(event) {
  const file = event.target.files[0];
  event.target.value = ""; // the same photo may be chosen again
  if (!file) return;
  note(UI.working);
  let text = null;
  try {
    text = await readImageFile(file);
  } catch {
    note(UI.bad_image, true);
    return;
  }
  if (text === null) {
    $("result").hidden = true;
    note(UI.no_qr, true);
    return;
  }
  await judge(text);
}

async function toggleCamera() {
  if (state.stopCamera) {
    state.stopCamera();
    state.stopCamera = null;
    $("camera").hidden = true;
    return;
  }
  $("camera").hidden = false;
  note(UI.camera_hint);
  try {
    state.stopCamera = await startCamera($("video"), async (text) => {
      state.stopCamera = null;
      $("camera").hidden = true;
      await judge(text);
    });
  } catch {
    $("camera").hidden = true;
    note(UI.camera_failed, true);
  }
}

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  await navigator.serviceWorker.register(body.dataset.swUrl, { scope: body.dataset.swScope });
  await navigator.serviceWorker.ready; // installed: the page and its files are cached for flight mode
  body.dataset.workerReady = "1";
}

async function start() {
  useWasmFrom(body.dataset.wasmUrl);
  $("file").addEventListener("change", onFile);
  $("camera-button").addEventListener("click", toggleCamera);
  $("refresh").addEventListener("click", update);
  window.addEventListener("online", update);
  Object.assign(state, await loadStored(nowSeconds()));
  showListState();
  const worker = registerWorker().catch(() => {});
  if (navigator.onLine) await update();
  await worker;
  setInterval(showListState, 60000); // the age line keeps counting while the page stays open
  body.dataset.ready = "1";
}

start();