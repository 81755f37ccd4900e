// Reading QR codes: from a photo or image file, or from the camera (getUserMedia), with zxing-wasm
// (ZXing-C++ compiled to WebAssembly: the engine `flask verify IMAGE_FILE` uses through zxing-cpp).
// The .wasm file is served by our own server; the library's default is a CDN, which we override.
import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";

const OPTIONS = { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1, textMode: "Plain" };
const MAX_SIDE = 2000; // phone photos are 4000+ px; QR modules stay several pixels wide at this size
const CAMERA_INTERVAL_MS = 250;

/** Point the decoder at our copy of the .wasm file (its URL carries the build's content hash). */
export function useWasmFrom(wasmUrl) {
  const locateFile = (path, prefix) => (path.endsWith(".wasm") ? wasmUrl : prefix + path);
  prepareZXingModule({ overrides: { locateFile } });
}

async function firstText(input) {
  const results = await readBarcodes(input, OPTIONS);
  const found = results.find((r) => r.isValid && r.text);
  return found ? found.text : null;
}

function imageDataOf(source, width, height) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

/** The QR text in an image file, or null; throws when the browser cannot read the image at all. */
export async function readImageFile(file) {
  let bitmap = null;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" }); // phone photos carry EXIF rotation
  } catch {
    return firstText(file); // a format the browser cannot draw: zxing's own decoder may still read it
  }
  try {
    return (await firstText(imageDataOf(bitmap, bitmap.width, bitmap.height))) ?? (await firstText(file));
  } finally {
    bitmap.close();
  }
}

/** Start the back camera in `video`; calls onText(text) once a QR code is read. Returns stop(). */
export async function startCamera(video, onText) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  let stopped = false;
  const stop = () => {
    stopped = true;
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
  };
  video.srcObject = stream;
  await video.play();
  const tick = async () => {
    if (stopped) return;
    const text = video.videoWidth ? await firstText(imageDataOf(video, video.videoWidth, video.videoHeight)) : null;
    if (stopped) return;
    if (text !== null) {
      stop();
      onText(text);
    } else {
      setTimeout(tick, CAMERA_INTERVAL_MS);
    }
  };
  tick();
  return stop;
}
